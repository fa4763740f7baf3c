"""The Windows diagnostics plugin: its actions as SupportStation loads and sends them, and its parsers on outputs shaped
as Windows PowerShell 5.1 and PowerShell 7 write them.

No Windows host runs here, so the samples in tests/data/windows_diag were written by hand, each file named after the
shape it shows (`<action>.<shape>.<ps51|ps7>.json`), following what Microsoft documents of ConvertTo-Json
(learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertto-json, 5.1 and 7 pages):
- a pipeline of one object gives that object bare, not an array (PowerShell 7's -AsArray exists because of it, and
  5.1 lacks it), and an empty pipeline ($null input) gives no output at all;
- Windows PowerShell 5.1 serialises with JavaScriptSerializer: a DateTime is "\\/Date(<ms since 1970 UTC>)\\/" and
  `'`, `<`, `>`, `&` are written as \\u0027 and so on; PowerShell 7 writes ISO 8601 with seven decimals;
- before PowerShell 7.2 a DateTime's extended properties are serialised too, so Get-HotFix's InstalledOn (a script
  property) is an object {"value": …, "DateTime": "<long date in the host's language>"};
- once the prelude sets the console to UTF-8, Windows PowerShell may start its output with a byte order mark, and
  lines end in CRLF.
The French samples use the words and apostrophes a French Windows writes ("Erreur", "Critique", "n’a pas pu").
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from supportstation.plugin_api import Action, ParameterError, ParseError, Table
from supportstation.plugins import PluginRegistry
from supportstation.remote.powershell import decoded_script, encoded_command
from tests.conftest import ROOT

try:
    import supportstation_windows_diag as windows_diag
except ImportError:
    if os.environ.get("CI"):  # tools/bootstrap installs it: CI must not pass by skipping these tests
        raise
    pytest.skip("install the plugin: .venv/bin/pip install --no-deps -e plugins/windows-diag", allow_module_level=True)

parsers = windows_diag.parsers

DATA = ROOT / "tests" / "data" / "windows_diag"
ACTIONS: dict[str, Action] = {action.id: action for action in windows_diag.ACTIONS}
EXPECTED_IDS = {
    "windows.uptime",
    "windows.stopped_auto_services",
    "windows.disk_space",
    "windows.event_errors",
    "windows.pending_reboot",
    "windows.last_updates",
    "windows.network_config",
    "windows.local_administrators",
    "windows.failed_scheduled_tasks",
}
PARIS = timezone(timedelta(hours=1))  # the samples' hosts are in France, in winter


def sample(name: str) -> str:
    """A sample as the runner hands it to a parser: the bytes decoded as UTF-8 (BOM and CRLF kept)."""
    return (DATA / name).read_bytes().decode("utf-8", errors="replace")


def parse(action_id: str, name: str) -> Table:
    table = ACTIONS[action_id].parse(sample(name))
    assert table is not None
    return table


# -- the plugin as SupportStation finds it ----------------------------------------------------------------------


def test_found_through_entry_point() -> None:
    registry = PluginRegistry()
    registry.load()
    assert [failure for failure in registry.failures if failure.name == "windows-diag"] == []
    [plugin] = [plugin for plugin in registry.plugins if plugin.name == "windows-diag"]
    assert plugin.distribution == "supportstation-windows-diag"
    assert plugin.version == "0.1.0"
    assert {action.id for action in registry.all_actions()} >= EXPECTED_IDS
    assert registry.find_action("windows.disk_space") is ACTIONS["windows.disk_space"]
    assert windows_diag.FACTS in registry.fact_collectors()


def test_every_action_is_for_windows_powershell_only() -> None:
    assert set(ACTIONS) == EXPECTED_IDS
    for action in ACTIONS.values():
        assert action.os_families == ("windows",)
        assert action.applies_to("Windows", "") and not action.applies_to("linux", "")
        assert set(action.commands) == {"powershell"}
        assert not action.needs_sudo
        assert action.parser is not None


# The longest value of every parameter, so that no argument can push the line past cmd.exe's limit.
LONGEST = {"hours": 720, "include_microsoft": False}


@pytest.mark.parametrize("action_id", [*sorted(EXPECTED_IDS), "windows.facts"])
def test_each_script_fits_on_one_command_line_and_ends_in_json(action_id: str) -> None:
    action = ACTIONS.get(action_id) or windows_diag.FACTS.action
    longest = {parameter.name: LONGEST[parameter.name] for parameter in action.parameters}
    script = action.command_for("powershell", longest)
    line = encoded_command(script)  # raises ScriptTooLong past 8191 characters
    assert decoded_script(line).endswith(script)
    assert script.rstrip().endswith("ConvertTo-Json -Depth 3 -Compress")
    assert "{" not in script.replace("@{", "").replace("{ ", "").replace("{\n", "")  # no placeholder left over


def test_hours_are_checked_and_reach_the_script_as_a_number() -> None:
    action = ACTIONS["windows.event_errors"]
    assert "$hours = [int]'24'" in action.command_for("powershell")
    assert "$hours = [int]'720'" in action.command_for("powershell", {"hours": "720"})
    assert "$hours = [int]'1'" in action.command_for("powershell", {"hours": 1})
    for refused in (0, 721, -1, "1000", "24; Remove-Item C:\\", "1e3", "abc"):
        with pytest.raises(ParameterError) as raised:
            action.command_for("powershell", {"hours": refused})
        assert raised.value.parameter == "hours"


# -- the shapes of ConvertTo-Json's output --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("", []),  # an empty pipeline: ConvertTo-Json writes nothing
        ("\r\n", []),
        ("  \n\t", []),
        ("\ufeff\r\n", []),
        ("null", []),
        ("[]", []),  # PowerShell 7's ConvertTo-Json -InputObject @()
        ('{"Name":"a"}\r\n', [{"Name": "a"}]),  # one item: a bare object
        ('\ufeff[{"Name":"a"},{"Name":"b"}]\r\n', [{"Name": "a"}, {"Name": "b"}]),
        ('{\r\n    "Name":  "a"\r\n}\r\n', [{"Name": "a"}]),  # 5.1's indented form, with its two spaces
        ('{"value":[{"Name":"a"}],"Count":1}', [{"Name": "a"}]),  # 5.1: an array wrapped in a PSObject
    ],
)
def test_json_records_of_every_pipeline_shape(output: str, expected: list[dict[str, object]]) -> None:
    assert parsers.json_records(output) == expected


@pytest.mark.parametrize("output", ['{"half": ', "Get-CimInstance : Accès refusé", "[1, 2]", '"text"', "42"])
def test_json_records_refuses_what_is_not_objects(output: str) -> None:
    with pytest.raises(ParseError) as raised:
        parsers.json_records(output)
    assert "JSON" in str(raised.value)


def test_an_invalid_json_error_quotes_the_first_200_characters() -> None:
    output = "Le terme « Get-CimInstance » n’est pas reconnu " + "x" * 300
    with pytest.raises(ParseError) as raised:
        parsers.json_records(output)
    message = str(raised.value)
    assert "Expected the JSON of ConvertTo-Json" in message
    assert output[:200] in message and output[:201] not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        # 5.1: milliseconds since 1970 UTC; json.loads has already turned "\/" into "/".
        ("/Date(1732351200000)/", datetime(2024, 11, 23, 8, 40, tzinfo=UTC)),
        ("\\/Date(1732351200000)\\/", datetime(2024, 11, 23, 8, 40, tzinfo=UTC)),  # the raw JSON text
        ("/Date(-62135568000000)/", datetime(1, 1, 1, 8, tzinfo=UTC)),  # MinSupportedDateTime in Microsoft's example
        # The WCF form: the same instant, with the host's offset.
        ("/Date(1732351200000+0100)/", datetime(2024, 11, 23, 9, 40, tzinfo=PARIS)),
        ("/Date(1732351200000-0530)/", datetime(2024, 11, 23, 3, 10, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
        # PowerShell 7: ISO 8601, with seven decimals, an offset, "Z", or nothing for an unspecified kind.
        ("2024-11-23T09:40:00.1234567+01:00", datetime(2024, 11, 23, 9, 40, 0, 123456, tzinfo=PARIS)),
        ("2024-11-23T09:40:00.123+01:00", datetime(2024, 11, 23, 9, 40, 0, 123000, tzinfo=PARIS)),
        ("2024-11-23T08:40:00Z", datetime(2024, 11, 23, 8, 40, tzinfo=UTC)),
        ("2024-11-23T09:40:00", datetime(2024, 11, 23, 9, 40)),
        # Get-HotFix's InstalledOn before PowerShell 7.2: an object around the value.
        (
            {"value": "/Date(1732316400000)/", "DateTime": "samedi 23 novembre 2024 00:00:00"},
            datetime(2024, 11, 22, 23, tzinfo=UTC),
        ),
        (
            {"value": "2024-11-23T00:00:00", "DateTime": "Saturday, November 23, 2024 12:00:00 AM"},
            datetime(2024, 11, 23),
        ),
        ({"value": None, "DateTime": ""}, None),
        # WMI's DMTF form, from Get-WmiObject.
        ("20241123094000.500000+060", datetime(2024, 11, 23, 9, 40, 0, 500000, tzinfo=PARIS)),
    ],
)
def test_windows_date_reads_every_powershell_form(value: object, expected: datetime | None) -> None:
    assert parsers.windows_date(value) == expected
    if expected is not None:
        assert parsers.windows_date(value).utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["samedi 23 novembre 2024", "/Date(abc)/", "23/11/2024", 1732351200000, ["x"]])
def test_windows_date_refuses_anything_else(value: object) -> None:
    with pytest.raises(ParseError):
        parsers.windows_date(value)


def test_times_show_their_offset_and_durations_read_in_days() -> None:
    assert parsers.format_time(datetime(2024, 11, 23, 8, 40, tzinfo=UTC)) == "2024-11-23 08:40:00 UTC"
    assert parsers.format_time(datetime(2024, 11, 23, 9, 40, tzinfo=PARIS)) == "2024-11-23 09:40:00 +01:00"
    assert parsers.format_time(datetime(2024, 11, 23, 9, 40)) == "2024-11-23 09:40:00"
    assert parsers.format_duration(timedelta(days=3, hours=4, minutes=12, seconds=59)) == "3 d 04:12"
    assert parsers.format_duration(timedelta(minutes=5)) == "0 d 00:05"
    # An install date (midnight, host time) given in UTC by 5.1 is still that day, east or west of Greenwich.
    assert parsers.local_day(datetime(2024, 11, 22, 23, tzinfo=UTC)) == date(2024, 11, 23)
    assert parsers.local_day(datetime(2024, 11, 23, 5, tzinfo=UTC)) == date(2024, 11, 23)
    assert parsers.local_day(datetime(2024, 11, 23, 0, tzinfo=PARIS)) == date(2024, 11, 23)


def test_decode_output_falls_back_to_the_oem_code_page() -> None:
    french = "Échec de la mise à jour"
    assert parsers.decode_output(french.encode("cp850")) == french
    assert parsers.decode_output(french.encode("utf-8")) == french
    assert parsers.decode_output(b"\xef\xbb\xbf{}") == "\ufeff{}"  # the BOM is json_records' business
    # The same bytes through the runner's decoding (UTF-8 with replacement) lose the accents, not the table.
    data = (DATA / "event_errors.single_object.cp850.fr.ps51.bin").read_bytes()
    table = parsers.parse_event_errors(parsers.decode_output(data))
    assert table.rows[0][5] == "Produit : Agent de sauvegarde -- Échec de la mise à jour."
    replaced = parsers.parse_event_errors(data.decode("utf-8", errors="replace"))
    assert "\ufffd" in replaced.rows[0][5] and replaced.rows[0][3] == "11708"


# -- every parser on empty and unexpected output -----------------------------------------------------------------


@pytest.mark.parametrize("output", ["", "\r\n", "\ufeff", "   \r\n\t\r\n"])
@pytest.mark.parametrize("action_id", sorted(EXPECTED_IDS))
def test_empty_output_gives_an_explained_table_or_a_parse_error(action_id: str, output: str) -> None:
    parser = ACTIONS[action_id].parser
    assert parser is not None
    try:
        table = parser(output)
    except ParseError as error:
        assert str(error)
        # These always print one object.
        assert action_id in (
            "windows.uptime",
            "windows.pending_reboot",
            "windows.local_administrators",
            "windows.failed_scheduled_tasks",
        )
    else:
        assert table.rows == () and table.notes, "an empty table says why it is empty"


GARBAGE = [
    "Get-CimInstance : Accès refusé\r\n",
    "\x00\x01\x02 binary \ufffd\ufffd\n",
    '{"half": ',
    "[1, 2, 3]\r\n",
    '"a string"',
    '{"Name": {"deep": [1]}, "Size": "many", "TimeCreated": "hier", "LastBootUpTime": 5, "Reasons": {}}',
    '[{"Level": true, "RebootPending": "yes"}]',
    '{"RebootPending": true, "LastBootUpTime": "/Date(1732351200000)/", "CurrentTimeZone": "UTC+1"}',
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


def every_sample() -> list[str]:
    """The actions' samples (the fact collector's, facts.*, are read by its own tests)."""
    return sorted(
        path.name for path in DATA.iterdir() if path.suffix in (".json", ".txt") and not path.name.startswith("facts.")
    )


def action_of(name: str) -> str:
    prefix = name.split(".", 1)[0]
    return {
        "stopped_services": "windows.stopped_auto_services",
        "disks": "windows.disk_space",
        "event_errors": "windows.event_errors",
        "pending_reboot": "windows.pending_reboot",
        "last_updates": "windows.last_updates",
        "network_config": "windows.network_config",
        "uptime": "windows.uptime",
        "local_admins": "windows.local_administrators",
        "failed_tasks": "windows.failed_scheduled_tasks",
    }[prefix]


@pytest.mark.parametrize("name", every_sample())
def test_every_sample_parses_into_a_well_formed_table(name: str) -> None:
    table = parse(action_of(name), name)
    assert all(len(row) == len(table.columns) for row in table.rows)
    assert all("\r" not in cell and "\n" not in cell for row in table.rows for cell in row)


def test_every_action_has_samples_from_both_powershell_versions() -> None:
    names = every_sample()
    for action_id in EXPECTED_IDS:
        mine = [name for name in names if action_of(name) == action_id]
        assert any(".ps51." in name for name in mine) and any(".ps7." in name for name in mine), action_id


# -- each parser on its samples ----------------------------------------------------------------------------------


def test_stopped_services_as_one_bare_object() -> None:
    table = parse("windows.stopped_auto_services", "stopped_services.single_object.ps51.json")
    assert table.columns == parsers.SERVICE_COLUMNS
    assert table.rows == (("gupdate", "Service Google Update (gupdate)", "Stopped", "0"),)
    assert table.notes == (parsers.SERVICE_EXIT_NOTE,)


def test_no_stopped_service_is_empty_output() -> None:
    table = parse("windows.stopped_auto_services", "stopped_services.empty.ps51.txt")
    assert table.rows == () and table.notes == (parsers.NO_STOPPED_SERVICE_NOTE,)


def test_stopped_services_of_a_french_windows_sorted_by_name() -> None:
    table = parse("windows.stopped_auto_services", "stopped_services.array.fr.ps51.json")
    assert table.rows == (
        ("edgeupdate", "Service Microsoft Edge Update (edgeupdate)", "Start Pending", "0"),
        ("MapsBroker", "Gestionnaire des cartes téléchargées", "Stopped", "0"),
        ("Spooler", "Spouleur d'impression", "Stopped", "1067"),  # \u0027 in 5.1's JSON
        ("sppsvc", "Protection logicielle", "Stopped", "0"),
    )
    seven = parse("windows.stopped_auto_services", "stopped_services.array.fr.ps7.json")
    assert [row[0] for row in seven.rows] == ["WSearch", "wuauserv"]


def test_services_that_are_running_or_manual_are_left_out() -> None:
    # Get-Service's shape, where StartType is an enum written as a number (2, Automatic) and Status is no State.
    output = json.dumps(
        [
            {"Name": "a", "DisplayName": "A", "State": "Running", "StartMode": "Auto"},
            {"Name": "b", "DisplayName": "B", "State": "Stopped", "StartMode": "Manual"},
            {"Name": "c", "DisplayName": "C", "State": "Stopped", "StartType": 2},
        ]
    )
    assert [row[0] for row in parsers.parse_stopped_auto_services(output).rows] == ["c"]


def test_disks_with_a_null_label_and_a_volume_without_sizes() -> None:
    table = parse("windows.disk_space", "disks.array.null_label.ps51.json")
    assert table.columns == parsers.DISK_COLUMNS
    assert table.rows == (
        ("C:", "", "NTFS", "237.2", "17.0", "7%"),
        ("D:", "Données", "NTFS", "931.5", "570.4", "61%"),
        ("E:", "", "", "-", "-", "-"),
    )
    assert table.notes == (parsers.LOW_SPACE_NOTE,)


def test_one_disk_bare_and_sizes_as_strings() -> None:
    low = parse("windows.disk_space", "disks.single_object.ps7.json")
    assert low.rows == (("C:", "Windows", "NTFS", "118.6", "8.5", "7%"),)
    assert low.notes == (parsers.LOW_SPACE_NOTE,)
    half = parse("windows.disk_space", "disks.single_object.string_sizes.ps51.json")
    assert half.rows == (("C:", "Système", "NTFS", "500.0", "250.0", "50%"),)
    assert half.notes == ()


def test_event_errors_of_a_french_windows_newest_first() -> None:
    table = parse("windows.event_errors", "event_errors.array.fr.ps51.json")
    assert table.columns == parsers.EVENT_COLUMNS
    times = [row[0] for row in table.rows]
    assert times == sorted(times, reverse=True)
    assert times[0] == "2024-11-23 09:40:00 UTC"  # 5.1 says the instant only
    excel, spooler, kernel, vss = table.rows
    # Only the first line of a CRLF message, with its accents and apostrophes.
    assert excel[2:5] == ("Application Error", "1000", "Erreur")
    assert (
        excel[5] == "Nom de l’application défaillante : EXCEL.EXE, version : 16.0.17928.20156, horodatage : 0x66e2c2d1"
    )
    assert spooler[5] == "Le service Spouleur d'impression n'a pas pu démarrer en raison de l'erreur suivante :"
    assert kernel[4] == "Critique" and kernel[5].startswith("Le système a redémarré sans s’arrêter")
    assert kernel[5].endswith("perte d’alimentation inattendue.")  # 199 characters: whole
    assert vss[5] == parsers.NO_MESSAGE
    # Critical is Level 1, whatever the host calls it.
    assert table.notes == (parsers.CRITICAL_NOTE,)


def test_one_event_bare_from_powershell_7() -> None:
    table = parse("windows.event_errors", "event_errors.single_object.fr.ps7.json")
    assert table.rows == (
        (
            "2024-11-23 09:40:00 +01:00",
            "System",
            "Microsoft-Windows-DNS-Client",
            "1014",
            "Erreur",
            "La résolution du nom wpad a expiré après qu’aucun des serveurs DNS configurés n’a répondu.",
        ),
    )
    assert table.notes == ()


def test_no_event_is_empty_output_not_an_error() -> None:
    # Get-WinEvent's "No events were found" went to the error stream, silenced: standard output is empty.
    table = parse("windows.event_errors", "event_errors.empty.ps51.txt")
    assert table.rows == () and table.notes == (parsers.NO_EVENT_NOTE,)


def test_event_level_words_are_not_read() -> None:
    """A German host writes "Kritisch"; an English one "Critical": only Level decides, and a missing name is filled."""
    events = [
        {"TimeCreated": None, "Id": 6008, "Level": 1, "LevelDisplayName": "Kritisch", "Message": "x"},
        {"TimeCreated": None, "Id": 1, "Level": 2, "LevelDisplayName": "Critical", "Message": "y"},
        {"TimeCreated": None, "Id": 2, "Level": "2", "LevelDisplayName": None, "Message": "z"},
    ]
    table = parsers.parse_event_errors(json.dumps(events))
    assert [row[4] for row in table.rows] == ["Kritisch", "Critical", "Error"]
    assert parsers.CRITICAL_NOTE in table.notes
    only_errors = parsers.parse_event_errors(json.dumps(events[1:]))
    assert parsers.CRITICAL_NOTE not in only_errors.notes


def test_a_full_page_of_events_says_more_were_left_out() -> None:
    event = {"TimeCreated": "/Date(1732351200000)/", "Level": 2, "Id": 7, "Message": "m" * 5000}
    table = parsers.parse_event_errors(json.dumps([event] * parsers.EVENT_LIMIT))
    assert parsers.EVENT_LIMIT_NOTE in table.notes
    assert len(table.rows[0][5]) == 200


def test_pending_reboot_reasons() -> None:
    two = parse("windows.pending_reboot", "pending_reboot.two_reasons.ps51.json")
    assert two.columns == parsers.REBOOT_COLUMNS
    assert [row[1] for row in two.rows] == ["No", "Yes", "Yes"]
    assert two.notes == (parsers.REBOOT_PENDING_NOTE,)
    one = parse("windows.pending_reboot", "pending_reboot.one_reason.ps7.json")
    assert [row[1] for row in one.rows] == ["Yes", "No", "No"]
    none = parse("windows.pending_reboot", "pending_reboot.none.ps51.json")
    assert [row[1] for row in none.rows] == ["No", "No", "No"]
    assert none.notes == (parsers.NO_REBOOT_NOTE,)


@pytest.mark.parametrize(
    "reasons",
    [
        '"WindowsUpdate"',  # one value, unwrapped
        '{"value":["WindowsUpdate"],"Count":1}',  # 5.1's serialisation of an array inside a PSObject
    ],
)
def test_pending_reboot_reasons_in_other_shapes(reasons: str) -> None:
    table = parsers.parse_pending_reboot(f'{{"RebootPending":true,"Reasons":{reasons}}}')
    assert [row[1] for row in table.rows] == ["No", "Yes", "No"]


def test_pending_reboot_keeps_a_reason_it_does_not_know() -> None:
    table = parsers.parse_pending_reboot('{"RebootPending":true,"Reasons":["ComputerRename"]}')
    assert table.rows[-1] == ("ComputerRename", "Yes") and table.notes == (parsers.REBOOT_PENDING_NOTE,)


def test_last_updates_with_5_1_date_objects() -> None:
    table = parsers.parse_last_updates(sample("last_updates.array.object_dates.fr.ps51.json"), today=date(2024, 11, 25))
    assert table.columns == parsers.UPDATE_COLUMNS
    assert table.rows == (
        # Midnight in Paris is 23:00 UTC the day before: the day shown is the host's.
        ("KB5046613", "Security Update", "2024-11-23", "AUTORITE NT\\Système"),
        ("KB5046400", "Update", "2024-11-13", "CONTOSO\\adm-jdupont"),
        ("KB5011048", "Update", "", ""),  # no InstalledOn: last
    )
    assert table.notes == ()


def test_last_updates_from_powershell_7_and_a_single_old_one() -> None:
    seven = parsers.parse_last_updates(sample("last_updates.array.ps7.json"), today=date(2024, 11, 25))
    assert [row[2] for row in seven.rows] == ["2024-11-23", "2024-11-13"]
    old = parsers.parse_last_updates(sample("last_updates.single_object.object_date.ps51.json"), today=date(2025, 2, 1))
    assert old.rows == (("KB5044273", "Security Update", "2024-10-09", "NT AUTHORITY\\SYSTEM"),)
    assert old.notes == (parsers.OLD_UPDATES_NOTE,)


def test_network_configuration_with_apipa_and_wrapped_arrays() -> None:
    table = parse("windows.network_config", "network_config.array.apipa.ps51.json")
    assert table.columns == parsers.NETWORK_COLUMNS
    assert table.rows == (
        ("Ethernet", "192.168.10.24/24", "192.168.10.1", "192.168.10.5, 192.168.10.6", "Yes"),
        ("Wi-Fi", "169.254.83.12/16", "", "", "Yes"),
        ("Connexion réseau Bluetooth", "10.0.0.7/8, 10.0.0.8/8", "", "10.0.0.1", "No"),
    )
    assert table.notes == (parsers.APIPA_NOTE,)


def test_network_configuration_of_one_interface_bare() -> None:
    table = parse("windows.network_config", "network_config.single_object.ps7.json")
    assert table.rows == (("Ethernet 2", "10.20.30.40/23", "10.20.30.1", "10.20.0.10", "No"),)
    assert table.notes == ()
    # One address written bare, as a pipeline of one would be, and no gateway anywhere.
    bare = parsers.parse_network_config('{"InterfaceAlias":"LAN","IPv4Address":"10.0.0.2","PrefixLength":8}')
    assert bare.rows == (("LAN", "10.0.0.2/8", "", "", ""),)
    assert bare.notes == (parsers.NO_GATEWAY_NOTE,)


def test_uptime_from_windows_powershell_5_1() -> None:
    table = parse("windows.uptime", "uptime.single_object.fr.ps51.json")
    assert table.columns == parsers.UPTIME_COLUMNS
    # 5.1 gives UTC; CurrentTimeZone (minutes) puts the boot back in the host's time.
    assert table.rows == (
        (
            "SRV-COMPTA01",
            "Microsoft Windows Server 2019 Standard",
            "10.0.17763",
            "2024-11-20 06:28:00 +01:00",
            "3 d 04:12",
        ),
    )
    assert table.notes == ()


def test_uptime_from_powershell_7_with_a_byte_order_mark() -> None:
    table = parse("windows.uptime", "uptime.single_object.bom.fr.ps7.json")
    assert table.rows == (
        ("PC-ACCUEIL", "Microsoft Windows 11 Professionnel", "10.0.26100", "2024-11-20 06:28:00 +01:00", "3 d 04:11"),
    )


def test_uptime_without_the_hosts_clock_uses_this_one() -> None:
    output = '{"CSName":"PC","Caption":"Windows","Version":"10","LastBootUpTime":"\\/Date(1732080480000)\\/"}'
    table = parsers.parse_uptime(output, now=datetime(2024, 12, 23, 9, 40, tzinfo=UTC))
    assert table.rows[0][3:] == ("2024-11-20 05:28:00 UTC", "33 d 04:12")
    assert table.notes == (parsers.LONG_UPTIME_NOTE,)


# -- windows.local_administrators ----------------------------------------------------------------------------------


def test_local_administrators_are_found_by_sid_not_by_name() -> None:
    script = ACTIONS["windows.local_administrators"].command_for("powershell")
    assert "'S-1-5-32-544'" in script and "Get-LocalGroupMember -SID $sid" in script
    assert "Administrators" not in script.replace("# ", "")  # no group name, which a French Windows translates
    # The fallback, when the cmdlet fails, reads the group through ADSI under the name its SID translates to.
    assert "catch {" in script and "[ADSI]" in script and "Translate([Security.Principal.NTAccount])" in script


def test_local_administrators_of_a_french_domain_member() -> None:
    table = parse("windows.local_administrators", "local_admins.array.fr.ps51.json")
    assert table.columns == ("Name", "Type", "Source", "Enabled", "SID")
    domain = "S-1-5-21-1004336348-1177238915-682003330"
    machine = "S-1-5-21-3914832706-1483426103-2291427583"
    assert table.rows == (
        ("CABINET\\adm-jdupont", "User", "Active Directory", "", f"{domain}-1108"),
        ("CABINET\\Admins du domaine", "Group", "Active Directory", "", f"{domain}-512"),
        ("PC-COMPTA02\\Administrateur", "User", "Local", "No", f"{machine}-500"),
        ("PC-COMPTA02\\support-local", "User", "Local", "Yes", f"{machine}-1001"),
    )
    assert table.notes == (parsers.DIRECTORY_ENABLED_NOTE,)


def test_local_administrators_through_adsi_after_an_orphaned_sid() -> None:
    """Get-LocalGroupMember fails on a deleted domain account's SID: the ADSI paths give names and sources."""
    table = parse("windows.local_administrators", "local_admins.adsi_orphaned_sid.fr.ps51.json")
    domain = "S-1-5-21-1004336348-1177238915-682003330"
    assert table.rows == (
        ("AUTORITE NT\\INTERACTIF", "Group", "Built-in (Windows)", "", "S-1-5-4"),
        ("CABINET\\Admins du domaine", "Group", "Active Directory", "", f"{domain}-512"),
        ("PC-COMPTA03\\Administrateur", "User", "Local", "No", "S-1-5-21-3914832706-1483426103-2291427583-500"),
        (f"{domain}-1107", "Unknown", "Unknown", "", f"{domain}-1107"),
    )
    assert table.notes == (
        parsers.ADSI_NOTE,
        "Get-LocalGroupMember's error: Impossible de comparer deux éléments du tableau.",
        parsers.ORPHANED_NOTE,
        parsers.DIRECTORY_ENABLED_NOTE,
    )


