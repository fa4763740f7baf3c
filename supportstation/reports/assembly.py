"""Gathering what a report says, from the ticket, its intervention, its timeline and its procedure runs.

The result is plain JSON data (`ReportData.content`): it is what the templates render and, serialised canonically,
what the verification hash covers. Times are ISO 8601 in UTC; words that depend on the report's language (step states,
time categories) are left as codes for the template to name, so a company's template decides the wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _, catalog
from supportstation.procedures.run_store import load_run
from supportstation.procedures.summary import summarize
from supportstation.remote.ansi import strip_ansi
from supportstation.remote.output_store import stored_chunks
from supportstation.settings import CompanyDetails, EngineerProfile
from supportstation.storage.models import Host, Intervention, Ticket, TimelineEvent
from supportstation.storage.procedure_models import ProcedureRun
from supportstation.storage.run_models import RemoteRun

SCHEMA = 1
# The body shows the start and the end of a long output; the appendix shows it whole, up to a limit per command.
EXCERPT_HEAD_LINES = 12
EXCERPT_TAIL_LINES = 4
EXCERPT_LINE_CHARS = 160
APPENDIX_LIMIT_BYTES = 256 * 1024
# Timeline entries that are not actions on the client's systems, or that have a section of their own.
NOT_ACTIONS = frozenset(
    {
        "created",
        "assignment",
        "host_key",
        "procedure_step",
        "intervention_started",
        "intervention_paused",
        "intervention_resumed",
        "intervention_ended",
        "time_added",
        "time_edited",
        "part_added",
        "email",
        "mail_sent",
        "report",
    }
)


class ReportError(Exception):
    """A report cannot be drafted (no such ticket, no intervention); the message says what to do."""


@dataclass
class Edits:
    """What the engineer writes on the report; empty fields take the drafted text."""

    summary: str | None = None
    recommendations: str = ""
    follow_up: str = ""
    include_appendix: bool = True

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Edits:
        return cls(
            summary=raw.get("summary"),
            recommendations=str(raw.get("recommendations", "")),
            follow_up=str(raw.get("follow_up", "")),
            include_appendix=bool(raw.get("include_appendix", True)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "recommendations": self.recommendations,
            "follow_up": self.follow_up,
            "include_appendix": self.include_appendix,
        }


@dataclass
class ReportData:
    content: dict[str, Any]
    # The summary drafted from the timeline, shown to the engineer beside the one in `content` (which may be edited).
    drafted_summary: str
    warnings: list[str] = field(default_factory=list)


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def latest_intervention(session: Session, ticket: Ticket) -> Intervention | None:
    return session.scalars(
        select(Intervention)
        .where(Intervention.ticket_id == ticket.id)
        .order_by(Intervention.started_at.desc(), Intervention.id.desc())
    ).first()


def assemble(
    session: Session,
    ticket_id: int,
    *,
    intervention_id: int | None = None,
    number: str,
    revision: int = 1,
    language: str = "fr",
    company: CompanyDetails,
    engineer: EngineerProfile,
    edits: Edits | None = None,
    outputs_folder: Path | None = None,
    now: datetime | None = None,
) -> ReportData:
    edits = edits or Edits()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise ReportError(_("There is no ticket with this number."))
    intervention = (
        session.get(Intervention, intervention_id) if intervention_id else latest_intervention(session, ticket)
    )
    if intervention is None or intervention.ticket_id != ticket.id:
        raise ReportError(
            _("The ticket {reference} has no intervention to report on: start one first.").format(
                reference=ticket.reference
            )
        )
    events = _events_of(session, ticket, intervention, now or utc_now())
    actions = [_action(session, event, outputs_folder, language) for event in events if event.kind not in NOT_ACTIONS]
    procedures = _procedures(session, ticket, intervention, language)
    drafted = draft_summary(ticket, actions, procedures, language)
    engineer_name = intervention.engineer.name if intervention.engineer else engineer.name
    content: dict[str, Any] = {
        "schema": SCHEMA,
        "language": language,
        "number": number,
        "revision": revision,
        "company": {
            "name": company.name,
            "address": company.address,
            "phone": company.phone,
            "email": company.email,
            "website": company.website,
            "legal_footer": company.legal_footer,
        },
        "engineer": {
            "name": engineer_name,
            "email": intervention.engineer.email if intervention.engineer else engineer.email,
            "phone": (intervention.engineer.phone if intervention.engineer else "") or engineer.phone,
        },
        "client": {"name": ticket.client.name, "time_zone": ticket.client.time_zone},
        "site": {"name": ticket.site.name, "address": ticket.site.address} if ticket.site else None,
        "contact": (
            {
                "name": ticket.contact.name,
                "role": ticket.contact.role,
                "phone": ticket.contact.phone,
                "email": ticket.contact.email,
            }
            if ticket.contact
            else None
        ),
        "ticket": {
            "reference": ticket.reference,
            "title": ticket.title,
            "problem": ticket.description,
            "priority": f"P{ticket.priority}",
            "category": ticket.category,
            "opened_at": iso(ticket.created_at),
        },
        "intervention": {
            "started_at": iso(intervention.started_at),
            "ended_at": iso(intervention.ended_at),
            "on_site": intervention.on_site,
        },
        "summary": edits.summary if edits.summary is not None else drafted,
        "actions": actions,
        "procedures": procedures,
        "consents": [
            {**consent, "procedure": run["title"]} for run in procedures for consent in run.get("consents", [])
        ],
        "time": _time(intervention),
        "parts": [
            {"name": part.name, "quantity": part.quantity, "serial_number": part.serial_number, "notes": part.notes}
            for part in intervention.parts
        ],
        "recommendations": edits.recommendations,
        "follow_up": edits.follow_up,
        "host_keys": _host_keys(session, events),
        "include_appendix": edits.include_appendix,
        "signatures": [],
    }
    return ReportData(content, drafted)


def _events_of(session: Session, ticket: Ticket, intervention: Intervention, now: datetime) -> list[TimelineEvent]:
    """The intervention's own entries, and the ticket's unattributed ones written while it lasted."""
    end = intervention.ended_at or now
    return list(
        session.scalars(
            select(TimelineEvent)
            .where(
                TimelineEvent.ticket_id == ticket.id,
                or_(
                    TimelineEvent.intervention_id == intervention.id,
                    (TimelineEvent.intervention_id.is_(None))
                    & (TimelineEvent.created_at >= intervention.started_at)
                    & (TimelineEvent.created_at <= end),
                ),
            )
            .order_by(TimelineEvent.created_at, TimelineEvent.id)
        )
    )


def _action(session: Session, event: TimelineEvent, outputs_folder: Path | None, language: str) -> dict[str, Any]:
    action: dict[str, Any] = {
        "at": iso(event.created_at),
        "kind": event.kind,
        "summary": event.summary,
        "text": event.body if event.kind == "note" else "",
        "target": "",
        "command": "",
        "state": "",
        "exit_code": None,
        "error": "",
        "output": "",
        "output_excerpt": None,
    }
    run_id = (event.data or {}).get("run_id")
    if event.kind == "status":
        action["summary"] = _status_change(event, language) or event.summary
    if event.kind == "command":
        run = session.get(RemoteRun, run_id) if run_id else None
        if run is None:
            run = session.scalars(select(RemoteRun).where(RemoteRun.timeline_event_id == event.id)).first()
        if run is not None:
            output = _output_text(session, run, outputs_folder, language)
            action.update(
                target=run.target,
                # As the engineer calls the host (the inventory name), the URL staying in `target` for the record.
                host=_host_name(session, run.host_id) or run.target,
                transport=run.transport,
                command=f"[{run.action_id}] {run.command}" if run.action_id else run.command,
                action_id=run.action_id or "",
                plain_command=run.command,
                state=run.state,
                exit_code=run.exit_code,
                error=run.error,
                ended_at=iso(run.ended_at),
                output=output,
                output_excerpt=excerpt(output),
            )
    elif event.kind == "file_transfer":
        data = event.data or {}
        action.update(target=data.get("target", ""), sha256=data.get("sha256", ""), size=data.get("size", 0))
    return action


def _status_change(event: TimelineEvent, language: str) -> str:
    """ "Assigned → In progress" in the report's language: the timeline's summary is in the language of the day."""
    from supportstation.storage.enums import TicketStatus
    from supportstation.tickets.labels import status_label

    data = event.data or {}
    words = catalog(language)
    if data.get("reopened"):
        return words.gettext("Reopened")
    try:
        before, after = TicketStatus(data.get("from")), TicketStatus(data.get("to"))
    except ValueError:  # an event older than these fields: its own words
        return ""
    return words.gettext("{current} → {target}").format(
        current=status_label(before, words.gettext), target=status_label(after, words.gettext)
    )


def _host_name(session: Session, host_id: int | None) -> str:
    host = session.get(Host, host_id) if host_id is not None else None
    return host.name if host is not None else ""


def _output_text(session: Session, run: RemoteRun, outputs_folder: Path | None, language: str) -> str:
    """The run's output as text for a reader: ANSI codes removed; binary output described, not dumped."""
    parts: list[bytes] = []
    size = 0
    total = 0
    for chunk in stored_chunks(session, run.id, run.spill_file, outputs_folder):
        total += len(chunk.data)
        if size < APPENDIX_LIMIT_BYTES:
            parts.append(chunk.data[: APPENDIX_LIMIT_BYTES - size])
            size += len(parts[-1])
    raw = b"".join(parts)
    words = catalog(language)
    if b"\x00" in raw[:8192]:
        return words.gettext("[binary output, {size} bytes]").format(size=total)
    text = strip_ansi(raw.decode("utf-8", errors="replace")).replace("\r\n", "\n").replace("\r", "\n")
    if total > size:
        more = words.gettext("[… {size} more bytes, kept on the ticket but not in the report]")
        text += "\n" + more.format(size=total - size)
    return text.rstrip("\n")


