"""fake-switches' Cisco 2960 with the command processors that make it answer like IOS (see launcher.py for the list of
what they add and why). Importing this module patches fake-switches in the importing process: only the simulator's
own process imports it."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from fake_switches.cisco.cisco_core import Cisco2960_24TT_L_SwitchCore, CiscoShellSession
from fake_switches.cisco.command_processor import enabled as fake_enabled
from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
from fake_switches.cisco.command_processor.config_interface import ConfigInterfaceCommandProcessor
from fake_switches.cisco.command_processor.config_vlan import ConfigVlanCommandProcessor
from fake_switches.cisco.command_processor.config_vrf import ConfigVRFCommandProcessor
from fake_switches.cisco.command_processor.default import DefaultCommandProcessor
from fake_switches.cisco.command_processor.enabled import (
    EnabledCommandProcessor,
    build_running_interface,
    build_running_vlan,
    build_static_routes,
)
from fake_switches.cisco.command_processor.piping import PipingProcessor
from fake_switches.switch_configuration import Port, SwitchConfiguration, VlanPort
from fake_switches.terminal import LoggingTerminalController
from netaddr import IPNetwork
from twisted.internet import reactor

from .ios_state import (
    CONNECTED_PORTS,
    MANAGEMENT_ADDRESS,
    SimulatorState,
    abbreviates,
    config_time,
    deepest,
    write_error,
)


def _vlan_display_name(vlan: Any) -> str:
    """IOS names a VLAN created without a name "VLAN" and its number on four digits: VLAN0140."""
    return str(vlan.name or ("default" if vlan.number == 1 else f"VLAN{vlan.number:04d}"))


# fake-switches' `show vlan` calls this module function (it printed "VLAN140"); replaced in this process only.
fake_enabled.vlan_display_name = _vlan_display_name


class IosErrors:
    """Mixin: a handler of fake-switches that raises on arguments it did not expect answers like IOS instead of
    dropping the SSH session."""

    def parse_and_execute_command(self, line: str) -> bool:
        try:
            return bool(super().parse_and_execute_command(line))  # type: ignore[misc]
        except Exception:
            logging.exception("fake-switches failed on %r", line)
            first = re.search(r"\S+\s*", line)
            write_error(self, line, first.end() if first else 0)
            return True


class IosShellSession(CiscoShellSession):
    def handle_unknown_command(self, line: str) -> None:
        write_error(deepest(self.command_processor), line, len(line) - len(line.lstrip()))


class UserExec(IosErrors, DefaultCommandProcessor):
    def do_terminal(self, *args: str) -> None:
        """`terminal length 0` and `terminal width 511` are allowed before enable too (netmiko sends them)."""

    def continue_enabling(self, line: str) -> None:
        # As fake-switches does, except that it lets an empty password through whatever the enable secret.
        self.replace_input = False
        if line and line in self.switch_configuration.privileged_passwords:
            self.move_to(self.enabled_processor)
        else:
            self.write_line("% Access denied")
            self.write_line("")


class ConfigVlan(IosErrors, ConfigVlanCommandProcessor):
    pass


class ConfigInterface(IosErrors, ConfigInterfaceCommandProcessor):
    pass


class Config(IosErrors, ConfigCommandProcessor):
    def __init__(self, state: SimulatorState, **processors: Any) -> None:
        super().__init__(**processors)
        self.state = state
        self.line = ""

    def show_unknown_interface_error_message(self) -> None:
        # fake-switches adds "(not such interface)" to IOS's message.
        words = list(re.finditer(r"\S+", self.line))
        write_error(self, self.line, words[1].start() if len(words) > 1 else len(self.line))

    def process_command(self, line: str) -> bool:
        self.line = line
        # `end` leaves every configuration mode at once, whichever sub-mode the line arrives in.
        if line.strip().lower() == "end":
            self.sub_processor = None
            self.is_done = True
            self.state.configured()
            return True
        processed = bool(super().process_command(line))
        if processed and line.strip() and not line.strip().startswith("!"):
            self.state.changed()
        if self.is_done:  # `exit` from global configuration
            self.state.configured()
        return processed


class Enabled(IosErrors, EnabledCommandProcessor):
    def __init__(self, state: SimulatorState, config: Config) -> None:
        super().__init__(config)
        self.state = state
        self.line = ""

    def process_command(self, line: str) -> bool:
        self.line = line  # the words as typed, to put the caret of an error under the right one
        return bool(super().process_command(line))

    def _column_of_word(self, index: int) -> int:
        words = list(re.finditer(r"\S+", self.line))
        return words[index].start() if index < len(words) else len(self.line.rstrip())

    def do_show(self, *args: str) -> None:
        words = [word.lower() for word in args]
        if not words:
            write_error(self, self.line, len(self.line.rstrip()) + 1, "% Incomplete command.")
        elif len(words) == 2 and abbreviates(words[0], "interfaces") and abbreviates(words[1], "status"):
            self.show_interfaces_status()
        elif (
            len(words) == 3
            and words[0] == "ip"
            and abbreviates(words[1], "interface")
            and abbreviates(words[2], "brief")
        ):
            self.show_ip_interface_brief()
        elif len(words) == 1 and abbreviates(words[0], "logging", 3):
            self.show_logging()
        elif (
            abbreviates(words[0], "version", 3)
            or abbreviates(words[0], "vlan")
            or abbreviates(words[0], "etherchannel")
            or abbreviates(words[0], "running-config")
            or (words[0] == "ip" and len(words) > 1 and (words[1] in ("interface", "route")))
        ):
            super().do_show(*args)
        else:
            write_error(self, self.line, self._column_of_word(1))

    def do_write(self, *args: str) -> None:
        super().do_write(*args)
        self.state.saved = datetime.now(UTC)

    # -- the commands fake-switches lacks -------------------------------------------------------------------------

    def _port_state(self, port: Port) -> str:
        if port.shutdown:
            return "disabled"
        return "connected" if port.name in CONNECTED_PORTS else "notconnect"

    def show_interfaces_status(self) -> None:
        self.write_line("")
        self.write_line("Port      Name               Status       Vlan       Duplex  Speed Type")
        for port in self.switch_configuration.get_physical_ports():
            state = self._port_state(port)
            gigabit = port.name.startswith("Gigabit")
            vlan = "trunk" if port.mode == "trunk" else str(port.access_vlan or 1)
            duplex, speed = ("a-full", "a-1000" if gigabit else "a-100") if state == "connected" else ("auto", "auto")
            kind = "10/100/1000BaseTX" if gigabit else "10/100BaseTX"
            name = (port.description or "")[:18]
            self.write_line(
                f"{port.get_subname(length=2):<10}{name:<19}{state:<13}{vlan:<11}{duplex:>6} {speed:>6} {kind}"
            )

    def show_ip_interface_brief(self) -> None:
        self.write_line("Interface              IP-Address      OK? Method Status                Protocol")
        configuration = self.switch_configuration
        for port in configuration.get_vlan_ports():
            address = str(port.ips[0].ip) if port.ips else "unassigned"
            method = "NVRAM" if port.ips else "unset"
            status, protocol = ("administratively down", "down") if port.shutdown else ("up", "up")
            self.write_line(f"{port.name:<23}{address:<16}{'YES':<4}{method:<7}{status:<22}{protocol:<8}")
        for port in configuration.get_physical_ports():
            state = self._port_state(port)
            status, protocol = {
                "disabled": ("administratively down", "down"),
                "connected": ("up", "up"),
                "notconnect": ("down", "down"),
            }[state]
            self.write_line(f"{port.name:<23}{'unassigned':<16}{'YES':<4}{'unset':<7}{status:<22}{protocol:<8}")

    def show_logging(self) -> None:
        count = len(self.state.log)
        for line in (
            "Syslog logging: enabled (0 messages dropped, 0 messages rate-limited, 0 flushes, 0 overruns,"
            " xml disabled, filtering disabled)",
            "",
            "No Active Message Discriminator.",
            "",
            "",
            "",
            "No Inactive Message Discriminator.",
            "",
            "",
            f"    Console logging: level debugging, {count} messages logged, xml disabled,",
            "                     filtering disabled",
            "    Monitor logging: level debugging, 0 messages logged, xml disabled,",
            "                     filtering disabled",
            f"    Buffer logging:  level debugging, {count} messages logged, xml disabled,",
            "                    filtering disabled",
            "    Exception Logging: size (4096 bytes)",
            "    Count and timestamp logging messages: disabled",
            "    File logging: disabled",
            "    Persistent logging: disabled",
            "",
            "No active filter modules.",
            "",
            f"    Trap logging: level informational, {count + 4} message lines logged",
            "        Logging Source-Interface:       VRF Name:",
            "",
            "",
            "Log Buffer (4096 bytes):",
            "",
            *self.state.log,
        ):
            self.write_line(line)

    def show_run(self) -> None:
        configuration = self.switch_configuration
        state = self.state
        state.clock_period += 17  # NTP keeps correcting the clock: real switches show it drifting between reads
        lines = [
            "!",
            f"! Last configuration change at {config_time(state.last_change)} by {state.username}",
            f"! NVRAM config last updated at {config_time(state.saved)} by {state.username}",
            "!",
            "version 12.2",
            "no service pad",
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "no service password-encryption",
            "!",
            f"hostname {configuration.name}",
            "!",
            "boot-start-marker",
            "boot-end-marker",
            "!",
            "no aaa new-model",
            "system mtu routing 1500",
            "!",
            "!",
        ]
        for vlan in sorted(configuration.vlans, key=lambda vlan: vlan.number):
            lines += [*build_running_vlan(vlan), "!"]
        for interface in configuration.get_physical_ports() + configuration.get_vlan_ports():
            lines += [*build_running_interface(interface), "!"]
        lines += [build_static_routes(route) for route in configuration.static_routes]
        lines += [
            "ip http server",
            "ip http secure-server",
            "!",
            "line con 0",
            "line vty 0 4",
            " login local",
            " transport input ssh",
            "line vty 5 15",
            " login local",
            " transport input ssh",
            "!",
            f"ntp clock-period {state.clock_period}",
            "ntp server 192.0.2.1",
            "end",
            "",
        ]
        self.write_line("Building configuration...")
        self.write_line("")
        self.write_line(f"Current configuration : {len(chr(10).join(lines)) + 1} bytes")
        for line in lines:
            self.write_line(line)

    def do_ping(self, *args: str) -> None:
        if not args:
            write_error(self, self.line, len(self.line.rstrip()) + 1, "% Incomplete command.")
            return
        options = dict(zip(args[1::2], args[2::2], strict=False))
        try:
            repeat, timeout = int(options.get("repeat", 5)), int(options.get("timeout", 2))
        except ValueError:
            write_error(self, self.line, self._column_of_word(2))
            return
        self.write_line("Type escape sequence to abort.")
        self.write_line(f"Sending {repeat}, 100-byte ICMP Echos to {args[0]}, timeout is {timeout} seconds:")
        self.awaiting_keystroke = True  # holds the prompt back until the last echo timed out
        logging.info("ping %s started", args[0])  # tests wait for this line before acting on a running command
        self._no_answer(repeat, repeat, timeout)

    def _no_answer(self, left: int, total: int, timeout: int) -> None:
        def probe() -> None:
            try:
                self.write(".")
                if left > 1:
                    self._no_answer(left - 1, total, timeout)
                    return
                self.write_line("")
                self.write_line(f"Success rate is 0 percent (0/{total})")
                self.awaiting_keystroke = False
                self.show_prompt()
            except Exception:  # the client left during the ping: nobody to write to
                logging.info("ping ended with its session")

        reactor.callLater(timeout, probe)  # type: ignore[attr-defined]

    def do_reload(self, *args: str) -> None:
        self.write("Proceed with reload? [confirm]")
        self.on_keystroke(self._reload_answered)

    def _reload_answered(self, key: str) -> None:
        # Simulated: any answer cancels, since the tests only need a command that stops at an unexpected prompt.
        self.write_line("")
        self.show_prompt()


class SimulatedSwitchCore(Cisco2960_24TT_L_SwitchCore):
    """fake-switches' 2960 with the processors above."""

    def __init__(self, configuration: SwitchConfiguration, state: SimulatorState) -> None:
        super().__init__(configuration)
        self.state = state

    def new_command_processor(self) -> Enabled:
        config = Config(
            self.state,
            config_vlan=ConfigVlan(),
            config_vrf=ConfigVRFCommandProcessor(),
            config_interface=ConfigInterface(),
        )
        return Enabled(self.state, config)

    def launch(self, protocol: str, terminal_controller: Any) -> IosShellSession:
        # As BaseCiscoSwitchCore.launch, with this module's user EXEC processor and shell session.
        self.last_connection_id += 1
        self.logger = logging.getLogger(f"fake_switches.cisco.{self.switch_configuration.name}.{protocol}")
        processor: Any = self.new_command_processor()
        if not self.switch_configuration.auto_enabled:
            processor = UserExec(processor)
        processor.init(
            self.switch_configuration,
            LoggingTerminalController(self.logger, terminal_controller),
            self.logger,
            PipingProcessor(self.logger),
        )
        return IosShellSession(processor)


def build_switch(hostname: str, enable_secret: str, username: str) -> SimulatedSwitchCore:
    configuration = SwitchConfiguration(
        "127.0.0.1",
        name=hostname,
        privileged_passwords=[enable_secret],
        ports=Cisco2960_24TT_L_SwitchCore.get_default_ports(),
    )
    core = SimulatedSwitchCore(configuration, SimulatorState(username))
    management = VlanPort(1, "Vlan1")
    management.add_ip(IPNetwork(MANAGEMENT_ADDRESS))
    configuration.add_port(management)
    return core
