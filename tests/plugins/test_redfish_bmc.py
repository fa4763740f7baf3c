"""The Redfish BMC plugin: its parsers on answers shaped like a Dell iDRAC 9's, an HPE iLO 5's and a Lenovo XClarity
Controller's, and on edge cases; its transport against sushy-tools' Redfish emulator served over HTTPS in this process
(tests/servers/redfish_emulator.py), with TLS verification, session login, power actions and the failures an engineer
meets on site.

The samples in tests/data/redfish_bmc are the transport's answers (see parsers.py) holding documents written by hand
after the vendors' published Redfish examples: field names, ids, value formats and the quirks those BMCs have (iLO's
unnamed power supplies and HealthRollup-only summaries, XClarity's null severities and fractional seconds, iDRAC's
null storage health and its Previous- and Available- firmware entries). No real BMC answer was captured for them.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.plugin_api import (
    Action,
    DeviceConnectionLost,
    DeviceError,
    ParameterError,
    ParseError,
    Table,
)
from supportstation.plugins import PluginRegistry
from tests.conftest import ROOT

try:
    import supportstation_redfish_bmc as redfish_bmc
    from supportstation_redfish_bmc import client as bmc_client
    from supportstation_redfish_bmc import parsers, session
except ImportError:
    if os.environ.get("CI"):  # tools/bootstrap installs it: CI must not pass by skipping these tests
        raise
    pytest.skip("install the plugin: .venv/bin/pip install --no-deps -e plugins/redfish-bmc", allow_module_level=True)

try:
    from tests.servers.redfish_emulator import (  # noqa: F401 (fixtures, used by name)
        CHASSIS_UUID,
        SEL_ENTRY_COUNT,
        SYSTEM_UUID,
        EmulatorCertificate,
        RedfishEmulator,
        make_self_signed_certificate,
        redfish_certificate,
        redfish_emulator,
        redfish_emulator_server,
    )
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip(
        "install sushy-tools for the Redfish emulator: .venv/bin/pip install sushy-tools", allow_module_level=True
    )

DATA = ROOT / "tests" / "data" / "redfish_bmc"
ACTIONS: dict[str, Action] = {action.id: action for action in redfish_bmc.ACTIONS}
EXPECTED_IDS = {
    "redfish.health",
    "redfish.power_state",
    "redfish.power_action",
    "redfish.event_log",
    "redfish.firmware",
}
VENDORS = ("idrac9", "ilo5", "xcc")
WRONG_PASSWORD = "Not-The-Password-7431"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def column(table: Table, name: str) -> list[str]:
    index = table.columns.index(name)
    return [row[index] for row in table.rows]


def rows_of(table: Table, component: str) -> list[tuple[str, ...]]:
    return [row for row in table.rows if row[0] == component]


# -- the plugin as SupportStation finds it -----------------------------------------------------------------------------


def test_found_through_entry_point() -> None:
    registry = PluginRegistry()
    registry.load()
    assert [failure for failure in registry.failures if failure.name == "redfish-bmc"] == []
    [plugin] = [plugin for plugin in registry.plugins if plugin.name == "redfish-bmc"]
    assert plugin.distribution == "supportstation-redfish-bmc"
    assert plugin.version == "0.1.0"
    assert {action.id for action in registry.all_actions()} >= EXPECTED_IDS
    assert registry.find_action("redfish.power_action") is ACTIONS["redfish.power_action"]


def test_transport_hook() -> None:
    [transport] = redfish_bmc.supportstation_transports()
    assert (transport.name, transport.language, transport.default_port) == ("redfish", "redfish", 443)
    assert transport.identity == "tls-certificate"
    assert transport.title == "Redfish (server BMC over HTTPS)"
    assert transport.connect is session.connect


def test_actions_are_for_bmcs_in_the_redfish_language() -> None:
    assert set(ACTIONS) == EXPECTED_IDS
    assert {action.id for action in redfish_bmc.supportstation_actions()} == EXPECTED_IDS
    for action in ACTIONS.values():
        assert set(action.commands) == {"redfish"}
        for vendor in ("dell", "HPE", "lenovo", ""):
            assert action.applies_to("bmc", vendor), (action.id, vendor)
        assert not action.applies_to("linux", "dell")
        assert action.title and action.description and action.category
        verb = action.commands["redfish"].split()[0]
        assert verb in session.VERBS
        assert action.parser is parsers.PARSERS[verb]
    assert ACTIONS["redfish.power_action"].confirm == "Change the server's power state?"
    assert [action.id for action in ACTIONS.values() if action.confirm] == ["redfish.power_action"]


def test_action_commands_and_parameters() -> None:
    power = ACTIONS["redfish.power_action"]
    assert power.command_for("redfish", {"reset_type": "GracefulShutdown"}) == "power GracefulShutdown"
    with pytest.raises(ParameterError):
        power.command_for("redfish", {"reset_type": "Explode"})
    with pytest.raises(ParameterError):
        power.command_for("redfish", {})  # no default: the engineer chooses
    events = ACTIONS["redfish.event_log"]
    assert events.command_for("redfish") == "event-log 50"
    assert events.command_for("redfish", {"count": "200"}) == "event-log 200"
    for refused in ("0", "1001", "-3", "ten"):
        with pytest.raises(ParameterError):
            events.command_for("redfish", {"count": refused})
    assert ACTIONS["redfish.health"].command_for("redfish") == "health"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("", "empty"),
        ("reboot now", "Unknown Redfish command 'reboot'"),
        ("power", "takes one reset type"),
        ("power On Off", "takes one reset type"),
        ("event-log many", "at most one number"),
        ("event-log 0", "at most one number"),
        ("event-log 1001", "at most 1000"),
        ("health now", "takes no argument"),
    ],
)
def test_command_refusals(command: str, expected: str) -> None:
    with pytest.raises(DeviceError) as caught:
        session.parse_command(command)
    assert expected in str(caught.value)
    if "Unknown" in expected or "empty" in expected:
        assert session.KNOWN_COMMANDS in str(caught.value)


# -- parsers on each vendor's answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("verb", ["health", "power_state", "event_log", "firmware"])
def test_every_sample_parses_into_full_rows(vendor: str, verb: str) -> None:
    table = ACTIONS[f"redfish.{verb}"].parse(sample(f"{vendor}_{verb}.json"))
    assert isinstance(table, Table) and table.rows
    assert all(len(row) == len(table.columns) for row in table.rows)


def test_health_idrac9() -> None:
    table = parsers.parse_health(sample("idrac9_health.json"))
    assert table.columns == parsers.HEALTH_COLUMNS
    assert rows_of(table, "System") == [
        ("System", "esx-prod-07.example.lan (Dell Inc. PowerEdge R750)", "Warning", "Enabled", "Power On")
    ]
    assert rows_of(table, "Processors")[0][1:3] == ("2 × Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", "OK")
    assert rows_of(table, "Memory") == [("Memory", "512 GiB", "Warning", "Enabled", "-")]
    # iDRAC leaves the health of an embedded AHCI controller null: shown as unknown, not as OK.
    assert rows_of(table, "Storage") == [
        ("Storage", "PERC H755 Front", "OK", "Enabled", "-"),
        ("Storage", "Embedded AHCI 2", "-", "Enabled", "-"),
    ]
    assert ("Fan", "System Board Fan1A", "OK", "Enabled", "5880 RPM") in table.rows
    assert ("Temperature", "CPU1 Temp", "OK", "Enabled", "48 °C (critical at 93 °C)") in table.rows
    assert ("Power supply", "PS2 Status", "OK", "Enabled", "139 W of 1400 W, 230 V in") in table.rows
    assert ("Power use", "System Power Control", "OK", "Enabled", "287 W") in table.rows
    assert table.notes == (
        "Needs attention: system esx-prod-07.example.lan (Dell Inc. PowerEdge R750) (Warning), memory 512 GiB "
        "(Warning).",
    )


def test_health_ilo5() -> None:
    table = parsers.parse_health(sample("ilo5_health.json"))
    # iLO says Health OK for the system itself and Critical in HealthRollup: the worse one is shown.
    assert rows_of(table, "System")[0][2] == "Critical"
    # Its summaries carry only HealthRollup.
    assert rows_of(table, "Processors")[0][2] == "OK"
    assert rows_of(table, "Memory")[0][1:4] == ("384 GiB", "OK", "-")
    fans = rows_of(table, "Fan")
    assert [fan[1] for fan in fans] == ["Fan 1", "Fan 2", "Fan 3", "Fan 4"]  # Fan 5 is absent
    assert fans[2] == ("Fan", "Fan 3", "Critical", "Enabled", "0 %")
    assert fans[0][4] == "23 %"
    supplies = rows_of(table, "Power supply")
    assert [supply[1] for supply in supplies] == ["Power supply 1", "Power supply 2"]  # from Oem.Hpe.BayNumber
    assert supplies[0][4] == "182 W of 800 W, 230 V in"
    assert rows_of(table, "Power use") == [("Power use", "Power", "-", "-", "364 W")]
    assert rows_of(table, "Redundancy")[0][1:] == ("PowerSupply Redundancy Group 1", "OK", "Enabled", "Failover")
    assert "fan Fan 3 (Critical)" in table.notes[0]
    assert parsers.ABSENT_NOTE.format(count=2) in table.notes


def test_health_xclarity() -> None:
    table = parsers.parse_health(sample("xcc_health.json"))
    assert rows_of(table, "Storage") == [
        ("Storage", "RAID 940-8i 4GB Flash PCIe Gen4 12Gb Adapter", "Critical", "Enabled", "-")
    ]
    assert ("Temperature", "CPU 2 Temp", "OK", "Enabled", "-") in table.rows  # no reading given
    assert ("Fan", "Fan 1 Rear Tach", "OK", "Enabled", "6720 RPM") in table.rows
    assert ("Power supply", "PSU1", "OK", "Enabled", "160 W of 1100 W, 229 V in") in table.rows
    assert "storage RAID 940-8i 4GB Flash PCIe Gen4 12Gb Adapter (Critical)" in table.notes[0]


@pytest.mark.parametrize(
    ("vendor", "row"),
    [
        (
            "idrac9",
            (
                "esx-prod-07.example.lan",
                "Dell Inc. PowerEdge R750",
                "On",
                "On, ForceOff, ForceRestart, GracefulRestart, GracefulShutdown, PushPowerButton, Nmi, PowerCycle",
            ),
        ),
        (
            "ilo5",
            (
                "db01",
                "HPE ProLiant DL380 Gen10",
                "Off",
                "On, ForceOff, GracefulShutdown, ForceRestart, Nmi, PushPowerButton, GracefulRestart",
            ),
        ),
        (
            "xcc",
            (
                "XCC-7Z73-J30012AB",
                "Lenovo ThinkSystem SR650 V2",
                "On",
                "On, Nmi, GracefulShutdown, GracefulRestart, ForceOn, ForceOff, ForceRestart",
            ),
        ),
    ],
)
def test_power_state_samples(vendor: str, row: tuple[str, ...]) -> None:
    table = parsers.parse_power_state(sample(f"{vendor}_power_state.json"))
    assert table.columns == parsers.POWER_STATE_COLUMNS
    assert table.rows == (row,)
    assert table.notes == ()


def test_event_log_idrac9_newest_first_with_other_logs_named() -> None:
    table = parsers.parse_event_log(sample("idrac9_event_log.json"))
    assert table.columns == parsers.EVENT_LOG_COLUMNS
    assert table.rows[0] == (
        "2026-02-11 03:14:52 -06:00",
        "Warning",
        "Sel",
        "Memory",
        "Correctable memory error rate exceeded for DIMM_B4.",
    )
    assert column(table, "Message")[-1] == "Log cleared."
    assert column(table, "Severity") == ["Warning", "Warning", "OK", "Critical", "Critical", "OK"]
    assert table.notes == (
        "Other logs on this BMC, not shown: Lclog (LifeCycle Controller Log Service), FaultList (FaultList Entries).",
    )


def test_event_log_ilo5_merges_iml_and_iel_by_time_and_limits() -> None:
    table = parsers.parse_event_log(sample("ilo5_event_log.json"))
    assert [(row[2], row[4]) for row in table.rows] == [
        ("IEL", "Browser login: admin - 192.0.2.44(DNS name not found)."),
        ("IML", "System Fan Failure (Fan 3, Location System)"),
        ("IEL", "Server power restored."),
        ("IML", "Firmware flashed (iLO 5 2.78)"),
    ]
    assert column(table, "Source") == ["Security", "Environment", "Administration", "Maintenance"]
    assert column(table, "Time")[0] == "2026-02-12 10:05:44 +00:00"
    assert parsers.LIMITED_NOTE.format(shown=4, total=746) in table.notes
    assert "Other logs on this BMC, not shown: SL (Security Log)." in table.notes


def test_event_log_xclarity() -> None:
    table = parsers.parse_event_log(sample("xcc_event_log.json"))
    assert table.rows[0][:4] == ("2026-02-03 14:22:09 +00:00", "Critical", "PlatformLog", "Disk")
    assert table.rows[1][1] == "-"  # XClarity gives null for the severity of logins
    assert column(table, "Source") == ["Disk", "System", "Power"]


def test_firmware_idrac9_running_versions_first() -> None:
    table = parsers.parse_firmware(sample("idrac9_firmware.json"))
    assert table.columns == parsers.FIRMWARE_COLUMNS
    assert [row[5].split("-")[0] for row in table.rows] == [
        "Installed",
        "Installed",
        "Installed",
        "Installed",
        "Previous",
        "Available",
    ]
    assert table.rows[0][:5] == ("Integrated Dell Remote Access Controller", "7.00.00.173", "yes", "OK", "Enabled")
    assert next(row for row in table.rows if "Lifecycle" in row[0])[:3] == ("Lifecycle Controller", "7.00.00.173", "no")
    assert table.notes == (parsers.PREVIOUS_NOTE, parsers.AVAILABLE_NOTE)


def test_firmware_ilo5_names_the_slot() -> None:
    table = parsers.parse_firmware(sample("ilo5_firmware.json"))
    names = column(table, "Component")
    assert names[0] == "iLO 5"  # on the system board: nothing added
    assert "HPE Smart Array P408i-a SR Gen10 (Slot 12)" in names
    assert "HPE Ethernet 1Gb 4-port 331i Adapter - NIC (Embedded LOM)" in names
    assert table.rows[0][1] == "2.78 Apr 28 2023"
    assert ("Power Management Controller Firmware", "1.0.7", "no") in [row[:3] for row in table.rows]
    assert table.notes == ()


def test_firmware_xclarity() -> None:
    table = parsers.parse_firmware(sample("xcc_firmware.json"))
    assert table.rows[1] == ("Backup XCC Firmware", "AFBT28P-3.70", "yes", "OK", "StandbyOffline", "BMC-Backup")


# -- parsers on edge cases ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [
        "",
        "<html><body>iDRAC login</body></html>",
        "[]",
        '{"verb": "firmware", "members": []}',  # the answer to another command
        '{"verb": "health", "systems": {}, "chassis": []}',
        '{"verb": "health", "systems": [{"resource": {"ProcessorSummary": 5}}], "chassis": []}',
        '{"verb": "health", "systems": [], "chassis": [{"thermal": {"Fans": "none"}}]}',
        '{"verb": "health", "systems": [], "chassis": [], "problems": "none"}',
    ],
)
def test_health_refuses_unexpected_json(output: str) -> None:
    with pytest.raises(ParseError):
        ACTIONS["redfish.health"].parse(output)


@pytest.mark.parametrize(
    "output",
    [
        '{"verb": "event-log", "limit": 0, "logs": []}',
        '{"verb": "event-log", "limit": true, "logs": []}',
        '{"verb": "event-log", "limit": 5}',
        '{"verb": "event-log", "limit": 5, "logs": [{"service": {}, "entries": {"1": {}}}]}',
        '{"verb": "power", "system": {"id": "1"}}',
        '{"verb": "power-state", "systems": [{"resource": {}, "reset_types": "On"}]}',
        '{"verb": "firmware", "members": [1, 2]}',
    ],
)
def test_other_parsers_refuse_unexpected_json(output: str) -> None:
    verb = json.loads(output)["verb"]
    with pytest.raises(ParseError):
        parsers.PARSERS[verb](output)


def test_health_notes_what_could_not_be_read_and_all_ok() -> None:
    output = json.dumps(
        {
            "verb": "health",
            "systems": [{"resource": {"Id": "1", "Status": {"Health": "OK"}, "PowerState": "Off"}}],
            "chassis": [{"resource": {"Id": "1"}, "thermal": None, "power": None}],
            "problems": ["Thermal of 1: bmc answered HTTP 503 to /redfish/v1/Chassis/1/Thermal: busy"],
        }
    )
    table = parsers.parse_health(output)
    assert table.rows == (("System", "1", "OK", "-", "Power Off"),)
    assert table.notes == (
        parsers.ALL_OK_NOTE,
        "Not read: Thermal of 1: bmc answered HTTP 503 to /redfish/v1/Chassis/1/Thermal: busy",
    )


def test_event_log_sorting_edge_cases() -> None:
    entries = [
        {"Id": "7", "Message": "no time, higher number"},
        {"Id": "2", "Created": "2026-01-01T10:00:00", "Message": "no offset: taken as UTC"},
        {"Id": "3", "Created": "2026-01-01T09:30:00-01:00", "Message": "later once in UTC"},
        {"Id": "4", "Created": "not a date", "Message": "unreadable time"},
        {"Id": "5", "Created": "2026-01-01T10:00:00Z", "Message": "same time as 2, higher number"},
        {"Id": "6", "Message": "no time"},
    ]
    output = json.dumps(
        {
            "verb": "event-log",
            "limit": 5,
            "found_by": "known-locations",
            "logs": [{"service": {"Id": "Sel"}, "entries": entries}],
            "problems": [],
        }
    )
    table = parsers.parse_event_log(output)
    assert column(table, "Message") == [
        "later once in UTC",
        "same time as 2, higher number",
        "no offset: taken as UTC",
        "no time, higher number",
        "no time",
    ]
    assert column(table, "Time")[:3] == [
        "2026-01-01 09:30:00 -01:00",
        "2026-01-01 10:00:00 +00:00",
        "2026-01-01 10:00:00 +00:00",
    ]
    assert table.notes == (parsers.LIMITED_NOTE.format(shown=5, total=6), parsers.KNOWN_LOCATION_NOTE)


def test_event_log_without_any_log() -> None:
    output = '{"verb": "event-log", "limit": 50, "found_by": "none", "logs": [], "other_logs": [], "problems": []}'
    table = parsers.parse_event_log(output)
    assert table.rows == () and table.notes == (parsers.NO_EVENT_LOG_NOTE,)


def test_power_state_unlisted_reset_types_and_power_answer() -> None:
    output = (
        '{"verb": "power-state", "systems": [{"resource": {"Id": "Self", "PowerState": "On"}, "reset_types": null}]}'
    )
    table = parsers.parse_power_state(output)
    assert table.rows == (("Self", "-", "On", "-"),)
    assert table.notes == (parsers.UNLISTED_NOTE.format(system="Self"),)
    answer = {"verb": "power", "system": {"id": "1", "name": "db01"}, "reset_type": "On", "power_state_before": "Off"}
    table = parsers.parse_power(json.dumps({**answer, "listed": False}))
    assert table.rows == (("db01", "On", "Off", "Accepted"),)
    assert table.notes == (parsers.POWER_FOLLOW_NOTE, parsers.POWER_UNLISTED_NOTE)


def test_firmware_empty() -> None:
    output = '{"verb": "firmware", "members": [], "problems": ["UpdateService: it links no FirmwareInventory."]}'
    table = parsers.parse_firmware(output)
    assert table.rows == ()
    assert table.notes == (parsers.NO_FIRMWARE_NOTE, "Not read: UpdateService: it links no FirmwareInventory.")


# -- against sushy-tools' emulator over HTTPS --------------------------------------------------------------------------


def run(device: session.RedfishSession, command: str) -> tuple[int, str]:
    chunks: list[bytes] = []
    code = device.run(command, chunks.append, threading.Event())
    return code, b"".join(chunks).decode()


@pytest.fixture
def bmc(redfish_emulator: RedfishEmulator) -> Iterator[session.RedfishSession]:
    """A session to the emulator, its certificate pinned."""
    device = session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    yield device
    device.close()


def run_action(device: session.RedfishSession, action_id: str, **arguments: object) -> Table:
    action = ACTIONS[action_id]
    code, output = run(device, action.command_for("redfish", arguments))
    assert code == 0, output
    table = action.parse(output)
    assert table is not None
    return table


def test_health_from_the_emulator(bmc: session.RedfishSession) -> None:
    table = run_action(bmc, "redfish.health")
    assert rows_of(table, "System")[0][2:] == ("OK", "Enabled", "Power On")
    assert rows_of(table, "Storage") == [("Storage", "PERC H755 Front", "OK", "Enabled", "-")]
    assert [row[1] for row in rows_of(table, "Fan")] == ["BaseBoard System Fan", "BaseBoard System Fan Backup"]
    assert ("Temperature", "Chassis Intake Temp", "OK", "Enabled", "25 °C (critical at 40 °C)") in table.rows
    assert ("Power supply", "PS2 Status", "Critical", "Enabled", "800 W, 0 V in") in table.rows
    assert table.notes == (
        "Needs attention: power supply PS2 Status (Critical), redundancy System Board PS Redundancy (Critical).",
    )


def test_power_state_from_the_emulator(bmc: session.RedfishSession) -> None:
    table = run_action(bmc, "redfish.power_state")
    [(_name, model, state, accepted)] = table.rows
    assert (model, state) == ("Sushy Emulator", "On")
    assert accepted.split(", ") == ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "Nmi",
                                    "ForceOn"]  # fmt: skip


def test_power_action_changes_the_state_the_bmc_reports(
    bmc: session.RedfishSession, redfish_emulator: RedfishEmulator
) -> None:
    table = run_action(bmc, "redfish.power_action", reset_type="ForceOff")
    assert table.rows[0][1:] == ("ForceOff", "On", "Accepted")
    assert redfish_emulator.power_state() == "Off"
    assert run_action(bmc, "redfish.power_state").rows[0][2] == "Off"
    run_action(bmc, "redfish.power_action", reset_type="On")
    assert run_action(bmc, "redfish.power_state").rows[0][2] == "On"
    resets = [record for record in redfish_emulator.requests if record.path.endswith("ComputerSystem.Reset")]
    assert [(record.method, record.auth) for record in resets] == [("POST", "session"), ("POST", "session")]


def test_a_reset_type_the_bmc_does_not_list_is_refused_without_sending_it(
    bmc: session.RedfishSession, redfish_emulator: RedfishEmulator
) -> None:
    code, output = run(bmc, ACTIONS["redfish.power_action"].command_for("redfish", {"reset_type": "PowerCycle"}))
    assert code == session.EXIT_REFUSED
    assert "does not accept the reset type PowerCycle" in output and "nothing was sent" in output
    assert "It accepts: On, ForceOff, GracefulShutdown" in output
    assert not [record for record in redfish_emulator.requests if record.method == "POST" and "Reset" in record.path]
    assert redfish_emulator.power_state() == "On"
    assert bmc.active  # a refusal is an answer: the session goes on
    assert run(bmc, "power-state")[0] == 0


def test_a_reset_the_bmc_refuses_is_reported_with_its_reason(
    bmc: session.RedfishSession, redfish_emulator: RedfishEmulator
) -> None:
    message = "Unable to perform the operation because the server is already ON."  # an iDRAC's answer
    body = json.dumps({"error": {"code": "Base.1.12.GeneralError", "message": message}})
    reset = f"/redfish/v1/Systems/{SYSTEM_UUID}/Actions/ComputerSystem.Reset"
    redfish_emulator.inject(reset, status=409, body=body, content_type="application/json")
    code, output = run(bmc, "power On")
    assert code == session.EXIT_REFUSED
    assert output.strip().endswith(f"refused On for {SYSTEM_UUID}: {message}")
    assert bmc.active


def test_event_log_newest_first_limited_and_read_across_pages(bmc: session.RedfishSession) -> None:
    table = run_action(bmc, "redfish.event_log", count=5)
    assert len(table.rows) == 5
    # The newest entries are on the emulator's second page: the client must read every page, then sort.
    assert table.rows[0][1:] == ("Critical", "Sel", "Power Supply", "The input power for power supply 2 is lost.")
    times = column(table, "Time")
    assert times == sorted(times, reverse=True) and len(set(times)) == 5
    assert table.notes == (
        parsers.LIMITED_NOTE.format(shown=5, total=SEL_ENTRY_COUNT),
        "Other logs on this BMC, not shown: Lclog (LifeCycle Controller Log Service).",
    )
    every = run_action(bmc, "redfish.event_log", count=1000)
    assert len(every.rows) == SEL_ENTRY_COUNT
    assert every.rows[-1][4] == "Log cleared."


def test_event_log_default_count(bmc: session.RedfishSession) -> None:
    assert len(run_action(bmc, "redfish.event_log").rows) == 50


def test_event_log_found_at_the_vendor_location_when_not_linked(
    bmc: session.RedfishSession, redfish_emulator: RedfishEmulator
) -> None:
    redfish_emulator.advertise_log_services = False
    table = run_action(bmc, "redfish.event_log", count=3)
    assert len(table.rows) == 3 and table.rows[0][4] == "The input power for power supply 2 is lost."
    assert parsers.KNOWN_LOCATION_NOTE in table.notes
    paths = [record.path for record in redfish_emulator.requests]
    assert "/redfish/v1/Managers/iDRAC.Embedded.1/LogServices/Sel/Entries" in paths
    assert not any(path.endswith("/LogServices") for path in paths)  # no collection was linked, none was read


def test_firmware_from_the_emulator(bmc: session.RedfishSession) -> None:
    table = run_action(bmc, "redfish.firmware")
    assert len(table.rows) == 8
    assert table.rows[0] == (
        "Integrated Dell Remote Access Controller",
        "7.00.00.173",
        "yes",
        "OK",
        "Enabled",
        "Installed-25227-7.00.00.173__iDRAC.Embedded.1-1",
    )
    assert table.rows[-1][5].startswith("Previous-")
    assert table.notes == (parsers.PREVIOUS_NOTE,)


def test_a_part_the_bmc_fails_to_give_becomes_a_note(
    bmc: session.RedfishSession, redfish_emulator: RedfishEmulator
) -> None:
    error = '{"error": {"code": "Base.1.12.InternalError", "message": "The sensor service is restarting."}}'
    # Twice: the client retries a GET answered 500 once, as BMCs fail now and then while busy.
    redfish_emulator.inject(
        f"/redfish/v1/Chassis/{CHASSIS_UUID}/Thermal", status=500, body=error, content_type="application/json", times=2
    )
    table = run_action(bmc, "redfish.health")
    assert rows_of(table, "Fan") == [] and rows_of(table, "Power supply")
    assert any("HTTP 500" in note and "The sensor service is restarting." in note for note in table.notes)


# -- logins and sessions -----------------------------------------------------------------------------------------------


def test_a_redfish_session_is_used_when_offered_and_deleted_on_close(redfish_emulator: RedfishEmulator) -> None:
    device = session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    assert device.uses_redfish_session
    assert len(redfish_emulator.sessions) == 1
    run(device, "power-state")
    logins = [record for record in redfish_emulator.requests if record.path.endswith("/Sessions")]
    assert [(record.method, record.auth) for record in logins] == [("POST", "none")]
    assert {record.auth for record in redfish_emulator.requests if record not in logins} <= {"none", "session"}
    device.close()
    assert not device.active
    assert redfish_emulator.sessions == {}
    assert redfish_emulator.requests[-1].method == "DELETE"
    with pytest.raises(DeviceConnectionLost):
        run(device, "health")


def test_basic_auth_when_the_bmc_offers_no_session(redfish_emulator: RedfishEmulator) -> None:
    redfish_emulator.sessions_enabled = False
    device = session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    try:
        assert not device.uses_redfish_session
        assert run(device, "power-state")[0] == 0
    finally:
        device.close()
    assert not [record for record in redfish_emulator.requests if "SessionService" in record.path]
    assert "basic" in {record.auth for record in redfish_emulator.requests}


@pytest.mark.parametrize("sessions", [True, False])
def test_a_wrong_password_is_refused_once_without_showing_it(redfish_emulator: RedfishEmulator, sessions: bool) -> None:
    redfish_emulator.sessions_enabled = sessions
    target = redfish_emulator.target(password=WRONG_PASSWORD, pinned_sha256=redfish_emulator.certificate.sha256)
    with pytest.raises(DeviceError) as caught:
        session.connect(target)
    message = str(caught.value)
    assert not isinstance(caught.value, DeviceConnectionLost)
    assert f"refused the login of {redfish_emulator.user}: wrong user name or password" in message
    chain: BaseException | None = caught.value
    while chain is not None:  # nor in any exception it hides, which a log could print
        assert WRONG_PASSWORD not in str(chain) and WRONG_PASSWORD not in repr(chain.args)
        chain = chain.__cause__ or chain.__context__
    credentials = [record for record in redfish_emulator.requests if record.auth == "basic" or record.method == "POST"]
    assert len(credentials) == 1  # a BMC's lockout counter moves by one per attempt


# -- TLS ---------------------------------------------------------------------------------------------------------------


def test_a_certificate_other_than_the_pinned_one_is_refused_before_anything_is_sent(
    redfish_emulator: RedfishEmulator,
) -> None:
    other = "AB:" * 31 + "CD"
    with pytest.raises(DeviceError) as caught:
        session.connect(redfish_emulator.target(pinned_sha256=other))
    assert "presented a certificate other than the one pinned: nothing was sent" in str(caught.value)
    assert redfish_emulator.requests == []


def test_a_self_signed_certificate_without_pin_or_ca_is_refused(redfish_emulator: RedfishEmulator) -> None:
    with pytest.raises(DeviceError) as caught:
        session.connect(redfish_emulator.target())
    assert "its TLS certificate could not be verified (self-signed certificate): nothing was sent" in str(caught.value)
    assert redfish_emulator.requests == []


def test_the_certificate_is_accepted_with_its_ca_file(redfish_emulator: RedfishEmulator) -> None:
    device = session.connect(redfish_emulator.target(ca_file=redfish_emulator.certificate.certificate_file))
    try:
        assert run(device, "power-state")[0] == 0
    finally:
        device.close()


def test_only_the_ca_file_is_trusted(redfish_emulator: RedfishEmulator) -> None:
    """requests adds its own CA bundle to a connection's context unless stopped: the client's context must hold the
    CA file's one certificate after a connection."""
    client = bmc_client.BmcClient.open(redfish_emulator.target(ca_file=redfish_emulator.certificate.certificate_file))
    try:
        client.power_state()
        adapter = client._connector._session.get_adapter(redfish_emulator.base_url)  # type: ignore[union-attr]
        assert adapter._context.cert_store_stats()["x509_ca"] == 1
    finally:
        client.close()


