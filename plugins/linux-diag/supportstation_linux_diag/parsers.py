"""Parsers from the commands' output to tables.

Each parser takes the standard output of its command and returns a Table, or raises ParseError when the output is
not what the command prints (the engineer then reads the raw output). The commands print a few marker lines
starting with `#supportstation:` to say what the shell found before running the tool (no systemd, a tool missing);
the parsers turn them into notes. Column headers and notes are English and unformatted: the GUI translates them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from supportstation.plugin_api import ParseError, Table

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
            name, _, rest = line[len(MARKER) :].strip().partition(" ")
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
    try:
        return float(text)
    except ValueError:
        raise ParseError(f"Expected a number for {what}, found {text!r}.") from None


# -- linux.uptime: /proc/uptime, /proc/loadavg and the number of CPUs --------------------------------------------

UPTIME_COLUMNS = ("Up for", "Load 1 min", "Load 5 min", "Load 15 min", "CPUs", "Running / total tasks")


def format_duration(seconds: float) -> str:
    """As `uptime` says it: 5 min, 3:04, 1 day, 0:05, 12 days, 3:04."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}" if hours or days else f"{minutes} min"
    if not days:
        return clock
    return f"{days} day{'s' if days > 1 else ''}, {clock}"


def parse_uptime(output: str) -> Table:
    lines, _markers = split_markers(output)
    uptime = load = cpus = None
    for line in lines:
        fields = line.split()
        if len(fields) == 2 and uptime is None:
            uptime = _number(fields[0], "the uptime")
        elif len(fields) == 5 and "/" in fields[3]:
            load = fields
        elif len(fields) == 1 and fields[0].isdigit():
            cpus = int(fields[0])
        else:
            raise ParseError(f"Unexpected line in the uptime output: {line.strip()!r}.")
    if uptime is None or load is None:
        raise ParseError("The output lacks /proc/uptime or /proc/loadavg.")
    averages = [_number(value, "the load average") for value in load[:3]]
    notes = []
    if cpus and averages[2] > cpus:
        notes.append("The 15-minute load is above the number of CPUs: the machine is overloaded or waits on I/O.")
    row = (format_duration(uptime), *load[:3], str(cpus) if cpus else "-", load[3])
    return Table(UPTIME_COLUMNS, (row,), tuple(notes))


# -- linux.disk_usage: df -P -T -B1 ----------------------------------------------------------------------------

DISK_COLUMNS = ("Mount point", "Filesystem", "Type", "Size", "Used", "Available", "Use %")
# With -P, df writes one line per file system, and the mount point is the rest of the line: it may contain spaces.
# The file system name may too (FUSE sources), so the columns are found from the numbers in the middle.
_DF_LINE = re.compile(
    r"(?P<source>.+?)\s+(?P<type>\S+)\s+(?P<size>\d+|-)\s+(?P<used>\d+|-)\s+(?P<available>\d+|-)"
    r"\s+(?P<percent>\d+%|-)\s+(?P<mount>/.*)"
)
FULL_PERCENT = 90
NO_DF_NOTE = "The df command is not installed on this host."


def _size_cell(text: str) -> str:
    return human_size(int(text)) if text.isdigit() else "-"


