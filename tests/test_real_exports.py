"""What real exports do to a loader: day order, decimal commas, sentinels, event
logs, blank teams, future tickets, encodings, delimiters, cover sheets.

Each test builds the awkward input the way a ticket system or a spreadsheet
program writes it and checks the values worked out by hand.
"""
import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.readers import detect_encoding


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def quality(t, code):
    q = skpi.data_quality(t)
    return q[q["code"] == code]


# ---------------------------------------------------------------- day order
def test_day_order_decided_per_column_from_a_day_above_12(tmp_path):
    # 08-04-2023 alone reads either way; 14-06-2023 can only be 14 June, so the
    # whole column is day-first: 8 April, not 4 August.
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,08-04-2023\n2,A,14-06-2023\n")
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2023-04-08"), pd.Timestamp("2023-06-14")]


def test_mixed_day_order_in_one_column_is_refused(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,14-06-2023\n2,A,06-15-2023\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path, dayfirst=False)
    (p,) = ei.value.problems
    assert p.column == "created_at" and "both day orders" in p.message
    assert "'14-06-2023'" in p.message and "'06-15-2023'" in p.message


def test_all_ambiguous_dates_need_a_declared_order(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,08-04-2023\n2,A,03-02-2023\n")
    with pytest.raises(skpi.DataError, match="day order cannot be decided.*'08-04-2023'"):
        skpi.load_tickets(path)
    t = skpi.load_tickets(path, dayfirst=True)
    assert t["created_at"].tolist() == [pd.Timestamp("2023-02-03"), pd.Timestamp("2023-04-08")]


def test_declared_order_contradicted_by_the_data(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,14-06-2023\n")
    with pytest.raises(skpi.DataError, match="dayfirst: false is declared"):
        skpi.load_tickets(path, dayfirst=False)


def test_other_timestamp_columns_of_the_file_decide_an_ambiguous_one(tmp_path):
    # resolved_at alone is ambiguous; created_at proves day-first for the file
    path = write(tmp_path, "ticket_id,team,created_at,resolved_at\n"
                           "1,A,13/03/2024 09:00,02/04/2024 10:00\n")
    t = skpi.load_tickets(path)
    assert t["resolved_at"][0] == pd.Timestamp("2024-04-02 10:00")


def test_spreadsheet_error_values_are_empty_cells(tmp_path):
    """#REF! where a formula lost its source: in team, no team (unassigned, warned),
    not a team called 'sharp_ref'; in customer_id, no customer (tickets 2 and 3 are
    not one customer coming back); #DIV/0! in a handle time, no handle time."""
    path = write(tmp_path, "ticket_id,team,created_at,customer_id,handle_minutes\n"
                 "1,Desk,2024-01-02 09:00,C1,5\n2,#REF!,2024-01-03 09:00,#REF!,#DIV/0!\n"
                 "3,Desk,2024-01-04 09:00,#ref!,7\n")
    t = skpi.load_tickets(path, as_of="2024-02-01")
    assert t["team"].astype(str).tolist() == ["desk", "unassigned", "desk"]
    assert t["customer_id"].isna().tolist() == [False, True, True]
    assert t["handle_minutes"].isna().tolist() == [False, True, False]
    k = skpi.compute_kpis(t).set_index(["team", "kpi"])
    assert k.loc[("desk", "repeat_contact_rate"), ["value", "n"]].tolist() == [0.0, 1]
    assert k.loc[("desk", "aht_minutes"), "value"] == 6.0
    assert quality(t, "blank_team")["rows"].tolist() == [1]


# ---------------------------------------------------------------- timestamps
#: Jira's dd/MMM/yy as a user whose language is German, French, Spanish, Portuguese,
#: Italian or Dutch exports it: the months January to December.
MONTHS_WRITTEN = {
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "es": "ene feb mar abr may jun jul ago sept oct nov dic",
    "pt": "jan fev mar abr mai jun jul ago set out nov dez",
    "it": "gen feb mar apr mag giu lug ago set ott nov dic",
    "nl": "jan feb mrt apr mei jun jul aug sep okt nov dec",
}


@pytest.mark.parametrize("language", sorted(MONTHS_WRITTEN))
def test_month_names_in_other_languages(tmp_path, language):
    """15/<month>/24 09:30 for each month of the year, in the exporting user's
    language (day order decided by the names, as for English ones)."""
    rows = "".join(f"{i},A,15/{m}/24 09:30\n"
                   for i, m in enumerate(MONTHS_WRITTEN[language].split(), 1))
    t = skpi.load_tickets(write(tmp_path, "ticket_id,team,created_at\n" + rows))
    assert t["created_at"].tolist() == [pd.Timestamp(2024, m, 15, 9, 30) for m in range(1, 13)]


def test_jira_dates_read_in_one_pass_as_value_by_value():
    """Jira's 04/Jan/24 9:00 AM is read by format in one pass (dateutil reads some
    10,000 values a second: 45 s for 500,000 Jira times), with what a value-by-value
    reading gives: 12 AM is midnight, 12 PM noon, one-digit hours, 24-hour clocks,
    four-digit years; a day the month has not (31/Feb) is no date."""
    from servicekpi import parsing

    cells = pd.Series(["04/Jan/24 9:00 AM", "04/Jan/24 12:05 AM", "4/Feb/24 12:30 PM",
                       "29/Feb/24 11:59 PM", "07/Mar/24 17:45", "07/Mar/2024 5:45 PM",
                       "31/Feb/24 9:00 AM", "04-Jan-2024 09:30:15"])
    got, bad = parsing.parse_timestamps(cells, dayfirst=True)
    assert got.tolist()[:6] == [pd.Timestamp(x) for x in (
        "2024-01-04 09:00", "2024-01-04 00:05", "2024-02-04 12:30", "2024-02-29 23:59",
        "2024-03-07 17:45", "2024-03-07 17:45")]
    assert pd.isna(got[6]) and bad.tolist()[6] and not bad[:6].any()
    assert got[7] == pd.Timestamp("2024-01-04 09:30:15")
    one_by_one = parsing._one_by_one(cells.drop(6), utc=False, dayfirst=True)
    assert got.drop(6).tolist() == one_by_one.tolist()


def test_month_names_after_a_day_with_a_dot(tmp_path):
    """German long dates (4. Dez. 2023 10:15) and French 07/déc./25 10:51."""
    t = skpi.load_tickets(write(tmp_path, "ticket_id,team,created_at\n"
                                "1,A,4. Dez. 2023 10:15\n2,A,07/déc./25 10:51\n"))
    assert t["created_at"].tolist() == [pd.Timestamp("2023-12-04 10:15"),
                                        pd.Timestamp("2025-12-07 10:51")]


def test_sentinels_and_zone_words(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at,resolved_at\n"
                           "1,A,2024-01-02 09:00:00 UTC,9999-12-31 00:00:00\n"
                           "2,A,2024-01-03T09:00:00Z,0001-01-01\n"
                           "3,A,2024-01-04 09:00:00 GMT,2024-01-04 10:30:00 UTC\n")
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-02 09:00"),
                                        pd.Timestamp("2024-01-03 09:00"),
                                        pd.Timestamp("2024-01-04 09:00")]
    assert t["resolved_at"].isna().tolist() == [True, True, False]
    s = quality(t, "timestamp_out_of_range")
    assert s["rows"].tolist() == [2] and s["column"].tolist() == ["resolved_at"]
    # 1 of 3 tickets resolved, in 1.5 hours
    k = skpi.compute_kpis(t).set_index(["kpi"])
    assert k.loc["avg_resolution_hours", "value"] == 1.5


def test_future_ticket_is_dropped_and_periods_stop_at_as_of(tmp_path):
    ahead = (pd.Timestamp.now() + pd.DateOffset(years=5)).strftime("%Y-%m-%d %H:%M")
    path = write(tmp_path, "ticket_id,team,created_at,resolved_at\n"
                           "1,A,2024-01-02 09:00,2024-01-02 11:00\n"
                           "2,A,2024-02-10 09:00,2024-03-05 09:00\n"
                           f"3,A,{ahead},\n")
    t = skpi.load_tickets(path)          # five years ahead of now: a typo, not a ticket
    assert t["ticket_id"].tolist() == ["1", "2"]
    assert quality(t, "created_after_as_of")["rows"].item() == 1
    assert pd.Timestamp(t.attrs["as_of"]) == pd.Timestamp("2024-03-05 09:00")
    assert skpi.compute_kpis(t)["period"].max() == pd.Period("2024-02", "M")

    # as of 2024-02-20: ticket 2's resolution (5 March) is not known yet
    t = skpi.load_tickets(path, as_of="2024-02-20")
    assert pd.isna(t["resolved_at"][1])
    assert quality(t, "after_as_of")["rows"].item() == 1
    assert t.attrs["as_of"] == "2024-02-20T00:00:00"


def test_a_created_date_typod_into_the_future_drops_its_ticket_once(tmp_path):
    """A Freshdesk export whose ticket 1009 was created '2044-02-26 15:00' (for
    2024), answered and resolved in 2024: created after the as-of time (now),
    so dropped and counted once, not refused for a response 'before' its
    creation.  A response truly before its creation quotes both times."""
    head = "Ticket ID,Group,Created time,Initial response time,Resolved time\n"
    path = write(tmp_path, head + "1008,Care,2024-02-26 09:00:00,2024-02-26 09:30:00,"
                 "2024-02-26 12:00:00\n1009,Care,2044-02-26 15:00:00,2024-02-26 15:30:00,"
                 "2024-02-27 09:00:00\n")
    t = skpi.load_tickets(path)
    assert t["ticket_id"].tolist() == ["1008"]
    assert quality(t, "created_after_as_of")["rows"].item() == 1
    assert quality(t, "after_as_of").empty and quality(t, "row_dropped").empty
    bad = write(tmp_path, head + "1010,Care,2024-02-26 15:00:00,2024-02-26 14:30:00,\n",
                name="bad.csv")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(bad)
    (p,) = ei.value.problems
    assert "'2024-02-26 15:00 -> 2024-02-26 14:30'" in str(p)


# ---------------------------------------------------------------- numbers
def test_decimal_comma_detected(tmp_path):
    # semicolon-delimited, as a European spreadsheet saves it
    path = write(tmp_path, "ticket_id;team;created_at;handle_minutes\n"
                           "1;A;2024-01-02 09:00;11,4\n2;A;2024-01-03 09:00;1.002,6\n")
    t = skpi.load_tickets(path)
    assert t["handle_minutes"].tolist() == [11.4, 1002.6]
    k = skpi.compute_kpis(t).set_index("kpi")
    assert k.loc["aht_minutes", "value"] == pytest.approx((11.4 + 1002.6) / 2)


def test_decimal_styles_mixed_in_one_column_refused(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at,handle_minutes\n"
                           '1,A,2024-01-02,"11,4"\n2,A,2024-01-03,12.5\n')
    with pytest.raises(skpi.DataError, match="decimal comma.*'11,4'.*decimal point.*'12.5'"
                                             ".*neither a few strays"):
        skpi.load_tickets(path)


def test_a_number_with_the_other_decimal_mark_is_a_problem_of_its_row(tmp_path):
    """One cell typed with a decimal comma among decimal points: read with the column's
    mark it would be 114 (11,4 -> 114); it is its row's problem, named, and with
    --bad-rows drop that row alone is left out."""
    path = write(tmp_path, "ticket_id,team,created_at,handle_minutes\n"
                           '1,A,2024-01-02,12.5\n2,A,2024-01-03,"11,4"\n3,A,2024-01-04,7.25\n')
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    assert ("column 'handle_minutes': a decimal comma in a column of decimal points: write "
            "the number as the column's others are [1 row: row 3 ('11,4')]") in str(ei.value)
    t = skpi.load_tickets(path, bad_rows="drop", max_dropped_share=0.5)
    assert t["handle_minutes"].tolist() == [12.5, 7.25]
    # and the other way round: decimal commas with one point
    path = write(tmp_path, "ticket_id;team;created_at;handle_minutes\n"
                           '1;A;2024-01-02;12,5\n2;A;2024-01-03;11.4\n3;A;2024-01-04;7,25\n',
                 "semi.csv")
    with pytest.raises(skpi.DataError, match=r"a decimal point in a column of decimal commas"
                                             r".*row 3 \('11.4'\)"):
        skpi.load_tickets(path)
    # nearly half of each is a mixed file, not a few strays: the column is refused
    from servicekpi.parsing import decimal_style
    mark, problem, stray = decimal_style(pd.Series(["1,5"] * 49 + ["1.5"] * 51))
    assert stray is None and "neither a few strays" in problem
    mark, problem, stray = decimal_style(pd.Series(["1,5"] * 5 + ["1.5"] * 51))
    assert (mark, problem, int(stray.sum())) == (".", None, 5)


# ---------------------------------------------------------------- missing values
def test_question_mark_and_declared_missing_values(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: Key, team: Queue, created_at: Opened, csat: Score}\n"
                 "missing_values: ['(no answer)']\n")
    path = write(tmp_path, "Key,Queue,Opened,Score\n1,A,2024-01-02,?\n2,A,2024-01-03,(no answer)\n"
                           "3,A,2024-01-04,NULL\n4,A,2024-01-05,5\n")
    t = skpi.load_tickets(path, m)
    assert t["csat"].isna().tolist() == [True, True, True, False]
    assert quality(t, "survey_answer_missing")["rows"].item() == 3


