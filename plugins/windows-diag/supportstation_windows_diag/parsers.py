"""Parsers from the PowerShell scripts' JSON output to tables.

Every script ends in `ConvertTo-Json`, whose output differs between Windows PowerShell 5.1 and PowerShell 7 and with
the number of objects in the pipeline; the helpers at the top absorb those differences, so each parser only picks its
fields. They read numeric and language-neutral fields (Level, StartMode, sizes) and never localised words: a French
Windows writes "Erreur" where an English one writes "Error". Column headers and fixed notes are English, marked with
N_: SupportStation shows them in the engineer's language through the plugin's catalog. What is written at run time (a
note with a value, an error, the plugin's own words in a cell) goes through `_` then and there. Anything a parser
cannot read raises ParseError, and SupportStation shows the raw output.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone

from supportstation.plugin_api import N_, ParseError, Table, translations

_ = translations(__name__)

BOM = "\ufeff"
_EXCERPT = 200  # characters of unreadable output quoted in a ParseError
_CELL = 200  # characters of an event message shown in a table cell

# -- shapes of ConvertTo-Json's output ------------------------------------------------------------------------------


def decode_output(data: bytes) -> str:
    """Output bytes as text: UTF-8 when they are valid UTF-8, else the OEM code page of a Western European Windows.

    The scripts' prelude switches the console to UTF-8, but a host where it did not take effect (a constrained
    language mode, an old shell) writes in its OEM code page, cp850 on a French or German Windows. cp850 decodes any
    byte, so the fallback never fails; text that is valid UTF-8 is almost never cp850 by accident.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp850")


def _unwrap(value: object) -> object:
    """A value without Windows PowerShell 5.1's wrappers: an array that went through a PSObject is serialised as
    {"value": [...], "Count": n}, and a DateTime with extended properties (Get-HotFix's InstalledOn, Get-Date) as
    {"value": "/Date(...)/", "DateTime": "<long date in the host's language>"}."""
    if isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "Count", "DateTime", "DisplayHint"}:
        return value["value"]
    return value


def json_records(text: str) -> list[dict[str, object]]:
    """The objects ConvertTo-Json wrote: nothing at all for an empty pipeline, a bare object for one item, an array
    for several. A UTF-8 byte order mark (written by Windows PowerShell once the console is switched to UTF-8) and
    CRLF line ends are ignored."""
    cleaned = text.replace(BOM, "").replace("\r\n", "\n").strip()
    if not cleaned:
        return []
    try:
        data = json.loads(cleaned)
    except ValueError as error:
        raise ParseError(
            _(
                "Expected the JSON of ConvertTo-Json, but the output is not valid JSON ({error}); it starts with: "
                "{start!r}"
            ).format(error=error, start=cleaned[:_EXCERPT])
        ) from None
    data = _unwrap(data)
    if data is None:
        return []
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return data
    raise ParseError(
        _("Expected a JSON object or an array of objects, found: {start!r}").format(start=cleaned[:_EXCERPT])
    )


def as_list(value: object) -> list[object]:
    """A property that holds zero, one or several values: PowerShell writes null, a bare value or an array."""
    value = _unwrap(value)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None and item != ""]
    return [value]


