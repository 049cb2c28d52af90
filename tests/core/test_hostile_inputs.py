"""Hostile inputs, second round (issue 16): wide exports, bombs, clashing file names, symlinks, formulas,
the `--db` target and the environment. Each case is generated here (no large committed file) and checks
the exit code or the exception, the message, that no traceback is printed, that the last good
warehouse is byte for byte the same and that no file outside the warehouse folder changed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.errors import InputFileError
from core.warehouse import build, connect

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["Record ID", "Deal Name", "Associated Company", "Amount", "Deal Stage", "Deal owner", "Create Date",
          "Close Date"]
DEAL = ["1", "A", "Acme", "1000", "won", "Ann", "2024-01-02", "2024-02-01"]
GOOD = ",".join(HEADER) + "\n" + ",".join(DEAL) + "\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file under `root` (except under `skip`) with its SHA-256: what a run must leave alone."""
    return {str(p.relative_to(root)): (sha256(p) if p.is_file() and not p.is_symlink() else "link")
            for p in sorted(root.rglob("*")) if (p.is_file() or p.is_symlink())
            and (skip is None or skip not in p.parents)}


def cli(*args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True,
                         check=False, timeout=300)
    assert "Traceback" not in run.stderr + run.stdout
    return run


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A good CRM export in `in/` and a warehouse built from it in `wh/`."""
    (tmp_path / "in").mkdir()
    crm = tmp_path / "in" / "deals.csv"
    crm.write_text(GOOD, encoding="utf-8")
    db = tmp_path / "wh" / "w.duckdb"
    build(crm=crm, bo=None, db=db)
    return {"root": tmp_path, "in": tmp_path / "in", "crm": crm, "db": db}


def refused(site: dict[str, Path], args: list[str], *words: str) -> str:
    """Run the CLI; it must exit 2 naming `words`, leave the warehouse and every other file as they were."""
    before_db = sha256(site["db"])
    before = snapshot(site["root"], skip=site["db"].parent)
    run = cli(*args)
    assert run.returncode == 2, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr
    assert sha256(site["db"]) == before_db
    assert snapshot(site["root"], skip=site["db"].parent) == before
    assert [p.name for p in site["db"].parent.iterdir() if p.name.startswith((".", "tmp"))] == []
    return run.stderr


# --- wide exports ----------------------------------------------------------------------------------


def test_wide_crm_export_loads_with_duplicates_and_null_tokens_found_in_the_extra_columns(tmp_path):
    width = 2000
    extra = [f"Property {i}" for i in range(width - len(HEADER))]
    rows = [DEAL + ["x"] * len(extra),
            DEAL + ["x"] * len(extra),  # row 1 exported twice
            DEAL[:1] + ["B"] + DEAL[2:] + ["n/a"] * 3 + ["x"] * (len(extra) - 3)]  # same id, other values
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(",".join(r) for r in [HEADER + extra] + rows) + "\n", encoding="utf-8")
    build(crm=path, bo=None, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT deal_id, deal_name FROM deals").fetchall() == [("1", "A")]
        assert con.execute("SELECT row_number, rule FROM data_issues WHERE rule LIKE 'duplicate.%' "
                           "ORDER BY 1").fetchall() == [(2, "duplicate.exact_row"), (3, "duplicate.primary_key")]
        assert con.execute("SELECT value FROM build_log WHERE name = 'missing.null_token'").fetchone()[0] == 3


def test_wide_bo_file_loads(tmp_path):
    bo = tmp_path / "bo"
    bo.mkdir()
    head = ["staff_id", "name", "email", "role", "team", "start_date", "end_date", "hourly_cost_eur"]
    extra = [f"custom {i}" for i in range(300)]
    lines = [head + extra, ["s1", "Ann", "a@x.fr", "sales", "T1", "2024-01-02", "", "10"] + ["null"] * 300,
             ["s2", "Bob", "b@x.fr", "sales", "T1", "2024-01-02", "", "10"] + [""] * 300]
    (bo / "staff.csv").write_text("\n".join(",".join(r) for r in lines) + "\n", encoding="utf-8")
    build(crm=None, bo=bo, db=tmp_path / "w.duckdb")
    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT staff_id, name FROM staff ORDER BY 1").fetchall() == [("s1", "Ann"), ("s2", "Bob")]
        assert con.execute("SELECT value FROM build_log WHERE name = 'missing.null_token'").fetchone()[0] == 300
