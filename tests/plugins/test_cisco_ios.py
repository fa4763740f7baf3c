"""The Cisco IOS plugin: its actions as SupportStation loads them, its parsers on IOS outputs, its config diff, and its
transport against a simulated switch.

No Cisco switch runs here, so the samples in tests/data/cisco_ios were written by hand in the shapes Cisco's
documentation and real devices print, each file named `<command>.<device>.txt`: a Catalyst 2960 on IOS 15.0, a
Catalyst 9300 stack on IOS XE 17.9, a 3560-CX after a password recovery (configuration register 0x2142), log
buffers with and without sequence numbers, an empty or disabled log buffer, and what a router answers to a
switch-only command. The running-config pair differs by a VLAN name and a port's VLAN, and by every line IOS
rewrites by itself.

The transport's tests run netmiko against fake-switches' simulated Catalyst 2960 (see tests/servers/fake_switch.py
and the launcher beside it, which lists what was added to the simulator and why); its fixtures mark them
`fake_switch`, so `-m "not fake_switch"` leaves them out.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from supportstation.plugin_api import (
    Action,
    DeviceConnectionLost,
    DeviceError,
    DeviceTarget,
    ParameterError,
    ParseError,
    ReportContext,
    ReportRun,
    Table,
)
from supportstation.plugins import PluginRegistry
from tests.conftest import ROOT
from tests.servers.fake_switch import FakeSwitch, generate_host_key, known_hosts_line
from tests.servers.postgres import free_port
from tests.servers.sshd import terminate

try:
    import supportstation_cisco_ios as cisco_ios
except ImportError:
    if os.environ.get("CI"):  # tools/bootstrap installs it: CI must not pass by skipping these tests
        raise
    pytest.skip("install the plugin: .venv/bin/pip install -e plugins/cisco-ios", allow_module_level=True)

from supportstation_cisco_ios import parsers, session
from supportstation_cisco_ios.config_diff import config_diff

# The simulator's fixtures (fake_switch, fresh_fake_switch) and its `fake_switch` marker.
DATA = ROOT / "tests" / "data" / "cisco_ios"
ACTIONS: dict[str, Action] = {action.id: action for action in cisco_ios.ACTIONS}
EXPECTED_IDS = {
    "cisco.show_version",
    "cisco.interfaces_status",
    "cisco.vlans",
    "cisco.ip_interfaces",
    "cisco.logging",
    "cisco.running_config",
    "cisco.set_vlan_name",
    "cisco.set_access_vlan",
}
PARSED_IDS = sorted(action_id for action_id, action in ACTIONS.items() if action.parser is not None)
CHANGING_IDS = {"cisco.set_vlan_name", "cisco.set_access_vlan"}
INVALID_INPUT = "% Invalid input detected at '^' marker."


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def parse(action_id: str, output: str) -> Table:
    table = ACTIONS[action_id].parse(output)
    assert table is not None
    return table


def column(table: Table, name: str) -> list[str]:
    index = table.columns.index(name)
    return [row[index] for row in table.rows]


def row_of(table: Table, key: str) -> dict[str, str]:
    """The row whose first cell is `key`, by column name."""
    [row] = [row for row in table.rows if row[0] == key]
    return dict(zip(table.columns, row, strict=True))


# -- the plugin as SupportStation finds it ------------------------------------------------------------------------


def test_found_through_entry_point() -> None:
    registry = PluginRegistry()
    registry.load()
    assert [failure for failure in registry.failures if failure.name == "cisco-ios"] == []
    [plugin] = [plugin for plugin in registry.plugins if plugin.name == "cisco-ios"]
    assert plugin.distribution == "supportstation-cisco-ios"
    assert plugin.version == "0.1.0"
    assert {action.id for action in registry.all_actions()} >= EXPECTED_IDS
    assert [failure for failure in registry.failures if failure.name == "cisco-ios"] == []
    assert registry.find_action("cisco.set_vlan_name") is ACTIONS["cisco.set_vlan_name"]


def test_transport_speaks_ios_over_ssh() -> None:
    [transport] = cisco_ios.supportstation_transports()
    assert (transport.name, transport.language, transport.default_port, transport.identity) == (
        "cisco-ios",
        "ios",
        22,
        "ssh-host-key",
    )
    assert transport.title == "Cisco IOS (network CLI over SSH)"
    assert transport.connect is session.connect


def test_every_action_is_for_cisco_ios_only() -> None:
    assert set(ACTIONS) == EXPECTED_IDS
    assert {action.id for action in cisco_ios.supportstation_actions()} == EXPECTED_IDS
    for action in ACTIONS.values():
        assert set(action.commands) == {"ios"}
        assert action.applies_to("network", "cisco") and action.applies_to("Network", "Cisco")
        assert not action.applies_to("linux", "cisco") and not action.applies_to("network", "juniper")
        assert action.title and action.description and action.category
        assert not action.needs_sudo


def test_only_the_actions_that_change_the_switch_ask_first() -> None:
    for action_id, action in ACTIONS.items():
        assert bool(action.confirm) == (action_id in CHANGING_IDS), action_id
        assert ("configure terminal" in action.commands["ios"]) == (action_id in CHANGING_IDS)
    assert ACTIONS["cisco.set_vlan_name"].confirm == "Change the VLAN on the switch?"
    assert ACTIONS["cisco.running_config"].parser is None
    assert ACTIONS["cisco.running_config"].commands["ios"] == "show running-config"


def test_set_vlan_name_command() -> None:
    action = ACTIONS["cisco.set_vlan_name"]
    assert action.command_for("ios", {"vlan_id": "42", "name": "Users-2nd_floor"}) == (
        "configure terminal\nvlan 42\nname Users-2nd_floor\nend"
    )
    assert action.command_for("ios", {"vlan_id": 4094, "name": "x" * 32}).splitlines()[1:3] == [
        "vlan 4094",
        "name " + "x" * 32,
    ]


@pytest.mark.parametrize(
    ("vlan_id", "name"),
    [
        ("0", "Users"),
        ("4095", "Users"),
        ("10000", "Users"),
        ("-5", "Users"),
        ("ten", "Users"),
        ("10", "Two words"),
        ("10", "x" * 33),
        ("10", "Users\nend\nreload"),
        ("10", "Users;reload"),
        ("10", ""),
        ("10", "Réseau"),
    ],
)
def test_set_vlan_name_refuses_values_ios_would_misread(vlan_id: str, name: str) -> None:
    with pytest.raises(ParameterError):
        ACTIONS["cisco.set_vlan_name"].command_for("ios", {"vlan_id": vlan_id, "name": name})


@pytest.mark.parametrize(
    "interface", ["GigabitEthernet0/1", "Gi0/1", "gi1/0/24", "FastEthernet0/3", "Fa0/12", "Te1/1/1", "Twe1/0/25"]
)
def test_set_access_vlan_takes_ethernet_ports(interface: str) -> None:
    command = ACTIONS["cisco.set_access_vlan"].command_for("ios", {"interface": interface, "vlan_id": "30"})
    assert command == f"configure terminal\ninterface {interface}\nswitchport access vlan 30\nend"


@pytest.mark.parametrize(
    "interface",
    ["Vlan10", "Gi0/1 ", "GigabitEthernet", "0/1", "Gi0/1\nshutdown", "Gi0/1;end", "Gi0/1 - 4", "Port-channel1", ""],
)
def test_set_access_vlan_refuses_anything_but_one_port(interface: str) -> None:
    with pytest.raises(ParameterError):
        ACTIONS["cisco.set_access_vlan"].command_for("ios", {"interface": interface, "vlan_id": "30"})


# -- parsers on samples -------------------------------------------------------------------------------------------


def test_show_version_of_a_2960() -> None:
    table = parse("cisco.show_version", sample("show_version.c2960.txt"))
    assert len(table.rows) == 1
    assert row_of(table, "sw-etage2") == {
        "Hostname": "sw-etage2",
        "Model": "WS-C2960-24TT-L",
        "Serial number": "FOC1452W3JK",
        "Version": "15.0(2)SE11",
        "Software image": "c2960-lanbasek9-mz.150-2.SE11.bin",
        "Uptime": "2 years, 14 weeks, 3 days, 6 hours, 42 minutes",
        "Last reload reason": "power-on",
        "Configuration register": "0xF",
    }
    assert table.notes == ()


def test_show_version_of_a_9300_stack_lists_each_member() -> None:
    table = parse("cisco.show_version", sample("show_version.c9300_stack.txt"))
    row = row_of(table, "sw-core-01")
    assert row["Model"] == "C9300-48P, C9300-48P"
    assert row["Serial number"] == "FOC2331X0AB, FOC2331X1CD"
    assert row["Version"] == "17.9.4a"
    assert row["Software image"] == "packages.conf"
    assert row["Last reload reason"] == "Reload Command"
    assert row["Configuration register"] == "0x102"
    assert table.notes == (parsers.STACK_NOTE,)


def test_show_version_warns_of_a_recent_reload_and_a_register_that_skips_the_config() -> None:
    output = sample("show_version.c3560cx_recovered.txt")
    table = parse("cisco.show_version", output)
    row = row_of(table, "sw-atelier")
    assert (row["Uptime"], row["Configuration register"]) == ("2 hours, 5 minutes", "0x2142")
    assert table.notes == (parsers.RECENT_RELOAD_NOTE, parsers.IGNORES_CONFIG_NOTE)
    # Once set back, IOS says which value the next reload takes: no more warning about the register.
    fixed = output.replace("is 0x2142", "is 0x2142 (will be 0x2102 at next reload)")
    assert parse("cisco.show_version", fixed).notes == (parsers.RECENT_RELOAD_NOTE,)


def test_interfaces_status_of_a_2960() -> None:
    table = parse("cisco.interfaces_status", sample("show_interfaces_status.c2960.txt"))
    assert table.columns == ("Port", "Name", "Status", "VLAN", "Duplex", "Speed", "Type")
    assert len(table.rows) == 26
    assert row_of(table, "Fa0/2") == {
        "Port": "Fa0/2",
        "Name": "Imprimante RDC",
        "Status": "connected",
        "VLAN": "20",
        "Duplex": "a-full",
        "Speed": "a-100",
        "Type": "10/100BaseTX",
    }
    assert row_of(table, "Fa0/3")["Name"] == ""
    assert row_of(table, "Fa0/4")["Status"] == "err-disabled"
    assert row_of(table, "Fa0/6")["Status"] == "disabled"
    assert row_of(table, "Gi0/1")["VLAN"] == "trunk"
    assert table.notes == (parsers.ERR_DISABLED_NOTE, parsers.HALF_DUPLEX_NOTE)


def test_interfaces_status_of_a_9300_stack() -> None:
    table = parse("cisco.interfaces_status", sample("show_interfaces_status.c9300.txt"))
    assert column(table, "Port")[:3] == ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]
    assert row_of(table, "Te1/1/3") == {
        "Port": "Te1/1/3",
        "Name": "Lien coeur A",
        "Status": "connected",
        "VLAN": "trunk",
        "Duplex": "full",
        "Speed": "10G",
        "Type": "SFP-10GBase-SR",
    }
    assert "Gi2/0/1" in column(table, "Port")
    assert table.notes == ()


def test_vlan_brief_joins_wrapped_port_lists() -> None:
    table = parse("cisco.vlans", sample("show_vlan_brief.c2960.txt"))
    assert table.columns == ("VLAN", "Name", "Status", "Ports")
    assert column(table, "VLAN") == ["1", "10", "20", "30", "40", "99", "1002", "1003", "1004", "1005"]
    assert row_of(table, "1")["Ports"].split(", ")[-3:] == ["Fa0/22", "Fa0/23", "Gi0/2"]
    assert len(row_of(table, "1")["Ports"].split(", ")) == 18
    assert row_of(table, "10") == {
        "VLAN": "10",
        "Name": "COMPTA",
        "Status": "active",
        "Ports": "Fa0/1, Fa0/3, Fa0/4, Fa0/24",
    }
    assert row_of(table, "99") == {"VLAN": "99", "Name": "MGMT", "Status": "active", "Ports": ""}
    assert row_of(table, "1003")["Status"] == "act/unsup"


def test_ip_interface_brief_of_a_9300() -> None:
    table = parse("cisco.ip_interfaces", sample("show_ip_interface_brief.c9300.txt"))
    assert table.columns == ("Interface", "IP address", "Status", "Protocol")
    assert len(table.rows) == 16
    assert row_of(table, "Vlan1")["Status"] == "administratively down"
    assert row_of(table, "Vlan20") == {
        "Interface": "Vlan20",
        "IP address": "10.10.20.1",
        "Status": "up",
        "Protocol": "down",
    }
    # A name of 23 characters pushes the address one space from it.
    assert row_of(table, "TenGigabitEthernet1/1/3")["IP address"] == "unassigned"
    assert row_of(table, "Loopback0")["IP address"] == "10.255.0.1"
    assert table.notes == (parsers.PROTOCOL_DOWN_NOTE,)


def test_logging_of_a_2960() -> None:
    table = parse("cisco.logging", sample("show_logging.c2960.txt"))
    assert table.columns == ("Time", "Severity", "Facility", "Mnemonic", "Message")
    assert len(table.rows) == 9
    assert table.rows[0] == (
        "Mar 1 00:00:31.651",
        "3 (error)",
        "LINK",
        "UPDOWN",
        "Interface FastEthernet0/1, changed state to up",
    )
    assert table.rows[3][:4] == ("Mar 4 08:02:11.207 CET", "2 (critical)", "SPANTREE", "BLOCK_BPDUGUARD")
    assert table.rows[-1][4] == "Configured from console by admin on vty0 (10.10.99.20)"
    assert table.notes == (parsers.ERRORS_NOTE, parsers.UNSYNCHRONISED_NOTE)


def test_logging_with_sequence_numbers() -> None:
    table = parse("cisco.logging", sample("show_logging.c9300_sequence_numbers.txt"))
    assert len(table.rows) == 7
    assert column(table, "Mnemonic")[0] == "CABLE_A_CURRENT_IN"
    assert table.rows[4][2:4] == ("DOT1X", "FAIL")
    assert "Authentication failed for client (3c52.82aa.10ff)" in table.rows[4][4]
    assert table.rows[-1][:2] == ("Mar 4 10:16:40.550 CET", "6 (informational)")
    assert table.notes == (parsers.ERRORS_NOTE,)


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("show_logging.empty_buffer.txt", parsers.EMPTY_BUFFER_NOTE),
        ("show_logging.buffer_disabled.txt", parsers.BUFFER_DISABLED_NOTE),
    ],
)
def test_logging_without_messages_is_an_empty_table_that_says_why(name: str, note: str) -> None:
    table = parse("cisco.logging", sample(name))
    assert table.rows == () and table.notes == (note,)


@pytest.mark.parametrize("action_id", PARSED_IDS)
def test_a_refused_command_is_a_parse_error_quoting_ios(action_id: str) -> None:
    with pytest.raises(ParseError, match=r"refused .*% Invalid input detected at '\^' marker\."):
        parse(action_id, sample("invalid_input.router.txt"))


@pytest.mark.parametrize("output", ["", "\n", "  \r\n\t\n"])
@pytest.mark.parametrize("action_id", PARSED_IDS)
def test_no_output_is_a_parse_error(action_id: str, output: str) -> None:
    with pytest.raises(ParseError, match="printed nothing"):
        parse(action_id, output)


GARBAGE = [
    "Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/sda1       40000000 1000000  39000000   3% /\n",
    "sw-lab-01>\n",
    'Translating "shwo"...domain server (255.255.255.255)\n',
]


@pytest.mark.parametrize("output", GARBAGE)
@pytest.mark.parametrize("action_id", PARSED_IDS)
def test_output_of_another_command_is_a_parse_error(action_id: str, output: str) -> None:
    with pytest.raises(ParseError):
        parse(action_id, output)


def test_a_line_the_template_does_not_know_is_named_in_the_parse_error() -> None:
    output = sample("show_interfaces_status.c2960.txt") + "Fa0/25 this line was cut by the terminal\n"
    with pytest.raises(ParseError, match="not what the parser expected"):
        parse("cisco.interfaces_status", output)


def test_output_of_another_show_is_refused_not_misread() -> None:
    with pytest.raises(ParseError):
        parse("cisco.vlans", sample("show_interfaces_status.c2960.txt"))
    with pytest.raises(ParseError):
        parse("cisco.show_version", sample("show_vlan_brief.c2960.txt"))


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("   ^\n% Invalid input detected at '^' marker.\n", "% Invalid input detected at '^' marker."),
        ("% Incomplete command.\n", "% Incomplete command."),
        ('% Ambiguous command:  "sh i"\n', '% Ambiguous command:  "sh i"'),
        ("% Unknown command or computer name, or unable to find computer address\n", None),
        ("Command rejected: Bad VLAN list - character #1 ('-') delimits a VLAN number\n", None),
        ("%Error opening tftp://192.0.2.1/sw.cfg (Timed out)\n", None),
        ("*Mar  1 00:00:31.651: %LINK-3-UPDOWN: Interface FastEthernet0/1, changed state to up\n", ""),
        ("VLAN0010 is executing the rstp compatible Spanning Tree protocol\n", ""),
    ],
)
def test_ios_error_lines(output: str, expected: str | None) -> None:
    # None: the line itself is expected; "": no error in that output.
    want = output.strip() if expected is None else (expected or None)
    assert parsers.ios_error_line(output) == want


# -- config diff ----------------------------------------------------------------------------------------------------


def test_config_diff_shows_the_changes_and_none_of_the_volatile_lines() -> None:
    diff = config_diff(sample("running_config.before.txt"), sample("running_config.after.txt"))
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        "- name IMPRESSION",
        "+ name IMPRESSION_RDC",
        "- switchport access vlan 20",
        "+ switchport access vlan 40",
    ]
    assert diff.startswith("--- before\n+++ after\n@@ ")
    for volatile in ("Last configuration change", "NVRAM config", "Current configuration", "clock-period"):
        assert volatile not in diff


def test_config_diff_is_empty_when_only_volatile_lines_changed() -> None:
    before = sample("running_config.before.txt")
    after = (
        before.replace("16:42:07 CET Thu Feb 29 2024", "09:00:00 CET Tue Mar 5 2024")
        .replace(
            "! NVRAM config last updated at 16:42:12 CET Thu Feb 29 2024 by admin",
            "! No configuration change since last restart",
        )
        .replace("2214 bytes", "2230 bytes")
        .replace("clock-period 36028797", "clock-period 36029056")
        .replace("Building configuration...\n", "")
        .replace("\n", "\r\n")  # as a terminal may deliver it
    )
    assert config_diff(before, after) == ""
    assert config_diff(before, before) == ""
    assert config_diff(before, after + "\n\n") == ""


def test_config_diff_names_its_sides_and_keeps_context() -> None:
    before = "hostname sw1\n!\nvlan 10\n name A\n!\nend\n"
    after = "hostname sw1\n!\nvlan 10\n name B\n!\nend\n"
    assert config_diff(before, after, "monday", "tuesday") == (
        "--- monday\n+++ tuesday\n@@ -1,6 +1,6 @@\n hostname sw1\n !\n vlan 10\n- name A\n+ name B\n !\n end\n"
    )


def test_config_diff_sees_a_removed_line() -> None:
    before = sample("running_config.before.txt")
    after = before.replace(" spanning-tree portfast\n!\ninterface FastEthernet0/4", "!\ninterface FastEthernet0/4")
    assert "- spanning-tree portfast" in config_diff(before, after).splitlines()


# -- the transport against the simulated switch ---------------------------------------------------------------------


def target_for(switch: FakeSwitch, **changes: object) -> DeviceTarget:
    base = DeviceTarget(
        host=switch.host,
        port=switch.port,
        user=switch.username,
        password=switch.password,
        secret=switch.enable_secret,
        known_hosts=switch.known_hosts,
        timeout=10,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


class Run:
    """What a command gave: the exit code and everything passed to `output`, each chunk checked to be bytes."""

    def __init__(self, ios: session.IosSession, command: str, cancelled: threading.Event | None = None) -> None:
        self.chunks: list[bytes] = []
        self.code = ios.run(command, self._take, cancelled or threading.Event())
        self.text = b"".join(self.chunks).decode("utf-8")

    def _take(self, chunk: bytes) -> None:
        assert isinstance(chunk, bytes)
        self.chunks.append(chunk)


def run_action(ios: session.IosSession, action_id: str, **arguments: object) -> Run:
    return Run(ios, ACTIONS[action_id].command_for("ios", arguments))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} was not met within {timeout} s")
        time.sleep(0.01)


def assert_no_secret(message: str, switch: FakeSwitch) -> None:
    assert switch.password not in message
    assert switch.enable_secret not in message


@pytest.fixture
def ios(fake_switch: FakeSwitch) -> Iterator[session.IosSession]:
    """An open session in enable mode to the session's simulated switch."""
    opened = session.connect(target_for(fake_switch))
    yield opened
    opened.close()


