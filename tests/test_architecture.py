"""The package keeps the layering the README's Architecture table states.

The table is the contract: each module of ``lib/servicekpi`` is listed in
exactly one layer, and every import of another servicekpi module (at module
level or inside a function) points to its own layer or a layer above it.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lib" / "servicekpi"


def layers() -> list[tuple[str, list[str], set[str]]]:
    """(layer, modules, layers it may import) from the README's table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("layer", "") or set(cells[0]) <= {"-"}:
            continue
        modules = re.findall(r"`([\w.]+)`", cells[1])
        rows.append((cells[0], modules, {w.strip() for w in cells[3].split(",")}))
    return rows


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "servicekpi"


def imports(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """The servicekpi modules ``path`` imports (relative or absolute)."""
    own = module_name(path, package_root)
    package = own.split(".") if path.name == "__init__.py" and own != "servicekpi" else (
        [] if own == "servicekpi" else own.split(".")[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            if node.module:
                out.add(".".join(base + node.module.split(".")))
            else:
                out.update(".".join(base + [a.name]) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("servicekpi."):
            out.add(node.module.removeprefix("servicekpi."))
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix("servicekpi.") for a in node.names
                       if a.name.startswith("servicekpi."))
    return out


def owner(name: str, table) -> str | None:
    """The layer of module ``name`` (or of its closest listed parent)."""
    parts = name.split(".")
    while parts:
        for layer, modules, _ in table:
            if ".".join(parts) in modules:
                return layer
        parts = parts[:-1]
    return None


def test_every_module_is_in_exactly_one_layer():
    table = layers()
    assert [t[0] for t in table] == ["base", "ingest", "analysis", "presentation",
                                     "orchestration"]
    listed = [m for _, modules, _ in table for m in modules]
    assert len(listed) == len(set(listed)), "a module listed twice"
    present = {module_name(p) for p in PACKAGE.rglob("*.py")}
    assert present - set(listed) == set(), "modules missing from the README's table"
    assert set(listed) - present == set(), "the README lists modules that do not exist"


def violations(package: Path, table) -> list[str]:
    """Every import of a module of ``package`` against the layers of ``table``."""
    allowed = {layer: may for layer, _, may in table}
    wrong = []
    for path in sorted(package.rglob("*.py")):
        me = module_name(path, package)
        mine = owner(me, table)
        may = allowed[mine]
        for target in sorted(imports(path, package)):
            theirs = owner(target, table)
            if theirs is None:        # a name from a package __init__ (e.g. __version__)
                continue
            if "everything" not in may and theirs not in may:
                wrong.append(f"{me} ({mine}) imports {target} ({theirs})")
    return wrong


def test_imports_follow_the_layers():
    wrong = violations(PACKAGE, layers())
    assert not wrong, "imports against the README's Architecture table:\n" + "\n".join(wrong)


def test_the_checker_sees_a_violation(tmp_path):
    """An analysis module importing the report layer inside a function is caught."""
    pkg = tmp_path / "servicekpi"
    (pkg / "report").mkdir(parents=True)
    (pkg / "report" / "__init__.py").write_text("from .team import TeamReport\n")
    (pkg / "report" / "team.py").write_text("from ..gaps import gap_table\n")
    (pkg / "gaps.py").write_text("def f():\n    from .report import team\n"
                                 "    from . import plots, errors\n")
    assert imports(pkg / "gaps.py", pkg) == {"report", "plots", "errors"}
    assert imports(pkg / "report" / "team.py", pkg) == {"gaps"}
    assert violations(pkg, layers()) == ["gaps (analysis) imports plots (presentation)",
                                         "gaps (analysis) imports report (presentation)"]
