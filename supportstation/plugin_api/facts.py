"""Host fact collectors: one command that reads what a host is (model, serial number, system version, firmware…).

The engine runs a collector like an action (through the host's transport, recorded on the ticket, redacted and
audited) and keeps the facts it returns on the host, where the hosts view and the remote panel show them. Prefer
these names, so that facts from different plugins line up: model, serial_number, os, os_version, firmware, uptime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from supportstation.i18n import _
from supportstation.plugin_api.actions import Action, ParseError

MAX_FACTS = 100
MAX_FACT_VALUE = 500


@dataclass(frozen=True)
class FactCollector:
    id: str  # dotted like an action's: "linux.facts"
    title: str  # English, translated when shown
    commands: Mapping[str, str] = field(hash=False)  # shell or transport language -> command, without parameters
    os_families: tuple[str, ...]
    parse: Callable[[str], Mapping[str, str]] = field(hash=False, compare=False)
    vendors: tuple[str, ...] = ()
    timeout: float = 30
    # The collector as an action, so that the engine runs it like any other (and checks it the same way).
    action: Action = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not callable(self.parse):
            raise ValueError(_("Fact collector {id}: parse is not callable.").format(id=self.id))
        action = Action(
            id=self.id,
            title=self.title,
            description="",
            category="Facts",
            commands=self.commands,
            os_families=self.os_families,
            vendors=self.vendors,
            timeout=self.timeout,
        )
        object.__setattr__(self, "action", action)

    def facts(self, output: str) -> dict[str, str]:
        """The facts read from the output; ParseError for whatever went wrong in the plugin's parser."""
        try:
            found = self.parse(output)
        except Exception as error:  # a plugin's bug becomes a parse failure, never a crash
            problem = f"{type(error).__name__}: {error}"
            raise ParseError(_("The fact collector {id} failed: {error}").format(id=self.id, error=problem)) from error
        if not isinstance(found, Mapping):
            raise ParseError(_("The fact collector {id} did not return a mapping.").format(id=self.id))
        facts = {str(name).strip(): str(value).strip()[:MAX_FACT_VALUE] for name, value in found.items()}
        return {name: value for name, value in list(facts.items())[:MAX_FACTS] if name and value}
