"""A Cisco IOS switch simulator: fake-switches' Catalyst 2960 over SSH on 127.0.0.1, in a process of its own, with
what it lacks added (see launcher.py). It is a simulator, not IOS. Importing this package loads neither
fake-switches nor Twisted: only the simulator's process does."""

from .process import (
    SimulatedSwitch,
    SwitchSimulator,
    SwitchSpec,
    fingerprint,
    generate_host_key,
    known_hosts_line,
    missing_reason,
    running_switches,
)

__all__ = [
    "SimulatedSwitch",
    "SwitchSimulator",
    "SwitchSpec",
    "fingerprint",
    "generate_host_key",
    "known_hosts_line",
    "missing_reason",
    "running_switches",
]
