"""Parsers from the redfish transport's answers to tables.

The session (session.py) answers each command with one JSON object whose "verb" names the command. It carries the
BMC's own documents (ComputerSystem, Storage, Chassis Thermal and Power, LogService and LogEntry, SoftwareInventory)
as the BMC sent them: reading the vendors' differences happens here, where each vendor's answers can be tested, and
the raw output an engineer sees after a parse error is in the BMC's own words.

    health       {"verb": "health", "systems": [{"resource": ComputerSystem, "storage": [Storage]}],
                  "chassis": [{"resource": Chassis, "thermal": Thermal | null, "power": Power | null}],
                  "problems": [str]}
    power-state  {"verb": "power-state", "systems": [{"resource": ComputerSystem, "reset_types": [str] | null}]}
    power        {"verb": "power", "system": {"id": str, "name": str}, "reset_type": str,
                  "power_state_before": str | null, "listed": bool}
    event-log    {"verb": "event-log", "limit": int, "found_by": "links" | "known-locations" | "none",
                  "logs": [{"service": LogService, "entries": [LogEntry], "total": int | null}],
                  "other_logs": [{"id": str, "name": str, "path": str}], "problems": [str]}
    firmware     {"verb": "firmware", "members": [SoftwareInventory], "problems": [str]}

Column headers and fixed notes are English, marked with N_: SupportStation shows them in the engineer's language
through the plugin's catalog. What is written at run time (a note with a value, an error, the plugin's own words in a
cell) goes through `_` then and there; the BMC's own words (Health, State, messages) are shown as the BMC wrote them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from supportstation.plugin_api import N_, ParseError, Table, translations

_ = translations(__name__)

Json = dict[str, Any]

# Redfish's Health values, from best to worst; anything else (a vendor's word, null) ranks as unknown.
HEALTH_ORDER = {"OK": 0, "Warning": 1, "Critical": 2}
_SPACES = re.compile(r"\s+")


def _load(output: str, verb: str) -> Json:
    try:
        data = json.loads(output)
    except ValueError as error:
        raise ParseError(_("The answer is not JSON: {error}.").format(error=error)) from None
    if not isinstance(data, dict):
        raise ParseError(_("Expected a JSON object, found {type}.").format(type=type(data).__name__))
    if data.get("verb") != verb:
        raise ParseError(
            _("Expected the answer to {verb!r}, found one to {other!r}.").format(verb=verb, other=data.get("verb"))
        )
    return data


def _objects(container: Mapping[str, Any], key: str, *, required: bool = True) -> list[Json]:
    """`container[key]` as a list of objects; ParseError for anything else (null counts as empty unless required)."""
    value = container.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ParseError(
            _("Expected a list of objects in {key!r}, found {type}.").format(key=key, type=type(value).__name__)
        )
    return value


def _object(container: Mapping[str, Any], key: str) -> Json | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParseError(_("Expected an object in {key!r}, found {type}.").format(key=key, type=type(value).__name__))
    return value


def _text(value: object) -> str:
    """A cell: "-" for nothing, the value's text otherwise, on one line."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return _SPACES.sub(" ", str(value)).strip() or "-"


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return f"{value:g}"


def _status(resource: Mapping[str, Any]) -> Json:
    status = resource.get("Status")
    return status if isinstance(status, dict) else {}


def worst_health(*values: object) -> str:
    """The worst of Redfish Health values ("-" when none is given)."""
    known = [value for value in values if isinstance(value, str) and value]
    if not known:
        return "-"
    return max(known, key=lambda value: HEALTH_ORDER.get(value, -1))


def _health(resource: Mapping[str, Any]) -> str:
    """A resource's health with what it contains: HealthRollup when worse than its own Health."""
    status = _status(resource)
    return worst_health(status.get("Health"), status.get("HealthRollup"))


def _needs_attention(health: str) -> bool:
    return HEALTH_ORDER.get(health, 0) > 0


def _notes_from_problems(data: Mapping[str, Any]) -> list[str]:
    problems = data.get("problems") or []
    if not isinstance(problems, list):
        raise ParseError(_("Expected a list in 'problems'."))
    return [_("Not read: {problem}").format(problem=problem) for problem in problems]


# -- redfish.health ----------------------------------------------------------------------------------------------------

HEALTH_COLUMNS = (N_("Component"), N_("Name"), N_("Health"), N_("State"), N_("Reading"))
ABSENT_NOTE = N_("{count} absent sensors or empty slots are left out.")
ALL_OK_NOTE = N_("Every component reports OK.")
ATTENTION_NOTE = N_("Needs attention: {items}.")


