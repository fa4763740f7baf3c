"""Reports drafted from the timeline and laid out as PDF: content, pages, signatures, locking and verification."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from supportstation import __version__
from supportstation.reports.assembly import Edits, ReportError
from supportstation.reports.service import ReportLocked
from supportstation.reports.verify import Verdict, verify_pdf
from supportstation.storage.models import Intervention, Ticket, TimelineEvent
from tests.reports.report_lab import ReportLab, pdf_pages, pdf_text, signatures


def test_a_draft_is_assembled_from_the_intervention(report_lab: ReportLab) -> None:
    built = report_lab.service.build(report_lab.draft())
    content = built.content
    commands = [action for action in content["actions"] if action["kind"] == "command"]
    assert len(commands) == 6
    assert commands[0]["command"].startswith("sensors") and "+71.0°C" in commands[0]["output"]
    assert [action["kind"] for action in content["actions"]].count("note") == 2
    assert content["host_keys"] == [
        {"host": "nas-tilleuls", "fingerprint": "SHA256:p3V1mHq0dCx6k2v7Q9fXoZr8yWbLnT4sGuEaJcKdR5M"}
    ]
    assert [part["name"] for part in content["parts"]] == ["Ventilateur 92 mm PWM", "Bombe d'air sec"]
    assert content["time"]["travel_minutes"] == 70 and content["time"]["total_minutes"] == 130
    # Drafted in the report's language, whatever the interface's (English in tests).
    assert built.drafted_summary.startswith("6 commandes exécutées sur admin@nas-tilleuls.")
    assert content["summary"] == built.drafted_summary
    long_output = commands[2]["output_excerpt"]
    assert long_output["omitted"] == 30 - 12 - 4 and len(long_output["head"]) == 12


def test_the_french_pdf_has_every_required_field(report_lab: ReportLab) -> None:
    document = report_lab.service.pdf(report_lab.draft())
    text = pdf_text(document)
    flat = " ".join(text.split())
    for expected in (
        "Rapport d'intervention",
        "RI-2026-0001",
        "BROUILLON",
        "InfoDépannage Rhône-Alpes",
        "Cabinet médical des Tilleuls",
        "INC-2026-01053",
        "NAS : alerte de température",
        "Problème signalé",
        "Résumé de l'intervention",
        "Actions réalisées",
        "smartctl -H -A /dev/sda",
        "Pièces et consommables",
        "FN92-240611-0457",
        "Temps passé",
        "dont déplacement 1 h 10",
        "Empreintes des clés d'hôte utilisées",
        "SHA256:p3V1mHq0dCx6k2v7Q9fXoZr8yWbLnT4sGuEaJcKdR5M",
        "Recommandations",
        "Signature du client",
        "SARL au capital de 10 000 €",
        "Annexe : sorties complètes des commandes",
    ):
        assert expected in flat, expected
    pages = pdf_pages(document)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} sur {len(pages)}" in page
        assert "Rapport d'intervention RI-2026-0001" in page  # the running header


def test_the_english_report_and_us_letter(report_lab: ReportLab) -> None:
    report = report_lab.draft(language="en")
    report_lab.service.update_draft(report, paper="letter")
    document = report_lab.service.pdf(report)
    text = pdf_text(document)
    assert "Intervention report" in text and "Actions performed" in text and "Page 1 of" in text
    assert f"SupportStation {__version__}" in text  # under the page number: which version drew it
    info = subprocess.run(["pdfinfo", "-"], input=document, capture_output=True, check=True).stdout.decode()
    assert re.search(r"Page size:\s+612 x 792 pts", info), info
    assert "Intervention report RI-2026-0001" in info  # the PDF's title


def test_a_hundred_commands_make_a_correct_multi_page_report(report_lab: ReportLab) -> None:
    from supportstation.demo_work import record_command

    with report_lab.database.session() as session:
        ticket = session.query(Ticket).filter_by(reference="INC-2026-01053").one()
        intervention = session.query(Intervention).filter_by(ticket_id=ticket.id).one()
        for number in range(100):
            lines = "".join(f"ligne {line} de la commande {number}\n" for line in range(number % 25))
            record_command(
                session,
                ticket,
                intervention,
                at=intervention.started_at + timedelta(minutes=40, seconds=number),
                target="admin@nas-tilleuls",
                command=f"echo commande-{number:03d}",
                output=lines.encode(),
                exit_code=0 if number % 10 else 3,
            )
    document = report_lab.service.pdf(report_lab.draft())
    pages = pdf_pages(document)
    assert len(pages) >= 8
    text = "\n".join(pages)
    for number in range(100):
        assert f"echo commande-{number:03d}" in text
    assert text.count("Code 3") == 10
    # The table's header row is repeated on every page the table spans.
    appendix = next(index for index, page in enumerate(pages) if "Annexe : sorties complètes" in page)
    spanned = [page for page in pages[:appendix] if "echo commande-" in page]
    assert len(spanned) >= 5
    missing = [page[:500] for page in spanned if not ("Heure" in page and "Résultat" in page)]
    assert not missing, missing
    assert all(f"sur {len(pages)}" in page for page in pages)


def test_signing_freezes_the_report_with_lossless_signatures_on_the_last_page(report_lab: ReportLab) -> None:
    service = report_lab.service
    report = report_lab.draft()
    service.update_draft(
        report, edits=Edits(summary="Ventilateur remplacé.", recommendations="Dépoussiérer.\nVérifier.")
    )
    info = service.sign(report, signatures())
    assert info.signed and info.data_sha256 and info.signers == ["Dr Hélène Fabre", "Camille Martin"]
    document = service.pdf(report)
    text = pdf_text(document)
    assert "BROUILLON" not in text and "Dr Hélène Fabre" in text
    assert info.data_sha256 in " ".join(text.split())
    # The signatures come before the appendix; the page that holds them has the report's content above them.
    pages = pdf_pages(document)
    signed_page = next(number for number, page in enumerate(pages, start=1) if "Signature du client" in page)
    assert "Recommandations" in pages[signed_page - 1] or signed_page == 1
    images = subprocess.run(
        ["pdfimages", "-list", "-f", str(signed_page), "-l", str(signed_page), "-"],
        input=document,
        capture_output=True,
        check=True,
    ).stdout.decode()
    rows = [line.split() for line in images.splitlines()[2:]]
    pictures = [row for row in rows if row[2] == "image"]
    assert len(pictures) == 2, images
    assert {row[3] for row in pictures} == {"420"} and all(row[9] != "jpeg" for row in pictures), images
    # Frozen: nothing changes it, and the archived PDF is returned byte for byte even after the timeline grew.
    with pytest.raises(ReportLocked):
        service.update_draft(report, edits=Edits(summary="autre"))
    with pytest.raises(ReportLocked):
        service.sign(report, signatures())
    with report_lab.database.session() as session:
        session.add(TimelineEvent(ticket_id=info.ticket_id, intervention_id=info.intervention_id, kind="note",
                                  summary="plus tard", body="Ajouté après la signature"))  # fmt: skip
    assert service.pdf(report) == document
    assert "Ajouté après la signature" not in str(service.build(report).content)
    # The signing went on the timeline.
    with report_lab.database.session() as session:
        event = session.query(TimelineEvent).filter_by(kind="report").one()
        assert event.data["data_sha256"] == info.data_sha256
        assert "Dr Hélène Fabre" in event.summary


def test_a_change_after_signing_is_a_new_revision(report_lab: ReportLab) -> None:
    service = report_lab.service
    first = service.sign(report_lab.draft(), signatures())
    second = service.new_revision(first.id)
    assert (second.number, second.revision, second.state) == (first.number, 2, "draft")
    service.update_draft(second.id, edits=Edits(summary="Correction du résumé."))
    signed = service.sign(second.id, signatures())
    assert signed.data_sha256 != first.data_sha256
    assert "rév. 2" in pdf_text(service.pdf(second.id))
    # Opening the ticket's report now gives the latest revision.
    assert service.open_draft(first.ticket_id).id == second.id
    assert [report.revision for report in service.reports_of(first.ticket_id)] == [1, 2]


def test_verification_recomputes_the_hash_and_finds_the_archived_copy(report_lab: ReportLab) -> None:
    service = report_lab.service
    info = service.sign(report_lab.draft(), signatures())
    document = service.pdf(info.id)
    result = verify_pdf(document, report_lab.database)
    assert result.verdict is Verdict.AUTHENTIC and result.data_sha256 == info.data_sha256
    assert "INC-2026-01053" in result.message
    # Without the archive, the PDF is still consistent with its own data and signatures.
    assert verify_pdf(document, None).verdict is Verdict.CONSISTENT
    # A changed page (same length, one word) is caught by the archive.
    altered = document.replace(b"/Title", b"/Titla", 1)
    assert altered != document
    assert verify_pdf(altered, report_lab.database).verdict is Verdict.ALTERED
    # A draft carries no data; a text file is no PDF.
    draft = service.pdf(service.new_revision(info.id).id)
    assert verify_pdf(draft, report_lab.database).verdict is Verdict.UNREADABLE
    assert verify_pdf(b"hello", report_lab.database).verdict is Verdict.UNREADABLE


def test_signing_needs_both_roles(report_lab: ReportLab) -> None:
    with pytest.raises(ReportError, match="signed by the customer and the engineer"):
        report_lab.service.sign(report_lab.draft(), signatures()[:1])


def test_the_signature_block_never_starts_a_page_alone(report_lab: ReportLab) -> None:
    """Whatever the length of the recommendations, the page with the signatures has report content above them."""
    from supportstation.reports import pdf
    from supportstation.reports.document import render_html
    from supportstation.reports.templates import ReportTemplates

    service = report_lab.service
    built = service.build(report_lab.draft())
    templates = ReportTemplates(None, "default", "fr")
    moved = 0
    for lines in range(0, 90, 3):
        content = {**built.content, "recommendations": "\n".join(f"Point {n}" for n in range(lines)), "actions": []}
        html = render_html(content, templates, draft=True)
        document = pdf.write_pdf(html.html, html.images, service.decor(built))
        pages = pdf_pages(document)
        page = next(page for page in pages if "Signature du client" in page)
        before = page.split("Signature du client")[0]
        assert "Point" in before or "Recommandations" in before, (lines, page[:300])
        moved += "Recommandations" in page and pages.index(page) > 0 and "Temps passé" not in page
    assert moved, "no length made the signatures fall at the top of a page: the test proves nothing"


def test_a_ticket_without_intervention_gets_a_clear_error(report_lab: ReportLab) -> None:
    with report_lab.database.session() as session:
        reference = next(ticket.reference for ticket in session.query(Ticket) if not ticket.interventions)
    with pytest.raises(ReportError, match=f"{reference} has no intervention"):
        report_lab.service.open_draft(report_lab.ticket_id(reference), language="en")


def test_binary_and_huge_outputs_are_described_not_dumped(report_lab: ReportLab) -> None:
    from supportstation.demo_work import record_command

    with report_lab.database.session() as session:
        ticket = session.query(Ticket).filter_by(reference="INC-2026-01053").one()
        intervention = session.query(Intervention).filter_by(ticket_id=ticket.id).one()
        at = intervention.started_at + timedelta(minutes=50)
        record_command(session, ticket, intervention, at=at, target="nas", command="cat /bin/ls",
                       output=b"\x7fELF\x00\x01" * 1000)  # fmt: skip
        record_command(session, ticket, intervention, at=at, target="nas", command="yes | head -c 3M",
                       output=b"y\n" * 1_500_000)  # fmt: skip
    content = report_lab.service.build(report_lab.draft()).content
    binary = next(action for action in content["actions"] if action["command"] == "cat /bin/ls")
    assert binary["output"] == "[sortie binaire, 6000 octets]"
    huge = next(action for action in content["actions"] if action["command"].startswith("yes"))
    assert len(huge["output"]) < 300 * 1024 and huge["output"].endswith("mais pas dans le rapport]")
    assert huge["output_excerpt"]["omitted"] > 100_000
