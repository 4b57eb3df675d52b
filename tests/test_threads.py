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
