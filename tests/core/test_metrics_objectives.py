from datetime import date

import pytest

from core.errors import UserError
from core.filters import Filters
from core.metrics.objectives import COLUMNS, jobs_needed
from tests.core.fixtures_analytics_b import HOSTILE, agency
from tests.helpers import warehouse


@pytest.fixture
def con():
    return agency()


def test_jobs_needed_by_mix(con):
    df = jobs_needed(con, Filters(), 52000.0)
    assert list(df.columns) == COLUMNS
    assert df["job_type"].tolist() == ["Dev", "Sales", "All"]
    # Dev: 3 jobs, all decided, 1 filled at 10 000 €; Sales: 2 jobs, 1 decided and filled at 8 000 €.
    assert df["share_of_jobs"].tolist() == pytest.approx([0.6, 0.4, 1.0])
    assert df["fill_rate"].tolist() == pytest.approx([1 / 3, 1.0, 0.6])
    assert df["avg_fee"].tolist() == pytest.approx([10000.0, 8000.0, 5200 / 0.6])
    assert df["expected_fee_per_job"].tolist() == pytest.approx([10000 / 3, 8000.0, 5200.0])
    # 52 000 / 5 200 = 10 jobs a month: 6 Dev, 4 Sales.
    assert df["jobs_needed"].tolist() == pytest.approx([6.0, 4.0, 10.0])
    total = df.iloc[-1]
    assert 52000 / (total["fill_rate"] * total["avg_fee"]) == pytest.approx(total["jobs_needed"])


def test_undecided_type_stays_out_of_the_mix(con):
    df = jobs_needed(con, Filters(date_from=date(2023, 1, 1)), 8000.0)
    # Sales: J3 filled (8 000 €), J4 open; Dev: J5 cancelled -> fill 0, expected 0.
    rows = df.set_index("job_type")
    assert rows.loc["Sales", "fill_rate"] == 1.0 and rows.loc["Dev", "expected_fee_per_job"] == 0.0
    # Shares 2/3 Sales, 1/3 Dev: one job opened is expected to bring 2/3 × 8 000 €.
    assert rows.loc["All", "jobs_needed"] == pytest.approx(8000 / (2 / 3 * 8000))
    only_open = jobs_needed(con, Filters(date_from=date(2023, 6, 1), job_types=("Sales",)), 8000.0)
    assert only_open["job_type"].tolist() == ["Sales", "All"]
    assert only_open[COLUMNS[1:]].isna().all().all()


def test_no_fill_gives_no_answer(con):
    df = jobs_needed(con, Filters(date_from=date(2022, 3, 1), date_to=date(2022, 12, 31)), 1000.0)
    assert df["expected_fee_per_job"].tolist() == [0.0, 0.0]
    assert df["jobs_needed"].isna().all()


def test_empty_and_hostile(con):
    empty = jobs_needed(warehouse({}), Filters(), 1000.0)
    assert list(empty.columns) == COLUMNS and empty.empty
    for text in HOSTILE:
        assert jobs_needed(con, Filters(teams=(text,), sales=(text,), job_types=(text,)), 1.0).empty
    assert con.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 5


def test_negative_objective_is_refused(con):
    with pytest.raises(UserError, match="objective"):
        jobs_needed(con, Filters(), -1.0)