def excerpt(text: str) -> dict[str, Any]:
    """The lines a reader needs: the head and the tail of a long output, each line clipped, with what was left out."""
    lines = text.split("\n") if text else []

    def clip(line: str) -> str:
        return line if len(line) <= EXCERPT_LINE_CHARS else line[: EXCERPT_LINE_CHARS - 1] + "…"

    if len(lines) <= EXCERPT_HEAD_LINES + EXCERPT_TAIL_LINES + 1:
        return {"head": [clip(line) for line in lines], "omitted": 0, "tail": []}
    return {
        "head": [clip(line) for line in lines[:EXCERPT_HEAD_LINES]],
        "omitted": len(lines) - EXCERPT_HEAD_LINES - EXCERPT_TAIL_LINES,
        "tail": [clip(line) for line in lines[-EXCERPT_TAIL_LINES:]],
    }


def _procedures(session: Session, ticket: Ticket, intervention: Intervention, language: str) -> list[dict[str, Any]]:
    runs = session.scalars(
        select(ProcedureRun)
        .where(
            ProcedureRun.ticket_id == ticket.id,
            or_(
                ProcedureRun.intervention_id == intervention.id,
                ProcedureRun.intervention_id.is_(None) & (ProcedureRun.started_at >= intervention.started_at),
            ),
        )
        .order_by(ProcedureRun.started_at, ProcedureRun.id)
    ).all()
    result = []
    for row in runs:
        summary = summarize(load_run(session, row.id), language)
        result.append(
            {
                "title": summary.title,
                "procedure_id": summary.procedure_id,
                "state": summary.state,
                "passed": summary.passed,
                "started_at": iso(summary.started_at),
                "ended_at": iso(summary.ended_at),
                "targets": summary.targets,
                "steps": [
                    {"title": step.title, "state": step.state, "reason": step.reason, "attempts": step.attempts}
                    for step in summary.steps
                ],
                "consents": [
                    {
                        "step": step.title,
                        "who": str((step.consent or {}).get("who", "")),
                        "initials": str((step.consent or {}).get("initials", "")),
                        "at": str((step.consent or {}).get("at", "")),
                    }
                    for step in summary.steps
                    if step.consent
                ],
            }
        )
    return result


