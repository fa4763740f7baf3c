"""A Redfish BMC for tests: sushy-tools' emulator (its fake systems driver) served in-process over HTTPS.

sushy-tools' emulator is a Flask app (`sushy_tools.emulator.main.app`, one per process). `RedfishEmulator` serves it
with werkzeug's server in a thread, on 127.0.0.1 and a free port, over TLS with a self-signed certificate made here
(like a BMC's factory certificate), behind HTTP basic authentication read from an htpasswd file by sushy-tools' own
middleware. The fake driver keeps its systems in an SQLite file under a temporary state folder of this process.

What sushy-tools lacks, and a Dell iDRAC 9 has, is added as Flask routes registered on its app (nothing inside
site-packages is changed). Each one, and why:

- `/redfish/v1/SessionService`, `.../SessionService/Sessions` (GET, POST) and `.../Sessions/<id>` (GET, DELETE):
  Redfish session login (POST UserName/Password, answered with an X-Auth-Token and the session's Location), so the
  client's session authentication and its logout are exercised. With `sessions_enabled = False` they answer 404 and
  the service root stops advertising them, as on a BMC with sessions turned off: the client must use basic auth.
- `/redfish/v1/Managers/<id>/LogServices`, `.../LogServices/<log>` and `.../LogServices/<log>/Entries`: the log
  services of an iDRAC (`Sel`, the IPMI system event log with 60 entries in pages of 50 with a
  `Members@odata.nextLink`, as iDRAC pages its logs, served oldest first so that the newest are on the last page and
  a client must read every page and sort; and `Lclog`, the Lifecycle log, which is not an event log). They answer both
  for the emulator's manager and for `iDRAC.Embedded.1`, the id a real iDRAC uses, so that the client's fallback to
  known vendor locations can be tested with `advertise_log_services = False`.
- `/redfish/v1/UpdateService/FirmwareInventory` and `.../FirmwareInventory/<id>`: an iDRAC's firmware inventory
  (installed and previous versions of the iDRAC, BIOS, PERC, NIC, power supply, disk; `Installed-…`/`Previous-…` ids).
  sushy-tools' UpdateService links to it but does not serve it.
- `/redfish/v1/Chassis/<id>/Power`: power control and two power supplies, PS2 having lost its input (Critical), with
  the matching newest SEL entry. sushy-tools serves Chassis Thermal but not Power.

Links a real iDRAC gives and sushy-tools' templates do not are added to its answers by an `after_request` hook: the
service root's `SessionService` and `Links.Sessions` (while sessions are enabled), a Manager's `LogServices` (while
`advertise_log_services`), and a Chassis' `Power`.

For tests of failures, `inject(path, …)` makes the next request(s) for a path answer a given status and body (an
HTML page, a 500, a redirect), and `requests` records each request's method, path and kind of authentication
(session, basic or none). `stop()` closes the listening socket, for a BMC that goes away. The fake driver
applies a power change after a random 1-11 s; here it applies it at the next read, so tests need not wait.
"""

from __future__ import annotations

import atexit
import datetime
import hashlib
import ipaddress
import json
import secrets
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import flask
import pytest
from sushy_tools.emulator import auth_basic
from sushy_tools.emulator import main as emulator_main
from sushy_tools.emulator.resources.systems import fakedriver
from sushy_tools.error import FishyError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from supportstation.plugin_api import DeviceTarget

TEST_USER = "root"
TEST_PASSWORD = "Calvin-2026-rf!"  # ASCII: basic auth sends Latin-1, so a BMC's password check differs beyond it
SYSTEM_UUID = "4c4c4544-0047-3510-8052-b4c04f4d5132"  # Dell system UUIDs start with 4c4c4544, "DELL"
SYSTEM_NAME = "System.Embedded.1"
CHASSIS_ID = "System.Embedded.1"
CHASSIS_UUID = "4c4c4544-0047-3510-8052-b4c04f4d5133"
IDRAC_MANAGER_ID = "iDRAC.Embedded.1"
SEL_ENTRY_COUNT = 60
SEL_PAGE_SIZE = 50
SESSIONS_PATH = "/redfish/v1/SessionService/Sessions"
_ENVIRON_KEY = "supportstation.redfish_emulator"
_ROOT_PATHS = ("", "/redfish", "/redfish/v1")

