"""Checking a report PDF: is it the one that was signed?

A signed report's PDF carries its canonical data and signature images as embedded files, and prints the hash over
them. Verification reads them back, recomputes the hash, and compares it with the one printed on the pages and with
the archive: the revision stored on the ticket with that hash, whose PDF must be byte for byte the file given.
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from supportstation.i18n import _
from supportstation.reports.document import report_hash, signature_entries
from supportstation.reports.service import DATA_ATTACHMENT, signature_attachment
from supportstation.storage.database import Database
from supportstation.storage.models import Ticket
from supportstation.storage.report_models import Report

_PRINTED_HASH = re.compile(r"SHA-256\s+([0-9a-f]{64})")


class Verdict(enum.StrEnum):
    AUTHENTIC = "authentic"  # the archive holds this very file as the signed report
    CONSISTENT = "consistent"  # the embedded data matches its hash, but no archive here knows it
    ALTERED = "altered"  # something does not match
    UNREADABLE = "unreadable"  # not a PDF, or not a signed SupportStation report


@dataclass
class Verification:
    verdict: Verdict
    message: str
    data_sha256: str = ""
    pdf_sha256: str = ""
    details: list[str] = field(default_factory=list)
    number: str = ""
    revision: int = 0
    ticket: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "message": self.message,
            "data_sha256": self.data_sha256,
            "pdf_sha256": self.pdf_sha256,
            "number": self.number,
            "revision": self.revision,
            "ticket": self.ticket,
            "details": self.details,
        }


def verify_pdf(document: bytes, database: Database | None) -> Verification:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    pdf_sha256 = hashlib.sha256(document).hexdigest()
    try:
        reader = PdfReader(io.BytesIO(document))
        attachments = {name: contents[0] for name, contents in reader.attachments.items() if contents}
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        return Verification(Verdict.UNREADABLE, _("The file is not a readable PDF ({error}).").format(error=error))
    canonical = attachments.get(DATA_ATTACHMENT)
    if canonical is None:
        return Verification(
            Verdict.UNREADABLE,
            _("This PDF carries no report data: it is not a signed SupportStation report (a draft is not signed)."),
            pdf_sha256=pdf_sha256,
        )
    try:
        content = json.loads(canonical)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Verification(
            Verdict.ALTERED, _("The report data embedded in the PDF is damaged."), pdf_sha256=pdf_sha256
        )
    images = {
        entry["role"]: attachments.get(signature_attachment(entry["role"]), b"")
        for entry in content.get("signatures", [])
        if entry.get("image_sha256")
    }
    details = []
    for entry in content.get("signatures", []):
        image = images.get(entry["role"])
        if entry.get("image_sha256") and hashlib.sha256(image or b"").hexdigest() != entry["image_sha256"]:
            details.append(_("The {role}'s signature image does not match the report data.").format(role=entry["role"]))
    digest = report_hash(canonical, images)
    printed = set(_PRINTED_HASH.findall(text.replace("\n", " ")))
    if digest not in printed:
        details.append(_("The hash printed on the pages is not the one computed from the embedded data."))
    result = Verification(
        Verdict.CONSISTENT,
        "",
        data_sha256=digest,
        pdf_sha256=pdf_sha256,
        details=details,
        number=str(content.get("number", "")),
        revision=int(content.get("revision", 0) or 0),
        ticket=str((content.get("ticket") or {}).get("reference", "")),
    )
    if details:
        result.verdict = Verdict.ALTERED
        result.message = _("The PDF was altered: {details}").format(details=" ".join(details))
        return result
    if database is None:
        result.message = _("The PDF is consistent with its signatures (hash {hash}); no archive was consulted.").format(
            hash=digest
        )
        return result
    return _compare_with_archive(result, database, canonical)


def _compare_with_archive(result: Verification, database: Database, canonical: bytes) -> Verification:
    with database.session() as session:
        row = session.execute(
            select(Report, Ticket.reference)
            .join(Ticket, Ticket.id == Report.ticket_id)
            .where(Report.data_sha256 == result.data_sha256, Report.state == "signed")
        ).first()
        if row is None:
            result.message = _(
                "The PDF is consistent with its signatures (hash {hash}), but this database has no signed report "
                "with this hash."
            ).format(hash=result.data_sha256)
            return result
        report, reference = row
        stored_pdf_sha256 = report.pdf_sha256
        stored_canonical = report.canonical.encode()
        stored_images = {s.role: s.image_png for s in report.signatures if s.image_png}
        entries = signature_entries(list(report.signatures))
    archive_hash = report_hash(stored_canonical, stored_images)
    if archive_hash != report.data_sha256 or stored_canonical != canonical:
        result.verdict = Verdict.ALTERED
        result.message = _("The archived report {number} rev. {revision} no longer matches its own hash.").format(
            number=report.number, revision=report.revision
        )
        return result
    if json.loads(stored_canonical).get("signatures") != entries:
        result.verdict = Verdict.ALTERED
        result.message = _("The archived signatures of {number} rev. {revision} do not match its data.").format(
            number=report.number, revision=report.revision
        )
        return result
    if stored_pdf_sha256 != result.pdf_sha256:
        result.verdict = Verdict.ALTERED
        result.message = _(
            "The PDF claims to be {number} rev. {revision} of ticket {ticket}, but it is not the archived file: "
            "its pages were changed after signing."
        ).format(number=report.number, revision=report.revision, ticket=reference)
        return result
    result.verdict = Verdict.AUTHENTIC
    result.message = _(
        "This PDF is the signed report {number} rev. {revision} of ticket {ticket}, as archived (hash {hash})."
    ).format(number=report.number, revision=report.revision, ticket=reference, hash=result.data_sha256)
    return result