def _system_name(system: Mapping[str, Any]) -> str:
    model = " ".join(str(part) for part in (system.get("Manufacturer"), system.get("Model")) if part)
    name = system.get("HostName") or system.get("Id") or system.get("Name")
    return f"{name} ({model})" if model and name else _text(name or model)


def _fan_reading(fan: Mapping[str, Any]) -> str:
    # iLO 4 and other Redfish 1.0 services say CurrentReading and Units; later ones Reading and ReadingUnits.
    reading = fan.get("Reading", fan.get("CurrentReading"))
    units = fan.get("ReadingUnits", fan.get("Units"))
    if reading is None:
        return "-"
    return f"{_number(reading)} %" if units == "Percent" else f"{_number(reading)} {units or 'RPM'}"


def _temperature_reading(sensor: Mapping[str, Any]) -> str:
    reading = sensor.get("ReadingCelsius")
    if reading is None:
        return "-"
    text = f"{_number(reading)} °C"
    critical = sensor.get("UpperThresholdCritical")
    if isinstance(critical, int | float) and not isinstance(critical, bool):
        text += " " + _("(critical at {reading} °C)").format(reading=_number(critical))
    return text


def _power_supply_name(supply: Mapping[str, Any], index: int) -> str:
    # iLO names every supply "HpeServerPowerSupply" and gives its bay number under Oem.Hpe instead.
    name = supply.get("Name")
    oem = supply.get("Oem")
    bay = oem.get("Hpe", {}).get("BayNumber") if isinstance(oem, dict) and isinstance(oem.get("Hpe"), dict) else None
    if not name or name == "HpeServerPowerSupply" or name == "Power Supply":
        return _("Power supply {number}").format(number=bay if bay is not None else index + 1)
    return str(name)


def _power_supply_reading(supply: Mapping[str, Any]) -> str:
    parts = []
    output, capacity = supply.get("LastPowerOutputWatts"), supply.get("PowerCapacityWatts")
    if output is not None and capacity is not None:
        parts.append(_("{output} W of {capacity} W").format(output=_number(output), capacity=_number(capacity)))
    elif capacity is not None:
        parts.append(f"{_number(capacity)} W")
    voltage = supply.get("LineInputVoltage")
    if voltage is not None:
        parts.append(_("{voltage} V in").format(voltage=_number(voltage)))
    return ", ".join(parts) or "-"


def parse_health(output: str) -> Table:
    data = _load(output, "health")
    rows: list[tuple[str, ...]] = []
    absent = 0

    def add(component: str, resource: Mapping[str, Any], name: str, reading: str = "-") -> None:
        """`component` is marked with N_; a `name` of the plugin's own (when the BMC gives none) too."""
        nonlocal absent
        state = _status(resource).get("State")
        if state == "Absent":
            absent += 1
            return
        rows.append((_(component), _(_text(name)), _health(resource), _text(state), reading))

    for entry in _objects(data, "systems"):
        system = _object(entry, "resource") or {}
        power_state = system.get("PowerState")
        reading = _("Power {state}").format(state=power_state) if power_state else "-"
        add(N_("System"), system, _system_name(system), reading)
        processors = _object(system, "ProcessorSummary")
        if processors:
            count, model = processors.get("Count"), processors.get("Model")
            name = " × ".join(str(part) for part in (count, model) if part is not None) or N_("Processors")
            add(N_("Processors"), processors, name)
        memory = _object(system, "MemorySummary")
        if memory:
            size = memory.get("TotalSystemMemoryGiB")
            add(N_("Memory"), memory, f"{_number(size)} GiB" if size is not None else N_("Memory"))
        for storage in _objects(entry, "storage", required=False):
            add(N_("Storage"), storage, storage.get("Name") or storage.get("Id") or N_("Storage"))
    for entry in _objects(data, "chassis"):
        thermal = _object(entry, "thermal") or {}
        for fan in _objects(thermal, "Fans", required=False):
            add(N_("Fan"), fan, fan.get("Name") or fan.get("FanName") or N_("Fan"), _fan_reading(fan))
        for sensor in _objects(thermal, "Temperatures", required=False):
            name = sensor.get("Name") or N_("Temperature")
            add(N_("Temperature"), sensor, name, _temperature_reading(sensor))
        power = _object(entry, "power") or {}
        for index, supply in enumerate(_objects(power, "PowerSupplies", required=False)):
            add(N_("Power supply"), supply, _power_supply_name(supply, index), _power_supply_reading(supply))
        for control in _objects(power, "PowerControl", required=False):
            watts = control.get("PowerConsumedWatts")
            add(
                N_("Power use"),
                control,
                control.get("Name") or N_("Power"),
                f"{_number(watts)} W" if watts is not None else "-",
            )
        for redundancy in _objects(power, "Redundancy", required=False):
            name = redundancy.get("Name") or N_("Redundancy")
            add(N_("Redundancy"), redundancy, name, _text(redundancy.get("Mode")))

    notes = []
    attention = [f"{row[0].lower()} {row[1]} ({row[2]})" for row in rows if _needs_attention(row[2])]
    if attention:
        notes.append(_(ATTENTION_NOTE).format(items=", ".join(attention)))
    elif rows:
        notes.append(ALL_OK_NOTE)
    if absent:
        notes.append(_(ABSENT_NOTE).format(count=absent))
    notes += _notes_from_problems(data)
    return Table(HEALTH_COLUMNS, rows, notes)


