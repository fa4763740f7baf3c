"""The Linux diagnostics plugin: its parsers on outputs captured on a real machine and on hand-made edge cases, and
each action run for real through /bin/sh on this machine.

The `*.real.txt` samples in tests/data/linux_diag were written by running this module:
    .venv/bin/python -m tests.plugins.test_linux_diag
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from supportstation.plugin_api import Action, ParseError, Table
from supportstation.plugins import PluginRegistry
from tests.conftest import ROOT

try:
    import supportstation_linux_diag as linux_diag
except ImportError:
    if os.environ.get("CI"):  # tools/bootstrap installs it: CI must not pass by skipping these tests
        raise
    pytest.skip("install the plugin: .venv/bin/pip install --no-deps -e plugins/linux-diag", allow_module_level=True)

parsers = linux_diag.parsers

DATA = ROOT / "tests" / "data" / "linux_diag"
ACTIONS: dict[str, Action] = {action.id: action for action in linux_diag.ACTIONS}
EXPECTED_IDS = {
    "linux.uptime",
    "linux.disk_usage",
    "linux.memory",
    "linux.failed_units",
    "linux.journal_errors",
    "linux.network_addresses",
    "linux.listening_ports",
    "linux.pending_updates",
}


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def run_locally(action: Action) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", "-c", action.command_for("sh")], capture_output=True, text=True, errors="replace", timeout=60
    )


def real_sample_name(action: Action) -> str:
    return action.id.removeprefix("linux.") + ".real.txt"


def capture_samples() -> None:
    """Writes each action's output on this machine to tests/data/linux_diag/<action>.real.txt."""
    for action in linux_diag.ACTIONS:
        (DATA / real_sample_name(action)).write_text(run_locally(action).stdout, encoding="utf-8")


# -- the plugin as SupportStation finds it ----------------------------------------------------------------------


def test_found_through_entry_point() -> None:
    registry = PluginRegistry()
    registry.load()
    assert [failure for failure in registry.failures if failure.name == "linux-diag"] == []
    [plugin] = [plugin for plugin in registry.plugins if plugin.name == "linux-diag"]
    assert plugin.distribution == "supportstation-linux-diag"
    assert plugin.version == "0.1.0"
    assert {action.id for action in registry.all_actions()} >= EXPECTED_IDS
    assert registry.find_action("linux.disk_usage") is ACTIONS["linux.disk_usage"]


def test_every_action_is_for_linux_sh_and_unprivileged() -> None:
    assert set(ACTIONS) == EXPECTED_IDS
    for action in ACTIONS.values():
        assert action.applies_to("linux", "") and action.applies_to("Linux", "dell")
        assert not action.applies_to("windows", "")
        assert set(action.commands) == {"sh"}
        assert not action.needs_sudo
        assert "LC_ALL=C" in action.command_for("sh")


def test_commands_are_valid_posix_sh() -> None:
    checkers = [shell for shell in ("/bin/sh", shutil.which("dash"), shutil.which("bash")) if shell]
    for action in ACTIONS.values():
        for shell in checkers:
            checked = subprocess.run([shell, "-n", "-c", action.command_for("sh")], capture_output=True, text=True)
            assert checked.returncode == 0, f"{action.id} under {shell}: {checked.stderr}"


# -- each action run for real on this machine --------------------------------------------------------------------

# The tool each action runs, when it is not in every Linux machine's base system.
TOOLS = {
    "linux.disk_usage": "df",
    "linux.failed_units": "systemctl",
    "linux.journal_errors": "journalctl",
    "linux.network_addresses": "ip",
    "linux.listening_ports": "ss",
}


@pytest.mark.parametrize("action_id", sorted(EXPECTED_IDS))
def test_runs_here_through_bin_sh_and_parses(action_id: str) -> None:
    action = ACTIONS[action_id]
    tool = TOOLS.get(action_id)
    if tool and not shutil.which(tool):
        pytest.skip(f"{tool} is not installed on this machine, so {action_id} has nothing to run here")
    result = run_locally(action)
    assert result.returncode == 0, result.stderr
    table = action.parse(result.stdout)
    assert isinstance(table, Table)
    if action_id == "linux.failed_units" and not Path("/run/systemd/system").is_dir():
        # This container has systemctl but does not run systemd: the parser must say so rather than fail.
        assert table.rows == () and table.notes == (parsers.NO_SYSTEMD_NOTE,)
    elif action_id in ("linux.uptime", "linux.disk_usage", "linux.memory", "linux.network_addresses"):
        assert table.rows, f"{action_id} found nothing on this machine"


