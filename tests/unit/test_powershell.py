"""PowerShell scripts as WinRM command lines: encoded whole, with the UTF-8 prelude, and refused when too long."""

from __future__ import annotations

import base64

import pytest

from supportstation.remote.powershell import (
    COMMAND_LINE_LIMIT,
    PRELUDE,
    ScriptTooLong,
    decoded_script,
    encoded_command,
)


def test_a_script_with_quotes_dollars_and_accents_travels_unchanged() -> None:
    script = "Get-Service | Where-Object { $_.Status -eq 'Stopped' -and $_.Name -like \"*spoul*\" } # écran ü\n"
    command = encoded_command(script)
    assert command.startswith("powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass ")
    assert decoded_script(command) == PRELUDE + script
    encoded = command.split(" -EncodedCommand ", 1)[1]
    assert base64.b64decode(encoded).decode("utf-16-le").endswith(script)  # what powershell.exe itself decodes
    assert "'" not in encoded and "$" not in encoded and " " not in encoded


def test_a_script_too_long_for_cmd_is_refused_with_the_reason() -> None:
    with pytest.raises(ScriptTooLong, match=r"too long for one command line .* 8191 at most"):
        encoded_command("Write-Output 'x'\n" * 400)
    assert len(encoded_command("x" * 2000)) <= COMMAND_LINE_LIMIT
