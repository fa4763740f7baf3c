"""Parsers from the commands' output to tables.

Each parser takes the standard output of its command and returns a Table, or raises ParseError when the output is
not what the command prints (the engineer then reads the raw output). The commands print a few marker lines
starting with `#supportstation:` to say what the shell found before running the tool (no systemd, a tool missing);
the parsers turn them into notes. Column headers and fixed notes are English, marked with N_: SupportStation shows
them in the engineer's language through the plugin's catalog. What is written at run time (a note with a number in
it, an error, a word in a cell) goes through `_` then and there.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from supportstation.plugin_api import N_, ParseError, Table, translations

_ = translations(__name__)
ngettext = _.ngettext

MARKER = "#supportstation:"
NO_TOOL = "missing"  # the tool the action needs is not installed
NO_SYSTEMD = "no-systemd"  # PID 1 is not systemd
JOURNAL_PARTIAL = "journal-partial"  # the user may only read their own journal
LIMIT = "limit"  # followed by the number of entries asked for


def split_markers(output: str) -> tuple[list[str], dict[str, str]]:
    """The output's non-blank lines without the marker lines, and the markers (name -> rest of the line)."""
    lines, markers = [], {}
    for line in output.splitlines():
        if line.startswith(MARKER):
            name, _space, rest = line[len(MARKER) :].strip().partition(" ")
            markers[name] = rest.strip()
        elif line.strip():
            lines.append(line)
    return lines, markers


def human_size(count: int) -> str:
    """Bytes in binary units, as df -h and free -h show them: 512 B, 9.8 GiB, 252 GiB."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if abs(value) < 10 else f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole > 0 else "-"


def _number(text: str, what: str) -> float:
    """`what` is marked with N_ by the caller: "the uptime"."""
    try:
        return float(text)
    except ValueError:
        raise ParseError(_("Expected a number for {what}, found {text!r}.").format(what=_(what), text=text)) from None


# -- linux.uptime: /proc/uptime, /proc/loadavg and the number of CPUs --------------------------------------------

UPTIME_COLUMNS = (N_("Up for"), N_("Load 1 min"), N_("Load 5 min"), N_("Load 15 min"), N_("CPUs"),
                  N_("Running / total tasks"))  # fmt: skip
OVERLOADED_NOTE = N_("The 15-minute load is above the number of CPUs: the machine is overloaded or waits on I/O.")


def format_duration(seconds: float) -> str:
    """As `uptime` says it: 5 min, 3:04, 1 day, 0:05, 12 days, 3:04."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}" if hours or days else _("{minutes} min").format(minutes=minutes)
    if not days:
        return clock
    return ngettext("{days} day, {clock}", "{days} days, {clock}", days).format(days=days, clock=clock)


def parse_uptime(output: str) -> Table:
    lines, _markers = split_markers(output)
    uptime = load = cpus = None
    for line in lines:
        fields = line.split()
        if len(fields) == 2 and uptime is None:
            uptime = _number(fields[0], N_("the uptime"))
        elif len(fields) == 5 and "/" in fields[3]:
            load = fields
        elif len(fields) == 1 and fields[0].isdigit():
            cpus = int(fields[0])
        else:
            raise ParseError(_("Unexpected line in the uptime output: {line!r}.").format(line=line.strip()))
    if uptime is None or load is None:
        raise ParseError(_("The output lacks /proc/uptime or /proc/loadavg."))
    averages = [_number(value, N_("the load average")) for value in load[:3]]
    notes = []
    if cpus and averages[2] > cpus:
        notes.append(OVERLOADED_NOTE)
    row = (format_duration(uptime), *load[:3], str(cpus) if cpus else "-", load[3])
    return Table(UPTIME_COLUMNS, (row,), tuple(notes))


# -- linux.disk_usage: df -P -T -B1 ----------------------------------------------------------------------------

