# Two commands on a fresh machine with python3 (>= 3.11) and make:
#   make reports   build .venv, generate demo data, render every team's report
#   make test      build .venv, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo
PARAMS ?= params
OUT    ?= reports

.PHONY: reports test venv demo bench calibrate clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "servicekpi needs Python >= 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name servicekpi --display-name "Python (servicekpi)"
	touch $(STAMP)

$(DEMO)/.complete: $(STAMP) lib/servicekpi/demo.py
	$(BIN)/servicekpi demo-data --out $(DEMO)
	touch $@

demo: $(DEMO)/.complete

reports: $(STAMP) $(DEMO)/.complete
	$(BIN)/servicekpi run --params $(PARAMS) --out $(OUT)

# Every test on every core (pytest-xdist). --dist loadfile keeps a test file on one
# worker, so a module's batch of reports (a module-scoped fixture) runs once.
# make test XDIST=  runs them in one process; the unit tests alone: pytest -m "not e2e"
XDIST ?= -n auto --dist loadfile
test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST)

bench: $(STAMP)
	$(BIN)/python -m pip install -e '.[bench]'
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_runner.py

# the forecast intervals' calibration table (lib/servicekpi/forecast_calibration.json),
# from the M3 competition's monthly series; rerun when the combination changes
calibrate: $(STAMP)
	$(BIN)/python -m pip install -e '.[bench]'
	$(BIN)/python benchmarks/calibrate_forecast.py

clean:
	rm -rf $(OUT)/*.html $(OUT)/teams $(OUT)/_work $(DEMO)
