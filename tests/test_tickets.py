"""Loading ticket exports: types, spellings, time zones, and every refusal."""
import re

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from conftest import HEADER, SMALL, write_csv
from servicekpi.i18n import msg

GOOD = SMALL[0]


def load_rows(tmp_path, rows, header=HEADER, **kw):
    return skpi.load_tickets(write_csv(tmp_path / "t.csv", rows, header), **kw)


def problems_of(exc_info):
    return {(p.column, p.message.split(":")[0]): p for p in exc_info.value.problems}


def test_types_and_order(small_csv):
    t = skpi.load_tickets(small_csv)
    assert t["created_at"].is_monotonic_increasing          # ticket 6 sorted into place
    assert str(t["created_at"].dtype) == "datetime64[ns]"
    assert t["reopened"].dtype == "boolean" and t["csat"].dtype == "Int64"
    assert t["team"].dtype == "category"
    q = skpi.data_quality(t)
    assert q.loc[q["code"] == "rows_out_of_order", "rows"].item() == 1
    csat = q[(q["code"] == "survey_answer_missing") & (q["column"] == "csat")]
    assert csat["rows"].item() == 3 and csat["severity"].item() == "info"


@pytest.mark.parametrize("cell,expected", [
    ("true", True), ("TRUE", True), ("Yes", True), ("y", True), ("1", True),
    ("false", False), ("No", False), ("0", False), ("F", False), ("", None), (" ", None),
])
def test_boolean_spellings(tmp_path, cell, expected):
    row = GOOD.split(",")
    row[9] = cell  # reopened
    t = load_rows(tmp_path, [",".join(row)])
    got = t["reopened"].iloc[0]
    assert (got is pd.NA) if expected is None else (got == expected)


@pytest.mark.parametrize("cell", [
    "2024-01-02 09:00", "2024-01-02T09:00:00", "2024-01-02T09:00:00.000", "01/02/2024 09:00",
    "2024-01-02T10:00:00+01:00", "2024-01-02T09:00:00Z", "45293.375",
])
def test_timestamp_forms(tmp_path, cell):
    row = GOOD.split(",")
    row[2] = cell
    t = load_rows(tmp_path, [",".join(row)], dayfirst=False)  # 01/02: declared month-first
    assert t["created_at"].iloc[0] == pd.Timestamp("2024-01-02 09:00")


OPEN = "{id},A,{created},{response},,phone,,,1,no,no,no,5,,,,c1"


def test_aware_and_naive_mixed_in_one_column(tmp_path):
    rows = [OPEN.format(id=1, created="2024-01-02 09:00", response="2024-01-02 15:00"),
            OPEN.format(id=2, created="2024-01-02T09:00:00-05:00", response="2024-01-02 15:00")]
    t = load_rows(tmp_path, rows)
    assert list(t["created_at"]) == [pd.Timestamp("2024-01-02 09:00"),
                                     pd.Timestamp("2024-01-02 14:00")]
    # a response "before" creation once zones are taken into account is caught
    late = [OPEN.format(id=1, created="2024-01-02T09:00:00-05:00", response="2024-01-02 10:00")]
    with pytest.raises(skpi.DataError, match="first response is before"):
        load_rows(tmp_path, late)


def test_timezone_setting(tmp_path):
    rows = [OPEN.format(id=1, created="2024-01-02T09:00:00Z", response="2024-01-02 18:00")]
    t = load_rows(tmp_path, rows, timezone="Asia/Shanghai")
    assert t["created_at"].iloc[0] == pd.Timestamp("2024-01-02 17:00")
    assert t["first_response_at"].iloc[0] == pd.Timestamp("2024-01-02 18:00")


def test_dayfirst(tmp_path):
    row = GOOD.split(",")
    row[2] = "02/01/2024 09:00"
    t = load_rows(tmp_path, [",".join(row)], dayfirst=True)
    assert t["created_at"].iloc[0] == pd.Timestamp("2024-01-02 09:00")