def test_local_administrators_of_an_entra_joined_laptop() -> None:
    table = parse("windows.local_administrators", "local_admins.array.entra.en.ps7.json")
    entra = "Microsoft Entra ID (Azure AD)"
    assert [row[:4] for row in table.rows] == [
        ("AzureAD\\MarieMartin", "User", entra, ""),
        ("LAPTOP-7QK2M\\Administrator", "User", "Local", "No"),
        # The Global Administrator and device administrator roles: SIDs Windows cannot name, and not orphans.
        ("S-1-12-1-2361728129-1187476598-1939453356-2612340331", "Unknown", entra, ""),
        ("S-1-12-1-3504532380-1096521547-2779004325-3407656312", "Unknown", entra, ""),
    ]
    assert table.notes == (parsers.ENTRA_SID_NOTE, parsers.DIRECTORY_ENABLED_NOTE)


def test_local_administrators_empty_and_in_other_shapes() -> None:
    empty = parse("windows.local_administrators", "local_admins.empty.ps7.json")
    assert empty.rows == () and empty.notes == (parsers.NO_MEMBER_NOTE,)
    # One member written bare; PrincipalSource as the enum's number (2, ActiveDirectory) and a Microsoft account.
    one = parsers.parse_local_administrators(
        '{"Method":"Get-LocalGroupMember","Members":{"Name":"PC\\\\jean","SID":"S-1-5-21-1-2-3-1001",'
        '"Class":"User","Source":"MicrosoftAccount","Enabled":true}}'
    )
    assert one.rows == (("PC\\jean", "User", "Microsoft account", "Yes", "S-1-5-21-1-2-3-1001"),)
    number = parsers.parse_local_administrators(
        '[{"Method":"Get-LocalGroupMember","Members":[{"Name":"D\\\\g","SID":"S-1-5-21-9-9-9-512","Source":2}]}]'
    )
    assert number.rows == (("D\\g", "Unknown", "Active Directory", "", "S-1-5-21-9-9-9-512"),)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("WinNT://CABINET/PC-01/Administrateur", ("PC-01\\Administrateur", "Local")),
        ("WinNT://WORKGROUP/PC-01/admin", ("PC-01\\admin", "Local")),
        ("WinNT://CABINET/Admins du domaine", ("CABINET\\Admins du domaine", "Active Directory")),
        ("WinNT://MicrosoftAccount/jean@outlook.fr", ("MicrosoftAccount\\jean@outlook.fr", "Microsoft account")),
        ("WinNT://AzureAD/MarieMartin", ("AzureAD\\MarieMartin", "Microsoft Entra ID (Azure AD)")),
        ("WinNT://S-1-5-21-1-2-3-1107", ("S-1-5-21-1-2-3-1107", "")),
    ],
)
def test_adsi_paths_give_the_name_and_the_source(path: str, expected: tuple[str, str]) -> None:
    assert parsers._member_from_path(path) == expected


