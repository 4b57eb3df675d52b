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
    assert set(ReportParams.model_fields) | {"summary_file"} == declared