def test_every_problem_reported_at_once(tmp_path):
    rows = [
        GOOD,
        "2,A,2024-01-02 09:00,2024-01-02 08:00,,phone,,,1,no,no,no,5,7,3,2,c1",     # resp. before created, csat 7
        "3,A,not a date,,,phone,,,1,maybe,no,no,-4,3,11,9,c1",                        # ts, bool, handle<0, nps, ces
        "4,A,2024-01-03 09:00,,2024-01-01 09:00,phone,,,0,no,no,no,5,4.5,3,2,c2",    # resolved before, contacts 0, csat 4.5
        "1,A,2024-01-09 09:00,,,phone,,,1,no,no,no,5,,,,c9",                          # duplicate id, different row
        ",,2024-01-02 09:00,,,phone,,,1,no,no,no,5,,,,c9",                            # empty id and team
        "7,A,2024-01-02 09:00,,,phone,,,x,no,no,no,5,,,,c9",                          # text in number column
    ]
    with pytest.raises(skpi.DataError) as ei:
        load_rows(tmp_path, rows)
    got = problems_of(ei)
    expect = {
        ("first_response_at", "first response is before the ticket was created (expected first_response_at >= created_at; shown as created_at -> first_response_at)"): [3],
        ("resolved_at", "resolution is before the ticket was created (expected resolved_at >= created_at; shown as created_at -> resolved_at)"): [5],
        ("csat", "value out of range"): [3],
        ("csat", "cannot read value"): [5],
        ("created_at", "cannot read value"): [4],
        ("reopened", "cannot read value"): [4],
        ("handle_minutes", "value out of range"): [4],
        ("nps", "value out of range"): [4],
        ("ces", "value out of range"): [4],
        ("contacts", "value out of range"): [5],
        ("contacts", "cannot read value"): [8],
        ("ticket_id", "duplicate ticket id with different contents (expected each ticket once; "
                      "an event log (one row per update)? declare one_row_per_ticket"): [2, 6],
        ("ticket_id", "empty cell in a required column"): [7],
    }
    for key, rows_ in expect.items():
        assert key in got, f"missing problem {key}; got {sorted(got)}"
        assert list(got[key].rows) == rows_, key
    text = str(ei.value)
    assert "t.csv" in text and "column 'csat'" in text and "row 3 ('7')" in text
    assert "expected a whole number from 1 to 5" in text


def test_missing_required_columns_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,team\n1,A\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    cols = {p.column for p in ei.value.problems}
    assert {"ticket_id", "created_at"} <= cols
    assert "x.csv" in str(ei.value) and "columns found: id, team" in str(ei.value)
    # the closest headers are named for the column not found
    assert "closest headers in the file: 'id'" in str(ei.value)


def test_identical_duplicates_are_kept_once(tmp_path):
    t = load_rows(tmp_path, [GOOD, GOOD, SMALL[1]])
    assert len(t) == 2
    q = skpi.data_quality(t)
    assert q.loc[q["code"] == "identical_duplicates", "rows"].item() == 1


def test_errors_drop_keeps_good_rows(tmp_path):
    bad = "2,A,2024-01-02 09:00,,,phone,,,1,no,no,no,5,9,,,c1"
    t = load_rows(tmp_path, [GOOD, bad], bad_rows="drop", max_dropped_share=0.5)
    assert list(t["ticket_id"]) == ["1"]
    q = skpi.data_quality(t)
    dropped = q[q["severity"] == "dropped"]
    assert dropped["column"].tolist() == ["csat"] and dropped["rows"].tolist() == [1]


def test_errors_drop_still_refuses_missing_columns(tmp_path):
    with pytest.raises(skpi.DataError, match="no column for canonical 'team'"):
        load_rows(tmp_path, ["1,2024-01-01"], header="ticket_id,created_at", bad_rows="drop")


def test_missing_file_and_bad_type(tmp_path):
    with pytest.raises(skpi.DataError, match="file not found"):
        skpi.load_tickets(tmp_path / "nope.csv")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(skpi.DataError, match="unsupported file type"):
        skpi.load_tickets(tmp_path / "a.json")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(skpi.DataError, match="empty"):
        skpi.load_tickets(tmp_path / "empty.csv")