def test_connects_in_enable_mode_and_reads_show_version(ios: session.IosSession, fake_switch: FakeSwitch) -> None:
    assert ios.active
    result = run_action(ios, "cisco.show_version")
    assert result.code == 0
    table = parse("cisco.show_version", result.text)
    row = row_of(table, fake_switch.hostname)
    assert row["Version"] == "12.2(58)SE2"
    assert row["Model"] == "WS-C3750G-24TS-1U"
    assert row["Serial number"] == "FOC1530X2F7"
    # netmiko strips the command's echo and the prompt: the output is the command's alone.
    assert not result.text.startswith("show version") and fake_switch.hostname + "#" not in result.text


@pytest.mark.parametrize("action_id", PARSED_IDS)
def test_every_parser_reads_what_the_switch_prints(ios: session.IosSession, action_id: str) -> None:
    result = run_action(ios, action_id)
    assert result.code == 0, result.text
    assert parse(action_id, result.text).rows


def test_vlans_and_ports_as_the_switch_lists_them(ios: session.IosSession) -> None:
    vlans = parse("cisco.vlans", run_action(ios, "cisco.vlans").text)
    assert row_of(vlans, "1")["Name"] == "default"
    assert "Fa0/1" in row_of(vlans, "1")["Ports"].split(", ")
    ports = parse("cisco.interfaces_status", run_action(ios, "cisco.interfaces_status").text)
    assert row_of(ports, "Fa0/1")["Status"] == "connected"
    assert row_of(ports, "Fa0/20")["Status"] == "notconnect"
    addresses = parse("cisco.ip_interfaces", run_action(ios, "cisco.ip_interfaces").text)
    assert row_of(addresses, "Vlan1")["IP address"] == "192.0.2.10"


