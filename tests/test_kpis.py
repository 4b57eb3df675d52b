"""Every KPI against values worked out by hand on the ticket set in conftest.SMALL.

Default as-of = latest timestamp in the export = 2024-03-02 10:00 (ticket 7's
first response).  Team A: January tickets 1-4, no February tickets, March
tickets 5 and 7 (March has no survey answers at all).  Team B: one ticket (6).
"""
import math

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi


def table(kpis):
    return {(r.team, str(r.period), r.kpi): (r.value, r.n, r.numerator)
            for r in kpis.itertuples()}


@pytest.fixture
def small(small_csv):
    return skpi.load_tickets(small_csv)


def check(t, key, value, n, numerator=None):
    v, got_n, num = t[key]
    if value is None:
        assert math.isnan(v), key
    else:
        assert v == pytest.approx(value), key
    assert got_n == n, key
    if numerator is not None:
        assert num == numerator, key


EXPECTED_A_JAN = {
    "volume": (4, 4),
    "avg_first_response_hours": ((1 + 3 + 2) / 3, 3),
    "median_first_response_hours": (2.0, 3),
    "avg_resolution_hours": ((4 + 24) / 2, 2),
    "fcr_rate": (0.5, 2, 1),             # ticket 1 one contact, ticket 2 two
    # 1 late, 2 met, 3 open & overdue; 4 open with sla_met=true: no outcome yet, left out
    "sla_attainment": (1 / 3, 3, 1),
    "reopen_rate": (0.5, 2, 1),          # resolved 1 (no), 2 (yes)
    "csat_score": ((5 + 4 + 2) / 3, 3),
    "csat_pct": (2 / 3, 3, 2),
    "nps": (100 * (2 - 1) / 4, 4),       # 10, 7, 0, 9: two promoters, one detractor
    "ces_score": (2.5, 2),
    "complaint_rate": (0.25, 4, 1),
    # ticket 4, the only abandoned contact, came by self_service: the one channel
    # abandonment is counted over (phone, email, chat never abandon here, see kpis.py)
    "abandonment_rate": (1.0, 1, 1),
    "self_service_rate": (0.25, 4, 1),
    "repeat_contact_rate": (1 / 3, 3, 1),  # 1 (c1 again 3 days later), 2, 3; 4 has no customer
    "aht_minutes": (15.0, 2),
}


def test_every_kpi_team_a_january(small):
    t = table(skpi.compute_kpis(small))
    for kpi, expected in EXPECTED_A_JAN.items():
        check(t, ("a", "2024-01", kpi), *expected)
    assert set(EXPECTED_A_JAN) == set(skpi.TICKET_KPIS)


def test_empty_period_is_explicit(small):
    t = table(skpi.compute_kpis(small))
    check(t, ("a", "2024-02", "volume"), 0, 0)
    for kpi in skpi.TICKET_KPIS:
        if kpi != "volume":
            check(t, ("a", "2024-02", kpi), None, 0)


def test_all_null_surveys(small):
    t = table(skpi.compute_kpis(small))
    for kpi in ("csat_score", "csat_pct", "nps", "ces_score"):
        check(t, ("a", "2024-03", kpi), None, 0)
    check(t, ("a", "2024-03", "avg_first_response_hours"), 0.75, 2)
    check(t, ("a", "2024-03", "median_first_response_hours"), 0.75, 2)
    check(t, ("a", "2024-03", "aht_minutes"), 7.0, 2)
    # ticket 7 is open but not due before the as-of time: left out
    check(t, ("a", "2024-03", "sla_attainment"), 1.0, 1, 1)
    # repeat windows of March tickets have not ended by the as-of time
    check(t, ("a", "2024-03", "repeat_contact_rate"), None, 0)


def test_single_ticket_team(small):
    t = table(skpi.compute_kpis(small))
    # team b's one ticket is of January; the export's last is of March: b had no ticket
    # in February and March (volume 0, the other KPIs n/a), as team a had none in
    # February.  Tickets filtered by date end at their own last: no made-up zeros
    assert {k[1] for k in t if k[0] == "b"} == {"2024-01", "2024-02", "2024-03"}
    for month in ("2024-02", "2024-03"):
        check(t, ("b", month, "volume"), 0, 0)
        check(t, ("b", month, "avg_resolution_hours"), None, 0)
    early = table(skpi.compute_kpis(small[small["created_at"] < "2024-02-01"]))
    assert {k[1] for k in early} == {"2024-01"}
    expected = {"volume": (1, 1), "avg_first_response_hours": (0.1, 1),
                "avg_resolution_hours": (6.0, 1), "fcr_rate": (1.0, 1, 1),
                "sla_attainment": (1.0, 1, 1), "reopen_rate": (0.0, 1, 0),
                "csat_score": (3.0, 1), "csat_pct": (0.0, 1, 0), "nps": (-100.0, 1),
                "ces_score": (5.0, 1), "repeat_contact_rate": (0.0, 1, 0),
                "aht_minutes": (15.0, 1)}
    for kpi, e in expected.items():
        check(t, ("b", "2024-01", kpi), *e)


