"""What changed between two running-configs of a switch, as a unified diff, without the lines IOS rewrites by itself.

IOS stamps its running-config with the time of the last change and of the last `write memory`, its size in bytes,
and the NTP clock correction it has learnt: these differ between two backups taken minutes apart although nobody
changed anything, so they are left out before comparing.
"""

from __future__ import annotations

import difflib
import re

# Matched against each line with its trailing spaces removed.
VOLATILE_LINES = (
    re.compile(r"! Last configuration change at .*"),
    re.compile(r"! NVRAM config last updated at .*"),
    re.compile(r"! No configuration change since last restart"),
    re.compile(r"Current configuration ?: \d+ bytes"),
    re.compile(r"ntp clock-period \d+"),
    re.compile(r"Building configuration\.\.\."),
)


def _meaningful_lines(config: str) -> list[str]:
    lines = [line.rstrip() for line in config.splitlines()]
    lines = [line for line in lines if not any(pattern.fullmatch(line) for pattern in VOLATILE_LINES)]
    # Blank lines around the configuration come from the command's output, not from the configuration itself.
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def config_diff(before: str, after: str, before_name: str = "before", after_name: str = "after") -> str:
    """The unified diff from `before` to `after` (three lines of context), or "" when only volatile lines differ."""
    lines = difflib.unified_diff(
        _meaningful_lines(before), _meaningful_lines(after), fromfile=before_name, tofile=after_name, lineterm=""
    )
    text = "\n".join(lines)
    return text + "\n" if text else ""
