"""Storing uploaded exports safely under the data folder.

Uploaded files are written only inside the uploads folder (`$CROSSVIEW_UPLOADS`, else
data/uploads): the CRM file under `crm/` with a cleaned-up name, BO files under `bo/` only
when their name is one of the BO export's files, so no name a user sends can point elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from app.ui.state import ROOT
from core.schema import BO_INPUT_COLUMNS

CRM_TYPES = ("csv", "txt", "tsv", "xlsx")
BO_TYPES = ("csv", "txt", "tsv", "xlsx")
UPLOADS_ENV = "CROSSVIEW_UPLOADS"


class Uploaded(Protocol):
    """What `st.file_uploader` returns for one file."""

    name: str

    def getvalue(self) -> bytes: ...


def uploads_dir() -> Path:
    """Where uploads are kept: `$CROSSVIEW_UPLOADS`, else data/uploads."""
    configured = os.environ.get(UPLOADS_ENV)
    return Path(configured).expanduser().resolve() if configured else ROOT / "data" / "uploads"


def safe_name(name: str, default: str = "export") -> str:
    """A file name that cannot leave its folder: no directories, no leading dot, plain characters."""
    base = Path(name.replace("\\", "/")).name.lstrip(".")
    stem, dot, ext = base.rpartition(".")
    stem = re.sub(r"[^\w\- ]+", "_", stem if dot else base).strip(" ._")[:80] or default
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext if dot else "")[:5].lower()
    return f"{stem}.{ext}" if ext else stem


def save_export(upload: Uploaded, kind: str = "crm") -> Path:
    """Write a single-file export under uploads/<kind>/ (replacing the previous one) and return its path.

    Args:
        kind: `crm` (the deals export), `teams` or `accounts` (the CRM-only extras).
    """
    if kind not in ("crm", "teams", "accounts"):
        raise ValueError(f"unknown export kind {kind!r}")
    folder = uploads_dir() / kind
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / safe_name(upload.name, f"{kind}_export")
    path.write_bytes(upload.getvalue())
    return path


def bo_table(name: str) -> str | None:
    """The BO file an uploaded file stands for (`Jobs.CSV` → `jobs`), None when it is not one."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0].strip().lower().replace(" ", "_").replace("-", "_")
    return stem if stem in BO_INPUT_COLUMNS else None


def save_bo(uploads: Iterable[Uploaded]) -> tuple[Path, list[str], list[str]]:
    """Write the BO files under uploads/bo/ (a new set replaces the previous one).

    Returns:
        (folder, files kept, names refused because they are not BO export files).
    """
    folder = uploads_dir() / "bo"
    kept: list[str] = []
    refused: list[str] = []
    files = list(uploads)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for upload in files:
        table = bo_table(upload.name)
        if table is None:
            refused.append(upload.name)
            continue
        ext = safe_name(upload.name).rsplit(".", 1)[-1] if "." in upload.name else "csv"
        target = folder / f"{table}.{ext if ext in BO_TYPES else 'csv'}"
        target.write_bytes(upload.getvalue())
        kept.append(target.name)
    return folder, sorted(kept), refused


def missing_bo_files(folder: Path) -> list[str]:
    """BO files the folder lacks (by table name)."""
    present = {p.name.rsplit(".", 1)[0] for p in folder.glob("*")} if folder.exists() else set()
    return [name for name in BO_INPUT_COLUMNS if name not in present]
