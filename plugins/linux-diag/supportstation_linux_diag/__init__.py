"""Linux diagnostics for SupportStation: uptime and load, disks, memory, failed units, journal errors, addresses, ports,
pending package updates.

The action ids are stable: procedures and the audit trail refer to them. Every command is plain POSIX sh, runs as an
unprivileged user, and forces the C locale so that the parsers read the same words and number formats on every
machine. Titles, descriptions, categories and labels are English, marked with N_: SupportStation shows them through
the plugin's catalog (locale/<language>/LC_MESSAGES/supportstation_linux_diag.po, see tools/i18n.py).

The plugin also ships procedures (runbooks, procedures/*.yaml, bilingual): disk-full triage, a service restart with
health checks, log collection with download, and memory pressure triage. Their steps that need root run with sudo.
"""

from __future__ import annotations

from pathlib import Path

from supportstation.plugin_api import N_, Action, FactCollector, Parameter, ParameterType, hookimpl
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
    title=N_("Uptime and load"),
    description=N_("How long the machine has been up, its load averages and its number of CPUs."),
    category=N_("System"),
    commands={"sh": _C_LOCALE + "cat /proc/uptime /proc/loadavg\ngetconf _NPROCESSORS_ONLN 2>/dev/null || true"},
    os_families=("linux",),
    parser=parsers.parse_uptime,
    timeout=20,
)

DISK_USAGE = Action(
    id="linux.disk_usage",
    title=N_("Disk usage"),
    description=N_(
        "Size, used and available space of each mounted file system (memory and snap file systems left out)."
    ),
    category=N_("Storage"),
    commands={"sh": _C_LOCALE + _needs("df") + "df -P -T -B1 -x tmpfs -x devtmpfs -x squashfs"},
    os_families=("linux",),
    parser=parsers.parse_disk_usage,
)

MEMORY = Action(
    id="linux.memory",
    title=N_("Memory"),
    description=N_("RAM and swap: total, used, free, caches and available memory, as free shows them."),
    category=N_("System"),
    # /proc/meminfo rather than `free`: procps is missing from many minimal systems, and free's columns changed.
    commands={"sh": _C_LOCALE + "cat /proc/meminfo"},
    os_families=("linux",),
    parser=parsers.parse_memory,
    timeout=20,
)

FAILED_UNITS = Action(
    id="linux.failed_units",
    title=N_("Failed services"),
    description=N_("systemd units in the failed state."),
    category=N_("Services"),
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
    title=N_("Recent errors in the journal"),
    description=N_("Messages of priority error or worse logged in the systemd journal, most recent first."),
    category=N_("Logs"),
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
        Parameter("hours", ParameterType.INTEGER, N_("Hours to look back"), default=24, pattern=r"[1-9][0-9]{0,3}"),
        Parameter("limit", ParameterType.INTEGER, N_("Most entries to show"), default=200, pattern=r"[1-9][0-9]{0,4}"),
    ),
    parser=parsers.parse_journal_errors,
)

NETWORK_ADDRESSES = Action(
    id="linux.network_addresses",
    title=N_("Network addresses"),
    description=N_("Each network interface with its state, MAC address and IPv4 and IPv6 addresses."),
    category=N_("Network"),
    commands={"sh": _C_LOCALE + _needs("ip") + "ip -j addr show"},
    os_families=("linux",),
    parser=parsers.parse_network_addresses,
    timeout=20,
)

LISTENING_PORTS = Action(
    id="linux.listening_ports",
    title=N_("Listening ports"),
    description=N_(
        "TCP and UDP ports open for connections, with the process behind each (all processes only for root)."
    ),
    category=N_("Network"),
    commands={"sh": _C_LOCALE + _needs("ss") + "ss -tulnp"},
    os_families=("linux",),
    parser=parsers.parse_listening_ports,
    timeout=20,
)


def _literal(script: str) -> str:
    """Shell text as an action template without placeholders: its braces doubled, as `str.format` reads them."""
    return script.replace("{", "{{").replace("}", "}}")


