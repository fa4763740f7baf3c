"""A Redfish BMC for tests: the simulators distribution's `redfish_simulator` (sushy-tools' emulator with what a Dell
iDRAC 9 adds, served in-process over HTTPS; its package docstring says what is added and why). This module gives the
tests their fixtures over it, and a `target()` that builds the plugin API's DeviceTarget for it.

Importing it fails with ImportError where sushy-tools (or the simulators distribution) is missing: the test modules
that use it skip on that, except in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redfish_simulator import (
    CHASSIS_ID,
    CHASSIS_UUID,
    IDRAC_MANAGER_ID,
    SEL_ENTRY_COUNT,
    SEL_PAGE_SIZE,
    SESSIONS_PATH,
    SYSTEM_NAME,
    SYSTEM_UUID,
    TEST_PASSWORD,
    TEST_USER,
    EmulatorCertificate,
    Fault,
    RequestRecord,
    make_self_signed_certificate,
    power_document,
    sel_entry,
)
from redfish_simulator import RedfishEmulator as _Emulator

from supportstation.plugin_api import DeviceTarget

__all__ = [
    "CHASSIS_ID",
    "CHASSIS_UUID",
    "IDRAC_MANAGER_ID",
    "SEL_ENTRY_COUNT",
    "SEL_PAGE_SIZE",
    "SESSIONS_PATH",
    "SYSTEM_NAME",
    "SYSTEM_UUID",
    "TEST_PASSWORD",
    "TEST_USER",
    "EmulatorCertificate",
    "Fault",
    "RedfishEmulator",
    "RequestRecord",
    "make_self_signed_certificate",
    "power_document",
    "redfish_certificate",
    "redfish_emulator",
    "redfish_emulator_server",
    "sel_entry",
]


class RedfishEmulator(_Emulator):
    """The emulator, with what only SupportStation's tests need: its plugin-API target."""

    def target(self, **changes: Any) -> DeviceTarget:
        """A DeviceTarget for this emulator with its user and password (verified against the system CAs unless the
        test gives ca_file or pinned_sha256)."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "timeout": 10.0,
        }
        values.update(changes)
        return DeviceTarget(**values)


@pytest.fixture(scope="session")
def redfish_certificate(tmp_path_factory: pytest.TempPathFactory) -> EmulatorCertificate:
    """The emulator's self-signed certificate (and its SHA-256, to pin)."""
    return make_self_signed_certificate(tmp_path_factory.mktemp("redfish-tls"))


@pytest.fixture(scope="session")
def redfish_emulator_server(
    tmp_path_factory: pytest.TempPathFactory, redfish_certificate: EmulatorCertificate
) -> Iterator[RedfishEmulator]:
    """One emulator for the session; use `redfish_emulator`, which resets it for each test."""
    emulator = RedfishEmulator(tmp_path_factory.mktemp("redfish-emulator"), redfish_certificate)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def redfish_emulator(redfish_emulator_server: RedfishEmulator) -> Iterator[RedfishEmulator]:
    """The session's emulator, with sessions and log service links on, no fault, no request recorded, and the
    fake server powered on."""
    emulator = redfish_emulator_server
    emulator.sessions_enabled = True
    emulator.advertise_log_services = True
    emulator.reset_records()
    emulator.set_power_state("On")
    yield emulator
    emulator.sessions_enabled = True
    emulator.advertise_log_services = True
    emulator.reset_records()