def test_set_vlan_name_changes_the_vlan_and_the_running_config(
    ios: session.IosSession, fake_switch: FakeSwitch
) -> None:
    before = run_action(ios, "cisco.running_config")
    assert before.code == 0 and "Current configuration" in before.text

    result = run_action(ios, "cisco.set_vlan_name", vlan_id=123, name="Lab_Users")
    assert result.code == 0, result.text
    # The device's echo of the configuration, back at the exec prompt at the end.
    assert f"{fake_switch.hostname}(config-vlan)#" in result.text
    assert "name Lab_Users" in result.text
    assert result.text.rstrip().endswith(f"{fake_switch.hostname}#")

    vlans = parse("cisco.vlans", run_action(ios, "cisco.vlans").text)
    assert row_of(vlans, "123")["Name"] == "Lab_Users"

    after = run_action(ios, "cisco.running_config")
    diff = config_diff(before.text, after.text)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    # The simulator rewrites its change time and clock period like IOS: only the VLAN shows.
    assert sorted(changed) == ["+ name Lab_Users", "+!", "+vlan 123"]
    assert "Last configuration change" in after.text

    log = parse("cisco.logging", run_action(ios, "cisco.logging").text)
    assert f"Configured from console by {fake_switch.username} on vty0 (127.0.0.1)" in column(log, "Message")