@pytest.mark.parametrize("output", ["[]", '{"Method":"ADSI"}', '{"Members":[1, 2]}', '[{"Members":[]},{"Members":[]}]'])
def test_local_administrators_refuse_other_objects(output: str) -> None:
    with pytest.raises(ParseError):
        parsers.parse_local_administrators(output)


# -- windows.failed_scheduled_tasks --------------------------------------------------------------------------------


def test_failed_tasks_leave_windows_own_out_unless_asked() -> None:
    action = ACTIONS["windows.failed_scheduled_tasks"]
    assert "$all = 'false' -eq 'true'" in action.command_for("powershell")
    assert "$all = 'true' -eq 'true'" in action.command_for("powershell", {"include_microsoft": "yes"})
    assert "-notlike '\\Microsoft\\*'" in action.command_for("powershell")
    with pytest.raises(ParameterError):
        action.command_for("powershell", {"include_microsoft": "'; Remove-Item C:\\"})


def test_failed_tasks_of_a_french_server() -> None:
    table = parse("windows.failed_scheduled_tasks", "failed_tasks.array.fr.ps51.json")
    assert table.columns == ("Task", "Last run", "Last result", "Next run", "Run as")
    # Left out: a task that has not run yet (0x41303), one running now (0x41301), a disabled one.
    assert table.rows == (
        (
            "\\Cabinet\\Rapport hebdomadaire",
            "2024-11-18 06:00:00 UTC",
            "0x8004131F (an instance of this task was already running)",
            "2024-11-25 06:00:00 UTC",
            "CABINET\\svc-rapports",
        ),
        (
            "\\Cabinet\\Sauvegarde nocturne NAS",
            "2024-11-23 01:00:00 UTC",  # 5.1 gives the instant only
            "0x80070005 (access is denied)",
            "2024-11-24 01:00:00 UTC",
            "CABINET\\svc-sauvegarde",
        ),
        (
            "\\Export compta vers l'expert",
            "2024-11-22 18:30:00 UTC",
            "0x1 (incorrect function, or the program exited with code 1)",
            "2024-11-29 18:30:00 UTC",
            "PC-COMPTA02\\support-local",
        ),
    )
    assert table.notes == (parsers.MICROSOFT_LEFT_OUT_NOTE,)


