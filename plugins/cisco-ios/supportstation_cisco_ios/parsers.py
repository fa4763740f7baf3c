"""Parsers from Cisco IOS `show` outputs to tables, through the TextFSM templates of ntc-templates.

Each parser takes what the switch printed for its command and returns a Table, or raises ParseError when the output
is not that command's (the engineer then reads the raw output): when the switch refused the command (`% Invalid
input ...`, as a router says to `show vlan brief`), when a template stops on a line it does not know, or when text
came back but no line of it was recognised. Column headers and fixed notes are English, marked with N_:
SupportStation shows them in the engineer's language through the plugin's catalog; errors go through `_` when raised.
"""

from __future__ import annotations

import re
from typing import Any

from supportstation.plugin_api import N_, ParseError, Table, translations

_ = translations(__name__)

PLATFORM = "cisco_ios"

# The lines by which IOS says it did not do what was asked. Syslog messages also start with "%", but as
# "%FACILITY-SEVERITY-MNEMONIC:" with no space after it, so `show logging` never matches.
_IOS_ERROR = re.compile(
    r"^[ \t]*(?:%[ \t]?(?:Invalid input|Incomplete command|Ambiguous command|Unknown command|Unrecognized command"
    r"|Bad |Error|Access denied|Authorization failed|Permission denied|Not allowed)"
    r"|Command rejected:).*$",
    re.MULTILINE,
)


def ios_error_line(output: str) -> str | None:
    """The first line of the output in which IOS reports an error (`% Invalid input detected at '^' marker.`)."""
    match = _IOS_ERROR.search(output)
    return match.group(0).strip() if match else None


def _records(command: str, output: str) -> list[dict[str, Any]]:
    """The template's rows (lowercase field names); ParseError when the switch refused the command or the template
    stopped. An empty list means the template recognised no line: each parser says whether that can be right."""
    if not output.strip():
        raise ParseError(_("The switch printed nothing for '{command}'.").format(command=command))
    error = ios_error_line(output)
    if error:
        raise ParseError(_("The switch refused '{command}': {error}").format(command=command, error=error))
    # Imported here, not at the top: plugins are imported when SupportStation starts, and the templates are needed
    # only once an output is parsed.
    from ntc_templates.parse import ParsingException, parse_output
    from textfsm import TextFSMError

    try:
        return list(parse_output(platform=PLATFORM, command=command, data=output))
    except (ParsingException, TextFSMError) as error:
        # TextFSM names the rule and the line it stopped at, which is what the engineer needs to see.
        raise ParseError(
            _("The output of '{command}' is not what the parser expected: {error}").format(command=command, error=error)
        ) from None


def _nothing_recognised(command: str) -> ParseError:
    return ParseError(_("No line of the output was recognised as the output of '{command}'.").format(command=command))


def _unique(values: list[str]) -> list[str]:
    """The non-empty values without repeats, in their order."""
    return list(dict.fromkeys(value for value in values if value))


# -- cisco.show_version: show version -------------------------------------------------------------------------------

VERSION_COLUMNS = (
    N_("Hostname"),
    N_("Model"),
    N_("Serial number"),
    N_("Version"),
    N_("Software image"),
    N_("Uptime"),
    N_("Last reload reason"),
    N_("Configuration register"),
)
_IGNORE_STARTUP_CONFIG = 0x0040  # the configuration register bit that makes the switch boot without its config
_NEXT_REGISTER = re.compile(r"^Configuration register is \S+ \(will be (\S+) at next reload\)", re.MULTILINE)
STACK_NOTE = N_("This is a stack: models and serial numbers are listed member by member.")
RECENT_RELOAD_NOTE = N_("The switch restarted less than a day ago: see the last reload reason.")
IGNORES_CONFIG_NOTE = N_(
    "The configuration register makes the switch ignore its startup configuration at the next reload (left over"
    " from a password recovery?): 'config-register 0x2102' in configuration mode sets it back."
)


def parse_show_version(output: str) -> Table:
    records = _records("show version", output)
    if not records or not records[0].get("version"):
        raise _nothing_recognised("show version")
    record = records[0]
    # One model per stack member, in member order (a stack of identical switches repeats it); a serial number
    # belongs to one member only, so a repeat is the same member seen twice.
    models = [model for model in record.get("hardware") or [] if model]
    serials = _unique(record.get("serial") or [])
    row = (
        record.get("hostname", ""),
        ", ".join(models),
        ", ".join(serials),
        record.get("version", ""),
        # "flash:/c2960-...bin" leaves a "/" after the template's "flash:".
        (record.get("running_image") or record.get("software_image", "")).lstrip("/"),
        record.get("uptime", ""),
        record.get("reload_reason", ""),
        record.get("config_register", ""),
    )
    notes = []
    if len(serials) > 1:
        notes.append(STACK_NOTE)
    if not any(record.get(field) for field in ("uptime_years", "uptime_weeks", "uptime_days")):
        notes.append(RECENT_RELOAD_NOTE)
    # After `config-register X`, IOS says which value the next reload takes: that one decides.
    upcoming = _NEXT_REGISTER.search(output)
    register = upcoming.group(1) if upcoming else record.get("config_register", "")
    try:
        ignores_config = bool(int(register, 16) & _IGNORE_STARTUP_CONFIG)
    except ValueError:
        ignores_config = False
    if ignores_config:
        notes.append(IGNORES_CONFIG_NOTE)
    return Table(VERSION_COLUMNS, (row,), tuple(notes))


# -- cisco.interfaces_status: show interfaces status -----------------------------------------------------------------

