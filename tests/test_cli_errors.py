"""Every failure the command line can reach is one line on stderr, never a traceback:
exit 2 for usage, input and outputs that cannot be written, 1 for a failed report or
an unexpected error (whose traceback --debug shows)."""
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import servicekpi as skpi
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_params
from servicekpi.cli import main

DEEP = "[" * 10000 + "]" * 10000          # nested past Python's recursion limit
LATIN1 = "title: Café report\n".encode("latin-1")


def one_line(capsys) -> str:
    """stderr of the last command: one line, no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def a_file(tmp_path) -> Path:
    f = tmp_path / "a_file"
    f.write_text("not a folder\n")
    return f


@pytest.fixture
def params(tmp_path, demo_dir):
    return make_params(tmp_path, demo_dir, {"billing": "team: billing\n"})


# ------------------------------------------------------------------ outputs
def test_out_under_a_regular_file(tmp_path, small_csv, params, capsys):
    """A folder that cannot be created (a file is in the way): refused before any work."""
    target = a_file(tmp_path) / "reports"
    assert main(["run", "--params", str(params), "--out", str(target)]) == 2
    line = one_line(capsys)
    assert str(target) in line and "a_file is a file, not a folder" in line
    assert main(["kpis", str(small_csv), "--out", str(target / "k.csv")]) == 2
    assert "a_file is a file, not a folder" in one_line(capsys)
    assert main(["kpis", str(small_csv), "--out", str(tmp_path)]) == 2   # a folder
    assert "is a folder, expected a file name" in one_line(capsys)


def _nobody():
    """A way to run a command as an unprivileged user (tests may run as root, for whom
    a 0o555 folder is writable): a prefix for subprocess, or None."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(prefix + [sys.executable, "-c", "import servicekpi"],
                           capture_output=True, env={**os.environ, "HOME": "/tmp"})
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("command", ["run", "kpis"])
def test_read_only_out(command, small_csv, params, tmp_path, capsys):
    """A folder this process may not write in (chmod 0o555): one line, exit 2.  As root
    (chmod does not stop root) the command runs as user nobody, when it can."""
    args = (["run", "--params", str(params), "--out"] if command == "run"
            else ["kpis", str(small_csv), "--out"])
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            out = ro / ("reports" if command == "run" else "k.csv")
            assert main(args + [str(out)]) == 2
            line = one_line(capsys)
        finally:
            ro.chmod(0o755)
        assert f"cannot write in {ro}: permission denied" in line
        return
    prefix = _nobody()
    if prefix is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    top = Path(tempfile.mkdtemp(prefix="skpi-ro-"))     # readable by nobody
    try:
        top.chmod(0o755)
        ro = top / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        out = ro / ("reports" if command == "run" else "k.csv")
        done = subprocess.run(prefix + [sys.executable, "-m", "servicekpi.cli"] + args
                              + [str(out)], capture_output=True, text=True,
                              env={**os.environ, "HOME": "/tmp"})
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [
            f"error: --out {out}: cannot write in {ro}: permission denied"]
        assert not out.exists()
    finally:
        shutil.rmtree(top)


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_run_cannot_write(code, params, tmp_path, capsys, monkeypatch):
    """A read-only file system or a full disk when run writes its folders (simulated):
    one line naming the path and the reason, exit 2."""
    def refuse(self, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    out = tmp_path / "reports"
    assert main(["run", "--params", str(params), "--teams", "billing", "--out",
                 str(out)]) == 2
    line = one_line(capsys)
    assert line.startswith(f"servicekpi: cannot write {out}")
    assert line.endswith(os.strerror(code))


def test_kpis_disk_full(small_csv, tmp_path, capsys, monkeypatch):
    """The disk fills while the KPI table is written (simulated): one line, exit 2."""
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "k.csv"
    assert main(["kpis", str(small_csv), "--out", str(out)]) == 2
    assert one_line(capsys) == f"servicekpi: cannot write {out}: No space left on device"


def test_kpis_to_dev_full(small_csv, capsys):
    """A real full device: writing fails when the file is flushed."""
    if not os.access("/dev/full", os.W_OK):
        pytest.skip("no writable /dev/full")
    assert main(["kpis", str(small_csv), "--out", "/dev/full"]) == 2
    assert one_line(capsys) == "servicekpi: cannot write /dev/full: No space left on device"


# ---------------------------------------------------------------- scheduler
def test_unreachable_scheduler_fails_fast(params, tmp_path, capsys, monkeypatch):
    import servicekpi.runner as runner

    pytest.importorskip("distributed")
    with socket.socket() as s:        # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    monkeypatch.setattr(runner, "SCHEDULER_TIMEOUT", 1, raising=False)
    start = time.time()
    assert main(["run", "--params", str(params), "--teams", "billing", "--out",
                 str(tmp_path / "r"), "--scheduler", address]) == 2
    assert time.time() - start < 10          # Dask's own timeout is 30 s
    assert one_line(capsys) == (f"error: cannot connect to the Dask scheduler at {address}: "
                                "no answer within 1 s (is the scheduler running there?)")
    assert main(["run", "--params", str(params), "--out", str(tmp_path / "r"),
                 "--scheduler", "localhost"]) == 2      # no port: not an address
    assert one_line(capsys) == ("error: cannot connect to the Dask scheduler at localhost: "
                                "missing port number in address 'localhost'")


# ---------------------------------------------------------------- YAML files
def test_params_yaml_too_deep_or_not_utf8(params, capsys):
    team = params / "teams" / "billing.yaml"
    team.write_text(f"team: billing\nkpis: {DEEP}\n")
    for command in ("validate", "run"):
        assert main([command, "--params", str(params)]) == 2
        assert one_line(capsys) == (f"error: {team}: YAML nested too deeply to read (lists "
                                    "or mappings inside each other hundreds of levels "
                                    "deep): expected a few levels of keys and lists")
    team.write_text("team: billing\n")
    defaults = params / "defaults.yaml"
    defaults.write_bytes(defaults.read_bytes() + LATIN1)
    lines = defaults.read_bytes().count(b"\n")
    for command in ("validate", "run"):
        assert main([command, "--params", str(params)]) == 2
        assert one_line(capsys) == (f"error: {defaults}: not UTF-8 text (byte 0xe9 on line "
                                    f"{lines}): save the file as UTF-8")


def test_a_key_written_twice_is_refused_in_every_yaml_file(params, tmp_path, capsys):
    """PyYAML keeps the last of two equal keys without a word: a team file saying
    'language: zh' and later 'language: en' rendered in English.  Refused, naming both
    lines, in parameter files, mappings and the catalogue alike."""
    team = params / "teams" / "billing.yaml"
    team.write_text("team: billing\nlanguage: zh\nhistory_periods: 6\nlanguage: en\n")
    assert main(["validate", "--params", str(params)]) == 2
    assert one_line(capsys) == (f"error: {team}: not valid YAML: key 'language' is written "
                                "twice (first on line 2); keep one (line 4, column 1)")
    team.write_text("team: billing\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("name: mine\ncolumns: {ticket_id: Id, team: Group, team: Queue}\n")
    assert main(["kpis", str(tmp_path / "none.csv"), "--mapping", str(mapping), "--out",
                 str(tmp_path / "k.csv")]) == 2
    assert "m.yaml: not valid YAML: key 'team' is written twice" in one_line(capsys)
    from servicekpi.readers import read_yaml
    assert read_yaml(params / "catalogue.yaml")["kpis"]      # the shipped files read
    for preset in skpi.presets():
        skpi.load_mapping(preset)


def test_targets_yaml_too_deep_or_not_utf8(params, tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    defaults = params / "defaults.yaml"
    defaults.write_text(re.sub(r"(?m)^targets: .*$", f"targets: {targets}",
                               defaults.read_text()))
    targets.write_text(f"targets: {DEEP}\n")
    assert main(["validate", "--params", str(params)]) == 2
    assert one_line(capsys) == ("error: targets.yaml: YAML nested too deeply to read (lists "
                                "or mappings inside each other hundreds of levels deep): "
                                "expected a few levels of keys and lists")
    targets.write_bytes(b"targets:\n  - team: billing\n    owner: Jos\xe9\n")
    assert main(["validate", "--params", str(params)]) == 2
    assert one_line(capsys) == ("error: targets.yaml: not UTF-8 text (byte 0xe9 on line 3): "
                                "save the file as UTF-8")


def test_mapping_yaml_too_deep_or_not_utf8(params, small_csv, tmp_path, capsys):
    mapping = tmp_path / "m.yaml"
    mapping.write_bytes(b"name: mine\ndescription: caf\xe9\n")
    expected = f"error: {mapping}: not UTF-8 text (byte 0xe9 on line 2): save the file as UTF-8"
    assert main(["kpis", str(small_csv), "--mapping", str(mapping), "--out",
                 str(tmp_path / "k.csv")]) == 2
    assert one_line(capsys) == expected
    assert not (tmp_path / "k.csv").exists()
    defaults = params / "defaults.yaml"      # one line, though every team uses it
    (params / "teams" / "vip_care.yaml").write_text("team: vip_care\n")
    defaults.write_text(defaults.read_text() + f"mapping: {mapping}\n")
    assert main(["validate", "--params", str(params)]) == 2
    assert one_line(capsys) == expected
    mapping.write_text(f"columns: {DEEP}\n")
    assert main(["kpis", str(small_csv), "--mapping", str(mapping), "--out",
                 str(tmp_path / "k.csv")]) == 2
    assert "m.yaml: YAML nested too deeply to read" in one_line(capsys)


def test_catalogue_not_utf8(params, capsys):
    catalogue = params / "catalogue.yaml"
    catalogue.write_bytes(catalogue.read_bytes() + b"# caf\xe9\n")
    assert main(["validate", "--params", str(params)]) == 2
    assert "catalogue.yaml: not UTF-8 text (byte 0xe9 on line" in one_line(capsys)


# ---------------------------------------------------------------- last resort
def test_unexpected_error_is_one_line_and_debug_shows_it(params, capsys, monkeypatch):
    import servicekpi.cli as cli

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "_validate", broken)
    assert main(["validate", "--params", str(params)]) == 1
    assert one_line(capsys) == ("servicekpi: unexpected error: KeyError: 'boom' (re-run with "
                                "--debug to see the traceback)")
    for argv in (["--debug", "validate"], ["validate", "--debug"]):
        with pytest.raises(KeyError):
            main(argv + ["--params", str(params)])


def test_any_os_error_names_its_file(params, capsys, monkeypatch):
    import servicekpi.cli as cli

    def denied(args):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/x/index.html")

    monkeypatch.setattr(cli, "_validate", denied)
    assert main(["validate", "--params", str(params)]) == 2
    assert one_line(capsys) == "servicekpi: cannot write /x/index.html: Permission denied"
    with pytest.raises(PermissionError):
        main(["validate", "--params", str(params), "--debug"])


# ------------------------------------------------------------------ a run's signals
@contextmanager
def python_sigint():
    """SIGINT with Python's own handler, as in a terminal, whatever this process
    inherited (a shell's background job inherits it ignored).  Used within a
    test, not as a fixture: conftest's plugin gives back a handler that a
    test's set-up changed."""
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_a_stop_is_kept_past_a_swallowed_interrupt():
    with python_sigint():
        from servicekpi.runner import _signals_stop_the_run

        before = signal.getsignal(signal.SIGTERM)
        with _signals_stop_the_run() as stop:
            stop.check()                           # nothing asked yet
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(1)                      # the handler runs (and raises) in here
            except KeyboardInterrupt:
                pass                               # as a bare except: would
            os.kill(os.getpid(), signal.SIGINT)  # a second signal, while stopping: not raised
            time.sleep(0.2)
            with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
                stop.check()
        assert signal.getsignal(signal.SIGTERM) is before
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:                                       # an ignored Ctrl-C (nohup) stays ignored
            with _signals_stop_the_run():
                assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        finally:
            signal.signal(signal.SIGINT, previous)


def test_an_interrupt_swallowed_in_a_finaliser_is_not_printed(monkeypatch):
    """Ctrl-C while a ``__del__`` runs: Python swallows the KeyboardInterrupt and
    prints "Exception ignored" with a traceback; the run keeps the signal (it
    stops at its next look) and nothing is printed.  Any other exception a
    finaliser swallows still reaches the hook there was."""
    with python_sigint():
        from servicekpi.runner import _signals_stop_the_run

        reached = []
        monkeypatch.setattr(sys, "unraisablehook", reached.append)

        class Interrupted:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)

        class Fails:
            def __del__(self):
                raise ValueError("a finaliser's own failure")

        with _signals_stop_the_run() as stop:
            Fails()
            assert [type(u.exc_value) for u in reached] == [ValueError]
            Interrupted()
            assert len(reached) == 1               # ours: not printed
            with pytest.raises(KeyboardInterrupt, match="SIGINT"):
                stop.check()
        assert sys.unraisablehook == reached.append   # given back


def test_a_mistyped_mapping_and_a_missing_export_are_named_not_a_write_error(
        params, tmp_path, capsys):
    """A preset name mistyped in defaults.yaml is defaults.yaml's problem (key mapping),
    and an export that is not there is 'file not found', not "cannot write" (the run's
    reading of it went on after the parameters' check had found it missing)."""
    defaults = params / "defaults.yaml"
    text = defaults.read_text()
    text = re.sub(r"(?m)^mapping: .*\n", "", text) + "mapping: freshdsk\n"
    defaults.write_text(re.sub(r"(?m)^tickets: .*$", f"tickets: {tmp_path / 'gone.csv'}",
                               text))
    assert main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert f"{defaults}, key 'mapping': " in err and "freshdsk" in err
    assert f"{defaults}, key 'tickets': file not found: {tmp_path / 'gone.csv'}" in err
    assert "cannot write" not in err


def test_problems_are_called_what_they_are():
    """A parameters check that lists an export's bad rows called them '4
    configuration problems', and a YAML key a 'column': each problem is named by
    what it is in (a key of a parameters file, a column of a data file), and the
    count by what they are."""
    from servicekpi.errors import ConfigError, DataError, Problem
    key = Problem("params/defaults.yaml", "teams", "teams: auto cannot list the teams")
    row = Problem("jsm.csv", "Created", "cannot read value", rows=(9,), values=("31/Feb/24",),
                  count=1)
    assert str(key).startswith("params/defaults.yaml, key 'teams': ")
    assert str(row).startswith("jsm.csv, column 'Created': ")
    assert str(ConfigError([key, row], source="params")).startswith("2 problems found in params")
    assert str(ConfigError([row, row], source="params")).startswith("2 data problems found")
    assert str(ConfigError([key, key], source="params")).startswith(
        "2 configuration problems found")
    assert str(DataError([row, row])).startswith("2 data problems found")


def test_validate_names_the_team_a_problem_fails_alone(tmp_path, capsys):
    """Defaults drop bad rows; team b's own file says bad_rows: raise.  The
    export's unreadable row fails b alone in a run, and validate says whose
    problem it is (it listed it without a team)."""
    rows = [f"{i},{'a' if i % 2 else 'b'},2024-01-{i + 1:02d} 09:00,2024-01-{i + 1:02d} 10:00"
            for i in range(20)] + ["99,b,not a date,2024-01-05 10:00"]
    (tmp_path / "t.csv").write_text("ticket_id,team,created_at,resolved_at\n"
                                    + "\n".join(rows) + "\n")
    params = tmp_path / "params"
    (params / "teams").mkdir(parents=True)
    from servicekpi import config
    (params / "defaults.yaml").write_text(f"tickets: ../t.csv\nbad_rows: drop\n"
                                          f"max_dropped_share: 0.5\ncatalogue: {config.CATALOGUE}\n")
    (params / "teams" / "a.yaml").write_text("team: a\n")
    (params / "teams" / "b.yaml").write_text("team: b\nbad_rows: raise\n")
    assert main(["validate", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "t.csv, column 'created_at': team 'b': cannot read value" in err
