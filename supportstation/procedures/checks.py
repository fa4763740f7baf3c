"""A run step's expected results and captures, applied to a command's result: each check says pass or fail and why.

Checks read the output as the engineer sees it (decoded with replacement characters). An output too large to be
kept whole in memory is checked on what was kept: its beginning and its end; the check says so when it fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from supportstation.i18n import _
from supportstation.procedures.model import Capture, Expect, JsonCheck
from supportstation.remote.results import RunResult, RunState, state_label


@dataclass(frozen=True)
class CheckResult:
    check: str  # what was expected, in words
    passed: bool
    detail: str = ""  # what was found, when it failed

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "detail": self.detail}


class CaptureError(ValueError):
    """A capture that found nothing: the message names the variable and what was searched."""


def readable(text: str) -> str:
    """The output as patterns expect it: Windows' CR LF line ends as LF (so `$` matches at a line's end), and
    without the byte order mark Windows PowerShell puts before its first line (so `^` matches it)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def check_result(expect: Expect, result: RunResult) -> list[CheckResult]:
    """Every expectation of `expect` applied to `result`; a command that did not run fails one check saying why."""
    if result.exit_code is None or result.state not in (RunState.SUCCEEDED, RunState.FAILED):
        reason = result.error or state_label(result.state)
        return [CheckResult(_("the command ran"), False, reason)]
    checks = [_exit_code(expect.exit_codes, result.exit_code)]
    for stream_name, text in (("stdout", readable(result.stdout)), ("stderr", readable(result.stderr))):
        must = getattr(expect, f"{stream_name}_matches")
        must_not = getattr(expect, f"{stream_name}_not_matches")
        if must is not None:
            found = re.search(must, text, re.MULTILINE)
            checks.append(
                CheckResult(
                    _("{stream} matches /{pattern}/").format(stream=stream_name, pattern=must),
                    found is not None,
                    "" if found else _("no line of {stream} matches").format(stream=stream_name) + _tail(text),
                )
            )
        if must_not is not None:
            found = re.search(must_not, text, re.MULTILINE)
            checks.append(
                CheckResult(
                    _("{stream} does not match /{pattern}/").format(stream=stream_name, pattern=must_not),
                    found is None,
                    _("found: {text!r}").format(text=_line_of(text, found)) if found else "",
                )
            )
    if expect.json_checks:
        checks += _json_checks(expect.json_checks, readable(result.stdout))
    return checks


def _exit_code(expected: list[int], code: int) -> CheckResult:
    wanted = ", ".join(str(value) for value in expected)
    return CheckResult(
        _("exit code in {codes}").format(codes=wanted)
        if len(expected) > 1
        else _("exit code {code}").format(code=wanted),
        code in expected,
        "" if code in expected else _("exit code was {code}").format(code=code),
    )


def _json_checks(checks: list[JsonCheck], stdout: str) -> list[CheckResult]:
    try:
        document = json.loads(stdout)
    except ValueError as error:
        return [CheckResult(_("the output is JSON"), False, _("not JSON: {error}").format(error=error))]
    found = []
    for check in checks:
        try:
            value = json_value(document, check.path)
        except KeyError as error:
            found.append(CheckResult(_("JSON {path} exists").format(path=check.path), False, str(error.args[0])))
            continue
        if check.equals is not None:
            passed = _same(value, check.equals)
            found.append(
                CheckResult(
                    _("JSON {path} equals {value!r}").format(path=check.path, value=check.equals),
                    passed,
                    "" if passed else _("it is {value!r}").format(value=value),
                )
            )
        if check.matches is not None:
            passed = re.search(check.matches, _text(value)) is not None
            found.append(
                CheckResult(
                    _("JSON {path} matches /{pattern}/").format(path=check.path, pattern=check.matches),
                    passed,
                    "" if passed else _("it is {value!r}").format(value=value),
                )
            )
        if check.equals is None and check.matches is None:
            found.append(CheckResult(_("JSON {path} exists").format(path=check.path), True))
    return found


def json_value(document: Any, path: str) -> Any:
    """The value at a dotted path ("disks.0.free"); KeyError with a readable message when it is not there."""
    value = document
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(_("the JSON output has no {path}").format(path=".".join(walked)))
    return value


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(value) == float(expected)
    return _text(value) == _text(expected)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _line_of(text: str, found: re.Match[str]) -> str:
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    return text[start : end if end >= 0 else len(text)][:200]


def _tail(text: str) -> str:
    last = text.rstrip().splitlines()[-1:] if text.strip() else []
    return _("; last line: {line!r}").format(line=last[0][:200]) if last else _("; the output is empty")


def capture_values(captures: dict[str, Capture], result: RunResult) -> dict[str, str]:
    """The value of each capture, as text; CaptureError for the first one that finds nothing."""
    values: dict[str, str] = {}
    for name, capture in captures.items():
        text = readable(result.stdout if capture.stream == "stdout" else result.stderr)
        if capture.regex is not None:
            found = re.search(capture.regex, text, re.MULTILINE)
            if found is None:
                raise CaptureError(
                    _("Nothing in {stream} matches /{pattern}/ to give {name} a value.").format(
                        stream=capture.stream, pattern=capture.regex, name=name
                    )
                )
            try:
                value = found.group(capture.group)
            except IndexError:  # no such group in the pattern
                value = None
            if value is None:
                raise CaptureError(
                    _("/{pattern}/ has no group {group} to give {name} a value.").format(
                        pattern=capture.regex, group=capture.group, name=name
                    )
                )
            values[name] = value
        else:
            assert capture.json_path is not None
            try:
                values[name] = _text(json_value(json.loads(text), capture.json_path))
            except ValueError as error:
                raise CaptureError(
                    _("{stream} is not JSON, so {name} has no value: {error}").format(
                        stream=capture.stream, name=name, error=error
                    )
                ) from None
            except KeyError as error:
                raise CaptureError(f"{name}: {error.args[0]}") from None
    return values
