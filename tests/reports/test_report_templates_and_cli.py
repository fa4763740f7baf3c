"""Company templates (override, named sets, broken ones) and the `reports render|verify` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportstation.reports.document import render_html
from supportstation.reports.templates import REPORT, ReportTemplates, TemplateSetError, available_sets
from tests.integration.test_remote_cli import supportstation
from tests.reports.report_lab import ReportLab, pdf_text, signatures


def _write(config: Path, name: str, language: str, text: str) -> Path:
    path = config / "report_templates" / name / language / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_company_override_extends_the_shipped_template(report_lab: ReportLab) -> None:
    _write(
        report_lab.config,
        "default",
        "fr",
        '{% extends "shipped/report.html.j2" %}{% block title %}Bon d\'intervention{% endblock %}\n'
        "{% block extra_sections %}<h2>Garantie</h2><p>Pièces garanties un an.</p>{% endblock %}",
    )
    built = report_lab.service.build(report_lab.draft())
    assert not built.problems
    assert "Bon d&#39;intervention" in built.html.html or "Bon d'intervention" in built.html.html
    assert "<h2>Garantie</h2>" in built.html.html
    assert "Actions réalisées" in built.html.html  # everything else comes from the shipped template


def test_a_named_set_is_chosen_and_an_unknown_one_is_refused(report_lab: ReportLab) -> None:
    _write(report_lab.config, "atelier", "fr", "<p>Atelier {{ report.number }}</p>")
    assert available_sets(report_lab.config) == ["atelier", "default"]
    built = report_lab.service.build(report_lab.draft(), template="atelier")
    assert "Atelier RI-2026-0001" in built.html.html
    with pytest.raises(TemplateSetError, match=r"no report template set named nope \(known: atelier, default\)"):
        ReportTemplates(report_lab.config, "nope", "fr")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("<p>ok</p>\n<p>ok</p>\n{% if report.number %}<p>unclosed</p>\n", 3, "Unexpected end of template"),
        ("<p>ok</p>\n<p>{{ report.no_such_field }}</p>\n", 2, "no_such_field"),
        ("<p>{{ report.number }}</p>\n\n<p>{{ 1 / 0 }}</p>\n", 3, "division by zero"),
    ],
)
def test_a_broken_template_names_its_line_and_the_shipped_one_is_used(
    report_lab: ReportLab, text: str, line: int, message: str
) -> None:
    path = _write(report_lab.config, "default", "fr", text)
    built = report_lab.service.build(report_lab.draft())
    assert len(built.problems) == 1
    assert f"{path} has an error at line {line}" in built.problems[0] and message in built.problems[0]
    assert "Actions réalisées" in built.html.html


def test_a_template_cannot_reach_python_internals(report_lab: ReportLab) -> None:
    _write(report_lab.config, "default", "fr", "{{ report.__class__.__mro__[1].__subclasses__() }}")
    built = report_lab.service.build(report_lab.draft())
    assert built.problems and "unsafe" in built.problems[0]


def test_the_html_escapes_what_the_timeline_holds(report_lab: ReportLab) -> None:
    built = report_lab.service.build(report_lab.draft())
    content = {**built.content, "summary": "<script>alert(1)</script> & <b>gras</b>"}
    html = render_html(content, ReportTemplates(None, "default", "fr"), draft=True).html
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_render_and_verify_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "home"
    out = tmp_path / "rapport.pdf"
    result = supportstation(data, "--lang", "fr", "reports", "render", "INC-2026-01053", "--pdf", str(out))
    assert result.returncode == 0, result.stderr
    assert "RI-2026-0001 rév. 1 (brouillon)" in result.stdout
    text = pdf_text(out.read_bytes())
    assert "Rapport d'intervention" in text and "Page 1 sur" in text and "smartctl" in text
    english = supportstation(data, "--lang", "en", "reports", "render", "INC-2026-01053", "--pdf", str(out))
    assert english.returncode == 0 and "Intervention report" in pdf_text(out.read_bytes())
    # A draft carries nothing to verify.
    verify = supportstation(data, "reports", "verify", str(out), "--json")
    assert verify.returncode == 1 and json.loads(verify.stdout)["verdict"] == "unreadable"
    unknown = supportstation(data, "reports", "render", "INC-2026-01053", "--pdf", str(out), "--template", "nope")
    assert unknown.returncode == 1 and "no report template set named nope" in unknown.stderr
    missing = supportstation(data, "reports", "render", "INC-1", "--pdf", str(out))
    assert missing.returncode == 1 and "no ticket with the reference INC-1" in missing.stderr
    no_intervention = supportstation(data, "reports", "render", "INC-2026-01042", "--pdf", str(out))
    assert no_intervention.returncode == 1 and "has no intervention to report on" in no_intervention.stderr


def test_verify_a_signed_pdf_from_the_command_line(tmp_path: Path) -> None:
    from supportstation.reports.service import ReportService
    from supportstation.settings import Settings
    from supportstation.storage import connect, sqlite_url
    from tests.integration.test_remote_cli import demo_database

    data = tmp_path / "home"
    out = tmp_path / "draft.pdf"
    assert supportstation(data, "reports", "render", "INC-2026-01053", "--pdf", str(out)).returncode == 0
    database = connect(sqlite_url(demo_database(data)), backups=tmp_path / "b", create_missing=False)
    try:
        service = ReportService(database, Settings(), None, None)
        report = service.open_draft(service.ticket_id("INC-2026-01053"))
        service.sign(report.id, signatures())
        signed = tmp_path / "signed.pdf"
        signed.write_bytes(service.pdf(report.id))
    finally:
        database.close()
    result = supportstation(data, "reports", "verify", str(signed))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is the signed report RI-2026-0001 rev. 1 of ticket INC-2026-01053" in result.stdout
    # The CLI now writes the signed report exactly as archived.
    again = tmp_path / "again.pdf"
    assert supportstation(data, "reports", "render", "INC-2026-01053", "--pdf", str(again)).returncode == 0
    assert again.read_bytes() == signed.read_bytes()
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(signed.read_bytes().replace(b"/Title", b"/Titla", 1))
    result = supportstation(data, "reports", "verify", str(tampered))
    assert result.returncode == 1 and "changed after signing" in result.stdout
