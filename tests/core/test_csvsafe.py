import io

import pandas as pd

from core.csvsafe import to_csv_bytes


def test_formula_triggers_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame({"name": ["=1+1", "+33 6", "-x", "@SUM(A1)", "\tcmd", "\rx", "Acme"], "amount": [-5, 1, 2, 3, 4, 5, 6]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig", keep_default_na=False)
    assert list(back["name"]) == ["'=1+1", "'+33 6", "'-x", "'@SUM(A1)", "'\tcmd", "'\rx", "Acme"]
    assert list(back["amount"]) == [-5, 1, 2, 3, 4, 5, 6]