def test_a_missing_tool_becomes_a_note_not_an_error(tmp_path: Path) -> None:
    # A PATH holding only what the prologue itself needs: ss, ip, df and journalctl are then all missing.
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    for name in ("cat", "id", "getconf"):
        if found := shutil.which(name):
            (bin_folder / name).symlink_to(found)
    for action_id in (
        "linux.disk_usage",
        "linux.journal_errors",
        "linux.network_addresses",
        "linux.listening_ports",
        "linux.pending_updates",  # none of apt, dnf, yum, zypper, apk
    ):
        action = ACTIONS[action_id]
        result = subprocess.run(
            ["/bin/sh", "-c", action.command_for("sh")], capture_output=True, text=True, env={"PATH": str(bin_folder)}
        )
        assert result.stdout == f"{parsers.MARKER}{parsers.NO_TOOL}\n"
        table = action.parse(result.stdout)
        assert table is not None and table.rows == () and len(table.notes) == 1


# -- parsers on captured and hand-made outputs -------------------------------------------------------------------


@pytest.mark.parametrize("action_id", sorted(EXPECTED_IDS))
def test_parses_the_output_captured_on_this_machine(action_id: str) -> None:
    action = ACTIONS[action_id]
    table = action.parse(sample(real_sample_name(action)))
    assert isinstance(table, Table)
    assert all(len(row) == len(table.columns) for row in table.rows)


@pytest.mark.parametrize("output", ["", "\n", "   \n\t\n"])
@pytest.mark.parametrize("action_id", sorted(EXPECTED_IDS))
def test_empty_output_gives_a_table_or_a_parse_error(action_id: str, output: str) -> None:
    parser = ACTIONS[action_id].parser
    assert parser is not None
    try:
        table = parser(output)
    except ParseError as error:
        assert str(error)
        assert action_id in (
            "linux.uptime",
            "linux.disk_usage",
            "linux.memory",
            "linux.network_addresses",
            "linux.pending_updates",  # its command always says which package manager it found
        )
    else:
        assert table.rows == () and table.notes, "an empty table says why it is empty"


GARBAGE = [
    "command not found\n",
    "-sh: 1: syntax error\n",
    '{"half": ',
    "\x00\x01\x02 binary \xff\n",
    "[1, 2, 3]\n",
    "Filesystem only a header\nbut this is not a df line\n",
]


@pytest.mark.parametrize("output", GARBAGE)
@pytest.mark.parametrize("action_id", sorted(EXPECTED_IDS))
def test_unexpected_output_raises_parse_error_only(action_id: str, output: str) -> None:
    # The parser itself, not Action.parse, which would turn any crash into a ParseError.
    parser = ACTIONS[action_id].parser
    assert parser is not None
    try:
        assert isinstance(parser(output), Table)
    except ParseError as error:
        assert str(error)


def test_uptime_with_days_load_and_cpus() -> None:
    table = parsers.parse_uptime(sample("uptime.busy.txt"))
    assert table.columns == parsers.UPTIME_COLUMNS
    assert table.rows == (("14 days, 6:56", "9.50", "8.75", "7.10", "4", "12/1043"),)
    assert len(table.notes) == 1 and "above the number of CPUs" in table.notes[0]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(59, "0 min"), (300, "5 min"), (3600, "1:00"), (11040.5, "3:04"), (86400 + 300, "1 day, 0:05")],
)
def test_durations_read_like_uptime(seconds: float, expected: str) -> None:
    assert parsers.format_duration(seconds) == expected