def _time(intervention: Intervention) -> dict[str, Any]:
    by_category: dict[str, int] = {}
    for entry in intervention.time_entries:
        by_category[entry.category] = by_category.get(entry.category, 0) + entry.minutes
    return {
        "entries": [
            {
                "category": entry.category,
                "started_at": iso(entry.started_at),
                "minutes": entry.minutes,
                "description": entry.description,
            }
            for entry in sorted(intervention.time_entries, key=lambda item: (item.started_at, item.id))
        ],
        "by_category": [{"category": key, "minutes": value} for key, value in sorted(by_category.items())],
        "travel_minutes": by_category.get("travel", 0),
        "total_minutes": sum(by_category.values()),
    }


def _host_keys(session: Session, events: list[TimelineEvent]) -> list[dict[str, str]]:
    """Every host key the intervention trusted, once per fingerprint, with the host names it was seen under."""
    hosts: dict[str, list[str]] = {}

    def seen(fingerprint: str, host: str) -> None:
        names = hosts.setdefault(fingerprint, [])
        if host and host not in names:
            names.append(host)

    for event in events:
        data = event.data or {}
        fingerprint = data.get("fingerprint") or data.get("host_key_fingerprint")
        if fingerprint:
            seen(str(fingerprint), str(data.get("host") or data.get("target") or ""))
    event_ids = [event.id for event in events]
    if event_ids:
        rows = session.execute(
            select(RemoteRun.target, RemoteRun.host_key_fingerprint)
            .where(RemoteRun.timeline_event_id.in_(event_ids), RemoteRun.host_key_fingerprint != "")
            .order_by(RemoteRun.started_at)
        )
        for target, fingerprint in rows:
            seen(fingerprint, target.rsplit("@", 1)[-1])
    return sorted(
        ({"host": ", ".join(names), "fingerprint": fingerprint} for fingerprint, names in hosts.items()),
        key=lambda key: (key["host"], key["fingerprint"]),
    )