def test_failed_tasks_with_windows_own_from_powershell_7() -> None:
    table = parse("windows.failed_scheduled_tasks", "failed_tasks.array.en.ps7.json")
    assert table.rows == (
        (
            "\\Backup to OneDrive",
            "2024-11-23 12:00:00",
            "0xC000013A (the program was ended by Ctrl+C or closed)",
            "2024-11-23 18:00:00",
            "LAPTOP-7QK2M\\marie",
        ),
        # A result without a common meaning is shown in hex, for the engineer to look up.
        ("\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan", "2024-11-23 03:12:44", "0x8007045B",
         "2024-11-24 03:12:44", "SYSTEM"),
    )  # fmt: skip
    assert table.notes == ()


def test_no_failed_task() -> None:
    table = parse("windows.failed_scheduled_tasks", "failed_tasks.none.ps51.json")
    assert table.rows == () and table.notes == (parsers.NO_FAILED_TASK_NOTE, parsers.MICROSOFT_LEFT_OUT_NOTE)
    # Everything in a state that is no failure, written as one bare task, from the COM interface's signed numbers.
    states = [0x41300, 0x41301, 0x41302, 0x41303, 0x41304, 0x41305, 0x41307, 0x41308, 0x41325, 0]
    for code in states:
        task = {"Path": "\\", "Name": "t", "Enabled": True, "LastTaskResult": code}
        table = parsers.parse_failed_scheduled_tasks(json.dumps({"Microsoft": True, "Tasks": task}))
        assert table.rows == () and table.notes == (parsers.NO_FAILED_TASK_NOTE,), hex(code)


