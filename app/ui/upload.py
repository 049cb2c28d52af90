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
from core.errors import InputFileError, UserError
from core.io.readers import XLSX_SUFFIXES, check_workbook
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


def _write(path: Path, upload: Uploaded) -> None:
    """Write an uploaded file; a workbook is unpacked once to check its size (see `check_workbook`).

    Raises:
        InputFileError: a workbook that unpacks past the reader's limit (the file is removed).
    """
    data = upload.getvalue()
    path.write_bytes(data)
    if path.suffix.lower() in XLSX_SUFFIXES or data[:4] == b"PK\x03\x04":
        try:
            check_workbook(path)
        except InputFileError as err:
            path.unlink(missing_ok=True)
            raise InputFileError(upload.name, str(err).split(": ", 1)[1]) from err


def save_export(upload: Uploaded, kind: str = "crm") -> Path:
    """Write a single-file export under uploads/<kind>/ (replacing the previous one) and return its path.

    Args:
        kind: `crm` (the deals export), `teams` or `accounts` (the CRM-only extras).

    Raises:
        InputFileError: a workbook too large once unpacked (nothing is kept).
    """
    if kind not in ("crm", "teams", "accounts"):
        raise ValueError(f"unknown export kind {kind!r}")
    folder = uploads_dir() / kind
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / safe_name(upload.name, f"{kind}_export")
    _write(path, upload)
    return path


def bo_table(name: str) -> str | None:
    """The BO file an uploaded file stands for (`Jobs.CSV` → `jobs`), None when it is not one."""
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0].strip().lower().replace(" ", "_").replace("-", "_")
    return stem if stem in BO_INPUT_COLUMNS else None


def save_bo(uploads: Iterable[Uploaded]) -> tuple[Path, list[str], list[str]]:
    """Write the BO files under uploads/bo/ (a new set replaces the previous one).

    Returns:
        (folder, files kept, names refused because they are not BO export files).

    Raises:
        UserError: two files stand for the same BO file (`Jobs.CSV` and `jobs.csv`), or a workbook is
            too large once unpacked; the previous set is then left as it was, or nothing is kept.
    """
    folder = uploads_dir() / "bo"
    kept: list[str] = []
    refused: list[str] = []
    files = list(uploads)
    tables: dict[str, list[str]] = {}
    for upload in files:
        table = bo_table(upload.name)
        if table is not None:
            tables.setdefault(table, []).append(upload.name)
    clashes = [names for names in tables.values() if len(names) > 1]
    if clashes:
        both = "; ".join(" and ".join(names) for names in clashes)
        raise UserError(f"{both}: these files are the same BO file, so one of them would be left out. "
                        "Upload only one file of each kind.")
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
        try:
            _write(target, upload)
        except InputFileError:
            shutil.rmtree(folder)
            raise
        kept.append(target.name)
    return folder, sorted(kept), refused


def missing_bo_files(folder: Path) -> list[str]:
    """BO files the folder lacks (by table name)."""
    present = {p.name.rsplit(".", 1)[0] for p in folder.glob("*")} if folder.exists() else set()
    return [name for name in BO_INPUT_COLUMNS if name not in present]