def test_as_of_given(small):
    t = table(skpi.compute_kpis(small, as_of="2024-03-31"))
    # ticket 7 (due 2024-03-10, still open) is now a miss
    check(t, ("a", "2024-03", "sla_attainment"), 0.5, 2, 1)
    # ticket 5: c3 again a day later; ticket 7: no later ticket
    check(t, ("a", "2024-03", "repeat_contact_rate"), 0.5, 2, 1)


def test_quarter_and_week(small):
    q = table(skpi.compute_kpis(small, freq="quarter"))
    check(q, ("a", "2024Q1", "volume"), 6, 6)
    check(q, ("a", "2024Q1", "avg_first_response_hours"), (1 + 3 + 2 + 0.5 + 1) / 5, 5)
    check(q, ("a", "2024Q1", "median_first_response_hours"), 1.0, 5)
    w = skpi.compute_kpis(small, freq="week")
    vol = w[(w["team"] == "a") & (w["kpi"] == "volume")]
    labels = [skpi.periods.label(p) for p in vol["period"]]
    assert labels[0] == "2024-W01" and labels[-1] == "2024-W09"
    assert len(labels) == 9                                  # every week in A's span
    assert dict(zip(labels, vol["value"]))["2024-W01"] == 2  # Tue 2 Jan and Fri 5 Jan
    assert dict(zip(labels, vol["value"]))["2024-W02"] == 0


def test_output_shape(small):
    k = skpi.compute_kpis(small)
    assert list(k.columns) == ["team", "period", "kpi", "value", "n", "numerator", "sd",
                               "open_share", "at_least"]
    assert isinstance(k["period"].dtype, pd.PeriodDtype)
    rates = k[k["kpi"].str.endswith("_rate") & (k["n"] > 0)]
    assert np.allclose(rates["value"], rates["numerator"] / rates["n"])
    assert k[k["kpi"] == "aht_minutes"]["numerator"].isna().all()


def test_standard_deviations_for_means(small):
    k = skpi.compute_kpis(small)
    sd = {(r.team, str(r.period), r.kpi): r.sd for r in k.itertuples()}
    # A, January: first responses 1, 3, 2 h -> sample sd 1; AHT 10, 20 -> sd 7.0711
    assert sd[("a", "2024-01", "avg_first_response_hours")] == pytest.approx(1.0)
    assert sd[("a", "2024-01", "aht_minutes")] == pytest.approx(50 ** 0.5)
    # NPS scores +100, 0, -100, +100: mean 25, sd = 95.743
    assert sd[("a", "2024-01", "nps")] == pytest.approx(np.std([100, 0, -100, 100], ddof=1))
    assert math.isnan(sd[("b", "2024-01", "csat_score")])      # one answer: no sd
    assert math.isnan(sd[("a", "2024-01", "fcr_rate")])        # rates carry a numerator


def test_only_available_kpis(small):
    k = skpi.compute_kpis(small[["ticket_id", "team", "created_at", "csat"]])
    assert set(k["kpi"]) == {"volume", "csat_score", "csat_pct"}


def test_sla_from_due_dates_when_sla_met_absent(small):
    k = table(skpi.compute_kpis(small.drop(columns=["sla_met"])))
    check(k, ("a", "2024-01", "sla_attainment"), 1 / 3, 3, 1)   # ticket 4 has no SLA info


def test_kpi_subset_and_unknown(small):
    k = skpi.compute_kpis(small, kpi_list=["volume"])
    assert set(k["kpi"]) == {"volume"}
    with pytest.raises(ValueError, match="unknown KPI"):
        skpi.compute_kpis(small, kpi_list=["nope"])


def test_repeat_contacts_across_teams():
    from servicekpi.kpis import repeat_contacts
    created = np.array(["2024-01-01", "2024-01-08", "2024-01-20", "2024-01-01"],
                       dtype="datetime64[ns]")
    hit = repeat_contacts(pd.Series(["x", "x", "x", None]), created)
    # exactly 7 days later counts; 12 days later does not; no customer -> unknown
    assert hit[:3].tolist() == [1.0, 0.0, 0.0] and np.isnan(hit[3])


