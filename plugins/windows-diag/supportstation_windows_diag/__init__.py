"""Windows diagnostics for SupportStation: services, disks, event log errors, pending restart, updates, network, uptime,
local administrators and failed scheduled tasks, and the `windows.facts` collector (model, serial number, version…).

The action ids are stable: procedures and the audit trail refer to them. Every command is a short PowerShell script
that works in Windows PowerShell 5.1 and PowerShell 7, selects only the properties its parser reads and ends in
ConvertTo-Json, so the parsers read data rather than text formatted for a console in the host's language. The engine
sends a script as base64 on one command line, which cmd.exe limits to 8191 characters: keep them short. In the
templates, PowerShell's own braces are doubled, as `str.format` needs. Titles, descriptions, categories and labels are
English, marked with N_: SupportStation shows them through the plugin's catalog (locale/, see tools/i18n.py).

The plugin also ships procedures (runbooks, procedures/*.yaml, bilingual): a print spooler reset, a disk cleanup
check, the Windows Update status and a stuck user profile triage. The WinRM simulator answers their scripts
(winrm_simulator.procedure_answers) by the comment that starts each one: keep those first lines.
"""

from __future__ import annotations

from pathlib import Path

from supportstation.plugin_api import N_, Action, FactCollector, Parameter, ParameterType, hookimpl
from supportstation_windows_diag import parsers

__version__ = "0.1.0"
SUPPORTSTATION_API = 1

_TO_JSON = " | ConvertTo-Json -Depth 3 -Compress"

STOPPED_AUTO_SERVICES = Action(
    id="windows.stopped_auto_services",
    title=N_("Stopped automatic services"),
    description=N_("Services set to start automatically that are not running, with the exit code they stopped with."),
    category=N_("Services"),
    commands={
        "powershell": "Get-CimInstance Win32_Service -Filter \"StartMode='Auto' AND State<>'Running'\""
        " | Select-Object Name, DisplayName, State, StartMode, ExitCode" + _TO_JSON
    },
    os_families=("windows",),
    parser=parsers.parse_stopped_auto_services,
)

DISK_SPACE = Action(
    id="windows.disk_space",
    title=N_("Disk space"),
    description=N_("Size and free space of each local fixed disk."),
    category=N_("Storage"),
    commands={
        "powershell": "Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3'"
        " | Select-Object DeviceID, VolumeName, FileSystem, Size, FreeSpace" + _TO_JSON
    },
    os_families=("windows",),
    parser=parsers.parse_disk_space,
    timeout=30,
)

EVENT_ERRORS = Action(
    id="windows.event_errors",
    title=N_("Recent errors in the event log"),
    description=N_("Critical and error events of the System and Application logs, most recent first (200 at most)."),
    category=N_("Logs"),
    commands={
        "powershell": "$hours = [int]{hours}\n"
        "$filter = @{{LogName = 'System', 'Application'; Level = 1, 2; StartTime = (Get-Date).AddHours(-$hours)}}\n"
        # Get-WinEvent reports "No events were found" as an error when none match: silenced, and collected first so
        # that the script's last statement succeeds and PowerShell exits with 0.
        f"$events = @(Get-WinEvent -FilterHashtable $filter -MaxEvents {parsers.EVENT_LIMIT}"
        " -ErrorAction SilentlyContinue)\n"
        "$events | Select-Object TimeCreated, LogName, ProviderName, Id, Level, LevelDisplayName, Message" + _TO_JSON
    },
    os_families=("windows",),
    parameters=(
        Parameter(
            "hours",
            ParameterType.INTEGER,
            N_("Hours to look back"),
            default=24,
            pattern=r"[1-9][0-9]?|[1-6][0-9]{2}|7[01][0-9]|720",  # 1 to 720 (30 days)
        ),
    ),
    parser=parsers.parse_event_errors,
    timeout=90,
)

# The three places Windows records that it needs a restart; reading them needs no elevation.
_PENDING_REBOOT_SCRIPT = (
    r"""$reasons = @()
$key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion'
if (Test-Path "$key\Component Based Servicing\RebootPending") {{ $reasons += 'ComponentBasedServicing' }}
if (Test-Path "$key\WindowsUpdate\Auto Update\RebootRequired") {{ $reasons += 'WindowsUpdate' }}
$session = 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
$renames = Get-ItemProperty $session -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
if ($renames.PendingFileRenameOperations) {{ $reasons += 'PendingFileRenameOperations' }}
[pscustomobject]@{{RebootPending = $reasons.Count -gt 0; Reasons = $reasons}}"""
    + _TO_JSON
)

PENDING_REBOOT = Action(
    id="windows.pending_reboot",
    title=N_("Pending restart"),
    description=N_("Whether Windows waits for a restart: servicing, Windows Update, or files to replace at restart."),
    category=N_("Updates"),
    commands={"powershell": _PENDING_REBOOT_SCRIPT},
    os_families=("windows",),
    parser=parsers.parse_pending_reboot,
    timeout=30,
)