def test_fallback_column_fills_blank_resolutions(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  ticket_id: number\n  team: assignment_group\n"
                 "  created_at: opened_at\n"
                 "  resolved_at: {source: resolved_at, fallback: [closed_at]}\n")
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,closed_at\n"
                           "1,A,2024-01-02 09:00,2024-01-02 10:00,2024-01-03 10:00\n"
                           "2,A,2024-01-02 09:00,,2024-01-02 13:00\n"
                           "3,A,2024-01-02 09:00,,\n")
    t = skpi.load_tickets(path, m)
    # ticket 2 resolves at its close (4 h), ticket 3 stays open: mean (1 + 4) / 2
    k = skpi.compute_kpis(t).set_index("kpi")
    assert k.loc["avg_resolution_hours", "value"] == 2.5
    assert quality(t, "fallback_filled")["rows"].item() == 1


# ---------------------------------------------------------------- event logs
EVENT_MAPPING = ("columns: {ticket_id: number, team: assignment_group, created_at: opened_at,"
                 " resolved_at: resolved_at}\n"
                 "one_row_per_ticket: {latest_by: [sys_mod_count, sys_updated_on]}\n")

# rows out of update order: the last line of INC1 and of INC2 is not their latest update
EVENTS = """number,assignment_group,opened_at,resolved_at,sys_mod_count,sys_updated_on
INC1,Service Desk,2024-01-02 09:00:00,2024-01-02 15:00:00,2,2024-01-02 15:00:00
INC2,Network,2024-01-05 10:00:00,2024-01-06 10:00:00,1,2024-01-06 10:00:00
INC1,Service Desk,2024-01-02 09:00:00,,0,2024-01-02 09:00:00
INC3,Network,2024-01-07 08:00:00,,0,2024-01-07 08:00:00
INC2,Network,2024-01-05 10:00:00,,0,2024-01-05 10:00:00
INC1,Service Desk,2024-01-02 09:00:00,,1,2024-01-02 09:30:00
"""


