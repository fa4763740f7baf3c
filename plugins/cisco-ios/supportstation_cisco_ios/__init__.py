"""Cisco IOS switches for SupportStation: the `cisco-ios` transport (the switch's CLI over SSH, through netmiko) and
actions written in its language, "ios".

The read-only actions run `show` commands whose output the parsers turn into tables (TextFSM templates from
ntc-templates); `cisco.running_config` keeps the running-config as it is, for a backup and for `config_diff`. Two
actions change the switch and ask the engineer first: naming a VLAN and moving a port to a VLAN. Their values reach
the switch as plain words only (IOS has no quoting), which their patterns guarantee before SupportStation's own check.

The action ids are stable: procedures and the audit trail refer to them. Titles, descriptions, categories and labels
are English, marked with N_: SupportStation shows them through the plugin's catalog (locale/, see tools/i18n.py); the
report section is written in the report's language through the same catalog.
"""

from __future__ import annotations

from supportstation.plugin_api import (
    N_,
    Action,
    FactCollector,
    Parameter,
    ParameterType,
    ReportContext,
    ReportSection,
    Transport,
    hookimpl,
    translations,
)
from supportstation_cisco_ios import parsers, session
from supportstation_cisco_ios.config_diff import config_diff

__version__ = "0.1.0"
SUPPORTSTATION_API = 1

LANGUAGE = "ios"
OS_FAMILIES = ("network",)  # the inventory's family for switches and routers; the vendor says which
VENDORS = ("cisco",)

TRANSPORT = Transport(
    name="cisco-ios",
    title=N_("Cisco IOS (network CLI over SSH)"),
    language=LANGUAGE,
    default_port=22,
    identity="ssh-host-key",
    connect=session.connect,
    description=N_("Cisco IOS and IOS XE switches and routers through their command line over SSH, with enable mode."),
)

# 1 to 4094: VLAN 0 and 4095 are reserved by 802.1Q.
VLAN_ID_PATTERN = r"[1-9][0-9]{0,2}|[1-3][0-9]{3}|40[0-8][0-9]|409[0-4]"
# What IOS allows in a VLAN name without quotes, at most 32 characters.
VLAN_NAME_PATTERN = r"[A-Za-z0-9_-]{1,32}"
# Ethernet ports written in full or abbreviated as IOS shows them: Gi0/1, GigabitEthernet1/0/24, Te1/1/1, Fa0/3.
INTERFACE_PATTERN = (
    r"(?i)(?:GigabitEthernet|Gi|FastEthernet|Fa|TenGigabitEthernet|Te|TwoGigabitEthernet|Tw|FiveGigabitEthernet|Fi"
    r"|TwentyFiveGigE|Twe|FortyGigabitEthernet|Fo|HundredGigE|Hu|Ethernet|Et)[0-9]{1,2}(?:/[0-9]{1,3}){1,2}"
)


def _vlan_id(label: str = N_("VLAN number")) -> Parameter:
    return Parameter("vlan_id", ParameterType.INTEGER, label, pattern=VLAN_ID_PATTERN)


