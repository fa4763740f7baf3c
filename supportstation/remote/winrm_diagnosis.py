"""Why a Windows host does not answer over WinRM, checked step by step and said in plain words, with the likely fix.

    for step in diagnose(target, password, pins=pins):   # blocking: run it in a worker thread
        show(step)                                        # each step as soon as it is known

Name resolution, the TCP port, the TLS handshake and certificate, the WS-Management endpoint and the authentication
schemes it offers (read from its 401 answer, before any credential is sent), and last the login itself, which is tried
only when the certificate is trusted: the password never goes to a host whose identity is unproven.
"""

from __future__ import annotations

import enum
import socket
import ssl
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from urllib3.exceptions import InsecureRequestWarning

from supportstation.i18n import _
from supportstation.remote.certificates import CertificatePins, fetch_certificate, normalise_fingerprint
from supportstation.remote.results import AuthenticationFailed, ConnectError
from supportstation.remote.targets import WINRM_HTTP_PORT, WINRM_HTTPS_PORT, Target

KERBEROS_MAX_SKEW_S = 300  # Kerberos refuses a client whose clock is more than 5 minutes off
# The schemes a WinRM service names in WWW-Authenticate for each way of logging in this app offers.
SCHEMES_FOR_AUTH = {
    "ntlm": ("negotiate", "ntlm"),
    "kerberos": ("negotiate", "kerberos"),
    "credssp": ("credssp",),
    "basic": ("basic",),
}


