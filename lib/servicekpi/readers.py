"""Read a table file (CSV, Parquet, Excel) as it is, before any typing.

Real exports are not all UTF-8 with commas: a spreadsheet program re-saves
them in the machine's code page (GB18030/GBK on Chinese Windows, Windows-1252
in Western Europe), with semicolons where the decimal mark is a comma, with
an Excel ``sep=;`` hint line, or as a workbook whose first sheet is a cover
page.  :func:`read_table` detects each of these (or takes them as declared)
and records what it decided in ``frame.attrs["read"]``, so the data-quality
summary can say how the file was read.
"""
from __future__ import annotations

import codecs
import csv
import functools
import os
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import config, parsing
from .errors import ConfigError, DataError
from .i18n import msg

SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet",
            ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel"}

#: Delimiters tried when a CSV does not declare one, in order of preference.
DELIMITERS = (",", ";", "\t", "|")
#: How many leading rows may come before the header (titles, notes, filters).
HEADER_SEARCH_ROWS = 15
_SAMPLE_BYTES = 1 << 20
#: Lines of a CSV's start its delimiter is told from (records with descriptions
#: over many lines take many).
SNIFF_LINES = 400


def use_system_allocator() -> None:
    """Let Arrow allocate with the system allocator (``malloc``), not its
    default mimalloc, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses a pool.

    Called once, when this module is first imported (a bare ``import
    servicekpi`` is lazy and does not import it; every command, the runner's
    workers, the report kernels and every loader of data do), so servicekpi
    reads exports and works on pandas' Arrow-backed text columns with it.  Why:
    loading a 1M-row Parquet export took 1.1 s with the system allocator and
    3.3 s with mimalloc on the project's 2-core machine, which spent 2.9 s of
    it in the operating system's page-fault handling (mimalloc's way of
    committing and returning memory; the system allocator took more page
    faults but 0.4 s of system time).  Buffers Arrow already allocated stay
    with their own pool.  Set ``ARROW_DEFAULT_MEMORY_POOL=mimalloc`` (or
    ``jemalloc``) to keep Arrow's choice."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa
    pa.set_memory_pool(pa.system_memory_pool())


use_system_allocator()


@dataclass
class Plan:
    """What to do with a table's columns while reading it, decided from its header.

    ``keep``: the columns to read (None: all).  ``typed``: column -> keyword
    arguments of :func:`servicekpi.parsing.fast_column` (its ``kind``, missing
    spellings, ...): text columns typed as they are read when every cell is
    in a form that reads one way only, else left as text.
    """

    keep: set[str] | None = None
    typed: dict[str, dict] = field(default_factory=dict)


def read_table(path, *, sheet=None, encoding: str | None = None,
               delimiter: str | None = None, nrows: int | None = None,
               fits: Callable[[list[str]], float] | None = None,
               plan: Callable[[list[str]], Plan] | None = None) -> pd.DataFrame:
    """Read a CSV/TSV (all cells as text), Parquet or Excel file.

    Parameters
    ----------
    path : str or Path
    sheet : str or int, optional
        Excel sheet.  Default: the first sheet whose header ``fits`` (the
        first sheet when no ``fits`` is given, or none fits).
    encoding, delimiter : str, optional
        For CSV.  Default: detected (see :func:`detect_encoding`: a BOM's
        UTF-8, UTF-16 or UTF-32, else UTF-8 when the whole file is, else
        the most plausible of GB18030, Big5 and Windows-1252, or an error
        asking to declare it; the delimiter that splits the first lines into
        the same number of fields, or the ``sep=`` hint line that Excel
        writes).
    nrows : int, optional
        Read only the first ``nrows`` data rows (a sample).
    fits : callable, optional
        Scores a candidate header (list of column names) above 0 when it is
        the header wanted.  Used to choose the sheet and to skip title rows
        above the header (up to 15).
    plan : callable, optional
        Given the header (column names as they will be), returns a
        :class:`Plan`: the columns to keep and those to type while reading.
        A UTF-8 CSV is then read in blocks by pyarrow and never held whole as
        text; other files are read whole, then planned.

    CSV cells are kept as text, so that typing and its error messages happen
    in one place (:mod:`servicekpi.parsing`).  Raises :class:`DataError`
    naming the file when it is missing, empty or unreadable.  What was
    decided is in ``frame.attrs["read"]`` (with ``renamed``: {new name: name
    as written} when duplicate headers were renamed ``name.1``, ``name.2``...).
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"unsupported file type {path.suffix!r}: expected one of "
                        f"{', '.join(sorted(SUFFIXES))}", source=str(path))
    if not path.is_file():
        raise DataError("file not found", source=str(path))
    if kind == "excel":
        kind = _workbook_or_text(path)
    info: dict = {"format": kind}
    header = None   # the header cells as written, when pandas may have renamed some
    try:
        if kind in ("csv", "tsv"):
            df, header = _read_csv(path, info, encoding=encoding,
                                   delimiter=delimiter or ("\t" if kind == "tsv" else None),
                                   nrows=nrows, fits=fits, plan=plan)
        elif kind == "parquet":
            df = _read_parquet(path, info, nrows=nrows, plan=plan)
            header = None
        else:
            df, header = _read_excel(path, info, sheet=sheet, nrows=nrows, fits=fits)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError("file is empty (no header row)", source=str(path)) from None
    except pd.errors.ParserError as exc:
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if ragged is None:
            raise DataError(f"cannot read as {kind}: {_first_line(exc)}",
                            source=str(path)) from None
        n, line, m = ragged.groups()
        sep = {"\t": "tab"}.get(info.get("delimiter"), repr(info.get("delimiter", ",")))
        raise DataError(f"line {line} has {m} cells where the header has {n}: a value "
                        f"holding the delimiter {sep} without quotes around it? Quote "
                        "that value (\"...\"), or export the file again",
                        source=str(path)) from None
    except Exception as exc:
        # Broad on purpose: the third-party readers (pandas' CSV parser, pyarrow,
        # openpyxl, xlrd) fail on a corrupt or mislabelled file in ways they do not
        # document (ArrowInvalid, BadZipFile, KeyError, OSError, ...).  The reason
        # is kept: its first line is quoted in the DataError.
        raise DataError(f"cannot read as {kind}: {_first_line(exc)}",
                        source=str(path)) from None
    if not df.attrs.get("planned"):
        df.columns, renamed = _unique(_as_written(df.columns, header))
        if renamed:
            info["renamed"] = renamed
        if plan is not None:
            df = _apply_plan(df, plan(list(df.columns)))
    if kind != "parquet":
        df = _drop_footer(df, info)
    df.attrs = {"read": info}
    return df