# -- redfish.power_state -----------------------------------------------------------------------------------------------

POWER_STATE_COLUMNS = (N_("System"), N_("Model"), N_("Power state"), N_("Reset types accepted"))
UNLISTED_NOTE = N_("The BMC of {system} does not list the reset types it accepts.")


def parse_power_state(output: str) -> Table:
    data = _load(output, "power-state")
    rows, notes = [], []
    for entry in _objects(data, "systems"):
        system = _object(entry, "resource") or {}
        name = system.get("HostName") or system.get("Id") or system.get("Name")
        model = " ".join(str(part) for part in (system.get("Manufacturer"), system.get("Model")) if part)
        reset_types = entry.get("reset_types")
        if reset_types is None:
            notes.append(_(UNLISTED_NOTE).format(system=_text(name)))
            accepted = "-"
        elif isinstance(reset_types, list):
            accepted = ", ".join(str(value) for value in reset_types) or _("none")
        else:
            raise ParseError(_("Expected a list of reset types."))
        rows.append((_text(name), _text(model), _text(system.get("PowerState")), accepted))
    return Table(POWER_STATE_COLUMNS, rows, notes)


# -- redfish.power_action ----------------------------------------------------------------------------------------------

POWER_COLUMNS = (N_("System"), N_("Reset type"), N_("Power state before"), N_("Result"))
POWER_FOLLOW_NOTE = N_(
    "The power state changes within seconds, or minutes for a graceful shutdown that waits for the operating "
    "system: run Power state to follow it."
)
POWER_UNLISTED_NOTE = N_("The BMC does not list the reset types it accepts; it took this one.")


def parse_power(output: str) -> Table:
    data = _load(output, "power")
    system = _object(data, "system")
    reset_type = data.get("reset_type")
    if system is None or not isinstance(reset_type, str):
        raise ParseError(_("The answer lacks the system or the reset type."))
    notes = [POWER_FOLLOW_NOTE]
    if data.get("listed") is False:
        notes.append(POWER_UNLISTED_NOTE)
    row = (
        _text(system.get("name") or system.get("id")),
        reset_type,
        _text(data.get("power_state_before")),
        _("Accepted"),
    )
    return Table(POWER_COLUMNS, [row], notes)


# -- redfish.event_log -------------------------------------------------------------------------------------------------

EVENT_LOG_COLUMNS = (N_("Time"), N_("Severity"), N_("Log"), N_("Source"), N_("Message"))
NO_EVENT_LOG_NOTE = N_("No system event log was found on this BMC.")
KNOWN_LOCATION_NOTE = N_("The BMC does not link its event log; it was read at this vendor's usual location.")
LIMITED_NOTE = N_("Newest first: the {shown} most recent of {total} entries.")
OTHER_LOGS_NOTE = N_("Other logs on this BMC, not shown: {logs}.")
_FAR_PAST = datetime.min.replace(tzinfo=UTC)


def entry_time(entry: Mapping[str, Any]) -> datetime | None:
    """When a log entry was created, or None; a time without offset is taken as UTC."""
    created = entry.get("Created")
    if not isinstance(created, str) or not created:
        return None
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry_number(entry: Mapping[str, Any]) -> int:
    value = str(entry.get("Id", ""))
    return int(value) if value.isdigit() else -1


def newest_first_key(entry: Mapping[str, Any]) -> tuple[datetime, int]:
    """Sorting key, to sort with reverse=True: by creation time, then by entry number (BMCs number in order)."""
    return entry_time(entry) or _FAR_PAST, _entry_number(entry)


