"""Translation catalogs: extract the strings to translate, merge them into the French catalog, compile it.

    .venv/bin/python tools/i18n.py extract   # update resources/locale/fr/LC_MESSAGES/supportstation.po
    .venv/bin/python tools/i18n.py compile   # write the .mo that the application loads
    .venv/bin/python tools/i18n.py check     # fail on untranslated strings or a stale .mo

Strings come from `_()` and `ngettext()` in the Python sources and from the Qt Designer forms in ui/ (which reach
the same catalog at run time through the GUI's gettext-backed QTranslator).
"""

from __future__ import annotations

import io
import sys
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "resources" / "locale"
LANGUAGES = ("fr",)
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "gettext": None}


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "supportstation.po"


def extract() -> Catalog:
    """Every user-visible string of the sources and forms, with where it was found."""
    # A fixed creation date keeps the catalog's header from changing on every extraction.
    template = Catalog(project="SupportStation", charset="utf-8", creation_date=datetime(2026, 11, 23, tzinfo=UTC))
    for source in sorted((ROOT / "supportstation").rglob("*.py")):
        if "forms" in source.parts:
            continue  # compiled forms: their strings are taken from the .ui files below
        relative = str(source.relative_to(ROOT))
        for lineno, message, _comments, _context in extract_from_file("python", source, keywords=KEYWORDS):
            template.add(message, locations=[(relative, lineno)])
    for form in sorted((ROOT / "ui").glob("*.ui")):
        relative = str(form.relative_to(ROOT))
        for element in ElementTree.parse(form).iter("string"):
            if element.text and element.text.strip() and element.get("notr") != "true":
                template.add(element.text, locations=[(relative, 0)])
    return template


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, project="SupportStation", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def save(catalog: Catalog, language: str) -> None:
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def untranslated(language: str) -> list[str]:
    catalog = load(language)
    missing = []
    for message in extract():
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if (
            translated is None
            or translated.fuzzy
            or not translated.string
            or (isinstance(translated.string, tuple) and not all(translated.string))
        ):
            locations = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
            missing.append(f"{message.id!r} ({locations})")
    return missing


def stale_mo(language: str) -> bool:
    mo = po_path(language).with_suffix(".mo")
    return not mo.exists() or mo.read_bytes() != compiled(load(language))


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "extract":
        template = extract()
        for language in LANGUAGES:
            catalog = load(language)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            catalog.fuzzy = False
            catalog.revision_date = catalog.creation_date
            catalog.last_translator = "SupportStation"
            catalog.language_team = "French"
            save(catalog, language)
            print(f"{po_path(language).relative_to(ROOT)}: {len(untranslated(language))} strings to translate")
        return 0
    if command == "compile":
        for language in LANGUAGES:
            po_path(language).with_suffix(".mo").write_bytes(compiled(load(language)))
        return 0
    if command in ("check", "--check"):
        status = 0
        for language in LANGUAGES:
            for item in untranslated(language):
                print(f"[{language}] untranslated: {item}", file=sys.stderr)
                status = 1
            if stale_mo(language):
                print(f"[{language}] the .mo is older than the .po: run tools/i18n.py compile", file=sys.stderr)
                status = 1
        return status
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