def _apply_plan(df: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """A frame read whole, with ``plan`` applied (the columns kept, the ones it types
    typed where the fast path reads every cell)."""
    import pyarrow as pa

    if plan.keep is not None:
        df = df[[c for c in df.columns if c in plan.keep]]
    typed = {}
    for name, options in plan.typed.items():
        if name in df.columns and parsing.is_texty(df[name]):
            values = parsing.fast_column(parsing.arrow_text(df[name]), **options)
            if values is not None:
                typed[name] = arrow_to_pandas(pa.table({name: values}))[name].set_axis(df.index)
    return df.assign(**typed) if typed else df


def _read_parquet(path: Path, info: dict, *, nrows, plan) -> pd.DataFrame:
    """A Parquet file read by row groups: only the planned columns, text columns
    typed group by group (:func:`_read_csv_arrow` does the same for CSV, block
    by block)."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path)
    names, renamed = _unique([str(c).strip() for c in f.schema_arrow.names])
    if renamed:
        info["renamed"] = renamed
    todo = plan(names) if plan is not None else Plan()
    keep = [i for i, n in enumerate(names) if (todo.keep is None or n in todo.keep)
            and not re.fullmatch(r"__index_level_\d+__", n)]   # pandas' index: not data
    blocks = _Blocks({names[i]: f.schema_arrow.field(i).type for i in keep}, todo)
    columns = [f.schema_arrow.names[i] for i in keep]

    def groups():
        """Whole row groups (Arrow decodes a group's columns on its threads, and a
        group's column comes as one block, not many pandas would have to join):
        at 10M rows 1.9-2.2 s and 2.0 GB against 2.9-3.1 s and 3.1 GB in batches
        of 131,072 rows.  A group of more than twice :data:`_PARQUET_ROWS` rows
        (one group for a whole file) in batches of that many, so that a text
        column is not held whole before it is typed."""
        for g in range(f.num_row_groups):
            if f.metadata.row_group(g).num_rows <= 2 * _PARQUET_ROWS:
                yield f.read_row_group(g, columns=columns)
            else:
                yield from f.iter_batches(batch_size=_PARQUET_ROWS, row_groups=[g],
                                          columns=columns)

    parts = (f.iter_batches(batch_size=max(min(nrows, 1 << 17), 1), columns=columns)
             if nrows is not None else groups())   # the first rows only: a batch of them
    rows = 0
    for part in parts:
        if nrows is not None:
            part = part.slice(0, max(nrows - rows, 0))
        rows += part.num_rows
        for i, col in zip(keep, part.columns):
            for block in getattr(col, "chunks", [col]):   # a group's column: chunked
                blocks.add(names[i], block)
        part = col = None                 # not held while the next part is read
        if nrows is not None and rows >= nrows:
            break
    again = set(blocks.again())
    for i in keep:
        if names[i] in again:             # read whole, as text
            col = f.read(columns=[f.schema_arrow.names[i]]).column(0)
            blocks.chunks[names[i]] = (col if nrows is None else col.slice(0, nrows)).chunks
    df = arrow_to_pandas(blocks.table()) if keep else pd.DataFrame(index=range(rows))
    df.attrs["planned"] = True
    return df


class _UniqueKeys(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping: the last
    would win without a word (``language: zh`` ... ``language: en``)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":   # '<<: *base': merged below
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:           # an unhashable key: PyYAML's own error follows
                continue
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice (first on line "
                    f"{first.start_mark.line + 1}); keep one", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path, *, error: type = ConfigError, source: str | None = None):
    """The data in a YAML file (None when it is empty).

    Every way the file can fail to read is one ``error`` (:class:`ConfigError`
    by default) naming it (``source``, default the path): cannot be opened,
    not UTF-8, not valid YAML (a key written twice in one mapping included), or
    nested too deeply to parse (thousands of ``[[[...]]]``, which would exhaust
    Python's recursion limit)."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys)
    except (OSError, UnicodeDecodeError, RecursionError, yaml.YAMLError) as exc:
        raise error(yaml_problem(exc), source=source or str(path)) from None


def yaml_problem(exc: BaseException) -> str:
    """One line saying why a YAML file could not be read, for the exceptions
    :func:`read_yaml` turns into problems."""
    if isinstance(exc, UnicodeDecodeError):
        line = exc.object[:exc.start].count(b"\n") + 1
        return (f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}): "
                "save the file as UTF-8")
    if isinstance(exc, RecursionError):
        return ("YAML nested too deeply to read (lists or mappings inside each other "
                "hundreds of levels deep): expected a few levels of keys and lists")
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or (str(exc).strip().splitlines() or [""])[0]
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"not valid YAML: {what}{where}"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return _first_line(exc)


def _workbook_or_text(path: Path) -> str:
    """``"excel"`` for a workbook; ``"csv"`` for delimited text given a workbook's
    name (systems export tab-separated text as .xls).  A web page given one (an HTML
    table, as Salesforce Classic's and Jira's Excel exports write), or an Excel
    97-2003 workbook with no reader for it installed, is refused saying what to do."""
    import importlib.util

    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK"):                       # .xlsx / .xlsm: a zip
        return "excel"
    if head.startswith(b"\xd0\xcf\x11\xe0"):          # Excel 97-2003 (OLE2)
        if importlib.util.find_spec("xlrd"):         # pandas' reader for .xls
            return "excel"
        raise DataError("an Excel 97-2003 workbook (.xls), which servicekpi does not read: "
                        "save it as .xlsx or CSV, or export it from the system as CSV",
                        source=str(path))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<"):                        # markup, not rows of cells
        if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
            what = "an Excel 2003 XML spreadsheet"
        else:
            what = ("a web page (an HTML table, as Salesforce Classic's and Jira's Excel "
                    "exports write)")
        raise DataError(f"{what} with a workbook's name: export it as CSV instead, or "
                        "open it in a spreadsheet and save it as .xlsx or CSV",
                        source=str(path))
    if head.strip() and (b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return "csv"                                 # text (UTF-16 with its BOM)
    return "excel"


#: The whole first cell of a report's totals line ("Grand Totals (618 records)",
#: "Total", "Summe:", "合计"), whose other cells are sums or counts.
TOTALS = re.compile(r"(?:(?:grand\s+)?totals?|sum|summe|gesamt(?:summe)?|totaal|totale|"
                    r"total\s+général|総計|合计|总计|小计)\s*(?:\(\s*[\d.,\s]+\s*records?\s*\))?"
                    r"\s*:?", re.IGNORECASE)
#: A total beside it: a number, maybe with a percent sign or a word (8 tickets).
_NUMBER = re.compile(r"[-+]?[\d\s.,]*\d[\d\s.,]*(?:\s*%|\s+[^\W\d_]+)?")


def _totals_line(cells: list[str]) -> bool:
    """A line's filled cells are a totals label and totals only."""
    return (len(cells) > 1 and TOTALS.fullmatch(cells[0]) is not None
            and all(_NUMBER.fullmatch(c) for c in cells[1:]))


def _drop_footer(df: pd.DataFrame, info: dict) -> pd.DataFrame:
    """Leave out trailing lines that are not rows: blank lines, report footers
    ("Generated by ...", a copyright line) with at most one cell filled, and
    totals lines (a :data:`TOTALS` label, then numbers only)."""
    if df.shape[1] < 3 or df.empty:
        return df
    k = 0
    while k < len(df):   # footers are a few lines: look at the tail only
        tail = df.iloc[max(0, len(df) - k - 20): len(df) - k]
        text = tail.astype("string").apply(lambda c: c.str.strip())
        cells = tail.notna() & (text != "")
        filled = cells.sum(axis=1).to_numpy()
        totals = np.array([_totals_line([str(v) for v in row[mask]]) for (_, row), (_, mask)
                           in zip(text.iterrows(), cells.iterrows())], dtype=bool)
        data = ((filled > 1) & ~totals)[::-1]
        more = int(np.argmax(data)) if data.any() else len(data)
        k += more
        if more < len(filled):
            break
    if k:
        info["footer_rows"] = k
        df = df.iloc[: len(df) - k]
    return df


def describe_read(info: dict, *, language: str = "en") -> str:
    """One phrase saying how a file was read (for the data-quality summary), in
    ``language`` (messages ``data.read.*``)."""
    parts = [msg("data.read.format", language, format=info.get("format", "?"))]
    if "encoding" in info:
        enc = info["encoding"]
        parts.append(msg("data.read.encoding_named", language, encoding=enc,
                         name=_ENCODING_NAMES[enc]) if enc in _ENCODING_NAMES
                     else msg("data.read.encoding", language, encoding=enc))
    if "delimiter" in info:
        d = info["delimiter"]
        parts.append(msg("data.read.delimiter", language,
                         delimiter=msg(f"data.read.{_DELIM_NAMES[d]}", language)
                         if d in _DELIM_NAMES else repr(d)))
    if info.get("sheet") is not None:
        parts.append(msg("data.read.sheet", language, sheet=info["sheet"]))
    if info.get("header_row", 1) != 1:
        parts.append(msg("data.read.header_row", language, row=info["header_row"]))
    if info.get("footer_rows"):
        parts.append(msg("data.read.footer_rows", language, count=info["footer_rows"]))
    if info.get("renamed"):
        parts.append(msg("data.read.renamed", language, pairs=", ".join(
            f"{old} -> {new}" for new, old in info["renamed"].items())))
    return msg("data.read.separator", language).join(parts)


_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Plain names of encodings whose codec name says little.
_ENCODING_NAMES = {"cp950": "Big5"}


# ------------------------------------------------------------------ CSV
def _read_csv(path: Path, info: dict, *, encoding, delimiter, nrows, fits, plan=None
              ) -> tuple[pd.DataFrame, list[str] | None]:
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise pd.errors.EmptyDataError
    enc = encoding or detect_encoding(sample, whole_file=path)
    info["encoding"] = enc
    try:
        text = sample.decode(enc, errors="strict" if len(sample) < _SAMPLE_BYTES else "ignore")
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"cannot decode as {enc}: {exc}; {_DECLARE}", source=str(path)) from None
    lines = text.splitlines()
    skip = 0
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter = delimiter or lines[0].strip()[4]   # Excel's "sep=;" hint line
        skip = 1
        lines = lines[1:]
    delim = delimiter or sniff_delimiter(lines[:SNIFF_LINES])
    info["delimiter"] = delim
    header_at = 0
    if fits is not None:
        header_at = _header_row(_split(lines[:HEADER_SEARCH_ROWS + 1], delim), fits)
    info["header_row"] = skip + header_at + 1
    blanks = next((i for i, ln in enumerate(lines[header_at:]) if ln.strip()), 0)
    first = [ln for ln in lines[header_at:] if ln.strip()][:1]   # pandas skips blank lines
    header = _split(first, delim)[0] if first else None
    # pyarrow checks UTF-8 only in the columns it reads: a declared encoding is
    # checked over the whole file first (a detected one was, by detect_encoding)
    if header and codecs.lookup(enc).name in _ARROW_ENCODINGS and (
            encoding is None or _scan(sample, path).utf8):
        df = _read_csv_arrow(path, info, skip_rows=skip + header_at + blanks, delim=delim,
                             header=header, nrows=nrows, plan=plan)
        if df is not None:
            return df, None
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=delim, encoding=enc,
                         skiprows=skip + header_at, nrows=nrows, skipinitialspace=False,
                         encoding_errors="strict")
    except UnicodeDecodeError as exc:
        raise DataError(f"not all of the file decodes as {enc} ({exc.reason}: byte "
                        f"{exc.object[exc.start:exc.start + 1].hex(' ').upper()}); {_DECLARE}",
                        source=str(path)) from None
    return df, header


