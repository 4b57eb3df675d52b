"""Read once per run: the reports read the runner's prepared inputs (each team's
tickets from a Parquet file sorted by team, the KPIs as computed and merged
once) and show exactly what they show when they read the raw export."""
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import make_params
from servicekpi.kpis import ABANDONMENT_COUNTED, REPEAT_HIT, SELF_SERVICE_COUNTED
from servicekpi.params import load_params
from servicekpi.report import OverviewReport, TeamReport, sections
from servicekpi.report.inputs import load_inputs, prepare
from servicekpi.tickets import data_quality

TEAMS = {"billing": "team: billing\n", "chat": "team: chat\n",
         "complaints": "team: complaints\nlanguage: zh\n"}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("prepared")
    params = make_params(root, demo_dir, TEAMS)
    index = prepare(load_inputs(load_params(params)), root / "prepared")
    return params, index


def parameters(params, team):
    return next(p for p in load_params(params) if p.team == team).notebook_parameters()


def without_across(tickets: pd.DataFrame) -> pd.DataFrame:
    """``tickets`` without their part in the KPIs across teams (the columns and the
    channels' rule): what those KPIs are then worked out from afresh."""
    bare = tickets.drop(columns=[REPEAT_HIT, ABANDONMENT_COUNTED, SELF_SERVICE_COUNTED])
    bare.attrs = {k: v for k, v in tickets.attrs.items() if k != "abandonment_channels"}
    return bare


def shown(report) -> dict:
    """Every section's items: tables' HTML, sentences, figures as PNG images."""
    def text(x):
        if hasattr(x, "savefig"):
            png = io.BytesIO()
            x.savefig(png, format="png")
            return png.getvalue()
        text = x.to_html() if hasattr(x, "to_html") else str(x)
        # tables' random ids alike, and the header's "generated at" (a minute may turn)
        return re.sub(r"T_[0-9a-f]{5}", "T_", re.sub(now, "(now)", text))
    now = pd.Timestamp.now().strftime("%Y-%m-%d") + r" \d\d:\d\d"
    return {key: [text(x) for x in sections.items(report, key)] for key in sections.SECTIONS}


@pytest.mark.parametrize("team", list(TEAMS))
def test_a_report_from_prepared_inputs_shows_what_the_raw_export_shows(setup, team):
    params, index = setup
    raw = TeamReport.load(**parameters(params, team))
    ready = TeamReport.load(index, **parameters(params, team))
    assert len(ready.tickets) < len(raw.tickets)          # its own tickets only
    own = raw.tickets[raw.tickets["team"] == team].reset_index(drop=True)
    # each ticket's part in the KPIs across teams too: worked out once, on the export
    assert {REPEAT_HIT, ABANDONMENT_COUNTED, SELF_SERVICE_COUNTED} <= set(own.columns)
    pd.testing.assert_frame_equal(ready.tickets, own)
    pd.testing.assert_frame_equal(ready.kpis, raw.kpis)
    pd.testing.assert_frame_equal(data_quality(ready.tickets, team),
                                  data_quality(raw.tickets, team))
    assert shown(ready) == shown(raw)


def test_the_overview_reads_no_ticket_rows(setup):
    params, index = setup
    raw = OverviewReport.load(params)
    ready = OverviewReport.load(params, prepared=index)
    pd.testing.assert_frame_equal(ready.gaps(), raw.gaps())
    pd.testing.assert_frame_equal(ready.peer_matrix(), raw.peer_matrix())
    pd.testing.assert_frame_equal(ready.status_counts(), raw.status_counts())
    assert str(ready.header()) == str(raw.header())


def test_names_and_key_types_are_those_of_the_raw_export(setup):
    """A team's prepared slice names its own team only (its attributes are copied
    into every column taken from it); the names each team is given, and the KPI
    frames' text keys, are those of the raw export."""
    from servicekpi.parsing import COMPACT_TEXT

    params, index = setup
    every = load_params(params)
    raw = load_inputs(every)
    for p in every:
        ready = load_inputs([p], index)
        assert ready.export_names == {p.team: raw.export_names[p.team]}
        assert ready.tickets[p.team].attrs["team_names"] == {
            p.team: raw.tickets[p.team].attrs["team_names"][p.team]}
        for k in (ready.kpis[p.team], load_inputs([p]).kpis[p.team]):
            assert k["team"].dtype == k["kpi"].dtype == pd.Series([], dtype=COMPACT_TEXT).dtype
    overview = load_inputs(every, index, tickets_of=[])
    assert overview.export_names == raw.export_names
    assert len(set(raw.export_names)) == len(TEAMS)


