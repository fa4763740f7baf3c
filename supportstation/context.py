"""What the running application knows about itself: its folders, settings and database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from supportstation import settings as settings_module
from supportstation.paths import AppPaths
from supportstation.settings import Settings

if TYPE_CHECKING:
    from supportstation.demo_hosts import StandIns
    from supportstation.storage.database import Database
    from supportstation.vault import Vault


@dataclass(frozen=True)
class DatabaseChoice:
    url: str
    # The default file is created on first use; a URL the user typed must point at something that exists.
    create_missing: bool
    demo: bool


@dataclass
class AppContext:
    paths: AppPaths
    settings: Settings
    database_choice: DatabaseChoice
    language: str
    database: Database | None = None
    vault: Vault | None = None  # opened on first need (see gui/vault_access.py)
    # Problems found during start-up that the user should read once the window is up.
    start_up_problems: list[str] = field(default_factory=list)
    stand_ins: StandIns | None = None  # the demo's simulated hosts, while they run (see demo_hosts.py)

    @property
    def is_demo(self) -> bool:
        return self.database_choice.demo

    def save_settings(self) -> None:
        settings_module.save(self.settings, self.paths.settings_file)