def text(value: object) -> str:
    """A property as text: null is empty, a boolean Yes or No (in English: parsers compare it; `shown` translates)."""
    value = _unwrap(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def shown(value: object) -> str:
    """A property as cell text, a boolean as Yes or No in the engineer's language."""
    return _(text(value)) if isinstance(_unwrap(value), bool) else text(value)


def integer(value: object, what: str) -> int | None:
    """A number PowerShell wrote as a JSON number or, from some providers, as a string; None for null. `what` is
    marked with N_ by the caller ("the exit code")."""
    value = _unwrap(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(_("Expected a number for {what}, found {value!r}.").format(what=_(what), value=value))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ParseError(_("Expected a number for {what}, found {value!r}.").format(what=_(what), value=value))


# -- dates -----------------------------------------------------------------------------------------------------------

# Windows PowerShell 5.1 (JavaScriptSerializer): milliseconds since 1970 UTC, written "\/Date(…)\/" in the JSON text,
# which json.loads reads as "/Date(…)/"; the WCF form adds the host's offset ("/Date(…+0100)/"), the instant staying
# UTC. The backslashes are allowed too, for text that was unescaped twice or not at all.
_MS_DATE = re.compile(r"\\?/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)\\?/")
# WMI's DMTF form, from Get-WmiObject rather than Get-CimInstance: yyyymmddHHMMSS.ffffff and the offset in minutes.
_DMTF_DATE = re.compile(r"(?P<stamp>\d{14})\.(?P<micro>\d{6})(?P<offset>[+-]\d{3})")
# PowerShell 7 writes the round-trip form with seven decimals, which datetime.fromisoformat cuts to six.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def windows_date(value: object) -> datetime | None:
    """A DateTime as ConvertTo-Json writes it, in any PowerShell version; None for null or empty.

    The result is aware when the text says its offset or is 5.1's UTC milliseconds (then in UTC, or in the offset
    given with them), and naive for PowerShell 7's DateTimes of unspecified kind, such as Get-HotFix's InstalledOn.
    """
    value = _unwrap(value)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError(_("Expected a date, found {value!r}.").format(value=value))
    stripped = value.strip()
    match = _MS_DATE.fullmatch(stripped)
    if match:
        moment = datetime.fromtimestamp(int(match["ms"]) / 1000, UTC)
        offset = match["offset"]
        if offset:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
            moment = moment.astimezone(zone)
        return moment
    match = _DMTF_DATE.fullmatch(stripped)
    if match:
        local = datetime.strptime(match["stamp"], "%Y%m%d%H%M%S").replace(microsecond=int(match["micro"]))
        return local.replace(tzinfo=timezone(timedelta(minutes=int(match["offset"]))))
    if _ISO_DATE.fullmatch(stripped):
        with contextlib.suppress(ValueError):  # shaped like ISO 8601 but no real date (month 13): said below
            return datetime.fromisoformat(stripped)
    raise ParseError(_("Expected a date (/Date(…)/ or ISO 8601), found {value!r}.").format(value=value))


def format_time(moment: datetime | None) -> str:
    """A time as the table shows it, with its offset when known, so that 5.1's UTC times are not taken for local."""
    if moment is None:
        return ""
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return shown
    if not offset:
        return f"{shown} UTC"
    return f"{shown} {moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]}"


def local_day(moment: datetime | None) -> date | None:
    """The calendar day of a date-only value (an install date: midnight, host time).

    Windows PowerShell 5.1 gives it as UTC milliseconds without the host's offset, so midnight in Paris reads as
    23:00 the day before; the nearest midnight is the day the host meant, for any offset within ±12 hours.
    """
    if moment is None:
        return None
    if moment.utcoffset() == timedelta(0):
        return (moment + timedelta(hours=12)).date()
    return moment.date()


def format_duration(elapsed: timedelta) -> str:
    """Days, hours and minutes: "3 d 04:12" ("3 j 04:12" in French)."""
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return _("{days} d {hours:02d}:{minutes:02d}").format(days=days, hours=hours, minutes=minutes)


def first_line(message: str, limit: int = _CELL) -> str:
    """The first non-blank line of a (CRLF) event message, cut to `limit` characters: the table shows a summary."""
    line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# -- windows.stopped_auto_services: Win32_Service ---------------------------------------------------------------------

SERVICE_COLUMNS = (N_("Name"), N_("Display name"), N_("State"), N_("Exit code"))
NO_STOPPED_SERVICE_NOTE = N_("Every service that starts automatically is running.")
SERVICE_EXIT_NOTE = N_(
    "A service that stopped with exit code 0 usually stopped on purpose (trigger or delayed start); "
    "another exit code is a failure."
)
_AUTOMATIC = ("auto", "automatic", "2")  # Win32_Service's StartMode; Get-Service's StartType word or enum number


def parse_stopped_auto_services(output: str) -> Table:
    rows = []
    for service in json_records(output):
        if "Name" not in service:
            raise ParseError(_("Expected services with a Name, found an object without one."))
        start_mode = text(service.get("StartMode", service.get("StartType", "Auto"))).lower()
        state = text(service.get("State")).lower()
        if start_mode not in _AUTOMATIC or state == "running":
            continue  # the script's WQL filter already did this; another source of services may not have
        exit_code = integer(service.get("ExitCode"), N_("the exit code"))
        rows.append(
            (
                text(service["Name"]),
                text(service.get("DisplayName")),
                text(service.get("State")),
                "" if exit_code is None else str(exit_code),
            )
        )
    rows.sort(key=lambda row: row[0].casefold())
    notes = (SERVICE_EXIT_NOTE,) if rows else (NO_STOPPED_SERVICE_NOTE,)
    return Table(SERVICE_COLUMNS, tuple(rows), notes)


# -- windows.disk_space: Win32_LogicalDisk ----------------------------------------------------------------------------

DISK_COLUMNS = (N_("Drive"), N_("Label"), N_("File system"), N_("Size (GB)"), N_("Free (GB)"), N_("Free %"))
LOW_FREE_PERCENT = 10
LOW_SPACE_NOTE = N_("At least one disk has less than 10% free space.")
NO_DISK_NOTE = N_("No local fixed disk was found.")
_GIB = 1024**3  # Explorer's "GB" are binary: the same unit lets the customer compare with what they see


def _gigabytes(count: int | None) -> str:
    return "-" if count is None else f"{count / _GIB:.1f}"


def parse_disk_space(output: str) -> Table:
    rows, low = [], False
    for disk in json_records(output):
        size = integer(disk.get("Size"), N_("a disk size"))
        free = integer(disk.get("FreeSpace"), N_("a disk's free space"))
        if size and free is not None:
            free_percent = 100 * free / size
            low = low or free_percent < LOW_FREE_PERCENT
            shown_percent = f"{free_percent:.0f}%"
        else:
            shown_percent = "-"  # a drive without a medium, or a volume that would not say
        rows.append(
            (
                text(disk.get("DeviceID")),
                text(disk.get("VolumeName")),
                text(disk.get("FileSystem")),
                _gigabytes(size),
                _gigabytes(free),
                shown_percent,
            )
        )
    notes = []
    if low:
        notes.append(LOW_SPACE_NOTE)
    if not rows:
        notes.append(NO_DISK_NOTE)
    return Table(DISK_COLUMNS, tuple(rows), tuple(notes))


# -- windows.event_errors: Get-WinEvent -------------------------------------------------------------------------------

EVENT_COLUMNS = (N_("Time"), N_("Log"), N_("Source"), N_("Event ID"), N_("Level"), N_("Message"))
EVENT_LIMIT = 200  # the script's -MaxEvents
LEVEL_NAMES = {1: N_("Critical"), 2: N_("Error"), 3: N_("Warning"), 4: N_("Information")}
NO_EVENT_NOTE = N_("No error was logged in this period.")
EVENT_LIMIT_NOTE = N_("Only the 200 most recent entries are shown: shorten the period to see the others.")
CRITICAL_NOTE = N_("Critical events were logged (unexpected shutdowns, crashes): read them first.")
NO_MESSAGE = N_("(no message: the source's message file is missing on this host)")


def parse_event_errors(output: str) -> Table:
    rows: list[tuple[datetime | None, tuple[str, ...]]] = []
    critical = False
    for event in json_records(output):
        level = integer(event.get("Level"), N_("the event level"))
        critical = critical or level == 1
        # The host's own word ("Erreur" on a French Windows) is shown as it is; the number says what it means.
        level_name = text(event.get("LevelDisplayName")) or _(LEVEL_NAMES.get(level or 0, text(level)))
        moment = windows_date(event.get("TimeCreated"))
        message = text(event.get("Message"))
        row = (
            format_time(moment),
            text(event.get("LogName")),
            text(event.get("ProviderName")),
            text(event.get("Id")),
            level_name,
            first_line(message) if message.strip() else _(NO_MESSAGE),
        )
        rows.append((moment, row))
    notes = []
    if critical:
        notes.append(CRITICAL_NOTE)
    if len(rows) >= EVENT_LIMIT:
        notes.append(EVENT_LIMIT_NOTE)
    if not rows:
        notes.append(NO_EVENT_NOTE)
    # Get-WinEvent does not promise an order across two logs: one list, newest first, is what the engineer reads.
    ordered = sorted(rows, key=lambda item: _sort_key(item[0]), reverse=True)
    return Table(EVENT_COLUMNS, tuple(row for _moment, row in ordered), tuple(notes))


def _sort_key(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- windows.pending_reboot: the registry keys that say a restart is needed -------------------------------------------

REBOOT_COLUMNS = (N_("Reason"), N_("Pending"))
REBOOT_REASONS = {
    "ComponentBasedServicing": N_("Component Based Servicing (Windows features and updates)"),
    "WindowsUpdate": "Windows Update",
    "PendingFileRenameOperations": N_("Files to replace at restart (PendingFileRenameOperations)"),
}
REBOOT_PENDING_NOTE = N_("A restart is pending: plan one before installing or troubleshooting further.")
NO_REBOOT_NOTE = N_("No restart is pending.")
YES, NO = N_("Yes"), N_("No")


def parse_pending_reboot(output: str) -> Table:
    records = json_records(output)
    if len(records) != 1:
        raise ParseError(
            _("Expected one object with RebootPending and Reasons, found {count}.").format(count=len(records))
        )
    [record] = records
    if "RebootPending" not in record:
        raise ParseError(_("Expected an object with RebootPending and Reasons, found one without RebootPending."))
    reasons = [text(reason) for reason in as_list(record.get("Reasons"))]
    pending = text(record["RebootPending"]).lower() in ("yes", "true", "1") or bool(reasons)
    rows = [(_(label), _(YES if key in reasons else NO)) for key, label in REBOOT_REASONS.items()]
    rows += [(reason, _(YES)) for reason in reasons if reason not in REBOOT_REASONS]
    return Table(REBOOT_COLUMNS, tuple(rows), (REBOOT_PENDING_NOTE if pending else NO_REBOOT_NOTE,))


# -- windows.last_updates: Get-HotFix ---------------------------------------------------------------------------------

UPDATE_COLUMNS = (N_("Update"), N_("Description"), N_("Installed on"), N_("Installed by"))
NO_UPDATE_NOTE = N_("Windows lists no installed update.")
OLD_UPDATES_DAYS = 60
OLD_UPDATES_NOTE = N_("No update was installed in the last 60 days: Windows Update may be failing or turned off.")


def parse_last_updates(output: str, *, today: date | None = None) -> Table:
    rows: list[tuple[date | None, tuple[str, ...]]] = []
    for update in json_records(output):
        day = local_day(windows_date(update.get("InstalledOn")))
        row = (
            text(update.get("HotFixID")),
            text(update.get("Description")),
            day.isoformat() if day else "",
            text(update.get("InstalledBy")),
        )
        rows.append((day, row))
    # The script sorts already, but Windows PowerShell sorts an unknown date first: re-sort, undated ones last.
    rows.sort(key=lambda item: item[0] or date.min, reverse=True)
    notes = []
    days = [day for day, _row in rows if day]
    today = today or datetime.now(UTC).date()
    if not rows:
        notes.append(NO_UPDATE_NOTE)
    elif days and (today - max(days)).days > OLD_UPDATES_DAYS:
        notes.append(OLD_UPDATES_NOTE)
    return Table(UPDATE_COLUMNS, tuple(row for _day, row in rows), tuple(notes))


# -- windows.network_config: Get-NetIPConfiguration -------------------------------------------------------------------

NETWORK_COLUMNS = (N_("Interface"), N_("IPv4 address"), N_("Default gateway"), N_("DNS servers"), N_("DHCP"))
APIPA_NOTE = N_("An interface has a 169.254.x.x address: it asked for one by DHCP and got no answer.")
NO_GATEWAY_NOTE = N_("No interface has a default gateway: only the local network can be reached.")
NO_INTERFACE_NOTE = N_("No connected network interface was found.")
_DHCP = {"1": YES, "enabled": YES, "true": YES, "0": NO, "disabled": NO, "false": NO}


def parse_network_config(output: str) -> Table:
    rows, apipa, gateways = [], False, False
    for interface in json_records(output):
        addresses = [text(address) for address in as_list(interface.get("IPv4Address"))]
        prefixes = [text(prefix) for prefix in as_list(interface.get("PrefixLength"))]
        if len(prefixes) != len(addresses):
            prefixes = [""] * len(addresses)  # one list shorter than the other: show the addresses alone
        shown = [
            f"{address}/{prefix}" if prefix else address for address, prefix in zip(addresses, prefixes, strict=True)
        ]
        apipa = apipa or any(address.startswith("169.254.") for address in addresses)
        gateway = [text(hop) for hop in as_list(interface.get("Gateway"))]
        gateways = gateways or bool(gateway)
        dhcp = text(interface.get("Dhcp"))
        rows.append(
            (
                text(interface.get("InterfaceAlias")),
                ", ".join(shown),
                ", ".join(gateway),
                ", ".join(text(server) for server in as_list(interface.get("DnsServers"))),
                _(_DHCP[dhcp.lower()]) if dhcp.lower() in _DHCP else dhcp,
            )
        )
    notes = []
    if apipa:
        notes.append(APIPA_NOTE)
    if rows and not gateways:
        notes.append(NO_GATEWAY_NOTE)
    if not rows:
        notes.append(NO_INTERFACE_NOTE)
    return Table(NETWORK_COLUMNS, tuple(rows), tuple(notes))


# -- windows.uptime: Win32_OperatingSystem ----------------------------------------------------------------------------

UPTIME_COLUMNS = (N_("Computer"), N_("System"), N_("Version"), N_("Last boot"), N_("Up for"))
LONG_UPTIME_DAYS = 30
LONG_UPTIME_NOTE = N_("Up for more than 30 days: installed updates may be waiting for a restart.")


def boot_time(system: Mapping[str, object], *, now: datetime | None = None) -> tuple[datetime, timedelta]:
    """When a Win32_OperatingSystem object's host last started, in the host's time, and how long it has been up."""
    booted = windows_date(system.get("LastBootUpTime"))
    if booted is None:
        raise ParseError(_("Expected LastBootUpTime in the Win32_OperatingSystem object, found none."))
    # The host's own clock, read in the same query, rather than this machine's, which may be minutes or zones apart.
    current = windows_date(system.get("LocalDateTime")) or now or datetime.now(UTC)
    offset = integer(system.get("CurrentTimeZone"), N_("the time zone offset"))  # minutes east of UTC
    if offset is not None:
        zone = timezone(timedelta(minutes=offset))
        # 5.1 gives UTC: show the boot in the host's time; a naive time is the host's local time.
        booted = booted.astimezone(zone) if booted.tzinfo else booted.replace(tzinfo=zone)
        current = current if current.tzinfo else current.replace(tzinfo=zone)
    if (current.tzinfo is None) != (booted.tzinfo is None):
        current, booted = current.replace(tzinfo=None), booted.replace(tzinfo=None)
    return booted, current - booted


def parse_uptime(output: str, *, now: datetime | None = None) -> Table:
    records = json_records(output)
    if len(records) != 1:
        raise ParseError(_("Expected one Win32_OperatingSystem object, found {count}.").format(count=len(records)))
    [system] = records
    booted, elapsed = boot_time(system, now=now)
    row = (
        text(system.get("CSName")),
        text(system.get("Caption")).strip(),
        text(system.get("Version")),
        format_time(booted),
        format_duration(elapsed),
    )
    notes = (LONG_UPTIME_NOTE,) if elapsed > timedelta(days=LONG_UPTIME_DAYS) else ()
    return Table(UPTIME_COLUMNS, (row,), notes)


# -- windows.local_administrators: members of the group S-1-5-32-544 -------------------------------------------------

ADMIN_COLUMNS = (N_("Name"), N_("Type"), N_("Source"), N_("Enabled"), N_("SID"))
CMDLET = "Get-LocalGroupMember"  # the script's Method when the cmdlet answered; "ADSI" when it fell back
NO_MEMBER_NOTE = N_("The Administrators group has no member.")
ADSI_NOTE = N_(
    "Get-LocalGroupMember failed (it does on a member whose account no longer exists, or on an unreachable domain): "
    "the members were read through ADSI instead, and their source worked out from their names and SIDs."
)
ADSI_ERROR_NOTE = N_("Get-LocalGroupMember's error: {error}")
ORPHANED_NOTE = N_(
    "A member is a SID that no longer resolves to an account (deleted, or from a domain no longer trusted): it can be "
    "removed from the group."
)
ENTRA_SID_NOTE = N_(
    "Members shown as an S-1-12-1-… SID are Microsoft Entra ID roles or groups (Global Administrator, Azure AD "
    "Joined Device Local Administrator…), which Windows cannot name: Entra ID's portal lists who holds them."
)
DIRECTORY_ENABLED_NOTE = N_(
    "Enabled is shown for local accounts only: check domain and Entra ID accounts in their directory."
)
# The Type and Source columns' words: compared in English while the rows are built, shown translated.
USER, GROUP, UNKNOWN = N_("User"), N_("Group"), N_("Unknown")
LOCAL = N_("Local")
ACTIVE_DIRECTORY = "Active Directory"
ENTRA_ID = "Microsoft Entra ID (Azure AD)"
MICROSOFT_ACCOUNT = N_("Microsoft account")
WELL_KNOWN = N_("Built-in (Windows)")
# Get-LocalGroupMember's PrincipalSource, as the script casts it to a string, or as the enum's number.
_PRINCIPAL_SOURCES = {
    "local": LOCAL,
    "activedirectory": ACTIVE_DIRECTORY,
    "azuread": ENTRA_ID,
    "microsoftaccount": MICROSOFT_ACCOUNT,
    "1": LOCAL,
    "2": ACTIVE_DIRECTORY,
    "3": ENTRA_ID,
    "4": MICROSOFT_ACCOUNT,
}
_SID = re.compile(r"S-1-\d+(?:-\d+)+", re.IGNORECASE)


def _well_known(sid: str) -> bool:
    """Built-in groups (S-1-5-32-…), NT AUTHORITY's accounts (S-1-5-18, S-1-5-4…), Everyone and the like: SIDs that
    belong to no domain and no machine."""
    parts = sid.upper().split("-")
    if len(parts) < 4:
        return False
    if parts[2] == "5":
        return parts[3] != "21"
    return parts[2] in ("1", "2", "3")


def _member_from_path(path: str) -> tuple[str, str]:
    """(name, source) from an ADSI path: WinNT://DOMAIN/COMPUTER/name is a local account, WinNT://DOMAIN/name a domain
    one (or MicrosoftAccount/…, AzureAD/…), and WinNT://S-1-5-… a SID nothing resolves."""
    parts = [part for part in path.removeprefix("WinNT://").split("/") if part]
    if len(parts) >= 3:
        return "\\".join(parts[-2:]), LOCAL
    if len(parts) == 2:
        domain = parts[0].casefold()
        source = {"azuread": ENTRA_ID, "microsoftaccount": MICROSOFT_ACCOUNT}.get(domain, ACTIVE_DIRECTORY)
        return "\\".join(parts), source
    return (parts[0] if parts else ""), ""


def parse_local_administrators(output: str) -> Table:
    records = json_records(output)
    if len(records) != 1 or "Members" not in records[0]:
        raise ParseError(_("Expected one object with Method and Members, found something else."))
    [result] = records
    method = text(result.get("Method"))
    rows, orphaned, directory, entra_sids = [], False, False, False
    for member in as_list(result.get("Members")):
        if not isinstance(member, Mapping):
            raise ParseError(_("Expected a member object, found {member!r}.").format(member=member))
        sid = text(member.get("SID"))
        name = text(member.get("Name"))
        source = _PRINCIPAL_SOURCES.get(text(member.get("Source")).casefold(), "")
        path = text(member.get("Path"))
        if path:
            name_from_path, source_from_path = _member_from_path(path)
            name = name or name_from_path
            source = source or source_from_path
        kind = {"user": USER, "group": GROUP}.get(text(member.get("Class")).casefold(), UNKNOWN)
        unresolved = not name or bool(_SID.fullmatch(name))  # nothing turns the SID into a name
        if sid.upper().startswith("S-1-12-1-"):
            source = ENTRA_ID
            entra_sids = entra_sids or unresolved  # Entra ID's roles and groups, which Windows cannot name
            if unresolved:
                name, kind = name or sid, UNKNOWN
        elif unresolved:
            orphaned = True
            name, kind, source = name or sid, UNKNOWN, UNKNOWN
        elif _well_known(sid):
            source = WELL_KNOWN
        directory = directory or source in (ACTIVE_DIRECTORY, ENTRA_ID, MICROSOFT_ACCOUNT)
        enabled = member.get("Enabled")
        enabled_text = "" if enabled is None or enabled == "" else shown(enabled)
        rows.append((name, _(kind), _(source or UNKNOWN), enabled_text, sid))
    rows.sort(key=lambda row: row[0].casefold())
    notes = []
    if method and method != CMDLET:
        notes.append(ADSI_NOTE)
        if text(result.get("Problem")).strip():
            notes.append(_(ADSI_ERROR_NOTE).format(error=first_line(text(result.get("Problem")))))
    if orphaned:
        notes.append(ORPHANED_NOTE)
    if entra_sids:
        notes.append(ENTRA_SID_NOTE)
    if directory:
        notes.append(DIRECTORY_ENABLED_NOTE)
    if not rows:
        notes.append(NO_MEMBER_NOTE)
    return Table(ADMIN_COLUMNS, tuple(rows), tuple(notes))


# -- windows.failed_scheduled_tasks: Get-ScheduledTask and Get-ScheduledTaskInfo -------------------------------------

TASK_COLUMNS = (N_("Task"), N_("Last run"), N_("Last result"), N_("Next run"), N_("Run as"))
NO_FAILED_TASK_NOTE = N_("No enabled task failed at its last run.")
MICROSOFT_LEFT_OUT_NOTE = N_("Windows' own tasks (under \\Microsoft\\) are left out: include them to see theirs.")
NEVER_RUN_BEFORE = 2000  # Task Scheduler writes 1999-11-30 for a task that never ran
# Last results that say nothing went wrong: success, and the Task Scheduler's own states (SCHED_S_…).
NOT_FAILURES = frozenset(
    {
        0x0,
        0x41300,  # ready to run at its next scheduled time
        0x41301,  # running now
        0x41302,  # disabled
        0x41303,  # has not run yet
        0x41304,  # no more runs scheduled
        0x41305,  # not scheduled (no trigger time set)
        0x41307,  # no valid trigger
        0x41308,  # event trigger: no set run time
        0x41325,  # queued: the service has asked it to run
    }
)
# The meanings of the results seen most often, as Microsoft words them (winerror.h); others are shown in hex only.
RESULT_MEANINGS = {
    0x1: N_("incorrect function, or the program exited with code 1"),
    0x2: N_("file not found, or the program exited with code 2"),
    0x41306: N_("the last run was stopped (by a user, or by the task's time limit)"),
    0x8004130F: N_("no account information could be found for the task's user"),
    0x80041310: N_("the task's user account was not found"),
    0x80041315: N_("the Task Scheduler service is not running"),
    0x8004131F: N_("an instance of this task was already running"),
    0x80041320: N_("the task did not run because the user is not logged on"),
    0x80041324: N_("the service tried to run the task but did not succeed"),
    0x80041326: N_("the task is disabled"),
    0x80070002: N_("the system cannot find the file specified"),
    0x80070003: N_("the system cannot find the path specified"),
    0x80070005: N_("access is denied"),
    0x8007010B: N_("the directory name is invalid (the task's Start in folder)"),
    0x8007052E: N_("logon failure: unknown user name or bad password"),
    0x80070569: N_("logon failure: the user has not been granted the requested logon type (log on as a batch job)"),
    0x800704DD: N_("the user has not logged on to the network"),
    0x800710E0: N_(
        "the operator or administrator has refused the request (an instance was running, or a condition was not met)"
    ),
    0xC000013A: N_("the program was ended by Ctrl+C or closed"),
    0xC0000142: N_("a DLL failed to initialise (often: the desktop heap is exhausted)"),
}


def result_text(code: int) -> str:
    """A task's last result as the engineer searches it: hex, and its meaning when it is a common one."""
    meaning = RESULT_MEANINGS.get(code)
    number = f"0x{code:X}"
    if not meaning:
        return number
    said = _(meaning)  # outside the f-string: see tests/unit/test_quality.py
    return f"{number} ({said})"


def _task_time(value: object) -> str:
    moment = windows_date(value)
    if moment is None or moment.year < NEVER_RUN_BEFORE:
        return ""
    return format_time(moment)


def parse_failed_scheduled_tasks(output: str) -> Table:
    records = json_records(output)
    if len(records) != 1 or "Tasks" not in records[0]:
        raise ParseError(_("Expected one object with Microsoft and Tasks, found something else."))
    [result] = records
    include_microsoft = text(result.get("Microsoft")).casefold() in ("yes", "true", "1")
    rows = []
    for task in as_list(result.get("Tasks")):
        if not isinstance(task, Mapping):
            raise ParseError(_("Expected a task object, found {task!r}.").format(task=task))
        code = integer(task.get("LastTaskResult"), N_("a task's last result"))
        if code is None:
            continue  # Get-ScheduledTaskInfo could not read this task: nothing to say about it
        code &= 0xFFFFFFFF  # the COM interface gives a signed number, CIM an unsigned one
        path = text(task.get("Path")) or "\\"
        enabled = text(task.get("Enabled")).casefold() not in ("no", "false", "0")
        if code in NOT_FAILURES or not enabled:
            continue
        if not include_microsoft and path.casefold().startswith("\\microsoft\\"):
            continue
        run_as = text(task.get("UserId")) or text(task.get("GroupId"))
        rows.append(
            (
                path.rstrip("\\") + "\\" + text(task.get("Name")),
                _task_time(task.get("LastRunTime")),
                result_text(code),
                _task_time(task.get("NextRunTime")),
                run_as,
            )
        )
    rows.sort(key=lambda row: row[0].casefold())
    notes = [] if rows else [NO_FAILED_TASK_NOTE]
    if not include_microsoft:
        notes.append(MICROSOFT_LEFT_OUT_NOTE)
    return Table(TASK_COLUMNS, tuple(rows), tuple(notes))


# -- windows.facts: Win32_ComputerSystem, Win32_BIOS, Win32_OperatingSystem -------------------------------------------

# What firmware and OEM images write where nobody filled the field in: no fact rather than a wrong one.
PLACEHOLDERS = frozenset(
    {
        "",
        "0",
        "none",
        "n/a",
        "not specified",
        "not applicable",
        "default string",
        "to be filled by o.e.m.",
        "system manufacturer",
        "system product name",
        "system serial number",
        "system version",
        "oem",
        "o.e.m.",
        "123456789",
        "0123456789",
        "chassis serial number",
        "invalid",
    }
)


def _fact(value: object) -> str:
    shown = " ".join(text(value).split())
    return "" if shown.casefold() in PLACEHOLDERS or set(shown) <= {"0", " "} else shown


def parse_facts(output: str, *, now: datetime | None = None) -> dict[str, str]:
    records = json_records(output)
    if len(records) != 1:
        raise ParseError(_("Expected one object with the system's facts, found {count}.").format(count=len(records)))
    [system] = records
    if not text(system.get("Caption")).strip() and not text(system.get("Version")).strip():
        raise ParseError(_("No Windows facts in the output (no Caption, no Version): is this a Windows host?"))
    version = text(system.get("Version")).strip()
    build = integer(system.get("UBR"), N_("the update build revision"))
    if version and build is not None:
        version = f"{version}.{build}"
    release = text(system.get("DisplayVersion")).strip()
    if version and release:
        version = f"{version} ({release})"
    facts = {
        "manufacturer": _fact(system.get("Manufacturer")),
        "model": _fact(system.get("Model")),
        "serial_number": _fact(system.get("SerialNumber")),
        "firmware": _fact(system.get("BIOSVersion")),
        "os": text(system.get("Caption")).strip(),
        "os_version": version,
        "hostname": text(system.get("Hostname")).strip(),
        "architecture": text(system.get("Architecture")).strip(),
    }
    domain = text(system.get("Domain")).strip()
    part_of_domain = text(system.get("PartOfDomain")).casefold() in ("yes", "true", "1")
    facts["domain" if part_of_domain else "workgroup"] = domain
    if system.get("LastBootUpTime"):
        booted, elapsed = boot_time(system, now=now)
        facts["last_boot"] = format_time(booted)
        facts["uptime"] = format_duration(elapsed)
    return {name: value for name, value in facts.items() if value}