def test_event_log_keeps_each_tickets_latest_row(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(EVENT_MAPPING)
    t = skpi.load_tickets(write(tmp_path, EVENTS), m)
    assert t["ticket_id"].tolist() == ["INC1", "INC2", "INC3"]
    assert quality(t, "event_log_folded")["rows"].item() == 3      # 6 rows, 3 tickets
    k = skpi.compute_kpis(t).set_index(["team", "kpi"])
    assert k.loc[("service_desk", "avg_resolution_hours"), "value"] == 6.0   # 09:00 -> 15:00
    assert k.loc[("network", "avg_resolution_hours"), "value"] == 24.0      # INC3 still open
    assert k.loc[("network", "volume"), "value"] == 2


def test_event_log_without_folding_is_refused_with_a_hint(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: number, team: assignment_group, created_at: opened_at,"
                 " resolved_at: resolved_at}\n")
    with pytest.raises(skpi.DataError, match="one_row_per_ticket"):
        skpi.load_tickets(write(tmp_path, EVENTS), m)


# ---------------------------------------------------------------- teams
def test_teams_as_they_come_and_blank_teams(tmp_path):
    # a team cell of '-' (no letter or digit) is as blank as an empty one
    path = write(tmp_path, "ticket_id,team,created_at\n1,Group 70,2024-01-02\n"
                           "2,投诉处理中心,2024-01-03\n3,,2024-01-04\n4,Group 70,2024-01-05\n"
                           "5,-,2024-01-06\n")
    t = skpi.load_tickets(path)
    assert t["team"].astype(str).tolist() == ["group_70", "投诉处理中心", "unassigned", "group_70",
                                              "unassigned"]
    assert t.attrs["team_names"] == {"group_70": "Group 70", "unassigned": "unassigned",
                                     "投诉处理中心": "投诉处理中心"}
    blank = quality(t, "blank_team")
    assert blank["rows"].item() == 2 and blank["severity"].item() == "warning"
    dropped = skpi.load_tickets(path, unassigned="drop")
    assert len(dropped) == 3 and "unassigned" not in set(dropped["team"].astype(str))


# ---------------------------------------------------------------- drop ceiling
def test_drop_has_a_ceiling(tmp_path):
    rows = "".join(f"{i},A,2024-01-02,{5 if i > 3 else 9}\n" for i in range(1, 21))
    path = write(tmp_path, "ticket_id,team,created_at,csat\n" + rows)
    # 3 of 20 rows (15%) have csat 9
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path, bad_rows="drop")
    text = str(ei.value)
    assert "3 of 20 rows (15.0%) would be dropped" in text and "column 'csat'" in text
    t = skpi.load_tickets(path, bad_rows="drop", max_dropped_share=0.2)
    assert len(t) == 17


# ---------------------------------------------------------------- files
def test_encodings_detected(tmp_path):
    text = "ticket_id,team,created_at,category\n1,投诉处理中心,2024-01-02,退款\n"
    t = skpi.load_tickets(write(tmp_path, text, "gbk.csv", "gbk"))
    assert t["team"].astype(str).tolist() == ["投诉处理中心"] and t["category"][0] == "退款"
    latin = "ticket_id,team,created_at,category\n1,Müller Café,2024-01-02,Réclamation\n"
    t = skpi.load_tickets(write(tmp_path, latin, "latin.csv", "latin-1"))
    assert t.attrs["team_names"] == {"müller_café": "Müller Café"}
    assert t["category"][0] == "Réclamation"
    bom = write(tmp_path, "\ufeff" + text, "bom.csv")
    assert skpi.load_tickets(bom)["team"].astype(str).tolist() == ["投诉处理中心"]
    assert detect_encoding("Müller".encode("latin-1")) == "cp1252"
    assert detect_encoding("投诉处理中心".encode("gb18030")) == "gb18030"


@pytest.mark.parametrize("lines_each", [15, 60])
def test_semicolons_with_descriptions_over_many_lines(tmp_path, lines_each):
    """A semicolon export (a European Excel's CSV, CRLF) whose quoted descriptions run
    over 15 or 60 lines each, with commas in them, before the team and the date:
    the delimiter is told from whole records, not lines (the first 50 lines held 3
    records and 2 fields of a fourth, and the file was split at commas)."""
    text = "".join(f'\n{i};"' + "\n".join(
        f"Step {k}: restart, then retry; check logs" for k in range(lines_each))
        + f'";Desk {i % 2};2024-01-0{i} 09:00' for i in range(1, 8))
    path = write(tmp_path, ("ticket_id;description;team;created_at" + text + "\n")
                 .replace("\n", "\r\n"), encoding="cp1252")
    t = skpi.load_tickets(path)
    assert t["ticket_id"].tolist() == [str(i) for i in range(1, 8)]
    assert t["description"][0].count("\n") == lines_each - 1
    assert t.attrs["team_names"] == {"desk_0": "Desk 0", "desk_1": "Desk 1"}