def test_disk_usage_with_spaces_in_mount_points_and_sources() -> None:
    table = parsers.parse_disk_usage(sample("disk_usage.spaces.txt"))
    mounts = [row[0] for row in table.rows]
    assert mounts == ["/", "/boot/efi", "/srv/Client Data/Compta 2024", "/mnt/nas backup", "/net", mounts[-1]]
    by_mount = {row[0]: row for row in table.rows}
    assert by_mount["/mnt/nas backup"][1:3] == ("sshfs#backup@nas:/volume 1", "fuse.sshfs")
    assert by_mount["/srv/Client Data/Compta 2024"][3:] == ("1.8 TiB", "477 GiB", "1.4 TiB", "26%")
    assert by_mount["/"][3:] == ("49 GiB", "44 GiB", "2.1 GiB", "96%")
    assert by_mount["/net"][3:] == ("-", "-", "-", "-")
    assert table.notes == ("At least one file system is 90% full or more.",)


def test_disk_usage_refuses_a_line_it_cannot_read() -> None:
    with pytest.raises(ParseError, match="df output"):
        parsers.parse_disk_usage("Filesystem Type 1-blocks Used Available Capacity Mounted on\n/dev/sda1 ext4 lots\n")


def test_memory_like_free() -> None:
    table = parsers.parse_memory(sample("memory.real.txt"))
    assert table.columns == parsers.MEMORY_COLUMNS
    assert [row[0] for row in table.rows] == ["RAM", "Swap"]


def test_memory_on_a_kernel_without_mem_available() -> None:
    table = parsers.parse_memory(sample("meminfo.old_kernel.txt"))
    ram, swap = table.rows
    # Available = free + buffers + cache = 50 + 10 + 60 MiB; used is the rest of the 2000 MiB (1880 MiB).
    assert ram == ("RAM", "2.0 GiB", "1.8 GiB", "50 MiB", "4.0 MiB", "70 MiB", "120 MiB", "94%")
    assert swap == ("Swap", "1.0 GiB", "768 MiB", "256 MiB", "", "", "", "75%")
    assert any("Less than 10%" in note for note in table.notes)


def test_failed_units_from_text_with_bullets() -> None:
    table = parsers.parse_failed_units(sample("failed_units.text.txt"))
    assert table.rows == (
        ("nfs-server.service", "loaded", "failed", "failed", "NFS server and services"),
        (
            "smartmontools.service",
            "loaded",
            "failed",
            "failed",
            "Self Monitoring and Reporting Technology (SMART) Daemon",
        ),
        ("backup@nightly.service", "loaded", "failed", "failed", 'Nightly backup to "NAS 2"'),
    )
    assert table.notes == ()


def test_failed_units_from_json() -> None:
    table = parsers.parse_failed_units(sample("failed_units.json.txt"))
    assert [row[0] for row in table.rows] == ["nfs-server.service", "logrotate.service"]
    none = parsers.parse_failed_units(sample("failed_units.none.json.txt"))
    assert none.rows == () and none.notes == (parsers.NO_FAILED_UNIT_NOTE,)


def test_failed_units_without_systemd() -> None:
    table = parsers.parse_failed_units("#supportstation:no-systemd\n")
    assert table.rows == () and table.notes == (parsers.NO_SYSTEMD_NOTE,)


def test_journal_with_binary_null_and_repeated_messages() -> None:
    table = parsers.parse_journal_errors(sample("journal_errors.binary.jsonl"))
    assert table.columns == ("Time (UTC)", "Priority", "Unit", "Message")
    assert table.rows == (
        ("2024-06-01 10:00:00", "err", "nfs-server.service", "unable to set any sockets for nfsd"),
        # Not valid UTF-8, so journalctl gave the bytes as numbers: the valid part is decoded, the rest replaced.
        ("2024-06-01 09:43:20", "crit", "kernel", "EXT4-fs error: été\ufffd"),
        ("2024-06-01 09:26:40", "err", "pipewire.service", parsers.TOO_LONG),
        ("2024-06-01 09:10:00", "err", "backup.sh", "first part\nsecond part"),
    )
    assert table.notes == (parsers.JOURNAL_PARTIAL_NOTE, parsers.JOURNAL_LIMIT_NOTE)


def test_journal_says_when_it_is_empty_or_absent() -> None:
    empty = parsers.parse_journal_errors("#supportstation:limit 200\n")
    assert empty.rows == () and empty.notes == (parsers.NO_ERROR_NOTE,)
    absent = parsers.parse_journal_errors("#supportstation:missing\n")
    assert absent.notes == (parsers.NO_JOURNAL_NOTE,)


