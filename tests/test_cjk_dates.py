"""Dates and times written in Chinese (and Japanese), as spreadsheets and ticket
systems in those languages write them: 2025年1月3日, 下午2:05, 14时05分,
full-width digits, and periods such as 2026年6月 and 2026年第2季度.  Each value
is read as written, worked out by hand; one that is no date stays refused."""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.cli import _timestamp
from servicekpi.errors import DataError, InvalidArgument
from servicekpi.params import as_of_problem
from servicekpi.parsing import parse_timestamps, western_date
from servicekpi.periods import parse_period


@pytest.mark.parametrize("written, expected", [
    ("2025年1月3日 14:05", "2025-01-03 14:05"),
    ("2025年01月03日 14:05:09", "2025-01-03 14:05:09"),
    ("2025年1月3日14:05", "2025-01-03 14:05"),               # no space after 日
    ("2025年1月3号 14:05", "2025-01-03 14:05"),
    ("2025/1/3 下午2:05", "2025-01-03 14:05"),              # Excel's 上午/下午 h:mm
    ("2025/1/3 下午 2:05", "2025-01-03 14:05"),
    ("2025/1/3 上午9:05", "2025-01-03 09:05"),
    ("2025/1/3 上午12:30", "2025-01-03 00:30"),             # 12:30 a.m.
    ("2025/1/3 下午12:30", "2025-01-03 12:30"),             # 12:30 p.m.
    ("2025/1/3 下午11:59:59", "2025-01-03 23:59:59"),
    ("2025/1/3 下午10:05", "2025-01-03 22:05"),             # not read as 下午1 + "0:05"
    ("2025/1/3 午後3:00", "2025-01-03 15:00"),              # Japanese
    ("２０２５年１月２０日　１４：００", "2025-01-20 14:00"),     # full-width digits, space, colon
    ("2025年1月3日星期五 9时5分", "2025-01-03 09:05"),
    ("2025年1月3日（周五）14点05分30秒", "2025-01-03 14:05:30"),
    ("2025年1月3日 14時05分", "2025-01-03 14:05"),
    ("2025年1月3日(金) 9:05", "2025-01-03 09:05"),                # Japanese Excel's weekday
    ("2025/1/3（金曜日）午後3:00", "2025-01-03 15:00"),
    ("2025/1/3 (周五) 14:05", "2025-01-03 14:05"),
    ("2025年1月3日", "2025-01-03 00:00"),
])
def test_chinese_timestamps_read_as_written(written, expected):
    values, bad = parse_timestamps(pd.Series([written, "2025-02-01 08:00"]))
    assert not bad.any()
    assert values[0] == pd.Timestamp(expected)
    assert values[1] == pd.Timestamp("2025-02-01 08:00")      # the ASCII cells as before


def test_chinese_non_dates_stay_refused():
    values, bad = parse_timestamps(pd.Series(
        ["2025年13月3日 14:05", "2025年2月30日", "2025年1月3日 9时65分", "下午", "2025年1月3日"]))
    assert bad.tolist() == [True, True, True, True, False]
    assert values.isna().tolist() == [True, True, True, True, False]


@pytest.mark.parametrize("written, freq, expected", [
    ("2026年6月", "month", "2026-06"),
    ("2026年06月", "month", "2026-06"),
    ("２０２６年６月", "month", "2026-06"),
    ("2026年6月30日", "month", "2026-06"),
    ("2026年第2季度", "quarter", "2026Q2"),
    ("2026年2季度", "quarter", "2026Q2"),
    ("2026年第二季度", "quarter", "2026Q2"),
    ("2026年二季度", "quarter", "2026Q2"),
    ("2026年Q2", "quarter", "2026Q2"),
    ("2026年2季", "quarter", "2026Q2"),
    ("2026年第4季度", "quarter", "2026Q4"),
    ("2026年第12周", "week", "2026-W12"),
    ("2026年第53周", "week", "2026-W53"),                 # 2026 has 53 ISO weeks
])
def test_chinese_periods(written, freq, expected):
    want = (pd.Timestamp.fromisocalendar(2026, int(expected[-2:]), 1).to_period("W-SUN")
            if freq == "week" else pd.Period(expected, {"month": "M", "quarter": "Q-DEC"}[freq]))
    assert parse_period(written, freq) == want


