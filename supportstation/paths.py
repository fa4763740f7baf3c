"""The one owner of SupportStation's folders.

Every other module asks this one where configuration, data, cache and logs live, so tests and throwaway runs can
point the whole application somewhere else with a single call (`--data-dir`, `--temp-data-dir`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "SupportStation"
DATABASE_FILE = "supportstation.sqlite3"
DEMO_DATABASE_FILE = "supportstation-demo.sqlite3"


@dataclass(frozen=True)
class AppPaths:
    config: Path
    data: Path
    cache: Path
    logs: Path
    temporary: bool = False

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def window_state_file(self) -> Path:
        return self.config / "window.ini"

    @property
    def database_file(self) -> Path:
        return self.data / DATABASE_FILE

    @property
    def demo_database_file(self) -> Path:
        # A folder of its own, so resetting the demo can never touch the user's database.
        return self.data / "demo" / DEMO_DATABASE_FILE

    @property
    def procedures_folder(self) -> Path:
        """The engineer's own procedures: one YAML file each, a folder that can be kept in git."""
        return self.data / "procedures"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def plugins_folder(self) -> Path:
        """Plugins the engineer adds without administrator rights (`pip install --target`, or a distribution's
        folders copied there); beside the settings because they change what the app does, like settings."""
        return self.config / "plugins"

    def create(self) -> None:
        for folder in (self.config, self.data, self.cache, self.logs, self.plugins_folder):
            folder.mkdir(parents=True, exist_ok=True)

    def remove_if_temporary(self) -> None:
        if self.temporary:
            shutil.rmtree(self.config.parent, ignore_errors=True)


def under(base: Path, *, temporary: bool = False) -> AppPaths:
    """All folders below one base folder: what `--data-dir` and the tests use."""
    base = base.expanduser().resolve()
    return AppPaths(
        config=base / "config",
        data=base / "data",
        cache=base / "cache",
        logs=base / "logs",
        temporary=temporary,
    )


def temporary() -> AppPaths:
    """A throwaway base folder, deleted when the application ends."""
    return under(Path(tempfile.mkdtemp(prefix="supportstation-")), temporary=True)


def user_default() -> AppPaths:
    """The platform's usual folders (XDG on Linux, AppData on Windows, Library on macOS)."""
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        config=Path(dirs.user_config_dir),
        data=Path(dirs.user_data_dir),
        cache=Path(dirs.user_cache_dir),
        logs=Path(dirs.user_log_dir),
    )


def resources() -> Path:
    """The resources folder: inside the package once installed from a wheel, beside it in a checkout.

    Inside first: in site-packages, a folder named `resources` beside the package could belong to anything.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / "resources", package.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"SupportStation's resources folder is missing (looked beside {package})")