def test_the_ca_file_is_checked_with_the_host_name(redfish_emulator: RedfishEmulator, tmp_path: Path) -> None:
    # Another certificate as CA: the emulator's is not signed by it.
    stranger = make_self_signed_certificate(tmp_path / "other", common_name="other.example")
    with pytest.raises(DeviceError, match="could not be verified"):
        session.connect(redfish_emulator.target(ca_file=stranger.certificate_file))


def test_a_pin_is_read_in_any_usual_form(redfish_emulator: RedfishEmulator) -> None:
    digits = redfish_emulator.certificate.sha256
    shown = "SHA256:" + ":".join(digits[i : i + 2] for i in range(0, 64, 2)).upper()
    device = session.connect(redfish_emulator.target(pinned_sha256=shown))
    device.close()
    with pytest.raises(DeviceError, match="is not a SHA-256"):
        session.connect(redfish_emulator.target(pinned_sha256="abc123"))


def test_proxies_from_the_environment_are_not_used(
    redfish_emulator: RedfishEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A customer's machine may set a proxy for the web: a BMC on the local network is reached directly.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    device = session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    try:
        assert run(device, "power-state")[0] == 0
    finally:
        device.close()


def test_a_redirect_away_from_the_bmc_is_not_followed(redfish_emulator: RedfishEmulator) -> None:
    redfish_emulator.inject("/redfish/v1/Systems", status=307, location="http://127.0.0.1:9/redfish/v1/Systems")
    with pytest.raises(DeviceError, match=r"sent the client to http://127\.0\.0\.1:9, another address"):
        session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))


