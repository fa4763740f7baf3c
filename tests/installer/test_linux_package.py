"""The Linux package as a user gets it: built by installer/build.py, extracted from the .deb into a temporary root,
and run from there without the project's Python: its version, a demo report rendered to PDF, the four first-party
plugins, a third-party plugin dropped into the user's plugins folder, the window on demo data (--self-test), and an
older version's data folder upgraded on first start with the user's settings, procedures and vault kept."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportstation import __version__, paths
from supportstation.vault import open_vault
from tests.unit.plugin_samples import THIRD_PARTY_PLUGIN, write_distribution

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"cisco-ios", "linux-diag", "redfish-bmc", "windows-diag"}
DEMO_TICKET = "INC-2026-01053"  # the demo's ticket with a finished intervention (supportstation.demo.WORKED_TICKET)
OLDER_REVISION = "0009"  # the schema of an earlier build: the new one must migrate it, keeping a backup
VAULT_PASSWORD = "Phrase de passe du coffre"


@dataclass
class Installed:
    root: Path  # where the .deb was extracted: root/opt/supportstation, root/usr/bin...
    deb: Path

    @property
    def program(self) -> Path:
        return self.root / "opt" / "supportstation" / "supportstation"

    def run(self, *arguments: str, data: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Runs the bundled app as a user would, with nothing of the project's Python in its environment."""
        environment = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(data.parent),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
        }
        return subprocess.run(
            [str(self.program), "--data-dir", str(data), *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment,
            cwd=data.parent,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    if importlib.util.find_spec("PyInstaller") is None or shutil.which("dpkg-deb") is None:
        if os.environ.get("CI"):
            pytest.fail("tools/bootstrap --test installs PyInstaller, and CI needs dpkg-deb")
        pytest.skip("building the package needs PyInstaller (.venv/bin/pip install pyinstaller) and dpkg-deb")
    built = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--fast"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(built.stdout[-1500:])
    [deb] = (ROOT / "dist").glob(f"supportstation_{__version__}_*.deb")
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    yield Installed(root, deb)


def test_the_package_installs_the_app_its_launcher_and_its_menu_entry(installed: Installed, tmp_path: Path) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(installed.deb), "Package", "Version", "Depends"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Package: supportstation" in fields and f"Version: {__version__}" in fields
    assert "libxcb-cursor0" in fields  # what Qt's xcb platform needs from the system
    launcher = installed.root / "usr" / "bin" / "supportstation"
    assert "/opt/supportstation/supportstation" in launcher.read_text()
    assert os.access(launcher, os.X_OK)
    desktop = (installed.root / "usr" / "share" / "applications" / "supportstation.desktop").read_text()
    assert "Exec=supportstation" in desktop and "Comment[fr]=" in desktop
    assert (installed.root / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "supportstation.png").exists()
    version = installed.run("--version", data=tmp_path / "data")
    assert version.returncode == 0 and version.stdout.strip() == f"SupportStation {__version__}"


def test_the_bundled_app_renders_a_demo_report_to_pdf(installed: Installed, tmp_path: Path) -> None:
    pdf = tmp_path / "rapport.pdf"
    rendered = installed.run("--demo", "--lang", "fr", "reports", "render", DEMO_TICKET, "--pdf", str(pdf),
                             data=tmp_path / "data")  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Rapport d'intervention" in text and DEMO_TICKET in text
    assert f"SupportStation {__version__}" in text


def test_the_first_party_plugins_and_a_users_plugin_are_found(installed: Installed, tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = paths.under(data).plugins_folder
    folder.mkdir(parents=True)
    (folder / "acme_hello").mkdir()
    (folder / "acme_hello" / "__init__.py").write_text(THIRD_PARTY_PLUGIN, encoding="utf-8")
    write_distribution(folder, "acme-hello", "supportstation.plugins", {"acme-hello": "acme_hello"}, "0.3.0")

    listed = installed.run("plugins", "list", "--json", data=data)
    assert listed.returncode == 0, listed.stderr
    states = {plugin["name"]: (plugin["state"], plugin["origin"]) for plugin in json.loads(listed.stdout)}
    assert {name for name, (state, _origin) in states.items() if state == "loaded"} == FIRST_PARTY | {"acme-hello"}
    assert states["acme-hello"][1] != states["linux-diag"][1]  # told apart: the user's folder, the bundle
    actions = installed.run("actions", "list", "--json", data=data)
    assert "acme.hello" in {action["id"] for action in json.loads(actions.stdout)}


def test_the_window_opens_on_demo_data(installed: Installed, tmp_path: Path) -> None:
    checked = installed.run("--demo", "--self-test", data=tmp_path / "data")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0] == "window: shown" and lines[-1] == "self-test passed"
    assert sum(line.endswith(": loaded") for line in lines if line.startswith("plugin ")) == len(FIRST_PARTY)
    assert "Traceback" not in checked.stderr


def older_data_folder(data: Path) -> dict[str, bytes]:
    """A data folder as an earlier build left it: its database at an older schema with a client in it, the
    engineer's settings and one of their procedures. Returns the files that must come through untouched."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from supportstation import settings
    from supportstation.storage import schema
    from supportstation.storage.models import Client

    folders = paths.under(data)
    folders.create()
    database = folders.database_file
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, OLDER_REVISION)
        with Session(connection) as session:  # revision 0010 only adds an index: today's model fits 0009's tables
            session.add(Client(name="Cabinet Ancien"))
            session.commit()
    engine.dispose()
    saved = settings.Settings()
    saved.profile = settings.EngineerProfile(name="Camille Martin", email="camille@exemple.fr")
    settings.save(saved, folders.settings_file)
    procedure = folders.procedures_folder / "mon-controle.yaml"
    procedure.parent.mkdir(parents=True, exist_ok=True)
    procedure.write_text("id: perso.controle\ntitle: {fr: Contrôle, en: Check}\nsteps:\n  - id: a\n    run:\n"
                         "      sh: uptime\n")  # fmt: skip
    vault = open_vault(folders, backend="file")  # the encrypted files, where no OS keyring is available
    vault.unlock(VAULT_PASSWORD)
    vault.store("host/srv-ancien", "Mot-de-passe-2025")
    kept = [folders.settings_file, procedure, *(path for path in (folders.data / "vault").rglob("*") if path.is_file())]
    return {str(path): path.read_bytes() for path in kept}


def test_a_new_version_upgrades_an_older_data_folder_and_keeps_the_users_files(
    installed: Installed, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, text

    from supportstation.storage import schema

    data = tmp_path / "data"
    kept = older_data_folder(data)
    checked = installed.run("--self-test", data=data)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    folders = paths.under(data)
    engine = create_engine(f"sqlite:///{folders.database_file}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == schema.HEAD_REVISION
        assert connection.execute(text("SELECT name FROM client")).scalars().all() == ["Cabinet Ancien"]
    engine.dispose()
    [backup] = folders.backups.glob(f"*-rev{OLDER_REVISION}-*.sqlite3")  # the copy made before migrating
    assert backup.stat().st_size > 0
    for path, content in kept.items():
        assert Path(path).read_bytes() == content, path
    vault = open_vault(folders, backend="file")
    vault.unlock(VAULT_PASSWORD)
    assert vault.load_text("host/srv-ancien") == "Mot-de-passe-2025"