Json = dict[str, Any]
WsgiEnviron = dict[str, Any]
StartResponse = Callable[..., Any]


# --- the certificate --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorCertificate:
    certificate_file: Path
    key_file: Path
    sha256: str  # of the certificate's DER, lower-case hex: what an engineer pins

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_file, self.key_file)
        return context


def make_self_signed_certificate(folder: Path, common_name: str = "idrac-test.example") -> EmulatorCertificate:
    """A self-signed certificate for IP 127.0.0.1 and localhost, as a BMC makes at first boot."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dell Inc."),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        # CA:TRUE as `openssl req -x509` sets it: then the certificate can also serve as its own trust anchor (ca_file).
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = EmulatorCertificate(
        folder / "bmc.pem",
        folder / "bmc.key",
        hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
    )
    files.certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


# --- iDRAC-shaped data for the added routes ---------------------------------------------------------------------------

# (severity, sensor type, message id, message), cycled over the SEL; the newest entry is _NEWEST_SEL_EVENT.
_SEL_EVENTS = (
    ("OK", "Event Logging Disabled", "SEL0001", "Log cleared."),
    ("OK", "System Event", "SEL1204", "The system was powered on by the front panel button."),
    ("Warning", "Memory", "MEM8000", "Correctable memory error logging disabled for a memory device at DIMM_A3."),
    ("Warning", "Temperature", "TMP0118", "The system inlet temperature is greater than the upper warning threshold."),
    ("OK", "Temperature", "TMP0119", "The system inlet temperature is within range."),
    ("Critical", "Fan", "FAN0001", "Fan 3A RPM is less than the lower critical threshold."),
    ("OK", "Fan", "FAN0000", "Fan 3A RPM is within range."),
    ("OK", "OS Boot", "OSE1001", "The operating system was booted by the system."),
)
_NEWEST_SEL_EVENT = ("Critical", "Power Supply", "PSU0003", "The input power for power supply 2 is lost.")
_SEL_START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))


def sel_entry(number: int, manager_id: str) -> Json:
    """Entry `number` (1 = oldest) of the iDRAC SEL, as iDRAC 9 shows it."""
    severity, sensor, message_id, message = (
        _NEWEST_SEL_EVENT if number == SEL_ENTRY_COUNT else _SEL_EVENTS[(number - 1) % len(_SEL_EVENTS)]
    )
    created = _SEL_START + datetime.timedelta(hours=7 * (number - 1), minutes=number)
    return {
        "@odata.id": f"/redfish/v1/Managers/{manager_id}/LogServices/Sel/Entries/{number}",
        "@odata.type": "#LogEntry.v1_15_0.LogEntry",
        "Created": created.isoformat(),
        "Description": f"Log Entry {number}",
        "EntryCode": "Assert",
        "EntryType": "SEL",
        "GeneratorId": "0x0020",
        "Id": str(number),
        "Links": {},
        "Message": message,
        "MessageArgs": [],
        "MessageId": f"IDRAC.2.9.{message_id}",
        "Name": f"Log Entry {number}",
        "SensorNumber": 100 + number % 20,
        "SensorType": sensor,
        "Severity": severity,
    }


def _lclog_entry(number: int, manager_id: str) -> Json:
    created = _SEL_START + datetime.timedelta(days=number)
    return {
        "@odata.id": f"/redfish/v1/Managers/{manager_id}/LogServices/Lclog/Entries/{number}",
        "@odata.type": "#LogEntry.v1_15_0.LogEntry",
        "Created": created.isoformat(),
        "EntryType": "Oem",
        "Id": str(number),
        "Message": "Successfully logged in using root, from 192.0.2.10 and REDFISH.",
        "MessageId": "IDRAC.2.9.USR0030",
        "Name": "Log Entry",
        "OemRecordFormat": "Dell",
        "Severity": "OK",
    }


LOG_SERVICES: dict[str, Json] = {
    "Sel": {
        "Name": "SEL Log Service",
        "Description": "SEL Log Service",
        "LogEntryType": "SEL",
        "MaxNumberOfRecords": 1024,
    },
    "Lclog": {
        "Name": "LifeCycle Controller Log Service",
        "Description": "LifeCycle Controller Log Service",
        "LogEntryType": "Oem",
        "MaxNumberOfRecords": 500000,
    },
}
LCLOG_ENTRY_COUNT = 3


def _firmware(kind: str, component_id: str, version: str, name: str, fqdd: str, *, updateable: bool = True) -> Json:
    member_id = f"{kind}-{component_id}-{version}__{fqdd}"
    return {
        "@odata.id": f"/redfish/v1/UpdateService/FirmwareInventory/{member_id}",
        "@odata.type": "#SoftwareInventory.v1_9_0.SoftwareInventory",
        "Description": "Represents Firmware Inventory",
        "Id": member_id,
        "Name": name,
        "ReleaseDate": "00:00:00Z",
        "SoftwareId": component_id,
        "Status": {"Health": "OK", "State": "Enabled" if kind == "Installed" else "Disabled"},
        "Updateable": updateable,
        "Version": version,
    }


FIRMWARE: tuple[Json, ...] = (
    _firmware("Installed", "25227", "7.00.00.173", "Integrated Dell Remote Access Controller", "iDRAC.Embedded.1-1"),
    _firmware("Previous", "25227", "6.10.80.00", "Integrated Dell Remote Access Controller", "iDRAC.Embedded.1-1"),
    _firmware("Installed", "159", "1.13.2", "BIOS", "BIOS.Setup.1-1"),
    _firmware("Installed", "101548", "52.26.0-5179", "PERC H755 Front", "RAID.SL.3-1"),
    _firmware("Installed", "108255", "22.31.6", "Broadcom Gigabit Ethernet BCM5720 - 4C:D9:8F:0A:1B:2C",
              "NIC.Embedded.1-1-1"),
    _firmware("Installed", "25806", "00.3D.67", "PWR SPLY,800W,RDNT,LTON", "PSU.Slot.1"),
    _firmware("Installed", "25228", "7.00.00.173", "Lifecycle Controller", "USC.Embedded.1:LC.Embedded.1",
              updateable=False),
    _firmware("Installed", "0", "DL63", "SSD 0", "Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1"),
)  # fmt: skip


def _power_supply(chassis: str, slot: int, *, lost_input: bool) -> Json:
    return {
        "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/PowerSupplies/{slot - 1}",
        "FirmwareVersion": "00.3D.67",
        "LastPowerOutputWatts": None if lost_input else 212,
        "LineInputVoltage": 0 if lost_input else 230,
        "LineInputVoltageType": "AC240V",
        "Manufacturer": "DELL",
        "MemberId": f"PSU.Slot.{slot}",
        "Model": "PWR SPLY,800W,RDNT,LTON",
        "Name": f"PS{slot} Status",
        "PartNumber": "01CW9GA08",
        "PowerCapacityWatts": 800,
        "PowerSupplyType": "AC",
        "SerialNumber": f"CNLOD0019F{slot:04d}",
        "SparePartNumber": "01CW9GA08",
        "Status": {"Health": "Critical" if lost_input else "OK", "State": "Enabled"},
    }


def power_document(chassis: str) -> Json:
    return {
        "@odata.context": "/redfish/v1/$metadata#Power.Power",
        "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power",
        "@odata.type": "#Power.v1_7_1.Power",
        "Id": "Power",
        "Name": "Power",
        "PowerControl": [
            {
                "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/PowerControl/0",
                "MemberId": "PowerControl",
                "Name": "System Power Control",
                "PowerAllocatedWatts": 1496,
                "PowerCapacityWatts": 1596,
                "PowerConsumedWatts": 212,
                "Status": {"Health": "OK", "State": "Enabled"},
            }
        ],
        "PowerSupplies": [_power_supply(chassis, 1, lost_input=False), _power_supply(chassis, 2, lost_input=True)],
        "Redundancy": [
            {
                "@odata.id": f"/redfish/v1/Chassis/{chassis}/Power#/Redundancy/0",
                "MemberId": "PSRedundancy",
                "Mode": "N+m",
                "Name": "System Board PS Redundancy",
                "Status": {"Health": "Critical", "State": "Enabled"},
            }
        ],
    }


# --- the added routes, registered once on sushy-tools' app ------------------------------------------------------------


def _emulator() -> RedfishEmulator:
    emulator = flask.request.environ.get(_ENVIRON_KEY)
    if not isinstance(emulator, RedfishEmulator):
        raise RuntimeError("the request did not come through a RedfishEmulator")
    return emulator


def _json(document: Json, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    return flask.Response(json.dumps(document), status=status, headers=headers, content_type="application/json")


def _redfish_error(status: int, message: str) -> flask.Response:
    return _json({"error": {"code": "Base.1.12.GeneralError", "message": message}}, status)


def _known_manager(identity: str) -> bool:
    return identity in (IDRAC_MANAGER_ID, *emulator_main.app.managers.managers)


_blueprint = flask.Blueprint("supportstation_idrac_additions", __name__)


@_blueprint.route("/redfish/v1/SessionService", methods=["GET"])
def _session_service() -> flask.Response:
    if not _emulator().sessions_enabled:
        return _redfish_error(404, "Not found")
    return _json(
        {
            "@odata.id": "/redfish/v1/SessionService",
            "@odata.type": "#SessionService.v1_1_8.SessionService",
            "Id": "SessionService",
            "Name": "Session Service",
            "ServiceEnabled": True,
            "SessionTimeout": 1800,
            "Sessions": {"@odata.id": SESSIONS_PATH},
        }
    )


@_blueprint.route(SESSIONS_PATH, methods=["GET", "POST"])
def _sessions() -> flask.Response:
    emulator = _emulator()
    if not emulator.sessions_enabled:
        return _redfish_error(404, "Not found")
    if flask.request.method == "GET":
        members = [{"@odata.id": f"{SESSIONS_PATH}/{number}"} for number in emulator.sessions.values()]
        return _json({"@odata.id": SESSIONS_PATH, "Members": members, "Members@odata.count": len(members)})
    body = flask.request.get_json(silent=True) or {}
    user, password = body.get("UserName"), body.get("Password")
    if not isinstance(user, str) or not isinstance(password, str):
        return _redfish_error(400, "UserName and Password are required.")
    try:
        auth_basic.authenticate(emulator.auth_file, user, password.encode())
    except FishyError:
        return _redfish_error(401, "Invalid username or password.")
    token, number = emulator.open_session()
    location = f"{SESSIONS_PATH}/{number}"
    document = {"@odata.id": location, "Id": str(number), "Name": "User Session", "UserName": user}
    return _json(document, 201, {"X-Auth-Token": token, "Location": location})


@_blueprint.route(f"{SESSIONS_PATH}/<number>", methods=["GET", "DELETE"])
def _session(number: str) -> flask.Response:
    emulator = _emulator()
    if not emulator.sessions_enabled or number not in {str(value) for value in emulator.sessions.values()}:
        return _redfish_error(404, "Not found")
    if flask.request.method == "DELETE":
        emulator.close_session(int(number))
        return flask.Response(status=204)
    return _json({"@odata.id": f"{SESSIONS_PATH}/{number}", "Id": number, "Name": "User Session"})


@_blueprint.route("/redfish/v1/Managers/<identity>/LogServices", methods=["GET"])
def _log_services(identity: str) -> flask.Response:
    if not _known_manager(identity):
        return _redfish_error(404, "Not found")
    base = f"/redfish/v1/Managers/{identity}/LogServices"
    members = [{"@odata.id": f"{base}/{log_id}"} for log_id in LOG_SERVICES]
    return _json(
        {
            "@odata.id": base,
            "@odata.type": "#LogServiceCollection.LogServiceCollection",
            "Name": "Log Service Collection",
            "Members": members,
            "Members@odata.count": len(members),
        }
    )


@_blueprint.route("/redfish/v1/Managers/<identity>/LogServices/<log_id>", methods=["GET"])
def _log_service(identity: str, log_id: str) -> flask.Response:
    if not _known_manager(identity) or log_id not in LOG_SERVICES:
        return _redfish_error(404, "Not found")
    path = f"/redfish/v1/Managers/{identity}/LogServices/{log_id}"
    return _json(
        {
            "@odata.id": path,
            "@odata.type": "#LogService.v1_3_0.LogService",
            "Id": log_id,
            **LOG_SERVICES[log_id],
            "OverWritePolicy": "WrapsWhenFull",
            "ServiceEnabled": True,
            "Status": {"Health": "OK", "State": "Enabled"},
            "Entries": {"@odata.id": f"{path}/Entries"},
        }
    )


@_blueprint.route("/redfish/v1/Managers/<identity>/LogServices/<log_id>/Entries", methods=["GET"])
def _log_entries(identity: str, log_id: str) -> flask.Response:
    if not _known_manager(identity) or log_id not in LOG_SERVICES:
        return _redfish_error(404, "Not found")
    path = f"/redfish/v1/Managers/{identity}/LogServices/{log_id}/Entries"
    if log_id == "Sel":
        entries = [sel_entry(number, identity) for number in range(1, SEL_ENTRY_COUNT + 1)]
    else:
        entries = [_lclog_entry(number, identity) for number in range(1, LCLOG_ENTRY_COUNT + 1)]
    skip = flask.request.args.get("$skip", "0")
    start = int(skip) if skip.isdigit() else 0
    page = entries[start : start + SEL_PAGE_SIZE]
    document: Json = {
        "@odata.id": path,
        "@odata.type": "#LogEntryCollection.LogEntryCollection",
        "Name": "Log Entry Collection",
        "Members": page,
        "Members@odata.count": len(entries),
    }
    if start + SEL_PAGE_SIZE < len(entries):
        document["Members@odata.nextLink"] = f"{path}?$skip={start + SEL_PAGE_SIZE}"
    return _json(document)


@_blueprint.route("/redfish/v1/UpdateService/FirmwareInventory", methods=["GET"])
def _firmware_inventory() -> flask.Response:
    members = [{"@odata.id": item["@odata.id"]} for item in FIRMWARE]
    return _json(
        {
            "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory",
            "@odata.type": "#SoftwareInventoryCollection.SoftwareInventoryCollection",
            "Name": "Firmware Inventory Collection",
            "Members": members,
            "Members@odata.count": len(members),
        }
    )


@_blueprint.route("/redfish/v1/UpdateService/FirmwareInventory/<member_id>", methods=["GET"])
def _firmware_member(member_id: str) -> flask.Response:
    for item in FIRMWARE:
        if item["Id"] == member_id:
            return _json(item)
    return _redfish_error(404, "Not found")


@_blueprint.route("/redfish/v1/Chassis/<identity>/Power", methods=["GET"])
def _chassis_power(identity: str) -> flask.Response:
    try:
        emulator_main.app.chassis.uuid(identity)
    except FishyError:
        return _redfish_error(404, "Not found")
    return _json(power_document(identity))


def _add_links(response: flask.Response) -> flask.Response:
    """Adds to sushy-tools' own answers the links an iDRAC gives (see the module docstring)."""
    emulator = flask.request.environ.get(_ENVIRON_KEY)
    if not isinstance(emulator, RedfishEmulator) or flask.request.method != "GET" or response.status_code != 200:
        return response
    endpoint = flask.request.endpoint
    if endpoint not in ("root_resource", "manager_resource", "chassis_resource") or not response.is_json:
        return response
    document = response.get_json()
    if endpoint == "root_resource" and emulator.sessions_enabled:
        document["SessionService"] = {"@odata.id": "/redfish/v1/SessionService"}
        document.setdefault("Links", {})["Sessions"] = {"@odata.id": SESSIONS_PATH}
    elif endpoint == "manager_resource" and emulator.advertise_log_services:
        document["LogServices"] = {"@odata.id": f"/redfish/v1/Managers/{document['Id']}/LogServices"}
    elif endpoint == "chassis_resource":
        document["Power"] = {"@odata.id": f"/redfish/v1/Chassis/{document['Id']}/Power"}
    response.set_data(json.dumps(document))
    return response


