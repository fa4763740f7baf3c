"""The demo's stand-ins, started as `--demo` starts them: an OpenSSH sshd run as the current user for the Linux hosts,
the WinRM simulator, the Cisco IOS switch simulator and the Redfish BMC emulator. On a fresh demo database the hosts
are pointed at them, and the app's core reaches each one through the same host-key store, certificate pins, vault
and plugins the window uses: `uname -s` on srv-mairie, the cisco-ios plugin's `show version` on sw-coeur, the
redfish-bmc plugin's health on idrac-srv-mairie. Stopping leaves no process behind. A stand-in that cannot run
(its simulator not installed, sshd missing) is said in the status bar, and the demo still opens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from supportstation import demo_hosts, demo_sshd
from supportstation.remote.host_keys import HostKeyDecision
from supportstation.storage.enums import CredentialKind

ALL = ["sshd", "WinRM", "switch", "BMC"]


def _missing_for_a_full_demo() -> str:
    """What keeps every stand-in from running here, or ""."""
    if demo_sshd.find_sshd() is None:
        return "OpenSSH's sshd is not installed (tools/bootstrap --test installs openssh-server)"
    try:
        import redfish_simulator  # noqa: F401
        import supportstation_cisco_ios  # noqa: F401
        import supportstation_redfish_bmc  # noqa: F401
        import winrm_simulator  # noqa: F401
        from switch_simulator import missing_reason
    except ImportError as error:
        return f"{error} (tools/bootstrap installs the simulators and the plugins)"
    return missing_reason()


def _processes_under(folder: Path) -> list[str]:
    """The command lines of the processes that name a file under `folder` (the stand-ins' configurations)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                words = Path(entry.path, "cmdline").read_bytes().split(b"\0")
                state = Path(entry.path, "stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if state != "Z" and any(os.fsencode(folder) in word for word in words):
                found.append(b" ".join(words).decode(errors="replace"))
    return found


@pytest.fixture
def full_demo(demo_context) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    reason = _missing_for_a_full_demo()
    if reason:
        if os.environ.get("CI"):  # tools/bootstrap installs them all: CI must not pass by skipping
            pytest.fail(reason)
        pytest.skip(reason)
    yield demo_context


def _host(context: Any, name: str) -> Any:
    from supportstation.storage.models import Host

    with context.database.session() as session:
        host = session.scalars(select(Host).where(Host.name == name)).one()
        session.expunge(host)
        return host


def _target(context: Any, name: str, transports: dict[str, Any]) -> Any:
    from sqlalchemy.orm import selectinload

    from supportstation.remote.workbench import inventory_target
    from supportstation.storage.models import Host

    with context.database.session() as session:
        host = session.scalars(select(Host).where(Host.name == name).options(selectinload(Host.credential))).one()
        return inventory_target(host, transports)


@pytest.mark.fake_switch
@pytest.mark.asyncio
async def test_the_demo_hosts_answer_through_the_apps_core(full_demo: Any) -> None:
    from supportstation.plugins import PluginRegistry
    from supportstation.remote import workbench
    from supportstation.remote.pool import ConnectionPool
    from supportstation.remote.results import RunState
    from supportstation.remote.runs import Runner, RunRequest
    from supportstation.vault import open_vault
    from supportstation.vault.crypto import ScryptParameters

    context = full_demo
    demo_folder = context.paths.data / "demo"
    stand_ins = demo_hosts.start(context.paths, context.database)
    try:
        assert (stand_ins.started, stand_ins.missing) == (ALL, {})
        assert stand_ins.notice == "Demo: hosts played by simulators — sshd, WinRM, switch, BMC"
        sshd = next(running for running in stand_ins._running if isinstance(running, demo_sshd.DemoSshd))

        # Pointed, each with a login of its own and a note saying what plays it.
        for name in demo_hosts.LINUX_HOSTS:
            host = _host(context, name)
            assert (host.address, host.port) == ("127.0.0.1", sshd.port) and demo_hosts.SSH_NOTE in host.notes
        assert f"127.0.0.1:{sshd.port}" in stand_ins.details and sshd.host_fingerprint in stand_ins.details
        assert "not trusted in advance" in stand_ins.details
        switch, bmc = _host(context, "sw-coeur"), _host(context, "idrac-srv-mairie")
        assert switch.address == bmc.address == "127.0.0.1" and _host(context, "sw-atelier").port != switch.port
        assert "Simulateur Cisco IOS" in switch.notes and "Simulateur Redfish" in bmc.notes
        assert bmc.device_options == {"system": "4c4c4544-0047-3510-8052-b4c04f4d5132"}
        untouched = _host(context, "pc-compta")  # no stand-in for it: as the demo made it
        assert untouched.address == "10.10.1.51" and "Simulateur" not in untouched.notes
        with context.database.session() as session:
            from supportstation.storage.models import CredentialRef, Host

            credentials = {
                host.name: (host.credential.kind, host.credential.username, host.credential.vault_key)
                for host in session.scalars(select(Host))
                if host.credential is not None
            }
            assert session.scalar(select(CredentialRef).where(CredentialRef.vault_key == "demo/intervention"))
        assert credentials["srv-mairie"] == (CredentialKind.SSH_KEY, demo_sshd.current_user(),
                                             demo_hosts.SSH_SECRET_PREFIX + sshd.key_id)  # fmt: skip
        assert credentials["sw-coeur"][2] == credentials["sw-atelier"][2] == demo_hosts.SWITCH_SECRET
        assert credentials["pc-compta"][2] == "demo/intervention"  # the demo secrets stay with the stand-ins

        # The vault and the pool as the window makes them; every key and certificate is asked about.
        vault = open_vault(context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
        vault.unlock("demo stand-ins")
        demo_hosts.offer_secrets(vault, stand_ins.secrets)
        registry = PluginRegistry()
        registry.load()
        transports = {transport.name: transport for transport in registry.all_transports()}
        asked: list[Any] = []

        async def engineer_accepts(offered: Any) -> HostKeyDecision:
            asked.append(offered)
            return HostKeyDecision.ACCEPT_ALWAYS

        pool = ConnectionPool(
            workbench.host_key_store(context.paths),
            prompt=engineer_accepts,
            credentials=workbench.vault_credentials(vault),
            transports=transports,
        )
        runner = Runner(pool)
        try:
            uname = await runner.run(RunRequest(_target(context, "srv-mairie", transports), "uname -s", timeout=15))
            assert uname.state is RunState.SUCCEEDED, uname.error or uname.output.text()
            assert uname.stdout.strip() == "Linux"
            assert [offered.fingerprint for offered in asked] == [sshd.host_fingerprint]
            assert f"[127.0.0.1]:{sshd.port}" in (context.paths.data / "known_hosts").read_text()

            for action_id, host_name, expected in (
                ("cisco.show_version", "sw-coeur", "sw-coeur"),
                ("redfish.health", "idrac-srv-mairie", "PS2 Status"),
            ):
                action = registry.find_action(action_id)
                assert action is not None, action_id
                target = _target(context, host_name, transports)
                command = action.commands[target.shell]
                result = await runner.run(RunRequest(target, command, action_id=action_id, timeout=15))
                assert result.state is RunState.SUCCEEDED, result.error or result.output.text()
                table = action.parse(result.stdout)
                assert table is not None and any(expected in row for row in table.rows), table
            assert len(asked) == 3  # the switch's host key and the BMC's certificate too, each asked about once
            assert f"127.0.0.1:{bmc.port}" in (context.paths.data / "winrm_certificates").read_text()
        finally:
            await pool.close()
    finally:
        stand_ins.stop()
    assert _processes_under(demo_folder) == []


def test_the_next_demo_start_points_the_same_hosts_again_without_piling_up(full_demo: Any) -> None:
    from supportstation.storage.models import CredentialRef

    context = full_demo
    for _round in range(2):  # the app starts them at each --demo start, on the same demo database
        stand_ins = demo_hosts.start(context.paths, context.database)
        stand_ins.stop()
        assert stand_ins.started == ALL
    assert _host(context, "srv-mairie").notes.count(demo_hosts.SSH_NOTE) == 1
    assert _host(context, "srv-dossiers").notes.count(demo_hosts.SIMULATOR_NOTE) == 1
    with context.database.session() as session:
        labels = session.scalars(select(CredentialRef.label)).all()
    assert sorted(labels) == sorted(
        ["Compte d'intervention (démo)", "Clé SSH de la démo (sshd local)", "Simulateur WinRM (démo)",
         "Simulateur de switch (démo)", "Simulateur iDRAC (démo)"]
    )  # fmt: skip
    assert _processes_under(context.paths.data / "demo") == []


def test_an_sshd_left_by_a_crashed_demo_is_stopped_at_the_next_start(full_demo: Any) -> None:
    folder = full_demo.paths.data / "demo" / "ssh-stand-in"
    first = demo_sshd.start(folder)
    leftover, first._process = first._process, None  # as if the app had crashed: nobody stops it
    assert leftover is not None
    second = demo_sshd.start(folder)
    try:
        leftover.wait(timeout=5)  # it ended (sshd exits 0 on SIGTERM): stopped by the PID in its PID file
        assert (second.host_fingerprint, second.key_id) == (first.host_fingerprint, first.key_id)  # keys kept
    finally:
        second.stop()
        if leftover.poll() is None:  # the test failed: still no process may outlive it
            leftover.kill()
            leftover.wait(timeout=5)
        assert leftover.stdin is not None
        leftover.stdin.close()  # its lifeline's watcher ends with it
    _wait_until_gone(folder)


def test_the_demo_sshd_stops_when_the_app_that_started_it_is_killed(tmp_path: Path) -> None:
    if demo_sshd.find_sshd() is None:
        pytest.skip("OpenSSH's sshd is not installed (tools/bootstrap --test installs openssh-server)")
    folder = tmp_path / "ssh-stand-in"
    app = subprocess.Popen(
        [sys.executable, "-c", APP_THAT_STARTS_THE_DEMO_SSHD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert app.stdout is not None
        pid = int(app.stdout.readline())  # sshd's PID, once it answers
        assert Path(f"/proc/{pid}").exists() and _processes_under(folder)
        app.kill()  # kill -9: the app stops nothing itself
        app.wait(timeout=5)
        _wait_until_gone(folder)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=5)
        demo_sshd._stop_leftover(folder / "sshd.pid", folder / "sshd_config")  # the test failed: nothing may outlive it


APP_THAT_STARTS_THE_DEMO_SSHD = """
import sys, time
from pathlib import Path
from supportstation import demo_sshd
print(demo_sshd.start(Path(sys.argv[1])).pid, flush=True)
time.sleep(120)
"""


def _wait_until_gone(folder: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _processes_under(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_under(folder) == []


def test_without_sshd_and_the_switch_simulator_the_demo_says_what_is_missing(
    qtbot, demo_context, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from supportstation import paths
    from supportstation.gui.main_window import MainWindow

    monkeypatch.setattr(demo_sshd, "find_sshd", lambda: None)  # as if openssh-server were not installed
    monkeypatch.setitem(__import__("sys").modules, "switch_simulator.demo", None)  # as if not installed
    stand_ins = demo_hosts.start(demo_context.paths, demo_context.database)
    try:
        assert "sshd" in stand_ins.missing and "switch" in stand_ins.missing
        assert stand_ins.notice.endswith("missing: sshd, switch")
        assert "openssh-server" in stand_ins.missing["sshd"]
        assert "tools/bootstrap" in stand_ins.missing["switch"] and "fake-switches" in stand_ins.missing["switch"]
        assert "Not started — sshd: OpenSSH's server (sshd) is not installed" in stand_ins.details
        assert _host(demo_context, "srv-mairie").address == "172.20.0.10"  # left as the demo has it
        assert _host(demo_context, "sw-coeur").address == "172.20.0.2"
        assert not any(key.startswith(("demo/ssh-stand-in/", "demo/switch-simulator")) for key in stand_ins.secrets)

        window = MainWindow(demo_context, paths.resources() / "icons")
        qtbot.addWidget(window)
        window.show()
        window.show_stand_ins(stand_ins)
        assert window.stand_ins_label.isVisibleTo(window)
        assert "missing: sshd, switch" in window.stand_ins_label.text()
        assert "openssh-server" in window.stand_ins_label.toolTip()
    finally:
        stand_ins.stop()


def test_with_no_stand_in_at_all_the_demo_still_opens(qtbot, demo_context, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    from supportstation import paths
    from supportstation.gui.main_window import MainWindow

    monkeypatch.setattr(demo_sshd, "find_sshd", lambda: None)
    for module in ("winrm_simulator.demo", "switch_simulator", "switch_simulator.demo", "redfish_simulator"):
        monkeypatch.setitem(sys.modules, module, None)
    stand_ins = demo_hosts.start(demo_context.paths, demo_context.database)
    assert stand_ins.started == [] and list(stand_ins.missing) == ALL and stand_ins.secrets == {}
    assert stand_ins.notice == "Demo: no simulated hosts — missing: sshd, WinRM, switch, BMC"
    assert "everything else in the demo works" in stand_ins.details
    window = MainWindow(demo_context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    window.show_stand_ins(stand_ins)
    assert "no simulated hosts" in window.stand_ins_label.text()
    stand_ins.stop()


def test_a_stand_in_that_fails_to_start_does_not_stop_the_others(demo_context, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def broken(_folder: Path) -> Any:
        raise OSError("no space left on device")

    monkeypatch.setattr(
        demo_hosts,
        "STARTERS",
        tuple((key, broken if key == "WinRM" else starter) for key, starter in demo_hosts.STARTERS),
    )
    monkeypatch.setattr(demo_sshd, "find_sshd", lambda: None)
    stand_ins = demo_hosts.start(demo_context.paths, demo_context.database)
    try:
        assert "OSError: no space left on device" in stand_ins.missing["WinRM"]
        assert "WinRM" not in stand_ins.started
    finally:
        stand_ins.stop()


def test_only_the_demos_guarded_start_imports_the_simulators() -> None:
    from tests.conftest import ROOT
    from tests.unit.test_architecture import imported_modules

    simulators = ("winrm_simulator", "switch_simulator", "redfish_simulator", "fake_switches", "sushy_tools")
    importers = {
        source.relative_to(ROOT).as_posix()
        for source in (ROOT / "supportstation").rglob("*.py")
        if any(name.split(".")[0] in simulators for name in imported_modules(source))
    }
    assert importers == {"supportstation/demo_hosts.py"}
