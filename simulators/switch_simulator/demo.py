"""The demo's switches: one simulator process serving each named switch (the demo's `sw-coeur` and `sw-atelier`),
with its prompt, on 127.0.0.1.

Their host keys are kept in the given folder and each switch tries the same port first at every start, so a key the
engineer accepted is still the one presented next time. Each switch starts from the simulator's factory
configuration: changes made in the demo last until the demo stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .process import SwitchSimulator, SwitchSpec

USER = "netadmin"
FIRST_PORT = 52201  # the first switch's preferred port; the next ones follow


def demo_switches(folder: Path, hostnames: Sequence[str], password: str, enable_secret: str) -> SwitchSimulator:
    """A started simulator playing the switches `hostnames`; `.switches` says where each one listens."""
    specs = [
        SwitchSpec(hostname, USER, password, enable_secret, port=FIRST_PORT + number)
        for number, hostname in enumerate(hostnames)
    ]
    simulator = SwitchSimulator(folder, specs, keep_host_keys=True)
    simulator.start()
    return simulator