def test_parquet_and_excel_round_trip(small_csv, tmp_path):
    ref = skpi.load_tickets(small_csv)
    raw = pd.read_csv(small_csv, dtype=str, keep_default_na=False)
    raw.to_excel(tmp_path / "t.xlsx", index=False)
    typed = ref.copy()
    typed["created_at"] = typed["created_at"].dt.tz_localize("Europe/Berlin")  # aware dtype
    typed.to_parquet(tmp_path / "t.parquet")
    x = skpi.load_tickets(tmp_path / "t.xlsx")
    p = skpi.load_tickets(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(skpi.compute_kpis(x), skpi.compute_kpis(ref))
    # aware Berlin times become naive UTC: one hour earlier in winter
    assert (p["created_at"] == ref["created_at"] - pd.Timedelta("1h")).all()


def test_channel_spellings_normalised(tmp_path):
    rows = [GOOD.replace(",phone,", ",Self Service,"),
            SMALL[1].replace(",email,", ",self-service,")]
    t = load_rows(tmp_path, rows)
    assert set(t["channel"]) == {"self_service"}


def test_other_columns_travel_along(tmp_path):
    t = load_rows(tmp_path, [GOOD + ",gold", SMALL[1] + ", silver "],
                  header=HEADER + ",customer_tier")
    assert t["customer_tier"].tolist() == ["gold", "silver"]


def test_other_columns_keep_their_text_dtypes(tmp_path):
    """Pandas' text dtype (no Python object per cell) for a column with values,
    Python objects (None) for one with none, in the rows kept and in created
    order."""
    rows = [SMALL[1] + ",south,", GOOD + ",north,", SMALL[2] + ", ,"]
    t = load_rows(tmp_path, rows, header=HEADER + ",region,memo")
    assert t["region"].dtype == "str" and t["memo"].dtype == object
    assert t["region"].tolist()[:2] == ["north", "south"] and pd.isna(t["region"].iloc[2])
    assert t["memo"].tolist() == [None, None, None]


def test_a_team_column_of_python_objects_reads_each_cell_as_written():
    frame = pd.DataFrame({"ticket_id": ["1", "2", "3", "4"],
                          "created_at": ["2024-01-02 09:00"] * 4,
                          "team": [1, 1.0, "x", 1]}, dtype=object)
    t = skpi.validate_tickets(frame, mapping=None)
    assert t["team"].astype(str).tolist() == ["1", "1_0", "x", "1"]


def test_as_of_recorded(small_csv):
    t = skpi.load_tickets(small_csv)
    assert pd.Timestamp(t.attrs["as_of"]) == pd.Timestamp("2024-03-02 10:00")
    t2 = skpi.load_tickets(small_csv, as_of="2024-04-01T00:00:00+00:00")
    assert pd.Timestamp(t2.attrs["as_of"]) == pd.Timestamp("2024-04-01")


def test_error_message_limits_examples(tmp_path):
    rows = [f"{i},A,2024-01-02 09:00,,,phone,,,1,no,no,no,5,9,,,c1" for i in range(12)]
    with pytest.raises(skpi.DataError) as ei:
        load_rows(tmp_path, rows)
    (p,) = ei.value.problems
    assert p.count == 12 and len(p.rows) == 5
    assert "and 7 more" in str(p)


def test_data_quality_per_team(small_csv):
    t = skpi.load_tickets(small_csv)
    q = skpi.data_quality(t, "b")
    assert q.loc[q["code"] == "tickets", "rows"].item() == 1
    # the team's share of the export, beside the export's total: not "100.0% of 7"
    mine = q[q["code"] == "tickets"].iloc[0]
    assert mine["share"] == pytest.approx(1 / len(t))
    assert mine["detail"] == f"of {len(t)} in the export"
    assert q.loc[q["code"] == "unresolved", "rows"].item() == 0


def test_an_export_total_reads_with_thousands_separators(tmp_path):
    rows = [f"{i},{'a' if i % 4 else 'b'},2024-01-02 09:00,,,phone,,,,,no,no,,,,," for i in range(1, 1201)]
    t = load_rows(tmp_path, rows)
    for language, detail in (("en", "of 1,200 in the export"), ("zh", "导出文件共 1,200 张工单")):
        mine = skpi.data_quality(t, "b", language=language).iloc[0]
        assert mine["code"] == "tickets" and mine["rows"] == 300
        assert mine["share"] == pytest.approx(0.25) and mine["detail"] == detail


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_data_quality_words_come_from_the_catalogue(tmp_path):
    """The summary's codes are the same in every language; the words are the
    catalogue's (data.<code>.*), Chinese with language="zh"."""
    rows = SMALL + [SMALL[0],                                      # an identical repeat
                    "8,,2024-01-03 09:00,,,phone,,,,,no,no,,,,,",   # blank team
                    "9,b,2024-01-04 09:00,,,phone,,,,,no,no,,9,,,",  # csat 9: dropped
                    "10,b,2099-01-04 09:00,,,phone,,,,,no,no,,,,,"]  # in the future
    t = load_rows(tmp_path, rows, bad_rows="drop", max_dropped_share=0.5)
    en, zh = skpi.data_quality(t), skpi.data_quality(t, language="zh")
    assert {"identical_duplicates", "blank_team", "row_dropped", "created_after_as_of",
            "rows_read", "mapping", "file_read", "unresolved"} <= set(en["code"])
    assert en["code"].tolist() == zh["code"].tolist()
    assert en[["rows", "severity"]].equals(zh[["rows", "severity"]])
    for e, z in zip(en.itertuples(), zh.itertuples()):
        assert e.check == msg(f"data.{e.code}.check", "en")
        assert CJK.search(z.check) and not re.search(r"[A-Za-z]", z.check), z.check
        if e.code != "row_dropped":      # its reason is the loader's (English) problem
            assert CJK.search(z.detail), (e.code, z.detail)
    blank = zh.set_index("code").loc["blank_team"]
    assert blank["detail"] == "保留为团队「unassigned」（设置 unassigned: drop 可将其剔除）"
    dropped = en.set_index("code").loc["row_dropped"]
    assert dropped["column"] == "csat" and "from 1 to 5" in dropped["detail"]
    late = en.set_index("code").loc["created_after_as_of"]
    assert late["rows"] == 1 and late["detail"].startswith("created after 20")
    # one team: its own counts, and the export's checks marked as such
    team = skpi.data_quality(t, "b", language="zh").set_index("code")
    assert team.loc["tickets", "detail"] == f"导出文件共 {len(t)} 张工单"
    assert team.loc["mapping", "detail"].endswith("（整个导出文件）")
    lines = skpi.tickets.quality_warnings(t, language="zh")
    assert lines and all(line.startswith("数据质量（") for line in lines)
    assert any("警告" in line for line in lines) and any("已剔除" in line for line in lines)
    assert skpi.tickets.quality_warnings(t)[0].startswith("data quality (")


def test_data_messages_exist_in_both_languages():
    """Every data.* message is in en and zh with the same {fields}."""
    from servicekpi.i18n import catalogue, fields
    en = {k for k in catalogue("en") if k.startswith("data.")}
    zh = {k for k in catalogue("zh") if k.startswith("data.")}
    assert en == zh and len(en) > 50
    assert all(fields(k, "en") == fields(k, "zh") for k in en)


def test_refused_option_values_are_invalid_arguments(small_csv):
    for kw in ({"bad_rows": "skip"}, {"unassigned": "maybe"}):
        with pytest.raises(skpi.InvalidArgument, match=next(iter(kw))):
            skpi.load_tickets(small_csv, **kw)
    with pytest.raises(ValueError):                       # still a ValueError
        skpi.load_tickets(small_csv, bad_rows="skip")


def test_a_whole_number_too_large_to_hold_exactly_is_a_bad_value(tmp_path):
    """contacts 1e20 was an unexpected TypeError when made Int64; it is refused,
    naming the column, the row and why (it is a whole number >= 1, so not "cannot
    read" nor "out of range": too large to hold exactly).  csat 1e20 is out of
    range (1 to 5), once; and a refused cell is not also counted as a blank one."""
    huge = "9" + GOOD[1:].replace(",1,no,no,no,", ",1e20,no,no,no,")
    assert huge != GOOD
    with pytest.raises(skpi.DataError) as exc:
        load_rows(tmp_path, [GOOD, huge])
    text = str(exc.value)
    assert "contacts" in text and "'1e20'" in text
    assert ("value too large: expected a whole number >= 1, below 2**53 = "
            "9,007,199,254,740,992") in text
    assert "cannot read" not in text and "out of range" not in text
    fields = GOOD.split(",")
    fields[0], fields[13] = "8", "1e20"                 # csat (1 to 5)
    with pytest.raises(skpi.DataError) as exc:
        load_rows(tmp_path, [GOOD, ",".join(fields)])
    assert len(exc.value.problems) == 1
    assert "value out of range: expected a whole number from 1 to 5" in str(exc.value)
    for row, column in ((huge, "contacts"), (",".join(fields), "csat")):
        t = load_rows(tmp_path, [GOOD, row], bad_rows="drop", max_dropped_share=0.5)
        q = skpi.data_quality(t)
        assert q.loc[q["severity"] == "dropped", "column"].tolist() == [column]
        blank = q[q["code"].isin(["blank_cell", "survey_answer_missing"])
                  & (q["column"] == column)]
        assert blank.empty, blank
    t = load_rows(tmp_path, [GOOD, huge], bad_rows="drop", max_dropped_share=0.5)
    assert len(t) == 1 and str(t["contacts"].dtype) == "Int64"
    assert t["contacts"].tolist() == [int(GOOD.split(",")[8])]


def test_a_team_whose_rows_are_all_dropped_is_no_category(tmp_path):
    bad = "2,b,2024-01-02 09:00,,,phone,,,1,no,no,no,5,9,,,c1"   # csat 9: dropped
    t = load_rows(tmp_path, [GOOD, bad], bad_rows="drop", max_dropped_share=0.5)
    assert list(t["team"].cat.categories) == ["a"]
    assert skpi.compute_kpis(t)["team"].unique().tolist() == ["a"]


def test_team_names_read_once_per_spelling(tmp_path):
    rest = GOOD.split(",")[2:]
    rows = [",".join([str(i), team, *rest])
            for i, team in enumerate([" Support ", "support", "SUPPORT", "-", "",
                                      "Billing", "Support"], start=1)]
    t = load_rows(tmp_path, rows)
    assert t["team"].tolist() == ["support", "support", "support", "unassigned",
                                  "unassigned", "billing", "support"]
    assert list(t["team"].cat.categories) == ["billing", "support", "unassigned"]
    assert t.attrs["team_names"] == {"billing": "Billing", "support": "Support",
                                     "unassigned": "unassigned"}
    q = skpi.data_quality(t)
    assert q.loc[q["code"] == "blank_team", "rows"].item() == 2
    alike = q.loc[q["code"] == "team_names_alike"]
    # the tickets spelled other than as shown ('Support', twice): 'support', 'SUPPORT'
    assert alike["rows"].item() == 2


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_repeated_matches_duplicated(dtype):
    import pyarrow as pa

    from servicekpi.tickets import repeated
    values = ["a", "b", None, "a", "c", None, "b", "d"]
    s = pd.Series(values, dtype=dtype)
    expected = (s.duplicated(keep=False) & s.notna()).tolist()
    assert repeated(s).tolist() == expected == [True, True, False, True, False, False,
                                                True, False]
    # an Arrow column in several chunks: sorted across them
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
        [values[:3], values[3:], []], type=pa.large_string())))
    assert repeated(chunked).tolist() == expected
    assert repeated(s.iloc[:0]).tolist() == []
    # many values in several chunks: blank text, accents, a trailing space, a
    # prefix of another id and missing values, each alone or repeated
    rng = np.random.default_rng(5)
    pool = np.array(["", " ", "A1", "A1 ", "A10", "é", "e", "工单-7", "INC0001", "INC00010",
                     None], dtype=object)
    many = list(rng.choice(pool, 3000)) + [f"U{i}" for i in range(500)]
    rng.shuffle(many)
    s = pd.Series(many, dtype=dtype)
    expected = (s.duplicated(keep=False) & s.notna()).tolist()
    assert repeated(s).tolist() == expected
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(
        [many[:1000], many[1000:1001], many[1001:]], type=pa.string())))
    assert repeated(chunked).tolist() == expected
    assert sum(expected) > 2500 and not all(expected)