def test_a_workbook_a_month_first_spreadsheet_rewrote_is_refused(tmp_path):
    """UK dates opened by a US Excel and saved as a workbook: 04/01/2024 (4 January)
    became the date 1 April, 10/01/2024 became 1 October, and 15/01/2024 and
    20/01/2024 stayed text.  Read as they are, January's tickets land in April and
    October: refused, saying why.  A workbook whose dates are all typed reads, and
    so does one whose text has a day of 12 or less (not what that reader leaves)."""
    from datetime import datetime

    rows = {"ticket_id": ["1", "2", "3", "4"], "team": ["Desk"] * 4,
            "created_at": [datetime(2024, 4, 1, 9, 15), datetime(2024, 10, 1, 14, 30),
                           "15/01/2024 08:00", "20/01/2024 11:00"]}
    path = tmp_path / "swapped.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    (p,) = ei.value.problems
    assert p.column == "created_at" and "reads dates month first" in p.message
    assert "'15/01/2024 08:00'" in p.message and "2024-04-01 09:15:00" in p.message
    rows["created_at"][2:] = [datetime(2024, 1, 15, 8), datetime(2024, 1, 20, 11)]
    typed = tmp_path / "typed.xlsx"
    pd.DataFrame(rows).to_excel(typed, index=False)
    assert skpi.load_tickets(typed)["created_at"].dt.month.tolist() == [1, 1, 4, 10]
    # text with a day of 12 or less a month-first reader would have typed: no swap
    rows["created_at"][2:] = ["15/01/2024 08:00", "05/01/2024 11:00"]
    pasted = tmp_path / "pasted.xlsx"
    pd.DataFrame(rows).to_excel(pasted, index=False)
    assert skpi.load_tickets(pasted)["created_at"].dt.month.tolist() == [1, 1, 4, 10]


def test_files_named_xls_that_are_no_workbook(tmp_path, monkeypatch):
    """.xls is a name systems give to other things: tab-separated text is read as
    such; a web page (Salesforce Classic's and Jira's Excel exports are HTML tables)
    and an Excel 97-2003 workbook (no reader installed) are refused saying what to
    do, not with a reader's message about engines."""
    text = write(tmp_path, "ticket_id\tteam\tcreated_at\n1\tDesk\t2024-01-02 09:00\n",
                 "report.xls")
    t = skpi.load_tickets(text)
    assert len(t) == 1 and quality(t, "file_read")["detail"].item().startswith("csv")
    html = write(tmp_path, "\n<html><body><table><tr><td>Case Number</td></tr></table>",
                 "report1642777476321.xls")
    with pytest.raises(skpi.DataError, match="a web page .* export it as CSV"):
        skpi.load_tickets(html)
    long_head = write(tmp_path, "<!DOCTYPE html>\n<meta charset='utf-8'>\n<style>"
                      + "td {color: black}\n" * 400 + "</style><table></table>", "long.xls")
    with pytest.raises(skpi.DataError, match="a web page"):
        skpi.load_tickets(long_head)
    xml = write(tmp_path, '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:'
                'office:spreadsheet"></Workbook>', "xml.xls")
    with pytest.raises(skpi.DataError, match="an Excel 2003 XML spreadsheet"):
        skpi.load_tickets(xml)
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "xlrd" else real(name, *a))
    ole = tmp_path / "old.xls"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(skpi.DataError, match=r"Excel 97-2003 workbook \(.xls\).*save it as "):
        skpi.load_tickets(ole)


def test_excel_hint_line_and_title_rows(tmp_path):
    path = write(tmp_path, "sep=;\nticket_id;team;created_at\n1;A;2024-01-02\n")
    assert len(skpi.load_tickets(path)) == 1
    path = write(tmp_path, "Tickets report\nExported 2024-02-01\n\nticket_id,team,created_at\n"
                           "1,A,2024-01-02\n2,A,x\n", name="titled.csv")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    assert ei.value.problems[0].rows == (6,)      # the line in the file


def test_workbook_with_a_cover_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"Ticket report": ["Prepared for the board", "Q1 2024"]}).to_excel(
            xl, sheet_name="Cover", index=False)
        pd.DataFrame({"ticket_id": ["1", "2"], "team": ["A", "B"],
                      "created_at": ["2024-01-02", "2024-01-03"]}).to_excel(
            xl, sheet_name="Data", index=False)
    t = skpi.load_tickets(path)
    assert len(t) == 2
    assert "sheet 'Data'" in quality(t, "file_read")["detail"].item()


def test_numbered_ids_read_by_pandas_keep_the_text_the_export_shows(tmp_path):
    # an analyst reads the export with pandas first: a blank cell makes an id
    # column floats (7.0), and the frame is then validated; the ids are 7 and
    # 12345678901234, as the export wrote them
    path = write(tmp_path, "ticket_id,team,created_at,customer_id\n1,A,2024-01-02,7\n"
                           "2,A,2024-01-03,\n3,B,2024-01-04,12345678901234\n")
    raw = pd.read_csv(path)
    assert raw["customer_id"].dtype == float
    t = skpi.validate_tickets(raw)
    assert t["ticket_id"].tolist() == ["1", "2", "3"]
    assert t["customer_id"].tolist()[0::2] == ["7", "12345678901234"]
    assert pd.isna(t["customer_id"][1])