#: Encodings pyarrow's CSV reader reads as they are (it skips a UTF-8 byte-order mark).
_ARROW_ENCODINGS = {"utf-8", "utf-8-sig"}
#: The largest block pyarrow's CSV reader reads at a time (:func:`csv_block_size`).
_ARROW_BLOCK = 1 << 22
#: The smallest block (:func:`csv_block_size`).
_ARROW_MIN_BLOCK = 1 << 20
#: Blocks pyarrow's CSV reader reads ahead of the one being converted: its
#: background reader's queue (``kDefaultBackgroundMaxQ`` in Arrow's C++ source).
_ARROW_READ_AHEAD = 32
#: The raw blocks read ahead hold 1/_READ_AHEAD_SHARE of the file (:func:`csv_block_size`).
_READ_AHEAD_SHARE = 4
#: Rows of a Parquet file's large row group read at a time (:func:`_read_parquet`).
_PARQUET_ROWS = 1 << 20


def _read_csv_arrow(path: Path, info: dict, *, skip_rows: int, delim: str, header: list[str],
                    nrows: int | None, plan) -> pd.DataFrame | None:
    """A UTF-8 CSV read by pyarrow's multi-threaded reader, in blocks, every cell as text.

    The columns ``plan`` (given the header) leaves out are not kept, and the
    ones it types are typed block by block (:func:`servicekpi.parsing.fast_column`),
    so the whole file is never held as text.  A column some cell of which the
    fast path cannot read is read again as text, for the tolerant parsers.
    Returns None when pyarrow's reader does not read the file as pandas'
    would (a row with more or fewer cells than the header, a header that is
    not the one found): pandas then reads it, as before.
    """
    import pyarrow as pa
    import pyarrow.csv as pv

    # named as pandas names them: an empty header cell is "Unnamed: <position>"
    names, renamed = _unique([str(h).strip() or f"Unnamed: {i}" for i, h in enumerate(header)])
    todo = plan(names) if plan is not None else Plan()
    keep = [i for i, n in enumerate(names) if todo.keep is None or n in todo.keep]
    generated = [f"c{i}" for i in range(len(names))]
    ragged = []
    block = csv_block_size(path.stat().st_size)

    def reader(columns):
        return pv.open_csv(
            path, read_options=pv.ReadOptions(skip_rows=skip_rows, column_names=generated,
                                              block_size=block),
            parse_options=pv.ParseOptions(delimiter=delim, newlines_in_values=True,
                                          invalid_row_handler=lambda row: ragged.append(row)
                                          or "skip"),
            convert_options=pv.ConvertOptions(
                column_types={g: pa.string() for g in generated},
                include_columns=[generated[i] for i in columns], strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]))

    def batches(columns):
        """The data rows' batches (the header row checked and left out), nrows at most."""
        rows, first = 0, True
        for batch in reader(columns):
            if first:
                if not batch.num_rows or [str(v).strip() for v in
                                          batch.slice(0, 1).to_pylist()[0].values()] != [
                        str(header[i]).strip() for i in columns]:
                    ragged.append("header")
                    return
                batch, first = batch.slice(1), False
            if nrows is not None:
                batch = batch.slice(0, max(nrows - rows, 0))
            rows += batch.num_rows
            yield batch
            if ragged or nrows is not None and rows >= nrows:
                return

    blocks = _Blocks({names[i]: pa.string() for i in keep}, todo)
    try:
        # a batch's columns are typed on the threads while the next batch is read
        # (Arrow lets go of the GIL in both); one batch ahead at most, so that
        # each column's blocks are added in the file's order
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            typing: list = []
            for batch in batches(keep):
                for done in typing:
                    done.result()
                typing = [pool.submit(blocks.add, names[i], col)
                          for i, col in zip(keep, batch.columns)]
            for done in typing:
                done.result()
        if ragged:
            return None
        gone = set(blocks.again())
        again = [i for i in keep if names[i] in gone]
        for i in again:
            blocks.chunks[names[i]] = []
        for batch in batches(again) if again else ():     # read again, as text
            for i, col in zip(again, batch.columns):
                blocks.chunks[names[i]].append(col)
    except (pa.ArrowInvalid, UnicodeDecodeError):   # not UTF-8 after all, a quote not closed
        return None
    if ragged:
        return None
    if renamed:
        info["renamed"] = {new: old for new, old in renamed.items() if new in blocks.chunks}
    df = arrow_to_pandas(blocks.table())     # the only reference: freed as it is converted
    df.attrs["planned"] = True
    return df


