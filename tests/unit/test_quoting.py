"""Quoting for the target shell: sh checked against real shells, PowerShell and cmd.exe by their rules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportstation.remote.quoting import QuotingError, quote_cmd, quote_for, quote_powershell, quote_sh


def posix_shells() -> list[str]:
    """/bin/sh, and dash and bash when installed and not already /bin/sh."""
    shells = ["/bin/sh"]
    real_sh = Path("/bin/sh").resolve()
    for name in ("dash", "bash"):
        found = shutil.which(name)
        if found and Path(found).resolve() != real_sh:
            shells.append(found)
    return shells


SHELLS = posix_shells()


def printed_by(shell: str, quoted: str) -> bytes:
    """What the shell passes to printf for the quoted word, byte for byte."""
    return subprocess.run([shell, "-c", "printf %s " + quoted], capture_output=True, check=True, timeout=10).stdout


# Any text a parameter could hold: every Unicode character but NUL (no shell can pass it) and lone surrogates
# (they cannot be encoded, so no command line holds them).
TEXT = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40)
# Characters sh treats specially, drawn more often than arbitrary text would.
NASTY = st.text(st.sampled_from([*"'\"\\$`!*?[]{}()<>|&;#~= \t\n%^-", "é", "\u2019", "a"]), max_size=20)


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=60, deadline=None)
@given(value=st.one_of(TEXT, NASTY))
def test_sh_quoting_round_trips_through_a_real_shell(shell: str, value: str) -> None:
    assert printed_by(shell, quote_sh(value)) == value.encode("utf-8")


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "value",
    ["", " ", "-n", "-e", "a b", "it's", "'", "''", "$HOME", "$(id)", "`id`", "; rm -rf /", "a\nb", "\\", "*", "~",
     "NAME=value", "%s", "é\u2019", "\t", "--", "!!"],
)  # fmt: skip
def test_sh_quoting_golden_cases(shell: str, value: str) -> None:
    assert printed_by(shell, quote_sh(value)) == value.encode("utf-8")


def test_sh_leaves_plain_words_readable_and_quotes_the_rest() -> None:
    assert quote_sh("/var/log/syslog") == "/var/log/syslog"
    assert quote_sh("eth0.100") == "eth0.100"
    assert quote_sh("") == "''"
    assert quote_sh("a b") == "'a b'"
    assert quote_sh("it's") == "'it'\"'\"'s'"
    assert quote_sh("NAME=value") == "'NAME=value'"  # unquoted, it would be an assignment at the start of a command


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "''"),
        ("plain", "'plain'"),
        ("$env:USERNAME", "'$env:USERNAME'"),
        ("$(Remove-Item C:\\ -Recurse)", "'$(Remove-Item C:\\ -Recurse)'"),
        ("it's", "'it''s'"),
        ("a\u2018b\u2019c\u201ad\u201be", "'a\u2018\u2018b\u2019\u2019c\u201a\u201ad\u201b\u201be'"),
        ('say "hi"', "'say \"hi\"'"),
        ("`n back`tick", "'`n back`tick'"),
        ("line\nbreak", "'line\nbreak'"),
    ],
)
def test_powershell_single_quoted_literals(value: str, expected: str) -> None:
    assert quote_powershell(value) == expected


@given(TEXT)
def test_powershell_quotes_are_always_doubled(value: str) -> None:
    """Read back as PowerShell's tokenizer does: a quote character followed by one more of any kind is literal."""
    quoted = quote_powershell(value)
    assert quoted[0] == quoted[-1] == "'"
    inner, index, decoded = quoted[1:-1], 0, []
    quotes = "'\u2018\u2019\u201a\u201b"
    while index < len(inner):
        if inner[index] in quotes:
            assert index + 1 < len(inner) and inner[index + 1] == inner[index], "a lone quote would end the string"
            index += 1
        decoded.append(inner[index])
        index += 1
    assert "".join(decoded) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", '""'),
        ("C:\\Program Files\\App", '"C:\\Program Files\\App"'),
        ("a & b | c > d < e ^ (f)", '"a & b | c > d < e ^ (f)"'),
        ("C:\\dir\\", '"C:\\dir\\\\"'),  # else the C runtime would read \" as a quote inside the argument
        ("tab\there", '"tab\there"'),
    ],
)
def test_cmd_double_quotes(value: str, expected: str) -> None:
    assert quote_cmd(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("100%", "'%'"),
        ("%PATH%", "'%'"),
        ("Hello!", "'!'"),
        ('say "hi"', "'\"'"),
        ("line\nbreak", "line break"),
        ("carriage\rreturn", "line break"),
        ("bell\a", "control character"),
    ],
)
def test_cmd_refuses_what_it_cannot_quote(value: str, reason: str) -> None:
    with pytest.raises(QuotingError, match=reason) as raised:
        quote_cmd(value)
    assert value not in str(raised.value), "the message must not repeat the value: it may be a secret"


@pytest.mark.parametrize("shell", ["sh", "powershell", "cmd"])
def test_nul_is_refused_for_every_shell(shell: str) -> None:
    with pytest.raises(QuotingError, match="NUL"):
        quote_for(shell, "a\x00b")


def test_quote_for_dispatches_and_refuses_unknown_shells() -> None:
    assert quote_for("sh", "a b") == "'a b'"
    assert quote_for("powershell", "a b") == "'a b'"
    assert quote_for("cmd", "a b") == '"a b"'
    with pytest.raises(QuotingError, match="Fish Shell"):
        quote_for("Fish Shell", "x")
    # A device language (a plugin transport's) takes plain words only: its CLI has no quoting.
    assert quote_for("ios", "GigabitEthernet0/1") == "GigabitEthernet0/1"
    for refused in ("a b", "x\nreload", "'x'", "a;b", ""):
        with pytest.raises(QuotingError, match="one plain word"):
            quote_for("ios", refused)