@pytest.mark.parametrize("dtype", ["int64", "Int64", "UInt64", "int64[pyarrow]"])
def test_repeated_integer_ids_match_duplicated(dtype):
    """Integer ids (a Parquet export's) are found repeated by sorting: missing
    ids never repeated, the largest ids kept apart."""
    from servicekpi.tickets import repeated
    big = 2 ** 64 - 1 if dtype == "UInt64" else 2 ** 63 - 1
    values = [7, 3, big, 7, 5, big - 1, 3, 3, 1, big]
    if dtype != "int64":
        values[4] = None
        values += [None]
    s = pd.Series(values, dtype=dtype)
    # by hand (pandas' own duplicated takes int64[pyarrow] through floats, where
    # 2**63 - 1 and 2**63 - 2 are one number)
    expected = [True, True, True, True, False, False, True, True, False, True]
    assert repeated(s).tolist() == expected + ([False] if dtype != "int64" else [])
    assert repeated(s.iloc[:0]).tolist() == []
    rng = np.random.default_rng(3)
    many = pd.Series(rng.integers(0, 50_000, 20_000), dtype=dtype)
    assert (repeated(many) == (many.duplicated(keep=False) & many.notna())).all()


def test_data_quality_of_a_part_of_the_export_and_of_a_team_not_there(tmp_path):
    """A frame an analyst filtered (one quarter) carried the whole export's summary
    without a word: its counts are now its own, the loader's checks marked as the
    whole export's.  A team not in the tickets is refused, not a summary of zeros."""
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,team,created_at,resolved_at,csat\n"
                    "1,A,2024-01-05 09:00,2024-01-05 10:00,5\n"
                    "2,A,2024-02-05 09:00,,\n"
                    "3,B,2024-04-05 09:00,2024-04-05 10:00,\n"
                    "4,B,2024-04-06 09:00,2024-04-06 10:00,4\n")
    t = skpi.load_tickets(path)
    whole = skpi.data_quality(t).set_index("code")
    assert whole.loc["rows_read", "detail"] == "4 kept"
    q1 = skpi.data_quality(t[t["created_at"] < "2024-04-01"]).set_index("code")
    assert q1.loc["tickets", ["rows", "detail"]].tolist() == [2, "of 4 in the export"]
    assert q1.loc["unresolved", "rows"] == 1
    assert q1.loc["survey_answer_missing", "rows"] == 1          # ticket 2 (of 1 and 2)
    assert q1.loc["file_read", "detail"].endswith("(whole export)")
    with pytest.raises(skpi.InvalidArgument, match="team 'c' is not in the tickets; their "
                                                   "teams: a, b"):
        skpi.data_quality(t, "c")


