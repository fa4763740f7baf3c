"""Quoting a value so that the target shell passes it to the command as one literal argument.

Every parameter of a remote action or procedure goes through `quote_for` before it is put into a command line: a value
can then never start another command, expand a variable or redirect output (DESIGN.md §3). Where a shell has no
quoting that is safe for some character, the value is refused with a clear error instead of being quoted "mostly".

What quoting does not do: it cannot stop a value that starts with `-` from being read as an option by the program
that receives it. Command templates put `--` before such arguments, and parameters of type `host` refuse a leading `-`.
"""

from __future__ import annotations

import re

from supportstation.i18n import _

SHELLS = ("sh", "powershell", "cmd")
# The name of a device language contributed by a plugin's transport ("ios", "redfish").
DEVICE_LANGUAGE = re.compile(r"[a-z][a-z0-9-]*")
# A device CLI has no quoting at all: a value reaches it only as one plain word of these characters.
_DEVICE_WORD = re.compile(r"[A-Za-z0-9_@%+:,./-]+")

# Words made only of these characters mean the same quoted or not in POSIX sh. `=` is left out on purpose: an
# unquoted `NAME=value` at the start of a command is an assignment, not an argument.
_SH_SAFE = re.compile(r"[A-Za-z0-9_@%+:,./-]+")

# PowerShell's tokenizer takes the typographic single quotes for `'` too, so each must be doubled like `'` is, or a
# value containing one would close the string.
_POWERSHELL_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


class QuotingError(ValueError):
    """The value cannot be passed safely to that shell; the message says why, never the value (it may be a secret)."""


def _refuse_nul(value: str) -> None:
    if "\0" in value:
        raise QuotingError(_("The value contains a NUL character, which no shell can pass in a command line."))


def quote_sh(value: str) -> str:
    """A POSIX sh word that stands for `value` exactly (dash, bash, ash, zsh in sh mode)."""
    _refuse_nul(value)
    if _SH_SAFE.fullmatch(value):
        return value
    # Nothing is special inside single quotes except `'` itself, which is closed, written as "'", and reopened.
    return "'" + value.replace("'", "'\"'\"'") + "'"


def quote_powershell(value: str) -> str:
    """A PowerShell single-quoted (verbatim) string literal: no variable or sub-expression is ever expanded in it.

    The transport must still hand the whole script to PowerShell without another layer of parsing (for example with
    -EncodedCommand); this quotes for PowerShell's own parser only.
    """
    _refuse_nul(value)
    quoted = value
    for quote in _POWERSHELL_QUOTES:
        quoted = quoted.replace(quote, quote * 2)
    return "'" + quoted + "'"


def quote_cmd(value: str) -> str:
    """A double-quoted cmd.exe argument, or QuotingError for values cmd.exe cannot be trusted with.

    Refused: `%`, `!`, `"`, line breaks and other control characters (tab is allowed). Inside the quotes, `&|<>^()`
    are literal. Backslashes just before the closing quote are doubled, so that programs that split their command
    line with the Microsoft C runtime rules do not read `\\"` as an escaped quote. Use PowerShell for values with
    these characters.
    """
    _refuse_nul(value)
    # cmd.exe expands %NAME% before it looks at quotes, and !NAME! too when delayed expansion is on (cmd /V:ON, or the
    # DelayedExpansion registry value), which cannot be known from here. A `"` would end the quoted string, a line
    # break ends the command, and other control characters are read unpredictably by cmd and the programs it starts.
    if "%" in value:
        raise QuotingError(
            _("The value contains '%': cmd.exe expands %NAME% variables even inside quotes. Use PowerShell instead.")
        )
    if "!" in value:
        raise QuotingError(
            _(
                "The value contains '!': cmd.exe expands !NAME! variables when delayed expansion is on, which cannot"
                " be known in advance. Use PowerShell instead."
            )
        )
    if '"' in value:
        raise QuotingError(
            _("The value contains '\"': cmd.exe cannot escape it inside a quoted argument. Use PowerShell instead.")
        )
    if any(ord(character) < 0x20 and character != "\t" for character in value):
        raise QuotingError(
            _(
                "The value contains a line break or a control character: it cannot be passed safely to cmd.exe."
                " Use PowerShell instead."
            )
        )
    trailing = len(value) - len(value.rstrip("\\"))
    return '"' + value + "\\" * trailing + '"'


def quote_device_word(value: str) -> str:
    """`value` as it is, if it is one plain word; QuotingError otherwise. Device CLIs (a switch's IOS, a Redfish
    verb) have no quoting, so a space, a quote or a line break would change the command or start another one."""
    _refuse_nul(value)
    if not _DEVICE_WORD.fullmatch(value):
        raise QuotingError(
            _("A device command takes only one plain word here (letters, digits and _@%+:,./-), without spaces.")
        )
    return value


def quote_for(shell: str, value: str) -> str:
    """`value` quoted for `shell`: one of SHELLS, or a device language (see `quote_device_word`)."""
    if shell == "sh":
        return quote_sh(value)
    if shell == "powershell":
        return quote_powershell(value)
    if shell == "cmd":
        return quote_cmd(value)
    if DEVICE_LANGUAGE.fullmatch(shell):
        return quote_device_word(value)
    raise QuotingError(_("Unknown shell {shell!r}: expected one of {shells}.").format(shell=shell, shells=SHELLS))
