"""The engineers known to a database; the local profile is matched to one of them by e-mail."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportstation.settings import EngineerProfile
from supportstation.storage.models import Engineer


def ensure_engineer(session: Session, profile: EngineerProfile) -> Engineer:
    """The engineer row for this profile, created or brought up to date (e-mail compared case-insensitively)."""
    email = profile.email.strip()
    engineer = session.scalar(select(Engineer).where(func.lower(Engineer.email) == email.lower()))
    if engineer is None:
        engineer = Engineer(name=profile.name.strip(), email=email, phone=profile.phone.strip())
        session.add(engineer)
    else:
        engineer.name = profile.name.strip()
        engineer.phone = profile.phone.strip()
    session.flush()
    return engineer