def test_set_access_vlan_moves_the_port(ios: session.IosSession) -> None:
    assert run_action(ios, "cisco.set_vlan_name", vlan_id=130, name="Printers").code == 0
    result = run_action(ios, "cisco.set_access_vlan", interface="Fa0/10", vlan_id=130)
    assert result.code == 0, result.text
    vlans = parse("cisco.vlans", run_action(ios, "cisco.vlans").text)
    assert row_of(vlans, "130")["Ports"] == "Fa0/10"
    assert "Fa0/10" not in row_of(vlans, "1")["Ports"].split(", ")
    ports = parse("cisco.interfaces_status", run_action(ios, "cisco.interfaces_status").text)
    assert row_of(ports, "Fa0/10")["VLAN"] == "130"


def test_an_invalid_command_exits_1_with_the_ios_message(ios: session.IosSession) -> None:
    result = Run(ios, "show bogus")
    assert result.code == 1
    assert INVALID_INPUT in result.text
    assert ios.active
    assert Run(ios, "show version").code == 0


def test_several_exec_commands_stop_at_the_first_refused(ios: session.IosSession) -> None:
    both = Run(ios, "show vlan brief\n  show ip interface brief\n")
    assert both.code == 0
    assert "VLAN Name" in both.text and "IP-Address" in both.text
    stopped = Run(ios, "show bogus\nshow version")
    assert stopped.code == 1
    assert INVALID_INPUT in stopped.text and "Cisco IOS Software" not in stopped.text