def _shown_time(entry: Mapping[str, Any]) -> str:
    moment = entry_time(entry)
    if moment is None:
        return _text(entry.get("Created"))
    offset = moment.strftime("%z")
    # The BMC's own clock and offset, as its web page shows them: the engineer compares with what he sees there.
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _source(entry: Mapping[str, Any]) -> str:
    if entry.get("SensorType"):
        return _text(entry["SensorType"])
    oem = entry.get("Oem")
    if isinstance(oem, dict):
        hpe, lenovo = oem.get("Hpe"), oem.get("Lenovo")
        if isinstance(hpe, dict):
            categories = hpe.get("Categories")
            if hpe.get("ClassDescription"):
                return _text(hpe["ClassDescription"])
            if isinstance(categories, list) and categories:
                return _text(", ".join(str(item) for item in categories))
        if isinstance(lenovo, dict) and lenovo.get("Source"):
            return _text(lenovo["Source"])
    return "-"


def parse_event_log(output: str) -> Table:
    data = _load(output, "event-log")
    limit = data.get("limit")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ParseError(_("Expected a positive whole number in 'limit'."))
    entries: list[tuple[str, Json]] = []
    total = 0
    for log in _objects(data, "logs"):
        service = _object(log, "service") or {}
        name = _text(service.get("Id") or service.get("Name"))
        log_entries = _objects(log, "entries")
        entries += [(name, entry) for entry in log_entries]
        count = log.get("total")
        total += count if isinstance(count, int) and not isinstance(count, bool) else len(log_entries)
    entries.sort(key=lambda item: newest_first_key(item[1]), reverse=True)
    shown = entries[:limit]
    rows = [
        (_shown_time(entry), _text(entry.get("Severity")), log, _source(entry),
         _text(entry.get("Message") or entry.get("MessageId")))
        for log, entry in shown
    ]  # fmt: skip
    notes = []
    if not data["logs"]:
        notes.append(NO_EVENT_LOG_NOTE)
    elif total > len(shown):
        notes.append(_(LIMITED_NOTE).format(shown=len(shown), total=total))
    if data.get("found_by") == "known-locations":
        notes.append(KNOWN_LOCATION_NOTE)
    others = _objects(data, "other_logs", required=False)
    if others:
        names = ", ".join(f"{_text(other.get('id'))} ({_text(other.get('name'))})" for other in others)
        notes.append(_(OTHER_LOGS_NOTE).format(logs=names))
    notes += _notes_from_problems(data)
    return Table(EVENT_LOG_COLUMNS, rows, notes)


# -- redfish.firmware --------------------------------------------------------------------------------------------------

FIRMWARE_COLUMNS = (N_("Component"), N_("Version"), N_("Updateable"), N_("Health"), N_("State"), N_("Id"))
NO_FIRMWARE_NOTE = N_("The BMC lists no firmware inventory.")
PREVIOUS_NOTE = N_("Ids starting with Previous- are the versions an iDRAC keeps to roll back to; Installed- ones run.")
AVAILABLE_NOTE = N_("Ids starting with Available- are versions staged for installation, not installed yet.")
_IDRAC_KINDS = ("Installed-", "Previous-", "Available-")


def _component_name(member: Mapping[str, Any]) -> str:
    name = _text(member.get("Name") or member.get("Id"))
    oem = member.get("Oem")
    hpe = oem.get("Hpe") if isinstance(oem, dict) else None
    # iLO names cards by model only: its DeviceContext (the slot) tells two identical cards apart.
    context = hpe.get("DeviceContext") if isinstance(hpe, dict) else None
    if context and context not in ("System Board", "N/A"):
        return f"{name} ({_text(context)})"
    return name


def parse_firmware(output: str) -> Table:
    data = _load(output, "firmware")
    members = _objects(data, "members")

    def kind(member: Json) -> int:  # iDRAC's running versions first, then rollback and staged ones
        member_id = str(member.get("Id", ""))
        return next((order for order, prefix in enumerate(_IDRAC_KINDS) if member_id.startswith(prefix)), 0)

    ordered = sorted(members, key=kind)  # sorted() keeps the BMC's order within each kind
    rows = []
    for member in ordered:
        status = _status(member)
        updateable = member.get("Updateable")
        rows.append(
            (
                _component_name(member),
                _text(member.get("Version")),
                _text(updateable) if isinstance(updateable, bool) else "-",
                _text(status.get("Health")),
                _text(status.get("State")),
                _text(member.get("Id")),
            )
        )
    notes = []
    ids = [str(member.get("Id", "")) for member in members]
    if not members:
        notes.append(NO_FIRMWARE_NOTE)
    if any(member_id.startswith("Previous-") for member_id in ids):
        notes.append(PREVIOUS_NOTE)
    if any(member_id.startswith("Available-") for member_id in ids):
        notes.append(AVAILABLE_NOTE)
    notes += _notes_from_problems(data)
    return Table(FIRMWARE_COLUMNS, rows, notes)


PARSERS = {
    "health": parse_health,
    "power-state": parse_power_state,
    "power": parse_power,
    "event-log": parse_event_log,
    "firmware": parse_firmware,
}
