"""Shared fixtures: every test runs offscreen, in throwaway folders, never in the user's own."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A test must never read or write the real user's folders, even through a default.
os.environ["XDG_CONFIG_HOME"] = "/nonexistent-supportstation-tests/config"
os.environ["XDG_DATA_HOME"] = "/nonexistent-supportstation-tests/data"
# A command run by a test must not leave an agent behind (cli.start_agent_for_later): the agent's tests turn it on
# for their own socket, and stop what they start.
os.environ["SUPPORTSTATION_NO_AGENT"] = "1"

from supportstation import i18n, paths
from tests.agent_processes import agent_processes

ROOT = Path(__file__).resolve().parent.parent
AGENTS_BEFORE = pytest.StashKey[set[int]]()

# Real OpenSSH servers for the engine's and the GUI's tests.
pytest_plugins = ["tests.servers.fixtures", "tests.servers.fake_switch", "tests.reports.report_lab"]


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[AGENTS_BEFORE] = agent_processes()
    # `supportstation run` sends the input it is given to the remote command, as ssh does: the commands tests start
    # get none unless a test gives them some, rather than the terminal or CI's pipe, which may never end.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fails the run if a test left an agent running, and stops it."""
    import signal

    left = agent_processes() - session.config.stash.get(AGENTS_BEFORE, set())
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    if left:
        print(f"\nA test left {len(left)} agent process(es) running (stopped now): {sorted(left)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def english() -> None:
    """Tests assert on English messages unless they switch language themselves."""
    i18n.install("en")


@pytest.fixture
def app_paths(tmp_path: Path) -> paths.AppPaths:
    folders = paths.under(tmp_path / "home")
    folders.create()
    return folders


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A PostgreSQL server for the session. Skipped where PostgreSQL is not installed, except in CI."""
    from tests.servers.postgres import find_binaries, running_postgres

    if find_binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed on the CI machine")
        pytest.skip("PostgreSQL is not installed (tools/bootstrap --test installs it)")
    # Not under pytest's tmp folder: the server runs as another user and needs a path it can reach.
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="supportstation-pg-"))
    os.chmod(base, 0o755)
    with running_postgres(base / "server") as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"test_{abs(hash(request.node.nodeid)) % 10**12}")
