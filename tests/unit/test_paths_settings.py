from __future__ import annotations

import json
from pathlib import Path

from supportstation import paths, settings


def test_under_puts_every_folder_below_the_base(tmp_path: Path) -> None:
    folders = paths.under(tmp_path)
    for folder in (folders.config, folders.data, folders.cache, folders.logs):
        assert folder.is_relative_to(tmp_path)
    assert folders.demo_database_file.parent != folders.database_file.parent


def test_temporary_folders_are_removed(tmp_path: Path) -> None:
    folders = paths.temporary()
    folders.create()
    (folders.data / "file").write_text("x")
    folders.remove_if_temporary()
    assert not folders.config.parent.exists()


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    original = settings.Settings(language="fr")
    original.profile.name = "Camille Martin"
    original.company.legal_footer = "SAS au capital de 10 000 €"
    settings.save(original, path)
    loaded = settings.load(path)
    assert loaded.problem == ""
    assert loaded.settings == original


def test_missing_settings_give_defaults(tmp_path: Path) -> None:
    assert settings.load(tmp_path / "absent.json").settings == settings.Settings()


def test_unreadable_settings_are_kept_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"language": "fr", oops', encoding="utf-8")
    loaded = settings.load(path)
    assert loaded.settings == settings.Settings()
    assert "could not be read" in loaded.problem
    kept = list(tmp_path.glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == '{"language": "fr", oops'


def test_wrongly_typed_and_unknown_settings_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"language": 3, "profile": {"name": "Léa", "email": 5}, "future": 1}), "utf-8")
    loaded = settings.load(path).settings
    assert loaded.language == "system"
    assert loaded.profile.name == "Léa" and loaded.profile.email == ""


def test_settings_from_a_newer_version_are_flagged(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": settings.SCHEMA_VERSION + 1, "language": "en"}), "utf-8")
    loaded = settings.load(path)
    assert loaded.settings.language == "en"
    assert "newer version" in loaded.problem


def test_saving_into_an_unwritable_place_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    try:
        settings.save(settings.Settings(), blocker / "settings.json")
    except settings.SettingsError as error:
        assert str(blocker) in str(error)
    else:
        raise AssertionError("saving under a file should fail")