def test_failed_task_results_in_every_form() -> None:
    signed = {"Path": "\\", "Name": "Signed", "Enabled": True, "LastTaskResult": -2147024894, "GroupId": "Users"}
    string = {"Path": "\\", "Name": "Text", "Enabled": True, "LastTaskResult": "2147946720", "UserId": "SYSTEM"}
    unread = {"Path": "\\", "Name": "Unread", "Enabled": True, "LastTaskResult": None}
    wrapped = {"value": [signed, string, unread], "Count": 3}
    table = parsers.parse_failed_scheduled_tasks(json.dumps({"Microsoft": False, "Tasks": wrapped}))
    assert [row[0] for row in table.rows] == ["\\Signed", "\\Text"]
    assert table.rows[0][2] == "0x80070002 (the system cannot find the file specified)"
    assert table.rows[0][4] == "Users"  # a task for a group of users runs as that group
    assert table.rows[1][2].startswith("0x800710E0 (the operator or administrator has refused the request")
    with pytest.raises(ParseError):
        parsers.parse_failed_scheduled_tasks('{"Microsoft": false, "Tasks": [{"LastTaskResult": "many"}]}')
    with pytest.raises(ParseError):
        parsers.parse_failed_scheduled_tasks('[{"Name": "t"}]')


# -- windows.facts -------------------------------------------------------------------------------------------------