def test_text_columns_in_pieces_are_written_as_one(setup, tmp_path):
    """The preflight joins an Arrow text column's pieces (one per block read) once,
    in a copy, before taking each team's rows: the same prepared tickets, and the
    export's frame as it was (in pieces, with its attributes)."""
    import pyarrow as pa

    params, index = setup
    every = load_params(params)
    inputs = load_inputs(every)
    frame = inputs.tickets[every[0].team]
    column = next(c for c in frame.columns if frame[c].dtype == "str" and c != "team")
    values = frame[column].array.__arrow_array__().combine_chunks()
    cut = [0, len(frame) // 3, len(frame) // 2, len(frame)]
    frame[column] = pd.Series(pd.array(pa.chunked_array(
        [values[a:b] for a, b in zip(cut[:-1], cut[1:])]), dtype=frame[column].dtype))
    attrs = dict(frame.attrs)
    pieces = prepare(inputs, tmp_path / "pieces")
    assert frame[column].array.__arrow_array__().num_chunks == 3 and frame.attrs == attrs
    for p in every:
        pd.testing.assert_frame_equal(load_inputs([p], pieces).tickets[p.team],
                                      load_inputs([p], index).tickets[p.team])


def test_the_run_works_out_the_kpis_across_teams_once(setup, tmp_path, monkeypatch):
    """Loading the export for a run and preparing it look at every customer's
    tickets across teams once (3M tickets: 0.8 s), not once for the KPIs and once
    more for the prepared slices; the slices are those of the setup's run."""
    from servicekpi import kpis

    params, index = setup
    calls = []
    real = kpis.repeat_contacts
    monkeypatch.setattr(kpis, "repeat_contacts",
                        lambda *a: calls.append(len(a[0])) or real(*a))
    from servicekpi.params import clear_export_cache
    clear_export_cache()            # the export read here, not taken from the setup's run
    every = load_params(params)
    loaded = load_inputs(every)
    again = prepare(loaded, tmp_path / "prepared")
    # one export, one pass over its customers: when it is loaded (the loader's frame
    # carries the result), never again
    assert len(calls) == 1
    # the KPIs from the columns are those worked out without them
    key, freq = next(iter(loaded.export_kpis))
    bare = without_across(next(iter(loaded.tickets.values())))
    pd.testing.assert_frame_equal(loaded.export_kpis[key, freq],
                                  kpis.compute_kpis(bare, freq=freq))
    for p in every:
        pd.testing.assert_frame_equal(load_inputs([p], again).tickets[p.team],
                                      load_inputs([p], index).tickets[p.team])


def test_the_files_every_team_shares_are_read_once_per_run(tmp_path, demo_dir, monkeypatch):
    """The preflight keeps the shared files (catalogue, targets, KPI table,
    benchmarks, competency files) as read and checked beside the prepared inputs;
    each team's report takes them from there, reading none of them again, and
    shows what it shows from the raw files.  A file changed since (another size
    or time) is read again; a file that fails to read is never kept."""
    from servicekpi import readers, tables as tables_module
    from servicekpi.errors import ServiceKPIError
    from servicekpi.report.inputs import TABLES, SharedTables

    data = tmp_path / "data"
    data.mkdir()
    for f in demo_dir.iterdir():
        if f.is_file():
            (data / f.name).write_bytes(f.read_bytes())
    params = make_params(tmp_path, data, {t: f"team: {t}\n" for t in ("billing", "chat")})
    folder = tmp_path / "prepared"
    index = prepare(load_inputs(load_params(params), tables=folder / TABLES), folder)
    kept = sorted((folder / TABLES).glob("*.pkl"))
    # the catalogue; targets and KPI table, as read and as checked; benchmarks;
    # competency assessments and targets
    assert len(kept) == 8, [k.name for k in kept]

    from servicekpi import catalogue as catalogue_module, competencies
    read = []

    def count_reads():
        """Note the name of every file read, by each reader under each of its names."""
        for module, name in ((readers, "read_table"), (tables_module, "read_table"),
                             (competencies, "read_table"), (catalogue_module, "load_catalogue")):
            real = getattr(module, name)
            monkeypatch.setattr(module, name, lambda path, *a, real=real, **kw: (
                read.append(Path(path).name), real(path, *a, **kw))[1])

    count_reads()
    TeamReport.load(**parameters(params, "chat"))  # without prepared inputs: every file
    assert sorted(read) == ["benchmarks.csv", "catalogue.yaml", "competencies.csv",
                            "competency_targets.csv", "kpi_table.csv", "targets.csv"]
    read.clear()
    ready = TeamReport.load(index, **parameters(params, "chat"))
    assert read == []                              # every shared file taken as kept
    assert sorted((folder / TABLES).glob("*.pkl")) == kept
    monkeypatch.undo()
    raw = TeamReport.load(**parameters(params, "chat"))
    assert shown(ready) == shown(raw)

    targets = data / "targets.csv"                 # changed: read again, and kept anew
    targets.write_text(targets.read_text() + "\n")
    count_reads()
    TeamReport.load(index, **parameters(params, "chat"))
    assert read == ["targets.csv"]
    assert len(list((folder / TABLES).glob("*.pkl"))) == len(kept) + 2   # raw and checked
    monkeypatch.undo()

    shared = SharedTables(tmp_path / "other")
    def fails():
        raise ServiceKPIError("no")
    with pytest.raises(ServiceKPIError):
        shared.get("targets", [targets], fails)
    assert not (tmp_path / "other").exists() or not list((tmp_path / "other").iterdir())
    assert shared.get("targets", [targets], lambda: 1) == 1
    assert shared.get("targets", [targets], lambda: 2) == 1          # kept
    assert shared.get("targets", [targets], lambda: 3, "week") == 3   # other arguments


def test_prepared_tickets_have_a_row_group_per_team(setup):
    _, index = setup
    entry = next(iter(json.loads(index.read_text()).values()))
    f = pq.ParquetFile(index.parent / entry["tickets"])
    teams = [f.read_row_group(i, columns=["team"]).column(0).to_pandas().astype(str).unique()
             for i in range(f.num_row_groups)]
    assert all(len(t) == 1 for t in teams)
    assert sorted(t[0] for t in teams) == entry["teams"]


def test_the_kpis_read_back_as_computed_from_a_pickle_and_as_shipped(setup, tmp_path,
                                                                    monkeypatch):
    from servicekpi.report import inputs

    params, index = setup
    entry = next(iter(json.loads(index.read_text()).values()))
    path = index.parent / entry["kpis"]["month"]
    assert path.suffix == ".pkl"
    computed = load_inputs(load_params(params)).export_kpis
    (expected,) = computed.values()
    kpis = inputs._read_frame(path)
    pd.testing.assert_frame_equal(kpis, expected)
    assert kpis.attrs == expected.attrs and kpis.attrs["freq"] == "month"
    # for a cluster's worker (another pandas may not read the pickle): Parquet, the same
    suffix, data = inputs.portable(path)
    assert suffix == ".parquet" and data[:4] == b"PAR1"
    (tmp_path / "k.parquet").write_bytes(data)
    shipped = inputs._read_frame(tmp_path / "k.parquet")
    pd.testing.assert_frame_equal(shipped, expected)
    assert shipped.attrs == expected.attrs
    reads = []
    real = pd.read_pickle
    monkeypatch.setattr(pd, "read_pickle", lambda *a, **k: reads.append(a) or real(*a, **k))
    assert inputs.portable(path) == (suffix, data)     # every job shipped: converted once
    assert reads == []
    monkeypatch.undo()
    chat = inputs._read_frame(path, ["chat"])
    assert set(chat["team"]) == {"chat"} and len(chat) == (expected["team"] == "chat").sum()


def test_a_changed_export_is_read_again(tmp_path, demo_dir):
    data = tmp_path / "data"
    data.mkdir()
    tickets = pd.read_parquet(demo_dir / "tickets.parquet")
    tickets.to_parquet(data / "tickets.parquet")
    for name in ("kpi_table.csv", "benchmarks.csv", "targets.csv", "competencies.csv",
                 "competency_targets.csv"):
        (data / name).write_bytes((demo_dir / name).read_bytes())
    params = make_params(tmp_path, data, {"billing": "team: billing\n"})
    index = prepare(load_inputs(load_params(params)), tmp_path / "prepared")
    tickets[tickets["team"] != "chat"].to_parquet(data / "tickets.parquet")   # a new export
    fresh = load_inputs(load_params(params), index)
    assert len(fresh.tickets["billing"]) == (tickets["team"] != "chat").sum()  # all of it


def test_a_kpi_across_teams_comes_out_of_a_slice_as_out_of_the_whole_export(setup):
    """Repeat contacts look at a customer's tickets with every team, abandonment
    at the channels where any contact was abandoned, self-service at whether any
    contact was self-service: each prepared ticket carries
    its part in them, worked out over the whole export, so a report's slice
    gives what the whole export gives, and its own tickets alone would not."""
    from servicekpi.diagnostics import decompose_change
    from servicekpi.kpis import (ACROSS_TEAMS, abandonment_channels, compute_kpis,
                                 repeat_contacts, self_service_counted)

    params, index = setup
    raw = TeamReport.load(**parameters(params, "billing"))
    ready = TeamReport.load(index, **parameters(params, "billing"))
    # the whole export as loaded, without its part in the KPIs across teams (the
    # loaded export carries them too): every figure below is worked out afresh
    whole = without_across(raw.tickets)
    mine = (whole["team"] == "billing").to_numpy()
    hits = repeat_contacts(whole["customer_id"], whole["created_at"].to_numpy())
    np.testing.assert_array_equal(ready.tickets[REPEAT_HIT].to_numpy(), hits[mine])
    counted, rule = abandonment_channels(whole)
    np.testing.assert_array_equal(ready.tickets[ABANDONMENT_COUNTED].to_numpy(),
                                  counted[mine])
    assert ready.tickets.attrs["abandonment_channels"] == rule
    np.testing.assert_array_equal(ready.tickets[SELF_SERVICE_COUNTED].to_numpy(),
                                  self_service_counted(whole)[mine])
    assert set(ACROSS_TEAMS) == {"repeat_contact_rate", "abandonment_rate",
                                 "self_service_rate"}

    own = whole[mine].reset_index(drop=True)     # the slice without the columns
    assert (repeat_contacts(own["customer_id"], own["created_at"].to_numpy())
            != hits[mine]).any()                 # the test can tell them apart
    as_of = whole.attrs["as_of"]
    for kpi in sorted(ACROSS_TEAMS):
        expected = compute_kpis(whole, kpi_list=[kpi], as_of=as_of)
        expected = expected[expected["team"] == "billing"].reset_index(drop=True)
        got = compute_kpis(ready.tickets, kpi_list=[kpi], as_of=as_of)
        pd.testing.assert_frame_equal(got, expected)
    # the columns decide, whatever became of the attributes (a concat drops them)
    bare = ready.tickets.copy()
    bare.attrs = {}
    got = compute_kpis(bare, kpi_list=["abandonment_rate"], as_of=as_of)
    expected = compute_kpis(whole, kpi_list=["abandonment_rate"], as_of=as_of)
    pd.testing.assert_frame_equal(
        got.drop(columns="team"), expected[expected["team"] == "billing"]
        .reset_index(drop=True).drop(columns="team"), check_like=True)
    mine_counted = set(bare.loc[bare[ABANDONMENT_COUNTED], "channel"].astype(str))
    assert set(got.attrs["abandonment"]["counted"]) == mine_counted
    periods = sorted(raw.kpis["period"].unique())
    before, after = periods[-3], periods[-2]

    def shares(tickets):
        return decompose_change(tickets, "repeat_contact_rate", team="billing", before=before,
                                after=after, by="channel").summary()
    assert shares(ready.tickets) == shares(whole)


def test_a_freq_not_prepared_reads_the_export(setup):
    params, index = setup
    p = next(x for x in load_params(params) if x.team == "chat").model_copy(
        update={"freq": "week"})
    ready, raw = load_inputs([p], index), load_inputs([p])
    assert len(ready.tickets["chat"]) == len(raw.tickets["chat"])     # the whole export
    pd.testing.assert_frame_equal(ready.kpis["chat"], raw.kpis["chat"])


def test_teams_auto_takes_the_export_teams_from_the_prepared_index(tmp_path, demo_dir,
                                                                  monkeypatch):
    """With ``teams: auto`` the overview's kernel lists the teams from the run's
    prepared index, not by reading the export again (at 50M rows that read took
    the overview kernel to 13.7 GB); a changed export is read."""
    import servicekpi.params as params_module
    import servicekpi.report.inputs as inputs_module

    params = make_params(tmp_path, demo_dir, {})
    with open(params / "defaults.yaml", "a") as f:
        f.write("teams: auto\n")
    all_params = load_params(params)
    index = prepare(load_inputs(all_params), tmp_path / "prepared")
    expected = OverviewReport.load(params, prepared=index)
    params_module.clear_export_cache()
    reads = []
    real = params_module.load_export
    spy = lambda p: reads.append(p) or real(p)  # noqa: E731
    monkeypatch.setattr(params_module, "load_export", spy)
    monkeypatch.setattr(inputs_module, "load_export", spy)
    ready = OverviewReport.load(params, prepared=index)
    assert reads == []
    assert [p.team for p in ready.teams] == [p.team for p in all_params]
    pd.testing.assert_frame_equal(ready.gaps(), expected.gaps())
    pd.testing.assert_frame_equal(ready.gaps(), OverviewReport.load(params).gaps())
    entry = next(iter(json.loads(index.read_text()).values()))
    assert entry["names"] == params_module.team_names(load_inputs(all_params[:1]).tickets[
        all_params[0].team])
    params_module.clear_export_cache()
    reads.clear()
    load_params(params)                                  # no index: the export is read
    assert len(reads) == 1


def test_a_team_reads_its_own_row_groups_only(setup, monkeypatch):
    from servicekpi.report import inputs

    _, index = setup
    entry = next(iter(json.loads(index.read_text()).values()))
    path = index.parent / entry["tickets"]
    read = []
    real = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, **kw: read.append(list(groups)) or
                        real(self, groups, **kw))
    frame = inputs._read_frame(path, ["chat"])
    assert read == [[entry["teams"].index("chat")]]        # a row group per team, sorted
    assert frame["team"].astype(str).unique().tolist() == ["chat"]
    both = inputs._read_frame(path, ["chat", "billing"])
    assert sorted(both["team"].astype(str).unique()) == ["billing", "chat"]
    export = inputs._read_frame(path)                      # the whole export, in its order
    mine = export[export["team"].astype(str).isin(["chat", "billing"])]
    assert both["ticket_id"].tolist() == mine["ticket_id"].tolist()   # rows in export order
    assert len(inputs._read_frame(path, ["nobody"])) == 0


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    from servicekpi.config import atomic_write
    from servicekpi.report.inputs import keep, read_kept

    target = tmp_path / "x.pkl"
    target.mkdir()                       # a file cannot be renamed over a folder
    with pytest.raises(OSError):
        atomic_write(target, b"data")
    keep(target, {"a": 1})               # kept or not: never raises
    assert read_kept(target) is None
    assert [p.name for p in tmp_path.iterdir()] == ["x.pkl"]     # no temporary file left
    keep(tmp_path / "store" / "y.pkl", {"a": 1})
    assert read_kept(tmp_path / "store" / "y.pkl") == {"a": 1}
    atomic_write(tmp_path / "page.html", "é")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == "é"