def csv_block_size(file_bytes: int) -> int:
    """The block size for pyarrow's CSV reader on a file of ``file_bytes``.

    The reader's background thread reads up to :data:`_ARROW_READ_AHEAD` blocks
    ahead, whatever the pace of their conversion, and each is held as raw bytes
    until it is converted (decoded batches are read ahead too, one per core).
    With 4 MB blocks that is 128 MB: the whole of a 1M-row, 130 MB export.  So
    the raw blocks read ahead hold a quarter of the file, or 32 MB if that is
    more (blocks of 1 MB at least), and blocks are 4 MB at most.  Measured on
    the project's 2-core machine: the 1M-row CSV export with 1 MB blocks against
    4 MB ones peaked at 412-438 MB against 494-526 MB and took 2.8-3.7 s
    against 2.5-3.3 s; the 10M-row one took 25-28 s with 1 MB blocks against
    20-21 s with 4 MB ones, for the same peak (the KPI step's)."""
    share = file_bytes // (_ARROW_READ_AHEAD * _READ_AHEAD_SHARE)
    return int(min(_ARROW_BLOCK, max(_ARROW_MIN_BLOCK, share)))


class _Blocks:
    """The columns of a table read in blocks (:func:`_read_csv_arrow`,
    :func:`_read_parquet`).  A text column the plan types is typed block by
    block (:func:`servicekpi.parsing.fast_column`) until a block the fast path
    cannot read: then its chunks are None (:meth:`again`) and the reader reads
    the column again as text into ``chunks``."""

    def __init__(self, types: dict, plan: Plan):
        self.types, self.typed = types, plan.typed   # column -> Arrow type as stored
        self.chunks: dict[str, list | None] = {name: [] for name in types}

    def add(self, name: str, col) -> None:
        import pyarrow as pa

        if self.chunks[name] is None:
            return
        if name in self.typed and (pa.types.is_string(col.type)
                                   or pa.types.is_large_string(col.type)):
            col = parsing.fast_column(col, **self.typed[name])
            if col is None:
                self.chunks[name] = None
                return
        self.chunks[name].append(col)

    def again(self) -> list[str]:
        return [name for name, chunks in self.chunks.items() if chunks is None]

    def table(self):
        """The columns as one table, handed over: the blocks are no longer held here,
        so :func:`arrow_to_pandas` frees each column's blocks once it is converted
        (at 10M CSV rows, 0.87 GB that stayed allocated until the reader returned,
        after the memory freed was given back)."""
        import pyarrow as pa

        held, self.chunks = self.chunks, {}
        return pa.table({name: pa.chunked_array(chunks, type=None if chunks
                                                else self.types[name])
                         for name, chunks in held.items()})


