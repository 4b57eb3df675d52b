"""Fast ingest: the vectorised reading path gives what the tolerant path gives.

A UTF-8 CSV is read by pyarrow in blocks and the typed columns whose every
cell is in a form that reads one way only are typed as they are read
(``parsing.fast_column``); any other column goes whole to the tolerant
parsers.  Each test compares with the tolerant path itself: the same file
read by pandas as text and validated (``validate_tickets``).
"""
import datetime as dt

import numpy as np

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import servicekpi as skpi
from conftest import HEADER, SMALL, write_csv
from servicekpi import parsing, readers
from servicekpi.parsing import fast_column
from servicekpi.tickets import validate_tickets


def tolerant(path, **kw):
    """The file as text, validated: the path every cell could take before."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate_tickets(raw, source=path.name, **kw)


def assert_same(fast, slow):
    pd.testing.assert_frame_equal(fast, slow)
    def records(t):
        return [r for r in t.attrs["data_quality"] if r["code"] != "file_read"]
    assert records(fast) == records(slow)
    assert {k: v for k, v in fast.attrs.items() if k not in ("data_quality", "source")} == \
        {k: v for k, v in slow.attrs.items() if k not in ("data_quality", "source")}


# Awkward cells of real exports: padding, fractions of a second, a sentinel date,
# missing spellings, mixed-case booleans, an ambiguous thousands mark, a column of
# day-first dates beside ISO ones.
AWKWARD = [
    "1,Billing,2024-01-02 09:00,2024-01-02 10:00:30.250,21/01/2024 13:00,Phone,"
    "2024-01-03T09:00,,1,Yes,no,FALSE,10,5,10,2,c1",
    "2,billing, 2024-01-05 09:00 ,N/A,05/01/2024 18:00,E-mail,2024-01-07 09:00,TRUE,2,"
    "no,Y,false,2.5,?,7,3,c1",
    "3,Support,2024-01-20 09:00,9999-12-31 00:00:00,,chat,,,,,n/a,no,1.234, 4,0,,c2",
    "4,Support,2024-01-25,,13/02/2024 08:15,Self Service,,true,3,,no,yes,,2,9,,",
]


def test_fast_path_reads_as_the_tolerant_path(tmp_path):
    path = write_csv(tmp_path / "export.csv", AWKWARD)
    fast = skpi.load_tickets(path)
    assert_same(fast, tolerant(path))
    # worked by hand: ISO cells typed fast, day-first ones by the tolerant parser
    t = fast.set_index("ticket_id")
    assert t.loc["1", "first_response_at"] == pd.Timestamp("2024-01-02 10:00:30.250")
    assert t.loc["1", "resolved_at"] == pd.Timestamp("2024-01-21 13:00")
    assert t.loc["2", "resolved_at"] == pd.Timestamp("2024-01-05 18:00")
    assert pd.isna(t.loc["3", "first_response_at"])                  # 9999-12-31: a sentinel
    assert t.loc["2", "created_at"] == pd.Timestamp("2024-01-05 09:00")
    assert t["handle_minutes"].tolist()[:3] == [10.0, 2.5, 1.234]
    assert t["reopened"].tolist() == [True, False, pd.NA, pd.NA]
    assert t["abandoned"].tolist() == [False, False, False, True]
    q = skpi.data_quality(fast)
    assert set(q["code"]) >= {"timestamp_out_of_range", "decimal_mark_assumed"}


def test_clean_export_is_typed_as_it_is_read(tmp_path):
    path = write_csv(tmp_path / "export.csv", SMALL)
    seen = []
    raw = readers.read_table(path, plan=lambda cols: seen.append(cols) or readers.Plan(
        typed={"created_at": {"kind": "timestamp"}, "csat": {"kind": "int"},
               "reopened": {"kind": "bool"}}))
    assert seen == [HEADER.split(",")]
    assert str(raw["created_at"].dtype) == "datetime64[ns]"
    assert raw["csat"].dtype == "float64" and raw["reopened"].dtype == "boolean"
    assert raw["ticket_id"].dtype == "str"
    assert_same(skpi.load_tickets(path), tolerant(path))


def test_a_cell_in_a_later_block_sends_the_column_to_the_tolerant_path(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(readers, "csv_block_size",      # many blocks of a few rows
                        lambda size: asked.append(size) or 1 << 10)
    rows = [f"{i},a,2024-01-02 09:{i % 60:02d},,,phone,,,1,no,no,no,{i},5,9,2,c{i}"
            for i in range(1, 300)]
    rows[250] = rows[250].replace(",5,9,2,", ",4.0,9,2,")      # whole, but not as written
    rows[280] = rows[280].replace("2024-01-02 09:", "02/01/2024 09:")
    path = write_csv(tmp_path / "export.csv", rows)
    fast = skpi.load_tickets(path, dayfirst=True)
    assert_same(fast, tolerant(path, dayfirst=True))
    assert fast.set_index("ticket_id").loc["251", "csat"] == 4
    assert len(fast) == 299
    assert asked and set(asked) == {path.stat().st_size}


def test_the_csv_blocks_read_ahead_hold_a_quarter_of_the_file_or_32_mb():
    mb = 1 << 20
    # 32 blocks read ahead: a quarter of a 130 MB file is 32 blocks of 1.02 MB
    assert readers.csv_block_size(130 * mb) == 130 * mb // 128
    assert readers.csv_block_size(3 * mb) == mb              # 1 MB at least
    assert readers.csv_block_size(0) == mb
    assert readers.csv_block_size(1300 * mb) == 4 * mb       # 4 MB at most
    assert readers.csv_block_size(512 * mb) == 4 * mb


def test_a_ragged_file_is_read_as_before(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n" + "\n".join(SMALL) + "\nExported by Helpdesk on 2024-03-02\n")
    t = skpi.load_tickets(path)
    assert len(t) == len(SMALL)
    assert readers.read_table(path).attrs["read"]["footer_rows"] == 1


def test_only_the_mapped_columns(tmp_path):
    path = write_csv(tmp_path / "export.csv", [r + ",gold,long text" for r in SMALL],
                     header=HEADER + ",tier,description")
    every = skpi.load_tickets(path)
    used = skpi.load_tickets(path, other_columns=False)
    assert {"tier", "description"} <= set(every.columns)
    assert list(used.columns) == [c for c in every.columns if c not in ("tier", "description")]
    pd.testing.assert_frame_equal(skpi.compute_kpis(every), skpi.compute_kpis(used))


def test_parquet_text_the_fast_path_cannot_read(tmp_path):
    """A Parquet export of text with day-first dates: that column is read again
    whole, as text, for the tolerant path."""
    path = write_csv(tmp_path / "export.csv", AWKWARD)
    pd.read_csv(path, dtype=str, keep_default_na=False).to_parquet(tmp_path / "e.parquet")
    fast = skpi.load_tickets(tmp_path / "e.parquet")
    assert_same(fast, tolerant(path))
    assert fast.set_index("ticket_id").loc["1", "resolved_at"] == pd.Timestamp("2024-01-21 13:00")


def test_parquet_dictionary_columns_read_one_category_at_a_time(tmp_path, monkeypatch):
    """Dictionary-encoded text (pandas categoricals in Parquet): padded names,
    'N/A', a category no row uses and empty cells read as the same text does."""
    path = write_csv(tmp_path / "export.csv", AWKWARD)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in ("team", "channel", "customer_id"):
        raw[c] = pd.Categorical(raw[c].where(raw[c] != "", None),
                                categories=sorted(set(raw[c]) - {""}) + [" unused "])
    raw.to_parquet(tmp_path / "e.parquet")
    assert pa.types.is_dictionary(pq.read_schema(tmp_path / "e.parquet").field("team").type)
    read = []
    real = parsing._categories
    monkeypatch.setattr(parsing, "_categories", lambda s: read.append(s.name) or real(s))
    fast = skpi.load_tickets(tmp_path / "e.parquet")
    assert {"channel", "customer_id"} <= set(read)      # read as categories (team: by name)
    assert_same(fast, tolerant(path))


@pytest.mark.parametrize("cells,categories", [
    ([" a", "N/A", None, "b ", "", "a"], None),
    ([None, None], []),          # no category: every cell missing
    ([], ["x"]),
])
def test_categorical_text_as_the_same_text_as_objects(cells, categories):
    cat = pd.Series(pd.Categorical(cells, categories=categories), index=range(3, 3 + len(cells)))
    obj = cat.astype(object).where(cat.notna(), None)
    for na in (frozenset({""}), parsing.NULL_TOKENS):
        for compact in (False, True):
            pd.testing.assert_series_equal(parsing.parse_text(cat, na, compact=compact)[0],
                                           parsing.parse_text(obj, na, compact=compact)[0])
        assert (parsing.text_missing(cat, na) == parsing.text_missing(obj, na)).all()


def test_parquet_text_columns_typed_in_row_groups(tmp_path):
    raw = pd.read_csv(write_csv(tmp_path / "export.csv", SMALL), dtype=str,
                      keep_default_na=False)
    raw.index = raw.index + 10          # a pandas index, stored beside the data
    raw.to_parquet(tmp_path / "export.parquet")
    fast = skpi.load_tickets(tmp_path / "export.parquet")
    assert "__index_level_0__" not in fast.columns
    assert_same(fast, tolerant(tmp_path / "export.csv"))


@pytest.mark.parametrize("large", [False, True])
def test_a_cell_in_a_later_row_group_sends_the_column_to_the_tolerant_path(
        tmp_path, monkeypatch, large):
    """A text Parquet export of several row groups: typed group by group (a
    large group batch by batch), a column one of whose later groups the fast
    path cannot read read again whole, the same frame as pandas' reading of the
    CSV gives, rows in the file's order."""
    if large:                           # groups of 40 rows read 16 at a time
        monkeypatch.setattr(readers, "_PARQUET_ROWS", 16)
        seen = []
        import pyarrow.parquet as pq
        real = pq.ParquetFile.iter_batches
        monkeypatch.setattr(pq.ParquetFile, "iter_batches",
                            lambda self, *a, **kw: seen.append(kw.get("batch_size"))
                            or real(self, *a, **kw))
    rows = [f"{i},a,2024-01-02 09:{i % 60:02d},,,phone,,,1,no,no,no,{i},5,9,2,c{i}"
            for i in range(1, 300)]
    rows[250] = rows[250].replace(",5,9,2,", ",4.0,9,2,")      # whole, but not as written
    rows[280] = rows[280].replace("2024-01-02 09:", "02/01/2024 09:")
    csv = write_csv(tmp_path / "export.csv", rows)
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    raw.to_parquet(tmp_path / "export.parquet", row_group_size=40)
    import pyarrow.parquet as pq
    assert pq.ParquetFile(tmp_path / "export.parquet").num_row_groups == 8
    fast = skpi.load_tickets(tmp_path / "export.parquet", dayfirst=True)
    assert_same(fast, tolerant(csv, dayfirst=True))
    assert readers.read_table(tmp_path / "export.parquet")["ticket_id"].tolist() == [
        str(i) for i in range(1, 300)]
    assert fast.set_index("ticket_id").loc["251", "csat"] == 4
    first = readers.read_table(tmp_path / "export.parquet", nrows=45)
    assert first["ticket_id"].tolist() == [str(i) for i in range(1, 46)]
    if large:
        assert 16 in seen


