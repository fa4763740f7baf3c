"""The vault on a real Secret Service: gnome-keyring-daemon on a private D-Bus session bus started here.

Traps met on the way, kept here so nobody has to find them again:
- gnome-keyring creates and unlocks the "login" collection (the default alias keyring uses) only when started with
  `--unlock` and a password on stdin; without it, the first write asks for a new collection through a system prompt
  that cannot run on a headless machine, and keyring raises InitError "Failed to create the collection: Prompt
  dismissed".
- `--daemonize` forks away from the PID we know; `--foreground` keeps it our child so the fixture can stop it.
- tests/conftest.py points XDG_DATA_HOME at a folder that does not exist, where gnome-keyring cannot save its
  keyring file, and pytest's tmp paths are too long for the daemon's control socket (AF_UNIX paths are limited to
  108 bytes): the daemon gets a short private folder of its own.
- keyring and secretstorage read DBUS_SESSION_BUS_ADDRESS from os.environ when they connect, so this process's
  environment must point at the private bus (never at the user's own session) while the tests run.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation import paths
from supportstation.vault import SecretNotFound, open_vault
from supportstation.vault.keyring_store import SERVICE

KEYRING_PASSWORD = b"login keyring password"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline().decode().strip() if ready else ""


def _wait_for_login_collection(timeout: float) -> str | None:
    """None once the default collection exists and is unlocked, else the last problem seen."""
    import secretstorage
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy
    from secretstorage.util import BUS_NAME as SECRETS_NAME

    problem = "not tried"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with secretstorage.dbus_init() as connection:
                # Owned, not merely activatable (which check_service_availability also accepts): a call to an
                # activatable name makes dbus-daemon start a second, locked gnome-keyring that can win the name.
                if Proxy(message_bus, connection).NameHasOwner(SECRETS_NAME)[0] == 1:
                    # Not get_default_collection: while the daemon is still making the login collection, that asks
                    # to create one, through a prompt no one can answer here, and waits for ever.
                    collection = secretstorage.Collection(connection)  # raises until the default one exists
                    if not collection.is_locked():
                        return None
                    problem = "the default collection is locked"
                else:
                    problem = "org.freedesktop.secrets is not owned on the bus yet"
        except Exception as error:  # the daemon is still starting
            problem = f"{type(error).__name__}: {error}"
        time.sleep(0.1)
    return problem


@pytest.fixture(scope="module")
def secret_service() -> Iterator[str]:
    """A private session bus with gnome-keyring's Secret Service and an unlocked login collection; yields the bus
    address. Stops both daemons by their process, and restores this process's environment."""
    missing = [program for program in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(program) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} not installed on the CI machine")
        pytest.skip(f"{', '.join(missing)} not installed (tools/bootstrap --test installs gnome-keyring and dbus)")
    base = Path(tempfile.mkdtemp(prefix="ss-kr-"))
    environment = dict(os.environ)
    for name, folder in [("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")]:
        (base / folder).mkdir(mode=0o700)
        environment[name] = str(base / folder)
    (base / "run").mkdir(mode=0o700)
    environment["XDG_RUNTIME_DIR"] = str(base / "run")
    started: list[subprocess.Popen[bytes]] = []
    saved = {name: os.environ.get(name) for name in ("DBUS_SESSION_BUS_ADDRESS",)}
    try:
        bus = subprocess.Popen(
            [
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                "--print-address=1",
                f"--address=unix:path={base}/bus",
            ],
            stdout=subprocess.PIPE,
            env=environment,
        )
        started.append(bus)
        address = _read_line(bus, 10)
        if not address:
            pytest.fail("dbus-daemon printed no address")
        environment["DBUS_SESSION_BUS_ADDRESS"] = address
        with open(base / "gnome-keyring.log", "wb") as log:
            daemon = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        started.append(daemon)
        assert daemon.stdin is not None
        daemon.stdin.write(KEYRING_PASSWORD)
        daemon.stdin.close()  # end of input: the daemon reads the password up to EOF
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        problem = _wait_for_login_collection(15)
        if problem is not None:
            output = (base / "gnome-keyring.log").read_text(errors="replace")
            pytest.fail(f"gnome-keyring's Secret Service did not come up: {problem}\n{output}")
        yield address
    finally:
        for process in reversed(started):
            _stop(process)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def secret_service_backend(secret_service: str):  # type: ignore[no-untyped-def]
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    # A real Secret Service backend, viable here: not keyring's fail/null fallback or a chainer hiding one.
    assert type(backend) is SecretService.Keyring
    assert backend.priority > 0
    return backend


def _items(label_key: str) -> list[bytes]:
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        return [item.get_secret() for item in collection.search_items({"service": SERVICE, "username": label_key})]


def test_vault_chooses_the_secret_service_and_round_trips(secret_service_backend, app_paths: paths.AppPaths) -> None:  # type: ignore[no-untyped-def]
    vault = open_vault(app_paths, keyring_backend=secret_service_backend)
    assert vault.backend_name == "keyring" and not vault.needs_password and not vault.locked
    key = "host/srv-01/password"
    vault.store(key, "pässwörd-🔑")
    assert vault.exists(key)
    assert vault.load_text(key) == "pässwörd-🔑"
    # Really in the Secret Service's login collection, seen through another client.
    assert [secret.decode() for secret in _items(key)] == ["ssv1:t:pässwörd-🔑"]
    # A new Vault (as after a restart) reads it back from the daemon.
    assert open_vault(app_paths, backend="keyring", keyring_backend=secret_service_backend).load_text(key) == (
        "pässwörd-🔑"
    )
    assert vault.known_secrets() == ["pässwörd-🔑"]
    vault.delete(key)
    assert not vault.exists(key) and _items(key) == []
    with pytest.raises(SecretNotFound):
        vault.load(key)


def test_large_secret_goes_to_an_encrypted_file_keyed_from_the_keyring(  # type: ignore[no-untyped-def]
    secret_service_backend, app_paths: paths.AppPaths
) -> None:
    vault = open_vault(app_paths, backend="keyring", keyring_backend=secret_service_backend)
    key = "host/srv-02/ssh-private-key"
    large = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "A" * 5 * 1024 + "\n-----END-----\n").encode()
    vault.store(key, large)
    (entry,) = _items(key)
    assert entry.startswith(b"ssv1:f:") and len(entry) < 100  # only the data key lives in the keyring
    (large_file,) = (app_paths.data / "vault" / "large").glob("*.secret")
    assert b"A" * 32 not in large_file.read_bytes()
    assert vault.load(key) == large
    vault.store(key, large + b"changed")  # a new file and key; the old file goes
    assert [path.name for path in (app_paths.data / "vault" / "large").glob("*.secret")] != [large_file.name]
    assert vault.load(key) == large + b"changed"
    vault.delete(key)
    assert _items(key) == [] and not list((app_paths.data / "vault" / "large").glob("*.secret"))
