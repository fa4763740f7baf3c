"""Where plugins come from, which ones the engineer turned off, and installing one into the user plugins folder.

The user plugins folder (`AppPaths.plugins_folder`) is put at the end of `sys.path`, so a distribution installed
there with `pip install --target` is found through its `*.dist-info` entry points like any other: importlib.metadata
reads every folder on sys.path. At the end, so that a plugin's folder can never replace the application's own code or
one of its dependencies; a distribution installed both there and in site-packages is therefore the site-packages one.

Nothing here imports pluggy or the plugin API: the command line reads this module on every command.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path

from supportstation import settings as settings_module
from supportstation.i18n import _
from supportstation.paths import AppPaths

# First-party plugins are distributions named supportstation-<something> (see plugins/ in the repository).
FIRST_PARTY_PREFIX = "supportstation-"
INSTALL_TIME_LIMIT = 600.0  # seconds: building a project may download its build backend


class Origin(StrEnum):
    BUILT_IN = "built-in"
    INSTALLED = "installed"
    USER_FOLDER = "user folder"


def origin_label(origin: str) -> str:
    labels = {Origin.BUILT_IN: _("built-in"), Origin.INSTALLED: _("installed"), Origin.USER_FOLDER: _("user folder")}
    return labels.get(origin, origin)  # type: ignore[call-overload]


def origin_of(distribution: metadata.Distribution | None, user_folder: Path | None) -> Origin:
    """The user folder for a distribution found there (whatever its name: that is where the engineer must look),
    else built-in for a first-party name, else installed."""
    if distribution is None:
        return Origin.INSTALLED
    if user_folder is not None:
        try:
            location = Path(str(distribution.locate_file(""))).resolve()
        except (OSError, NotImplementedError):
            location = None
        if location == user_folder.resolve():
            return Origin.USER_FOLDER
    name = re.sub(r"[-_.]+", "-", distribution.name or "").lower()
    return Origin.BUILT_IN if name.startswith(FIRST_PARTY_PREFIX) else Origin.INSTALLED


def add_to_sys_path(folder: Path) -> None:
    entry = str(folder)
    if entry not in sys.path:
        sys.path.append(entry)


# -- the choice of this run ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunChoice:
    """The user plugins folder and the disabled plugins of this run; a registry made without its own uses these."""

    user_folder: Path | None = None
    disabled: frozenset[str] = frozenset()


_this_run = RunChoice()


def this_run() -> RunChoice:
    return _this_run


@contextmanager
def chosen_for_this_run(app_paths: AppPaths, disabled: Collection[str]) -> Iterator[RunChoice]:
    """For the length of a command: the registries that the command's code makes (several places make their own)
    all honour the same folder and disabled plugins. Undone afterwards, so that a later command in the same process
    (the tests run many) starts from nothing."""
    global _this_run
    previous = _this_run
    _this_run = RunChoice(app_paths.plugins_folder, frozenset(disabled))
    try:
        yield _this_run
    finally:
        _this_run = previous


# -- enabling and disabling ----------------------------------------------------------------------------------------


def with_plugin_enabled(settings: settings_module.Settings, name: str, enabled: bool) -> settings_module.Settings:
    """A copy of the settings with the plugin on or off (from the next start)."""
    disabled = set(settings.disabled_plugins)
    if enabled:
        disabled.discard(name)
    else:
        disabled.add(name)
    return dataclasses.replace(settings, disabled_plugins=sorted(disabled))


# -- installing ----------------------------------------------------------------------------------------------------


class InstallError(Exception):
    """The plugin could not be installed; the message says why and what to do instead."""


def pip_available() -> bool:
    """False in a bundled application (PyInstaller): its interpreter is the app itself and has no pip."""
    return not getattr(sys, "frozen", False) and importlib.util.find_spec("pip") is not None


def install_command(source: Path, folder: Path) -> list[str]:
    # --no-deps: a plugin's dependencies beside the app's could shadow or break them; --upgrade: pip --target
    # otherwise skips a plugin already there, and installing a new version is what the engineer wants.
    return [sys.executable, "-m", "pip", "install", "--no-deps", "--upgrade", "--no-input",
            "--disable-pip-version-check", "--target", str(folder), str(source)]  # fmt: skip


def check_source(source: Path) -> None:
    if source.is_file() and source.suffix == ".whl":
        return
    if source.is_dir() and ((source / "pyproject.toml").is_file() or (source / "setup.py").is_file()):
        return
    raise InstallError(
        _(
            "{source} is neither a wheel (.whl file) nor a Python project folder (a folder with a pyproject.toml or "
            "setup.py)."
        ).format(source=source)
    )


def install(source: Path, folder: Path) -> str:
    """Installs a plugin project or wheel into the user plugins folder with pip and returns pip's output; blocks
    (run it in a worker thread). InstallError when pip is missing or fails."""
    if not pip_available():
        raise InstallError(
            _(
                "This SupportStation cannot install plugins itself (it has no pip). Install the plugin with pip on a "
                "computer that has Python, with: pip install --no-deps --target SOME_FOLDER {source}; then copy what "
                "SOME_FOLDER holds (the plugin's package folder and its *.dist-info folder) into {folder}."
            ).format(source=source.name, folder=folder)
        )
    check_source(source)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        completed = subprocess.run(
            install_command(source, folder),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=INSTALL_TIME_LIMIT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallError(_("pip could not be run: {error}").format(error=error)) from error
    output = (completed.stdout + completed.stderr).strip()
    if completed.returncode != 0:
        raise InstallError(
            _("pip could not install {source} (exit status {code}):\n{output}").format(
                source=source, code=completed.returncode, output=_last_lines(output)
            )
        )
    return output


def _last_lines(text: str, count: int = 20) -> str:
    return "\n".join(text.splitlines()[-count:])
