"""Typed user settings, stored as JSON in the config folder with a schema version.

Plain dataclasses rather than pydantic: settings are read on every start-up and pydantic's import alone would cost
more than the whole settings stage is allowed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from supportstation.i18n import _

SCHEMA_VERSION = 1
LANGUAGES = ("system", "fr", "en")

log = logging.getLogger(__name__)


class SettingsError(Exception):
    """The settings file could not be read or written; the message says which file and why."""


@dataclass
class EngineerProfile:
    """Who is at the keyboard: the author of timeline entries, audit records and reports."""

    name: str = ""
    email: str = ""
    phone: str = ""
    signature_block: str = ""
    language: str = "fr"

    @property
    def is_complete(self) -> bool:
        return bool(self.name.strip() and self.email.strip())


@dataclass
class CompanyDetails:
    """The engineer's company, printed in the header and footer of every report."""

    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    legal_footer: str = ""
    logo_file: str = ""


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    language: str = "system"
    # Empty means the platform's data folder; otherwise the folder the engineer chose (used from the next start).
    data_folder: str = ""
    profile: EngineerProfile = field(default_factory=EngineerProfile)
    company: CompanyDetails = field(default_factory=CompanyDetails)
    # Named queue filters, as `tickets.queue.QueueFilter.as_dict()` writes them.
    saved_queue_filters: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The share of an SLA clock after which a ticket shows as at risk.
    sla_warning_fraction: float = 0.8


def _from_dict(cls: type, raw: Any) -> Any:
    """Builds a dataclass from JSON, keeping known fields of the right type and ignoring the rest."""
    if not isinstance(raw, dict):
        return cls()
    values: dict[str, Any] = {}
    defaults = cls()
    for item in fields(cls):
        if item.name not in raw:
            continue
        default = getattr(defaults, item.name)
        value = raw[item.name]
        if hasattr(default, "__dataclass_fields__"):
            values[item.name] = _from_dict(type(default), value)
        elif isinstance(value, type(default)):
            values[item.name] = value
        else:
            log.warning("Setting %s.%s ignored: expected %s", cls.__name__, item.name, type(default).__name__)
    return cls(**values)


@dataclass
class LoadedSettings:
    settings: Settings
    # A user-facing explanation when the file had to be set aside or was written by a newer version.
    problem: str = ""


def load(path: Path) -> LoadedSettings:
    if not path.exists():
        return LoadedSettings(Settings())
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        kept = path.with_name(f"{path.name}.unreadable-{datetime.now():%Y%m%d-%H%M%S}")
        try:
            path.rename(kept)
        except OSError:
            kept = path
        return LoadedSettings(
            Settings(),
            _(
                "The settings file {path} could not be read ({error}). Default settings are used; "
                "the old file was kept as {kept}."
            ).format(path=path, error=error, kept=kept),
        )
    settings = _from_dict(Settings, raw)
    if settings.language not in LANGUAGES:
        settings.language = "system"
    problem = ""
    if isinstance(raw, dict) and isinstance(raw.get("schema_version"), int) and raw["schema_version"] > SCHEMA_VERSION:
        problem = _(
            "The settings file {path} was written by a newer version of SupportStation "
            "(schema {schema}, this version knows {known}); unknown settings are ignored."
        ).format(path=path, schema=raw["schema_version"], known=SCHEMA_VERSION)
    settings.schema_version = SCHEMA_VERSION
    return LoadedSettings(settings, problem)


def save(settings: Settings, path: Path) -> None:
    """Writes atomically, so a crash mid-write never leaves a half file."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(asdict(settings), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        raise SettingsError(
            _("Could not save the settings to {path}: {error}").format(path=path, error=error.strerror or error)
        ) from error
