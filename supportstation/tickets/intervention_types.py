"""The words and small types of interventions, without SQLAlchemy: the GUI's forms use them before it loads."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from supportstation.i18n import _

CATEGORIES = ("on_site", "travel", "remote", "after_hours")


def category_label(category: str) -> str:
    labels = {
        "on_site": _("On site"),
        "travel": _("Travel"),
        "remote": _("Remote"),
        "after_hours": _("After hours"),
    }
    return labels.get(category, category)


class InterventionState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


@dataclass(frozen=True)
class EntryChange:
    category: str
    minutes: int
    description: str