def test_repeat_contacts_the_same_in_time_order_and_shuffled():
    """Rows in time order (as loaded) take the one-pass way, others the sort: the
    same tickets are repeats either way, worked out by hand on a small case."""
    from servicekpi.kpis import repeat_contacts
    rng = np.random.default_rng(7)
    n = 2000
    created = np.sort(np.datetime64("2024-01-01", "ns") + rng.choice(
        np.arange(0, 90 * 24 * 3600, 60), n, replace=False).astype("timedelta64[s]"))
    customer = pd.Series(rng.integers(0, 300, n).astype(str), dtype="string")
    customer[rng.random(n) < 0.05] = pd.NA
    in_order = repeat_contacts(customer, created)
    perm = rng.permutation(n)
    shuffled = repeat_contacts(customer.iloc[perm].reset_index(drop=True), created[perm])
    back = np.empty(n)
    back[perm] = shuffled
    np.testing.assert_array_equal(in_order, back)
    # by hand, rows in time order: c at 0 h and 6 d (a repeat), 13 d 23 h (7 d 23 h
    # after: not); e twice at the same time (the first row is the repeat);
    # a lone customer; an unknown one
    base = np.datetime64("2024-03-01T00:00", "ns")
    hours = np.array([0, 5, 5, 30, 144, 335, 400], "timedelta64[h]")
    hit = repeat_contacts(pd.Series(["c", "e", "e", None, "c", "c", "f"], dtype="string"),
                          base + hours)
    assert hit[[0, 1, 2, 4, 5, 6]].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert np.isnan(hit[3])


def test_empty_input():
    empty = pd.DataFrame({"team": pd.Series([], dtype="category"),
                          "created_at": pd.Series([], dtype="datetime64[ns]")})
    assert len(skpi.compute_kpis(empty)) == 0


def test_unloaded_frame_is_refused():
    raw = pd.DataFrame({"team": ["A"], "created_at": ["2024-01-01"]})
    with pytest.raises(skpi.DataError, match="load_tickets"):
        skpi.compute_kpis(raw)


def test_open_share_of_durations(small):
    """Eligible: not abandoned (ticket 4 is).  As of 2024-03-02 10:00: in January
    every eligible ticket (1, 2, 3) has its first response, ticket 3 is not resolved;
    in March ticket 7 is not resolved."""
    k = skpi.compute_kpis(small)
    share = {(r.team, str(r.period), r.kpi): r.open_share for r in k.itertuples()}
    for kpi in ("avg_first_response_hours", "median_first_response_hours"):
        assert share[("a", "2024-01", kpi)] == 0.0
        assert share[("a", "2024-03", kpi)] == 0.0
    assert share[("a", "2024-01", "avg_resolution_hours")] == pytest.approx(1 / 3)
    assert share[("a", "2024-03", "avg_resolution_hours")] == pytest.approx(1 / 2)
    assert share[("b", "2024-01", "avg_resolution_hours")] == 0.0
    assert math.isnan(share[("a", "2024-02", "avg_resolution_hours")])   # no tickets
    assert math.isnan(share[("a", "2024-01", "fcr_rate")])
    # assessable drops the two resolution times with open tickets, nothing else
    ok = skpi.kpis.assessable(k)
    assert len(k) - len(ok) == 2
    assert skpi.kpis.assessable(k.drop(columns="open_share")) is not None


def test_abandonment_channels_recorded(small):
    k = skpi.compute_kpis(small)
    assert k.attrs["abandonment"] == {"counted": ["self_service"],
                                      "left_out": ["chat", "email", "phone"]}
    # without the channel column the flag counts as written: 1 of 4
    t = table(skpi.compute_kpis(small.drop(columns=["channel"])))
    check(t, ("a", "2024-01", "abandonment_rate"), 0.25, 4, 1)


def test_freq_is_keyword_only_and_refused_values_are_invalid_arguments(small):
    assert skpi.compute_kpis(small, freq="quarter").attrs["freq"] == "quarter"
    with pytest.raises(TypeError):
        skpi.compute_kpis(small, "quarter")                    # options are keyword-only
    with pytest.raises(skpi.InvalidArgument, match="unknown freq 'fortnight'"):
        skpi.compute_kpis(small, freq="fortnight")
    with pytest.raises(skpi.InvalidArgument, match="cannot split KPIs by 'team'"):
        skpi.compute_kpis(small, by="team")
    with pytest.raises(skpi.InvalidArgument, match="unknown KPI"):
        skpi.compute_kpis(small, kpi_list=["nope"])