LAST_UPDATES = Action(
    id="windows.last_updates",
    title=N_("Last installed updates"),
    description=N_("The 20 most recently installed Windows updates (hotfixes), newest first."),
    category=N_("Updates"),
    commands={
        "powershell": "Get-HotFix | Sort-Object InstalledOn -Descending"
        " | Select-Object -First 20 HotFixID, Description, InstalledOn, InstalledBy" + _TO_JSON
    },
    os_families=("windows",),
    parser=parsers.parse_last_updates,
)

NETWORK_CONFIG = Action(
    id="windows.network_config",
    title=N_("Network configuration"),
    description=N_("Each connected network interface with its IPv4 addresses, default gateway, DNS servers and DHCP."),
    category=N_("Network"),
    commands={
        "powershell": "Get-NetIPConfiguration | ForEach-Object {{ [pscustomobject]@{{\n"
        "  InterfaceAlias = $_.InterfaceAlias\n"
        "  IPv4Address = @($_.IPv4Address | ForEach-Object IPAddress)\n"
        "  PrefixLength = @($_.IPv4Address | ForEach-Object PrefixLength)\n"
        "  Gateway = @($_.IPv4DefaultGateway | ForEach-Object NextHop)\n"
        # AddressFamily 2 is IPv4 (23 is IPv6).
        "  DnsServers = @($_.DNSServer | Where-Object AddressFamily -eq 2 | ForEach-Object ServerAddresses)\n"
        # As a string, the enum's name ("Enabled"): as a number its meaning would depend on the module's version.
        "  Dhcp = [string]$_.NetIPv4Interface.Dhcp\n"
        "}} }}" + _TO_JSON
    },
    os_families=("windows",),
    parser=parsers.parse_network_config,
    timeout=30,
)

UPTIME = Action(
    id="windows.uptime",
    title=N_("Uptime"),
    description=N_("The Windows edition and version, when the machine last started and how long it has been up."),
    category=N_("System"),
    commands={
        "powershell": "Get-CimInstance Win32_OperatingSystem"
        " | Select-Object CSName, Caption, Version, LastBootUpTime, LocalDateTime, CurrentTimeZone" + _TO_JSON
    },
    os_families=("windows",),
    parser=parsers.parse_uptime,
    timeout=20,
)


def _literal(script: str) -> str:
    """A script as an action template: PowerShell's braces doubled, as `str.format` reads them."""
    return script.replace("{", "{{").replace("}", "}}")


# The group is found by its well-known SID, so that it is found on a French Windows too ("Administrateurs"). The
# cmdlet's ObjectClass is a word in the host's language: it is compared with the words a local group and a local user
# carry. Get-LocalGroupMember fails on a member whose SID no longer resolves (and where the LocalAccounts module is
# missing): ADSI then lists the members, with paths the parser reads. Win32_UserAccount says which local accounts are
# enabled, in any language.
_LOCAL_ADMINISTRATORS_SCRIPT = r"""$sid = 'S-1-5-32-544'
$enabled = @{}
Get-CimInstance Win32_UserAccount -Filter 'LocalAccount=True' | ForEach-Object { $enabled[$_.SID] = -not $_.Disabled }
$method = 'Get-LocalGroupMember'; $problem = $null
try {
  $class = @{}
  $class[(Get-LocalGroup -SID $sid -ErrorAction Stop).ObjectClass] = 'Group'
  $class[@(Get-LocalUser)[0].ObjectClass] = 'User'
  $members = @(Get-LocalGroupMember -SID $sid -ErrorAction Stop | ForEach-Object { [pscustomobject]@{
    Name = $_.Name; SID = [string]$_.SID; Class = $class[$_.ObjectClass]; Source = [string]$_.PrincipalSource } })
} catch {
  $method = 'ADSI'; $problem = $_.Exception.Message
  $account = ([Security.Principal.SecurityIdentifier]$sid).Translate([Security.Principal.NTAccount])
  $group = $account.Value -replace '^.*\\'
  $members = @(([ADSI]"WinNT://$env:COMPUTERNAME/$group,group").Invoke('Members') | ForEach-Object {
    $type = $_.GetType()
    $bytes = [byte[]]$type.InvokeMember('objectSid', 'GetProperty', $null, $_, $null)
    [pscustomobject]@{ SID = [Security.Principal.SecurityIdentifier]::new($bytes, 0).Value
      Class = $type.InvokeMember('Class', 'GetProperty', $null, $_, $null)
      Path = $type.InvokeMember('ADsPath', 'GetProperty', $null, $_, $null) } })
}
$members = @($members | Select-Object Name, SID, Class, Source, Path, @{ n = 'Enabled'; e = { $enabled[$_.SID] } })
[pscustomobject]@{ Method = $method; Problem = $problem; Members = $members }"""