@pytest.mark.parametrize("cells,kind,options,expected", [
    (["2024-03-05 14:30", "", " N/A ", "2024-03-05T14:30:00.250"], "timestamp", {},
     [dt.datetime(2024, 3, 5, 14, 30), None, None, dt.datetime(2024, 3, 5, 14, 30, 0, 250000)]),
    (["2024-03-05", "9999-12-31"], "timestamp", {}, None),   # a sentinel: counted there
    (["2024-03-05", "2024-01-01"], "timestamp", {"na": {"", "2024-01-01"}},
     [dt.datetime(2024, 3, 5), None]),                       # a missing spelling
    (["7", "3"], "int", {"low": 1, "high": 5}, None),        # out of range: quoted there
    (["-0"], "number", {}, [0.0]),
    (["2024-02-30"], "timestamp", {}, None),                 # no such day: the tolerant path
    (["05/03/2024"], "timestamp", {}, None),                 # day order: decided per column
    (["2024-03-05T14:30:00Z"], "timestamp", {}, None),       # a zone: converted there
    (["1", "2.5", "", "1234.567", ".5"], "number", {}, [1.0, 2.5, None, 1234.567, 0.5]),
    (["1.234"], "number", {}, None),                         # a thousand or a fraction
    (["1.234"], "number", {"decimal": "."}, [1.234]),
    (["2,5"], "number", {}, None),
    (["7", "1.5"], "number", {"decimal": ","}, None),        # 1.5 is 15 there
    (["4", "?", " 5 "], "int", {}, [4.0, None, 5.0]),
    (["4.0"], "int", {}, None),
    (["Yes", "n", "", "TRUE", " f "], "bool", {}, [True, False, None, True, False]),
    (["Ja"], "bool", {}, None),
    (["Ja", "Nein", "-"], "bool", {"true_values": ["ja"], "false_values": ["nein"]},
     [True, False, None]),
])
def test_fast_column(cells, kind, options, expected):
    got = fast_column(pa.array(cells), kind, **options)
    assert (got if got is None else got.to_pylist()) == expected


