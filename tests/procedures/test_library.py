"""The procedure library: the user's folder, the starter set and plugins; search, tags, import and export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from supportstation import paths
from supportstation.plugins import PluginRegistry
from supportstation.procedures.library import Library, LibraryError, open_library

ONE = """\
# kept on export
id: acme.check
title: {fr: Vérifier ACME, en: Check ACME}
tags: [acme, réseau]
steps:
  - id: one
    run: {sh: 'true'}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_source_is_listed_broken_files_with_their_problems_and_the_users_copy_wins(tmp_path: Path) -> None:
    user, starters, plugin = tmp_path / "user", tmp_path / "starters", tmp_path / "plugin"
    write(starters, "check.yaml", ONE)
    write(plugin, "check.yaml", ONE.replace("Check ACME", "Check ACME (plugin)"))
    write(user, "mine.yaml", ONE.replace("Check ACME", "Check ACME our way"))
    write(user, "broken.yaml", "id: acme.broken\ntitle: x\nsteps:\n  - id: one\n    rn: {sh: 'true'}\n")
    library = Library(user, starters, [("acme-plugin", plugin / "check.yaml")])
    entries = library.scan()
    assert len(entries) == 4
    broken = next(entry for entry in entries if not entry.valid)
    assert broken.path.name == "broken.yaml" and broken.problems[0].line == 5
    used = library.find("acme.check")
    assert used is not None and used.origin.kind == "user" and used.title("en") == "Check ACME our way"
    shadowed = [entry for entry in entries if entry.shadowed_by is not None]
    assert {entry.origin.label() for entry in shadowed} == {"plugin acme-plugin", "starter set"}


def test_search_reads_ids_titles_in_both_languages_and_tags(tmp_path: Path) -> None:
    write(tmp_path / "user", "check.yaml", ONE)
    library = Library(tmp_path / "user", None, [])
    library.scan()
    assert [e.id for e in library.search("vérifier")] == ["acme.check"]
    assert [e.id for e in library.search("check acme")] == ["acme.check"]
    assert library.search("printer") == []
    assert [e.id for e in library.search("", ["Réseau"])] == ["acme.check"]
    assert library.search("", ["windows"]) == []
    assert library.tags() == ["acme", "réseau"]


def test_import_checks_first_and_export_keeps_the_files_as_written(tmp_path: Path) -> None:
    library = Library(tmp_path / "user", None, [])
    source = write(tmp_path / "downloads", "whatever-name.yaml", ONE)
    written = library.import_file(source)
    assert written.name == "acme.check.yaml" and written.read_text(encoding="utf-8") == ONE
    with pytest.raises(LibraryError, match="already exists"):
        library.import_file(source)
    bad = write(tmp_path / "downloads", "bad.yaml", "id: x\ntitle: t\nsteps: []\n")
    with pytest.raises(LibraryError, match=r"bad\.yaml:3"):
        library.import_file(bad)

    library.scan()
    archive = tmp_path / "export.zip"
    assert library.export_archive(library.entries, archive) == 1
    with zipfile.ZipFile(archive) as opened:
        assert opened.read("acme.check.yaml").decode("utf-8") == ONE


def test_an_archive_is_imported_whole_or_not_at_all(tmp_path: Path) -> None:
    library = Library(tmp_path / "user", None, [])
    archive = tmp_path / "team.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("a.yaml", ONE)
        opened.writestr("sub/b.yaml", ONE.replace("acme.check", "acme.other"))
        opened.writestr("c.yaml", "id: acme.c\ntitle: t\nsteps:\n  - id: s\n    run: {sh: 'x', timeout: -1}\n")
    written, problems = library.import_archive(archive)
    assert written == [] and not (tmp_path / "user").exists()
    assert [(p.file, p.line, p.field) for p in problems] == [("team.zip:c.yaml", 5, "steps.0.run.timeout")]

    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("a.yaml", ONE)
        opened.writestr("sub/b.yaml", ONE.replace("acme.check", "acme.other"))
    written, problems = library.import_archive(archive)
    assert problems == [] and sorted(path.name for path in written) == ["acme.check.yaml", "acme.other.yaml"]
    (tmp_path / "not-a-zip.zip").write_bytes(b"PK but not really")
    with pytest.raises(LibraryError, match="not a readable zip"):
        library.import_archive(tmp_path / "not-a-zip.zip")


def test_the_installed_library_has_the_starter_set(app_paths: paths.AppPaths) -> None:
    registry = PluginRegistry()
    registry.load()
    library = open_library(app_paths, registry)
    starter = library.find("network.reachability")
    assert starter is not None and starter.origin.kind == "starter"
    assert all(entry.valid for entry in library.entries), [e.problems for e in library.entries if not e.valid]