@pytest.mark.parametrize("value, freq, message", [
    ("2024-W05", "month", "is a week, not a month"), ("2024Q1", "month", "is a quarter"),
    ("", "month", "empty"), ("March", "month", "has no year"),
    ("2024-W54", "week", "has no ISO week 54"), ("2024-13-45", "month", "nor a date"),
    ("2024-03", "fortnight", "unknown freq")])
def test_unreadable_periods_are_invalid_arguments(value, freq, message):
    from servicekpi.periods import parse_period
    with pytest.raises(skpi.InvalidArgument, match=message):
        parse_period(value, freq)


TARGET_A = pd.DataFrame([{"team": "a", "kpi": "sla_attainment", "baseline": 0.5,
                          "baseline_period": pd.Period("2024-01", "M"), "target": 0.9,
                          "deadline": pd.Period("2024-03", "M"), "weight": 1.0}])


def test_a_partial_last_period_is_named_and_not_assessed_by_default(small_csv):
    """The small set ends on 2 March; loaded as of 2024-03-02 18:00, March is
    partial: compute_kpis names it in attrs, and the gap table, the scorecard and the
    comparisons assess the latest period before it unless told a period.  A deadline in
    March is not met on two days of it (one ticket, within its SLA)."""
    t = skpi.load_tickets(small_csv, as_of="2024-03-02 18:00")
    k = skpi.compute_kpis(t)
    assert k.attrs["partial"] == "2024-03"
    assert skpi.compute_kpis(t, freq="quarter").attrs["partial"] == "2024Q1"
    # an as-of time at the month's last second: March complete
    assert skpi.compute_kpis(skpi.load_tickets(small_csv, as_of="2024-03-31 23:59:59")
                             ).attrs["partial"] is None
    # inferred from the export (no as-of given): to the end of its latest day, 2 March
    assert skpi.compute_kpis(skpi.load_tickets(small_csv)).attrs["partial"] == "2024-03"
    from servicekpi.kpis import assessed_period
    assert assessed_period(k) == pd.Period("2024-02", "M")     # volume 0 in February
    assert assessed_period(k, team="a") == pd.Period("2024-02", "M")
    assert assessed_period(k, "2024-03") == pd.Period("2024-03", "M")
    targets = TARGET_A
    g = skpi.gap_table(k, targets, min_n=1).iloc[0]
    assert (g["period"], g["current_period"]) == (pd.Period("2024-02", "M"),
                                                  pd.Period("2024-01", "M"))
    assert (g["status"], g["rule"]) == ("at_risk", "glide_noise")
    # told the partial period, it is assessed as a full one (include_partial_period)
    g = skpi.gap_table(k, targets, period="2024-03", min_n=1).iloc[0]
    assert (g["status"], g["rule"]) == ("met", "deadline_met")


def test_periods_and_as_of_times_are_read_strictly(small):
    k = skpi.compute_kpis(small)
    for bad, words in (("June", "'June' has no year"),
                       (pd.Period("2024Q1", "Q"), "2024Q1 is not a month"),
                       ("2024-W05", "is a week, not a month")):
        with pytest.raises(skpi.InvalidArgument, match=words):
            skpi.benchmark_table(k, "a", period=bad)
        with pytest.raises(skpi.InvalidArgument, match=words):
            skpi.gap_table(k, TARGET_A, period=bad)
    with pytest.raises(skpi.InvalidArgument, match="no value for team 'A'"):
        skpi.benchmark_table(k, "A")
    with pytest.raises(skpi.InvalidArgument, match="the KPI table has no value: no period"):
        skpi.peer_matrix(k.iloc[:0])
    # an as-of time before tickets were created is not "what was known then"
    with pytest.raises(skpi.InvalidArgument,
                       match=r"as_of 2024-02-01 00:00:00 is before the latest ticket "
                             r"\(2024-03-02 09:00:00\).*load_tickets\(\.\.\., as_of=\.\.\.\)"):
        skpi.compute_kpis(small, as_of="2024-02-01")
    with pytest.raises(skpi.InvalidArgument, match="'yesterday' is not a time"):
        skpi.compute_kpis(small, as_of="yesterday")


