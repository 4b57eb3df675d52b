"""The ingest benchmark's goal verdicts (benchmarks/bench_ingest.py); no export is
written or read here."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ingest.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH.parent))      # it imports bench_kpis beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_ingest", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH.parent))


@pytest.mark.parametrize("row,said", [
    ({"format": "csv", "ratio": 2.2, "peak_over_file": 1.84}, "time met, memory met"),
    ({"format": "csv", "ratio": 3.0, "peak_over_file": 2.0}, "time met, memory met"),
    ({"format": "csv", "ratio": 3.01, "peak_over_file": 2.83}, "time MISSED, memory MISSED"),
    ({"format": "parquet", "ratio": 1.61, "peak_over_file": 6.7}, "time met, memory n/a (a CSV goal)"),
    ({"format": "parquet", "ratio": 2.5, "peak_over_file": 1.0}, "time MISSED, memory n/a (a CSV goal)"),
])
def test_each_row_is_held_to_its_formats_goals(bench, row, said):
    assert bench.verdict(row) == said


def test_the_reference_peaks_are_measured_on_the_file(bench, tmp_path):
    """The whole-file reader's reference reads the export it is given (a missing
    file fails it); the import reference runs; both report a peak."""
    export = tmp_path / "export.csv"
    export.write_text("ticket_id,team\n1,billing\n2,chat\n", encoding="utf-8")
    for name, code in bench.REFERENCES.items():
        seconds, mb = bench._isolated([sys.executable, "-c", code, str(export)])
        assert seconds > 0 and mb > 20, name          # an interpreter with pandas or pyarrow
    missing = tmp_path / "missing.csv"
    with pytest.raises(SystemExit):                    # the file is read, not just named
        bench._isolated([sys.executable, "-c", bench.REFERENCES["read_alone"], str(missing)])