def parse_disk_usage(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(DISK_COLUMNS, (), (NO_DF_NOTE,))
    if not lines:
        raise ParseError("df printed nothing (GNU df is needed: BusyBox df has no -T or -x).")
    rows, full = [], False
    for line in lines:
        if line.startswith("Filesystem"):
            continue
        match = _DF_LINE.fullmatch(line.rstrip("\n"))
        if not match:
            raise ParseError(f"Unexpected line in the df output: {line.strip()!r}.")
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
    notes = ("At least one file system is 90% full or more.",) if full else ()
    return Table(DISK_COLUMNS, tuple(rows), notes)


# -- linux.memory: /proc/meminfo ---------------------------------------------------------------------------------

MEMORY_COLUMNS = ("Memory", "Total", "Used", "Free", "Shared", "Buff/cache", "Available", "Use %")


def parse_memory(output: str) -> Table:
    """The figures of procps-ng 4 `free`, computed from /proc/meminfo the way it does."""
    lines, _markers = split_markers(output)
    info: dict[str, int] = {}
    for line in lines:
        match = re.fullmatch(r"\s*([\w()]+):\s+(\d+)(?:\s+kB)?\s*", line)
        if not match:
            raise ParseError(f"Unexpected line in /proc/meminfo: {line.strip()!r}.")
        info[match[1]] = int(match[2]) * (1024 if line.rstrip().endswith("kB") else 1)
    if "MemTotal" not in info or "MemFree" not in info:
        raise ParseError("The output is not /proc/meminfo: MemTotal or MemFree is missing.")
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
        notes.append("Less than 10% of the memory is available: the machine may be swapping or killing processes.")
    if not swap_total:
        notes.append("No swap space is configured.")
    return Table(MEMORY_COLUMNS, rows, tuple(notes))


# -- linux.failed_units: systemctl list-units --failed -----------------------------------------------------------

UNIT_COLUMNS = ("Unit", "Load", "Active", "Sub", "Description")
NO_SYSTEMD_NOTE = "systemd is not running on this host (another init system, or a container): there are no units."
NO_FAILED_UNIT_NOTE = "No unit has failed."


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
        raise ParseError(f"systemctl printed invalid JSON: {error}.") from None
    if not isinstance(units, list) or not all(isinstance(unit, dict) for unit in units):
        raise ParseError("systemctl printed JSON that is not a list of units.")
    keys = ("unit", "load", "active", "sub", "description")
    return [tuple(str(unit.get(key) or "") for key in keys) for unit in units]


def _unit_from_line(line: str) -> tuple[str, ...]:
    # Without --plain, or on old versions, failed units have a bullet in front ("●", or "*" in the C locale).
    fields = line.strip().lstrip("●*").split(None, 4)
    if len(fields) < 4:
        raise ParseError(f"Unexpected line in the systemctl output: {line.strip()!r}.")
    return tuple(fields) if len(fields) == 5 else (*fields, "")


# -- linux.journal_errors: journalctl -o json ---------------------------------------------------------------------

JOURNAL_COLUMNS = ("Time (UTC)", "Priority", "Unit", "Message")
PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")  # syslog levels 0 to 7
NO_JOURNAL_NOTE = "journalctl is not installed on this host: there is no systemd journal to read (see /var/log)."
JOURNAL_WITHOUT_SYSTEMD_NOTE = "systemd is not running on this host: its journal may be empty or old (see /var/log)."
JOURNAL_PARTIAL_NOTE = (
    "Only this user's own messages are visible: the 'adm' or 'systemd-journal' group, or sudo, shows the system's."
)
JOURNAL_LIMIT_NOTE = "Only the most recent entries are shown: raise the limit to see more."
NO_ERROR_NOTE = "No error was logged in this period."
TOO_LONG = "(message longer than 4096 bytes: read it with journalctl on the host)"


def journal_text(value: object) -> str:
    """A journal field as journalctl's JSON gives it: text, bytes as a list of numbers when not valid UTF-8, null
    when longer than 4096 bytes, or a list of those when the field occurs more than once."""
    if value is None:
        return TOO_LONG
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
            raise ParseError(f"Line {number} of the journalctl output is not JSON: {line[:80]!r}.") from None
        if not isinstance(entry, dict):
            raise ParseError(f"Line {number} of the journalctl output is not a journal entry.")
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

ADDRESS_COLUMNS = ("Interface", "State", "MAC address", "Family", "Address", "Scope")
NO_IP_NOTE = "The ip command (iproute2) is not installed on this host."
FAMILIES = {"inet": "IPv4", "inet6": "IPv6"}


def parse_network_addresses(output: str) -> Table:
    lines, markers = split_markers(output)
    if NO_TOOL in markers:
        return Table(ADDRESS_COLUMNS, (), (NO_IP_NOTE,))
    try:
        interfaces = json.loads("\n".join(lines))
    except ValueError:
        raise ParseError("ip printed no JSON: iproute2 older than 4.13 (2017) has no -j option.") from None
    if not isinstance(interfaces, list) or not all(isinstance(interface, dict) for interface in interfaces):
        raise ParseError("ip printed JSON that is not a list of interfaces.")
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

PORT_COLUMNS = ("Protocol", "Address", "Port", "Process")
NO_SS_NOTE = "The ss command (iproute2) is not installed on this host."
NOTHING_LISTENS_NOTE = "Nothing listens on a TCP or UDP port."
NO_PROCESS_NOTE = "Some ports show no process: ss names other users' processes only to root."
# Netid is left out by ss when a single protocol is asked for; states are upper case, protocols lower case. The
# process column may contain spaces ("Web Content").
_SS_LINE = re.compile(
    r"\s*(?:(?P<netid>[a-z][\w-]*)\s+)?(?P<state>[A-Z][A-Z-]*)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+(?:\s+(?P<process>.*?))?\s*"
)
_SS_USER = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+)')


def split_address(local: str) -> tuple[str, str]:
    """Address and port of ss's "Local Address:Port": "[::1]:631", "0.0.0.0:22", "127.0.0.53%lo:53", the zone outside
    the brackets in "[fe80::1]%eth0:546", and IPv6 without brackets (":::22") from old versions of ss."""
    address, _, port = local.rpartition(":")
    if address.startswith("[") and "]" in address:
        inside, _, zone = address[1:].partition("]")
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
            raise ParseError(f"Unexpected line in the ss output: {line.strip()!r}.")
        address, port = split_address(match["local"])
        rows.append((match["netid"] or "", address, port, describe_processes(match["process"] or "")))
    rows.sort(key=_port_order)
    notes = []
    if not rows:
        notes.append(NOTHING_LISTENS_NOTE)
    elif not all(row[3] for row in rows):
        notes.append(NO_PROCESS_NOTE)
    return Table(PORT_COLUMNS, tuple(rows), tuple(notes))
