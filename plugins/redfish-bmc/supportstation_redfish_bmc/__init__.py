"""Server BMCs over Redfish for SupportStation: health, power state and power actions, event log, firmware.

The plugin contributes the transport `redfish` (HTTPS to a Dell iDRAC, an HPE iLO, a Lenovo XClarity Controller or
any Redfish BMC; see session.py for its commands) and actions written in its language for hosts of the OS family
`bmc`. The action ids are stable: procedures and the audit trail refer to them. Titles, descriptions, categories and
labels are English, marked with N_: SupportStation shows them through the plugin's catalog (locale/, see
tools/i18n.py).
"""

from __future__ import annotations

from supportstation.plugin_api import N_, Action, Parameter, ParameterType, Transport, hookimpl
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
    title=N_("Redfish (server BMC over HTTPS)"),
    language="redfish",
    default_port=443,
    identity="tls-certificate",
    connect=session.connect,
    description=N_("Dell iDRAC, HPE iLO, Lenovo XClarity and other Redfish BMCs: health, power, event log, firmware."),
)

HEALTH = Action(
    id="redfish.health",
    title=N_("Server health"),
    description=N_(
        "The server's overall health as its BMC reports it, and each part's: processors, memory, storage "
        "controllers, fans, temperatures and power supplies."
    ),
    category=N_("Hardware"),
    commands={"redfish": "health"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_health,
    timeout=120,
)

POWER_STATE = Action(
    id="redfish.power_state",
    title=N_("Power state"),
    description=N_("Whether the server is on or off, and the power actions its BMC accepts."),
    category=N_("Power"),
    commands={"redfish": "power-state"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_power_state,
    timeout=60,
)

POWER_ACTION = Action(
    id="redfish.power_action",
    title=N_("Power on, off or restart"),
    description=N_(
        "Asks the BMC to power the server on or off, or to restart it. A graceful shutdown or restart asks the "
        "operating system to stop first; a forced one cuts power like the power button held down."
    ),
    category=N_("Power"),
    commands={"redfish": "power {reset_type}"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(Parameter("reset_type", ParameterType.CHOICE, N_("Power action"), choices=RESET_TYPES),),
    parser=parsers.parse_power,
    timeout=60,
    confirm=N_("Change the server's power state?"),
)

EVENT_LOG = Action(
    id="redfish.event_log",
    title=N_("System event log"),
    description=N_(
        "The newest entries of the hardware event log that the BMC keeps (iDRAC SEL, iLO IML and IEL, "
        "XClarity platform log), newest first."
    ),
    category=N_("Logs"),
    commands={"redfish": "event-log {count}"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(
        Parameter(
            "count",
            ParameterType.INTEGER,
            N_("Most entries to show"),
            default=session.DEFAULT_EVENT_COUNT,
            pattern=r"[1-9][0-9]{0,2}|1000",
        ),
    ),
    parser=parsers.parse_event_log,
    timeout=180,
)

FIRMWARE = Action(
    id="redfish.firmware",
    title=N_("Firmware versions"),
    description=N_(
        "Each firmware the BMC knows (BIOS, BMC, RAID controller, network cards, disks, power supplies), "
        "with its version and whether it can be updated."
    ),
    category=N_("Firmware"),
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