DISK_COLUMNS = (N_("Mount point"), N_("Filesystem"), N_("Type"), N_("Size"), N_("Used"), N_("Available"), N_("Use %"))
# With -P, df writes one line per file system, and the mount point is the rest of the line: it may contain spaces.
# The file system name may too (FUSE sources), so the columns are found from the numbers in the middle.
_DF_LINE = re.compile(
    r"(?P<source>.+?)\s+(?P<type>\S+)\s+(?P<size>\d+|-)\s+(?P<used>\d+|-)\s+(?P<available>\d+|-)"
    r"\s+(?P<percent>\d+%|-)\s+(?P<mount>/.*)"
)
FULL_PERCENT = 90
NO_DF_NOTE = N_("The df command is not installed on this host.")
FULL_NOTE = N_("At least one file system is 90% full or more.")


def _size_cell(text: str) -> str:
    return human_size(int(text)) if text.isdigit() else "-"


def parse_disk_usage(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(DISK_COLUMNS, (), (NO_DF_NOTE,))
    if not lines:
        raise ParseError(_("df printed nothing (GNU df is needed: BusyBox df has no -T or -x)."))
    rows, full = [], False
    for line in lines:
        if line.startswith("Filesystem"):
            continue
        match = _DF_LINE.fullmatch(line.rstrip("\n"))
        if not match:
            raise ParseError(_("Unexpected line in the df output: {line!r}.").format(line=line.strip()))
        used_percent = match["percent"]
        full = full or (used_percent != "-" and int(used_percent.rstrip("%")) >= FULL_PERCENT)
        rows.append(
            (
                match["mount"],
                match["source"],
                match["type"],
                _size_cell(match["size"]),
                _size_cell(match["used"]),
                _size_cell(match["available"]),
                used_percent,
            )
        )
    notes = (FULL_NOTE,) if full else ()
    return Table(DISK_COLUMNS, tuple(rows), notes)


# -- linux.memory: /proc/meminfo ---------------------------------------------------------------------------------

MEMORY_COLUMNS = (N_("Memory"), N_("Total"), N_("Used"), N_("Free"), N_("Shared"), N_("Buff/cache"), N_("Available"),
                  N_("Use %"))  # fmt: skip
LOW_MEMORY_NOTE = N_("Less than 10% of the memory is available: the machine may be swapping or killing processes.")
NO_SWAP_NOTE = N_("No swap space is configured.")


def parse_memory(output: str) -> Table:
    """The figures of procps-ng 4 `free`, computed from /proc/meminfo the way it does."""
    lines, _markers = split_markers(output)
    info: dict[str, int] = {}
    for line in lines:
        match = re.fullmatch(r"\s*([\w()]+):\s+(\d+)(?:\s+kB)?\s*", line)
        if not match:
            raise ParseError(_("Unexpected line in /proc/meminfo: {line!r}.").format(line=line.strip()))
        info[match[1]] = int(match[2]) * (1024 if line.rstrip().endswith("kB") else 1)
    if "MemTotal" not in info or "MemFree" not in info:
        raise ParseError(_("The output is not /proc/meminfo: MemTotal or MemFree is missing."))
    total, free = info["MemTotal"], info["MemFree"]
    cache = info.get("Buffers", 0) + info.get("Cached", 0) + info.get("SReclaimable", 0)
    # MemAvailable appeared in Linux 3.14; before it, free memory plus caches is the usual estimate.
    available = info.get("MemAvailable", min(total, free + cache))
    used = total - available
    swap_total, swap_free = info.get("SwapTotal", 0), info.get("SwapFree", 0)
    swap_used = swap_total - swap_free
    figures = [total, used, free, info.get("Shmem", 0), cache, available]
    rows = (
        ("RAM", *(human_size(figure) for figure in figures), percent(used, total)),
        (
            "Swap",
            *(human_size(figure) for figure in (swap_total, swap_used, swap_free)),
            "",
            "",
            "",
            percent(swap_used, swap_total),
        ),
    )
    notes = []
    if total and available < total / 10:
        notes.append(LOW_MEMORY_NOTE)
    if not swap_total:
        notes.append(NO_SWAP_NOTE)
    return Table(MEMORY_COLUMNS, rows, tuple(notes))


# -- linux.failed_units: systemctl list-units --failed -----------------------------------------------------------

UNIT_COLUMNS = (N_("Unit"), N_("Load"), N_("Active"), N_("Sub"), N_("Description"))
NO_SYSTEMD_NOTE = N_("systemd is not running on this host (another init system, or a container): there are no units.")
NO_FAILED_UNIT_NOTE = N_("No unit has failed.")


def parse_failed_units(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_SYSTEMD in markers:
        return Table(UNIT_COLUMNS, (), (NO_SYSTEMD_NOTE,))
    text = "\n".join(lines).strip()
    # systemd 246 and later answer in JSON (--output=json), older ones in text.
    rows = _units_from_json(text) if text.startswith("[") else [_unit_from_line(line) for line in lines]
    return Table(UNIT_COLUMNS, tuple(rows), () if rows else (NO_FAILED_UNIT_NOTE,))


def _units_from_json(text: str) -> list[tuple[str, ...]]:
    try:
        units = json.loads(text)
    except ValueError as error:
        raise ParseError(_("systemctl printed invalid JSON: {error}.").format(error=error)) from None
    if not isinstance(units, list) or not all(isinstance(unit, dict) for unit in units):
        raise ParseError(_("systemctl printed JSON that is not a list of units."))
    keys = ("unit", "load", "active", "sub", "description")
    return [tuple(str(unit.get(key) or "") for key in keys) for unit in units]


def _unit_from_line(line: str) -> tuple[str, ...]:
    # Without --plain, or on old versions, failed units have a bullet in front ("●", or "*" in the C locale).
    fields = line.strip().lstrip("●*").split(None, 4)
    if len(fields) < 4:
        raise ParseError(_("Unexpected line in the systemctl output: {line!r}.").format(line=line.strip()))
    return tuple(fields) if len(fields) == 5 else (*fields, "")


# -- linux.journal_errors: journalctl -o json ---------------------------------------------------------------------

JOURNAL_COLUMNS = (N_("Time (UTC)"), N_("Priority"), N_("Unit"), N_("Message"))
PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")  # syslog levels 0 to 7
NO_JOURNAL_NOTE = N_("journalctl is not installed on this host: there is no systemd journal to read (see /var/log).")
JOURNAL_WITHOUT_SYSTEMD_NOTE = N_(
    "systemd is not running on this host: its journal may be empty or old (see /var/log)."
)
JOURNAL_PARTIAL_NOTE = N_(
    "Only this user's own messages are visible: the 'adm' or 'systemd-journal' group, or sudo, shows the system's."
)
JOURNAL_LIMIT_NOTE = N_("Only the most recent entries are shown: raise the limit to see more.")
NO_ERROR_NOTE = N_("No error was logged in this period.")
TOO_LONG = N_("(message longer than 4096 bytes: read it with journalctl on the host)")


def journal_text(value: object) -> str:
    """A journal field as journalctl's JSON gives it: text, bytes as a list of numbers when not valid UTF-8, null
    when longer than 4096 bytes, or a list of those when the field occurs more than once."""
    if value is None:
        return _(TOO_LONG)  # a cell: shown as the parser writes it
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, int) and 0 <= item < 256 for item in value):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list):
        return "\n".join(journal_text(item) for item in value)
    return str(value)


