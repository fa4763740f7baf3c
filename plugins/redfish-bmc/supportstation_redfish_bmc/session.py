"""Sessions of the `redfish` transport: a server BMC's Redfish service, driven by a few small commands.

The commands, in the language `redfish` that actions use:

    health               the systems' health, and each part's: processors, memory, storage, fans, temperatures,
                         power supplies
    power-state          each system's power state and the reset types its BMC accepts
    power <ResetType>    a reset the BMC lists for the system (On, ForceOff, GracefulShutdown, GracefulRestart,
                         ForceRestart, PowerCycle…)
    event-log [N]        the N newest entries of the system event log (50 unless told), newest first
    firmware             the firmware inventory

A command writes one JSON document (see parsers.py) and returns 0. A power action the BMC does not list, or refuses,
writes a sentence saying why and returns 1. A failure the engineer must act on raises DeviceError; a connection that
dropped raises DeviceConnectionLost, after which the engine opens a new session.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from supportstation.plugin_api import DeviceConnectionLost, DeviceError, DeviceTarget, translations
from supportstation_redfish_bmc.client import ActionRefused, BmcClient, BmcHttpError, BmcNotJson, Cancelled, Json

_ = translations(__name__)

VERBS = ("health", "power-state", "power", "event-log", "firmware")
KNOWN_COMMANDS = "health, power-state, power <ResetType>, event-log [N], firmware"
DEFAULT_EVENT_COUNT = 50
MAX_EVENT_COUNT = 1000
EXIT_REFUSED = 1
EXIT_CANCELLED = 130  # as a shell reports a command stopped by Ctrl-C


def parse_command(command: str) -> tuple[str, list[str]]:
    """The verb and its arguments; DeviceError, naming the known commands, for anything else."""
    words = command.split()
    if not words:
        raise DeviceError(_("The Redfish command is empty: the known ones are {known}.").format(known=KNOWN_COMMANDS))
    verb, arguments = words[0], words[1:]
    if verb not in VERBS:
        raise DeviceError(
            _("Unknown Redfish command {verb!r}: the known ones are {known}.").format(verb=verb, known=KNOWN_COMMANDS)
        )
    if verb == "power":
        if len(arguments) != 1:
            raise DeviceError(_("The Redfish command power takes one reset type: power On, power GracefulShutdown…"))
    elif verb == "event-log":
        if len(arguments) > 1 or (arguments and not (arguments[0].isdigit() and int(arguments[0]) > 0)):
            raise DeviceError(_("The Redfish command event-log takes at most one number of entries: event-log 50."))
        if arguments and int(arguments[0]) > MAX_EVENT_COUNT:
            raise DeviceError(_("event-log shows at most {count} entries.").format(count=MAX_EVENT_COUNT))
    elif arguments:
        raise DeviceError(_("The Redfish command {verb} takes no argument.").format(verb=verb))
    return verb, arguments


def connect(target: DeviceTarget) -> RedfishSession:
    """Opens a session: TLS checked, logged in. Raises DeviceError with the reason otherwise."""
    return RedfishSession(BmcClient.open(target))


class RedfishSession:
    """One logged-in BMC (see the DeviceSession protocol)."""

    def __init__(self, client: BmcClient) -> None:
        self._client = client
        self._active = True

    @property
    def active(self) -> bool:
        return self._active

    @property
    def uses_redfish_session(self) -> bool:
        """True when logged in with a Redfish session (X-Auth-Token), False with basic auth."""
        return self._client.uses_session

    def run(self, command: str, output: Callable[[bytes], None], cancelled: threading.Event) -> int:
        if not self._active:
            raise DeviceConnectionLost(_("The session to {where} is closed.").format(where=self._client.where))
        verb, arguments = parse_command(command)
        if cancelled.is_set():
            return EXIT_CANCELLED
        self._client.cancelled = cancelled
        try:
            result = self._dispatch(verb, arguments)
        except ActionRefused as refused:
            output(f"{refused}\n".encode())
            return EXIT_REFUSED
        except Cancelled:
            return EXIT_CANCELLED
        except (BmcHttpError, BmcNotJson):
            raise  # an answer the BMC gave: the session itself is still good
        except DeviceConnectionLost:
            self._active = False
            self._client.close(logout=False)
            raise
        except DeviceError:
            # The connection dropped, the certificate changed or the login was refused: this session is done.
            self.close()
            raise
        finally:
            self._client.cancelled = None
        output((json.dumps(result, ensure_ascii=False, indent=1) + "\n").encode())
        return 0

    def _dispatch(self, verb: str, arguments: list[str]) -> Json:
        client = self._client
        if verb == "health":
            return client.health()
        if verb == "power-state":
            return client.power_state()
        if verb == "power":
            return client.power(arguments[0])
        if verb == "event-log":
            return client.event_log(int(arguments[0]) if arguments else DEFAULT_EVENT_COUNT)
        return client.firmware()

    def close(self) -> None:
        self._active = False
        self._client.close()