@pytest.mark.parametrize("written, freq, message", [
    # the messages quote the value as written, not as it was rewritten to be read
    ("2026年6月", "quarter", "'2026年6月' is a month, not a quarter"),
    ("2026年6月", "week", "'2026年6月' is a month, not a week"),
    ("2026年第2季度", "month", "'2026年第2季度' is a quarter, not a month"),
    ("2026年第12周", "month", "'2026年第12周' is a week, not a month"),
    ("2026年", "month", "'2026年' is a year, not a month"),
    ("2026年13月", "month", "'2026年13月' is not a month nor a date"),
    ("2026年第5季度", "quarter", "'2026年第5季度' is not a quarter nor a date"),
    ("2026年第54周", "week", "'2026年第54周': 2026 has no ISO week 54"),
])
def test_chinese_periods_refused_as_written(written, freq, message):
    with pytest.raises(InvalidArgument, match=message):
        parse_period(written, freq)


def test_western_date_leaves_other_text_alone():
    assert western_date("2024-03-05 14:30") == "2024-03-05 14:30"
    assert western_date("05/03/2024") == "05/03/2024"
    assert western_date("在线客服") == "在线客服"
    assert western_date("2025年3月1日 9时5分") == "2025-03-01 09:05"


def test_as_of_in_chinese_on_the_command_line_and_in_parameters():
    assert as_of_problem("2025年3月31日 18:00") is None
    assert _timestamp("2025年3月31日 18:00") == "2025-03-31 18:00"
    assert "cannot read" in as_of_problem("2025年13月31日")
    with pytest.raises(argparse.ArgumentTypeError, match="cannot read"):
        _timestamp("3月31日")
    with pytest.raises(argparse.ArgumentTypeError, match="cannot read"):
        _timestamp("2025年13月31日")
    # read by the loader: an impossible as-of time is a ConfigError quoting it as written
    from pathlib import Path
    export = Path(__file__).parent / "fixtures" / "exports" / "servicenow.csv"
    with pytest.raises(skpi.ConfigError, match="as-of time '2025年13月10日' is no date and time"):
        skpi.load_tickets(export, as_of="2025年13月10日")


#: A help desk's export saved from Excel on a Chinese Windows (GB18030, the
#: dates as its cells were formatted: 年月日, 上午/下午, full-width digits), read
#: through the analyst's own mapping file with its Chinese headers.
EXPORT = """工单编号,受理组,创建时间,首次响应时间,解决时间,满意度
T1,在线客服,2025年1月3日 9:05,2025年1月3日 9:35,2025年1月3日 下午2:05,5
T2,在线客服,2025/1/10 上午11:00,2025/1/10 下午12:30,2025/1/11 上午12:30,4
T3,在线客服,２０２５年１月２０日　１４：００,2025年1月20日 14时30分,2025年1月20日 18点00分,?
T4,在线客服,2025年2月3日（周一）08:00,2025年2月3日 10:00,,3
T5,电话客服,2025-01-05 10:00,2025-01-05 10:06,2025-01-05 11:00,5
T6,电话客服,2025年2月5日 下午3:00,2025年2月5日 下午3:12,2025年2月5日 下午4:00,4
T7,电话客服,2025年3月1日 9:00,2025年3月1日 9:30,2025年3月1日 10:00,5
"""
MAPPING = """name: 客服系统
description: 客服工单导出（Excel 另存为 CSV）
columns:
  ticket_id: 工单编号
  team: 受理组
  created_at: 创建时间
  first_response_at: 首次响应时间
  resolved_at: 解决时间
  csat: 满意度
"""