def test_no_mapping_fits_names_the_closest_headers(tmp_path):
    path = write(tmp_path, "Ticket #,Queue name,Opened on\n1,A,2024-01-02\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    text = str(ei.value)
    assert "no mapping fits this header" in text and "'Opened on'" in text


def test_auto_mapping_named_in_quality(small_csv):
    t = skpi.load_tickets(small_csv)
    assert t.attrs["mapping"] == "canonical"
    assert "'canonical'" in quality(t, "mapping")["detail"].item()


def test_other_values_wildcard_and_report_footer(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: Case Number, team: Case Owner, created_at: Opened,"
                 " sla_met: Milestone Status}\n"
                 "values: {sla_met: {Compliant: true, Violation: false, '*': null}}\n")
    # a Salesforce-style report export: quoted cells, a blank line (skipped) and
    # three footer lines after the rows
    path = write(tmp_path, '"Case Number","Case Owner","Opened","Milestone Status"\n'
                           '"00001001","Tier 1","2024-01-02","Compliant"\n'
                           '"00001002","Tier 1","2024-01-03","Open Violation"\n'
                           '"00001003","Tier 1","2024-01-04","Violation"\n'
                           '\n"Tickets by owner"\n"Copyright (c) 2000-2024 salesforce.com, inc."\n'
                           '"Generated By:  Jane Doe  2/1/2024 9:00 AM"\n')
    t = skpi.load_tickets(path, m)
    assert t["sla_met"].tolist()[0::2] == [True, False] and pd.isna(t["sla_met"][1])
    other = quality(t, "value_not_in_mapping")
    assert other["rows"].item() == 1 and "'Open Violation' (1)" in other["detail"].item()
    assert "3 blank or footer line(s)" in quality(t, "file_read")["detail"].item()
    # 1 met of 2 known
    assert skpi.compute_kpis(t).set_index("kpi").loc["sla_attainment", "value"] == 0.5
    # counts as every count of the summary: with thousands separators, the five most
    # frequent values, then "..."
    rows = "".join(f'"{2000 + i}","Tier 1","2024-01-05","{v}"\n' for i, v in enumerate(
        ["Open Violation"] * 1200 + ["Paused", "Closed Violation", "Pending", "Other", "X"]))
    t = skpi.load_tickets(write(tmp_path, '"Case Number","Case Owner","Opened",'
                                          '"Milestone Status"\n' + rows, "many.csv"), m)
    assert quality(t, "value_not_in_mapping")["detail"].item() == (
        "read as empty, no value ('*': null in the mapping's values): 'Open Violation' "
        "(1,200), 'Paused' (1), 'Closed Violation' (1), 'Pending' (1), 'Other' (1), ...")


@pytest.mark.parametrize("label", ["Grand Totals (3 records)", "Total", "Summe:", "合计"])
def test_a_totals_line_with_sums_is_a_footer(tmp_path, label):
    """A report's totals line holds a label and sums beside it (Age 17, 2 reopened):
    a footer, not a ticket with an empty id and date.  The last rows before it are
    rows, though their first cell begins like the word: a team 'Total Rewards', a
    'Total' team whose row holds more than numbers."""
    path = write(tmp_path, "Team,Ticket,Created,Age,Reopened\n"
                           "Desk,1,2024-01-02,5,1\nTotal Rewards,2,2024-01-03,4,0\n"
                           f"Total,3,2024-01-04,8,1\n{label},3 tickets,,17,2\n")
    m = {"columns": {"ticket_id": "Ticket", "team": "Team", "created_at": "Created"}}
    t = skpi.load_tickets(path, m)
    assert t["ticket_id"].tolist() == ["1", "2", "3"]
    assert t["team"].astype(str).tolist()[1:] == ["total_rewards", "total"]
    assert "1 blank or footer line(s)" in quality(t, "file_read")["detail"].item()


def test_event_log_ordered_by_update_time_alone(tmp_path):
    # no modification count: the update time (day-first, one blank) orders the rows
    m = tmp_path / "m.yaml"
    m.write_text(EVENT_MAPPING)
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_updated_on\n"
                           "INC1,Desk,13/01/2024 09:00,13/01/2024 17:00,13/01/2024 17:00\n"
                           "INC1,Desk,13/01/2024 09:00,,13/01/2024 10:00\n"
                           "INC1,Desk,13/01/2024 09:00,,\n")
    t = skpi.load_tickets(path, m)
    # the blank update time sorts first, 17:00 last: resolved after 8 hours
    assert len(t) == 1 and t["resolved_at"][0] == pd.Timestamp("2024-01-13 17:00")
    assert quality(t, "event_log_folded")["rows"].item() == 2


def test_team_names_alike_are_one_team_with_a_warning(tmp_path):
    # a single ticket spelled 'SUPPORT' never takes the team's id from 'Support'
    path = write(tmp_path, "ticket_id,team,created_at\n1,Support,2024-01-02\n"
                           "2,SUPPORT,2024-01-03\n3,Support,2024-01-04\n4,Billing,2024-01-04\n")
    t = skpi.load_tickets(path)
    assert t["team"].astype(str).tolist() == ["support", "support", "support", "billing"]
    assert t.attrs["team_names"] == {"billing": "Billing", "support": "Support"}
    detail = quality(t, "team_names_alike")["detail"].item()
    assert "support = 'Support', 'SUPPORT' (shown as 'Support')" in detail
    assert quality(t, "team_names_alike")["rows"].item() == 1      # the one 'SUPPORT'
    assert skpi.compute_kpis(t).set_index(["team", "kpi"]).loc[("support", "volume"),
                                                                 "value"] == 3



def test_event_log_as_of_keeps_what_was_known_then(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(EVENT_MAPPING)
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_mod_count,"
                           "sys_updated_on\n"
                           "INC1,Desk A,2024-01-10 09:00,2024-01-14 09:00,3,2024-01-14 09:00\n"
                           "INC1,Desk B,2024-01-10 09:00,,4,2024-02-03 10:00\n"
                           "INC1,Desk A,2024-01-10 09:00,,1,2024-01-10 09:00\n")
    # today: reopened and reassigned to Desk B
    now = skpi.load_tickets(path, m)
    assert now["team"].astype(str).tolist() == ["desk_b"] and pd.isna(now["resolved_at"][0])
    # as of 31 January: resolved by Desk A on the 14th, 96 hours after it was opened
    then = skpi.load_tickets(path, m, as_of="2024-01-31")
    assert then["team"].astype(str).tolist() == ["desk_a"]
    assert then["resolved_at"][0] == pd.Timestamp("2024-01-14 09:00")
    assert quality(then, "event_log_after_as_of")["rows"].item() == 1
    k = skpi.compute_kpis(then).set_index("kpi")
    assert k.loc["avg_resolution_hours", "value"] == 96.0


def test_plain_export_through_an_event_log_preset_is_not_folded(tmp_path):
    # one row per incident: the update column is never parsed, so its dates (all
    # day <= 12) need no day order; opened_at proves day-first on its own
    m = tmp_path / "m.yaml"
    m.write_text(EVENT_MAPPING)
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_updated_on\n"
                           "INC1,Desk,13/01/2024 09:00,13/01/2024 11:00,02/03/2024 10:00\n"
                           "INC2,Desk,14/01/2024 09:00,,05/03/2024 10:00\n")
    t = skpi.load_tickets(path, m)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-13 09:00"),
                                        pd.Timestamp("2024-01-14 09:00")]
    assert quality(t, "event_log_folded").empty