def test_a_missing_spelling_that_looks_like_a_value(tmp_path):
    """A mapping's missing spellings such as 999, -1 or 2024-01-01 are missing in
    every cell, as in the tolerant path."""
    path = write_csv(tmp_path / "export.csv", [
        "1,a,2024-01-02 09:00,2024-01-01,,phone,,,-1,no,no,no,999,5,0,2,c1",
        "2,a,2024-01-03 09:00,2024-01-03 10:00,,phone,,,2,no,no,no,7,4,9,2,c2"])
    mapping = {"name": "odd", "missing_values": ["999", "-1", "0", "2024-01-01"]}
    fast = skpi.load_tickets(path, mapping=mapping)
    assert_same(fast, tolerant(path, mapping=mapping))
    first = fast.iloc[0]
    assert pd.isna(first["first_response_at"]) and pd.isna(first["handle_minutes"])
    assert pd.isna(first["contacts"]) and pd.isna(first["nps"])


def test_problems_quote_cells_as_written(tmp_path):
    """A column with a value the loader flags goes to the tolerant path, so that its
    messages quote the cell as the export writes it."""
    bad = SMALL[0].replace(",10,5,10,2,c1", ",10,7,10,2,c1")      # csat 7
    path = write_csv(tmp_path / "export.csv", [bad, *SMALL[1:]])
    with pytest.raises(skpi.DataError) as exc:
        skpi.load_tickets(path)
    assert "('7')" in str(exc.value) or "'7'" in str(exc.value)
    sentinel = SMALL[0].replace("2024-01-02 12:00", "9999-12-31")   # sla_due_at
    t = skpi.load_tickets(write_csv(tmp_path / "s.csv", [sentinel, *SMALL[1:]]))
    q = skpi.data_quality(t)
    assert "'9999-12-31'" in q.loc[q["code"] == "timestamp_out_of_range", "detail"].item()


