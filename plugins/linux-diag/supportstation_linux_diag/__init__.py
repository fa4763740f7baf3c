"""Linux diagnostics for SupportStation: uptime and load, disks, memory, failed units, journal errors, addresses, ports.

The action ids are stable: procedures and the audit trail refer to them. Every command is plain POSIX sh, runs as an
unprivileged user, and forces the C locale so that the parsers read the same words and number formats on every
machine. Titles, descriptions, categories and labels are English; SupportStation translates them when it shows them.

The plugin also ships procedures (runbooks, procedures/*.yaml, bilingual): disk-full triage, a service restart with
health checks, log collection with download, and memory pressure triage. Their steps that need root run with sudo.
"""

from __future__ import annotations

from pathlib import Path

from supportstation.plugin_api import Action, Parameter, ParameterType, hookimpl
from supportstation_linux_diag import parsers

__version__ = "0.1.0"
SUPPORTSTATION_API = 1

_C_LOCALE = "export LC_ALL=C\n"


def _needs(tool: str) -> str:
    """A first line that stops with a marker, for the parser to explain, when the host lacks the tool."""
    return f"if ! command -v {tool} >/dev/null 2>&1; then echo '{parsers.MARKER}{parsers.NO_TOOL}'; exit 0; fi\n"


_NO_SYSTEMD = f"[ -d /run/systemd/system ] || echo '{parsers.MARKER}{parsers.NO_SYSTEMD}'\n"

# Members of these groups (and root) read the whole journal; anyone else sees only their own messages.
_JOURNAL_READERS = (
    'if [ "$(id -u)" != 0 ]; then case " $(id -Gn) " in'
    ' *" adm "*|*" systemd-journal "*|*" wheel "*) ;;'
    f" *) echo '{parsers.MARKER}{parsers.JOURNAL_PARTIAL}' ;; esac; fi\n"
)

UPTIME = Action(
    id="linux.uptime",
    title="Uptime and load",
    description="How long the machine has been up, its load averages and its number of CPUs.",
    category="System",
    commands={"sh": _C_LOCALE + "cat /proc/uptime /proc/loadavg\ngetconf _NPROCESSORS_ONLN 2>/dev/null || true"},
    os_families=("linux",),
    parser=parsers.parse_uptime,
    timeout=20,
)

DISK_USAGE = Action(
    id="linux.disk_usage",
    title="Disk usage",
    description="Size, used and available space of each mounted file system (memory and snap file systems left out).",
    category="Storage",
    commands={"sh": _C_LOCALE + _needs("df") + "df -P -T -B1 -x tmpfs -x devtmpfs -x squashfs"},
    os_families=("linux",),
    parser=parsers.parse_disk_usage,
)

MEMORY = Action(
    id="linux.memory",
    title="Memory",
    description="RAM and swap: total, used, free, caches and available memory, as free shows them.",
    category="System",
    # /proc/meminfo rather than `free`: procps is missing from many minimal systems, and free's columns changed.
    commands={"sh": _C_LOCALE + "cat /proc/meminfo"},
    os_families=("linux",),
    parser=parsers.parse_memory,
    timeout=20,
)

FAILED_UNITS = Action(
    id="linux.failed_units",
    title="Failed services",
    description="systemd units in the failed state.",
    category="Services",
    commands={
        "sh": _C_LOCALE
        + f"if [ ! -d /run/systemd/system ]; then echo '{parsers.MARKER}{parsers.NO_SYSTEMD}'; exit 0; fi\n"
        # --output=json exists from systemd 246; older versions get the text listing, which the parser reads too.
        + "version=$(systemctl --version | sed -n '1s/^systemd \\([0-9][0-9]*\\).*/\\1/p')\n"
        + 'if [ "$version" -ge 246 ] 2>/dev/null; then systemctl list-units --failed --no-pager --output=json\n'
        + "else systemctl list-units --failed --no-pager --no-legend --plain; fi"
    },
    os_families=("linux",),
    parser=parsers.parse_failed_units,
)

JOURNAL_ERRORS = Action(
    id="linux.journal_errors",
    title="Recent errors in the journal",
    description="Messages of priority error or worse logged in the systemd journal, most recent first.",
    category="Logs",
    commands={
        "sh": _C_LOCALE
        + _needs("journalctl")
        + _NO_SYSTEMD
        + _JOURNAL_READERS
        + f"echo '{parsers.MARKER}{parsers.LIMIT}' {{limit}}\n"
        + "journalctl --quiet --no-pager --output=json --reverse --priority=err --since=-{hours}h --lines={limit}"
    },
    os_families=("linux",),
    parameters=(
        Parameter("hours", ParameterType.INTEGER, "Hours to look back", default=24, pattern=r"[1-9][0-9]{0,3}"),
        Parameter("limit", ParameterType.INTEGER, "Most entries to show", default=200, pattern=r"[1-9][0-9]{0,4}"),
    ),
    parser=parsers.parse_journal_errors,
)

NETWORK_ADDRESSES = Action(
    id="linux.network_addresses",
    title="Network addresses",
    description="Each network interface with its state, MAC address and IPv4 and IPv6 addresses.",
    category="Network",
    commands={"sh": _C_LOCALE + _needs("ip") + "ip -j addr show"},
    os_families=("linux",),
    parser=parsers.parse_network_addresses,
    timeout=20,
)

LISTENING_PORTS = Action(
    id="linux.listening_ports",
    title="Listening ports",
    description="TCP and UDP ports open for connections, with the process behind each (all processes only for root).",
    category="Network",
    commands={"sh": _C_LOCALE + _needs("ss") + "ss -tulnp"},
    os_families=("linux",),
    parser=parsers.parse_listening_ports,
    timeout=20,
)

ACTIONS = (UPTIME, DISK_USAGE, MEMORY, FAILED_UNITS, JOURNAL_ERRORS, NETWORK_ADDRESSES, LISTENING_PORTS)


@hookimpl
def supportstation_actions() -> list[Action]:
    return list(ACTIONS)


@hookimpl
def supportstation_procedures() -> list[Path]:
    """The procedures (runbooks) shipped beside this module: every procedures/*.yaml."""
    return [Path(__file__).parent / "procedures"]
