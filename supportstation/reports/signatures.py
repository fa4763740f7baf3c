"""Signatures on an intervention report: who signed, when, and the signed image, or why nobody could sign.

A report is evidence the customer may contest, so a signature is checked when it is made rather than when the PDF is
rendered: a nameless or blank signature never reaches the database. The image is kept as PNG bytes (what the signature
pad exports and what a PDF embeds) and checked here without an imaging library, so the core stays free of Qt.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from supportstation.i18n import _

CUSTOMER = "customer"
ENGINEER = "engineer"
ROLES = (CUSTOMER, ENGINEER)

# A signature cropped to its ink and exported at 2x weighs tens of kilobytes; anything near this limit is not a
# signature but a photo or garbage, and would bloat every PDF and e-mail it travels in.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SignatureError(ValueError):
    """A signature that cannot be recorded; the message says what to fix, in words the engineer can act on."""


@dataclass(frozen=True)
class Signature:
    role: str  # one of ROLES
    signer_name: str
    signed_at: datetime  # aware; stored in UTC
    image_png: bytes | None  # None when the signer could not sign
    not_signed_reason: str = ""

    def __post_init__(self) -> None:
        # Whitespace typed around a name or a reason means nothing and would only defeat the emptiness checks.
        object.__setattr__(self, "signer_name", self.signer_name.strip())
        object.__setattr__(self, "not_signed_reason", self.not_signed_reason.strip())
        if self.signed_at.tzinfo is not None and self.signed_at.utcoffset() is not None:
            object.__setattr__(self, "signed_at", self.signed_at.astimezone(UTC))
        self.check()

    @property
    def signed(self) -> bool:
        """True when the signer drew a signature; False when a reason says why they could not."""
        return self.image_png is not None

    def check(self) -> None:
        """Raises SignatureError naming the first problem; returns quietly for a signature that can be recorded."""
        if self.role not in ROLES:
            raise SignatureError(
                _('Unknown signer role "{role}": expected one of {roles}.').format(
                    role=self.role, roles=", ".join(ROLES)
                )
            )
        if not self.signer_name:
            raise SignatureError(_("The signer's name is required."))
        if self.signed_at.tzinfo is None or self.signed_at.utcoffset() is None:
            raise SignatureError(_("The signing time must carry its time zone (UTC)."))
        if self.image_png is None and not self.not_signed_reason:
            raise SignatureError(_("A signature needs either the signed image or the reason it could not be signed."))
        if self.image_png is not None and self.not_signed_reason:
            raise SignatureError(_("A signature cannot have both a signed image and a reason for not signing."))
        if self.image_png is not None:
            check_png(self.image_png)


def check_png(data: bytes) -> None:
    """Raises SignatureError unless the bytes look like a PNG image of a sensible size (header and dimensions)."""
    if not data:
        raise SignatureError(_("The signature image is empty."))
    if len(data) > MAX_IMAGE_BYTES:
        raise SignatureError(
            _("The signature image is too large ({size} kB; at most {limit} kB).").format(
                size=len(data) // 1024, limit=MAX_IMAGE_BYTES // 1024
            )
        )
    # The first chunk of every PNG is IHDR, whose first eight bytes are the width and height (big-endian).
    if not data.startswith(PNG_MAGIC) or len(data) < 24 or data[12:16] != b"IHDR":
        raise SignatureError(_("The signature image is not a PNG image."))
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise SignatureError(_("The signature image has no pixels."))
