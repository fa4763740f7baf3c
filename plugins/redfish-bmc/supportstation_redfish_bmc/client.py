"""A Redfish client for server BMCs (Dell iDRAC, HPE iLO, Lenovo XClarity), over the sushy library.

sushy brings the service root, the Redfish session login and its renewal, the reset action and its error classes.
This module reads what sushy has no model for (log services, firmware members, Thermal and Power as the BMC sent
them) and applies SupportStation's security rules:

- TLS: the certificate is verified against `target.ca_file`, or else the system's CAs, with the host name; when the
  engineer pinned it, its SHA-256 is compared right after the handshake instead, before any request (and so any
  credential) goes out, as remote/winrm.py does. Certificate checking is never turned off.
- Requests go to the BMC only: a redirect to another host or to plain HTTP is refused, and proxies, netrc and CA
  bundles named in the environment are ignored.
- Login: a Redfish session (POST to SessionService/Sessions, then X-Auth-Token) when the service root offers one, and
  deleted on close; HTTP basic auth otherwise. A refused password is tried once only, so that the BMC's lockout
  counter (an iDRAC locks an account after a few failures) moves by one per attempt.

Everything here blocks: the engine calls sessions from a worker thread.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import sushy
from requests.adapters import HTTPAdapter
from sushy import auth as sushy_auth
from sushy import connector as sushy_connector
from sushy import exceptions as sushy_exceptions
from sushy.resources import constants as sushy_constants

from supportstation.plugin_api import DeviceConnectionLost, DeviceError, DeviceLoginRefused, DeviceTarget, translations
from supportstation_redfish_bmc.parsers import newest_first_key

_ = translations(__name__)

Json = dict[str, Any]

STANDARD_RESET_TYPES = tuple(member.value for member in sushy_constants.ResetType)
# Where each vendor keeps its system event log, for a BMC that does not link it from its Managers or Systems.
FALLBACK_LOG_SERVICES = (
    ("dell", "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel"),  # the IPMI SEL
    ("hpe", "/redfish/v1/Systems/1/LogServices/IML"),  # Integrated Management Log
    ("hpe", "/redfish/v1/Managers/1/LogServices/IEL"),  # iLO Event Log
    ("lenovo", "/redfish/v1/Systems/1/LogServices/PlatformLog"),  # XClarity Controller, Whitley and later
    ("lenovo", "/redfish/v1/Systems/1/LogServices/StandardLog"),  # XClarity Controller on Purley
)
# Log services that hold hardware events: by LogEntryType, or by the ids vendors give them. Audit, security and
# lifecycle logs (iDRAC Lclog, iLO SL, XClarity AuditLog) are listed as other logs, not read.
EVENT_LOG_TYPES = frozenset({"SEL", "Event"})
EVENT_LOG_IDS = frozenset({"sel", "iml", "iel", "eventlog", "systemeventlog", "platformlog", "standardlog"})
MAX_LOG_ENTRIES = 4096  # read from one log; an iDRAC SEL holds at most 1024, an XClarity platform log 1024
MAX_MEMBERS = 300  # of a firmware inventory or another collection
MAX_PAGES = 200
MAX_CHASSIS = 8
MAX_STORAGE = 16
RETRY_DELAY_S = 1  # before the one retry of a GET answered with a 5xx: BMCs fail now and then while busy


class ActionRefused(Exception):
    """The BMC would not, or did not, do what was asked; nothing is wrong with the connection. The message says why."""


class Cancelled(Exception):
    """The engineer cancelled the command: no request is sent after this."""


class BmcHttpError(DeviceError):
    """The BMC answered an HTTP error for a resource; for optional parts, a note rather than a failure."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BmcNotJson(DeviceError):
    """The BMC answered something other than a Redfish JSON document."""


class _Elsewhere(requests.exceptions.InvalidURL):
    """A request (a redirect, a link) would leave the BMC's HTTPS address."""


