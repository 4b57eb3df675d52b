"""Column work side by side on threads: the same results, in order, as one by one."""
import threading
import time

import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi import threads
from servicekpi.kpis import compute_kpis


def test_results_come_in_the_order_of_the_work(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 4)
    done = []

    def slow_first(i):          # the first item finishes last
        time.sleep(0.05 * (3 - i))
        done.append(i)
        return i * 10, threading.current_thread().name

    out = list(threads.in_order(slow_first, range(4)))
    assert [v for v, _ in out] == [0, 10, 20, 30]
    assert done[-1] == 0                                   # it did run side by side
    assert all(name.startswith("servicekpi") for _, name in out)


def test_one_core_works_in_the_calling_thread(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 1)
    names = list(threads.in_order(lambda _: threading.current_thread().name, range(3)))
    assert names == [threading.current_thread().name] * 3


def test_an_error_comes_where_its_result_would(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 4)

    def fn(i):
        if i == 1:
            raise skpi.DataError("column 1 is wrong", source="t.csv")
        return i

    got = []
    with pytest.raises(skpi.DataError, match="column 1 is wrong"):
        for v in threads.in_order(fn, range(3)):
            got.append(v)
    assert got == [0]


@pytest.fixture
def messy(tmp_path):
    # one of every kind of cell problem the columns are checked for, over
    # several columns, so that their order in the error is the columns' order
    rows = ["ticket_id,team,created_at,first_response_at,resolved_at,csat,handle_minutes,"
            "contacts,sla_met,channel",
            "1,A,2024-01-02 09:00,2024-01-02 10:00,2024-01-03,5,1.5,1,yes,email",
            "2,A,2024-01-02 11:00,soon,2024-01-04,9,2.0,1,no,chat",
            "3,B,,2024-01-02 12:00,9999-12-31,3,x,2.5,maybe,phone",
            "4,B,2024-01-05 08:00,2024-01-05 09:00,,4,3,-1,yes,email",
            "5,B,2024-01-06 08:00,1979-01-01,2024-01-07,,4,1,,email"]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _load(path, monkeypatch, n, **kw):
    monkeypatch.setattr(threads, "cores", lambda: n)
    try:
        return skpi.load_tickets(path, **kw)
    except skpi.DataError as exc:
        return [(p.column, p.message, p.rows) for p in exc.problems]


def test_columns_typed_side_by_side_give_the_same_problems_and_frame(messy, monkeypatch):
    one = _load(messy, monkeypatch, 1)
    four = _load(messy, monkeypatch, 4)
    assert one == four
    # in the schema's column order, each column's problems as they were found
    assert [(c, rows) for c, _, rows in one] == [
        ("created_at", (4,)), ("first_response_at", (3,)), ("sla_met", (4,)),
        ("contacts", (4,)), ("contacts", (5,)), ("handle_minutes", (4,)), ("csat", (3,))]
    one = _load(messy, monkeypatch, 1, bad_rows="drop", max_dropped_share=1)
    four = _load(messy, monkeypatch, 4, bad_rows="drop", max_dropped_share=1)
    pd.testing.assert_frame_equal(one, four)
    pd.testing.assert_frame_equal(skpi.data_quality(one), skpi.data_quality(four))


def test_kpis_computed_side_by_side_are_the_same_table(small_csv, monkeypatch):
    tickets = skpi.load_tickets(small_csv)
    monkeypatch.setattr(threads, "cores", lambda: 1)
    one = compute_kpis(tickets)
    monkeypatch.setattr(threads, "cores", lambda: 4)
    four = compute_kpis(tickets)
    pd.testing.assert_frame_equal(one, four)
    assert one.attrs == four.attrs and len(one["kpi"].unique()) > 10


def test_calls_start_only_as_far_ahead_as_there_are_threads(monkeypatch):
    monkeypatch.setattr(threads, "cores", lambda: 2)
    started = []

    def fn(i):
        started.append(i)
        return i

    results = threads.in_order(fn, range(10))
    assert next(results) == 0
    time.sleep(0.1)                # every call that could start has started
    assert len(started) <= 3       # two threads' calls, and the next one queued
    results.close()                # a consumer that stops: the rest never run
    time.sleep(0.1)
    assert len(started) <= 3
    assert not [t for t in threading.enumerate() if t.name.startswith("servicekpi")]


def test_zone_words_in_columns_typed_side_by_side(tmp_path, monkeypatch):
    # a zone word pandas does not know ("EST") is refused in every column, whichever
    # thread types it, and the warning filters are as they were afterwards
    import warnings
    monkeypatch.setattr(threads, "cores", lambda: 4)
    rows = ["ticket_id,team,created_at,first_response_at,resolved_at,sla_due_at"]
    rows += [f"{i},A,03/0{1 + i % 9}/2024 10:00 EST,03/0{1 + i % 9}/2024 11:00 EST,"
             f"03/0{1 + i % 9}/2024 12:00 EST,03/0{1 + i % 9}/2024 13:00 EST"
             for i in range(200)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    before = list(warnings.filters)
    with pytest.raises(skpi.DataError) as ei:
        skpi.load_tickets(path, dayfirst=True)
    assert {p.column for p in ei.value.problems} >= {
        "created_at", "first_response_at", "resolved_at", "sla_due_at"}
    assert all(p.rows[:1] == (2,) for p in ei.value.problems if p.column != "ticket_id")
    assert list(warnings.filters) == before


def test_typed_timestamps_held_by_arrow(tmp_path):
    # a frame read by pandas with the Arrow backend, validated: its placeholder
    # date is a placeholder, its others are read
    pd.DataFrame({"ticket_id": ["1", "2"], "team": ["A", "A"],
                  "created_at": pd.to_datetime(["2024-01-02 09:00", "2024-01-03 09:00"]),
                  "resolved_at": pd.to_datetime(["2150-01-01 00:00", "2024-01-03 12:00"])}
                 ).to_parquet(tmp_path / "t.parquet")
    raw = pd.read_parquet(tmp_path / "t.parquet", dtype_backend="pyarrow")
    assert isinstance(raw["created_at"].dtype, pd.ArrowDtype)
    t = skpi.validate_tickets(raw)
    assert t["created_at"].tolist() == [pd.Timestamp("2024-01-02 09:00"),
                                        pd.Timestamp("2024-01-03 09:00")]
    assert pd.isna(t["resolved_at"][0]) and t["resolved_at"][1] == pd.Timestamp("2024-01-03 12:00")
    q = skpi.data_quality(t)
    assert q.loc[q["code"] == "timestamp_out_of_range", "rows"].item() == 1


def test_with_keep_all_the_threads_go_on_past_a_long_call(monkeypatch):
    """The first call is long: with the bound, the other thread's next call
    waits for it; with keep_all the other calls all run meanwhile."""
    monkeypatch.setattr(threads, "cores", lambda: 2)

    def run(**kw):
        started, first_done = [], threading.Event()

        def fn(i):
            if i == 0:
                time.sleep(0.3)
                first_done.set()
            started.append((i, first_done.is_set()))
            return i

        assert list(threads.in_order(fn, range(6), **kw)) == list(range(6))
        return sum(1 for i, after in started if i and not after)   # done beside call 0

    assert run() == 1               # the one call started with it
    assert run(keep_all=True) == 5