def test_minus_zero_and_unnamed_headers(tmp_path):
    rows = [r + ",," for r in SMALL]
    rows[0] = rows[0].replace(",10,5,10,2,c1", ",-0,5,10,2,c1")
    path = write_csv(tmp_path / "export.csv", rows, header=HEADER + ",,")
    fast = skpi.load_tickets(path)
    assert_same(fast, tolerant(path))
    assert str(fast.loc[fast["ticket_id"] == "1", "handle_minutes"].item()) == "0.0"
    assert {"Unnamed: 17", "Unnamed: 18"} <= set(fast.columns)
    assert "renamed" not in readers.read_table(path).attrs["read"]


def test_a_declared_encoding_is_held_to_the_whole_file(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(SMALL * 3000) + "\n").encode()
                     + SMALL[0].replace("c1", "Müller").encode("latin-1") + b"\n")
    with pytest.raises(skpi.DataError, match="decode"):
        skpi.load_tickets(path, encoding="utf-8")


def _addresses(s: pd.Series) -> list[int]:
    """Where an Arrow-held column's buffers lie (the same list: the same memory)."""
    return [b.address for c in pa.chunked_array(pa.array(s.array)).chunks
            for b in c.buffers() if b is not None]


# how parse_text takes each column, with na {""} / with the missing spellings:
# "itself" (no copy), "cleared" (one copy, missing spellings cleared), "longer"
# (a cell may need trimming: the longer way)
@pytest.mark.parametrize("cells,ways", [
    (["INC0001", "INC0002", "工单-7", "a b", None], ("itself", "itself")),
    ([" INC0001", "INC0002"], ("longer", "longer")),          # padding: ASCII,
    (["INC0001\t", "x"], ("longer", "longer")),
    (["\xa0INC0001", "x"], ("longer", "longer")),              # no-break,
    (["INC0001\u3000", "x"], ("longer", "longer")),            # ideographic,
    (["x", "INC0001\u2028"], ("longer", "longer")),            # a line separator,
    (["\u200bx", "y"], ("longer", "longer")),                  # zero width (unchanged),
    (["x\x1c", "y"], ("longer", "longer")), (["\x85x", "y"], ("longer", "longer")),  # controls
    (["x", "N/A"], ("itself", "cleared")), (["NULL", "x"], ("itself", "cleared")),
    (["(Blank)", "x"], ("itself", "cleared")), (["", "x"], ("cleared", "cleared")),
    (["x", "-"], ("itself", "itself")), (["x", "İ"], ("itself", "itself")),
    (["?", None], ("itself", "cleared")), (["", "", None], ("cleared", "cleared")),
])
def test_text_with_nothing_to_trim_is_the_column_itself_or_one_copy(cells, ways):
    """Compact text read by Arrow comes back as the column itself, not a copy,
    when no cell is trimmed or spells a missing value, and as one copy when
    only missing spellings are cleared; a column with a cell to trim takes the
    longer way. Either way the text is what the longer way gives."""
    arrow = pd.Series(pa.chunked_array([cells[:1], cells[1:]], type=pa.string()),
                      dtype=pd.StringDtype("pyarrow", na_value=float("nan")),
                      index=range(5, 5 + len(cells)), name="ticket_id")
    assert arrow.dtype == parsing.COMPACT_TEXT
    objects = arrow.astype(object).where(arrow.notna(), None)
    for na, way in zip((frozenset({""}), parsing.NULL_TOKENS - {"-"}), ways):
        out, bad = parsing.parse_text(arrow, na, compact=True)
        pd.testing.assert_series_equal(out, parsing.parse_text(objects, na, compact=True)[0])
        assert not bad.any()
        assert (_addresses(out) == _addresses(arrow)) == (way == "itself")
        assert (parsing._untrimmed(arrow, na) is None) == (way == "longer")


