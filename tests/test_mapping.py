"""Column mappings and the shipped presets."""
import pandas as pd
import pytest

import servicekpi as skpi

ZENDESK = """Id,Group,Created at,First reply time in minutes,Solved at,Via,Ticket type,Priority,Reopens,Requester id,Subject
101,Support,2024-01-02 09:00:00 +0100,90,2024-01-02 12:00:00 +0100,Mail,question,Normal,0,5001,hello
102,Support,2024-01-03 10:00:00 +0100,,,Web Widget,incident,High,2,5002,"a, b"
103,Sales,2024-01-04 10:00:00 +0100,abc,,Help Center,question,Low,0,5001,x
"""

SERVICENOW = """Number,Assignment group,Opened,Responded,Resolved,Channel,Category,Priority,Made SLA,Reopen count,Caller
INC0010001,Service Desk,2024-02-01 08:00:00,2024-02-01 08:20:00,2024-02-01 16:00:00,Self-service,Software,3 - Moderate,true,0,Abel Tuter
INC0010002,Service Desk,2024-02-02 08:00:00,,2024-02-05 08:00:00,Phone,Hardware,2 - High,false,1,Beth Anglin
INC0010003,Network,2024-02-02 09:00:00,2024-02-02 09:05:00,,Virtual Agent,Network,1 - Critical,,0,Abel Tuter
"""


def test_presets_shipped():
    assert {"zendesk", "servicenow"} <= set(skpi.presets())


def test_zendesk_preset(tmp_path):
    path = tmp_path / "zd.csv"
    path.write_text(ZENDESK.replace("abc", "30"))
    t = skpi.load_tickets(path, "zendesk")
    assert t["ticket_id"].tolist() == ["101", "102", "103"]
    assert t["created_at"][0] == pd.Timestamp("2024-01-02 09:00")      # the account's time
    assert t["first_response_at"][0] == pd.Timestamp("2024-01-02 10:30")  # 90 min later
    assert pd.isna(t["first_response_at"][1])
    assert t["reopened"].tolist() == [False, True, False]
    assert t["channel"].astype(str).tolist() == ["email", "chat", "self_service"]
    k = skpi.compute_kpis(t)
    ss = k[(k["kpi"] == "self_service_rate") & (k["team"] == "sales")]
    assert ss["value"].item() == 1.0


def test_zendesk_bad_minutes_named_by_source_column(tmp_path):
    path = tmp_path / "zd.csv"
    path.write_text(ZENDESK)
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path, "zendesk")
    (p,) = ei.value.problems
    assert p.column == "First reply time in minutes" and p.rows == (4,)
    assert p.values == ("abc",)


def test_servicenow_preset(tmp_path):
    path = tmp_path / "sn.csv"
    path.write_text(SERVICENOW)
    t = skpi.load_tickets(path, "servicenow")
    assert t["sla_met"].tolist()[:2] == [True, False] and pd.isna(t["sla_met"][2])
    assert t["channel"].astype(str).tolist() == ["self_service", "phone", "self_service"]
    k = skpi.compute_kpis(t)
    sla = k[(k["kpi"] == "sla_attainment") & (k["team"] == "service_desk")]
    assert sla["value"].item() == 0.5 and sla["n"].item() == 2


def test_missing_required_source_column(tmp_path):
    path = tmp_path / "zd.csv"
    path.write_text(ZENDESK.replace("Group", "Team name"))
    with pytest.raises(skpi.DataError, match="reads canonical column 'team' from 'Group'"):
        skpi.load_tickets(path, "zendesk")


def test_custom_mapping_file_and_errors(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                 "  is_complaint: Type\nvalues:\n  is_complaint: {Complaint: true, Question: false}\n")
    path = tmp_path / "x.csv"
    path.write_text("Key,Queue,Opened,Type\nK1,Q,2024-01-01,Complaint\nK2,Q,2024-01-02,Question\n")
    t = skpi.load_tickets(path, m)
    assert t["is_complaint"].tolist() == [True, False]
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  ticket: Key\nwhatever: 1\ntimezone: Mars/Base\n")
    with pytest.raises(skpi.ConfigError) as ei:
        skpi.load_mapping(bad)
    cols = {p.column for p in ei.value.problems}
    assert {"columns", "whatever", "timezone"} <= cols
    with pytest.raises(skpi.ConfigError, match="presets: "):
        skpi.load_mapping(tmp_path / "none.yaml")


def test_leave_out_rows_that_are_not_tickets(tmp_path):
    """A mapping's ``leave_out``: values compared as value tables compare them (case and
    spaces ignored, 8.0 as 8); a header the file lacks leaves nothing out; a row left
    out is not checked (K3's bad date does not refuse the file)."""
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                 "leave_out:\n  State: [8, canceled]\n  Kind: [Test]\n")
    path = tmp_path / "x.csv"
    path.write_text("Key,Queue,Opened,State\nK1,Q,2024-01-01,1\nK2,Q,2024-01-02,8.0\n"
                    "K3,Q,not a date, Canceled \nK4,Q,2024-01-04,\n")
    t = skpi.load_tickets(path, m)
    assert t["ticket_id"].tolist() == ["K1", "K4"]
    q = skpi.data_quality(t).set_index("code")
    assert q.loc["left_out", "rows"] == 2 and q.loc["rows_read", "detail"] == "2 kept"
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                   "leave_out: [State]\n")
    with pytest.raises(skpi.ConfigError) as ei:
        skpi.load_mapping(bad)
    assert ei.value.problems[0].column == "leave_out"
    # a State column blank throughout (as a workbook or Parquet gives it: no text at
    # all) leaves nothing out; two names of one header each leave out their values
    frame = pd.DataFrame({"Key": ["K1", "K2"], "Queue": ["Q", "Q"],
                          "Opened": ["2024-01-01", "2024-01-02"], "State": [None, None]})
    assert len(skpi.validate_tickets(frame.astype({"State": float}), m)) == 2
    twice = tmp_path / "twice.yaml"
    twice.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                     "leave_out:\n  State: [canceled]\n  state: [8]\n")
    assert skpi.load_tickets(path, twice)["ticket_id"].tolist() == ["K1", "K4"]
    # unquoted, YAML reads No as false and 1.10 as 1.1: refused, not matched as 0
    for value in ("No", "1.10"):
        bad.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                       f"leave_out:\n  Billable: [{value}]\n")
        with pytest.raises(skpi.ConfigError, match="write it in quotes"):
            skpi.load_mapping(bad)


def test_bad_derivation_is_reported(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("columns:\n  ticket_id: Key\n  team: Queue\n  created_at: Opened\n"
                 "  first_response_at: {source: Mins, minutes_after: team}\n")
    path = tmp_path / "x.csv"
    path.write_text("Key,Queue,Opened,Mins\nK1,Q,2024-01-01,5\n")
    with pytest.raises(skpi.DataError, match="not a timestamp column"):
        skpi.load_tickets(path, m)


def test_a_column_is_named_by_each_header_it_was_read_from_once():
    """Jira's team: read from Components (no Team field), whose fallbacks list
    Components again, then Project name: each header named once."""
    from servicekpi.mapping import Mapped
    m = Mapped(None, {}, {"team": "Components", "created_at": "created_at"}, {},
               fallbacks={"team": ["Components", "Project name"]})
    assert m.where("team") == "Components / Project name, read as team"
    assert m.where("created_at") == "created_at"       # the file's own name: as it is