#: A table of at least this many bytes is converted after a trim (:func:`arrow_to_pandas`).
_TRIM_BEFORE = 64 << 20


def arrow_to_pandas(table) -> pd.DataFrame:
    """An Arrow table as a frame, freeing the table as it goes: text as pandas'
    string dtype, booleans with missing values as ``boolean`` (not objects),
    integers as pandas' nullable integers (a blank cell would otherwise make the
    column floats: id 7 read as 7.0, and ids above 2**53 no longer distinct).

    The memory freed while a large table was built (the text blocks of the
    columns typed as they were read) is given back first: at 10M CSV rows, 0.7 GB
    that the conversion's new columns did not reuse.  Not for a small one (a
    report's slice): in a report kernel the trim cost more time than it saved."""
    if table.nbytes >= _TRIM_BEFORE:
        release_memory()
    df = table.to_pandas(types_mapper=_nullable, self_destruct=True, split_blocks=True)
    del table
    release_memory()
    return df


def _nullable(arrow_type):
    """pandas' dtype for an Arrow bool or integer type (None: the default one)."""
    import pyarrow as pa

    if arrow_type == pa.bool_():
        return pd.BooleanDtype()
    if pa.types.is_integer(arrow_type):
        return pd.api.types.pandas_dtype(str(arrow_type).replace("int", "Int")
                                         .replace("uInt", "UInt"))
    return None


def release_memory() -> None:
    """Give the memory Arrow and the C allocator have freed back to the system.
    Arrow's allocator keeps it for Arrow otherwise, and what pandas and NumPy
    allocate next cannot use it: the process would hold a second copy of a frame
    just read.  And glibc's keeps the free blocks that lie below ones still in
    use.  Arrow's system pool (:func:`use_system_allocator`) gives back both;
    with another pool glibc's are given back too
    (:func:`servicekpi.config.give_back_memory`)."""
    import pyarrow as pa

    pool = pa.default_memory_pool()
    pool.release_unused()               # the system pool: glibc's malloc_trim
    if pool.backend_name != "system":
        config.give_back_memory()


def detect_encoding(sample: bytes, whole_file: Path | None = None) -> str:
    """The encoding of a CSV: a Unicode one, GB18030, Big5 (``cp950``) or Windows-1252.

    ``sample`` is the start of the file; when ``whole_file`` is given the
    whole file is looked at (in blocks), since an export may turn non-ASCII
    only far down.  In order:

    1. A byte-order mark: ``utf-8-sig``, ``utf-32`` or ``utf-16`` (Excel's
       "Unicode Text"); UTF-16 without one is told by its zero bytes.
    2. ``utf-8-sig`` when the whole file is valid UTF-8.
    3. Otherwise the runs of non-ASCII bytes, with the bytes next to them,
       are gathered from anywhere in the file (the first 16 KB of distinct
       ones) and read as GB18030, as Big5 and as Windows-1252; a reading
       that cannot decode them (or, for Windows-1252, any byte of the file)
       is out.  Each remaining reading gets a plausibility score, the share
       of its non-ASCII characters that look like text of that script (see
       :func:`_cjk_score` and :func:`_western_score`).  The best reading wins
       if it scores at least 0.6 and 0.2 more than the next; GB18030 also
       wins when it is best, Big5 next within 0.2 and at least 90% of its
       characters are GB2312 ones (short Chinese text in GB2312 often reads
       as Big5 too, hardly ever the other way round).

    Raises :class:`DataError` (naming the file) when no reading is plausible
    or two are about as plausible, asking for the encoding to be declared.
    """
    bom = _unicode_without_detection(sample)
    if bom:
        return bom
    source = str(whole_file) if whole_file is not None else "sample"
    scan = _scan(sample, whole_file)
    if scan.utf8:
        return "utf-8-sig"
    readings, texts = [], {}
    for enc in _READINGS:
        if enc == "cp1252" and not scan.cp1252:
            continue
        try:
            texts[enc] = text = scan.evidence.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _western_score(text) if enc == "cp1252" else _cjk_score(text, _common(enc))
        readings.append((score, enc))
    readings.sort(key=lambda r: -r[0])
    if readings and readings[0][0] >= PLAUSIBLE:
        if len(readings) == 1 or readings[0][0] - readings[1][0] >= MARGIN:
            return readings[0][1]
        # GB18030 and Big5 about even, and nearly all of it GB2312: GB text.  Half the
        # common GB2312 characters are byte pairs of common Big5 ones, so short
        # GB text often reads well as Big5 too; Big5 text rarely reads as GB2312
        # alone, since four in ten of its characters have a second byte 40-7E
        # (GBK extension characters when read as GB) and many a first byte
        # A4-AF, which GB2312 does not use for Han characters.
        if readings[0][1] == "gb18030" and readings[1][1] == "cp950" and (
                len(readings) == 2 or readings[0][0] - readings[2][0] >= MARGIN) and (
                _gb2312_share(texts["gb18030"]) >= 0.9):
            return "gb18030"
    lines = _first_non_ascii_lines(sample, whole_file)
    how = "; ".join(f"as {_READINGS[enc]} {_examples(lines, enc)} (plausibility {score:.2f})"
                    for score, enc in readings) or "none of them decodes it"
    what = ("about as plausibly as more than one of" if readings and readings[0][0] >= PLAUSIBLE
            else "plausibly as none of")
    raise DataError(
        f"cannot tell the file's encoding: it is not UTF-8 and reads {what} GB18030, Big5 "
        f"and Windows-1252 ({how}); {_DECLARE}", source=source)


