"""Translation catalogs: extract the strings to translate, merge them into the French catalogs, compile them.

    .venv/bin/python tools/i18n.py extract   # update every .po: the application's and each first-party plugin's
    .venv/bin/python tools/i18n.py compile   # write the .mo files that the application and the plugins load
    .venv/bin/python tools/i18n.py check     # fail on untranslated strings or a stale .mo

The application's strings come from `_()` and `ngettext()` in supportstation/ and from the Qt Designer forms in ui/
(which reach the same catalog at run time through the GUI's gettext-backed QTranslator); its catalog is
resources/locale/<lang>/LC_MESSAGES/supportstation.po. Each first-party plugin (plugins/<distribution>/<package>/)
has its own, beside its code: <package>/locale/<lang>/LC_MESSAGES/<package>.po, from its `_()`, `N_()` and
`ngettext()` (see supportstation/plugin_api/translations.py). The .mo files are committed, and shipped as package
data, so that an installation needs no compiling.
"""

from __future__ import annotations

import io
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "resources" / "locale"
PLUGINS = ROOT / "plugins"
LANGUAGES = ("fr",)
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "gettext": None}
# A fixed creation date keeps the catalogs' headers from changing on every extraction.
CREATED = datetime(2026, 11, 23, tzinfo=UTC)


@dataclass(frozen=True)
class Domain:
    """One catalog: the application's, or a plugin's (named after its package, as gettext looks it up)."""

    name: str
    sources: Path  # the folder whose *.py files hold the strings
    locale: Path  # holds <lang>/LC_MESSAGES/<name>.po and .mo
    base: Path  # the source locations in the catalog are relative to it

    def po_path(self, language: str) -> Path:
        return self.locale / language / "LC_MESSAGES" / f"{self.name}.po"


APP = Domain("supportstation", ROOT / "supportstation", LOCALE, ROOT)


def plugin_domains() -> list[Domain]:
    """Each first-party plugin's package: plugins/<distribution>/<package>/__init__.py."""
    return [
        Domain(init.parent.name, init.parent, init.parent / "locale", init.parent.parent)
        for init in sorted(PLUGINS.glob("*/*/__init__.py"))
    ]


def domains() -> list[Domain]:
    return [APP, *plugin_domains()]


def po_path(language: str, domain: Domain = APP) -> Path:
    return domain.po_path(language)


def extract(domain: Domain = APP) -> Catalog:
    """Every user-visible string of the domain's sources (and, for the application, its forms), with where it was
    found."""
    project = "SupportStation" if domain == APP else domain.name
    template = Catalog(project=project, charset="utf-8", creation_date=CREATED)
    for source in sorted(domain.sources.rglob("*.py")):
        if "forms" in source.parts:
            continue  # compiled forms: their strings are taken from the .ui files below
        relative = str(source.relative_to(domain.base))
        for lineno, message, _comments, _context in extract_from_file("python", source, keywords=KEYWORDS):
            template.add(message, locations=[(relative, lineno)])
    if domain == APP:
        for form in sorted((ROOT / "ui").glob("*.ui")):
            relative = str(form.relative_to(ROOT))
            for element in ElementTree.parse(form).iter("string"):
                if element.text and element.text.strip() and element.get("notr") != "true":
                    template.add(element.text, locations=[(relative, 0)])
    return template


def load(language: str, domain: Domain = APP) -> Catalog:
    path = domain.po_path(language)
    if not path.exists():
        return Catalog(locale=language, project=domain.name, charset="utf-8", creation_date=CREATED)
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def save(catalog: Catalog, language: str, domain: Domain = APP) -> None:
    path = domain.po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def untranslated(language: str, domain: Domain | None = APP) -> list[str]:
    """The strings of the domain (of every domain for None) that have no translation, or a fuzzy one."""
    if domain is None:
        return [f"{each.name}: {item}" for each in domains() for item in untranslated(language, each)]
    catalog = load(language, domain)
    missing = []
    for message in extract(domain):
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


def stale_mo(language: str, domain: Domain = APP) -> bool:
    mo = domain.po_path(language).with_suffix(".mo")
    return not mo.exists() or mo.read_bytes() != compiled(load(language, domain))


def update(domain: Domain, language: str) -> None:
    """Merges the domain's strings into its catalog: new ones to translate, gone ones dropped."""
    catalog = load(language, domain)
    catalog.update(extract(domain), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.revision_date = catalog.creation_date
    catalog.last_translator = "SupportStation"
    catalog.language_team = "French"
    save(catalog, language, domain)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "extract":
        for domain in domains():
            for language in LANGUAGES:
                update(domain, language)
                path = domain.po_path(language).relative_to(ROOT)
                print(f"{path}: {len(untranslated(language, domain))} strings to translate")
        return 0
    if command == "compile":
        for domain in domains():
            for language in LANGUAGES:
                domain.po_path(language).with_suffix(".mo").write_bytes(compiled(load(language, domain)))
        return 0
    if command in ("check", "--check"):
        status = 0
        for domain in domains():
            for language in LANGUAGES:
                for item in untranslated(language, domain):
                    print(f"[{domain.name} {language}] untranslated: {item}", file=sys.stderr)
                    status = 1
                if stale_mo(language, domain):
                    print(f"[{domain.name} {language}] the .mo is older than the .po: run tools/i18n.py compile",
                          file=sys.stderr)  # fmt: skip
                    status = 1
        return status
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
