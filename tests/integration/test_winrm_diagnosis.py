"""`winrm diagnose`: each failure an engineer meets on site, provoked against the WS-Management simulator, and the
step that explains it with its fix. The password is never sent to a host whose certificate is not trusted."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.remote.certificates import CertificatePins
from supportstation.remote.targets import Target, parse_target
from supportstation.remote.winrm_diagnosis import Step, StepState, diagnose

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, WinRMSimulator, make_cert_pair

from tests.integration.conftest import sha256_of

USER, PASSWORD = "admin", "Secr3t!"


@pytest.fixture
def https_sim(certs: CertPair) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users={USER: PASSWORD}, https=certs) as simulator:
        yield simulator


def target(url: str, **options: object) -> Target:
    parsed = parse_target(url)
    assert parsed.winrm is not None
    return dataclasses.replace(parsed, winrm=dataclasses.replace(parsed.winrm, **options))  # type: ignore[arg-type]


def steps_of(url_or_target: str | Target, password: str | None = PASSWORD, **options: object) -> dict[str, Step]:
    pins = options.pop("pins", None)
    chosen = target(url_or_target, **options) if isinstance(url_or_target, str) else url_or_target
    steps = list(diagnose(chosen, password, pins=pins, timeout=3))  # type: ignore[arg-type]
    return {step.name.split(" ")[0]: step for step in steps}  # "Name", "TCP", "TLS", "WinRM", "Login", "Clock"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_healthy_host_passes_every_step(https_sim: WinRMSimulator, certs: CertPair) -> None:
    steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{https_sim.port}", ca_file=certs.ca)
    assert [step.state for step in steps.values()] == [StepState.OK] * 5, steps
    assert "127.0.0.1" in steps["Name"].detail
    assert sha256_of(certs)[:2].upper() in steps["TLS"].detail and "Verified" in steps["TLS"].detail
    assert "negotiate" in steps["WinRM"].detail and "basic" in steps["WinRM"].detail


def test_a_name_that_does_not_resolve() -> None:
    steps = steps_of(f"winrm+https://{USER}@no-such-host.invalid:5986")
    assert list(steps) == ["Name"] and steps["Name"].state is StepState.FAILED
    assert "does not resolve" in steps["Name"].detail and "DNS" in steps["Name"].fix


def test_a_closed_port_says_winrm_is_not_enabled() -> None:
    steps = steps_of(f"winrm+http://{USER}@127.0.0.1:{free_port()}")
    assert steps["TCP"].state is StepState.FAILED and "refused" in steps["TCP"].detail
    assert "winrm quickconfig" in steps["TCP"].fix and "Login" not in steps


def test_http_without_https_listener_is_named(tmp_path: Path) -> None:
    try:
        http_only = WinRMSimulator(users={USER: PASSWORD}, port=5985).start()
    except OSError:
        pytest.skip("port 5985 is taken on this machine")
    try:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", 5986)) == 0:
                pytest.skip("port 5986 is taken on this machine")
        steps = steps_of(f"winrm+https://{USER}@127.0.0.1:5986")
    finally:
        http_only.stop()
    assert steps["TCP"].state is StepState.FAILED
    assert "no HTTPS listener" in steps["TCP"].fix and "-transport:https" in steps["TCP"].fix


def test_tls_on_a_plain_http_port() -> None:
    with WinRMSimulator(users={USER: PASSWORD}) as http_only:
        steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{http_only.port}")
    assert steps["TLS"].state is StepState.FAILED and "winrm+http://" in steps["TLS"].fix
    assert "Login" not in steps


def test_an_untrusted_certificate_is_shown_and_the_password_kept(https_sim: WinRMSimulator, certs: CertPair) -> None:
    steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{https_sim.port}")
    assert steps["TLS"].state is StepState.WARNING and "GetCertHashString('SHA256')" in steps["TLS"].fix
    assert ":".join([sha256_of(certs).upper()[i : i + 2] for i in range(0, 8, 2)]) in steps["TLS"].detail
    assert steps["WinRM"].state is StepState.OK  # the schemes are read without credentials
    assert steps["Login"].state is StepState.SKIPPED and "not sent" in steps["Login"].detail
    assert https_sim.command_lines == [] and https_sim.open_shells == 0


def test_a_pinned_certificate_lets_the_login_through_and_a_changed_one_stops(
    tmp_path: Path, https_sim: WinRMSimulator, certs: CertPair
) -> None:
    pins = CertificatePins(tmp_path / "pins")
    url = f"winrm+https://{USER}@127.0.0.1:{https_sim.port}"
    (tmp_path / "pins").write_text(f"127.0.0.1:{https_sim.port} {sha256_of(certs)}\n")
    steps = steps_of(url, pins=pins)
    assert steps["TLS"].state is StepState.OK and "Pinned" in steps["TLS"].detail
    assert steps["Login"].state is StepState.OK
    changed = steps_of(url, cert_fingerprint="cd" * 32)
    assert changed["TLS"].state is StepState.FAILED and "not the pinned certificate" in changed["TLS"].detail
    assert "WinRM" not in changed and "Login" not in changed


def test_an_expired_certificate(tmp_path: Path) -> None:
    expired = make_cert_pair(tmp_path, expired=True)
    with WinRMSimulator(users={USER: PASSWORD}, https=expired) as simulator:
        steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{simulator.port}", ca_file=expired.ca)
    assert steps["TLS"].state is StepState.FAILED and "Expired" in steps["TLS"].detail
    assert "CertificateThumbprint" in steps["TLS"].fix and steps["Login"].state is StepState.SKIPPED


def test_an_authentication_scheme_the_host_does_not_offer(certs: CertPair) -> None:
    with WinRMSimulator(users={USER: PASSWORD}, https=certs, auth=("ntlm",)) as simulator:
        steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{simulator.port}", ca_file=certs.ca, auth="basic")
    assert steps["WinRM"].state is StepState.FAILED and "not basic" in steps["WinRM"].detail
    assert "Basic=" in steps["WinRM"].fix and "Login" not in steps


def test_a_wrong_password(https_sim: WinRMSimulator, certs: CertPair) -> None:
    url = f"winrm+https://{USER}@127.0.0.1:{https_sim.port}"
    steps = steps_of(url, password="wrong-password", ca_file=certs.ca)
    assert steps["Login"].state is StepState.FAILED and "wrong user name or password" in steps["Login"].detail
    assert "LocalAccountTokenFilterPolicy" in steps["Login"].fix
    assert all("wrong-password" not in step.detail + step.fix for step in steps.values())
    missing = steps_of(url, password=None, ca_file=certs.ca)
    assert missing["Login"].state is StepState.SKIPPED and "--password-env" in missing["Login"].fix


def test_a_server_error_when_the_shell_opens(https_sim: WinRMSimulator, certs: CertPair) -> None:
    https_sim.faults.http_500 = 1
    steps = steps_of(f"winrm+https://{USER}@127.0.0.1:{https_sim.port}", ca_file=certs.ca)
    assert steps["Login"].state is StepState.FAILED and "500" in steps["Login"].detail
    assert "Event Viewer" in steps["Login"].fix


def test_the_cli_prints_the_steps_and_fails_on_a_problem(tmp_path: Path, https_sim: WinRMSimulator) -> None:
    from tests.integration.test_remote_cli import supportstation

    shown = supportstation(tmp_path, "winrm", "diagnose", f"winrm+https://{USER}@127.0.0.1:{https_sim.port}")
    assert shown.returncode == 1, shown.stderr
    assert "✔ Name resolution" in shown.stdout and "! TLS certificate" in shown.stdout
    assert "– Login as admin" in shown.stdout and "To fix:" in shown.stdout
