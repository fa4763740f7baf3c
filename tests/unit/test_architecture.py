"""The layering rules of DESIGN.md §3 that import-linter cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "supportstation"
WIDGET_MODULES = ("PySide6.QtWidgets", "PySide6.QtPrintSupport")
# DESIGN.md lets the reports' printing module use QtPrintSupport (QPrinter), never QtWidgets.
PRINT_SUPPORT_ALLOWED = {Path("reports/printing.py")}


def imported_modules(source: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def allowed_to_use_widgets(source: Path) -> bool:
    relative = source.relative_to(PACKAGE)
    return relative.parts[0] == "gui" or relative == Path("app.py")


def test_only_the_gui_and_app_import_widgets() -> None:
    offenders = [
        f"{source.relative_to(ROOT)} imports {name}"
        for source in sorted(PACKAGE.rglob("*.py"))
        if not allowed_to_use_widgets(source)
        for name in sorted(imported_modules(source))
        if name.startswith(WIDGET_MODULES)
        and not (name.startswith("PySide6.QtPrintSupport") and source.relative_to(PACKAGE) in PRINT_SUPPORT_ALLOWED)
    ]
    assert offenders == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def later():\n    from PySide6.QtWidgets import QLabel\n")
    assert "PySide6.QtWidgets" in imported_modules(sample)


def first_party_plugin_packages() -> set[str]:
    """Import names of the distributions under plugins/: the packages at the top of each one (or of its src/)."""
    names = set()
    for project in (ROOT / "plugins").glob("*/pyproject.toml"):
        for top in (project.parent, project.parent / "src"):
            names.update(init.parent.name for init in top.glob("*/__init__.py"))
    return names


def test_the_core_never_imports_first_party_plugins() -> None:
    forbidden = first_party_plugin_packages() | {"plugins"}
    offenders = [
        f"{source.relative_to(ROOT)} imports {name}"
        for source in sorted(PACKAGE.rglob("*.py"))
        for name in imported_modules(source)
        if name.split(".")[0] in forbidden
    ]
    assert offenders == []
