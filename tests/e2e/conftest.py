"""The end-to-end tests drive the real main window, as the GUI tests do: the same qasync loop, stall probe and
screenshots (tests/gui/conftest.py), and the client site of tests/e2e/site.py with real servers behind its hosts."""

from __future__ import annotations

import os

import pytest

from tests.gui.conftest import pytest_asyncio_loop_factories, stall_probe  # noqa: F401 (a hook and a fixture)

try:
    from tests.servers.redfish_emulator import (  # noqa: F401 (fixtures, used by name)
        redfish_certificate,
        redfish_emulator_server,
    )
except ImportError:  # sushy-tools is installed by tools/bootstrap --test; it must be there in CI
    if os.environ.get("CI"):
        raise

    @pytest.fixture
    def redfish_emulator_server() -> None:
        pytest.skip("install sushy-tools for the Redfish emulator: .venv/bin/pip install sushy-tools")