# Each branch says which manager it found and how old its package lists are, lists the updates, then gives the
# listing's exit code as a marker and exits 0: dnf's and yum's exit code 100 ("updates pending") would otherwise make
# the run a failure. Nothing is downloaded and nothing needs root: apt reads its lists, dnf and yum their system cache
# (-C lets any user read it), zypper and apk what their last refresh left. For dnf and yum, the security updates are
# listed again by --security (from the repositories' advisories) and the installed versions read with rpm. apt's
# warning that its command line is not stable (and the blank lines around it) is dropped from the error output.
_PENDING_UPDATES_SCRIPT = (
    r"""refreshed() { newest=$(ls -td "$@" 2>/dev/null | head -n 1)
  [ -z "$newest" ] || echo "<M>refreshed $(date -r "$newest" +%s 2>/dev/null) $(date +%s)"; }
if command -v apt >/dev/null 2>&1 && [ -d /var/lib/dpkg ]; then
  echo '<M>manager apt'; refreshed /var/lib/apt/lists/partial /var/lib/apt/lists
  { { apt list --upgradable; echo "<M>status $?"; } 2>&1 >&3 3>&- |
    grep -v -e 'does not have a stable CLI' -e '^ *$' >&2; } 3>&1
elif command -v dnf >/dev/null 2>&1 || command -v yum >/dev/null 2>&1; then
  tool=dnf; command -v dnf >/dev/null 2>&1 || tool=yum
  echo "<M>manager $tool"; refreshed /var/cache/dnf/last_makecache /var/cache/dnf /var/cache/libdnf5 /var/cache/yum
  list=$($tool -q -C check-update); status=$?
  printf '%s\n' "$list"; echo "<M>status $status"
  if [ "$status" = 100 ]; then
    echo '<M>security'; $tool -q -C check-update --security 2>/dev/null
    echo '<M>installed'
    rpm -q --qf '%{NAME}.%{ARCH} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\n' \
      $(printf '%s\n' "$list" | awk '/^Obsoleting/ { exit } /^[^ ]/ && $1 ~ /\./ { print $1 }') 2>/dev/null
  fi
elif command -v zypper >/dev/null 2>&1; then
  echo '<M>manager zypper'; refreshed /var/cache/zypp/raw /var/cache/zypp/solv
  zypper --non-interactive --no-refresh list-updates; echo "<M>status $?"
  echo '<M>security'; zypper --non-interactive --no-refresh patch-check 2>/dev/null
elif command -v apk >/dev/null 2>&1; then
  echo '<M>manager apk'; refreshed /var/cache/apk/APKINDEX.*
  apk --no-network list --upgradable; echo "<M>status $?"
else echo '<M>missing'; fi
exit 0"""
).replace("<M>", parsers.MARKER)

PENDING_UPDATES = Action(
    id="linux.pending_updates",
    title=N_("Pending package updates"),
    description=N_(
        "Updates the package manager (apt, dnf, yum, zypper or apk) would install, security updates first, "
        "as of its last refresh of the package lists."
    ),
    category=N_("Updates"),
    commands={"sh": _C_LOCALE + _literal(_PENDING_UPDATES_SCRIPT)},
    os_families=("linux",),
    parser=parsers.parse_pending_updates,
)

ACTIONS = (
    UPTIME,
    DISK_USAGE,
    MEMORY,
    FAILED_UNITS,
    JOURNAL_ERRORS,
    NETWORK_ADDRESSES,
    LISTENING_PORTS,
    PENDING_UPDATES,
)


# The serial number in /sys is readable by root only on most distributions: left out for others, not an error.
FACTS = FactCollector(
    id="linux.facts",
    title=N_("System, kernel, model and serial number"),
    commands={
        "sh": _C_LOCALE
        + '. /etc/os-release 2>/dev/null; echo "os=${{PRETTY_NAME:-}}"\n'
        + 'echo "kernel=$(uname -r)"; echo "architecture=$(uname -m)"; echo "hostname=$(uname -n)"\n'
        + "for name in sys_vendor product_name product_serial; do\n"
        + '  [ -r "/sys/class/dmi/id/$name" ] && echo "$name=$(cat "/sys/class/dmi/id/$name" 2>/dev/null)"\n'
        + "done; exit 0"
    },
    os_families=("linux",),
    parse=parsers.parse_facts,
    timeout=20,
)


@hookimpl
def supportstation_fact_collectors() -> list[FactCollector]:
    return [FACTS]


@hookimpl
def supportstation_actions() -> list[Action]:
    return list(ACTIONS)


@hookimpl
def supportstation_procedures() -> list[Path]:
    """The procedures (runbooks) shipped beside this module: every procedures/*.yaml."""
    return [Path(__file__).parent / "procedures"]