def test_a_loaded_frame_saved_read_back_or_joined_gives_the_whole_exports_kpis(
        small_csv, tmp_path):
    """The loaded frame carries per-ticket columns for the KPIs across teams.  Saved as
    CSV and loaded again they came back as text ("False" read true); two halves loaded
    and joined kept each half's repeat contacts (ticket 5's customer came back in the
    other half).  Both are worked out again: the KPIs are the whole export's."""
    AS_OF = "2024-03-31"
    whole = skpi.load_tickets(small_csv, as_of=AS_OF)
    expected = skpi.compute_kpis(whole)
    whole.to_csv(tmp_path / "saved.csv", index=False)
    again = skpi.compute_kpis(skpi.load_tickets(tmp_path / "saved.csv", as_of=AS_OF))
    pd.testing.assert_series_equal(again["value"], expected["value"])
    first = whole[whole["created_at"] < "2024-03-02"]
    second = whole[whole["created_at"] >= "2024-03-02"]
    first.to_parquet(tmp_path / "a.parquet")
    second.to_parquet(tmp_path / "b.parquet")
    joined = pd.concat([skpi.load_tickets(tmp_path / "a.parquet", as_of=AS_OF),
                        skpi.load_tickets(tmp_path / "b.parquet", as_of=AS_OF)], ignore_index=True)
    got = skpi.compute_kpis(joined, as_of=AS_OF).set_index(["team", "period", "kpi"])["value"]
    want = expected.set_index(["team", "period", "kpi"])["value"]
    key = ("a", pd.Period("2024-03", "M"), "repeat_contact_rate")
    assert got[key] == want[key] == 0.5           # ticket 5: c3 again a day later


