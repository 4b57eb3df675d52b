"""The project's own promises: one dependency set, nothing generated committed."""
import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = {_name(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_block = [d for d in env["dependencies"] if isinstance(d, dict)]
    pip_only = {_name(d) for d in pip_block[0]["pip"] if not d.startswith("-e")} if pip_block else set()
    conda_side = ({_name(d) for d in env["dependencies"] if isinstance(d, str)}
                  - {"python", "pip"}) | pip_only
    assert pip_side == conda_side, (f"only in pyproject: {pip_side - conda_side}; "
                                    f"only in environment.yml: {conda_side - pip_side}")
    pip_block = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_block and pip_block[0]["pip"][-1] == "-e .[dev]"


def test_gitignore_keeps_lib_and_ignores_generated():
    lines = [ln.strip() for ln in (ROOT / ".gitignore").read_text().splitlines()]
    assert not any(re.fullmatch(r"/?lib/?", ln) for ln in lines)
    if (ROOT / ".git").exists():
        def ignored(p):
            return subprocess.run(["git", "check-ignore", "-q", p], cwd=ROOT).returncode == 0
        assert not ignored("lib/servicekpi/kpis.py")
        assert ignored("reports/index.html") and ignored("data/demo/tickets.parquet")
        assert ignored("notebooks/out.executed.ipynb")


def test_notebooks_committed_without_outputs():
    for nb_path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, nb_path
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: expected one cell tagged 'parameters'"


def test_package_is_importable_from_lib():
    import servicekpi
    assert Path(servicekpi.__file__).resolve().parent == ROOT / "lib" / "servicekpi"


def test_team_notebook_declares_every_parameter():
    """Papermill warns about parameters a notebook does not declare: keep them in step."""
    import ast

    from servicekpi.params import ReportParams

    nb = json.loads((ROOT / "notebooks" / "team_report.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    declared = {t.id for node in ast.parse("".join(cell["source"])).body
                if isinstance(node, ast.Assign) for t in node.targets}
    assert set(ReportParams.model_fields) | {"summary_file", "prepared"} == declared


#: Libraries `import servicekpi` must not load: statistics and plotting come in only
#: when an analysis or a figure needs them.
HEAVY = ("statsmodels", "matplotlib", "seaborn", "scipy.stats")


def _imported(code: str) -> set[str]:
    """Every module a fresh interpreter imports while running ``code``: those
    ``-X importtime`` logs, and those in ``sys.modules`` at the end (importtime does
    not log a module imported through importlib, as the lazy names are)."""
    import sys

    run = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    timed = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    return timed | set(run.stdout.split())


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


def test_import_is_lazy():
    """`import servicekpi`, and the loaders and KPI engine with it, load no statistics
    or plotting library (they made the import take 1.5 s); the analyses still do."""
    bare = _imported("import servicekpi")
    assert "servicekpi" in bare and not _heavy(bare)
    assert "pandas" not in bare                        # nothing is loaded before it is used
    loaders = _imported("import servicekpi as s; s.load_tickets; s.compute_kpis; "
                        "s.load_targets; s.load_kpi_table; s.load_benchmarks; s.data_quality; "
                        "import servicekpi.kpis, servicekpi.tickets, servicekpi.tables")
    assert "servicekpi.tickets" in loaders and not _heavy(loaders)
    # the check can fail: a heavy library imported after servicekpi is seen
    assert _heavy(_imported("import servicekpi, scipy.stats")) >= {"scipy.stats"}


def test_every_public_name_resolves():
    import sys

    code = ("import servicekpi as s\n"
            "missing = [n for n in s.__all__ if getattr(s, n, None) is None]\n"
            "assert not missing, missing\n"
            "assert set(s.__all__) <= set(dir(s))\n"
            "assert issubclass(s.InvalidArgument, s.ServiceKPIError)\n"
            "assert issubclass(s.InvalidArgument, ValueError)\n"
            "assert s.periods.label is s.periods.label and s.kpis.assessable\n"  # submodules
            "try:\n"
            "    s.no_such_name\n"
            "except AttributeError:\n"
            "    pass\n"
            "else:\n"
            "    raise AssertionError('an unknown name resolved')\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