def draft_summary(
    ticket: Ticket, actions: list[dict[str, Any]], procedures: list[dict[str, Any]], language: str
) -> str:
    """A first summary from the timeline, in the report's language, for the engineer to correct."""
    words = catalog(language)
    lines: list[str] = []
    commands = [action for action in actions if action["kind"] == "command"]
    if commands:
        hosts = sorted({action.get("host") or action["target"] for action in commands if action.get("target")})
        failed = sum(1 for action in commands if action.get("exit_code") not in (0, None) or action.get("error"))
        lines.append(
            words.ngettext("{count} command run on {hosts}.", "{count} commands run on {hosts}.", len(commands)).format(
                count=len(commands), hosts=", ".join(hosts) or "—"
            )
            + (" " + words.gettext("{failed} of them failed.").format(failed=failed) if failed else "")
        )
    for run in procedures:
        outcome = words.gettext("passed") if run["passed"] else words.gettext("did not pass")
        skipped = [step for step in run["steps"] if step["state"] == "skipped"]
        line = words.gettext("Procedure {title}: {outcome}.").format(title=run["title"], outcome=outcome)
        if skipped:
            line += " " + words.ngettext("{count} step skipped.", "{count} steps skipped.", len(skipped)).format(
                count=len(skipped)
            )
        lines.append(line)
    transfers = sum(1 for action in actions if action["kind"] == "file_transfer")
    if transfers:
        lines.append(
            words.ngettext("{count} file transferred.", "{count} files transferred.", transfers).format(count=transfers)
        )
    for action in actions:
        if action["kind"] == "note" and action["text"].strip():
            lines.append(action["text"].strip().splitlines()[0])
    if ticket.resolution.strip():
        lines.append(ticket.resolution.strip())
    return "\n".join(lines)
