"""The current instant, always as an aware UTC datetime (what the database stores)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