_DECLARE = ("declare the file's encoding: encoding: cp1252, gb18030, cp950 (Big5) or utf-8 "
            "(in params/defaults.yaml or a mapping; for the ticket export), or save the "
            "file as UTF-8 (Excel: 'CSV UTF-8')")


#: Readings tried when a file is not Unicode, with the names used in messages.
_READINGS = {"gb18030": "GB18030", "cp950": "Big5", "cp1252": "Windows-1252"}
#: Lowest plausibility a reading needs, and its lead over the next one.
PLAUSIBLE, MARGIN = 0.6, 0.2
_BLOCK = 1 << 20          # the file is scanned in blocks of about this size
_GATHER_BYTES = 1 << 18   # non-ASCII runs gathered at most (with their context)
_EVIDENCE_BYTES = 1 << 14  # of which distinct ones scored at most
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _unicode_without_detection(sample: bytes) -> str | None:
    """The encoding a byte-order mark (or UTF-16's zero bytes) gives, else None."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = sample[:4096]
    if len(head) >= 8 and b"\x00" in head:   # UTF-16 without a BOM: ASCII text has
        even, odd = head[0::2].count(0), head[1::2].count(0)  # a zero in every other byte
        half = len(head) // 2
        for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros >= 0.4 * half and other <= 0.05 * half:
                try:
                    head[: len(head) // 2 * 2].decode(enc)
                except UnicodeDecodeError:
                    continue
                return enc
    return None


class _Scan:
    """What one pass over the file found (see :func:`_scan`)."""

    def __init__(self):
        self.utf8 = True       # all of it is valid UTF-8
        self.cp1252 = True     # no byte that Windows-1252 leaves undefined
        self.evidence = b""    # non-ASCII runs with context, one per line


def _scan(sample: bytes, whole_file: Path | None) -> _Scan:
    """One pass over the file (or the sample alone): UTF-8 validity, bytes
    Windows-1252 cannot decode, and the distinct non-ASCII runs to score.

    An all-ASCII block costs one ``isascii`` call; the runs are found with
    numpy.  Gathering stops after ``_GATHER_BYTES`` (repeated names make
    most of that) or once ``_EVIDENCE_BYTES`` of distinct runs are in hand.
    """
    scan = _Scan()
    start = 0
    if whole_file is not None:
        start = _first_non_ascii(whole_file)
        if start is None:
            return scan        # UTF-8 and Windows-1252 alike, with nothing to score
    utf8 = codecs.getincrementaldecoder("utf-8")()
    distinct: dict[bytes, None] = {}
    gathered = size = 0
    for block in _blocks(sample, whole_file, start):
        if block.isascii():
            continue
        if scan.utf8:
            try:
                utf8.decode(block)
            except UnicodeDecodeError:
                scan.utf8 = False
        if scan.cp1252 and any(b in block for b in _CP1252_UNDEFINED):
            scan.cp1252 = False
        if gathered < _GATHER_BYTES and size < _EVIDENCE_BYTES:
            for run in _gather(block, _GATHER_BYTES - gathered):
                gathered += len(run) + 1
                if run not in distinct and size < _EVIDENCE_BYTES:
                    distinct[run] = None
                    size += len(run) + 1
        elif not scan.utf8 and not scan.cp1252:
            break   # nothing more to learn
    if scan.utf8 and whole_file is not None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            scan.utf8 = False
    scan.evidence = b"\n".join(distinct)
    return scan


def _first_non_ascii(path: Path) -> int | None:
    """Where the first block of the file with a byte that is not ASCII starts;
    None when every byte is (most exports written in English).  Read into one
    buffer, block by block, with nothing copied or split at lines.  The block
    before is all ASCII, so the offset is a character's start in any encoding
    read here."""
    buf = bytearray(_BLOCK)
    at = 0
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            if not (buf if n == len(buf) else buf[:n]).isascii():
                return at
            at += n
    return None


def _blocks(sample: bytes, whole_file: Path | None, start: int = 0):
    """The sample, or the whole file from byte ``start`` in blocks that end after a
    line feed (a byte that is never part of a multi-byte character in the
    encodings read here)."""
    if whole_file is None:   # a sample as long as _read_csv's may end inside a character
        cut = sample.rfind(b"\n") + 1 if len(sample) >= _SAMPLE_BYTES else 0
        yield sample[:cut] if cut else sample
        return
    rest = b""
    with open(whole_file, "rb") as fh:
        fh.seek(start)
        while True:
            block = fh.read(_BLOCK)
            if not block:
                if rest:
                    yield rest
                return
            block = rest + block if rest else block
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) < 16 * _BLOCK:   # a very long line: read on
                rest = block
                continue
            cut = cut or len(block)
            rest = block[cut:]
            yield block[:cut]


def _gather(block: bytes, limit: int) -> list[bytes]:
    """The block's runs of non-ASCII bytes with one byte before and two after
    (runs that close together are one), up to about ``limit`` bytes.

    That is all a reading needs: the character before the run and the one
    after it, and every byte of a multi-byte character, whose first byte is
    non-ASCII and whose other bytes are non-ASCII or the byte after it.
    """
    arr = np.frombuffer(block, np.uint8)
    pos = np.flatnonzero(arr >= 0x80)
    if not len(pos):
        return []
    gap = np.flatnonzero(np.diff(pos) > 4)
    starts = np.maximum(np.r_[pos[0], pos[gap + 1]] - 1, 0)
    ends = np.r_[pos[gap], pos[-1]] + 3
    n = int(np.searchsorted(np.cumsum(ends - starts + 1), limit)) + 1
    return [block[a:b] for a, b in zip(starts[:n].tolist(), ends[:n].tolist())]


# ---- plausibility of a reading
_RUN = re.compile(r"[^\x00-\x7f]+")
#: Punctuation that may stand next to an accented letter in Western text.
_QUOTES = frozenset("‘’‚“”„«»‹›–—…'\"")
#: Between two ASCII letters, the only non-letters Western text puts: apostrophes.
_APOSTROPHES = frozenset("’‘´`")
#: Windows-1252 letters that are not letters of running text.
_NOT_LETTERS = frozenset("ƒˆ˜ªº")


def _runs(text: str):
    """Each run of non-ASCII characters, with whether an ASCII letter is right
    before it and right after it."""
    for m in _RUN.finditer(text):
        a, b = m.start(), m.end()
        yield (m.group(), a > 0 and text[a - 1].isascii() and text[a - 1].isalpha(),
               b < len(text) and text[b].isascii() and text[b].isalpha())


def _cjk_score(text: str, common: dict[str, float]) -> float:
    """Share of non-ASCII characters that look like Chinese text in this reading.

    A character counts by its weight in ``common`` (see :func:`_common`: 1
    for the common characters and punctuation of the script, 0.5 for the
    rarer ones, 0 for the rest: kana, Greek, box drawing, private use), with
    two exceptions that catch Western text misread:

    * a run of one or two characters between two ASCII letters counts 0: an
      accented letter misread pairs with its neighbour (another accented
      letter, or the next Latin letter) into a Han character inside a Latin
      word ("Aten玢o", "M黮ler", "ATEN敲O").  Chinese text has Han runs
      bordered by punctuation, digits, spaces or other Han; a Chinese word
      between two Latin ones ("iPhone无法连接WiFi") is mostly longer;
    * a lone character with an ASCII letter on one side only counts half: it
      is Chinese ("A组", "iOS版") but also what an accented capital starting
      a word gives ("Ärger" read as Big5).
    """
    total = good = 0.0
    for run, before, after in _runs(text):
        n = len(run)
        total += n
        if before and after and n <= 2:
            continue
        weight = 0.5 if n == 1 and (before or after) else 1.0
        good += weight * sum(common.get(ch, 0.0) for ch in run)
    return good / total if total else 0.0


def _western_score(text: str) -> float:
    """Share of non-ASCII characters that look like Western European text in
    the Windows-1252 reading.

    In Western text the characters above ASCII are accented letters inside
    words and the odd symbol (€ ° « » – ’): runs of one character, or two or
    three letters ("çã", "öß"), possibly with a quote or dash.  So:

    * a run of one character counts 1, except a symbol between two ASCII
      letters other than an apostrophe ("ƒJƒX" is Shift-JIS read so);
    * a run of two or three characters, all letters (or quotes and dashes
      beside at least one letter), counts 1 when an ASCII letter is next to
      it, 0.5 when not;
    * longer runs count 0 (Chinese read as Windows-1252 gives runs of two
      bytes per character: "Í¶Ëß´¦Àí"), and so do runs that are UTF-8 read
      as Windows-1252 ("Ã©": the file mixes encodings).
    """
    total = good = 0.0
    for run, before, after in _runs(text):
        n = len(run)
        total += n
        if n == 1:
            ch = run
            letter = ch.isalpha() and ch not in _NOT_LETTERS
            good += 1 if letter or not (before and after) or ch in _APOSTROPHES else 0
        elif n <= 3 and not _utf8_read_as_cp1252(run):
            letters = sum(ch.isalpha() and ch not in _NOT_LETTERS for ch in run)
            if letters and all(ch.isalpha() and ch not in _NOT_LETTERS or ch in _QUOTES
                               for ch in run):
                good += n * (1 if before or after else 0.5)
    return good / total if total else 0.0


def _utf8_read_as_cp1252(run: str) -> bool:
    try:
        return not run.encode("cp1252").decode("utf-8").isascii()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


@functools.cache
def _common(encoding: str) -> dict[str, float]:
    """Weight of each character in a Chinese reading.

    GB18030: GB2312 level-1 characters (the 3,755 common ones, bytes
    B0A1-D7F9) and GB2312's punctuation and full-width forms (rows A1, A3)
    weigh 1, GB2312 level-2 characters (D8A1-F7FE) and GBK's other Han
    characters (often in names: 喆, 珺) 0.5.  Big5: the 5,401
    common characters (A440-C67E) and punctuation (row A1) weigh 1, the
    less common characters (C940-F9D5) and row A2 (full-width digits and
    letters, units) 0.5.  Everything else weighs 0.
    """
    weights: dict[str, float] = {}
    if encoding == "gb18030":
        rows = [(range(0xB0, 0xD8), 1.0), ((0xA1, 0xA3), 1.0), (range(0xD8, 0xF8), 0.5)]
        trails = range(0xA1, 0xFF)
    else:
        rows = [(range(0xA4, 0xC7), 1.0), ((0xA1,), 1.0), (range(0xC9, 0xFA), 0.5),
                ((0xA2,), 0.5)]
        trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    for leads, weight in rows:
        for lead in leads:
            for trail in trails:
                code = lead << 8 | trail
                if encoding == "cp950" and not (0xA140 <= code <= 0xA3BF or 0xA440 <= code <= 0xC67E
                                                or 0xC940 <= code <= 0xF9D5):
                    continue
                try:
                    ch = bytes((lead, trail)).decode(
                        "gb2312" if encoding == "gb18030" else encoding)
                except UnicodeDecodeError:
                    continue
                weights.setdefault(ch, weight)
    if encoding == "gb18030":   # the other Han characters of GBK (lead bytes 81-A0, AA-FE)
        for lead in [*range(0x81, 0xA1), *range(0xAA, 0xFF)]:
            for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
                try:
                    ch = bytes((lead, trail)).decode("gbk")
                except UnicodeDecodeError:
                    continue
                if "\u4e00" <= ch <= "\u9fff":
                    weights.setdefault(ch, 0.5)
    return weights


def _gb2312_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are GB2312 ones."""
    wide = _RUN.findall(text)
    n = sum(map(len, wide))
    return len("".join(wide).encode("gb2312", errors="ignore")) / 2 / n if n else 0.0