def test_the_optional_columns_note_names_kpis_by_their_labels_in_the_pages_language():
    """The note on optional columns listed KPI codes (fcr_rate, nps) on a Chinese page,
    joined by an ASCII comma; it names them as the report does."""
    from servicekpi.tickets import _words
    record = {"code": "optional_absent",
              "values": {"columns": "sla_met, satisfied", "kpis": ["fcr_rate", "nps"]}}
    assert _words(record, "zh")[1] == ("导出文件中没有：「sla_met」、「satisfied」；"
                                       "未计算的 KPI：首次解决率、净推荐值")
    assert _words(record, "en")[1].endswith(
        "KPIs not computed: First-contact resolution, Net Promoter Score")


def test_a_dropped_rows_reason_is_in_the_pages_language():
    """A Chinese page's data-quality table gave dropped rows' reasons in English
    ('cannot read value: expected a timestamp ...'); the common ones are worded from
    the message catalogue, the English ones unchanged, any other as written."""
    from servicekpi.schema import TICKET_COLUMNS
    from servicekpi.tickets import reason_words
    stamp = f"cannot read value: expected {TICKET_COLUMNS['created_at'].expected()}"
    score = f"value out of range: expected {TICKET_COLUMNS['csat'].expected()}"
    flag = f"cannot read value: expected {TICKET_COLUMNS['sla_met'].expected()}"
    assert reason_words(flag, "zh") == "无法读取该值：应为true/false、yes/no 或 1/0"
    for reason in (stamp, score, flag, "empty cell in a required column", "anything else"):
        assert reason_words(reason, "en") == reason
    assert reason_words(stamp, "zh").startswith("无法读取该值：应为时间戳（ISO 8601")
    assert reason_words(score, "zh") == "数值超出范围：应为整数，取值1至5"
    assert reason_words("empty cell in a required column", "zh") == "必填列中有空单元格"
    assert reason_words("anything else", "zh") == "anything else"


