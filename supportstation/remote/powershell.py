"""A PowerShell script as the command line a WinRM shell runs.

The script travels as `-EncodedCommand`, base64 of its UTF-16LE text, so no quoting of the script's own quotes,
dollars or newlines can go wrong on the way through cmd.exe. A prelude makes the output UTF-8 (a French Windows
otherwise writes in its OEM code page, cp850) and silences progress records, which would only add CLIXML noise.
"""

from __future__ import annotations

import base64

from supportstation.i18n import _

PRELUDE = (
    "$ProgressPreference = 'SilentlyContinue'; "
    "[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; "
    "$OutputEncoding = [System.Text.Encoding]::UTF8\n"
)
# cmd.exe's longest command line: a longer one fails on the host with a message that does not say why.
COMMAND_LINE_LIMIT = 8191


class ScriptTooLong(ValueError):
    """The encoded script does not fit on one command line."""


def encoded_command(script: str) -> str:
    """The command line that runs `script` (with the UTF-8 prelude) in a non-interactive powershell.exe."""
    encoded = base64.b64encode((PRELUDE + script).encode("utf-16-le")).decode("ascii")
    command = f"powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand {encoded}"
    if len(command) > COMMAND_LINE_LIMIT:
        raise ScriptTooLong(
            _(
                "The PowerShell script is too long for one command line ({length} characters once encoded, "
                "{limit} at most): send it as a file instead."
            ).format(length=len(command), limit=COMMAND_LINE_LIMIT)
        )
    return command


def decoded_script(command: str) -> str:
    """The script an `encoded_command` line carries, prelude included: for logs and tests."""
    encoded = command.rsplit(" ", 1)[-1]
    return base64.b64decode(encoded).decode("utf-16-le")