def _first_non_ascii_lines(sample: bytes, whole_file: Path | None, k: int = 3) -> list[bytes]:
    """The first ``k`` lines of the file with a non-ASCII byte (for messages)."""
    lines: list[bytes] = []
    for block in _blocks(sample, whole_file):
        if not block.isascii():
            lines += [ln for ln in block.splitlines() if not ln.isascii()][: k - len(lines)]
            if len(lines) == k:
                break
    return lines


def _examples(lines: list[bytes], encoding: str, k: int = 3) -> str:
    """The first few distinct words with non-ASCII characters of ``lines``
    read in ``encoding``, quoted."""
    seen: list[str] = []
    for line in lines:
        text = line.decode(encoding, errors="replace")
        for word in re.findall(r"[^\s,;|\"]*[^\x00-\x7f][^\s,;|\"]*", text):
            if word not in seen and len(seen) < k:
                seen.append(word)
    return " ".join(repr(w) for w in seen)


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the first lines into one consistent number of fields.

    Among ``,`` ``;`` tab and ``|``: the one whose header has the most fields
    while at least 80% of the following records have that many.  Records, not
    lines: a quoted field may hold line breaks (a ticket's description), and
    the last record of the lines may be cut off, so it is not counted.  A
    file with one column has none of them: comma.
    """
    best, best_n = ",", 1
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return best
    for d in DELIMITERS:
        rows = _split(lines, d)
        n = len(rows[0])
        if n <= best_n:
            continue
        body = rows[1:-1] if len(rows) > 2 else rows[1:]
        if not body or sum(len(r) == n for r in body) >= 0.8 * len(body):
            best, best_n = d, n
    return best


def _split(lines: list[str], delim: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delim))
    except csv.Error:
        return [ln.split(delim) for ln in lines]


def _header_row(rows: list[list[str]], fits) -> int:
    """Index of the first row that ``fits`` scores best (0 when none scores)."""
    best, best_score = 0, 0.0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS + 1]):
        score = fits([str(c).strip() for c in row])
        if score > best_score:
            best, best_score = i, score
    return best


# ------------------------------------------------------------------ Excel
def _read_excel(path: Path, info: dict, *, sheet, nrows, fits
                ) -> tuple[pd.DataFrame, list[str] | None]:
    book = pd.ExcelFile(path)
    names = book.sheet_names
    if sheet is not None:
        if isinstance(sheet, int) and not 0 <= sheet < len(names) or \
                isinstance(sheet, str) and sheet not in names:
            raise DataError(f"no sheet {sheet!r} in the workbook (sheets: "
                            f"{', '.join(map(repr, names))})", source=str(path))
        chosen, header_at = (names[sheet] if isinstance(sheet, int) else sheet), 0
        if fits is not None:
            head = pd.read_excel(book, sheet_name=chosen, header=None, nrows=HEADER_SEARCH_ROWS + 1, dtype=object)
            header_at = _header_row(_cells(head), fits)
    else:
        chosen, header_at = names[0], 0
        if fits is not None:
            found = None
            for name in names:
                head = pd.read_excel(book, sheet_name=name, header=None, nrows=HEADER_SEARCH_ROWS + 1, dtype=object)
                rows = _cells(head)
                at = _header_row(rows, fits)
                if rows and fits(rows[at]) > 0:
                    found = (name, at)
                    break
            if found is None:
                raise DataError(
                    "no sheet of the workbook has the ticket columns in its first "
                    f"{HEADER_SEARCH_ROWS + 1} rows (sheets: {', '.join(map(repr, names))}); "
                    "name the sheet (mapping key 'sheet') or check the mapping",
                    source=str(path))
            chosen, header_at = found
    info["sheet"] = chosen
    info["header_row"] = header_at + 1
    df = pd.read_excel(book, sheet_name=chosen, header=header_at, nrows=nrows, dtype=object)
    header = None
    if _renamed_by_pandas(df.columns):   # read the header as written
        head = pd.read_excel(book, sheet_name=chosen, header=None, nrows=header_at + 1, dtype=object)
        rows = _cells(head)
        header = rows[header_at] if len(rows) > header_at else None
    return df, header


def _cells(head: pd.DataFrame) -> list[list[str]]:
    return [["" if pd.isna(v) else str(v) for v in row]
            for row in head.itertuples(index=False, name=None)]


# ------------------------------------------------------------------ helpers
def _as_written(columns, header: list[str] | None) -> list[str]:
    """Column names, trimmed, with pandas' renaming of duplicates (``team`` ->
    ``team.1``) undone from the header as written, so that :func:`_unique`
    renames them and says so."""
    names = [str(c).strip() for c in columns]
    if header is None or len(header) != len(names):
        return names
    written = [str(h).strip() for h in header]
    count = Counter(written)
    return [w if w and count[w] > 1 else n for w, n in zip(written, names)]


def _renamed_by_pandas(columns) -> bool:
    """Whether some column looks like pandas' renaming of a duplicate: ``name.k``
    next to a ``name``."""
    names = {str(c) for c in columns}
    return any(re.fullmatch(r"(.*)\.\d+", n) and re.fullmatch(r"(.*)\.\d+", n).group(1) in names
               for n in names)


def _unique(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Names made unique: a repeated ``name`` becomes ``name.1``, ``name.2``...
    (skipping any that is a name already), and {new name: name as written}."""
    taken = set(names)
    seen: set[str] = set()
    out, renamed = [], {}
    for n in names:
        if n in seen:
            k = 1
            while f"{n}.{k}" in taken:
                k += 1
            new = f"{n}.{k}"
            taken.add(new)
            renamed[new] = n
            out.append(new)
        else:
            out.append(n)
        seen.add(n)
    return out, renamed


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
