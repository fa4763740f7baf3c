"""A plugin's own catalog: found beside its package, read in the interface's language or any other, and preferred to
SupportStation's for the strings it has, even those it translates as themselves."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from supportstation import i18n
from supportstation.plugin_api import N_, translations
from supportstation.plugin_contributions import plugin_words


def test_n_marks_without_translating() -> None:
    i18n.install("fr")
    assert N_("Disk usage") == "Disk usage"


def test_a_first_party_plugin_speaks_the_interfaces_language() -> None:
    words = translations("supportstation_linux_diag.parsers")
    assert words is translations("supportstation_linux_diag"), "one catalog per package, whatever the module"
    assert words.in_language("fr")("Disk usage") == "Utilisation des disques"
    assert words.in_language("en")("Disk usage") == "Disk usage"
    assert words.in_language("fr")("") == "", "not the catalog's header"
    i18n.install("fr")
    assert words("Listening ports") == "Ports en écoute"
    assert words.ngettext("{days} day", "{days} days", 3).format(days=3) == "3 jours"
    i18n.install("en")
    assert words("Listening ports") == "Listening ports"


def test_a_package_without_a_catalog_shows_its_strings_as_written() -> None:
    assert translations("json").in_language("fr")("Disk usage") == "Disk usage"
    assert translations("no_such_package_anywhere").in_language("fr")("Disk usage") == "Disk usage"


@pytest.fixture
def fake_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A plugin package whose French catalog keeps "Hosts" as it is and translates "Sensor map"."""
    package = tmp_path / "ssfake_words"
    folder = package / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    catalog = Catalog(locale="fr")
    catalog.add("Hosts", "Hosts")
    catalog.add("Sensor map", "Carte des capteurs")
    with (folder / "ssfake_words.mo").open("wb") as handle:
        write_mo(handle, catalog)
    monkeypatch.syspath_prepend(str(tmp_path))
    import ssfake_words

    yield ssfake_words
    sys.modules.pop("ssfake_words", None)


def test_the_plugins_catalog_comes_first_then_the_applications(fake_plugin: object) -> None:
    words = plugin_words(fake_plugin, "fr")
    assert words("Sensor map") == "Carte des capteurs"
    assert words("Hosts") == "Hosts", "the plugin chose to keep this word: the app's catalog must not override it"
    assert words("Queue") == "File d'attente", "a word the plugin's catalog lacks comes from the application's"
    assert words("Nobody translates this") == "Nobody translates this"
    assert plugin_words(fake_plugin, "en")("Sensor map") == "Sensor map"
    assert plugin_words(None, "fr")("Hosts") == "Hôtes"