def test_journal_refuses_a_line_that_is_not_json() -> None:
    with pytest.raises(ParseError, match="Line 2"):
        parsers.parse_journal_errors('{"MESSAGE": "ok"}\n-- No entries --\n')


def test_network_addresses_with_vlans_ipv6_and_empty_entries() -> None:
    table = parsers.parse_network_addresses(sample("network_addresses.vlan_ipv6.json"))
    assert table.columns == ("Interface", "State", "MAC address", "Family", "Address", "Scope")
    assert table.rows == (
        ("lo", "UNKNOWN", "", "IPv4", "127.0.0.1/8", "host"),
        ("lo", "UNKNOWN", "", "IPv6", "::1/128", "host"),
        ("enp3s0", "UP", "52:54:00:12:34:56", "IPv4", "192.0.2.10/24", "global"),
        ("enp3s0", "UP", "52:54:00:12:34:56", "IPv6", "2001:db8:1::10/64", "global"),
        ("enp3s0", "UP", "52:54:00:12:34:56", "IPv6", "fe80::5054:ff:fe12:3456/64", "link"),
        ("enp3s0.100@enp3s0", "UP", "52:54:00:12:34:56", "IPv4", "198.51.100.1/25", "global"),
        ("wlp2s0", "DOWN", "a0:b1:c2:d3:e4:f5", "", "", ""),
        ("tun0", "UNKNOWN", "", "IPv4", "10.8.0.6/32", "global"),
        ("veth1a2b3c", "UP", "3e:11:22:33:44:55", "", "", ""),
    )


def test_network_addresses_explain_an_old_ip() -> None:
    with pytest.raises(ParseError, match="-j"):
        parsers.parse_network_addresses("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n")


def test_listening_ports_with_ipv6_zones_and_process_names() -> None:
    table = parsers.parse_listening_ports(sample("listening_ports.mixed.txt"))
    assert table.rows == (
        ("tcp", "0.0.0.0", "22", "sshd (812)"),
        ("tcp", "::", "22", "sshd (812)"),
        ("tcp", "0.0.0.0", "80", "nginx (1201, 1200)"),
        ("tcp", "::1", "631", "Web Content (4242)"),
        ("tcp", "::", "3306", ""),
        ("tcp", "*", "9100", ""),
        ("udp", "127.0.0.53%lo", "53", "systemd-resolve (612)"),
        ("udp", "0.0.0.0", "68", ""),
        ("udp", "fe80::5054:ff:fe12:3456%enp3s0", "546", ""),
    )
    assert table.notes == (parsers.NO_PROCESS_NOTE,)


def test_listening_ports_from_an_old_ss_without_netid() -> None:
    table = parsers.parse_listening_ports(sample("listening_ports.no_netid.txt"))
    assert table.rows == (("", "*", "22", ""), ("", "::", "22", ""), ("", "127.0.0.1", "25", ""))


# -- linux.pending_updates -----------------------------------------------------------------------------------------


def test_pending_updates_runs_here_with_apt_offline_and_unprivileged() -> None:
    """This machine is Debian: apt lists what the last `apt update` left, with no network and no root."""
    if not shutil.which("apt") or not Path("/var/lib/dpkg").is_dir():
        pytest.skip("apt is not this machine's package manager")
    action = ACTIONS["linux.pending_updates"]
    result = run_locally(action)
    assert result.returncode == 0, result.stderr
    assert "stable CLI" not in result.stderr  # apt's warning is dropped, not shown to the engineer
    assert f"{parsers.MARKER}manager apt\n" in result.stdout
    assert f"{parsers.MARKER}status 0\n" in result.stdout
    table = action.parse(result.stdout)
    assert table is not None and table.columns == parsers.UPDATE_COLUMNS
    assert parsers.AS_OF_NOTES["apt"] in table.notes
    assert table.notes[0] == parsers.NO_UPDATE_NOTE or table.notes[0].startswith("Pending updates: ")
    # As many rows as apt lists packages.
    listed = subprocess.run(
        ["apt", "list", "--upgradable"], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}
    )
    assert len(table.rows) == sum(1 for line in listed.stdout.splitlines() if "[upgradable from: " in line)
    assert all(row[5] in (parsers.YES, parsers.NO) for row in table.rows)