class _ImmediatePower:
    """Stands for the `random` module in sushy-tools' fake driver: a power change applies at the next read."""

    @staticmethod
    def randint(_low: int, _high: int) -> int:
        return 0


_setup_lock = threading.Lock()
_state_folder: Path | None = None


def _prepare_app() -> None:
    """Configures sushy-tools' app once per process: one state folder and one set of fake resources, which every
    RedfishEmulator of the process serves. Flask refuses new routes once the app has served a request, so they are
    added here, before the first server starts."""
    global _state_folder
    with _setup_lock:
        if _state_folder is not None:
            return
        _state_folder = Path(tempfile.mkdtemp(prefix="sushy-emulator-"))
        atexit.register(shutil.rmtree, _state_folder, True)
        app = emulator_main.app
        app.config.update(
            {
                "SUSHY_EMULATOR_FAKE_DRIVER": True,
                "SUSHY_EMULATOR_STATE_DIR": str(_state_folder),
                "SUSHY_EMULATOR_FAKE_SYSTEMS": [
                    {"uuid": SYSTEM_UUID, "name": SYSTEM_NAME, "power_state": "On", "nics": []}
                ],
                "SUSHY_EMULATOR_CHASSIS": [{"Id": CHASSIS_ID, "Name": "PowerEdge R650", "UUID": CHASSIS_UUID}],
                "SUSHY_EMULATOR_STORAGE": {
                    SYSTEM_UUID: [
                        {
                            "Id": "RAID.SL.3-1",
                            "Name": "PERC H755 Front",
                            "StorageControllers": [{"MemberId": "0", "Name": "PERC H755 Front", "SpeedGbps": 12}],
                            "Drives": [],
                        }
                    ]
                },
            }
        )
        # The drivers are memoized on first use: drop any built before this configuration.
        vars(app).pop("_cache", None)
        app.register_blueprint(_blueprint)
        app.after_request(_add_links)
        fakedriver.random = _ImmediatePower  # type: ignore[assignment]