@pytest.fixture
def export(tmp_path):
    (tmp_path / "export.csv").write_bytes(EXPORT.encode("gb18030"))
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def test_chinese_export_kpis_by_hand(export):
    tickets = skpi.load_tickets(export / "export.csv", mapping=export / "map.yaml")
    by_id = tickets.set_index("ticket_id")
    assert by_id.loc["T2", "resolved_at"] == pd.Timestamp("2025-01-11 00:30")
    assert by_id.loc["T3", "created_at"] == pd.Timestamp("2025-01-20 14:00")
    assert pd.isna(by_id.loc["T3", "csat"])                  # '?' is no answer
    kpis = skpi.compute_kpis(tickets, freq="month").set_index(["team", "period", "kpi"])["value"]
    # 在线客服, January: first responses 30, 90 and 30 minutes; resolutions 5 h,
    # 13.5 h (11:00 to 00:30 the next day) and 4 h
    assert kpis["在线客服", "2025-01", "avg_first_response_hours"] == pytest.approx(50 / 60)
    assert kpis["在线客服", "2025-01", "avg_resolution_hours"] == pytest.approx(7.5)
    # 电话客服, February: 3:00 p.m. to 3:12 p.m., resolved 4:00 p.m.
    assert kpis["电话客服", "2025-02", "avg_first_response_hours"] == pytest.approx(0.2)
    assert kpis["电话客服", "2025-02", "avg_resolution_hours"] == pytest.approx(1.0)
    # CSAT: 5 and 4 answered in January (T3's '?' is no answer)
    assert kpis["在线客服", "2025-01", "csat_score"] == pytest.approx(4.5)


def test_chinese_targets_benchmarks_and_kpi_table(tmp_path):
    (tmp_path / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline,milestones\n"
        "在线客服,avg_first_response_hours,0.83,2025年1月,0.5,2025年6月,2025年3月=0.7\n",
        encoding="utf-8")
    (tmp_path / "benchmarks.csv").write_text(
        "kpi,benchmark,value,source,published\n"
        "avg_first_response_hours,industry_median,1.0,调查A,2025年6月\n"
        "avg_resolution_hours,industry_median,8,调查B,２０２４年\n"
        "csat_score,industry_median,4.1,调查C,2024年3月5日\n", encoding="utf-8")
    (tmp_path / "kpi_table.csv").write_text(
        "team,period,kpi,value\n在线客服,2025年1月,employee_satisfaction,0.8\n"
        "在线客服,２０２５年２月,employee_satisfaction,0.82\n", encoding="utf-8")
    targets = skpi.load_targets(tmp_path / "targets.csv")
    row = targets.iloc[0]
    assert row["deadline"] == pd.Period("2025-06", "M")
    assert row["baseline_period"] == pd.Period("2025-01", "M")
    assert row["milestones"] == {pd.Period("2025-03", "M"): 0.7}
    bench = skpi.load_benchmarks(tmp_path / "benchmarks.csv")
    assert bench["published"].tolist() == [pd.Timestamp("2025-06-01"), pd.Timestamp("2024-01-01"),
                                           pd.Timestamp("2024-03-05")]
    # shown as precise as written: no day (nor month) the source did not give
    assert bench.attrs["published_as"] == {("调查A", "2025-06-01T00:00:00"): "2025-06",
                                           ("调查B", "2024-01-01T00:00:00"): "2024"}
    table = skpi.load_kpi_table(tmp_path / "kpi_table.csv")
    assert table["period"].astype(str).tolist() == ["2025-01", "2025-02"]
    assert np.allclose(table["value"], [0.8, 0.82])


def test_chinese_deadline_refused_for_a_quarterly_team_names_the_row(tmp_path):
    (tmp_path / "targets.csv").write_text(
        "team,kpi,baseline,baseline_period,target,deadline\n"
        "在线客服,avg_first_response_hours,0.83,2025年第1季度,0.5,2025年6月\n",
        encoding="utf-8")
    with pytest.raises(DataError) as err:
        skpi.load_targets(tmp_path / "targets.csv", freq="quarter")
    message = str(err.value)
    assert message.startswith("targets.csv, column 'deadline': cannot read period: expected "
                              "a quarter such as 2024Q1 (these are months")
    assert "row 2 ('2025年6月')" in message
