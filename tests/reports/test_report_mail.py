"""A signed report's e-mail, from the database and the shipped (or the company's) templates, in French and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportstation.reports import mail
from supportstation.reports.report_mail import compose_report_mail, suggested_recipients
from supportstation.settings import CompanyDetails, EngineerProfile, MailSettings, Settings
from supportstation.storage.database import Database
from supportstation.storage.report_models import Report
from tests.reports.conftest import PDF, seed


def settings(*, signature: str = "") -> Settings:
    return Settings(
        profile=EngineerProfile(
            name="Émilie Ingénieure", email="emilie@infogerance.example.fr", phone="06 12 34 56 78",
            signature_block=signature,
        ),
        company=CompanyDetails(name="Infogérance Rhône SAS"),
        mail=MailSettings(host="smtp.example.test", from_address="emilie@infogerance.example.fr"),
    )  # fmt: skip


def set_language(database: Database, report_id: int, language: str) -> None:
    with database.session() as session:
        session.get(Report, report_id).language = language


def test_the_french_mail_names_the_report_ticket_site_and_signing_date(sqlite_database: Database) -> None:
    seeded = seed(sqlite_database)
    with sqlite_database.session() as session:
        composed = compose_report_mail(
            session, seeded.report_id, settings(), None, to=suggested_recipients(session, seeded.report_id)
        )
    assert composed.problems == []
    message = mail.parse_message(mail.message_bytes(composed.message))
    assert str(message["Subject"]) == (
        "Rapport d'intervention RI-2026-0042 – INC-2026-01042 : Serveur de fichiers arrêté après la coupure électrique"
    )
    assert str(message["To"]) == "Jeanne Dupré <jeanne.dupre@clinique.example.fr>"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Bonjour Jeanne Dupré,")
    assert "rapport d'intervention RI-2026-0042" in body and "(site : Bâtiment B)" in body
    assert "signé le 12/03/2026 à 17:05" in body  # 16:05 UTC, in the clinic's time zone
    signature = "Émilie Ingénieure\nInfogérance Rhône SAS\n06 12 34 56 78\nemilie@infogerance.example.fr"
    assert body.rstrip().endswith(signature)
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "RI-2026-0042-r1.pdf" and attachment.get_content() == PDF


def test_the_english_mail_uses_the_engineers_own_signature(sqlite_database: Database) -> None:
    seeded = seed(sqlite_database)
    set_language(sqlite_database, seeded.report_id, "en")
    with sqlite_database.session() as session:
        composed = compose_report_mail(
            session, seeded.report_id, settings(signature="Émilie\nSupport N2"), None, to=["a@example.fr"]
        )
    message = mail.parse_message(mail.message_bytes(composed.message))
    assert str(message["Subject"]).startswith("Intervention report RI-2026-0042 – INC-2026-01042: Serveur")
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Dear Jeanne Dupré,") and "signed on 2026-03-12 17:05" in body
    assert body.rstrip().endswith("Kind regards,\n\nÉmilie\nSupport N2")


def test_a_broken_company_template_is_reported_and_the_shipped_one_used(
    sqlite_database: Database, tmp_path: Path
) -> None:
    seeded = seed(sqlite_database)
    own = tmp_path / "config" / "report_templates" / "default" / "fr"
    own.mkdir(parents=True)
    (own / "mail_subject.txt.j2").write_text("{{ report.numero }} pour {{ client.name }}", encoding="utf-8")
    (own / "mail_body.txt.j2").write_text("Bonjour de {{ company.name }}, rapport {{ report.number }}.\n", "utf-8")
    with sqlite_database.session() as session:
        composed = compose_report_mail(session, seeded.report_id, settings(), tmp_path / "config", to=["a@example.fr"])
    assert str(composed.message["Subject"]).startswith("Rapport d'intervention RI-2026-0042")
    [problem] = composed.problems
    assert "mail_subject.txt.j2" in problem and "numero" in problem
    body = composed.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body == "Bonjour de Infogérance Rhône SAS, rapport RI-2026-0042.\n"


def test_a_draft_report_cannot_be_mailed(sqlite_database: Database) -> None:
    seeded = seed(sqlite_database)
    with sqlite_database.session() as session:
        report = session.get(Report, seeded.report_id)
        report.state, report.pdf = "draft", None
    with sqlite_database.session() as session, pytest.raises(mail.MailError, match="not signed yet: sign it"):
        compose_report_mail(session, seeded.report_id, settings(), None, to=["a@example.fr"])