def normalise_pin(text: str) -> str:
    """`AB:CD:…`, `abcd…` or `SHA256:…` as 64 lower-case hex digits; DeviceError for anything else."""
    digits = text.strip().removeprefix("SHA256:").removeprefix("sha256:").replace(":", "").replace(" ", "").lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise DeviceError(
            _("The pinned certificate fingerprint {text!r} is not a SHA-256 (64 hexadecimal digits).").format(text=text)
        )
    return digits


def tls_context(target: DeviceTarget) -> tuple[ssl.SSLContext, str]:
    """The TLS context for the target, and the pinned fingerprint ("" when the CAs vouch for the certificate)."""
    if target.pinned_sha256:
        # The fingerprint does the vouching (see _BmcAdapter): no CA store, no host name, as in remote/winrm.py.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context, normalise_pin(target.pinned_sha256)
    try:
        context = ssl.create_default_context(cafile=str(target.ca_file) if target.ca_file else None)
    except (OSError, ssl.SSLError) as error:
        raise DeviceError(
            _("The CA file {path} cannot be used: {error}").format(path=target.ca_file, error=error)
        ) from None
    return context, ""


class _BmcAdapter(HTTPAdapter):
    """Every request of the client goes through here, to the BMC's HTTPS address only, with the trust decided by
    `tls_context`. sushy passes its own `verify` with each request; this adapter replaces it, and keeps requests
    from adding its CA bundle to the context, so that what is trusted is exactly what the target says."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, fingerprint: str) -> None:
        self._host = host.strip("[]").lower()
        self._port = port
        self._context = context
        self._fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if self._fingerprint:
            # urllib3 compares it right after the handshake, before the request is written.
            kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        if parts.scheme != "https" or (parts.hostname or "", parts.port or 443) != (self._host, self._port):
            # A session token or a basic auth header must never reach another address, nor travel in clear.
            raise _Elsewhere(f"{parts.scheme}://{parts.netloc}", request=request)
        return super().send(request, stream=stream, timeout=timeout, verify=not self._fingerprint, proxies={})

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        conn.ca_certs = None  # requests would load certifi's bundle into the context on top of the target's trust
        conn.ca_cert_dir = None


class _SessionWhenOffered(sushy_auth.SessionOrBasicAuth):
    """A Redfish session when the service root offers one, basic auth otherwise. sushy's own class falls back to
    basic auth after any failure, a wrong password included: that would count two failed logins per attempt."""

    def _do_authenticate(self) -> None:
        root = self._root_resource.json or {}
        links = root.get("Links")
        if "SessionService" not in root and not (isinstance(links, dict) and "Sessions" in links):
            self._fallback_to_basic_authentication()
            return
        try:
            sushy_auth.SessionAuth._do_authenticate(self)
        except (sushy_exceptions.AccessError, sushy_exceptions.ConnectionError):
            raise
        except sushy_exceptions.SushyError:
            # Sessions listed but not given (switched off, an answer without a token): basic auth still logs in.
            self._fallback_to_basic_authentication()

    @property
    def uses_session(self) -> bool:
        return self.get_session_resource_id() is not None


def _link(document: Json | None, key: str) -> str | None:
    value = document.get(key) if isinstance(document, dict) else None
    target = value.get("@odata.id") if isinstance(value, dict) else None
    return target if isinstance(target, str) and target else None


def _links(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item["@odata.id"] for item in value if isinstance(item, dict) and isinstance(item.get("@odata.id"), str)]


def _last_segment(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _system_summary(system: Json) -> Json:
    keys = ("@odata.id", "Id", "Name", "HostName", "Manufacturer", "Model", "SerialNumber", "PowerState", "Status")
    return {key: system[key] for key in keys if key in system}


def _is_event_log(service: Json) -> bool:
    return service.get("LogEntryType") in EVENT_LOG_TYPES or str(service.get("Id", "")).lower() in EVENT_LOG_IDS


class BmcClient:
    """A logged-in connection to one BMC: `open()`, then the verbs' methods, then `close()` (always)."""

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target
        self.where = target.host if target.port == 443 else f"{target.host}:{target.port}"
        self.cancelled: threading.Event | None = None
        self._connector: sushy_connector.Connector | None = None
        self._auth: _SessionWhenOffered | None = None
        self._root: sushy.Sushy | None = None
        self._logged_in = False

    @classmethod
    def open(cls, target: DeviceTarget) -> BmcClient:
        client = cls(target)
        try:
            client._open()
        except BaseException:
            client.close()
            raise
        return client

    @property
    def uses_session(self) -> bool:
        return self._auth is not None and self._auth.uses_session

    def _open(self) -> None:
        target = self.target
        if not target.password:
            raise DeviceError(
                _("No password is known for {user} on {where}: a BMC login needs one.").format(
                    user=target.user, where=self.where
                )
            )
        context, fingerprint = tls_context(target)
        host = f"[{target.host}]" if ":" in target.host else target.host
        base_url = f"https://{host}:{target.port}"
        self._connector = sushy_connector.Connector(
            base_url,
            verify=True,  # replaced by _BmcAdapter's trust; True keeps sushy from silencing urllib3's warnings
            server_side_retries=1,  # also the number of attempts after a connection failure: one, not three
            server_side_retries_delay=RETRY_DELAY_S,
            default_request_timeout=target.timeout,
            connect_timeout=target.timeout,
        )
        # sushy has no public hook on its requests session; these are the only changes made to it.
        session = self._connector._session
        session.trust_env = False
        adapter = _BmcAdapter(target.host, target.port, context, fingerprint)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self._auth = _SessionWhenOffered(username=target.user, password=target.password)
        try:
            self._root = sushy.Sushy(base_url, auth=self._auth, connector=self._connector)
        except Exception as error:
            raise self._error(error, "/redfish/v1/") from None
        systems = _link(self._root.json, "Systems")
        if systems is None:
            raise DeviceError(
                _("{where} answers Redfish but lists no computer systems: is it a server's BMC?").format(
                    where=self.where
                )
            )
        self._get(systems)  # basic auth is checked by the first request that needs a login, not by the login
        self._logged_in = True

    def close(self, *, logout: bool = True) -> None:
        """Deletes the Redfish session (a BMC allows only a few at once) and closes the connections. Without
        `logout` after a lost connection: trying would only wait for the timeout again."""
        auth, connector = self._auth, self._connector
        self._auth = self._connector = self._root = None
        if auth is not None and logout:
            with contextlib.suppress(Exception):  # a BMC that is gone ends the session itself when it times out
                auth.close()
        if connector is not None:
            connector.close()

    # -- requests, and what their failures mean to the engineer --

    def _scrub(self, message: str) -> str:
        """`message` without the password: for text the BMC or the network wrote."""
        password = self.target.password
        return message.replace(password, "********") if password else message

    def _login_refused(self) -> DeviceError:
        return DeviceLoginRefused(
            _(
                "{where} refused the login of {user}: wrong user name or password, or the account is locked or"
                " disabled."
            ).format(where=self.where, user=self.target.user)
        )

    def _error(self, error: BaseException, path: str) -> DeviceError:
        """The failure as the engineer should read it. Text that comes from the BMC or the network passes through
        `_scrub` first: a BMC that echoes the request back must not put the password on the screen."""
        where = self.where
        if isinstance(error, DeviceError):
            return error
        if isinstance(error, sushy_exceptions.AccessError):
            if not self._logged_in or error.status_code == 401:
                return self._login_refused()
            return BmcHttpError(
                error.status_code or 403,
                _("{where} refused {path} to {user}: the account lacks the privilege.").format(
                    where=where, path=path, user=self.target.user
                ),
            )
        if isinstance(error, sushy_exceptions.HTTPError):
            status = error.status_code or 0
            detail = self._scrub(str(error.detail or _("no detail given")))
            return BmcHttpError(
                status,
                _("{where} answered HTTP {status} to {path}: {detail}").format(
                    where=where, status=status, path=path, detail=detail
                ),
            )
        if isinstance(error, sushy_exceptions.ConnectionError):
            return self._connection_error(error.__context__)
        if isinstance(error, ValueError):  # the JSON decoder's error, raised inside sushy
            return BmcNotJson(
                _("{where} did not answer with Redfish JSON at {path}: is port {port} the BMC's HTTPS port?").format(
                    where=where, path=path, port=self.target.port
                )
            )
        if isinstance(error, sushy_exceptions.MissingAttributeError):
            return DeviceError(
                _("{where} did not answer with a Redfish service root at {path}: {error}").format(
                    where=where, path=path, error=self._scrub(str(error))
                )
            )
        return DeviceError(f"{where}: {type(error).__name__}: {self._scrub(str(error))}")

    def _connection_error(self, cause: BaseException | None) -> DeviceError:
        where = self.where
        text = self._scrub(str(cause))
        if isinstance(cause, _Elsewhere):
            return DeviceError(
                _("{where} sent the client to {address}, another address: nothing was sent there.").format(
                    where=where, address=cause
                )
            )
        if isinstance(cause, requests.exceptions.SSLError):
            if "fingerprint" in text.lower():
                return DeviceError(
                    _(
                        "{where} presented a certificate other than the one pinned: nothing was sent. Check the"
                        " certificate with the customer's administrator before pinning the new one."
                    ).format(where=where)
                )
            reason = next(
                (known for known in ("self-signed certificate", "certificate has expired", "Hostname mismatch",
                                     "IP address mismatch", "unable to get local issuer certificate")
                 if known.lower() in text.lower()),
                text[-200:],
            )  # fmt: skip
            return DeviceError(
                _(
                    "{where}: its TLS certificate could not be verified ({reason}): nothing was sent. A BMC often has a"
                    " self-signed certificate: check its fingerprint and pin it, or give the CA file that signed it."
                ).format(where=where, reason=reason)
            )
        lost = self._logged_in  # after the login, a failure is the connection lost: the engine opens a new one
        if isinstance(cause, requests.exceptions.Timeout):
            message = _("{where} did not answer within {timeout:g} s.").format(where=where, timeout=self.target.timeout)
        elif "refused" in text.lower():
            message = _("{where} refused the connection: nothing listens on port {port}.").format(
                where=where, port=self.target.port
            )
        elif "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
            message = _("{host} is not a known host name.").format(host=self.target.host)
        elif lost:
            message = _("The connection to {where} was lost.").format(where=where)
        else:
            message = _("{where} could not be reached: {reason}").format(where=where, reason=text[-200:])
        return DeviceConnectionLost(message) if lost else DeviceError(message)

    def _request(self, method: str, path: str, data: Json | None = None) -> requests.Response:
        if self.cancelled is not None and self.cancelled.is_set():
            raise Cancelled
        if self._connector is None:
            raise DeviceConnectionLost(_("The session to {where} is closed.").format(where=self.where))
        try:
            if method == "post":
                return self._connector.post(path, data=data)
            return self._connector.get(path)
        except Exception as error:
            raise self._error(error, path) from None

    def _get(self, path: str) -> Json:
        response = self._request("get", path)
        try:
            document = response.json() if response.content else {}
        except ValueError:
            kind = response.headers.get("Content-Type") or _("no content type")
            raise BmcNotJson(
                _(
                    "{where} did not answer with Redfish JSON at {path} (it sent {kind}): is port {port} the BMC's"
                    " HTTPS port?"
                ).format(where=self.where, path=path, kind=kind, port=self.target.port)
            ) from None
        if not isinstance(document, dict):
            raise BmcNotJson(
                _("{where} answered {path} with JSON that is not a Redfish resource.").format(
                    where=self.where, path=path
                )
            )
        return document

    def _get_optional(
        self, path: str | None, what: str, problems: list[str], *, absent_ok: bool = False
    ) -> Json | None:
        """The document, or None with a note in `problems` when the BMC answers an error for this part only."""
        if path is None:
            return None
        try:
            return self._get(path)
        except BmcHttpError as error:
            if not (absent_ok and error.status == 404):
                problems.append(f"{what}: {error}")
        except BmcNotJson as error:
            problems.append(f"{what}: {error}")
        return None

    def _members(self, collection: Json, limit: int) -> tuple[list[Json], bool]:
        """A collection's members across its pages (Members@odata.nextLink), at most `limit`; and whether all were
        read."""
        members: list[Json] = []
        page = collection
        for _page in range(MAX_PAGES):
            items = page.get("Members")
            if not isinstance(items, list):
                raise BmcNotJson(
                    _("{where} answered a collection without members: {path}.").format(
                        where=self.where, path=page.get("@odata.id")
                    )
                )
            members += [item for item in items if isinstance(item, dict)]
            next_link = page.get("Members@odata.nextLink")
            more = isinstance(next_link, str) and bool(next_link)
            if len(members) >= limit or not more:
                return members[:limit], not more and len(members) <= limit
            page = self._get(str(next_link))
        return members, False

    def _member_paths(self, collection: Json | None, limit: int = MAX_MEMBERS) -> list[str]:
        if collection is None:
            return []
        members, _complete = self._members(collection, limit)
        return _links(members)

    def _root_json(self) -> Json:
        if self._root is None:
            raise DeviceConnectionLost(_("The session to {where} is closed.").format(where=self.where))
        return self._root.json or {}

    def vendor(self) -> str:
        """The vendor in lower case ("dell", "hpe", "lenovo"…): the service root's Vendor, or its first Oem key."""
        root = self._root_json()
        vendor = root.get("Vendor")
        if isinstance(vendor, str) and vendor:
            return vendor.lower()
        oem = root.get("Oem")
        return next(iter(oem)).lower() if isinstance(oem, dict) and oem else ""

    def _system_paths(self) -> list[str]:
        """The systems to act on: the one named by the host's transport option `system`, or all of them."""
        paths = self._member_paths(self._get(_link(self._root_json(), "Systems") or "/redfish/v1/Systems"))
        if not paths:
            raise DeviceError(_("{where} lists no computer system.").format(where=self.where))
        wanted = self.target.options.get("system", "").strip()
        if not wanted:
            return paths
        chosen = [path for path in paths if _last_segment(path) == wanted]
        if not chosen:
            known = ", ".join(_last_segment(path) for path in paths)
            raise DeviceError(
                _("{where} has no system {wanted!r} (option system); it has: {known}.").format(
                    where=self.where, wanted=wanted, known=known
                )
            )
        return chosen

    # -- the verbs --

    def health(self) -> Json:
        problems: list[str] = []
        systems, chassis_paths = [], []
        for path in self._system_paths():
            system = self._get(path)
            storage = []
            # Storage is Redfish's current model; SimpleStorage the one older BMCs (iDRAC 8, iLO 4) offer.
            storage_link = _link(system, "Storage") or _link(system, "SimpleStorage")
            collection = self._get_optional(storage_link, "Storage", problems)
            for member in self._member_paths(collection, MAX_STORAGE):
                document = self._get_optional(member, f"Storage {_last_segment(member)}", problems)
                if document is not None:
                    storage.append(document)
            systems.append({"resource": system, "storage": storage})
            links = system.get("Links")
            for chassis in _links(links.get("Chassis") if isinstance(links, dict) else None):
                if chassis not in chassis_paths:
                    chassis_paths.append(chassis)
        if not chassis_paths:  # a system that does not link its chassis: every chassis of the BMC
            collection = self._get_optional(_link(self._root_json(), "Chassis"), "Chassis", problems)
            chassis_paths = self._member_paths(collection)
        chassis = []
        for path in chassis_paths[:MAX_CHASSIS]:
            document = self._get_optional(path, f"Chassis {_last_segment(path)}", problems)
            if document is None:
                continue
            name = _last_segment(path)
            thermal = self._get_optional(_link(document, "Thermal"), _("Thermal of {name}").format(name=name), problems)
            power = self._get_optional(_link(document, "Power"), _("Power of {name}").format(name=name), problems)
            chassis.append({"resource": document, "thermal": thermal, "power": power})
        return {"verb": "health", "systems": systems, "chassis": chassis, "problems": problems}

    def reset_types(self, system: Json) -> list[str] | None:
        """The ResetType values the system's reset action lists (inline or in its ActionInfo); None when it lists
        none, [] when the system has no reset action."""
        actions = system.get("Actions")
        action = actions.get("#ComputerSystem.Reset") if isinstance(actions, dict) else None
        if not isinstance(action, dict):
            return []
        values = action.get("ResetType@Redfish.AllowableValues")
        info_path = action.get("@Redfish.ActionInfo")
        if values is None and isinstance(info_path, str):
            info = self._get_optional(info_path, "ActionInfo", [])
            parameters = info.get("Parameters") if info else None
            for parameter in parameters if isinstance(parameters, list) else []:
                if isinstance(parameter, dict) and parameter.get("Name") == "ResetType":
                    values = parameter.get("AllowableValues")
        if not isinstance(values, list):
            return None
        return [str(value) for value in values]

    def power_state(self) -> Json:
        systems = []
        for path in self._system_paths():
            system = self._get(path)
            systems.append({"resource": _system_summary(system), "reset_types": self.reset_types(system)})
        return {"verb": "power-state", "systems": systems}

    def power(self, reset_type: str) -> Json:
        """Asks for a reset; ActionRefused when the BMC does not list `reset_type` (nothing is sent) or refuses it."""
        paths = self._system_paths()
        if len(paths) > 1:
            known = ", ".join(_last_segment(path) for path in paths)
            raise ActionRefused(
                _(
                    "{where} manages several systems ({known}): set the host's transport option system to the one to"
                    " act on. Nothing was sent."
                ).format(where=self.where, known=known)
            )
        assert self._root is not None
        try:
            system = self._root.get_system(paths[0])
        except Exception as error:
            raise self._error(error, paths[0]) from None
        document = system.json or {}
        name = str(document.get("HostName") or document.get("Id") or _last_segment(paths[0]))
        allowed = self.reset_types(document)
        listed = allowed is not None
        accepted = allowed if allowed is not None else list(STANDARD_RESET_TYPES)
        if reset_type not in accepted:
            raise ActionRefused(
                _(
                    "{where} does not accept the reset type {reset_type} for {name}: nothing was sent. It accepts:"
                    " {accepted}."
                ).format(
                    where=self.where,
                    reset_type=reset_type,
                    name=name,
                    accepted=", ".join(accepted) or _("none (the system has no reset action)"),
                )
            )
        before = document.get("PowerState")
        try:
            if reset_type in STANDARD_RESET_TYPES:
                if self.cancelled is not None and self.cancelled.is_set():
                    raise Cancelled
                system.reset_system(sushy_constants.ResetType(reset_type))
            else:  # a vendor's own value, listed by the BMC but unknown to sushy
                actions = document.get("Actions") or {}
                target = actions.get("#ComputerSystem.Reset", {}).get("target")
                self._request("post", str(target), {"ResetType": reset_type})
        except Cancelled:
            raise
        except Exception as error:
            translated = self._error(error, paths[0])
            if isinstance(error, sushy_exceptions.InvalidParameterValueError):
                raise ActionRefused(
                    _("{where} does not accept the reset type {reset_type} for {name}.").format(
                        where=self.where, reset_type=reset_type, name=name
                    )
                ) from None
            if isinstance(translated, BmcHttpError) and translated.status < 500:
                detail = getattr(error, "detail", None)
                reason = self._scrub(str(detail)) if detail else str(translated)
                raise ActionRefused(
                    _("{where} refused {reset_type} for {name}: {reason}").format(
                        where=self.where, reset_type=reset_type, name=name, reason=reason
                    )
                ) from None
            raise translated from None
        return {
            "verb": "power",
            "system": {"id": document.get("Id"), "name": name},
            "reset_type": reset_type,
            "power_state_before": before,
            "listed": listed,
        }

    def _log_services(self, problems: list[str]) -> list[Json]:
        """Every log service the Managers and the Systems link to."""
        owners: list[str] = []
        managers = self._get_optional(_link(self._root_json(), "Managers"), "Managers", problems)
        owners += self._member_paths(managers)
        owners += self._system_paths()
        services: list[Json] = []
        seen: set[str] = set()
        for owner in owners:
            document = self._get_optional(owner, _last_segment(owner), problems)
            what = _("Log services of {owner}").format(owner=owner)
            collection = self._get_optional(_link(document, "LogServices"), what, problems)
            for path in self._member_paths(collection):
                if path.rstrip("/") in seen:
                    continue
                seen.add(path.rstrip("/"))
                service = self._get_optional(path, _("Log service {path}").format(path=path), problems)
                if service is not None:
                    service.setdefault("@odata.id", path)
                    services.append(service)
        return services

    def _known_log_services(self, problems: list[str]) -> list[Json]:
        vendor = self.vendor()
        ordered = sorted(FALLBACK_LOG_SERVICES, key=lambda item: not vendor.startswith(item[0]))
        services = []
        for _vendor, path in ordered:
            service = self._get_optional(path, _("Log service {path}").format(path=path), problems, absent_ok=True)
            if service is not None:
                service.setdefault("@odata.id", path)
                services.append(service)
        return services

    def _entries(self, service: Json, limit: int, problems: list[str]) -> tuple[list[Json], int]:
        """The `limit` newest entries of a log service, newest first, and how many it holds."""
        name = str(service.get("Id") or service.get("@odata.id"))
        collection = self._get_optional(_link(service, "Entries"), _("Entries of {name}").format(name=name), problems)
        if collection is None:
            return [], 0
        members, complete = self._members(collection, MAX_LOG_ENTRIES)
        if not complete:
            problems.append(
                _("{name}: only its first {count} entries were read.").format(name=name, count=len(members))
            )
        entries = [member for member in members if "Created" in member or "Message" in member]
        if len(entries) < len(members):
            # A BMC that lists its entries by link only: read one by one those its numbering says are the newest.
            bare = [member for member in members if member not in entries]
            bare.sort(key=newest_first_key, reverse=True)
            for path in _links(bare[:limit]):
                entry = self._get_optional(path, _("Entry {path}").format(path=path), problems)
                if entry is not None:
                    entries.append(entry)
        entries.sort(key=newest_first_key, reverse=True)
        count = collection.get("Members@odata.count")
        total = count if isinstance(count, int) and not isinstance(count, bool) else len(members)
        return entries[:limit], total

    def event_log(self, limit: int) -> Json:
        problems: list[str] = []
        services = self._log_services(problems)
        event_logs = [service for service in services if _is_event_log(service)]
        found_by = "links"
        if not event_logs:
            event_logs = self._known_log_services(problems)
            found_by = "known-locations" if event_logs else "none"
        logs = []
        for service in event_logs:
            entries, total = self._entries(service, limit, problems)
            keys = ("@odata.id", "Id", "Name", "LogEntryType")
            logs.append({"service": {key: service[key] for key in keys if key in service}, "entries": entries,
                         "total": total})  # fmt: skip
        others = [
            {"id": service.get("Id"), "name": service.get("Name"), "path": service.get("@odata.id")}
            for service in services
            if not _is_event_log(service)
        ]
        return {
            "verb": "event-log",
            "limit": limit,
            "found_by": found_by,
            "logs": logs,
            "other_logs": others,
            "problems": problems,
        }

    def firmware(self) -> Json:
        problems: list[str] = []
        update = self._get_optional(_link(self._root_json(), "UpdateService"), "UpdateService", problems)
        inventory_path = _link(update, "FirmwareInventory")
        if update is not None and inventory_path is None:
            problems.append(_("UpdateService: it links no FirmwareInventory."))
        inventory = self._get_optional(inventory_path, "FirmwareInventory", problems)
        members: list[Json] = []
        if inventory is not None:
            listed, complete = self._members(inventory, MAX_MEMBERS)
            if not complete:
                problems.append(
                    _("FirmwareInventory: only its first {count} members were read.").format(count=len(listed))
                )
            for member in listed:
                if "Version" in member:  # a BMC that expands its members: nothing more to read
                    members.append(member)
                    continue
                path = member.get("@odata.id")
                if isinstance(path, str):
                    what = _("Firmware {id}").format(id=_last_segment(path))
                    document = self._get_optional(path, what, problems)
                    if document is not None:
                        members.append(document)
        return {"verb": "firmware", "members": members, "problems": problems}