def test_figures_call_every_team_by_its_name(tmp_path, demo_dir):
    """A team report's trend legend and peer heatmap showed team ids (customer_care,
    returns_and_refunds) where its text and the overview show names: the team's
    own name, and each peer's as the run's parameters give it (else as the export
    writes it), from the prepared inputs as from the raw export."""
    from matplotlib.text import Text

    from servicekpi.report import figures
    teams = {"billing": "team: billing\ndisplay_name: Billing & Payments\n",
             "chat": "team: chat\ndisplay_name: Chat desk\n"}
    params = make_params(tmp_path, demo_dir, teams)
    index = prepare(load_inputs(load_params(params)), tmp_path / "prepared")
    report = TeamReport.load(index, **parameters(params, "billing"))
    assert report.name_of("chat") == "Chat desk" and report.name_of("phone") == "phone"
    heatmap = figures.peers(report)
    rows = [t.get_text() for t in heatmap.axes[0].get_yticklabels()]
    assert "Billing & Payments" in rows and "Chat desk" in rows and "chat" not in rows, rows
    legend = [t.get_text() for t in figures.trends(report).findobj(Text)]
    assert "Billing & Payments" in legend and "billing" not in legend
    alone = TeamReport.load(**parameters(params, "chat"))       # plain papermill
    assert alone.name_of("chat") == "Chat desk" and alone.name_of("billing") == "billing"
    # a team named in the parameters is still refused when the export has no tickets
    # of it, display name or not (a first version took its name for its tickets)
    ghost = make_params(tmp_path / "g", demo_dir, {"ghost": "team: ghost\ndisplay_name: G\n"})
    found = load_inputs(load_params(ghost))
    assert "no tickets for team 'ghost'" in found.first_problem("ghost")


def test_a_run_of_some_teams_still_calls_the_others_by_their_names(tmp_path, demo_dir):
    """The display names the prepared inputs carry are every team's the run's folder
    names (a run of billing alone called its peer 'chat', the overview 'Chat desk')."""
    teams = {"billing": "team: billing\n", "chat": "team: chat\ndisplay_name: Chat desk\n"}
    params = make_params(tmp_path, demo_dir, teams)
    billing = [p for p in load_params(params) if p.team == "billing"]
    index = prepare(load_inputs(billing), tmp_path / "prepared",
                    display={"chat": "Chat desk", "nowhere": "Not in the export"})
    report = TeamReport.load(index, **parameters(params, "billing"))
    assert report.name_of("chat") == "Chat desk"
    assert "nowhere" not in json.loads(Path(index).read_text()).popitem()[1]["display"]
