"""`supportstation tickets …` as a script would run it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.test_cli_and_start_up import supportstation

CORPUS = ROOT / "tests" / "data" / "import"


def test_list_is_in_urgency_order_with_sla_states(tmp_path: Path) -> None:
    result = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "list", "--json")
    assert result.returncode == 0, result.stderr
    tickets = json.loads(result.stdout)
    assert len(tickets) == 13
    assert [t["priority"] for t in tickets] == sorted(t["priority"] for t in tickets)
    assert {t["sla_state"] for t in tickets} >= {"breached", "on_track", "paused"}
    text = supportstation(
        "--data-dir", str(tmp_path), "--demo", "--lang", "fr", "tickets", "list", "--search", "mairie"
    )
    assert "Dépassé" in text.stdout or "Dans les temps" in text.stdout
    assert all("Mairie" in line or line.startswith("Prio.") for line in text.stdout.splitlines())


def test_show_prints_the_timeline_and_names_unknown_references(tmp_path: Path) -> None:
    shown = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "show", "INC-2026-01041", "--json")
    document = json.loads(shown.stdout)
    assert document["status"] == "in_progress" and document["timeline"][0]["kind"] == "created"
    assert document["description"] and document["hosts"] and "data" in document["timeline"][0]
    # As text: the description once, each entry's kind in words, and its body (output, note) below it.
    text = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "show", "INC-2026-01041").stdout
    assert text.count(document["description"].strip().splitlines()[0]) == 1
    assert "Created: " in text and " created: " not in text
    notes = [item for item in document["timeline"] if item["kind"] == "note" and item["body"] != item["summary"]]
    assert notes and "    " + notes[0]["body"].strip().splitlines()[0] in text
    french = supportstation("--data-dir", str(tmp_path), "--demo", "--lang", "fr", "tickets", "show", "INC-2026-01041")
    assert "Création : " in french.stdout
    missing = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "show", "NOPE-1")
    assert missing.returncode == 2 and "No ticket has the reference NOPE-1" in missing.stderr
    # References are found as typed: case and spaces aside.
    typed = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "show", " inc-2026-01041", "--json")
    assert typed.returncode == 0 and json.loads(typed.stdout)["reference"] == "INC-2026-01041"


def test_import_dry_run_then_import_then_refuse_duplicates(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path), "--demo", "tickets", "import"]
    source = str(CORPUS / "excel_fr_cp1252_semicolon.csv")
    dry = supportstation(*base, source, "--dry-run", "--json")
    report = json.loads(dry.stdout)
    assert dry.returncode == 0 and report["valid"] == 5 and report["imported"] == 0
    assert report["encoding"] == "cp1252" and report["delimiter"] == ";"
    done = supportstation(*base, source)
    assert done.returncode == 0 and "imported: 5" in done.stdout
    again = supportstation(*base, source)
    assert again.returncode == 1 and "already" in again.stdout
    bad = supportstation(*base, str(CORPUS / "bad_rows.csv"), "--valid-only")
    assert bad.returncode == 0 and "Did you mean 'Boulangeries Lemaire SARL'" in bad.stdout
    garbage = supportstation(*base, str(CORPUS / "garbage.bin"))
    assert garbage.returncode == 1 and "not a text file" in garbage.stderr and "Traceback" not in garbage.stderr


def test_export_for_excel_and_a_timeline_as_json(tmp_path: Path) -> None:
    target = tmp_path / "queue.csv"
    result = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "export", "--excel", "-o", str(target))
    assert result.returncode == 0 and target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.read_text(encoding="utf-8-sig").count("\n") == 14  # the header and the 13 open tickets
    timeline = supportstation("--data-dir", str(tmp_path), "--demo", "tickets", "export", "--format", "json",
                              "--timeline", "INC-2026-01041")  # fmt: skip
    assert timeline.returncode == 0
    assert "Symptômes confirmés" in timeline.stdout