SHOW_VERSION = Action(
    id="cisco.show_version",
    title=N_("Model, version and uptime"),
    description=N_("The switch's model, serial numbers, IOS version, uptime and the reason of its last restart."),
    category=N_("System"),
    commands={LANGUAGE: "show version"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_show_version,
    timeout=30,
)

INTERFACES_STATUS = Action(
    id="cisco.interfaces_status",
    title=N_("Port status"),
    description=N_("Each switch port with its description, link state, VLAN, duplex, speed and type."),
    category=N_("Interfaces"),
    commands={LANGUAGE: "show interfaces status"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_interfaces_status,
    timeout=30,
)

VLANS = Action(
    id="cisco.vlans",
    title=N_("VLANs"),
    description=N_("The VLANs of the switch with their names, state and access ports."),
    category=N_("VLANs"),
    commands={LANGUAGE: "show vlan brief"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_vlan_brief,
    timeout=30,
)

IP_INTERFACES = Action(
    id="cisco.ip_interfaces",
    title=N_("IP interfaces"),
    description=N_("Each interface with its IP address and whether it and its line protocol are up."),
    category=N_("Interfaces"),
    commands={LANGUAGE: "show ip interface brief"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_ip_interface_brief,
    timeout=30,
)

LOGGING = Action(
    id="cisco.logging",
    title=N_("Recent log messages"),
    description=N_("The messages in the switch's log buffer, oldest first: links going up and down, errors, changes."),
    category=N_("Logs"),
    commands={LANGUAGE: "show logging"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parser=parsers.parse_logging,
    timeout=60,
)

RUNNING_CONFIG = Action(
    id="cisco.running_config",
    title=N_("Back up the running configuration"),
    description=N_(
        "The configuration the switch runs now, as text to keep with the ticket or to compare with another."
    ),
    category=N_("Configuration"),
    commands={LANGUAGE: "show running-config"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    timeout=120,
    attachment="running-config.txt",
)

SET_VLAN_NAME = Action(
    id="cisco.set_vlan_name",
    title=N_("Name a VLAN"),
    description=N_("Gives a VLAN a new name, creating the VLAN if the switch does not have it yet."),
    category=N_("VLANs"),
    commands={LANGUAGE: "configure terminal\nvlan {vlan_id}\nname {name}\nend"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(
        _vlan_id(),
        Parameter("name", ParameterType.STRING, N_("VLAN name"), pattern=VLAN_NAME_PATTERN),
    ),
    confirm=N_("Change the VLAN on the switch?"),
    timeout=60,
)

SET_ACCESS_VLAN = Action(
    id="cisco.set_access_vlan",
    title=N_("Move a port to a VLAN"),
    description=N_("Sets the access VLAN of a switch port: the device plugged into it joins that VLAN's network."),
    category=N_("VLANs"),
    commands={LANGUAGE: "configure terminal\ninterface {interface}\nswitchport access vlan {vlan_id}\nend"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parameters=(
        Parameter("interface", ParameterType.STRING, N_("Port (such as Gi1/0/12)"), pattern=INTERFACE_PATTERN),
        _vlan_id(N_("New VLAN number")),
    ),
    confirm=N_(
        "Move this port to another VLAN on the switch? The device plugged into it loses its network for a moment."
    ),
    timeout=60,
)

ACTIONS = (
    SHOW_VERSION,
    INTERFACES_STATUS,
    VLANS,
    IP_INTERFACES,
    LOGGING,
    RUNNING_CONFIG,
    SET_VLAN_NAME,
    SET_ACCESS_VLAN,
)

__all__ = [
    "ACTIONS",
    "TRANSPORT",
    "config_diff",
    "supportstation_actions",
    "supportstation_fact_collectors",
    "supportstation_report_sections",
    "supportstation_transports",
]

_ = translations(__name__)
# The report section's words, written in the report's language (the customer's), whatever the interface's.
SECTION_TITLE = N_("Configuration changes on {host}")
CHANGED = N_(
    "Difference between the first and the last backup of the running configuration taken during the intervention "
    "({count} backups). Removed lines in red (-), added lines in green (+)."
)
UNCHANGED = N_(
    "The running configuration is the same in the first and the last backup taken during the intervention ({count} "
    "backups)."
)
BEFORE, AFTER = N_("before"), N_("after")


FACTS = FactCollector(
    id="cisco.facts",
    title=N_("Model, serial number and IOS version"),
    commands={LANGUAGE: "show version"},
    os_families=OS_FAMILIES,
    vendors=VENDORS,
    parse=parsers.show_version_facts,
    timeout=30,
)


@hookimpl
def supportstation_fact_collectors() -> list[FactCollector]:
    return [FACTS]


@hookimpl
def supportstation_transports() -> list[Transport]:
    return [TRANSPORT]


@hookimpl
def supportstation_actions() -> list[Action]:
    return list(ACTIONS)


@hookimpl
def supportstation_report_sections(context: ReportContext) -> list[ReportSection]:
    """For each switch backed up twice or more during the intervention, the change between the first and the last
    running-config: what the customer signs for."""
    words = _.in_language(context.language)
    backups: dict[str, list[str]] = {}
    for run in context.runs_of(RUNNING_CONFIG.id):
        backups.setdefault(run.host, []).append(run.output)
    sections = []
    for host, outputs in backups.items():
        if len(outputs) < 2:
            continue
        diff = config_diff(outputs[0], outputs[-1], f"{host} ({words(BEFORE)})", f"{host} ({words(AFTER)})")
        text = words(CHANGED if diff else UNCHANGED).format(count=len(outputs))
        title = words(SECTION_TITLE).format(host=host)
        sections.append(ReportSection(title=title, text=text, code=diff, code_kind="diff"))
    return sections
