"""PowerShell for the WinRM simulator: decoding `-EncodedCommand` and answering from recorded responses.

No PowerShell runs here. The simulator decodes the script a client sent (pywinrm's `run_ps` sends
`powershell -encodedcommand <base64 of UTF-16LE>`) and answers with the response a test registered for it; an
unregistered script gets the CLIXML "is not recognized" error real PowerShell writes on stderr.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

# The switches powershell.exe accepts for an encoded command (it takes any unambiguous prefix of -EncodedCommand).
_ENCODED = re.compile(
    r"^\s*powershell(?:\.exe)?\b.*?\s-(?:e|ec|en\w*)\s+([A-Za-z0-9+/=]+)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_PLAIN = re.compile(r"^\s*powershell(?:\.exe)?\b.*?\s-c(?:ommand)?\s+(.*)$", re.IGNORECASE | re.DOTALL)
_NEWLINE = "_x000D__x000A_"  # how CLIXML escapes CR LF


@dataclass(frozen=True)
class Response:
    """What a recorded PowerShell script answers: text is sent UTF-8 encoded, bytes as they are."""

    stdout: str | bytes = ""
    stderr: str | bytes = ""
    exit_code: int = 0


def script_of(command_line: str) -> str | None:
    """The PowerShell script in a command line, or None when the line does not start PowerShell."""
    match = _ENCODED.match(command_line)
    if match:
        try:
            return base64.b64decode(match.group(1), validate=True).decode("utf-16-le")
        except (binascii.Error, UnicodeDecodeError):
            return None
    match = _PLAIN.match(command_line)
    return match.group(1) if match else None


def find_response(table: dict[str | re.Pattern[str], Response], script: str) -> Response:
    """Exact text first, then the first pattern that matches anywhere in the script, else the not-recognized error."""
    exact = table.get(script)
    if exact is not None:
        return exact
    for key, response in list(table.items()):
        if isinstance(key, re.Pattern) and key.search(script):
            return response
    return not_recognized(script)


def clixml_error(lines: list[str]) -> bytes:
    """Error lines as PowerShell serialises its error stream to a non-console stdout (CLIXML), with CRLF escaped."""
    # Real output starts with a progress record; clients that parse CLIXML must skip it, so the simulator sends one.
    progress = (
        '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
        '<T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.'
        "</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>"
    )
    errors = "".join(f'<S S="Error">{escape(line)}{_NEWLINE}</S>' for line in lines)
    body = f'<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">{progress}{errors}</Objs>'
    return ("#< CLIXML\r\n" + body).encode("utf-8")


def not_recognized(script: str) -> Response:
    """PowerShell 5.1's answer to a first word that is no cmdlet, function or program, with its exit code 1."""
    first_line = script.strip().splitlines()[0] if script.strip() else ""
    name = first_line.split()[0] if first_line else ""
    lines = [
        f"{name} : The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is correct and "
        "try again.",
        "At line:1 char:1",
        f"+ {first_line}",
        "+ " + "~" * max(len(name), 1),
        f"    + CategoryInfo          : ObjectNotFound: ({name}:String) [], CommandNotFoundException",
        "    + FullyQualifiedErrorId : CommandNotFoundException",
        " ",
    ]
    return Response(stderr=clixml_error(lines), exit_code=1)


def cmd_response(table: dict[str, Response], command_line: str) -> Response:
    """A recorded answer to a cmd line (looked up by the whole line, then its first word, case-insensitively), or
    cmd.exe's own words for a program it cannot find."""
    line = command_line.strip()
    first = line.split()[0] if line else ""
    for key in (line.lower(), first.lower()):
        for known, response in table.items():
            if known.lower() == key:
                return response
    message = f"'{first}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
    return Response(stderr=message, exit_code=1)