def test_typed_numbers_and_timestamps_are_checked_without_a_copy():
    """Columns typed as they were read (floats, timestamps in nanoseconds) are
    checked in place: a 10M-row column is 80 MB. A value to clear makes a copy,
    and the column read stays as it was."""
    clean = pd.Series([1.0, float("nan"), 3.0], index=[7, 8, 9], name="csat")
    values, bad = parsing.parse_numbers(clean, integer=True)
    assert values.dtype == "float64" and values.name is None and list(values.index) == [0, 1, 2]
    assert not bad.any() and np.shares_memory(values.to_numpy(), clean.to_numpy())
    values.iloc[0] = 5.0            # shared until written, then each its own
    clean.iloc[2] = 4.0
    assert values.tolist()[::2] == [5.0, 3.0] and clean.tolist()[::2] == [1.0, 4.0]
    for cells, flagged in (([1.5, 2.0], [True, False]), ([float("inf"), 2.0], [True, False])):
        s = pd.Series(cells)
        values, bad = parsing.parse_numbers(s, integer=True)
        assert bad.tolist() == flagged and values.isna().tolist() == flagged
        assert s.tolist() == cells
    stamps = pd.Series(pd.to_datetime(["2024-01-02 10:00", None]).astype("datetime64[ns]"))
    assert stamps.dtype == "datetime64[ns]"
    values, _ = parsing.parse_timestamps(stamps)
    assert values.equals(stamps) and np.shares_memory(values.to_numpy(), stamps.to_numpy())
    far = pd.Series(np.array(["2024-01-02T10:00", "9999-12-31"], dtype="datetime64[us]"))
    values, _ = parsing.parse_timestamps(far)
    assert values.dtype == "datetime64[ns]" and values.isna().tolist() == [False, True]
    assert far.notna().all()