def test_event_log_update_times_take_the_files_day_order(tmp_path):
    # INC1's two updates (03/02 and 05/02) read either way; opened_at proves day-first,
    # so 5 February 10:00 (resolved) is the latest, not 2 March
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: number, team: assignment_group, created_at: opened_at,"
                 " resolved_at: resolved_at}\n"
                 "one_row_per_ticket: {latest_by: [sys_updated_on]}\n")
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_updated_on\n"
                           "INC1,Desk,13/01/2024 09:00,05/02/2024 10:00,05/02/2024 10:00\n"
                           "INC1,Desk,13/01/2024 09:00,,03/02/2024 10:00\n")
    t = skpi.load_tickets(path, m)
    assert t["resolved_at"][0] == pd.Timestamp("2024-02-05 10:00")


def test_event_log_ties_and_blank_ids(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(EVENT_MAPPING)
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_mod_count,"
                           "sys_updated_on\n"
                           "INC1,Desk B,2024-01-10 09:00,2024-01-11 09:00,1,2024-01-11 09:00\n"
                           "INC1,Desk C,2024-01-10 09:00,,1,2024-01-11 09:00\n"
                           "INC1,Desk A,2024-01-10 09:00,,0,2024-01-10 09:00\n")
    t = skpi.load_tickets(path, m)
    tie = quality(t, "event_log_ties")
    assert tie["rows"].item() == 1 and tie["severity"].item() == "warning"
    assert t["team"].astype(str).tolist() == ["desk_c"]        # the last of the tied rows
    # '?' ids are not one ticket: each blank id is refused on its own row
    blank = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_mod_count,"
                            "sys_updated_on\n"
                            "?,Desk,2024-01-10 09:00,,0,2024-01-10 09:00\n"
                            "?,Desk,2024-01-10 09:00,,1,2024-01-11 09:00\n"
                            "INC9,Desk,2024-01-10 09:00,,0,2024-01-10 09:00\n", name="b.csv")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(blank, m)
    (p,) = ei.value.problems
    assert p.column == "number, read as ticket_id" and p.rows == (2, 3)


def test_thousands_or_fraction_read_with_a_warning(tmp_path):
    # '1.234' and '2.500' alone: a decimal point (1.234 and 2.5 minutes), said so
    path = write(tmp_path, "ticket_id;team;created_at;handle_minutes\n"
                           "1;A;2024-01-02;1.234\n2;A;2024-01-03;2.500\n")
    t = skpi.load_tickets(path)
    assert t["handle_minutes"].tolist() == [1.234, 2.5]
    note = quality(t, "decimal_mark_assumed")
    assert note["column"].item() == "handle_minutes" and "'1.234', '2.500'" in note["detail"].item()
    # declared: a thousands point
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: ticket_id, team: team, created_at: created_at,"
                 " handle_minutes: handle_minutes}\ndecimal: ','\n")
    assert skpi.load_tickets(path, m)["handle_minutes"].tolist() == [1234.0, 2500.0]


def test_placeholder_creation_date_is_named_as_such(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,9999-12-31\n2,A,2024-01-02\n"
                           "3,A,45292.5000\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    (p,) = ei.value.problems
    assert p.message.startswith("placeholder or out-of-range date") and p.rows == (2,)
    # 45292.5000 is an Excel serial (2024-01-01 12:00), not the year 5000
    t = skpi.load_tickets(path, bad_rows="drop", max_dropped_share=0.5)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-01 12:00"),
                                        pd.Timestamp("2024-01-02")]


def test_dates_without_times_are_warned(tmp_path):
    """Five tickets whose times a spreadsheet cut to dates: every reply on the day of
    creation reads 0 h.  Warned per column; one time of day anywhere in a column
    shows it has times, and it is not warned."""
    rows = "".join(f"{i},A,2024-01-0{i},2024-01-0{i},2024-01-0{i + 1}\n" for i in range(1, 6))
    header = "ticket_id,team,created_at,first_response_at,resolved_at\n"
    t = skpi.load_tickets(write(tmp_path, header + rows), as_of="2024-02-01")
    assert skpi.compute_kpis(t).set_index("kpi").loc["avg_first_response_hours",
                                                      "value"] == 0.0
    warned = quality(t, "dates_only")
    assert warned["column"].tolist() == ["created_at", "first_response_at", "resolved_at"]
    assert (warned["severity"] == "warning").all()
    timed = skpi.load_tickets(write(tmp_path, header + rows.replace(
        "2024-01-05,2024-01-06", "2024-01-05 10:30,2024-01-06"), "timed.csv"),
        as_of="2024-02-01")
    assert quality(timed, "dates_only")["column"].tolist() == ["created_at", "resolved_at"]


def test_excel_serials_with_a_decimal_comma(tmp_path):
    """A German Excel saves serial day numbers with a decimal comma: 45295,3854166667
    is 2024-01-04 09:15 and 45301,6875 2024-01-10 16:30, not a date of the year 6875
    (a placeholder) or a cell that cannot be read."""
    path = write(tmp_path, "ticket_id;team;created_at;resolved_at\n"
                 "1;A;45295,3854166667;45301,6875\n2;A;45301,6875;\n")
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-04 09:15"),
                                        pd.Timestamp("2024-01-10 16:30")]
    assert t["resolved_at"][0] == pd.Timestamp("2024-01-10 16:30")
    assert quality(t, "timestamp_out_of_range").empty


@pytest.mark.parametrize("cell, utc", [
    ("2024-01-05 10:00:00+08", "2024-01-05 02:00"),
    ("2024-01-05 10:00:00 GMT+0800", "2024-01-05 02:00"),
    ("2024-01-05 10:00 UTC+8", "2024-01-05 02:00"),
    ("2024-01-05 10:00:00 UTC", "2024-01-05 10:00"),
    ("2024-01-05T10:00:00.000-0500", "2024-01-05 15:00"),
    ("2024-01-05 10:00 GMT+5:30", "2024-01-05 04:30"),
    ("2024-01-05 10:00 UTC-3:30", "2024-01-05 13:30"),
    ("2024-01-05 10:00 +8", "2024-01-05 02:00"),
])
def test_every_zone_form(tmp_path, cell, utc):
    path = write(tmp_path, f"ticket_id,team,created_at\n1,A,{cell}\n")
    assert skpi.load_tickets(path)["created_at"][0] == pd.Timestamp(utc)


