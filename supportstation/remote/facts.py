"""Host facts: what the plugins' fact collectors read from a host (model, serial number, system version…), run like
actions and kept on the host with the time they were read, so that a colleague sees them before going on site."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from supportstation.plugin_api import ActionError, FactCollector, ParseError
from supportstation.remote.results import RunResult, RunState
from supportstation.remote.runs import RunRequest
from supportstation.remote.targets import Target
from supportstation.storage.models import Host


@dataclass
class FactsRead:
    facts: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one line per collector that failed, saying why


def fact_requests(
    target: Target, os_family: str, vendor: str, collectors: Sequence[FactCollector]
) -> list[tuple[FactCollector, RunRequest]]:
    """A run for each collector meant for this kind of host that has a command in one of the target's shells."""
    requests = []
    for collector in collectors:
        action = collector.action
        if not action.applies_to(os_family, vendor):
            continue
        try:
            shell = action.shell_for(target.shells)
        except ActionError:
            continue
        request = RunRequest(
            target, action.command_for(shell), timeout=action.timeout, action_id=collector.id, shell=shell
        )
        requests.append((collector, request))
    return requests


def read_facts(results: Sequence[tuple[FactCollector, RunResult]]) -> FactsRead:
    """The facts of every collector that succeeded; a fact named by two collectors keeps the first one's value."""
    read = FactsRead()
    for collector, result in results:
        if result.state is not RunState.SUCCEEDED:
            read.problems.append(f"{collector.id}: {result.outcome()}")
            continue
        try:
            found = collector.facts(result.stdout)
        except ParseError as error:
            read.problems.append(f"{collector.id}: {error}")
            continue
        for name, value in found.items():
            read.facts.setdefault(name, value)
    return read


def store_facts(session: Session, host_id: int, facts: Mapping[str, str], when: datetime) -> None:
    """Keeps the facts read now, over the ones read before (a fact no collector gave this time is kept)."""
    host = session.get(Host, host_id)
    if host is None:
        return  # removed meanwhile: nothing to keep them on
    host.facts = {**(host.facts or {}), **facts}
    host.facts_collected_at = when
