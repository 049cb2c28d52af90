"""The quarantined rows on the Data page: the first rows on screen, every row in the download.

At a million deals the quarantine holds hundreds of thousands of rows with their raw JSON:
drawing them all and building their CSV on every visit took seconds. The page shows the first
rows with the total, and reads the whole table only when its download is clicked.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from app.ui import widgets
from app.ui.state import cached, warehouse_path
from core.metrics.quality import quarantined_count, quarantined_rows


def _all_quarantined(db: Path) -> pd.DataFrame:
    # Runs when the download is clicked, outside the page's run: its own read-only connection.
    from core.warehouse import connect

    with connect(db) as con:
        return quarantined_rows(con)


def quarantine_table() -> None:
    """The quarantined rows in file order (a preview when there are many), with the full CSV download."""
    total = cached(quarantined_count)
    if total == 0:
        widgets.empty_state("No row was quarantined.")
        return
    widgets.show_table(cached(quarantined_rows, limit=widgets.PREVIEW_ROWS), key="data_quarantine",
                       name="quarantined rows", height=320, full=partial(_all_quarantined, warehouse_path()),
                       total=total)