def test_a_refused_configuration_line_stops_the_rest(ios: session.IosSession, fake_switch: FakeSwitch) -> None:
    result = Run(ios, "configure terminal\nvlan 140\nbogus setting\nname Never_140\nend")
    assert result.code == 1
    assert INVALID_INPUT in result.text
    assert result.text.rstrip().endswith(f"{fake_switch.hostname}#"), "the session is back at the exec prompt"
    vlans = parse("cisco.vlans", Run(ios, "show vlan brief").text)
    assert row_of(vlans, "140")["Name"] == "VLAN0140"  # created by the line before the refused one, never named


def test_a_configuration_going_on_after_end_is_not_sent(ios: session.IosSession) -> None:
    with pytest.raises(DeviceError, match="after 'end'"):
        Run(ios, "configure terminal\nvlan 150\nend\nreload")
    assert ios.active
    assert "150" not in column(parse("cisco.vlans", Run(ios, "show vlan brief").text), "VLAN")


def test_cancel_before_the_command_sends_nothing(ios: session.IosSession) -> None:
    cancelled = threading.Event()
    cancelled.set()
    result = Run(ios, "configure terminal\nvlan 160\nend", cancelled)
    assert result.code == session.CANCELLED
    assert "160" not in column(parse("cisco.vlans", Run(ios, "show vlan brief").text), "VLAN")