LOCAL_ADMINISTRATORS = Action(
    id="windows.local_administrators",
    title=N_("Local administrators"),
    description=N_(
        "Members of the local Administrators group (found by its SID, whatever the language): users and "
        "groups, local, Active Directory, Entra ID or Microsoft accounts, and whether local accounts are enabled."
    ),
    category=N_("Security"),
    commands={"powershell": _literal(_LOCAL_ADMINISTRATORS_SCRIPT) + _TO_JSON},
    os_families=("windows",),
    parser=parsers.parse_local_administrators,
)

# Only enabled tasks, and only those whose last result is not 0: the parser leaves out the Task Scheduler's own
# non-failure states (running, has not run yet, queued…). Windows' own tasks, under \Microsoft\, are many and
# rarely the customer's problem: left out unless asked for.
_FAILED_TASKS_SCRIPT = r"""$all = <include_microsoft> -eq 'true'
$tasks = @(Get-ScheduledTask |
  Where-Object { $_.Settings.Enabled -and ($all -or $_.TaskPath -notlike '\Microsoft\*') } | ForEach-Object {
    $info = $_ | Get-ScheduledTaskInfo -ErrorAction SilentlyContinue
    if ($info.LastTaskResult) { [pscustomobject]@{ Path = $_.TaskPath; Name = $_.TaskName
      Enabled = $_.Settings.Enabled; LastRunTime = $info.LastRunTime; LastTaskResult = $info.LastTaskResult
      NextRunTime = $info.NextRunTime; UserId = $_.Principal.UserId; GroupId = $_.Principal.GroupId } }
  })
[pscustomobject]@{ Microsoft = $all; Tasks = $tasks }"""

FAILED_SCHEDULED_TASKS = Action(
    id="windows.failed_scheduled_tasks",
    title=N_("Failed scheduled tasks"),
    description=N_(
        "Enabled scheduled tasks whose last run failed, with the result's meaning, the next run and the "
        "account they run as (Windows' own tasks left out unless asked for)."
    ),
    category=N_("System"),
    commands={
        "powershell": _literal(_FAILED_TASKS_SCRIPT).replace("<include_microsoft>", "{include_microsoft}") + _TO_JSON
    },
    os_families=("windows",),
    parameters=(
        Parameter(
            "include_microsoft",
            ParameterType.BOOLEAN,
            N_("Include Windows' own tasks (under \\Microsoft\\)"),
            default=False,
        ),
    ),
    parser=parsers.parse_failed_scheduled_tasks,
    timeout=120,  # Get-ScheduledTaskInfo asks for each task in turn: a few seconds for Windows' own hundreds
)

ACTIONS = (
    UPTIME,
    STOPPED_AUTO_SERVICES,
    DISK_SPACE,
    EVENT_ERRORS,
    PENDING_REBOOT,
    LAST_UPDATES,
    NETWORK_CONFIG,
    LOCAL_ADMINISTRATORS,
    FAILED_SCHEDULED_TASKS,
)

# UBR (the update build revision) and DisplayVersion (23H2; ReleaseId before 20H2) make the version the one
# winver shows; PROCESSOR_ARCHITECTURE says AMD64 or ARM64 where Win32_OperatingSystem writes "64 bits" in French.
_FACTS_SCRIPT = r"""$cs = Get-CimInstance Win32_ComputerSystem
$bios = Get-CimInstance Win32_BIOS
$os = Get-CimInstance Win32_OperatingSystem
$nt = Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction SilentlyContinue
[pscustomobject]@{ Manufacturer = $cs.Manufacturer; Model = $cs.Model; SerialNumber = $bios.SerialNumber
  BIOSVersion = $bios.SMBIOSBIOSVersion; Caption = $os.Caption; Version = $os.Version; UBR = $nt.UBR
  DisplayVersion = if ($nt.DisplayVersion) { $nt.DisplayVersion } else { $nt.ReleaseId }
  LastBootUpTime = $os.LastBootUpTime; LocalDateTime = $os.LocalDateTime; CurrentTimeZone = $os.CurrentTimeZone
  Hostname = $cs.DNSHostName; Domain = $cs.Domain; PartOfDomain = $cs.PartOfDomain
  Architecture = $env:PROCESSOR_ARCHITECTURE }"""

FACTS = FactCollector(
    id="windows.facts",
    title=N_("Windows version, model, serial number and firmware"),
    commands={"powershell": _literal(_FACTS_SCRIPT) + _TO_JSON},
    os_families=("windows",),
    parse=parsers.parse_facts,
)


@hookimpl
def supportstation_actions() -> list[Action]:
    return list(ACTIONS)


@hookimpl
def supportstation_fact_collectors() -> list[FactCollector]:
    return [FACTS]


@hookimpl
def supportstation_procedures() -> list[Path]:
    """The procedures (runbooks) shipped beside this module: every procedures/*.yaml."""
    return [Path(__file__).parent / "procedures"]