def _journal_time(entry: dict[str, object]) -> str:
    microseconds = str(entry.get("__REALTIME_TIMESTAMP", ""))
    if not microseconds.isdigit():
        return ""
    return datetime.fromtimestamp(int(microseconds) / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _journal_source(entry: dict[str, object]) -> str:
    for key in ("_SYSTEMD_USER_UNIT", "_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_COMM"):
        if entry.get(key):
            return journal_text(entry[key])
    return ""


def parse_journal_errors(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(JOURNAL_COLUMNS, (), (NO_JOURNAL_NOTE,))
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise ParseError(
                _("Line {number} of the journalctl output is not JSON: {line!r}.").format(number=number, line=line[:80])
            ) from None
        if not isinstance(entry, dict):
            raise ParseError(_("Line {number} of the journalctl output is not a journal entry.").format(number=number))
        priority = str(entry.get("PRIORITY", ""))
        message = journal_text(entry.get("MESSAGE", "")).rstrip()
        level = PRIORITIES[int(priority)] if priority.isdigit() and int(priority) < len(PRIORITIES) else priority
        rows.append((_journal_time(entry), level, _journal_source(entry), message))
    notes = []
    if NO_SYSTEMD in markers:
        notes.append(JOURNAL_WITHOUT_SYSTEMD_NOTE)
    if JOURNAL_PARTIAL in markers:
        notes.append(JOURNAL_PARTIAL_NOTE)
    if markers.get(LIMIT, "").isdigit() and len(rows) >= int(markers[LIMIT]):
        notes.append(JOURNAL_LIMIT_NOTE)
    if not rows:
        notes.append(NO_ERROR_NOTE)
    return Table(JOURNAL_COLUMNS, tuple(rows), tuple(notes))


# -- linux.network_addresses: ip -j addr show ----------------------------------------------------------------------

ADDRESS_COLUMNS = (N_("Interface"), N_("State"), N_("MAC address"), N_("Family"), N_("Address"), N_("Scope"))
NO_IP_NOTE = N_("The ip command (iproute2) is not installed on this host.")
FAMILIES = {"inet": "IPv4", "inet6": "IPv6"}


def parse_network_addresses(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(ADDRESS_COLUMNS, (), (NO_IP_NOTE,))
    try:
        interfaces = json.loads("\n".join(lines))
    except ValueError:
        raise ParseError(_("ip printed no JSON: iproute2 older than 4.13 (2017) has no -j option.")) from None
    if not isinstance(interfaces, list) or not all(isinstance(interface, dict) for interface in interfaces):
        raise ParseError(_("ip printed JSON that is not a list of interfaces."))
    rows = []
    for interface in interfaces:
        name = str(interface.get("ifname", ""))
        if interface.get("link"):  # as `ip addr` writes a VLAN or a veth: eth0.100@eth0
            name = f"{name}@{interface['link']}"
        state = str(interface.get("operstate", ""))
        mac = "" if interface.get("link_type") in ("none", "loopback") else str(interface.get("address", ""))
        # Some iproute2 versions write {} for addresses filtered out; they carry nothing to show.
        addresses = [info for info in interface.get("addr_info") or [] if isinstance(info, dict) and info.get("local")]
        if not addresses:
            rows.append((name, state, mac, "", "", ""))
        for info in addresses:
            family = str(info.get("family", ""))
            address = f"{info['local']}/{info['prefixlen']}" if "prefixlen" in info else str(info["local"])
            rows.append((name, state, mac, FAMILIES.get(family, family), address, str(info.get("scope", ""))))
    return Table(ADDRESS_COLUMNS, tuple(rows))


# -- linux.listening_ports: ss -tulnp -----------------------------------------------------------------------------

PORT_COLUMNS = (N_("Protocol"), N_("Address"), N_("Port"), N_("Process"))
NO_SS_NOTE = N_("The ss command (iproute2) is not installed on this host.")
NOTHING_LISTENS_NOTE = N_("Nothing listens on a TCP or UDP port.")
NO_PROCESS_NOTE = N_("Some ports show no process: ss names other users' processes only to root.")
# Netid is left out by ss when a single protocol is asked for; states are upper case, protocols lower case. The
# process column may contain spaces ("Web Content").
_SS_LINE = re.compile(
    r"\s*(?:(?P<netid>[a-z][\w-]*)\s+)?(?P<state>[A-Z][A-Z-]*)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+(?:\s+(?P<process>.*?))?\s*"
)
_SS_USER = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+)')


def split_address(local: str) -> tuple[str, str]:
    """Address and port of ss's "Local Address:Port": "[::1]:631", "0.0.0.0:22", "127.0.0.53%lo:53", the zone outside
    the brackets in "[fe80::1]%eth0:546", and IPv6 without brackets (":::22") from old versions of ss."""
    address, _colon, port = local.rpartition(":")
    if address.startswith("[") and "]" in address:
        inside, _bracket, zone = address[1:].partition("]")
        address = inside + zone
    return address, port


def describe_processes(text: str) -> str:
    """'sshd (812, 813)' from users:(("sshd",pid=812,fd=3),("sshd",pid=813,fd=3)); the text itself if unknown."""
    found: dict[str, list[str]] = {}
    for name, pid in _SS_USER.findall(text):
        found.setdefault(name, []).append(pid)
    if not found:
        return text.strip()
    return ", ".join(f"{name} ({', '.join(pids)})" for name, pids in found.items())


def _port_order(row: tuple[str, str, str, str]) -> tuple[str, int, str]:
    return row[0], int(row[2]) if row[2].isdigit() else -1, row[1]


def parse_listening_ports(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(PORT_COLUMNS, (), (NO_SS_NOTE,))
    rows = []
    for line in lines:
        if line.lstrip().startswith(("Netid", "State")):
            continue
        match = _SS_LINE.fullmatch(line)
        if not match:
            raise ParseError(_("Unexpected line in the ss output: {line!r}.").format(line=line.strip()))
        address, port = split_address(match["local"])
        rows.append((match["netid"] or "", address, port, describe_processes(match["process"] or "")))
    rows.sort(key=_port_order)
    notes = []
    if not rows:
        notes.append(NOTHING_LISTENS_NOTE)
    elif not all(row[3] for row in rows):
        notes.append(NO_PROCESS_NOTE)
    return Table(PORT_COLUMNS, tuple(rows), tuple(notes))


# The names `linux.facts` prints, and the fact each one is.
_FACT_NAMES = {
    "os": "os",
    "kernel": "kernel",
    "architecture": "architecture",
    "hostname": "hostname",
    "sys_vendor": "manufacturer",
    "product_name": "model",
    "product_serial": "serial_number",
}


def parse_facts(output: str) -> dict[str, str]:
    """`name=value` lines from the facts command; unknown names and empty values are left out."""
    facts: dict[str, str] = {}
    for line in output.splitlines():
        name, separator, value = line.partition("=")
        if separator and name in _FACT_NAMES and value.strip():
            facts[_FACT_NAMES[name]] = value.strip()
    if "kernel" not in facts:
        raise ParseError(_("No system facts in the output: is this a Linux host?"))
    return facts


# -- linux.pending_updates: apt, dnf/yum, zypper or apk, from what the host already downloaded ---------------------

UPDATE_COLUMNS = (N_("Package"), N_("Architecture"), N_("Installed"), N_("Available"), N_("Repository"),
                  N_("Security"))  # fmt: skip
MANAGER = "manager"  # followed by the package manager the command found: apt, dnf, yum, zypper or apk
STATUS = "status"  # followed by the exit code of the listing command (dnf's 100, "updates pending", is one)
REFRESHED = "refreshed"  # followed by the time the package lists were last written, then the host's time (epochs)
SECURITY_SECTION = "security"  # the lines after it list the security updates (dnf, yum) or the patch count (zypper)
INSTALLED_SECTION = "installed"  # the lines after it give the installed versions (rpm -q)
MANAGERS = ("apt", "dnf", "yum", "zypper", "apk")
STALE_DAYS = 7
# The Security column's words: compared in English while the rows are sorted, shown in the engineer's language.
YES, NO = N_("Yes"), N_("No")

NO_MANAGER_NOTE = N_("No supported package manager (apt, dnf, yum, zypper, apk) was found on this host.")
NO_UPDATE_NOTE = N_("No update is pending.")
AS_OF_NOTES = {
    "apt": N_(
        "The list is as of the last `apt update`: this check downloads nothing, so updates published since are "
        "not in it."
    ),
    "dnf": N_(
        "The list is as of the last refresh of dnf's system cache (dnf makecache, usually run by a timer): this "
        "check downloads nothing, so updates published since are not in it."
    ),
    "yum": N_(
        "The list is as of the last refresh of yum's system cache (yum makecache): this check downloads nothing, "
        "so updates published since are not in it."
    ),
    "zypper": N_(
        "The list is as of the last `zypper refresh`: this check downloads nothing, so updates published since "
        "are not in it."
    ),
    "apk": N_(
        "The list is as of the last `apk update`: this check downloads nothing, so updates published since are "
        "not in it."
    ),
}
STALE_NOTE = N_(
    "The package lists are more than a week old: refresh them as root (apt update, dnf makecache, zypper refresh, "
    "apk update) before deciding anything from this list."
)
ADVISORIES_NOTE = N_(
    "Security updates are the ones the repositories' security advisories (updateinfo) name: repositories without "
    "advisories (CentOS Stream, many third-party ones) mark none."
)
ZYPPER_SECURITY_NOTE = N_("zypper does not tie package updates to security patches: see `zypper list-patches`.")
APK_SECURITY_NOTE = N_("apk does not say which updates are security fixes.")
# With values: translated when written (see the module's docstring).
TOTAL_NOTE = N_("Pending updates: {total}; security updates: {security}.")
COUNT_NOTE = N_("Pending updates: {total}.")  # for the managers that do not say which updates are security fixes
REFRESHED_NOTE = N_("Package lists last refreshed on {date} UTC, {age} before this check.")
ZYPPER_PATCHES_NOTE = N_("zypper counts {patches} needed patches, {security} of them security patches.")

# apt list --upgradable: "name/suite[,suite…] version arch [upgradable from: version]".
_APT_LINE = re.compile(
    r"(?P<name>[^/\s]+)/(?P<suites>\S+)\s+(?P<version>\S+)\s+(?P<arch>\S+)\s+\[upgradable from: (?P<installed>[^]]+)\]"
)
# dnf/yum check-update: "name.arch  [epoch:]version-release  repository"; a name too long for its column is alone on
# its line, the version and repository on the next one.
_RPM_LINE = re.compile(r"(?P<package>\S+\.\S+)\s+(?P<version>\S+)\s+(?P<repository>\S+)")
_RPM_WRAPPED_NAME = re.compile(r"(?P<package>[^\s.]\S*\.\S+)")
_RPM_WRAPPED_REST = re.compile(r"\s+(?P<version>\S+)\s+(?P<repository>\S+)")
_OBSOLETING = re.compile(r"obsoleting packages", re.IGNORECASE)
# apk list --upgradable: "name-version arch {origin} (license) [upgradable from: name-version]"; a version always
# ends in -rN.
_APK_LINE = re.compile(r"(?P<package>\S+)\s+(?P<arch>\S+)\s+\{[^}]*\}\s+\(.*\)\s+\[upgradable from: (?P<old>\S+)\]")
_APK_NAME_VERSION = re.compile(r"(?P<name>.+?)-(?P<version>\d[^\s-]*-r\d+)")
_ZYPPER_PATCHES = re.compile(r"(\d+) patch(?:es)? needed \((\d+) security patch(?:es)?\)")


def _sections(output: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The markers (name -> rest of the line) and the lines of each section: "main" until a section marker."""
    markers: dict[str, str] = {}
    sections: dict[str, list[str]] = {"main": []}
    current = "main"
    for line in output.splitlines():
        if line.startswith(MARKER):
            name, _space, rest = line[len(MARKER) :].strip().partition(" ")
            markers[name] = rest.strip()
            if name in (SECURITY_SECTION, INSTALLED_SECTION):
                current = name
                sections[current] = []
        elif line.strip():
            sections[current].append(line)
    return markers, sections


def _age(seconds: int) -> str:
    days = seconds // 86400
    if days < 1:
        return _("less than a day")
    return ngettext("{days} day", "{days} days", days).format(days=days)


def _refreshed_notes(text: str) -> list[str]:
    """The notes on how old the package lists are, from "<lists' time> <host's time>" (epochs)."""
    fields = text.split()
    if len(fields) != 2 or not all(field.isdigit() for field in fields):
        return []
    written, now = (int(field) for field in fields)
    when = datetime.fromtimestamp(written, UTC).strftime("%Y-%m-%d %H:%M")
    age = max(0, now - written)
    notes = [_(REFRESHED_NOTE).format(date=when, age=_age(age))]
    if age > STALE_DAYS * 86400:
        notes.append(STALE_NOTE)
    return notes


def _status(markers: dict[str, str], manager: str) -> int:
    text = markers.get(STATUS, "")
    if not text.lstrip("-").isdigit():
        raise ParseError(
            _("The output of {manager} lacks its exit code: the command did not run to its end.").format(
                manager=manager
            )
        )
    return int(text)


def _apt_updates(lines: list[str]) -> list[tuple[str, ...]]:
    rows = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("Listing...") or stripped.startswith(("N: ", "W: ")):
            continue
        match = _APT_LINE.fullmatch(stripped)
        if not match:
            raise ParseError(_("Unexpected line in the apt list output: {line!r}.").format(line=stripped))
        suites = match["suites"].split(",")
        security = any(suite.endswith("-security") for suite in suites)
        rows.append(
            (
                match["name"],
                match["arch"],
                match["installed"].strip(),
                match["version"],
                ", ".join(suites),
                YES if security else NO,
            )
        )
    return rows


def _rpm_packages(lines: list[str]) -> list[tuple[str, str, str]]:
    """(name.arch, version, repository) of each update check-update lists, before its "Obsoleting Packages"."""
    found = []
    pending = None  # a name alone on its line, waiting for its version and repository
    for line in lines:
        if _OBSOLETING.match(line.strip()):
            break
        if pending is not None:
            rest = _RPM_WRAPPED_REST.fullmatch(line.rstrip())
            if rest:
                found.append((pending, rest["version"], rest["repository"]))
                pending = None
                continue
            pending = None
        if line[:1].isspace():
            continue
        match = _RPM_LINE.fullmatch(line.rstrip())
        if match:
            found.append((match["package"], match["version"], match["repository"]))
        elif _RPM_WRAPPED_NAME.fullmatch(line.rstrip()):
            pending = line.strip()
        # Anything else is what dnf and its plugins say besides ("Last metadata expiration check: …").
    return found


def _without_zero_epoch(version: str) -> str:
    epoch, separator, rest = version.partition(":")
    return rest if separator and epoch in ("0", "(none)") else version


def _rpm_updates(sections: dict[str, list[str]], manager: str, status: int) -> list[tuple[str, ...]]:
    if status not in (0, 100):
        raise ParseError(
            _(
                "{manager} check-update failed with exit code {status}: its error output says why (without a system "
                "cache, `{manager} makecache` run as root makes one)."
            ).format(manager=manager, status=status)
        )
    updates = _rpm_packages(sections["main"])
    if status == 100 and not updates:
        raise ParseError(
            _("{manager} check-update said updates are pending, but no line of its output lists one.").format(
                manager=manager
            )
        )
    security = {package for package, _version, _repository in _rpm_packages(sections.get(SECURITY_SECTION, []))}
    installed: dict[str, str] = {}
    for line in sections.get(INSTALLED_SECTION, []):
        fields = line.split()
        if len(fields) == 2:  # several versions of an install-only package (kernel): the last installed counts
            installed[fields[0]] = _without_zero_epoch(fields[1])
    rows = []
    for package, version, repository in updates:
        name, _dot, arch = package.rpartition(".")
        rows.append(
            (
                name,
                arch,
                installed.get(package, ""),
                _without_zero_epoch(version),
                repository,
                YES if package in security else NO,
            )
        )
    return rows


def _zypper_updates(lines: list[str]) -> list[tuple[str, ...]]:
    """The rows of zypper's table, found by its header's column names (the C locale's)."""
    columns: list[str] | None = None
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.split("|")]
        if columns is None:
            if len(cells) > 1 and "Name" in cells and "Available Version" in cells:
                columns = cells
            continue
        if len(cells) != len(columns) or set(line.strip()) <= set("-+|="):
            continue  # the rule under the header, or a line around the table
        row = dict(zip(columns, cells, strict=True))
        rows.append(
            (
                row.get("Name", ""),
                row.get("Arch", ""),
                row.get("Current Version", ""),
                row.get("Available Version", ""),
                row.get("Repository", ""),
                "",
            )
        )
    return rows


def _apk_updates(lines: list[str]) -> list[tuple[str, ...]]:
    rows = []
    for line in lines:
        match = _APK_LINE.fullmatch(line.strip())
        if not match:
            continue  # apk's warnings and notices
        new = _APK_NAME_VERSION.fullmatch(match["package"])
        old = _APK_NAME_VERSION.fullmatch(match["old"])
        if not new:
            raise ParseError(
                _("Unexpected package in the apk list output: {package!r}.").format(package=match["package"])
            )
        rows.append((new["name"], match["arch"], old["version"] if old else match["old"], new["version"], "", ""))
    return rows


def parse_pending_updates(output: str) -> Table:
    markers, sections = _sections(output)
    if NO_TOOL in markers:
        return Table(UPDATE_COLUMNS, (), (NO_MANAGER_NOTE,))
    manager = markers.get(MANAGER, "")
    if manager not in MANAGERS:
        raise ParseError(_("The output does not say which package manager ran: it is not this action's output."))
    status = _status(markers, manager)
    notes: list[str] = []
    if manager == "apt":
        if status != 0:
            raise ParseError(
                _("apt list failed with exit code {status}: its error output says why.").format(status=status)
            )
        rows = _apt_updates(sections["main"])
    elif manager in ("dnf", "yum"):
        rows = _rpm_updates(sections, manager, status)
        if rows:
            notes.append(ADVISORIES_NOTE)
    elif manager == "zypper":
        if status != 0:
            raise ParseError(
                _("zypper list-updates failed with exit code {status}: its error output says why.").format(
                    status=status
                )
            )
        rows = _zypper_updates(sections["main"])
        patches = _ZYPPER_PATCHES.search("\n".join(sections.get(SECURITY_SECTION, [])))
        if patches and int(patches[1]):
            notes.append(_(ZYPPER_PATCHES_NOTE).format(patches=patches[1], security=patches[2]))
        if rows:
            notes.append(ZYPPER_SECURITY_NOTE)
    else:
        if status != 0:
            raise ParseError(
                _("apk list failed with exit code {status}: its error output says why.").format(status=status)
            )
        rows = _apk_updates(sections["main"])
        if rows:
            notes.append(APK_SECURITY_NOTE)
    # Security updates first, then by name: the ones to install first lead.
    rows.sort(key=lambda row: (row[5] != YES, row[0].casefold(), row[1]))
    security = sum(1 for row in rows if row[5] == YES)
    if not rows:
        summary = [NO_UPDATE_NOTE]
    elif manager in ("zypper", "apk"):
        summary = [_(COUNT_NOTE).format(total=len(rows))]
    else:
        summary = [_(TOTAL_NOTE).format(total=len(rows), security=security)]
    as_of = [AS_OF_NOTES[manager], *_refreshed_notes(markers.get(REFRESHED, ""))]
    shown = [(*row[:5], _(row[5])) for row in rows]  # Yes and No in the engineer's language
    return Table(UPDATE_COLUMNS, tuple(shown), (*summary, *notes, *as_of))
