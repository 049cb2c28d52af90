"""Command line: `python -m core demo|build|links|reconcile|report|train|schema-doc|metrics-doc`.

Each subcommand is a thin shell over a core function; user errors print one
clear paragraph and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from core.errors import UserError

# The dates an export can hold (the cleaning reads no year outside them): a period beyond is a typo.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from err
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text} is outside the years an export can hold "
                                         f"({FIRST_DAY.year}-{LAST_DAY.year})")
    return day


def _progress(step: str, fraction: float) -> None:
    print(f"\r[{fraction:5.0%}] {step:<60}", end="" if fraction < 1 else "\n", file=sys.stderr, flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo import generate

    summary = generate(Path(args.out), seed=args.seed, scale=args.scale)
    for name, value in summary.items():
        print(f"{name}: {value}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from core.warehouse import build, format_summary

    if args.crm is None and args.bo is None:
        raise UserError("Nothing to build: give --crm FILE, --bo DIR, or both.")
    if not args.db.strip():
        raise UserError("No warehouse path given: --db needs a file name, e.g. --db data/crossview.duckdb.")
    summary = build(
        crm=Path(args.crm) if args.crm else None,
        bo=Path(args.bo) if args.bo else None,
        db=Path(args.db),
        mapping=Path(args.mapping) if args.mapping else None,
        teams=Path(args.teams) if args.teams else None,
        accounts=Path(args.accounts) if args.accounts else None,
        overrides=Path(args.overrides) if args.overrides else None,
        progress=None if args.quiet else _progress,
        allow_quarantine=args.allow_quarantine,
    )
    print(format_summary(summary))
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from core.csvsafe import to_csv_bytes
    from core.link import review_queue
    from core.warehouse import connect

    with connect(Path(args.db)) as con:
        frame = review_queue(con, status=args.status, kind=args.kind)
    sys.stdout.write(to_csv_bytes(frame).decode("utf-8-sig"))
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from core.csvsafe import to_csv_bytes
    from core.link.reconcile import reconciliation
    from core.metrics.common import has_bo, has_crm
    from core.warehouse import connect

    with connect(Path(args.db)) as con:
        missing = [name for name, present in (("CRM", has_crm(con)), ("back-office", has_bo(con))) if not present]
        if missing:
            # Without both sides every won deal would be listed as "without placement".
            raise UserError(f"Reconciliation compares the CRM with the back office, and this warehouse holds "
                            f"no {' and no '.join(missing)} export. Build it with both --crm and --bo.")
        sections = reconciliation(con, _filters(con, args))
    for title, frame in sections.items():
        print(f"# {title} ({len(frame)} rows)")
        sys.stdout.write(to_csv_bytes(frame).decode("utf-8-sig"))
        print()
    return 0


def _filters(con, args: argparse.Namespace):
    from core.filters import Filters, resolve_sales_names

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError(f"--from {args.date_from} is after --to {args.date_to}: give the earlier day first.")
    teams = tuple(args.team or ())
    if teams:
        known = [r[0] for r in con.execute("SELECT DISTINCT team FROM staff ORDER BY team").fetchall()]
        unknown = [t for t in teams if t not in known]
        if unknown:
            raise UserError(f"Unknown team(s): {', '.join(unknown)}. Known teams: {', '.join(known) or 'none'}.")
    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        teams=teams,
        sales=resolve_sales_names(con, tuple(args.sales or ())),
    )


def cmd_report(args: argparse.Namespace) -> int:
    from core.report import build_report, format_report
    from core.warehouse import connect

    with connect(Path(args.db)) as con:
        report = build_report(con, _filters(con, args), db_path=Path(args.db))
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    else:
        print(format_report(report))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from core.model.train import train_and_save

    card = train_and_save(Path(args.db), progress=_progress)
    print(json.dumps(card, indent=2, default=str))
    return 0


def cmd_schema_doc(args: argparse.Namespace) -> int:
    from core.schema import schema_markdown

    Path(args.out).write_text(schema_markdown(), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def cmd_metrics_doc(args: argparse.Namespace) -> int:
    from core.metrics.glossary import glossary_markdown

    Path(args.out).write_text(glossary_markdown(), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="date_from", type=_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day (YYYY-MM-DD)")
    p.add_argument("--team", action="append", help="team name (repeatable)")
    p.add_argument("--sales", action="append", help="salesperson's BO name (repeatable)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Crossview command line")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="write the demo CRM export and BO folder")
    d.add_argument("--out", required=True)
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--scale", type=float, default=1.0)
    d.set_defaults(func=cmd_demo)

    b = sub.add_parser("build", help="import, clean, link and load into a DuckDB warehouse")
    b.add_argument("--crm", help="CRM deals export (CSV or XLSX)")
    b.add_argument("--bo", help="BO export folder")
    b.add_argument("--db", required=True)
    b.add_argument("--mapping", help="column/stage mapping file (JSON or YAML)")
    b.add_argument("--teams", help="salespeople and their teams (CSV/XLSX), when there is no BO")
    b.add_argument("--accounts", help="client companies with attributes (CSV/XLSX)")
    b.add_argument("--overrides", help="link decisions file (default: overrides.csv beside the --db file)")
    b.add_argument("--quiet", action="store_true", help="no progress output")
    b.add_argument("--allow-quarantine", action="store_true",
                   help="build even when more than half of the deals are quarantined (unknown stages...)")
    b.set_defaults(func=cmd_build)

    lk = sub.add_parser("links", help="list links as CSV (e.g. the review queue)")
    lk.add_argument("--db", required=True)
    lk.add_argument("--status", choices=["auto", "review", "none", "override"])
    lk.add_argument("--kind", choices=["client", "deal", "owner"], default="client")
    lk.set_defaults(func=cmd_links)

    rc = sub.add_parser("reconcile", help="CRM vs BO reconciliation report (CSV sections)")
    rc.add_argument("--db", required=True)
    _add_filter_args(rc)
    rc.set_defaults(func=cmd_reconcile)

    r = sub.add_parser("report", help="answers to the management questions")
    r.add_argument("--db", required=True)
    _add_filter_args(r)
    r.add_argument("--json", action="store_true", help="one JSON object (public interface, docs/report.md)")
    r.set_defaults(func=cmd_report)

    t = sub.add_parser("train", help="train the fee / fill models and store them beside the warehouse")
    t.add_argument("--db", required=True)
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("schema-doc", help="write the warehouse schema doc")
    s.add_argument("--out", default="docs/schema.md")
    s.set_defaults(func=cmd_schema_doc)

    m = sub.add_parser("metrics-doc", help="write the metrics glossary from the metric definitions")
    m.add_argument("--out", default="docs/metrics.md")
    m.set_defaults(func=cmd_metrics_doc)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
