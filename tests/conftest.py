import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

HEADER = ("ticket_id,team,created_at,first_response_at,resolved_at,channel,sla_due_at,"
          "sla_met,contacts,reopened,is_complaint,abandoned,handle_minutes,csat,nps,ces,"
          "customer_id")

# The hand-worked ticket set (see test_kpis.py for every expected value).
SMALL = [
    "1,a,2024-01-02 09:00,2024-01-02 10:00,2024-01-02 13:00,phone,2024-01-02 12:00,,1,no,no,no,10,5,10,2,c1",
    "2,a,2024-01-05 09:00,2024-01-05 12:00,2024-01-06 09:00,email,2024-01-07 09:00,,2,yes,yes,no,20,4,7,3,c1",
    "3,a,2024-01-20 09:00,2024-01-20 11:00,,chat,2024-01-21 09:00,,,,no,no,,,0,,c2",
    "4,a,2024-01-25 09:00,,,self_service,,true,,,no,yes,,2,9,,",
    "5,a,2024-03-01 08:00,2024-03-01 08:30,2024-03-01 10:00,phone,2024-03-01 12:00,,1,no,no,no,6,,,,c3",
    "7,a,2024-03-02 09:00,2024-03-02 10:00,,email,2024-03-10 09:00,,,,no,no,8,,,,c3",
    "6,b,2024-01-10 12:00,2024-01-10 12:06,2024-01-10 18:00,phone,2024-02-01 00:00,,1,no,no,no,15,3,6,5,c2",
]


def write_csv(path, rows, header=HEADER):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_csv(tmp_path):
    return write_csv(tmp_path / "tickets.csv", SMALL)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A small demo data set (a few percent of full size, 14 months)."""
    from servicekpi.demo import generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=11, months=14, scale=0.04)
    return out


def make_params(root: Path, data: Path, teams: dict[str, str]) -> Path:
    """A params/ folder pointing at ``data``, with one file per entry of ``teams``."""
    from servicekpi.config import CATALOGUE

    p = root / "params"
    (p / "teams").mkdir(parents=True)
    shutil.copy(CATALOGUE, p / "catalogue.yaml")
    (p / "defaults.yaml").write_text(
        f"tickets: {data / 'tickets.parquet'}\nkpi_table: {data / 'kpi_table.csv'}\n"
        f"benchmarks: {data / 'benchmarks.csv'}\ntargets: {data / 'targets.csv'}\n"
        "catalogue: catalogue.yaml\nhistory_periods: 6\n"
        f"competencies: {data / 'competencies.csv'}\n"
        f"competency_targets: {data / 'competency_targets.csv'}\n")
    for name, text in teams.items():
        (p / "teams" / f"{name}.yaml").write_text(text)
    return p