def test_pending_updates_markers_are_the_ones_the_parser_reads() -> None:
    command = ACTIONS["linux.pending_updates"].command_for("sh")
    for name in (
        parsers.MANAGER,
        parsers.STATUS,
        parsers.REFRESHED,
        parsers.SECURITY_SECTION,
        parsers.INSTALLED_SECTION,
        parsers.NO_TOOL,
    ):
        assert f"{parsers.MARKER}{name}" in command
    for manager in parsers.MANAGERS:
        assert manager in command
    # Nothing refreshes the lists or needs root: -C (dnf, yum), --no-refresh (zypper), --no-network (apk).
    assert "apt update" not in command and "apt-get update" not in command and "sudo" not in command
    assert "-q -C check-update" in command and "--no-refresh list-updates" in command and "--no-network" in command


def test_pending_updates_runs_each_manager_through_sh(tmp_path: Path) -> None:
    """The command on hosts with dnf, zypper or apk instead of apt: stand-ins on the PATH print what the real tools
    print and exit as they do (dnf with 100 when updates are pending), and the run still ends with 0."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    for name in ("ls", "head", "date", "awk", "grep"):
        if found := shutil.which(name):
            (bin_folder / name).symlink_to(found)
    (tmp_path / "all.txt").write_text(
        "\nkernel.x86_64   5.14.0-503.15.1.el9_5   baseos\ntzdata.noarch   2024b-2.el9   baseos\n"
    )
    (tmp_path / "security.txt").write_text("\nkernel.x86_64   5.14.0-503.15.1.el9_5   baseos\n")

    def stand_in(name: str, script: str) -> None:
        (bin_folder / name).write_text(f"#!/bin/sh\n{script}\n")
        (bin_folder / name).chmod(0o755)

    def run() -> str:
        command = ACTIONS["linux.pending_updates"].command_for("sh")
        result = subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, env={"PATH": str(bin_folder)}
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    stand_in("dnf", f'case "$*" in *--security*) read_from={tmp_path}/security.txt;; *) read_from={tmp_path}/all.txt;; '
                    'esac\nwhile IFS= read -r line; do echo "$line"; done < "$read_from"; exit 100')  # fmt: skip
    stand_in("rpm", f'echo "$@" > {tmp_path}/rpm.args; echo "kernel.x86_64 0:5.14.0-503.11.1.el9_5"')
    table = parsers.parse_pending_updates(run())
    assert table.rows == (
        ("kernel", "x86_64", "5.14.0-503.11.1.el9_5", "5.14.0-503.15.1.el9_5", "baseos", "Yes"),
        ("tzdata", "noarch", "", "2024b-2.el9", "baseos", "No"),
    )
    # rpm is asked for the installed version of the updated packages only.
    assert (tmp_path / "rpm.args").read_text().split()[-2:] == ["kernel.x86_64", "tzdata.noarch"]

    (bin_folder / "dnf").unlink()
    stand_in("zypper", 'case "$*" in *list-updates*) echo "No updates found.";; esac')
    output = run()
    assert f"{parsers.MARKER}manager zypper\n" in output
    assert parsers.parse_pending_updates(output).notes[0] == parsers.NO_UPDATE_NOTE

    (bin_folder / "zypper").unlink()
    stand_in("apk", "echo 'musl-1.2.5-r1 x86_64 {musl} (MIT) [upgradable from: musl-1.2.5-r0]'")
    table = parsers.parse_pending_updates(run())
    assert table.rows == (("musl", "x86_64", "1.2.5-r0", "1.2.5-r1", "", ""),)


def test_pending_updates_from_apt_on_ubuntu_with_security_first() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.apt_ubuntu.txt"))
    assert table.columns == ("Package", "Architecture", "Installed", "Available", "Repository", "Security")
    assert table.rows == (
        ("libc-bin", "amd64", "2.35-0ubuntu3.7", "2.35-0ubuntu3.8", "jammy-updates, jammy-security", "Yes"),
        ("libc6", "amd64", "2.35-0ubuntu3.7", "2.35-0ubuntu3.8", "jammy-updates, jammy-security", "Yes"),
        ("libc6", "i386", "2.35-0ubuntu3.7", "2.35-0ubuntu3.8", "jammy-updates, jammy-security", "Yes"),
        # Ubuntu Pro's ESM repository is a security one too.
        (
            "libpython3.10-minimal",
            "amd64",
            "3.10.12-1~22.04.6",
            "3.10.12-1~22.04.7+esm1",
            "jammy-infra-security",
            "Yes",
        ),
        ("linux-generic", "amd64", "5.15.0.125.123", "5.15.0.126.124", "jammy-updates, jammy-security", "Yes"),
        ("google-chrome-stable", "amd64", "130.0.6723.116-1", "131.0.6778.85-1", "stable", "No"),
        ("openssh-client", "amd64", "1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.11", "jammy-updates", "No"),
        ("python3-update-manager", "all", "1:22.04.20", "1:22.04.21", "jammy-updates", "No"),
    )
    assert table.notes == (
        "Pending updates: 8; security updates: 5.",
        parsers.AS_OF_NOTES["apt"],
        "Package lists last refreshed on 2024-11-22 08:50 UTC, less than a day before this check.",
    )


def test_no_pending_update_from_old_apt_lists() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.apt_none.txt"))
    assert table.rows == ()
    assert table.notes == (
        parsers.NO_UPDATE_NOTE,
        parsers.AS_OF_NOTES["apt"],
        "Package lists last refreshed on 2024-11-02 10:00 UTC, 20 days before this check.",
        parsers.STALE_NOTE,
    )


def test_pending_updates_from_dnf_with_advisories_wrapped_names_and_obsoletes() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.dnf.txt"))
    assert table.rows == (
        ("firefox", "x86_64", "128.4.0-1.el9_4", "128.5.0-1.el9_5", "appstream", "Yes"),
        # Two kernels installed side by side: the newest one installed is shown.
        ("kernel", "x86_64", "5.14.0-503.11.1.el9_5", "5.14.0-503.15.1.el9_5", "baseos", "Yes"),
        ("kernel-core", "x86_64", "5.14.0-503.11.1.el9_5", "5.14.0-503.15.1.el9_5", "baseos", "Yes"),
        ("python3.11-libs", "x86_64", "3.11.9-7.el9_5", "3.11.9-7.el9_5.1", "appstream", "Yes"),
        ("NetworkManager", "x86_64", "1:1.46.0-21.el9_4", "1:1.48.10-2.el9_5", "baseos", "No"),
        ("NetworkManager-libnm", "x86_64", "1:1.46.0-21.el9_4", "1:1.48.10-2.el9_5", "baseos", "No"),
        # The name was too long for its column: dnf put the version and repository on the next line.
        ("subscription-manager-rhsm-certificates", "noarch", "20220623-1.el9", "20220623-2.el9", "baseos", "No"),
        ("tzdata", "noarch", "2024a-1.el9", "2024b-2.el9", "baseos", "No"),
    )
    assert "grub2-tools" not in {row[0] for row in table.rows}  # "Obsoleting Packages" repeats updates
    assert table.notes[:2] == ("Pending updates: 8; security updates: 4.", parsers.ADVISORIES_NOTE)
    assert parsers.AS_OF_NOTES["dnf"] in table.notes


def test_dnf_exit_code_100_is_no_failure_but_others_are() -> None:
    none = parsers.parse_pending_updates(sample("pending_updates.dnf_none.txt"))
    assert none.rows == () and none.notes[0] == parsers.NO_UPDATE_NOTE and parsers.STALE_NOTE in none.notes
    # No system cache yet: dnf -C exits with 1 and says so on its error output.
    with pytest.raises(ParseError, match=r"exit code 1.*makecache"):
        parsers.parse_pending_updates("#supportstation:manager dnf\n\n#supportstation:status 1\n")
    with pytest.raises(ParseError, match="no line of its output lists one"):
        parsers.parse_pending_updates(
            "#supportstation:manager dnf\nSomething else entirely\n#supportstation:status 100\n"
        )
    with pytest.raises(ParseError, match="exit code"):  # cut short before its status
        parsers.parse_pending_updates("#supportstation:manager dnf\nkernel.x86_64 5.14.0-503.15.1.el9_5 baseos\n")


def test_pending_updates_from_yum_without_advisories() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.yum_no_advisories.txt"))
    assert table.rows == (
        ("bind-export-libs", "x86_64", "32:9.11.4-26.P2.el7_9.15", "32:9.11.4-26.P2.el7_9.16", "updates", "No"),
        ("openssl-libs", "x86_64", "1:1.0.2k-25.el7_9", "1:1.0.2k-26.el7_9", "updates", "No"),
    )
    assert table.notes[:2] == ("Pending updates: 2; security updates: 0.", parsers.ADVISORIES_NOTE)
    assert parsers.AS_OF_NOTES["yum"] in table.notes


def test_pending_updates_from_zypper_with_its_patch_count() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.zypper.txt"))
    assert table.rows == (
        ("apache2", "x86_64", "2.4.58-150600.5.23.1", "2.4.58-150600.5.29.1",
         "SLE-Module-Server-Applications15-SP6-Updates", ""),
        ("glibc", "x86_64", "2.38-150600.14.8.2", "2.38-150600.14.14.2", "SLE-Module-Basesystem15-SP6-Updates", ""),
        ("libopenssl3", "x86_64", "3.1.4-150600.5.15.1", "3.1.4-150600.5.18.1",
         "SLE-Module-Basesystem15-SP6-Updates", ""),
    )  # fmt: skip
    assert table.notes[:3] == (
        "Pending updates: 3.",
        "zypper counts 5 needed patches, 2 of them security patches.",
        parsers.ZYPPER_SECURITY_NOTE,
    )
    none = parsers.parse_pending_updates(sample("pending_updates.zypper_none.txt"))
    assert none.rows == () and none.notes[:2] == (parsers.NO_UPDATE_NOTE, parsers.AS_OF_NOTES["zypper"])


def test_pending_updates_from_apk() -> None:
    table = parsers.parse_pending_updates(sample("pending_updates.apk.txt"))
    assert table.rows == (
        ("busybox", "x86_64", "1.36.1-r28", "1.36.1-r29", "", ""),
        ("busybox-binsh", "x86_64", "1.36.1-r28", "1.36.1-r29", "", ""),
        ("libcrypto3", "x86_64", "3.3.2-r0", "3.3.2-r1", "", ""),
        ("py3-setuptools", "noarch", "70.1.1-r0", "70.3.0-r0", "", ""),
    )
    assert table.notes[:2] == ("Pending updates: 4.", parsers.APK_SECURITY_NOTE)


def test_pending_updates_without_a_package_manager() -> None:
    table = parsers.parse_pending_updates("#supportstation:missing\n")
    assert table.rows == () and table.notes == (parsers.NO_MANAGER_NOTE,)


@pytest.mark.parametrize("refreshed", ["", " 1732351200", "never 1732351200", "1732351200"])
def test_pending_updates_without_a_readable_refresh_time(refreshed: str) -> None:
    """No list folder found, or a date without -r (the marker then lacks the lists' time): no date, no error."""
    output = (
        f"#supportstation:manager apt\n#supportstation:refreshed {refreshed}\nListing...\n#supportstation:status 0\n"
    )
    table = parsers.parse_pending_updates(output)
    assert table.notes == (parsers.NO_UPDATE_NOTE, parsers.AS_OF_NOTES["apt"])


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("Listing...\nbash/stable 5.2 amd64 [upgradable from: 5.1]\n", "which package manager"),
        ("#supportstation:manager pacman\n#supportstation:status 0\n", "which package manager"),
        ("#supportstation:manager apt\nListing...\nbash is upgradable\n#supportstation:status 0\n", "apt list output"),
        ("#supportstation:manager apt\n#supportstation:status 100\n", "apt list failed with exit code 100"),
        ("#supportstation:manager zypper\n#supportstation:status 7\n", "zypper list-updates failed"),
    ],
)
def test_pending_updates_refuses_what_it_cannot_read(output: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parsers.parse_pending_updates(output)


if __name__ == "__main__":
    capture_samples()