def test_dropped_rows_reasons_and_the_preset_in_chinese(tmp_path):
    """A ServiceNow export read for a Chinese page: a row resolved before it was
    opened and a number given twice with other contents are dropped, and their
    reasons, like the preset's description, are in Chinese; in English they read
    as the checks wrote them."""
    from pathlib import Path

    import yaml
    fixture = Path(__file__).parent / "fixtures" / "exports" / "servicenow.csv"
    lines = fixture.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    before = [*first[:12], "2024-01-02 08:00:00", *first[13:]]      # resolved before opened
    twice = [first[0], "2024-01-09 08:00:00", *first[2:]]             # INC0010001 again
    path = tmp_path / "servicenow.csv"
    path.write_text("\n".join([*lines, ",".join(["INC0010030", *before[1:]]),
                               ",".join(twice)]) + "\n", encoding="utf-8")
    t = skpi.load_tickets(path, bad_rows="drop", max_dropped_share=0.5)
    zh = skpi.data_quality(t, language="zh")
    en = skpi.data_quality(t)
    dropped = zh[zh["code"] == "row_dropped"].set_index("column")["detail"]
    assert dropped["resolved_at"] == ("解决时间早于工单创建时间（应为 resolved_at >= created_at；"
                                      "显示为 created_at -> resolved_at）（列「Resolved」：第11行"
                                      "（'2024-01-03 08:00 -> 2024-01-02 08:00'）、第12行（"
                                      "'2024-01-09 08:00 -> 2024-01-03 12:00'））")
    assert dropped["ticket_id"].startswith("工单编号重复且内容不同（每张工单应只出现一次；若为事件日志")
    assert "one_row_per_ticket: {latest_by: [<更新时间列>]}" in dropped["ticket_id"]
    english = en[en["code"] == "row_dropped"].set_index("column")["detail"]
    assert english["resolved_at"] == ("resolution is before the ticket was created (expected "
                                      "resolved_at >= created_at; shown as created_at -> "
                                      "resolved_at) (column 'Resolved': row 11 ('2024-01-03 "
                                      "08:00 -> 2024-01-02 08:00'), row 12 ('2024-01-09 08:00 "
                                      "-> 2024-01-03 12:00'))")
    assert "declare one_row_per_ticket: {latest_by: [<update time column>]}" in \
        english["ticket_id"]
    assert zh.loc[zh["code"] == "mapping", "detail"].item() == \
        "「servicenow」（「ServiceNow」事件列表导出（显示标签，如「Export > Excel」））"
    # the English words of each preset are its file's, word for word
    from servicekpi.i18n import msg
    from servicekpi.mapping import presets
    for name in presets():
        text = yaml.safe_load(Path(skpi.mapping.__file__).parent.joinpath(
            "mappings", f"{name}.yaml").read_text(encoding="utf-8"))["description"]
        assert msg(f"data.preset.{name}") == text, name


