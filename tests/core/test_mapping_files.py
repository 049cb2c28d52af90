"""Mapping files that cannot be used are refused with exit 2 and a sentence: file, 1-based line, fix.

Every case is generated here (none is committed); each one ended in a traceback, a hang or a silent
misreading before (issue 16, item 6). `company: null` is a valid mapping: the export has no company.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.__main__ import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crm_layouts"
CRM = FIXTURES / "hubspot_en.csv"

ALIAS_BOMB = "\n".join([
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    *(f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]" for p, x in zip("abcdefgh", "bcdefghi")),
]) + "\n"

CASES = [
    # name, bytes, words the message must hold, 1-based line (None: no line)
    ("cp1252.json", '{"crm": {"deal_name": "Intitulé"}}'.encode("cp1252"), "not UTF-8", 1),
    ("utf16.yaml", "crm:\n  deal_id: Record ID\n".encode("utf-16"), "UTF-16", 1),
    ("list.yaml", b"crm: [a, b]\n", "not a list", 1),
    ("hello.yaml", b"stages: {}\ncrm: hello\n", "not the text 'hello'", 2),
    ("number.yaml", b"crm:\n  deal_id: 5\n", "found the number 5", 2),
    ("deep.yaml", b"[" * 5000 + b"]" * 5000, "nested more than", 1),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested more than", 1),
    ("bomb.yaml", ALIAS_BOMB.encode(), "alias", 2),
    ("syntax.yaml", b"crm:\n  deal_id: Record ID\n  amount: [\n", "cannot be read as YAML", 4),
    ("syntax.json", b'{\n  "crm": {"deal_id": "Record ID",}\n}\n', "cannot be read as JSON", 2),
    ("section.json", b'{\n  "crm": {"deal_id": "Record ID"},\n  "colour": 1\n}\n', "colour", 3),
    ("field.yaml", b"crm:\n  deal_id: Record ID\n  colour: x\n", "colour", 3),
    ("stage.yaml", b"crm:\n  deal_id: Record ID\nstages:\n  Won: maybe\n", "maybe", 4),
    ("top.yaml", b"- crm\n- stages\n", "sections", 1),
    ("order.yaml", b"date_order: ymd\n", "date_order", 1),
    ("rates.yaml", b"currency_rates:\n  USD: abc\n", "currency_rates", 2),
    ("big.yaml", b"# " + b"x" * (2 << 20) + b"\n", "bytes", None),
    ("teams.yaml", b"teams:\n  name: [1, 2]\n", "'teams.name'", 2),
]


def _run(tmp_path: Path, mapping: Path, capsys) -> tuple[int, str]:
    code = main(["build", "--crm", str(CRM), "--db", str(tmp_path / "w.duckdb"), "--mapping", str(mapping)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name,data,words,line", CASES, ids=[c[0] for c in CASES])
def test_unusable_mapping_is_refused_with_file_line_and_fix(tmp_path, capsys, name, data, words, line):
    mapping = tmp_path / name
    mapping.write_bytes(data)
    code, err = _run(tmp_path, mapping, capsys)
    assert code == 2
    assert err.startswith(f"error: {name}") and words in err and "Traceback" not in err
    if line is not None:
        assert err.startswith(f"error: {name}, line {line}:")
    assert not (tmp_path / "w.duckdb").exists()


def test_mapping_folder_is_refused(tmp_path, capsys):
    (tmp_path / "mapping.yaml").mkdir()
    code, err = _run(tmp_path, tmp_path / "mapping.yaml", capsys)
    assert code == 2 and "folder" in err


def test_mapping_header_absent_from_the_export_is_named(tmp_path, capsys):
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"crm": {"created_at": "engage_dat"}}))
    code, err = _run(tmp_path, mapping, capsys)
    assert code == 2 and "hubspot_en.csv" in err and "'engage_dat'" in err and "created_at: null" in err


def test_teams_mapping_header_absent_from_the_teams_file_is_named(tmp_path, capsys):
    teams = tmp_path / "teams.csv"
    teams.write_text("name,team\nAlice Martin,North\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("teams:\n  name: sales_agnt\n")
    code = main(["build", "--crm", str(CRM), "--teams", str(teams), "--db", str(tmp_path / "w.duckdb"),
                 "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2 and "teams.csv" in err and "'sales_agnt'" in err and "teams.name" in err


def test_company_null_means_the_export_has_no_company(tmp_path, capsys):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("crm:\n  company: null\n")
    code, err = _run(tmp_path, mapping, capsys)
    assert code == 0, err
    from core.warehouse import connect

    with connect(tmp_path / "w.duckdb") as con:
        assert con.execute("SELECT count(*), count(company) FROM deals").fetchone() == (240, 0)


def test_unrecognised_layout_proposes_a_mapping_that_works(tmp_path, capsys):
    """The refusal's snippet, saved as it is, builds the file."""
    crm = tmp_path / "opps.csv"
    crm.write_text("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
                   "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
                   "Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Lost,2016-10-25,2017-01-11,\n"
                   "EC4QE1BX,Darcel Schlecht,MG Special,Cancity,Won,2016-10-25,2017-03-07,55\n")
    code = main(["build", "--crm", str(crm), "--db", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert "deal_id     -> 'opportunity_id' (e.g. '1C1I7A6R', 'Z063OYW0') recognised" in err
    assert "amount      -> 'close_value' (e.g. '1054', '55')" in err
    snippet = err[err.index("{"):]
    (tmp_path / "mapping.json").write_text(snippet)
    assert json.loads(snippet)["crm"]["created_at"] == "engage_date"
    code = main(["build", "--crm", str(crm), "--db", str(tmp_path / "w.duckdb"),
                 "--mapping", str(tmp_path / "mapping.json")])
    assert code == 0, capsys.readouterr().err