INTERFACES_STATUS_COLUMNS = (N_("Port"), N_("Name"), N_("Status"), "VLAN", N_("Duplex"), N_("Speed"), N_("Type"))
ERR_DISABLED_NOTE = N_(
    "The switch shut some ports down itself (err-disabled): 'show interfaces status err-disabled' tells why."
)
HALF_DUPLEX_NOTE = N_(
    "Some ports run at half duplex: often a duplex mismatch with the device plugged in, which slows it."
)


def parse_interfaces_status(output: str) -> Table:
    records = _records("show interfaces status", output)
    if not records:
        raise _nothing_recognised("show interfaces status")
    rows = [
        tuple(record.get(field, "") for field in ("port", "name", "status", "vlan_id", "duplex", "speed", "type"))
        for record in records
    ]
    notes = []
    if any(record.get("status") == "err-disabled" for record in records):
        notes.append(ERR_DISABLED_NOTE)
    if any(record.get("duplex") in ("half", "a-half") for record in records):
        notes.append(HALF_DUPLEX_NOTE)
    return Table(INTERFACES_STATUS_COLUMNS, tuple(rows), tuple(notes))


# -- cisco.vlans: show vlan brief -------------------------------------------------------------------------------------

VLAN_COLUMNS = ("VLAN", N_("Name"), N_("Status"), N_("Ports"))


def parse_vlan_brief(output: str) -> Table:
    records = _records("show vlan brief", output)
    if not records:
        raise _nothing_recognised("show vlan brief")
    rows = [
        (record["vlan_id"], record.get("vlan_name", ""), record.get("status", ""), ", ".join(record["interfaces"]))
        for record in records
    ]
    return Table(VLAN_COLUMNS, tuple(rows))


# -- cisco.ip_interfaces: show ip interface brief ----------------------------------------------------------------------

IP_INTERFACE_COLUMNS = (N_("Interface"), N_("IP address"), N_("Status"), N_("Protocol"))
PROTOCOL_DOWN_NOTE = N_("Some interfaces are up with their protocol down: check the device or link at the other end.")


def parse_ip_interface_brief(output: str) -> Table:
    records = _records("show ip interface brief", output)
    if not records:
        raise _nothing_recognised("show ip interface brief")
    rows = [
        tuple(record.get(field, "") for field in ("interface", "ip_address", "status", "proto")) for record in records
    ]
    # Up with its line protocol down: the link is there but the other end (or a keepalive) is not answering.
    half_up = any(record["status"] == "up" and record["proto"] == "down" for record in records)
    return Table(IP_INTERFACE_COLUMNS, tuple(rows), (PROTOCOL_DOWN_NOTE,) if half_up else ())


# -- cisco.logging: show logging --------------------------------------------------------------------------------------

LOGGING_COLUMNS = (N_("Time"), N_("Severity"), N_("Facility"), N_("Mnemonic"), N_("Message"))
SEVERITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debugging")
_BUFFER_DISABLED = re.compile(r"^\s*Buffer logging:?\s+disabled", re.MULTILINE)
_BUFFER_HEADER = re.compile(r"^Log Buffer \(\d+ bytes\):", re.MULTILINE)
EMPTY_BUFFER_NOTE = N_("The switch's log buffer is empty.")
BUFFER_DISABLED_NOTE = N_(
    "The switch keeps no log messages in memory (buffer logging is disabled): 'logging buffered' turns it on."
)
ERRORS_NOTE = N_("The log holds messages of severity error or worse (0 to 3).")
UNSYNCHRONISED_NOTE = N_(
    "The switch marked some messages with '*': its clock was not set or synchronised when it logged them, so their"
    " times may be wrong (counted from its boot)."
)


def _severity(number: str) -> str:
    return f"{number} ({SEVERITIES[int(number)]})" if number.isdigit() and int(number) < len(SEVERITIES) else number


def parse_logging(output: str) -> Table:
    records = _records("show logging", output)
    if not records:
        # A switch that logs nothing to its buffer still prints the header: that is an empty log, not an error.
        if _BUFFER_DISABLED.search(output):
            return Table(LOGGING_COLUMNS, (), (BUFFER_DISABLED_NOTE,))
        if _BUFFER_HEADER.search(output):
            return Table(LOGGING_COLUMNS, (), (EMPTY_BUFFER_NOTE,))
        raise _nothing_recognised("show logging")
    rows = []
    for record in records:
        time = " ".join(part for part in (record.get("month"), record.get("day"), record.get("time")) if part)
        if record.get("timezone"):
            time += " " + record["timezone"]
        rows.append(
            (
                time,
                _severity(record.get("severity", "")),
                record.get("facility", ""),
                record.get("mnemonic", ""),
                " ".join(record.get("message") or []),
            )
        )
    notes = []
    if any(record.get("severity", "").isdigit() and int(record["severity"]) <= 3 for record in records):
        notes.append(ERRORS_NOTE)
    if re.search(r"^\*", output, re.MULTILINE):
        notes.append(UNSYNCHRONISED_NOTE)
    return Table(LOGGING_COLUMNS, tuple(rows), tuple(notes))


def show_version_facts(output: str) -> dict[str, str]:
    """The facts of `show version`: model and serial number (each stack member's), IOS version and image, uptime."""
    records = _records("show version", output)
    if not records or not records[0].get("version"):
        raise _nothing_recognised("show version")
    record = records[0]
    return {
        "hostname": record.get("hostname", ""),
        "model": ", ".join(model for model in record.get("hardware") or [] if model),
        "serial_number": ", ".join(_unique(record.get("serial") or [])),
        "os": "Cisco IOS",
        "os_version": record.get("version", ""),
        "firmware": (record.get("running_image") or record.get("software_image", "")).lstrip("/"),
        "uptime": record.get("uptime", ""),
    }
