"""Runs fake-switches' Cisco IOS simulator (a Catalyst 2960-24TT-L: 24 FastEthernet and 2 GigabitEthernet ports) on
127.0.0.1, for the cisco-ios plugin's tests and the demo. Started by `switch_simulator.process` as

    python -m switch_simulator.launcher SETTINGS.json

where the JSON file (mode 0600: it holds the passwords) gives `ready_file` and `switches`, a list of switches served
by this one process, each with `hostname`, `username`, `password`, `enable_secret`, `host_key` (an RSA private key
in PEM) and `port` (0: a port the kernel picks, so no race with another process for a "free" port; another number
is tried first and given up for a kernel-picked one when it is taken). Once every switch accepts connections, their
ports are written to `ready_file`, one a line, in the order of `switches`. Each switch has its own configuration.

fake-switches 1.5.0 is extended here, by subclassing its command processors (site-packages is never edited):
- `end` in any configuration mode returns to privileged EXEC: fake-switches lacks it, and netmiko leaves
  configuration mode with `end`.
- `show interfaces status`: missing. Printed in the columns of a real 2960 (IOS 15.0); Fa0/1-Fa0/4 and Gi0/1 are
  "connected" (a fixed, plausible cabling), a shut port is "disabled", the rest "notconnect".
- `show ip interface brief`: fake-switches reads `brief` as an interface name and its error drops the SSH session.
  Printed like IOS, with the management interface Vlan1 (192.0.2.10/24, a documentation address) that every 2960 has.
- `show logging`: missing. The header of IOS 15.0 and a log buffer with the boot messages, a %SYS-5-CONFIG_I line
  each time configuration mode is left, like IOS, so tests can see their changes logged.
- `show running-config`: gains the lines real IOS rewrites by itself ("! Last configuration change at ...",
  "! NVRAM config last updated at ...", and an `ntp clock-period` that drifts between two reads), so a config diff
  test proves they are ignored.
- Errors as IOS prints them: an unknown command answered "No such command : X" and an unknown `show` printed nothing;
  both now print the caret line and "% Invalid input detected at '^' marker.", as does `show` alone ("% Incomplete
  command."). A handler that raises on arguments it did not expect (`vlan abc`) used to drop the session; it now
  answers "% Invalid input" too.
- `interface` naming a port the switch lacks: IOS's plain "% Invalid input" message, without fake-switches' addition
  "(not such interface)".
- `show vlan`: a VLAN created without a name is shown "VLAN0140" as IOS does, not "VLAN140" (fake-switches' module
  function that `show vlan` calls is replaced in the launcher's process).
- `terminal length 0` / `terminal width 511` before enable: refused by fake-switches' user EXEC mode, allowed by
  IOS; netmiko sends them right after the login.
- `enable` with an empty password was accepted even when an enable secret is set; it is refused ("% Access denied")
  like any wrong secret.
- `ping ADDRESS [repeat N] [timeout S]`: missing. Prints like IOS for a host that does not answer, one "." every S
  seconds, so a test has a command that runs for a long time (to cancel it, or to lose the session under it).
- `reload`: asks "Proceed with reload? [confirm]" and waits, as IOS does; any key cancels. It stands for a command
  stopping at a prompt the client did not expect.
- The SSH host key: fake-switches always presents the same RSA key, built into its source; this launcher presents
  the key of the JSON file, so a test can check that another key is refused.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from fake_switches.transports.ssh_service import SSHDemoRealm
from twisted.conch.ssh import factory, keys
from twisted.cred import checkers, portal
from twisted.internet import error, reactor, task

from .ios_commands import SimulatedSwitchCore, build_switch


def listen(core: SimulatedSwitchCore, username: str, password: str, host_key: Path, port: int = 0) -> int:
    """Serves the switch over SSH on 127.0.0.1 and `port` (or, when it is taken or 0, a port the kernel picks);
    returns the port."""
    ssh_factory = factory.SSHFactory()
    ssh_factory.portal = portal.Portal(SSHDemoRealm(core))
    checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    checker.addUser(username.encode(), password.encode())
    ssh_factory.portal.registerChecker(checker)
    key = keys.Key.fromFile(str(host_key))
    ssh_factory.publicKeys = {b"ssh-rsa": key.public()}
    ssh_factory.privateKeys = {b"ssh-rsa": key}
    try:
        listening = reactor.listenTCP(port, ssh_factory, interface="127.0.0.1")  # type: ignore[attr-defined]
    except error.CannotListenError:
        if port == 0:
            raise
        # The preferred port is taken (another program, or a demo still running): any free one will do.
        listening = reactor.listenTCP(0, ssh_factory, interface="127.0.0.1")  # type: ignore[attr-defined]
    return int(listening.getHost().port)


def write_atomically(path: Path, text: str) -> None:
    """The parent polls for this file: it must never see it half written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def main(arguments: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings: dict[str, Any] = json.loads(Path(arguments[0]).read_text())
    ports = []
    for switch in settings["switches"]:
        core = build_switch(switch["hostname"], switch["enable_secret"], switch["username"])
        port = listen(core, switch["username"], switch["password"], Path(switch["host_key"]), int(switch["port"]))
        logging.info("%s listening on 127.0.0.1:%d", switch["hostname"], port)
        ports.append(port)

    def ready() -> None:
        write_atomically(Path(settings["ready_file"]), "".join(f"{port}\n" for port in ports))

    # The parent stops this process by its PID; should the parent die first (a crashed app, a killed test run), the
    # simulator ends too instead of outliving it: the parent process id changes when the parent is gone.
    parent = os.getppid()
    orphaned = task.LoopingCall(lambda: os.getppid() != parent and reactor.stop())  # type: ignore[attr-defined]
    orphaned.start(1.0, now=False)
    reactor.callWhenRunning(ready)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
