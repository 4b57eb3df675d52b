"""Read a table file (CSV, Parquet, Excel) as it is, before any typing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import DataError

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet",
            ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel"}


def read_table(path, *, sheet=0) -> pd.DataFrame:
    """Read a CSV/TSV (all cells as text), Parquet or Excel file.

    CSV cells are kept as text, so that typing and its error messages happen
    in one place (:mod:`servicekpi.parsing`).  Raises :class:`DataError`
    naming the file when it is missing, empty or unreadable.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"unsupported file type {path.suffix!r}: expected one of "
                        f"{', '.join(sorted(SUFFIXES))}", source=str(path))
    if not path.is_file():
        raise DataError("file not found", source=str(path))
    try:
        if kind in ("csv", "tsv"):
            df = pd.read_csv(path, dtype=str, keep_default_na=False,
                             sep="\t" if kind == "tsv" else ",",
                             encoding="utf-8-sig", skipinitialspace=False)
        elif kind == "parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_excel(path, sheet_name=sheet, dtype=object)
    except pd.errors.EmptyDataError:
        raise DataError("file is empty (no header row)", source=str(path)) from None
    except Exception as exc:  # parser errors, corrupt files, ...
        raise DataError(f"cannot read as {kind}: {exc}", source=str(path)) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df