def test_times_as_written_keep_the_local_month(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: Id, team: Group, created_at: Created at}\n"
                 "timezone: as_written\n")
    path = write(tmp_path, "Id,Group,Created at\n1,A,2024-02-01 00:30:00 +0100\n")
    t = skpi.load_tickets(path, m)
    assert t["created_at"][0] == pd.Timestamp("2024-02-01 00:30")        # February, not January
    utc = write(tmp_path, "ticket_id,team,created_at\n1,A,2024-02-01 00:30:00 +0100\n", "u.csv")
    assert skpi.load_tickets(utc)["created_at"][0] == pd.Timestamp("2024-01-31 23:30")


def test_dates_not_at_the_start_of_the_cell_keep_the_columns_order(tmp_path):
    # 'Tue 05/03/2024' is 5 March once 'Wed 13/03/2024' proves day-first
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,Tue 05/03/2024 10:00\n"
                           "2,A,Wed 13/03/2024 10:00\n")
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-03-05 10:00"),
                                        pd.Timestamp("2024-03-13 10:00")]


def test_typed_placeholder_dates_in_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datetime import datetime
    table = pa.table({
        "ticket_id": ["1", "2"], "team": ["A", "A"],
        "created_at": pa.array([datetime(2024, 1, 2, 9), datetime(2024, 1, 3, 9)],
                               pa.timestamp("us")),
        "resolved_at": pa.array([datetime(9999, 12, 31), datetime(2024, 1, 3, 12)],
                                pa.timestamp("us"))})
    pq.write_table(table, tmp_path / "t.parquet")
    t = skpi.load_tickets(tmp_path / "t.parquet")
    assert pd.isna(t["resolved_at"][0]) and t["resolved_at"][1] == pd.Timestamp("2024-01-03 12:00")
    assert quality(t, "timestamp_out_of_range")["rows"].item() == 1


def test_reading_options_declared_on_the_call(tmp_path):
    # a Windows-1252 file a detector could not tell from another code page: declared
    path = write(tmp_path, "ticket_id|team|created_at\n1|Équipe Nord|2024-01-02\n",
                 encoding="cp1252")
    t = skpi.load_tickets(path, encoding="cp1252", delimiter="|")
    assert t.attrs["team_names"] == {"équipe_nord": "Équipe Nord"}
    assert "encoding cp1252, delimiter pipe" in quality(t, "file_read")["detail"].item()


def test_a_ticket_created_minutes_ago_in_a_zone_ahead_of_utc_is_kept(tmp_path):
    # naive local times of a UTC+8 desk exported right now: its last ticket is "later"
    # than now in UTC, but not in the future
    local = (pd.Timestamp.now(tz="Asia/Shanghai") - pd.Timedelta(minutes=5)).strftime(
        "%Y-%m-%d %H:%M")
    path = write(tmp_path, f"ticket_id,team,created_at\n1,A,2024-01-02 09:00\n2,A,{local}\n")
    assert len(skpi.load_tickets(path)) == 2


@pytest.mark.parametrize("first, second", [
    ("05/03/2024 10:00 AM", "13/03/2024 2:00 PM"),      # a 12-hour clock
    ("05/03/2024, 10:00", "13/03/2024, 14:00"),          # a comma before the time
])
def test_day_first_dates_with_clock_forms(tmp_path, first, second):
    path = write(tmp_path, f'ticket_id,team,created_at\n1,A,"{first}"\n2,A,"{second}"\n')
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-03-05 10:00"),
                                        pd.Timestamp("2024-03-13 14:00")]


def test_day_first_dates_with_an_offset_that_changes_the_day(tmp_path):
    # 01:00 on 5 March at +08:00 is 17:00 on 4 March in UTC: still 5 March as written
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,05/03/2024 01:00 +08:00\n"
                           "2,A,13/03/2024 01:00 +08:00\n3,A,Tue 05/03/2024 01:00 +08:00\n")
    t = skpi.load_tickets(path)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-03-04 17:00"),
                                        pd.Timestamp("2024-03-04 17:00"),
                                        pd.Timestamp("2024-03-12 17:00")]


def test_unknown_zone_word_is_refused_not_guessed(tmp_path):
    # 'EST' is not rewritten: dateutil would guess; the value is refused instead
    path = write(tmp_path, "ticket_id,team,created_at\n1,A,2024-01-05 10:00\n"
                           "2,A,Jan 5 2024 10:00 EST\n")
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path)
    (p,) = ei.value.problems
    assert p.column == "created_at" and p.rows == (3,)


def test_event_log_day_order_from_the_whole_column(tmp_path):
    # the repeated rows of INC1 alone read either way; INC2's 25/02 proves day-first,
    # so 05/02 10:00 (resolved) is later than 03/02
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: number, team: assignment_group, created_at: opened_at,"
                 " resolved_at: resolved_at}\none_row_per_ticket: {latest_by: [sys_updated_on]}\n")
    path = write(tmp_path, "number,assignment_group,opened_at,resolved_at,sys_updated_on\n"
                           "INC1,Desk,2024-02-01 09:00,2024-02-05 10:00,05/02/2024 10:00\n"
                           "INC1,Desk,2024-02-01 09:00,,03/02/2024 10:00\n"
                           "INC2,Desk,2024-02-20 09:00,,25/02/2024 10:00\n")
    t = skpi.load_tickets(path, m)
    assert t["resolved_at"][0] == pd.Timestamp("2024-02-05 10:00")


def test_as_of_must_be_written_year_first(tmp_path, small_csv):
    with pytest.raises(skpi.ConfigError, match="year first"):
        skpi.load_tickets(small_csv, as_of="10/03/2024")
    assert skpi.load_tickets(small_csv, as_of="2024-03-10").attrs["as_of"] == \
        "2024-03-10T00:00:00"


def test_teams_told_apart_by_symbols(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at\n1,C++,2024-01-02\n2,C#,2024-01-02\n"
                           "3,Support,2024-01-02\n4,Support+,2024-01-02\n5,R&D,2024-01-02\n")
    t = skpi.load_tickets(path)
    assert t.attrs["team_names"] == {"c_plus_plus": "C++", "c_sharp": "C#", "r_and_d": "R&D",
                                     "support": "Support", "support_plus": "Support+"}
    assert quality(t, "team_names_alike").empty


