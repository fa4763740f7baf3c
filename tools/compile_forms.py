"""Compiles the Qt Designer forms in ui/ into Python modules in supportstation/gui/forms/.

`--check` compiles in memory and fails when a committed module differs from its form (CI runs it through the tests).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "ui"
TARGET = ROOT / "supportstation" / "gui" / "forms"
UIC = Path(sys.executable).parent / "pyside6-uic"


def compiled(form: Path) -> str:
    result = subprocess.run([str(UIC), str(form.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pyside6-uic failed on {form}: {result.stderr.strip()}")
    return result.stdout


def module_for(form: Path) -> Path:
    return TARGET / f"ui_{form.stem}.py"


def stale_forms() -> list[str]:
    """Forms whose compiled module is missing or differs, and modules left over from deleted forms."""
    problems = []
    expected = set()
    for form in sorted(FORMS.glob("*.ui")):
        module = module_for(form)
        expected.add(module.name)
        if not module.exists() or module.read_text(encoding="utf-8") != compiled(form):
            problems.append(f"{module.relative_to(ROOT)} is not current with {form.relative_to(ROOT)}")
    for module in TARGET.glob("ui_*.py"):
        if module.name not in expected:
            problems.append(f"{module.relative_to(ROOT)} has no form in ui/")
    return problems


def main() -> int:
    if "--check" in sys.argv:
        problems = stale_forms()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("Run: .venv/bin/python tools/compile_forms.py", file=sys.stderr)
        return 1 if problems else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for form in sorted(FORMS.glob("*.ui")):
        module_for(form).write_text(compiled(form), encoding="utf-8")
        print(f"compiled {form.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