def test_tickets_and_the_frame_validated_are_each_their_own(tmp_path):
    """Typed columns share the memory of the frame read until one is written:
    a user's later change to either shows in that one only, and loaded tickets
    can be changed (not read-only)."""
    path = write_csv(tmp_path / "export.csv", SMALL)
    t = skpi.load_tickets(path)
    t.loc[0, "handle_minutes"] = 99.0
    t.loc[0, "created_at"] = pd.Timestamp("2024-01-01")
    assert t.loc[0, "handle_minutes"] == 99.0
    raw = pd.read_csv(path, keep_default_na=True)
    raw["created_at"] = pd.to_datetime(raw["created_at"], format="mixed").astype("datetime64[ns]")
    t = validate_tickets(raw)
    before = t.copy()
    raw.loc[0, "handle_minutes"] = 1e6
    raw.loc[0, "created_at"] = pd.Timestamp("2030-01-01")
    pd.testing.assert_frame_equal(t, before)


def test_a_year_beyond_nanoseconds_is_flagged_not_wrapped(tmp_path):
    """2624-01-02 (a typo for 2024) is outside the years nanoseconds hold: the
    column goes to the tolerant parser and the date is flagged, not wrapped
    round into a plausible one."""
    typo = SMALL[0].replace("1,a,2024-01-02 09:00", "99,a,2624-01-02 09:00", 1)
    path = write_csv(tmp_path / "export.csv", SMALL + [typo])
    raw = readers.read_table(path, plan=lambda cols: readers.Plan(
        typed={"created_at": {"kind": "timestamp"}}))
    assert raw["created_at"].dtype == "str"          # left as text for the tolerant parser
    with pytest.raises(skpi.DataError, match=r"out-of-range date .* row 9 \(.2624-01-02 09:00.\)"):
        skpi.load_tickets(path)


def test_the_blocks_read_are_handed_over_with_the_table():
    """Once the read blocks are a table, the reader no longer holds them: the
    conversion to pandas frees each column as it goes."""
    blocks = readers._Blocks({"a": pa.string(), "b": pa.string()}, readers.Plan())
    blocks.add("a", pa.array(["x", "y"]))
    blocks.add("b", pa.array(["z", None]))
    table = blocks.table()
    assert table.column_names == ["a", "b"] and table.column("a").to_pylist() == ["x", "y"]
    assert table.column("b").type == pa.string() and not blocks.chunks


def test_only_a_large_table_is_converted_after_a_trim(monkeypatch):
    """Memory freed while reading is given back before a large table becomes a
    frame, not before a small one (a report kernel's slice), and after either."""
    trims = []
    monkeypatch.setattr(readers, "release_memory", lambda: trims.append(1))
    monkeypatch.setattr(readers, "_TRIM_BEFORE", 1000)
    readers.arrow_to_pandas(pa.table({"a": pa.array(range(10), pa.int64())}))      # 80 bytes
    assert len(trims) == 1
    readers.arrow_to_pandas(pa.table({"a": pa.array(range(200), pa.int64())}))     # 1,600
    assert len(trims) == 3