def test_facts_collector_for_windows_powershell() -> None:
    collector = windows_diag.FACTS
    assert collector.id == "windows.facts" and collector.os_families == ("windows",)
    assert set(collector.commands) == {"powershell"}
    script = collector.action.command_for("powershell")
    for source in ("Win32_ComputerSystem", "Win32_BIOS", "Win32_OperatingSystem"):
        assert source in script


def test_facts_of_a_french_workstation() -> None:
    facts = windows_diag.FACTS.facts(sample("facts.single_object.fr.ps51.json"))
    assert facts == {
        "manufacturer": "Dell Inc.",
        "model": "OptiPlex 7010",
        "serial_number": "8XK2L93",
        "firmware": "1.14.0",
        "os": "Microsoft Windows 11 Professionnel",
        "os_version": "10.0.22631.4460 (23H2)",
        "hostname": "PC-COMPTA02",
        "architecture": "AMD64",
        "domain": "cabinet.local",
        "last_boot": "2024-11-20 06:28:00 +01:00",  # in the host's time, from 5.1's UTC and CurrentTimeZone
        "uptime": "3 d 04:12",
    }


def test_facts_of_a_virtual_server_in_a_workgroup() -> None:
    facts = windows_diag.FACTS.facts(sample("facts.single_object.vm.ps7.json"))
    assert facts["model"] == "VMware7,1"
    assert facts["serial_number"] == "VMware-56 4d 2b 7e 1c 3a 9f 0e-8b 21 6d 44 a0 5f 13 c2"
    assert facts["os_version"] == "10.0.20348.2849 (21H2)"
    assert facts["workgroup"] == "WORKGROUP" and "domain" not in facts
    assert facts["uptime"] == "3 d 04:11"


def test_facts_leave_out_what_nobody_filled_in() -> None:
    output = json.dumps(
        {
            "Manufacturer": "To Be Filled By O.E.M.",
            "Model": "System Product Name",
            "SerialNumber": "Default string",
            "BIOSVersion": "P2.10",
            "Caption": "Microsoft Windows 10 Famille",
            "Version": "10.0.19045",
            "UBR": None,
            "DisplayVersion": None,
            "Hostname": "PC-MAISON",
        }
    )
    assert windows_diag.FACTS.facts(output) == {
        "firmware": "P2.10",
        "os": "Microsoft Windows 10 Famille",
        "os_version": "10.0.19045",
        "hostname": "PC-MAISON",
    }


@pytest.mark.parametrize("output", ["", "[]", '{"Manufacturer": "Dell Inc."}', "Get-CimInstance : Accès refusé"])
def test_facts_refuse_what_is_no_windows_facts(output: str) -> None:
    with pytest.raises(ParseError):
        windows_diag.FACTS.facts(output)
