"""Server BMCs over Redfish for SupportStation: health, power state and power actions, event log, firmware.

The plugin contributes the transport `redfish` (HTTPS to a Dell iDRAC, an HPE iLO, a Lenovo XClarity Controller or
any Redfish BMC; see session.py for its commands) and actions written in its language for hosts of the OS family
`bmc`. The action ids are stable: procedures and the audit trail refer to them. Titles, descriptions, categories and
labels are English; SupportStation translates them when it shows them.
"""

from __future__ import annotations

from supportstation.plugin_api import Action, Parameter, ParameterType, Transport, hookimpl
from supportstation_redfish_bmc import parsers, session

__version__ = "0.1.0"
SUPPORTSTATION_API = 1

# Made and tested for these vendors' BMCs; "" so that a BMC whose vendor the inventory does not say gets them too.
VENDORS = ("dell", "hpe", "lenovo", "")
OS_FAMILIES = ("bmc",)
# The Redfish ResetType values an engineer may ask for; the session refuses one the BMC does not list.
RESET_TYPES = (
    "On",
    "GracefulShutdown",
    "GracefulRestart",
    "ForceOff",
    "ForceRestart",
    "PowerCycle",
    "ForceOn",
    "PushPowerButton",
    "Nmi",
)

TRANSPORT = Transport(
    name="redfish",
    title="Redfish (server BMC over HTTPS)",
    language="redfish",
    default_port=443,
    identity="tls-certificate",
    connect=session.connect,
    description="Dell iDRAC, HPE iLO, Lenovo XClarity and other Redfish BMCs: health, power, event log, firmware.",
)

HEALTH = Action(
    id="redfish.health",
    title="Server health",
    description=(
        "The server's overall health as its BMC reports it, and each part's: processors, memory, storage "
        "controllers, fans, temperatures and power supplies."
    ),
    category="Hardware",
    commands={"redfish": "health"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_health,
    timeout=120,
)

POWER_STATE = Action(
    id="redfish.power_state",
    title="Power state",
    description="Whether the server is on or off, and the power actions its BMC accepts.",
    category="Power",
    commands={"redfish": "power-state"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_power_state,
    timeout=60,
)

POWER_ACTION = Action(
    id="redfish.power_action",
    title="Power on, off or restart",
    description=(
        "Asks the BMC to power the server on or off, or to restart it. A graceful shutdown or restart asks the "
        "operating system to stop first; a forced one cuts power like the power button held down."
    ),
    category="Power",
    commands={"redfish": "power {reset_type}"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(Parameter("reset_type", ParameterType.CHOICE, "Power action", choices=RESET_TYPES),),
    parser=parsers.parse_power,
    timeout=60,
    confirm="Change the server's power state?",
)

EVENT_LOG = Action(
    id="redfish.event_log",
    title="System event log",
    description="The newest entries of the hardware event log that the BMC keeps (iDRAC SEL, iLO IML and IEL, "
    "XClarity platform log), newest first.",
    category="Logs",
    commands={"redfish": "event-log {count}"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(
        Parameter(
            "count",
            ParameterType.INTEGER,
            "Most entries to show",
            default=session.DEFAULT_EVENT_COUNT,
            pattern=r"[1-9][0-9]{0,2}|1000",
        ),
    ),
    parser=parsers.parse_event_log,
    timeout=180,
)

FIRMWARE = Action(
    id="redfish.firmware",
    title="Firmware versions",
    description="Each firmware the BMC knows (BIOS, BMC, RAID controller, network cards, disks, power supplies), "
    "with its version and whether it can be updated.",
    category="Firmware",
    commands={"redfish": "firmware"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_firmware,
    timeout=180,
)

ACTIONS = (HEALTH, POWER_STATE, POWER_ACTION, EVENT_LOG, FIRMWARE)


@hookimpl
def supportstation_transports() -> list[Transport]:
    return [TRANSPORT]


@hookimpl
def supportstation_actions() -> list[Action]:
    return list(ACTIONS)