def test_a_clock_change_within_a_ticket_keeps_its_duration_exact(tmp_path):
    """Zendesk-style times read as written: 22:00 at +01:00 to 10:00 at +02:00 is
    11 hours elapsed (12 between the local times).  The later time is taken at
    the creation's offset (09:00), so the duration is 11 h; the ticket stays in
    its month.  Noted as info, with the rows."""
    m = tmp_path / "m.yaml"
    m.write_text("columns: {ticket_id: Id, team: Group, created_at: Created at,"
                 " resolved_at: Solved at}\ntimezone: as_written\n")
    path = write(tmp_path, "Id,Group,Created at,Solved at\n"
                           "1,A,2024-03-30 22:00:00 +0100,2024-03-31 10:00:00 +0200\n"
                           "2,A,2024-03-20 09:00:00 +0100,2024-03-20 10:00:00 +0100\n")
    t = skpi.load_tickets(path, m)
    note = quality(t, "clock_change")
    assert note["rows"].item() == 1 and note["column"].item() == "resolved_at"
    assert note["severity"].item() == "info"
    solved = t.set_index("ticket_id")["resolved_at"]
    assert solved["1"] == pd.Timestamp("2024-03-31 09:00")
    assert solved["2"] == pd.Timestamp("2024-03-20 10:00")
    k = skpi.compute_kpis(t).set_index("kpi")
    assert k.loc["avg_resolution_hours", "value"] == pytest.approx((11 + 1) / 2)


def test_a_clock_change_in_a_declared_zone_keeps_durations_exact(tmp_path):
    """A ServiceNow incident list (no offsets written) read in Europe/London.
    INC1: 30 Mar 12:00 GMT to 1 Apr 12:00 BST, 47 h elapsed (48 between the
    local times); INC3: 26 Oct BST to 28 Oct GMT, 49 h (48); INC2: 1 h within
    a day; INC4 created 01:30 on 27 Oct, an hour London's clock repeats: its
    offset cannot be told, kept as written (3.5 h) and counted in a warning.
    March: (47 + 1) / 2 = 24 h; October: (49 + 3.5) / 2 = 26.25 h.  Read in UTC:
    nothing moved, 48 and 48."""
    path = write(tmp_path, "number,opened_at,assignment_group,contact_type,resolved_at,caller_id\n"
                           "INC1,2024-03-30 12:00:00,Service Desk,Phone,2024-04-01 12:00:00,Abel\n"
                           "INC2,2024-03-15 09:00:00,Service Desk,Phone,2024-03-15 10:00:00,Bow\n"
                           "INC3,2024-10-26 12:00:00,Service Desk,Phone,2024-10-28 12:00:00,Carol\n"
                           "INC4,2024-10-27 01:30:00,Service Desk,Phone,2024-10-27 05:00:00,Dee\n")
    t = skpi.load_tickets(path, timezone="Europe/London")
    note = quality(t, "clock_change")
    assert note["rows"].item() == 2 and note["column"].item() == "resolved_at"
    assert "Europe/London" in note["detail"].item() and note["severity"].item() == "info"
    unknown = quality(t, "clock_change_unknown")
    assert unknown["rows"].item() == 1 and unknown["severity"].item() == "warning"
    zh = skpi.data_quality(t, language="zh")
    assert "Europe/London" in zh.loc[zh["code"] == "clock_change", "detail"].item()
    k = skpi.compute_kpis(t)
    res = k[k["kpi"] == "avg_resolution_hours"].set_index("period")["value"]
    assert res[pd.Period("2024-03", "M")] == pytest.approx((47 + 1) / 2)
    assert res[pd.Period("2024-10", "M")] == pytest.approx((49 + 3.5) / 2)
    utc = skpi.load_tickets(path)
    assert quality(utc, "clock_change").empty and quality(utc, "clock_change_unknown").empty


def test_duplicate_header_is_a_warning(tmp_path):
    path = write(tmp_path, "ticket_id,team,created_at,team\n1,A,2024-01-02,B\n")
    t = skpi.load_tickets(path)
    assert t["team"].astype(str).tolist() == ["a"]              # the first 'team'
    dup = quality(t, "duplicate_header")
    assert dup["severity"].item() == "warning" and "'team.1'" in dup["detail"].item()


def test_init_prints_the_exports_data_quality_warnings(tmp_path, capsys):
    from servicekpi.cli import main
    path = write(tmp_path, "ticket_id,team,created_at\n1,Support,2024-01-02\n"
                           "2,SUPPORT,2024-01-03\n3,,2024-01-04\n")
    assert main(["init", str(path), "--out", str(tmp_path / "params")]) == 0
    out = capsys.readouterr().out
    assert "data quality (warning): team names alike in team" in out
    assert "data quality (warning): blank team in team: 1 rows" in out


def test_a_warehouse_parquet_copy_with_integer_ids_and_zoned_times(tmp_path):
    # Zendesk's ticket export kept in a warehouse and unloaded as Parquet: Id and
    # Requester id are int64, the times typed in the account's zone (Berlin).
    import pyarrow as pa
    import pyarrow.parquet as pq
    berlin = pa.timestamp("us", tz="Europe/Berlin")

    def at(*stamps):
        return pa.array([None if s is None else pd.Timestamp(s, tz="Europe/Berlin")
                         for s in stamps], berlin)

    table = pa.table({
        "Id": pa.array([101, 102, 102, 103, 104, 104], pa.int64()),
        "Group": ["Support"] * 6,
        # 00:30 on 1 January 1980 in Berlin is still 1979 in UTC: in range as written
        "Created at": at("1980-01-01 00:30", "2024-03-01 09:00", "2024-03-01 09:00",
                         "2024-03-02 10:00", "2024-03-03 11:00", "2024-03-03 11:00"),
        # 2100-01-01 00:30 in Berlin: a placeholder; 104 is solved at two times
        "Solved at": at("1980-01-02 00:30", None, None, "2100-01-01 00:30",
                        "2024-03-04 12:00", "2024-03-05 12:00"),
        "Requester id": pa.array([7, 7, 7, 8, None, None], pa.int64())})
    path = tmp_path / "zendesk.parquet"
    pq.write_table(table, path)

    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path, mapping="zendesk")
    (p,) = ei.value.problems
    assert p.column == "Id, read as ticket_id" and "different contents" in p.message
    assert p.rows == (6, 7)

    t = skpi.load_tickets(path, mapping="zendesk", bad_rows="drop", max_dropped_share=0.5)
    assert t["ticket_id"].tolist() == ["101", "102", "103"]          # text, 102 once
    assert t["customer_id"].tolist() == ["7", "7", "8"]
    assert t["created_at"].tolist() == [pd.Timestamp("1980-01-01 00:30"),
                                        pd.Timestamp("2024-03-01 09:00"),
                                        pd.Timestamp("2024-03-02 10:00")]
    assert t["resolved_at"][0] == pd.Timestamp("1980-01-02 00:30")
    assert pd.isna(t["resolved_at"][1]) and pd.isna(t["resolved_at"][2])
    assert quality(t, "identical_duplicates")["rows"].item() == 1
    assert quality(t, "timestamp_out_of_range")["rows"].item() == 1
    assert quality(t, "row_dropped")["rows"].item() == 2