# --- the server -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    auth: str  # "session", "basic" or "none": what the request carried


@dataclass
class Fault:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    times: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass  # one line per request would drown pytest's output


@dataclass
class RedfishEmulator:
    """sushy-tools' emulator on 127.0.0.1 over HTTPS with basic auth (and sessions), in a thread; `stop()` ends it."""

    folder: Path
    certificate: EmulatorCertificate
    user: str = TEST_USER
    password: str = field(default=TEST_PASSWORD, repr=False)
    sessions_enabled: bool = True
    advertise_log_services: bool = True
    host: str = "127.0.0.1"
    port: int = 0
    sessions: dict[str, int] = field(default_factory=dict)  # token -> session number, for the live sessions
    closed_sessions: list[int] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    _faults: dict[str, Fault] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_session: int = 1
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    @property
    def auth_file(self) -> str:
        return str(self.folder / "htpasswd")

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> None:
        _prepare_app()
        self.folder.mkdir(parents=True, exist_ok=True)
        # Few bcrypt rounds: the middleware checks the password on every request of basic auth.
        digest = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        Path(self.auth_file).write_text(f"{self.user}:{digest}\n", encoding="utf-8")
        self._basic = emulator_main.RedfishAuthMiddleware(emulator_main.app, self.auth_file)
        self._server = make_server(
            self.host,
            self.port,
            self._gate,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=self.certificate.server_context(),
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="redfish-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops answering: the listening socket is closed, so a client's next connection is refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    # -- what tests use --

    def target(self, **changes: Any) -> DeviceTarget:
        """A DeviceTarget for this emulator with its user and password (verified against the system CAs unless the
        test gives ca_file or pinned_sha256)."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "timeout": 10.0,
        }
        values.update(changes)
        return DeviceTarget(**values)

    def inject(
        self,
        path: str,
        *,
        status: int,
        body: str = "",
        content_type: str = "text/html",
        location: str = "",
        times: int = 1,
    ) -> None:
        """The next `times` requests for `path` (any method) answer this instead of the emulator; `location` makes
        it a redirect."""
        headers = [("Content-Type", content_type)] + ([("Location", location)] if location else [])
        with self._lock:
            self._faults[path.rstrip("/")] = Fault(status, body.encode(), headers, times)

    def power_state(self) -> str:
        return str(emulator_main.app.systems.get_power_state(SYSTEM_UUID))

    def set_power_state(self, state: str) -> None:
        """Sets the fake system's power state directly ("On" or "Off"), for a test's starting point."""
        emulator_main.app.systems.set_power_state(SYSTEM_UUID, "On" if state == "On" else "ForceOff")
        emulator_main.app.systems.get_power_state(SYSTEM_UUID)  # the driver applies a pending change on reading

    def open_session(self) -> tuple[str, int]:
        with self._lock:
            token, number = secrets.token_hex(16), self._next_session
            self._next_session += 1
            self.sessions[token] = number
        return token, number

    def close_session(self, number: int) -> None:
        with self._lock:
            for token, value in list(self.sessions.items()):
                if value == number:
                    del self.sessions[token]
                    self.closed_sessions.append(number)

    def reset_records(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # -- the WSGI front: faults, sessions, then sushy-tools' basic auth --

    def _gate(self, environ: WsgiEnviron, start_response: StartResponse) -> Iterable[bytes]:
        environ[_ENVIRON_KEY] = self
        path = str(environ.get("PATH_INFO", "")).rstrip("/")
        method = str(environ.get("REQUEST_METHOD", "GET"))
        token = environ.get("HTTP_X_AUTH_TOKEN")
        auth = "session" if token else "basic" if environ.get("HTTP_AUTHORIZATION") else "none"
        with self._lock:
            self.requests.append(RequestRecord(method, path, auth))
            fault = self._faults.get(path)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[path]
        if fault is not None:
            start_response(f"{fault.status} Injected", fault.headers)
            return [fault.body]
        if path in _ROOT_PATHS or (self.sessions_enabled and method == "POST" and path == SESSIONS_PATH):
            return emulator_main.app(environ, start_response)  # the service root and the login need no login
        if token:
            if token in self.sessions:
                return emulator_main.app(environ, start_response)
            body = json.dumps({"error": {"code": "Base.1.12.NoValidSession", "message": "No valid session."}})
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [body.encode()]
        return self._basic(environ, start_response)


@pytest.fixture(scope="session")
def redfish_certificate(tmp_path_factory: pytest.TempPathFactory) -> EmulatorCertificate:
    """The emulator's self-signed certificate (and its SHA-256, to pin)."""
    return make_self_signed_certificate(tmp_path_factory.mktemp("redfish-tls"))


@pytest.fixture(scope="session")
def redfish_emulator_server(
    tmp_path_factory: pytest.TempPathFactory, redfish_certificate: EmulatorCertificate
) -> Iterator[RedfishEmulator]:
    """One emulator for the session; use `redfish_emulator`, which resets it for each test."""
    emulator = RedfishEmulator(tmp_path_factory.mktemp("redfish-emulator"), redfish_certificate)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def redfish_emulator(redfish_emulator_server: RedfishEmulator) -> Iterator[RedfishEmulator]:
    """The session's emulator, with sessions and log service links on, no fault, no request recorded, and the
    fake server powered on."""
    emulator = redfish_emulator_server
    emulator.sessions_enabled = True
    emulator.advertise_log_services = True
    emulator.reset_records()
    emulator.set_power_state("On")
    yield emulator
    emulator.sessions_enabled = True
    emulator.advertise_log_services = True
    emulator.reset_records()
