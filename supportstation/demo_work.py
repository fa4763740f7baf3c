"""Work already done on a ticket, written straight to the database: recorded commands with their output.

The demo uses it so its resolved NAS ticket has an intervention worth a report; tests and `bench/report.py` use it to
make interventions of any size. The rows are the ones a real run writes (`remote.recording`): a timeline entry, the
run with its exit code and output hash, and its output chunks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from supportstation.remote.output_store import digest_update, output_digest
from supportstation.storage.models import Intervention, PartUsed, Ticket, TimeEntry, TimelineEvent
from supportstation.storage.run_models import RemoteRun, RunChunk

CHUNK_BYTES = 64 * 1024


def record_command(
    session: Session,
    ticket: Ticket,
    intervention: Intervention | None,
    *,
    at: datetime,
    target: str,
    command: str,
    output: bytes,
    exit_code: int = 0,
    actor: str = "demo@example.org",
    host_key_fingerprint: str = "",
    duration: timedelta = timedelta(seconds=2),
) -> RemoteRun:
    state = "succeeded" if exit_code == 0 else "failed"
    event = TimelineEvent(
        ticket_id=ticket.id,
        intervention_id=intervention.id if intervention else None,
        created_at=at,
        kind="command",
        author_id=intervention.engineer_id if intervention else None,
        summary=f"{target} $ {command} — exit code {exit_code}"[:500],
    )
    session.add(event)
    session.flush()
    digest = output_digest()
    digest_update(digest, 1, output)
    run = RemoteRun(
        ticket_id=ticket.id,
        intervention_id=intervention.id if intervention else None,
        timeline_event_id=event.id,
        actor=actor,
        target=target,
        transport="ssh",
        command=command,
        started_at=at,
        ended_at=at + duration,
        state=state,
        exit_code=exit_code,
        stdout_bytes=len(output),
        output_sha256=digest.hexdigest(),
        host_key_fingerprint=host_key_fingerprint,
    )
    session.add(run)
    session.flush()
    event.data = {"run_id": run.id, "state": state, "exit_code": exit_code}
    for sequence, start in enumerate(range(0, len(output), CHUNK_BYTES)):
        session.add(
            RunChunk(run_id=run.id, sequence=sequence, stream=1, offset_ms=0, data=output[start : start + CHUNK_BYTES])
        )
    return run


NAS_KEY = "SHA256:p3V1mHq0dCx6k2v7Q9fXoZr8yWbLnT4sGuEaJcKdR5M"
NAS_COMMANDS: list[tuple[int, str, str, int]] = [
    (
        8,
        "sensors | grep -E 'Package|Core|fan'",
        "Package id 0:  +71.0°C  (high = +80.0°C, crit = +100.0°C)\n"
        "Core 0:        +70.0°C  (high = +80.0°C, crit = +100.0°C)\n"
        "Core 1:        +71.0°C  (high = +80.0°C, crit = +100.0°C)\n"
        "fan1:             0 RPM  (min =  600 RPM)\n",
        0,
    ),
    (
        11,
        "smartctl -H -A /dev/sda | grep -E 'result|Temperature'",
        "SMART overall-health self-assessment test result: PASSED\n"
        "194 Temperature_Celsius     0x0022   052   045   000    Old_age   Always       -       48\n",
        0,
    ),
    (
        14,
        "journalctl -k --since today | grep -i -E 'thermal|fan' | tail -n 30",
        "".join(
            f"nov. 23 0{7 + i // 10}:{(i * 7) % 60:02d}:1{i % 10} nas-tilleuls kernel: "
            f"thermal thermal_zone0: critical temperature reached ({90 + i % 6} C), throttling CPU\n"
            for i in range(30)
        ),
        0,
    ),
    (22, "systemctl restart fancontrol", "", 0),
    (
        31,
        "sensors | grep -E 'Package|fan'",
        "Package id 0:  +46.0°C  (high = +80.0°C, crit = +100.0°C)\nfan1:          1840 RPM  (min =  600 RPM)\n",
        0,
    ),
    (33, "zpool status -x", "all pools are healthy\n", 0),
]


def add_nas_intervention(session: Session, ticket: Ticket, intervention: Intervention) -> None:
    """The demo's NAS overheating ticket: the diagnosis, the fan replaced, the check afterwards."""
    start = intervention.started_at + timedelta(minutes=35)  # after the travel
    session.add(
        TimelineEvent(
            ticket_id=ticket.id,
            intervention_id=intervention.id,
            created_at=start + timedelta(minutes=6),
            kind="host_key",
            summary=f"Host key of nas-tilleuls accepted (always): ssh-ed25519 {NAS_KEY}",
            data={"host": "nas-tilleuls", "key_type": "ssh-ed25519", "fingerprint": NAS_KEY},
        )
    )
    for minutes, command, output, exit_code in NAS_COMMANDS:
        record_command(
            session,
            ticket,
            intervention,
            at=start + timedelta(minutes=minutes),
            target="admin@nas-tilleuls",
            command=command,
            output=output.encode(),
            exit_code=exit_code,
            host_key_fingerprint=NAS_KEY,
        )
    session.add(
        TimelineEvent(
            ticket_id=ticket.id,
            intervention_id=intervention.id,
            created_at=start + timedelta(minutes=20),
            kind="note",
            summary="Ventilateur du NAS bloqué",
            body="Ventilateur arrière bloqué par la poussière et roulement usé : remplacé par une pièce neuve.",
        )
    )
    intervention.parts.append(
        PartUsed(name="Ventilateur 92 mm PWM", quantity=1, serial_number="FN92-240611-0457", notes="Ancien repris")
    )
    intervention.parts.append(PartUsed(name="Bombe d'air sec", quantity=1))
    intervention.time_entries.append(
        TimeEntry(category="travel", started_at=intervention.started_at, minutes=35, description="Retour")
    )
