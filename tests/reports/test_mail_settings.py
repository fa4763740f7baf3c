"""The mail server settings: saved with the others, loaded back, wrong values set aside, no password ever."""

from __future__ import annotations

import json
from pathlib import Path

from supportstation import settings
from supportstation.settings import MailSettings


def test_mail_settings_default_to_starttls_on_587() -> None:
    mail = settings.Settings().mail
    assert (mail.host, mail.port, mail.security, mail.timeout, mail.ca_file) == ("", 587, "starttls", 30.0, "")
    assert not mail.is_configured


def test_mail_settings_round_trip_and_hold_no_password(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    original = settings.Settings()
    original.mail = MailSettings(
        host="smtp.infogerance.example.fr",
        port=465,
        security="ssl",
        username="emilie",
        from_address="emilie@infogerance.example.fr",
        from_name="Émilie Ingénieure",
        ca_file="/etc/ssl/company-ca.pem",
        timeout=12.5,
    )
    settings.save(original, path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["mail"]["host"] == "smtp.infogerance.example.fr"
    assert not any("password" in key for key in raw["mail"])
    loaded = settings.load(path)
    assert loaded.problem == ""
    assert loaded.settings == original
    assert loaded.settings.mail.is_configured


def test_a_file_without_mail_settings_gets_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "language": "fr", "profile": {"name": "Émilie"}}), "utf-8")
    loaded = settings.load(path).settings
    assert loaded.mail == MailSettings()
    assert loaded.profile.name == "Émilie" and loaded.language == "fr"


def test_wrong_mail_values_fall_back_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    mail = {
        "host": "smtp.example.fr",
        "port": True,  # a bool is an int to Python, not a port
        "security": "tls-please",
        "username": 42,
        "timeout": 20,  # a whole number is a fine float
        "from_address": "a@example.fr",
        "unknown": "ignored",
    }
    path.write_text(json.dumps({"mail": mail}), "utf-8")
    loaded = settings.load(path).settings.mail
    assert loaded == MailSettings(host="smtp.example.fr", timeout=20.0, from_address="a@example.fr")
    assert isinstance(loaded.timeout, float)

    path.write_text(json.dumps({"mail": {"port": 70000, "timeout": -1}}), "utf-8")
    loaded = settings.load(path).settings.mail
    assert (loaded.port, loaded.timeout) == (587, 30.0)


def test_mail_settings_that_are_not_an_object_give_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"mail": "smtp.example.fr"}), "utf-8")
    assert settings.load(path).settings.mail == MailSettings()
