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
MAIL_SECURITY = ("starttls", "ssl", "none")

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
class MailSettings:
    """The SMTP server reports are e-mailed through. Its password is not here: it lives in the vault only
    (`reports.mail.PASSWORD_KEY`), as settings files get copied, backed up and attached to bug reports."""

    host: str = ""
    port: int = 587
    # starttls: plain connection upgraded to TLS (port 587); ssl: TLS from the first byte (port 465); none: no TLS.
    security: str = "starttls"
    username: str = ""  # empty: the server takes mail without a login (a relay on the company's network)
    from_address: str = ""
    from_name: str = ""
    # An extra CA bundle (PEM) for a company server whose certificate a private CA signed; "" = the system's CAs.
    ca_file: str = ""
    timeout: float = 30.0  # seconds without an answer before the server counts as unreachable

    @property
    def is_configured(self) -> bool:
        return bool(self.host.strip() and self.from_address.strip())


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
    mail: MailSettings = field(default_factory=MailSettings)
    # Entry point names of the plugins the engineer turned off: not even imported at the next start. A list, sorted,
    # because JSON has no sets.
    disabled_plugins: list[str] = field(default_factory=list)
    # A command typed in a terminal without the agent starts one for the next commands (agent.py). Off: only
    # `agent start` does.
    command_agent: bool = True


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
        elif isinstance(value, bool) != isinstance(default, bool):
            # bool is an int to Python, but `"port": true` is a mistake, not port 1.
            log.warning("Setting %s.%s ignored: expected %s", cls.__name__, item.name, type(default).__name__)
        elif isinstance(value, type(default)):
            values[item.name] = value
        elif isinstance(default, float) and isinstance(value, int):
            values[item.name] = float(value)  # JSON has one number type: a hand-written 30 means 30.0
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
    _check_mail(settings.mail)
    settings.disabled_plugins = sorted({name for name in settings.disabled_plugins if isinstance(name, str) and name})
    problem = ""
    if isinstance(raw, dict) and isinstance(raw.get("schema_version"), int) and raw["schema_version"] > SCHEMA_VERSION:
        problem = _(
            "The settings file {path} was written by a newer version of SupportStation "
            "(schema {schema}, this version knows {known}); unknown settings are ignored."
        ).format(path=path, schema=raw["schema_version"], known=SCHEMA_VERSION)
    settings.schema_version = SCHEMA_VERSION
    return LoadedSettings(settings, problem)


def _check_mail(mail: MailSettings) -> None:
    """Values a hand-edited file may get wrong fall back to the default, so sending fails clearly, not oddly."""
    defaults = MailSettings()
    if mail.security not in MAIL_SECURITY:
        log.warning("Setting MailSettings.security %r ignored: expected one of %s", mail.security, MAIL_SECURITY)
        mail.security = defaults.security
    if not 0 < mail.port < 65536:
        log.warning("Setting MailSettings.port %r ignored: not a TCP port", mail.port)
        mail.port = defaults.port
    if not mail.timeout > 0:
        mail.timeout = defaults.timeout


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
