"""GUI panels: a plugin's own screen for a kind of host (a VLAN map of a switch, a BMC's sensors…).

A panel is declared without importing any Qt code: `factory` names a function as "module:function", imported only
when the engineer opens the panel from the remote panel's Plugins menu. The function is called on the GUI thread
with a PanelContext and returns a QWidget; it must not block (run commands through `context.run_action`, which
returns at once and records the run on the ticket like any other).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from supportstation.i18n import _

_FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


@dataclass(frozen=True)
class PanelContext:
    host: str  # as the engineer calls it
    address: str
    os_family: str
    vendor: str
    facts: Mapping[str, str]
    # run_action(action_id, arguments): runs one of the loaded actions on this host in the remote panel.
    run_action: Callable[[str, Mapping[str, object]], None] = field(compare=False)


@dataclass(frozen=True)
class Panel:
    id: str
    title: str  # English, translated when shown
    factory: str  # "package.module:function", called with a PanelContext, returning a QWidget
    os_families: tuple[str, ...] = ()  # empty: any host
    vendors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.factory, str) or not _FACTORY.fullmatch(self.factory):
            raise ValueError(
                _("Panel {id}: the factory must be written 'module:function', not {factory!r}.").format(
                    id=self.id, factory=self.factory
                )
            )
        if not self.title:
            raise ValueError(_("Panel {id} has no title.").format(id=self.id))
        object.__setattr__(self, "os_families", tuple(family.lower() for family in self.os_families))
        object.__setattr__(self, "vendors", tuple(vendor.lower() for vendor in self.vendors))

    def applies_to(self, os_family: str, vendor: str = "") -> bool:
        if self.os_families and os_family.lower() not in self.os_families:
            return False
        return not self.vendors or vendor.lower() in self.vendors
