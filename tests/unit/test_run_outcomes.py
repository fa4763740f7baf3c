"""How a run's outcome is told: alone (a fact collector's problem) and with its target (the command line's errors),
in English and French."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from supportstation import i18n
from supportstation.remote.facts import read_facts
from supportstation.remote.results import RunResult, RunState

TARGET = "ssh://root@10.0.0.5:22"


def result(state: RunState, *, exit_code: int | None = None, error: str = "") -> RunResult:
    return RunResult(TARGET, "true", datetime(2026, 11, 24, tzinfo=UTC), state=state, exit_code=exit_code, error=error)


@pytest.fixture
def french() -> Iterator[None]:
    i18n.install("fr")
    yield
    i18n.install("en")


def test_a_fact_collectors_problem_says_what_became_of_its_run_in_words() -> None:
    collector = SimpleNamespace(id="linux.facts")
    unreachable = result(RunState.NOT_CONNECTED, error="10.0.0.5:22 refused the connection.")
    failed = result(RunState.FAILED, exit_code=2)
    read = read_facts([(collector, unreachable), (collector, failed)])  # type: ignore[list-item]
    assert read.problems == ["linux.facts: not connected: 10.0.0.5:22 refused the connection.",
                             "linux.facts: exit code 2"]  # fmt: skip
    assert unreachable.describe() == f"{TARGET}: not connected: 10.0.0.5:22 refused the connection."


def test_outcomes_in_french_put_a_space_before_each_colon(french: None) -> None:
    assert result(RunState.FAILED, exit_code=3).describe() == f"{TARGET} : code de sortie 3"
    assert result(RunState.CANCELLED, error="x").outcome().endswith(" : x")
