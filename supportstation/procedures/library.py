"""The procedure library: the engineer's own folder, the starter set in `resources/procedures`, and the plugins'.

Every file is read and checked; a broken one is listed with its problems (so the engineer sees it and can fix it)
and cannot be run. When two files have the same id, the engineer's own wins over a plugin's, which wins over a
starter: a team adapts a shipped procedure by saving its copy in the library folder.

Import copies checked files (or every procedure of a zip archive) into the library folder; export writes a zip.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.i18n import _
from supportstation.procedures.files import MAX_FILE_SIZE, Problem, ProcedureDocument, ProcedureError, load, parse
from supportstation.procedures.model import Procedure, text_in

if TYPE_CHECKING:
    from supportstation.paths import AppPaths
    from supportstation.plugins import PluginRegistry

USER, PLUGIN, STARTER = "user", "plugin", "starter"
_PRECEDENCE = {USER: 0, PLUGIN: 1, STARTER: 2}
MAX_ARCHIVE_FILES = 500


@dataclass(frozen=True)
class Origin:
    kind: str  # user, plugin or starter
    name: str = ""  # the plugin's name

    def label(self) -> str:
        if self.kind == PLUGIN:
            return _("plugin {name}").format(name=self.name)
        return _("my library") if self.kind == USER else _("starter set")


@dataclass
class LibraryEntry:
    path: Path
    origin: Origin
    document: ProcedureDocument | None = None
    problems: list[Problem] = field(default_factory=list)
    shadowed_by: Path | None = None  # another file with the same id that is used instead

    @property
    def procedure(self) -> Procedure | None:
        return self.document.procedure if self.document else None

    @property
    def valid(self) -> bool:
        return self.document is not None

    @property
    def id(self) -> str:
        return self.procedure.id if self.procedure else self.path.stem

    def title(self, language: str) -> str:
        return self.procedure.title_in(language) if self.procedure else self.path.name

    def matches(self, text: str, tags: Iterable[str] = ()) -> bool:
        """Whether the words of `text` are all found in the id, titles, description or tags, and every tag is there."""
        procedure = self.procedure
        wanted_tags = {tag.casefold() for tag in tags}
        if wanted_tags and (procedure is None or not wanted_tags <= {t.casefold() for t in procedure.tags}):
            return False
        words = text.casefold().split()
        if not words:
            return True
        haystack = [self.path.name, self.id]
        if procedure is not None:
            for value in (procedure.title, procedure.description):
                haystack += [text_in(value, "fr"), text_in(value, "en")]
            haystack += procedure.tags
        joined = " ".join(haystack).casefold()
        return all(word in joined for word in words)


class LibraryError(ValueError):
    """A file or archive that cannot be imported; nothing was written."""


class Library:
    def __init__(self, user_folder: Path, starter_folder: Path | None, plugin_files: list[tuple[str, Path]]) -> None:
        self.user_folder = user_folder
        self.starter_folder = starter_folder
        self.plugin_files = plugin_files
        self.entries: list[LibraryEntry] = []

    def scan(self) -> list[LibraryEntry]:
        found: list[LibraryEntry] = []
        sources: list[tuple[Origin, Path]] = []
        if self.user_folder.is_dir():
            sources += [(Origin(USER), path) for path in sorted(self.user_folder.glob("*.yaml"))]
        sources += [(Origin(PLUGIN, name), path) for name, path in self.plugin_files]
        if self.starter_folder is not None and self.starter_folder.is_dir():
            sources += [(Origin(STARTER), path) for path in sorted(self.starter_folder.glob("*.yaml"))]
        for origin, path in sources:
            try:
                found.append(LibraryEntry(path, origin, document=load(path)))
            except ProcedureError as error:
                found.append(LibraryEntry(path, origin, problems=error.problems))
        chosen: dict[str, LibraryEntry] = {}
        for entry in sorted(found, key=lambda e: _PRECEDENCE[e.origin.kind]):
            if not entry.valid:
                continue
            if entry.id in chosen:
                entry.shadowed_by = chosen[entry.id].path
            else:
                chosen[entry.id] = entry
        self.entries = found
        return found

    def find(self, procedure_id: str) -> LibraryEntry | None:
        """The entry used for this id (the engineer's own before a plugin's before a starter)."""
        return next((e for e in self.entries if e.valid and e.id == procedure_id and e.shadowed_by is None), None)

    def search(self, text: str = "", tags: Iterable[str] = ()) -> list[LibraryEntry]:
        tags = list(tags)
        return [entry for entry in self.entries if entry.matches(text, tags)]

    def tags(self) -> list[str]:
        return sorted({tag for e in self.entries if e.procedure for tag in e.procedure.tags}, key=str.casefold)

    # -- import and export --

    def import_file(self, source: Path, *, replace: bool = False) -> Path:
        """Copies a checked procedure file into the library folder, named after its id."""
        try:
            document = load(source)
        except ProcedureError as error:
            raise LibraryError("\n".join(str(problem) for problem in error.problems)) from None
        return self._write(document.procedure.id, source.read_bytes(), replace=replace)

    def import_archive(self, archive: Path, *, replace: bool = False) -> tuple[list[Path], list[Problem]]:
        """Every procedure of a zip archive: all are checked first; if any is broken or would overwrite a file
        (without `replace`), nothing is written and the problems are returned."""
        try:
            with zipfile.ZipFile(archive) as opened:
                members = [m for m in opened.infolist() if not m.is_dir() and m.filename.endswith((".yaml", ".yml"))]
                if len(members) > MAX_ARCHIVE_FILES:
                    raise LibraryError(
                        _("The archive holds more than {count} procedures.").format(count=MAX_ARCHIVE_FILES)
                    )
                texts = []
                for member in members:
                    if member.file_size > MAX_FILE_SIZE:
                        raise LibraryError(
                            _("{name} is {size} bytes: too big for a procedure.").format(
                                name=member.filename, size=member.file_size
                            )
                        )
                    texts.append((member.filename, opened.read(member)[: MAX_FILE_SIZE + 1]))
        except (zipfile.BadZipFile, OSError) as error:
            raise LibraryError(
                _("{name} is not a readable zip archive: {error}").format(name=archive.name, error=error)
            ) from None
        if not texts:
            raise LibraryError(_("{name} holds no procedure (.yaml) file.").format(name=archive.name))
        problems: list[Problem] = []
        parsed: list[tuple[str, bytes]] = []
        for name, data in texts:
            where = f"{archive.name}:{name}"
            try:
                document = parse(data.decode("utf-8"), where)
            except UnicodeDecodeError:
                problems.append(Problem(where, None, "", _("the file is not UTF-8 text.")))
                continue
            except ProcedureError as error:
                problems += error.problems
                continue
            target = self._path_for(document.procedure.id)
            if target.exists() and not replace:
                problems.append(
                    Problem(where, None, "id", _("{file} already exists in the library.").format(file=target.name))
                )
                continue
            parsed.append((document.procedure.id, data))
        if problems:
            return [], problems
        return [self._write(procedure_id, data, replace=True) for procedure_id, data in parsed], []

    def export_archive(self, entries: Iterable[LibraryEntry], destination: Path) -> int:
        """The files of `entries`, as they are (comments kept), in a zip archive; returns how many."""
        buffer = io.BytesIO()
        count = 0
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            names: set[str] = set()
            for entry in entries:
                name = f"{_file_stem(entry.id)}.yaml"
                if name in names:
                    continue
                names.add(name)
                archive.writestr(name, entry.path.read_bytes())
                count += 1
        _write_atomically(destination, buffer.getvalue())
        return count

    def save(self, document: ProcedureDocument, *, replace: bool = False) -> Path:
        """A procedure written from the editor into the library folder (a starter is copied, never changed)."""
        from supportstation.procedures.files import dump

        return self._write(document.procedure.id, dump(document.data).encode("utf-8"), replace=replace)

    def save_text(self, text: str, *, replace: bool = False) -> Path:
        """A procedure written from the editor exactly as the engineer sees it (comments, quotes, line breaks),
        checked first: ProcedureError when it is not valid, LibraryError when its file exists and not `replace`."""
        document = parse(text, "<editor>")
        return self._write(document.procedure.id, text.encode("utf-8"), replace=replace)

    def path_for(self, procedure_id: str) -> Path:
        """Where the engineer's own copy of this procedure is (or would be) written."""
        return self._path_for(procedure_id)

    def delete(self, entry: LibraryEntry) -> None:
        """Removes one of the engineer's own files; shipped procedures (starters, plugins') are never deleted."""
        if entry.origin.kind != USER or entry.path.parent.resolve() != self.user_folder.resolve():
            raise LibraryError(_("{file} is not in your library: it cannot be deleted.").format(file=entry.path.name))
        entry.path.unlink(missing_ok=True)

    def _path_for(self, procedure_id: str) -> Path:
        return self.user_folder / f"{_file_stem(procedure_id)}.yaml"

    def _write(self, procedure_id: str, data: bytes, *, replace: bool) -> Path:
        target = self._path_for(procedure_id)
        if target.exists() and not replace:
            raise LibraryError(
                _("{file} already exists in the library; replace it, or change the procedure's id.").format(
                    file=target.name
                )
            )
        self.user_folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)
        return target


def _file_stem(procedure_id: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", procedure_id.lower()).strip(".-") or "procedure"


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)


def open_library(app_paths: AppPaths, registry: PluginRegistry | None = None) -> Library:
    """The library of this installation: the user's folder, the starter set and the loaded plugins' procedures."""
    from supportstation import paths

    plugin_files = registry.procedure_paths() if registry is not None else []
    try:
        starters: Path | None = paths.resources() / "procedures"
    except FileNotFoundError:
        starters = None
    library = Library(app_paths.procedures_folder, starters, plugin_files)
    library.scan()
    return library