def test_times_with_a_zone_count_in_the_local_calendar():
    """A frame built by hand with zoned times (Berlin): a ticket created 1 Feb 00:30 is
    February's, as the loader counts an export's times, not January's (23:30 UTC).  A
    resolution time given in UTC is the same instant; the as-of time too."""
    t = pd.DataFrame({
        "ticket_id": ["1", "2"], "team": ["a", "a"],
        "created_at": pd.to_datetime(["2024-02-01 00:30", "2024-01-31 23:30"]
                                     ).tz_localize("Europe/Berlin"),
        "resolved_at": pd.to_datetime(["2024-02-01 01:30", "2024-02-01 01:30"]
                                      ).tz_localize("Europe/Berlin").tz_convert("UTC")})
    k = table(skpi.compute_kpis(t, as_of=pd.Timestamp("2024-03-01", tz="UTC")))
    check(k, ("a", "2024-01", "volume"), 1, 1)
    check(k, ("a", "2024-02", "volume"), 1, 1)
    check(k, ("a", "2024-01", "avg_resolution_hours"), 2.0, 1)
    check(k, ("a", "2024-02", "avg_resolution_hours"), 1.0, 1)
    assert t["created_at"].dt.tz is not None                 # the caller's frame unchanged
    with pytest.raises(skpi.DataError, match="resolved_at carry a time zone but created_at"):
        skpi.compute_kpis(t.assign(created_at=t["created_at"].dt.tz_localize(None)))
    with pytest.raises(skpi.DataError, match="resolved_at carry a time zone but created_at"):
        skpi.compute_kpis(t.assign(created_at=t["created_at"].astype(str)))
    with pytest.raises(skpi.DataError, match="created_at carry a time zone but resolved_at"):
        skpi.compute_kpis(t.assign(resolved_at=t["resolved_at"].dt.tz_localize(None)))
    # a zoned as-of time for times without a zone: its own wall clock, in both checks
    naive = t.assign(created_at=t["created_at"].dt.tz_localize(None),
                     resolved_at=t["resolved_at"].dt.tz_convert("Europe/Berlin")
                     .dt.tz_localize(None))
    late = pd.Timestamp("2024-02-01 01:30", tz="America/New_York")  # 07:30 in Berlin
    assert skpi.compute_kpis(naive, as_of=late) is not None
    with pytest.raises(skpi.InvalidArgument, match="is before the latest ticket"):
        skpi.compute_kpis(naive, as_of=pd.Timestamp("2024-02-01 00:00", tz="Asia/Tokyo"))
    # one KPI by name, not its letters
    assert set(skpi.compute_kpis(t, kpi_list="volume")["kpi"]) == {"volume"}


def test_a_path_or_another_kind_of_period_is_refused_in_words(small):
    """A notebook passing a file name where a frame goes, or monthly targets to a weekly
    KPI table, got an AttributeError or pandas' IncompatibleFrequency."""
    with pytest.raises(skpi.InvalidArgument, match="tickets: expected a ticket frame from "
                                                   "servicekpi.load_tickets.*not str 'x.csv'"):
        skpi.compute_kpis("x.csv")
    k = skpi.compute_kpis(small)
    with pytest.raises(skpi.InvalidArgument, match="targets: expected a targets table"):
        skpi.gap_table(k, "targets.csv")
    with pytest.raises(skpi.InvalidArgument, match="benchmarks: expected a benchmarks table"):
        skpi.benchmark_table(k, "a", "benchmarks.csv")
    with pytest.raises(skpi.InvalidArgument, match="not a DataFrame"):
        skpi.load_tickets(small)
    weekly = skpi.compute_kpis(small, freq="week")
    with pytest.raises(skpi.InvalidArgument, match=r"another kind \(M\) than the KPI table's "
                                                   r"\(W-SUN\): load the targets with "
                                                   r"freq='week'"):
        skpi.gap_table(weekly, TARGET_A)


def test_a_kpi_table_read_back_with_text_periods_is_refused_saying_how():
    """kpis.csv read with pandas has text periods: the gap table crashed
    ('str' object has no attribute 'freqstr') and a peer matrix compared text;
    every assessment now says to parse the column (or use load_kpi_table)."""
    import servicekpi as skpi
    from pathlib import Path
    t = skpi.load_tickets(Path(__file__).parent / "fixtures" / "exports" / "zendesk.csv")
    k = skpi.compute_kpis(t)
    text = k.assign(period=k["period"].astype(str))
    for call in (lambda: skpi.kpis.assessed_period(text), lambda: skpi.peer_matrix(text),
                 lambda: skpi.benchmark_table(text, "support")):
        with pytest.raises(skpi.InvalidArgument, match=(
                r"the KPI table's period column holds \w+ values such as '2024-01', not "
                r"periods: read a KPI table with servicekpi.load_kpi_table, or parse the "
                r"column, e.g. kpis\['period'\] = pd.PeriodIndex")):
            call()
    parsed = text.assign(period=pd.PeriodIndex(text["period"], freq="M"))
    assert skpi.kpis.assessed_period(parsed) == skpi.kpis.assessed_period(k)