def test_api_mistakes_are_said_not_tracebacks():
    """An analyst's typo in the API gets the message the command line gives: an
    unknown time zone (it was a ZoneInfoNotFoundError, or on a Parquet export
    thousands of 'clock change unknown' warnings), and KPIs none of which the
    export can give (pandas' 'No objects to concatenate')."""
    from pathlib import Path
    zendesk = Path(__file__).parent / "fixtures" / "exports" / "zendesk.csv"
    with pytest.raises(skpi.ConfigError, match="unknown time zone 'Europe/Londn': expected "
                                               "a zone name such as UTC"):
        skpi.load_tickets(zendesk, timezone="Europe/Londn")
    t = skpi.load_tickets(zendesk)
    with pytest.raises(skpi.InvalidArgument, match=(
            r"none of the KPIs asked for can be computed from these tickets: fcr_rate needs "
            r"contacts; sla_attainment needs sla_met or sla_due_at, which they do not have")):
        skpi.compute_kpis(t, kpi_list=["fcr_rate", "sla_attainment"])
    assert set(skpi.compute_kpis(t, kpi_list=["fcr_rate", "volume"])["kpi"]) == {"volume"}


def test_api_inputs_of_the_wrong_kind(tmp_path):
    """data_quality of a path, or of a frame pandas read (no record: an empty
    summary read as an export without problems), is refused saying what to pass;
    the table loaders take a DataFrame built in pandas as they take a file."""
    from pathlib import Path
    zendesk = Path(__file__).parent / "fixtures" / "exports" / "zendesk.csv"
    with pytest.raises(skpi.InvalidArgument, match="expected the frame load_tickets returns"):
        skpi.data_quality(str(zendesk))
    with pytest.raises(skpi.InvalidArgument, match="no data-quality record"):
        skpi.data_quality(pd.read_csv(zendesk))
    frame = pd.DataFrame({"team": ["a"], "kpi": ["fcr_rate"], "baseline": [0.7],
                          "baseline_period": ["2025-12"], "target": [0.8],
                          "deadline": ["2026-12"]})
    t = skpi.load_targets(frame)
    assert t["deadline"].iloc[0] == pd.Period("2026-12", "M")
    k = skpi.load_kpi_table(pd.DataFrame({"team": ["a"], "period": ["2026-01"],
                                          "kpi": ["training_hours"], "value": [3.0]}))
    assert k["value"].iloc[0] == 3.0
    b = skpi.load_benchmarks(pd.DataFrame({"kpi": ["fcr_rate"], "benchmark": ["industry_median"],
                                           "value": [0.7], "source": ["S"],
                                           "published": ["2025-06"]}))
    assert b["value"].iloc[0] == 0.7


def test_the_unassigned_teams_dropped_rows_are_counted_as_its_own():
    """A blank-team row with an unreadable creation time is dropped: it is one of
    the unassigned team's rows (blank cells have no id; they were left out)."""
    rows = [dict(ticket_id=f"T{i}", team="" if i == 0 else "a",
                 created_at="nope" if i < 2 else "2024-01-05 09:00",
                 resolved_at="2024-01-05 10:00") for i in range(30)]
    t = skpi.validate_tickets(pd.DataFrame(rows), bad_rows="drop", max_dropped_share=0.5)
    assert t.attrs["dropped_by_team"] == {"unassigned": 1, "a": 1}
