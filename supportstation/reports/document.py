"""From a report's data to its HTML, and the verification hash over its canonical form.

The canonical form is the report's data as JSON with sorted keys, no spaces, UTF-8: the same data always gives the
same bytes. The verification hash is the SHA-256 of a prefix, those bytes, and each signature image (customer first,
then engineer); the images' own hashes are also inside the data, so either change shows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportstation.reports.templates import REPORT, Rendered, ReportTemplates

HASH_PREFIX = b"SupportStation intervention report v1\n"
ROLE_ORDER = ("customer", "engineer")


class SignatureLike(Protocol):
    role: str
    signer_name: str
    signed_at: datetime
    image_png: bytes | None
    not_signed_reason: str


def image_url(role: str) -> str:
    """The name a signature image has inside the document (Qt resolves it from the resources given with the HTML)."""
    return f"signature:{role}"


def signature_entries(signatures: list[SignatureLike]) -> list[dict[str, Any]]:
    ordered = sorted(signatures, key=lambda item: ROLE_ORDER.index(item.role) if item.role in ROLE_ORDER else 9)
    return [
        {
            "role": signature.role,
            "signer_name": signature.signer_name,
            "signed_at": signature.signed_at.astimezone(UTC).isoformat(timespec="seconds"),
            "image_sha256": hashlib.sha256(signature.image_png).hexdigest() if signature.image_png else "",
            "not_signed_reason": signature.not_signed_reason,
        }
        for signature in ordered
    ]


def with_signatures(content: dict[str, Any], signatures: list[SignatureLike]) -> dict[str, Any]:
    return {**content, "signatures": signature_entries(signatures)}


def canonical_bytes(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def report_hash(canonical: bytes, images: dict[str, bytes]) -> str:
    digest = hashlib.sha256(HASH_PREFIX)
    digest.update(canonical)
    for role in sorted(images, key=lambda name: ROLE_ORDER.index(name) if name in ROLE_ORDER else 9):
        digest.update(b"\n" + role.encode() + b"\n")
        digest.update(images[role])
    return digest.hexdigest()


@dataclass(frozen=True)
class ReportHtml:
    html: str
    images: dict[str, bytes]  # image URL -> PNG
    problem: str  # the company template's error when the shipped one was used instead


def render_html(
    content: dict[str, Any],
    templates: ReportTemplates,
    *,
    images: dict[str, bytes] | None = None,
    draft: bool,
    verification: str | None = None,
) -> ReportHtml:
    """`images` maps signature roles to PNG bytes."""
    images = images or {}
    zone = _zone(str((content.get("client") or {}).get("time_zone", "")))
    language = str(content.get("language", "fr"))
    first_day = format_day((content.get("intervention") or {}).get("started_at"), zone, language)
    rendered: Rendered = templates.render(
        REPORT,
        {
            "report": content,
            "draft": draft,
            "verification": verification,
            "signature_images": {role: image_url(role) for role in images},
        },
        filters={
            "when": lambda value: format_when(value, zone, language),
            "day": lambda value: format_day(value, zone, language),
            # The time alone within the intervention's first day; the date too on a later one.
            "clock": lambda value: format_clock(value, zone, language, first_day),
            "duration": format_duration,
        },
    )
    return ReportHtml(rendered.text, {image_url(role): png for role, png in images.items()}, rendered.problem)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse(value: str | datetime | None) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: str | datetime | None, zone: ZoneInfo, language: str) -> str:
    moment = _parse(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    if language == "fr":
        return f"{local:%d/%m/%Y}"
    return f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"


def format_when(value: str | datetime | None, zone: ZoneInfo, language: str) -> str:
    moment = _parse(value)
    if moment is None:
        return str(value or "")
    return f"{format_day(moment, zone, language)} {moment.astimezone(zone):%H:%M}"


def format_clock(value: str | datetime | None, zone: ZoneInfo, language: str, first_day: str) -> str:
    moment = _parse(value)
    if moment is None:
        return str(value or "")
    day = format_day(moment, zone, language)
    time = f"{moment.astimezone(zone):%H:%M}"
    return time if day == first_day else f"{day} {time}"


def format_duration(minutes: int | float) -> str:
    minutes = round(minutes)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}"
