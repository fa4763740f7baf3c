"""What the starter procedures' tests share: the shipped files, services that log in (and sudo) with a password,
an observer that keeps each step's output, and readers for the records a run leaves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supportstation.procedures.engine import Need, ProcedureEngine, RunObserver, RunServices
from supportstation.procedures.run_store import RunStore, StepRecord, StepStatus
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import Chunk
from supportstation.remote.runs import Runner
from supportstation.remote.targets import Credentials
from tests.conftest import ROOT
from tests.procedures.conftest import ProcedureLab

STARTERS = ROOT / "resources" / "procedures"
LINUX = ROOT / "plugins" / "linux-diag" / "supportstation_linux_diag" / "procedures"
WINDOWS = ROOT / "plugins" / "windows-diag" / "supportstation_windows_diag" / "procedures"


class Outputs(RunObserver):
    """Every chunk a step printed, by step index: what the engineer saw scroll by."""

    def __init__(self) -> None:
        self.chunks: dict[int, list[bytes]] = {}

    def output(self, index: int, target: str, chunk: Chunk) -> None:
        self.chunks.setdefault(index, []).append(chunk.data)

    def text(self, engine: ProcedureEngine, step_id: str) -> str:
        index = next(i for i, step in enumerate(engine.procedure.steps) if step.id == step_id)
        return b"".join(self.chunks.get(index, [])).decode("utf-8", errors="replace")


def password_services(
    lab: ProcedureLab,
    password: str,
    *,
    observer: RunObserver | None = None,
    downloads: Path | None = None,
    language: str = "en",
) -> RunServices:
    """The lab's services, with a pool that gives `password` for every host: the WinRM login, and sudo's password
    on SSH hosts (their login stays the key)."""
    pool = ConnectionPool(HostKeyStore(lab.known_hosts), credentials=lambda _target: Credentials(password=password))
    return RunServices(
        runner=Runner(pool, recorder=lab.context.recorder, secrets=lab.vault.known_secrets),
        pool=pool,
        store=RunStore(lab.context),
        resolve=lab.resolve,
        find_action=lab.registry.find_action,
        vault=lab.vault,
        downloads=downloads,
        language=language,
        observer=observer or RunObserver(),
    )


def latest(engine: ProcedureEngine) -> dict[str, StepRecord]:
    """Each step's last record, by step id."""
    return {record.step_id: record for record in engine.records}


def states(engine: ProcedureEngine) -> dict[str, StepStatus]:
    return {step_id: record.state for step_id, record in latest(engine).items()}


def note(engine: ProcedureEngine, step_id: str = "summary") -> str:
    return str(latest(engine)[step_id].answer["text"])


async def go_to(engine: ProcedureEngine, need: Need, step_id: str) -> None:
    """Advance, acknowledging instructions on the way, until the run waits for `need` at `step_id`."""
    while True:
        waiting = await engine.advance()
        assert waiting is not None, f"the run ended before {step_id}: {states(engine)}"
        if (waiting.need, waiting.step.id) == (need, step_id):
            return
        assert waiting.need is Need.ACKNOWLEDGE, f"waiting for {waiting.need} at {waiting.step.id}: {waiting.reason}"
        await engine.acknowledge()


async def finish(engine: ProcedureEngine, on_wait: Callable[[str], None] | None = None) -> None:
    """Advance to the end, acknowledging instructions (each reported to `on_wait`); anything else fails the test."""
    while (waiting := await engine.advance()) is not None:
        assert waiting.need is Need.ACKNOWLEDGE, f"waiting for {waiting.need} at {waiting.step.id}: {waiting.reason}"
        if on_wait is not None:
            on_wait(waiting.step.id)
        await engine.acknowledge()