class StepState(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Step:
    name: str  # what was checked, e.g. "TCP port 5986"
    state: StepState
    detail: str  # what was found
    fix: str = ""  # what to do about it, when something is wrong


def diagnose(
    target: Target, password: str | None, *, pins: CertificatePins | None = None, timeout: float = 5.0
) -> Iterator[Step]:
    """The checks, in order, each yielded as soon as it is done; stops where the next check cannot mean anything."""
    winrm = target.winrm
    assert winrm is not None, "diagnose needs a WinRM target"
    host, port = target.host, target.port

    address = yield from _resolve(host, port)
    if address is None:
        return
    if not (yield from _tcp(host, address, port, winrm.https, timeout)):
        return
    trust = Trust(trusted=True, pin="")
    if winrm.https:
        checked = yield from _certificate(target, pins, timeout)
        if checked is None:
            return
        trust = checked
    schemes = yield from _endpoint(target, timeout)
    if schemes is None:
        return
    yield from _login(target, password, trust)


@dataclass(frozen=True)
class Trust:
    trusted: bool  # by a CA or a pin: the password may be sent
    pin: str  # the pinned SHA-256 that vouches for it, if a pin does


# -- the steps --------------------------------------------------------------------------------------------------------


def _resolve(host: str, port: int) -> Iterator[Step]:  # returns the address through StopIteration's value
    name = _("Name resolution")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        yield Step(
            name,
            StepState.FAILED,
            _("The name {host} does not resolve to an address ({reason}).").format(
                host=host, reason=getattr(error, "strerror", None) or error
            ),
            _(
                "Check the spelling; on a client's network, use its DNS server (or the host's IP address). A "
                "workstation name without a domain may need the full name (host.domain.local)."
            ),
        )
        return None
    addresses = sorted({str(info[4][0]) for info in infos})
    yield Step(name, StepState.OK, _("{host} is {addresses}.").format(host=host, addresses=", ".join(addresses)))
    return addresses[0]


def _tcp(host: str, address: str, port: int, https: bool, timeout: float) -> Iterator[Step]:
    name = _("TCP port {port}").format(port=port)
    started = time.monotonic()
    problem = _connect(address, port, timeout)
    if problem is None:
        milliseconds = (time.monotonic() - started) * 1000
        yield Step(name, StepState.OK, _("Open ({ms:.0f} ms).").format(ms=milliseconds))
        return True
    if problem == "refused":
        detail = _("{host} refused the connection on port {port}: nothing listens there.").format(host=host, port=port)
        other = WINRM_HTTP_PORT if https else WINRM_HTTPS_PORT
        if https and _connect(address, other, timeout) is None:
            fix = _(
                "WinRM answers over HTTP on port {other} but has no HTTPS listener. On the host, as an "
                "administrator: winrm quickconfig -transport:https (it needs a certificate for the host's name), "
                "or connect with winrm+http:// (NTLM encrypts the messages)."
            ).format(other=other)
        else:
            fix = _(
                "WinRM is probably not enabled. On the host, as an administrator: winrm quickconfig (or "
                "Enable-PSRemoting -Force), then allow the port in Windows Firewall."
            )
        yield Step(name, StepState.FAILED, detail, fix)
        return False
    yield Step(
        name,
        StepState.FAILED,
        _("No answer from {host} on port {port} within {seconds:g} s.").format(host=host, port=port, seconds=timeout),
        _(
            'A firewall drops the traffic: on the host, enable the rule "Windows Remote Management" for the '
            "network profile in use (Public blocks it by default); check the network's firewall too."
        ),
    )
    return False


def _connect(address: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "refused"
    except OSError as error:
        return str(error) or "timeout"


def _certificate(target: Target, pins: CertificatePins | None, timeout: float) -> Iterator[Step]:
    """Whether the certificate is trusted, and by which pin; None when TLS itself fails or the pin does not match."""
    assert target.winrm is not None
    name = _("TLS certificate")
    try:
        offered = fetch_certificate(target.host, target.port, timeout, target.winrm.ca_file)
    except (ssl.SSLError, ConnectionResetError, TimeoutError) as error:
        yield Step(
            name,
            StepState.FAILED,
            _("The TLS handshake failed: {reason}").format(reason=getattr(error, "reason", None) or error),
            _(
                "Port {port} answers, but not with TLS: it may be WinRM's HTTP listener (connect with "
                "winrm+http:// and port 5985) or another service."
            ).format(port=target.port),
        )
        return None
    detail = _("{summary}; SHA-256 {fingerprint}.").format(summary=offered.summary(), fingerprint=offered.fingerprint)
    pinned = target.winrm.cert_fingerprint or (pins.get(offered.host_entry) if pins else None)
    renew = _(
        "Renew the certificate on the host and give the new one to the HTTPS listener (winrm set "
        'winrm/config/Listener?Address=*+Transport=HTTPS @{{CertificateThumbprint="…"}}).'
    )
    if offered.expired:
        yield Step(
            name,
            StepState.FAILED if not pinned else StepState.WARNING,
            _("Expired on {date:%Y-%m-%d}: {detail}").format(date=offered.not_after, detail=detail),
            renew,
        )
        if not pinned:
            return Trust(trusted=False, pin="")
    if pinned:
        try:
            expected = normalise_fingerprint(pinned)
        except ValueError as error:
            yield Step(name, StepState.FAILED, str(error), _("Give the fingerprint as 64 hexadecimal digits."))
            return None
        if offered.sha256 != expected:
            yield Step(
                name,
                StepState.FAILED,
                _("It is not the pinned certificate: {detail}").format(detail=detail),
                _(
                    "Nothing was sent. If the client's administrator confirms a new certificate, remove the old pin "
                    "and pin this one; otherwise someone may be intercepting the connection."
                ),
            )
            return None
        if not offered.expired:
            yield Step(name, StepState.OK, _("Pinned: {detail}").format(detail=detail))
        return Trust(trusted=True, pin=expected)
    if offered.problem:
        yield Step(
            name,
            StepState.WARNING,
            _("Not vouched for by a trusted authority ({problem}): {detail}").format(
                problem=offered.problem, detail=detail
            ),
            _(
                "Compare the fingerprint with the host's, read there in PowerShell: (Get-ChildItem "
                "Cert:\\LocalMachine\\My\\<thumbprint>).GetCertHashString('SHA256'); then pin it (the connection "
                "dialog, or --cert-fingerprint)."
            ),
        )
        return Trust(trusted=False, pin="")
    yield Step(name, StepState.OK, _("Verified: {detail}").format(detail=detail))
    return Trust(trusted=True, pin="")


def _endpoint(target: Target, timeout: float) -> Iterator[Step]:
    """An unauthenticated request to /wsman: a WinRM service answers 401 and names the schemes it accepts."""
    assert target.winrm is not None
    name = _("WinRM service and authentication")
    url = target.wsman_url
    try:
        answer = _unauthenticated_post(url, timeout)
    except requests.Timeout:
        yield Step(
            name,
            StepState.FAILED,
            _("The service accepted the connection but did not answer within {seconds:g} s.").format(seconds=timeout),
            _("The WinRM service may be hung or overloaded: on the host, Restart-Service WinRM."),
        )
        return None
    except requests.RequestException as error:
        yield Step(
            name,
            StepState.FAILED,
            _("No HTTP answer: {reason}").format(reason=type(error).__name__),
            _("Port {port} is open but does not speak HTTP: check that it is WinRM's port.").format(port=target.port),
        )
        return None
    if answer.status_code == 404:
        yield Step(
            name,
            StepState.FAILED,
            _("{url} does not exist on this server (HTTP 404).").format(url=url),
            _("The port is served by another web server than WinRM: check the port (5986 for HTTPS, 5985 for HTTP)."),
        )
        return None
    offered = _offered_schemes(answer)
    wanted = SCHEMES_FOR_AUTH.get(target.winrm.auth, ())
    shown = ", ".join(offered) or _("none")
    if answer.status_code != 401:
        yield Step(
            name,
            StepState.WARNING,
            _("Unexpected answer to a request without credentials: HTTP {code}.").format(code=answer.status_code),
        )
    elif not set(offered) & set(wanted):
        yield Step(
            name,
            StepState.FAILED,
            _("The host accepts {offered}, not {auth}.").format(offered=shown, auth=target.winrm.auth),
            _auth_fix(target.winrm.auth),
        )
        return None
    else:
        yield Step(name, StepState.OK, _("WinRM answers and accepts: {offered}.").format(offered=shown))
    if target.winrm.auth == "kerberos":
        yield from _clock(answer)
    return offered


def _unauthenticated_post(url: str, timeout: float) -> requests.Response:
    with warnings.catch_warnings():
        # No credential goes with this request, so the certificate need not be trusted yet (it was checked above).
        warnings.simplefilter("ignore", InsecureRequestWarning)
        return requests.post(
            url,
            data=b"",
            headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
            timeout=timeout,
            verify=False,
            proxies={"http": "", "https": ""},
        )


def _offered_schemes(answer: requests.Response) -> list[str]:
    headers = answer.raw.headers.getlist("WWW-Authenticate") if answer.raw is not None else []
    if not headers and answer.headers.get("WWW-Authenticate"):
        headers = answer.headers["WWW-Authenticate"].split(",")
    return sorted({header.strip().split(" ", 1)[0].lower() for header in headers if header.strip()})


def _auth_fix(auth: str) -> str:
    if auth == "basic":
        return _(
            "Basic is off on the host (the default). Prefer NTLM (--auth ntlm); or, as an administrator on the host: "
            'winrm set winrm/config/service/auth @{{Basic="true"}}.'
        )
    if auth == "credssp":
        return _("On the host, as an administrator: Enable-WSManCredSSP -Role Server; or use NTLM.")
    return _(
        'Negotiate (NTLM and Kerberos) is off on the host: winrm set winrm/config/service/auth @{{Negotiate="true"}}.'
    )


def _clock(answer: requests.Response) -> Iterator[Step]:
    name = _("Clock")
    date = answer.headers.get("Date")
    if not date:
        return
    skew = abs((parsedate_to_datetime(date) - datetime.now(UTC)).total_seconds())
    if skew > KERBEROS_MAX_SKEW_S:
        yield Step(
            name,
            StepState.FAILED,
            _("The host's clock is {minutes:.0f} minutes off this computer's.").format(minutes=skew / 60),
            _("Kerberos refuses more than 5 minutes: set both clocks right (w32tm /resync on the host)."),
        )
    else:
        yield Step(name, StepState.OK, _("The clocks agree within {seconds:.0f} s.").format(seconds=skew))


def _login(target: Target, password: str | None, trust: Trust) -> Iterator[Step]:
    from supportstation.remote.winrm import WinrmEndpoint, close_shell, open_protocol, open_shell

    assert target.winrm is not None
    name = _("Login as {user}").format(user=target.login)
    if not trust.trusted:
        yield Step(
            name,
            StepState.SKIPPED,
            _("Not tried: the password is not sent to a host whose certificate is not trusted."),
            _("Pin the certificate after checking its fingerprint, then diagnose again."),
        )
        return
    if not password:
        yield Step(
            name,
            StepState.SKIPPED,
            _("Not tried: no password for this host."),
            _("Store the password in the vault, or give it with --password-env."),
        )
        return
    endpoint = WinrmEndpoint(
        url=target.wsman_url,
        username=target.login,
        password=password,
        auth=target.winrm.auth,
        ca_file=target.winrm.ca_file,
        pinned_sha256=trust.pin,
    )
    try:
        protocol = open_protocol(endpoint)
        close_shell(protocol, open_shell(protocol, endpoint))
    except AuthenticationFailed as error:
        yield Step(
            name,
            StepState.FAILED,
            str(error),
            _(
                "Check the account: DOMAIN\\user or user@domain for a domain account, .\\user or HOST\\user for a "
                "local one, and its password in the vault. A local administrator other than the built-in one also "
                "needs LocalAccountTokenFilterPolicy = 1 on the host to administer it remotely."
            ),
        )
        return
    except ConnectError as error:
        yield Step(
            name,
            StepState.FAILED,
            str(error),
            _(
                "The host accepted the login but could not open a shell: read the WinRM log in its Event Viewer "
                "(Applications and Services Logs > Microsoft > Windows > Windows Remote Management)."
            ),
        )
        return
    yield Step(name, StepState.OK, _("Logged in and opened a shell."))
