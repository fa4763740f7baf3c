"""What the simulated switch remembers besides fake-switches' configuration, and the helpers its command processors
share: IOS's timestamps, abbreviations and error carets. Imported only in the simulator's own process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CONNECTED_PORTS = ("FastEthernet0/1", "FastEthernet0/2", "FastEthernet0/3", "FastEthernet0/4", "GigabitEthernet0/1")
MANAGEMENT_ADDRESS = "192.0.2.10/24"
BOOT_TIME = "Mar  1 00:00"  # IOS counts from 1 March 1993 until its clock is set: boot messages carry that date


def clock(moment: datetime) -> str:
    """A log timestamp as IOS writes it with `service timestamps log datetime msec`: "Mar  4 10:15:01.123 UTC"."""
    return f"{moment:%b} {moment.day:>2} {moment:%H:%M:%S}.{moment.microsecond // 1000:03d} UTC"


def config_time(moment: datetime) -> str:
    """A time as the running-config's header writes it: "10:15:01 UTC Mon Mar 4 2024"."""
    return f"{moment:%H:%M:%S} UTC {moment:%a %b} {moment.day} {moment.year}"


def abbreviates(word: str, keyword: str, shortest: int = 2) -> bool:
    """IOS takes any unambiguous beginning of a keyword; the tests use at least two letters."""
    return len(word) >= min(shortest, len(keyword)) and keyword.startswith(word.lower())


class SimulatorState:
    """What the switch remembers across SSH sessions besides its configuration: its log and its change times."""

    def __init__(self, username: str) -> None:
        self.username = username
        now = datetime.now(UTC)
        self.last_change = now
        self.saved = now
        self.clock_period = 36028797
        self.log: list[str] = []
        for number, port in enumerate(CONNECTED_PORTS):
            second = 31 + 2 * number
            self.log.append(f"*{BOOT_TIME}:{second:02d}.651: %LINK-3-UPDOWN: Interface {port}, changed state to up")
            self.log.append(
                f"*{BOOT_TIME}:{second + 1:02d}.658: %LINEPROTO-5-UPDOWN: Line protocol on Interface {port},"
                " changed state to up"
            )
        self.log.append(f"*{BOOT_TIME}:52.374: %SYS-5-RESTART: System restarted --")
        self.log.append(
            f"*{BOOT_TIME}:53.120: %LINEPROTO-5-UPDOWN: Line protocol on Interface Vlan1, changed state to up"
        )

    def changed(self) -> None:
        self.last_change = datetime.now(UTC)

    def configured(self) -> None:
        """IOS logs this each time configuration mode is left."""
        self.log.append(
            f"{clock(datetime.now(UTC))}: %SYS-5-CONFIG_I: Configured from console by {self.username} on vty0"
            " (127.0.0.1)"
        )


def write_error(
    processor: Any, line: str, column: int, message: str = "% Invalid input detected at '^' marker."
) -> None:
    """The caret under the offending word, then IOS's message and a blank line, as IOS prints them."""
    offset = len(processor.get_prompt() or "") + column
    processor.write_line(" " * offset + "^")
    processor.write_line(message)
    processor.write_line("")


def deepest(processor: Any) -> Any:
    while processor.sub_processor is not None:
        processor = processor.sub_processor
    return processor
