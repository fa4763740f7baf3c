"""The rich-text header of a ticket's workspace."""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING

from supportstation.i18n import _
from supportstation.tickets.labels import deadline_text, sla_label, status_label

if TYPE_CHECKING:
    from supportstation.tickets.details import TicketDetail


def header_html(detail: TicketDetail, now: datetime) -> str:
    """Reference and title, priority, status and SLA, client and site, contact with tel: and mailto: links, hosts."""
    state = detail.clocks.state(now)
    colour = {"breached": "#c62828", "at_risk": "#ef6c00", "paused": "#757575"}.get(state.value, "#2e7d32")
    due = deadline_text(detail.clocks, now)
    lines = [
        f"<h2 style='margin:0'>{html.escape(detail.reference)} — {html.escape(detail.title)}</h2>",
        f"<b>P{detail.priority}</b> · {html.escape(status_label(detail.status))} · "
        f"<span style='color:{colour}'>{html.escape(sla_label(state))}, {html.escape(due)}</span>"
        + (" · " + html.escape(_("Assigned to {name}").format(name=detail.assignee)) if detail.assignee else ""),
        f"<b>{html.escape(detail.client)}</b>"
        + (f" — {html.escape(detail.site)}" if detail.site else "")
        + (f" <span style='color:#757575'>({html.escape(detail.site_address)})</span>" if detail.site_address else ""),
    ]
    contact = detail.contact
    if contact is not None:
        parts = [html.escape(contact.name) + (f", {html.escape(contact.role)}" if contact.role else "")]
        if contact.phone:
            number = "".join(ch for ch in contact.phone if ch.isdigit() or ch == "+")
            parts.append(f"<a href='tel:{number}'>{html.escape(contact.phone)}</a>")
        if contact.email:
            parts.append(f"<a href='mailto:{html.escape(contact.email)}'>{html.escape(contact.email)}</a>")
        lines.append(_("Contact: {contact}").format(contact=" · ".join(parts)))
    if detail.hosts:
        hosts = ", ".join(f"{html.escape(h.name)} <span style='color:#757575'>({html.escape(h.address)})</span>"
                          for h in detail.hosts)  # fmt: skip
        lines.append(_("Hosts: {hosts}").format(hosts=hosts))
    if detail.description:
        lines.append(f"<i>{html.escape(detail.description)}</i>")
    return "<br>".join(lines)
