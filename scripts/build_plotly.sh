#!/usr/bin/env bash
# Rebuilds app/ui/assets/plotly-crossview.min.js (committed: the app runs offline) from npm: plotly.js
# with only the trace types in scripts/plotly_entry.js. Needs node and npm; run it after changing the
# entry or the version, and keep PLOTLY_JS at the version Python's plotly writes figures for.
set -euo pipefail
cd "$(dirname "$0")/.."
PLOTLY_JS=4.1.1
ESBUILD=0.25.12
OUT=app/ui/assets/plotly-crossview.min.js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp scripts/plotly_entry.js "$work/entry.js"
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "plotly.js@$PLOTLY_JS" "esbuild@$ESBUILD")
"$work/node_modules/.bin/esbuild" "$work/entry.js" --bundle --minify --format=iife --global-name=Plotly \
  --define:global=window --legal-comments=eof --log-level=warning --outfile="$OUT" \
  --banner:js="/*! plotly.js $PLOTLY_JS, partial bundle (bar, scatter, heatmap, funnel) built by scripts/build_plotly.sh. MIT License, Copyright (c) 2016-2024 Plotly Technologies Inc.: https://github.com/plotly/plotly.js/blob/master/LICENSE */"
# esbuild also writes the map styles that plotly.js imports; no chart of the app is a map.
rm -f "${OUT%.js}.css"
ls -l "$OUT"