def test_cancel_between_configuration_lines_leaves_configuration_mode(
    ios: session.IosSession, fake_switch: FakeSwitch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Watching the flag this often, the final `end` would be cut by the cancel if it were watched like the lines.
    monkeypatch.setattr(session, "_POLL_SECONDS", 0.001)
    cancelled = threading.Event()
    seen: list[bytes] = []

    def output(chunk: bytes) -> None:
        seen.append(chunk)
        if b"(config-vlan)#" in chunk:  # the first VLAN line went through: cancel before the next one
            cancelled.set()

    code = ios.run("configure terminal\nvlan 170\nname First_170\nvlan 171\nend", output, cancelled)
    assert code == session.CANCELLED
    assert ios.active, "a cancel between lines keeps the session, back at the exec prompt"
    assert b"".join(seen).decode().rstrip().endswith(f"{fake_switch.hostname}#")
    vlans = parse("cisco.vlans", Run(ios, "show vlan brief").text)
    assert row_of(vlans, "170")["Name"] == "VLAN0170"
    assert "171" not in column(vlans, "VLAN")


def test_cancel_during_a_long_command_returns_at_once(ios: session.IosSession, fake_switch: FakeSwitch) -> None:
    mark = len(fake_switch.log_text())
    cancelled = threading.Event()
    results: list[int] = []
    # 30 unanswered echoes of 1 s each: the command would run for half a minute, past the session's timeout.
    worker = threading.Thread(
        target=lambda: results.append(ios.run("ping 192.0.2.99 repeat 30 timeout 1", lambda _: None, cancelled))
    )
    worker.start()
    wait_until(lambda: "ping 192.0.2.99 started" in fake_switch.log_text()[mark:], what="the ping to start")
    started = time.monotonic()
    cancelled.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 2
    assert results == [session.CANCELLED]
    assert not ios.active, "a command cancelled mid-way leaves the session in an unknown state: it is dropped"
    with pytest.raises(DeviceConnectionLost):
        Run(ios, "show version")
    # The switch itself is fine: a new session works.
    fresh = session.connect(target_for(fake_switch))
    try:
        assert Run(fresh, "show version").code == 0
    finally:
        fresh.close()


def test_a_session_that_dies_under_a_command_is_lost(fresh_fake_switch: FakeSwitch) -> None:
    ios = session.connect(target_for(fresh_fake_switch))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ios.run("ping 192.0.2.98 repeat 30 timeout 1", lambda _: None, threading.Event())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    wait_until(lambda: "ping 192.0.2.98 started" in fresh_fake_switch.log_text(), what="the ping to start")
    started = time.monotonic()
    terminate([fresh_fake_switch.pid])
    worker.join(timeout=8)
    assert not worker.is_alive()
    assert time.monotonic() - started < 5, "noticed from the channel, not after the command's timeout"
    [error] = errors
    assert isinstance(error, DeviceConnectionLost)
    assert "ended during 'ping 192.0.2.98 repeat 30 timeout 1'" in str(error)
    assert not ios.active
    ios.close()


def test_a_prompt_that_does_not_come_is_quoted(fake_switch: FakeSwitch) -> None:
    ios = session.connect(target_for(fake_switch, timeout=2))
    try:
        with pytest.raises(DeviceError) as raised:
            Run(ios, "reload")
        message = str(raised.value)
        assert "did not show its prompt within 2 s after 'reload'" in message
        assert "'Proceed with reload? [confirm]'" in message
        assert not isinstance(raised.value, DeviceConnectionLost)
        assert not ios.active
    finally:
        ios.close()


def test_a_wrong_password_is_a_refused_login_that_does_not_repeat_it(fake_switch: FakeSwitch) -> None:
    wrong = "Wr0ng pass$word"
    with pytest.raises(DeviceError) as raised:
        session.connect(target_for(fake_switch, password=wrong))
    message = str(raised.value)
    assert f"refused the login of '{fake_switch.username}'" in message
    assert "wrong user name or password" in message
    assert wrong not in message
    assert_no_secret(message, fake_switch)


def test_a_wrong_enable_secret_is_refused(fake_switch: FakeSwitch) -> None:
    with pytest.raises(DeviceError) as raised:
        session.connect(target_for(fake_switch, secret="not-the-secret"))
    message = str(raised.value)
    assert "refused the enable secret" in message
    assert "% Access denied" in message
    assert "not-the-secret" not in message
    assert_no_secret(message, fake_switch)


def test_enable_asked_by_the_host_options_without_a_secret(fake_switch: FakeSwitch) -> None:
    with pytest.raises(DeviceError, match="refused the enable secret"):
        session.connect(target_for(fake_switch, secret=None, options={"enable": "yes"}))
    # Without a secret nor the option, the session stays in user EXEC.
    ios = session.connect(target_for(fake_switch, secret=None, options={"enable": "no"}))
    try:
        result = Run(ios, "configure terminal\nvlan 180\nend")
        assert result.code == 1, "configuration mode needs enable"
    finally:
        ios.close()


def test_another_host_key_is_refused_with_the_fingerprint_offered(fake_switch: FakeSwitch, tmp_path: Path) -> None:
    other_key = generate_host_key(tmp_path / "other_rsa")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(known_hosts_line(fake_switch.host, fake_switch.port, other_key) + "\n")
    with pytest.raises(DeviceError) as raised:
        session.connect(target_for(fake_switch, known_hosts=known_hosts))
    message = str(raised.value)
    assert f"offered the SSH host key {fake_switch.fingerprint}" in message
    assert "connection refused" in message
    assert_no_secret(message, fake_switch)


def test_a_host_key_accepted_for_another_port_is_refused(fake_switch: FakeSwitch, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(known_hosts_line(fake_switch.host, fake_switch.port + 1, fake_switch.host_public_key) + "\n")
    with pytest.raises(DeviceError, match=re.escape(f"offered the SSH host key {fake_switch.fingerprint} (ssh-rsa)")):
        session.connect(target_for(fake_switch, known_hosts=known_hosts))


def test_no_accepted_host_key_means_no_connection(tmp_path: Path) -> None:
    target = DeviceTarget("127.0.0.1", 22, "admin", password="x", known_hosts=tmp_path / "missing")
    with pytest.raises(DeviceError, match="No SSH host key has been accepted"):
        session.connect(target)
    with pytest.raises(DeviceError, match="No SSH host key has been accepted"):
        session.connect(replace(target, known_hosts=None))


def test_a_closed_port_is_a_refused_connection(tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    port = free_port()
    target = DeviceTarget("127.0.0.1", port, "admin", password="secret-pass", known_hosts=known_hosts, timeout=5)
    with pytest.raises(DeviceError, match=f"127.0.0.1:{port} refused the connection") as raised:
        session.connect(target)
    assert "secret-pass" not in str(raised.value)


def test_close_ends_the_session(fake_switch: FakeSwitch) -> None:
    ios = session.connect(target_for(fake_switch))
    assert ios.active
    ios.close()
    assert not ios.active
    with pytest.raises(DeviceConnectionLost):
        Run(ios, "show version")
    ios.close()  # twice is harmless


def _backup(host: str, output: str, state: str = "succeeded") -> ReportRun:
    return ReportRun(host, "cisco.running_config", "show running-config", state, 0, None, output)


def test_the_report_shows_each_switchs_change_between_its_first_and_last_backup() -> None:
    from supportstation_cisco_ios import supportstation_report_sections

    before = "Building configuration...\n!\nvlan 10\n name USERS\n!\nend\n"
    after = "Building configuration...\n!\nvlan 10\n name USERS\n!\nvlan 140\n name CAMERAS\n!\nend\n"
    runs = (
        _backup("sw-coeur", before),
        _backup("sw-coeur", "% Connection lost", state="connection_lost"),  # a failed backup is no backup
        _backup("sw-coeur", after),
        _backup("sw-atelier", before),  # backed up once: nothing to compare
        _backup("sw-etage", before),
        _backup("sw-etage", before.replace("Building configuration...", "! Last configuration change at 10:00")),
    )
    sections = supportstation_report_sections(ReportContext("fr", "INC-1", runs))
    assert [section.title for section in sections] == [
        "Modifications de la configuration de sw-coeur",
        "Modifications de la configuration de sw-etage",
    ]
    changed, unchanged = sections
    assert changed.code_kind == "diff" and "+vlan 140\n+ name CAMERAS\n" in changed.code
    assert "sw-coeur (avant)" in changed.code and "(2 sauvegardes)" in changed.text
    assert unchanged.code == "" and "la même" in unchanged.text
    english = supportstation_report_sections(ReportContext("en", "INC-1", runs[:3]))
    assert english[0].title == "Configuration changes on sw-coeur"