# -- unexpected answers and lost connections ---------------------------------------------------------------------------


def test_an_html_page_is_not_taken_for_redfish(redfish_emulator: RedfishEmulator) -> None:
    redfish_emulator.inject("/redfish/v1", status=200, body="<html><title>Welcome to nginx!</title></html>")
    with pytest.raises(DeviceError) as caught:
        session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    assert "did not answer with Redfish JSON at /redfish/v1/" in str(caught.value)
    assert "HTTPS port" in str(caught.value)


def test_a_server_error_is_reported_with_the_bmc_message(redfish_emulator: RedfishEmulator) -> None:
    body = '{"error": {"code": "Base.1.12.InternalError", "message": "iDRAC is not ready."}}'
    redfish_emulator.inject("/redfish/v1/Systems", status=500, body=body, content_type="application/json", times=2)
    with pytest.raises(DeviceError) as caught:
        session.connect(redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256))
    assert "answered HTTP 500 to /redfish/v1/Systems: iDRAC is not ready." in str(caught.value)


def test_a_bmc_that_goes_away_loses_the_session(redfish_certificate: EmulatorCertificate, tmp_path: Path) -> None:
    emulator = RedfishEmulator(tmp_path / "emulator", redfish_certificate)  # its own server, on the same app
    emulator.start()
    try:
        device = session.connect(emulator.target(pinned_sha256=redfish_certificate.sha256))
    finally:
        emulator.stop()
    with pytest.raises(DeviceConnectionLost, match="refused the connection"):
        run(device, "health")
    assert not device.active


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_nothing_listening(redfish_emulator: RedfishEmulator) -> None:
    port = free_port()
    with pytest.raises(DeviceError, match=f"127.0.0.1:{port} refused the connection") as caught:
        session.connect(redfish_emulator.target(port=port, pinned_sha256=redfish_emulator.certificate.sha256))
    assert not isinstance(caught.value, DeviceConnectionLost)


def test_a_bmc_that_does_not_answer_times_out(redfish_emulator: RedfishEmulator) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) but never speaks TLS
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(DeviceError, match="did not answer within 1 s"):
            session.connect(redfish_emulator.target(port=port, timeout=1.0, pinned_sha256="ab" * 32))
        assert time.monotonic() - started < 8


def test_cancelling_sends_nothing_more(redfish_emulator: RedfishEmulator) -> None:
    target = redfish_emulator.target(pinned_sha256=redfish_emulator.certificate.sha256)
    device = session.connect(target)
    cancelled = threading.Event()
    cancelled.set()
    try:
        before = len(redfish_emulator.requests)
        assert device.run("health", lambda _chunk: None, cancelled) == session.EXIT_CANCELLED
        assert len(redfish_emulator.requests) == before
        assert device.active
    finally:
        device.close()
    client = bmc_client.BmcClient.open(target)
    try:
        client.cancelled = cancelled
        with pytest.raises(bmc_client.Cancelled):
            client.health()
    finally:
        client.close()
