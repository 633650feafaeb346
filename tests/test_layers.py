"""The layers, as the imports draw them: the write side knows nothing of the read side, the read
models nothing of drawing, the charts no SQL, and no two modules need each other.

Every import counts, those inside functions and under TYPE_CHECKING too (a deferred import is
still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("timeline", "projections", "charts", "exports")
ENTRY_POINTS = ("timeline.api", "timeline.cli")  # the only code that sees both sides


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, by its full name (the project imports absolutely)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import"
            found.add(str(node.module))
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {
    module_name(path): imports_of(path)
    for package in PACKAGES
    if (ROOT / package).is_dir()
    for path in sorted((ROOT / package).rglob("*.py"))
}


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def offenders(modules: dict[str, set[str]], *forbidden: str) -> dict[str, list[str]]:
    return {
        module: sorted(name for name in imported if within(name, *forbidden))
        for module, imported in modules.items()
        if any(within(name, *forbidden) for name in imported)
    }


def test_there_are_modules_to_check() -> None:
    assert {"timeline.application", "projections.projector", "charts.figures"} <= set(MODULES)


def test_the_write_side_imports_nothing_of_the_read_side_or_the_charts() -> None:
    write_side = {
        module: imported for module, imported in MODULES.items()
        if within(module, "timeline") and not within(module, *ENTRY_POINTS)
    }  # fmt: skip

    assert offenders(write_side, "projections", "charts", "exports", "plotly") == {}


def test_the_read_models_import_nothing_of_drawing() -> None:
    read_side = {m: imported for m, imported in MODULES.items() if within(m, "projections")}

    assert offenders(read_side, "charts", "exports", "plotly", "kaleido") == {}


def test_the_charts_hold_no_sql() -> None:
    charts = {m: imported for m, imported in MODULES.items() if within(m, "charts")}

    assert offenders(charts, "sqlite3", "sqlite_utils", "projections.queries") == {}


def test_no_two_modules_import_each_other() -> None:
    ours = {
        module: {name for name in imported if name in MODULES and name != module}
        for module, imported in MODULES.items()
    }
    cycles = sorted(
        (a, b) for a, imported in ours.items() for b in imported
        if a < b and a in ours.get(b, set()) and not _package_and_member(a, b)
    )  # fmt: skip

    assert cycles == []


def _package_and_member(a: str, b: str) -> bool:
    """A package's __init__ naming its own submodule is how Python packages work."""
    return b.startswith(a + ".") or a.startswith(b + ".")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_the_entry_points_are_where_both_sides_meet(entry: str) -> None:
    assert any(within(module, entry) for module in MODULES)
