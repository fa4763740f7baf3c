"""The routes added to sushy-tools' emulator (one Flask app per process) and its configuration, done once per process
before the first server starts: see the package's docstring for what each route adds and why."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import flask
from sushy_tools.emulator import auth_basic
from sushy_tools.emulator import main as emulator_main
from sushy_tools.emulator.resources.systems import fakedriver
from sushy_tools.error import FishyError

from .idrac import (
    CHASSIS_ID,
    CHASSIS_UUID,
    FIRMWARE,
    IDRAC_MANAGER_ID,
    LCLOG_ENTRY_COUNT,
    LOG_SERVICES,
    SEL_ENTRY_COUNT,
    SEL_PAGE_SIZE,
    SYSTEM_NAME,
    SYSTEM_UUID,
    Json,
    lclog_entry,
    power_document,
    sel_entry,
)

if TYPE_CHECKING:
    from .server import RedfishEmulator

SESSIONS_PATH = "/redfish/v1/SessionService/Sessions"
ENVIRON_KEY = "supportstation.redfish_emulator"


def _emulator() -> RedfishEmulator:
    from .server import RedfishEmulator  # here: the server module imports this one

    emulator = flask.request.environ.get(ENVIRON_KEY)
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
        entries = [lclog_entry(number, identity) for number in range(1, LCLOG_ENTRY_COUNT + 1)]
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
    """Adds to sushy-tools' own answers the links an iDRAC gives (see the package's docstring)."""
    from .server import RedfishEmulator

    emulator = flask.request.environ.get(ENVIRON_KEY)
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


def prepare_app(state_folder: Path | None = None) -> None:
    """Configures sushy-tools' app once per process: one state folder and one set of fake resources, which every
    RedfishEmulator of the process serves. Flask refuses new routes once the app has served a request, so they are
    added here, before the first server starts.

    The fake driver keeps its systems' state in `state_folder` (the first caller's), else in a temporary folder
    removed at exit."""
    global _state_folder
    with _setup_lock:
        if _state_folder is not None:
            return
        if state_folder is None:
            _state_folder = Path(tempfile.mkdtemp(prefix="sushy-emulator-"))
            atexit.register(shutil.rmtree, _state_folder, True)
        else:
            state_folder.mkdir(parents=True, exist_ok=True)
            _state_folder = state_folder
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
