"""Real plugin distributions written to a folder for a test: modules, a `*.dist-info` with entry points, and a tiny
third-party project that pip can build and install without downloading anything (its build backend is in-tree).

Every way a plugin can misbehave is here, beside a well-behaved one that must keep working whatever the others do.
The hanging ones wait on `ssmgr_gate.RELEASE`, which the test sets when it ends, so no thread outlives the session.
"""

from __future__ import annotations

import sys
from pathlib import Path

PREFIX = "ssmgr_"
GATE = f"{PREFIX}gate"

HEADER = f"""\
from pathlib import Path

from supportstation.plugin_api import Action, FactCollector, Panel, ReportSection, Transport, hookimpl
from {GATE} import RELEASE

SUPPORTSTATION_API = 1


def make(action_id, shell="sh"):
    return Action(action_id, action_id, "", "Test", {{shell: "true"}}, ("linux",))


def transport(name, language):
    return Transport(name, name.title(), language, 22, "none", connect=lambda target: None)
"""

PLUGINS = {
    "good": """
@hookimpl
def supportstation_actions():
    return [make("good.one"), make("good.cli", "fakecli")]


@hookimpl
def supportstation_transports():
    return [transport("fake-cli", "fakecli")]


@hookimpl
def supportstation_procedures():
    return [Path(__file__).parent / "ssmgr_procedures"]
""",
    "raises_at_import": "raise RuntimeError('cannot find libfoo.so')\n",
    "refused_at_registration": "@hookimpl\ndef supportstation_actions(target):\n    return []\n",
    "raises_in_hook": "@hookimpl\ndef supportstation_actions():\n    raise KeyError('config')\n",
    "garbage": "@hookimpl\ndef supportstation_actions():\n    return {'garbage.one': make('garbage.one')}\n",
    "hangs": "@hookimpl\ndef supportstation_actions():\n    RELEASE.wait()\n    return [make('hangs.one')]\n",
    "hangs_at_import": "RELEASE.wait()\n",
    "future_api": "SUPPORTSTATION_API = 2\n",
    "text_api": "SUPPORTSTATION_API = '1'\n",
    "late_failure": """
@hookimpl
def supportstation_actions():
    return [make("late.one")]


@hookimpl
def supportstation_procedures():
    raise ValueError("no procedures folder")
""",
    "rival": """
@hookimpl
def supportstation_transports():
    return [transport("fake-cli", "other"), transport("rival", "fakecli"), transport("shelly", "sh"),
            "not a transport", transport("rival-cli", "rivalcli")]


@hookimpl
def supportstation_actions():
    return [make("rival.unspoken", "nobodyspeaks"), make("rival.ok", "rivalcli")]
""",
    "extras": """
def facts(output):
    return {"model": output.strip(), "empty": "", "number": 42}


@hookimpl
def supportstation_fact_collectors():
    return [FactCollector("extras.facts", "Facts", {"sh": "echo X"}, ("linux",), facts),
            FactCollector("good.one", "Clash", {"sh": "true"}, ("linux",), facts), "not a collector"]


@hookimpl
def supportstation_panels():
    return [Panel("extras.panel", "Panel", "ssmgr_extras:build", ("linux",)), Panel("extras.panel", "Again", "a:b")]


@hookimpl
def supportstation_report_sections(context):
    return [ReportSection(f"{len(context.runs)} runs for {context.ticket_reference}", text=context.language)]
""",
    "bad_sections": """
@hookimpl
def supportstation_report_sections(context):
    return ["not a section"]
""",
}

# Entry point names decide the load order: the good plugin loads first and keeps what it contributes.
ENTRY_POINTS = {("a-good" if name == "good" else name.replace("_", "-")): PREFIX + name for name in PLUGINS}


def write_distribution(
    folder: Path, name: str, group: str, entry_points: dict[str, str], version: str = "1.2.3"
) -> None:
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = [f"[{group}]", *(f"{entry} = {value}" for entry, value in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_plugins(folder: Path, group: str, distribution: str = "sample-plugins") -> None:
    """Every sample plugin as a module of one distribution in `folder`, which the caller puts on sys.path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{GATE}.py").write_text("import threading\n\nRELEASE = threading.Event()\n", encoding="utf-8")
    procedures = folder / "ssmgr_procedures"
    procedures.mkdir()
    (procedures / "check.yaml").write_text("id: sample.check\n", encoding="utf-8")
    for name, body in PLUGINS.items():
        (folder / f"{PREFIX}{name}.py").write_text(HEADER + "\n" + body, encoding="utf-8")
    write_distribution(folder, distribution, group, ENTRY_POINTS)


def release_and_forget() -> None:
    """Lets the hung plugins' threads end, and forgets the sample modules so the next test imports them afresh."""
    gate = sys.modules.get(GATE)
    if gate is not None:
        gate.RELEASE.set()
    for module in [name for name in sys.modules if name.startswith(PREFIX)]:
        del sys.modules[module]


# -- a third-party project, as its author would write it -------------------------------------------------------------

BACKEND = '''\
"""A PEP 517 build backend in a few lines, so that pip builds this project without downloading anything."""

import base64
import hashlib
import zipfile
from pathlib import Path

NAME, VERSION, PACKAGE = "acme-hello", "0.3.0", "acme_hello"


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{PACKAGE}-{VERSION}.dist-info"
    files = {
        f"{PACKAGE}/__init__.py": Path(__file__).with_name(PACKAGE).joinpath("__init__.py").read_bytes(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        f"{info}/entry_points.txt": f"[supportstation.plugins]\\nacme-hello = {PACKAGE}\\n".encode(),
    }
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    name = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
        wheel.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
    return name
'''

PROJECT = """\
[build-system]
requires = []
build-backend = "tinybackend"
backend-path = ["."]

[project]
name = "acme-hello"
version = "0.3.0"

[project.entry-points."supportstation.plugins"]
acme-hello = "acme_hello"
"""

THIRD_PARTY_PLUGIN = """\
from supportstation.plugin_api import Action, hookimpl

SUPPORTSTATION_API = 1


@hookimpl
def supportstation_actions():
    return [Action("acme.hello", "Say hello", "", "Test", {"sh": "echo hello"}, ("linux",))]
"""


def write_third_party_project(folder: Path) -> Path:
    """A plugin project folder (pyproject.toml with an entry point), the way a vendor would ship one."""
    (folder / "acme_hello").mkdir(parents=True)
    (folder / "acme_hello" / "__init__.py").write_text(THIRD_PARTY_PLUGIN, encoding="utf-8")
    (folder / "tinybackend.py").write_text(BACKEND, encoding="utf-8")
    (folder / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    return folder


def build_third_party_wheel(project: Path, into: Path) -> Path:
    """The project's wheel, built by its own backend (what `pip wheel` would call)."""
    into.mkdir(parents=True, exist_ok=True)
    namespace: dict[str, object] = {"__file__": str(project / "tinybackend.py")}
    exec(compile((project / "tinybackend.py").read_text(encoding="utf-8"), "tinybackend.py", "exec"), namespace)
    name = namespace["build_wheel"](str(into))  # type: ignore[operator]
    return into / str(name)


def forget_third_party() -> None:
    for module in [name for name in sys.modules if name.startswith("acme_hello")]:
        del sys.modules[module]
