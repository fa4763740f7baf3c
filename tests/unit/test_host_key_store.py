"""The host key store reads its files once, and again as soon as anyone changes them."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import paramiko
import pytest

from supportstation.remote.host_keys import HostKeyStore, KeyCheck, OfferedKey, fingerprint_of


def ed25519_line_parts(seed: int) -> tuple[str, str]:
    """A syntactically valid ssh-ed25519 key (type, base64): the blob is the type name and 32 bytes."""
    name = b"ssh-ed25519"
    blob = len(name).to_bytes(4, "big") + name + (32).to_bytes(4, "big") + bytes([seed % 256]) * 32
    return "ssh-ed25519", base64.b64encode(blob).decode("ascii")


def offered(number: int, seed: int | None = None) -> OfferedKey:
    key_type, key = ed25519_line_parts(number if seed is None else seed)
    return OfferedKey(f"10.0.0.{number}", 22, key_type, key)


def write_hosts(path: Path, numbers: range) -> None:
    path.write_text("".join(f"10.0.0.{n} {' '.join(ed25519_line_parts(n))}\n" for n in numbers))


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files parsed, in order."""
    parsed: list[str] = []
    original = paramiko.HostKeys.load

    def counting_load(self: paramiko.HostKeys, filename: str) -> None:
        parsed.append(filename)
        original(self, filename)

    monkeypatch.setattr(paramiko.HostKeys, "load", counting_load)
    return parsed


def test_the_lookups_of_a_fan_out_parse_each_file_once(tmp_path: Path, loads: list[str]) -> None:
    app_file, user_file = tmp_path / "known_hosts", tmp_path / "user_known_hosts"
    write_hosts(app_file, range(1, 51))
    write_hosts(user_file, range(51, 61))
    store = HostKeyStore(app_file, user_file)
    for number in range(1, 61):  # each connection asks for the known types, then checks the offered key
        assert store.known_types(f"10.0.0.{number}", 22) == ["ssh-ed25519"]
        assert store.check(offered(number)).status is KeyCheck.KNOWN
    assert loads == [os.fspath(user_file), os.fspath(app_file)]


def test_a_key_learned_or_forgotten_here_is_seen_by_the_next_check(tmp_path: Path, loads: list[str]) -> None:
    store = HostKeyStore(tmp_path / "known_hosts")
    assert store.check(offered(7)).status is KeyCheck.UNKNOWN
    store.add(offered(7))
    assert store.check(offered(7)).status is KeyCheck.KNOWN
    assert store.remove("10.0.0.7", 22) == 1
    assert store.check(offered(7)).status is KeyCheck.UNKNOWN


def test_a_file_changed_by_another_program_is_read_again(tmp_path: Path, loads: list[str]) -> None:
    user_file = tmp_path / "user_known_hosts"
    write_hosts(user_file, range(1, 4))
    store = HostKeyStore(tmp_path / "known_hosts", user_file)
    assert store.check(offered(2)).status is KeyCheck.KNOWN
    assert store.check(offered(9)).status is KeyCheck.UNKNOWN

    # `ssh` learns a host: a line appended.
    with user_file.open("a") as file:
        file.write(f"10.0.0.9 {' '.join(ed25519_line_parts(9))}\n")
    assert store.check(offered(9)).status is KeyCheck.KNOWN

    # The engineer replaces a key by hand with one of the same length, the file keeps its size: the time tells.
    text = user_file.read_text()
    _type, old_key = ed25519_line_parts(2)
    _type, new_key = ed25519_line_parts(200)
    user_file.write_text(text.replace(old_key, new_key))
    status = user_file.stat()
    os.utime(user_file, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    result = store.check(offered(2))
    assert result.status is KeyCheck.CHANGED
    assert result.stored == (("ssh-ed25519", fingerprint_of(base64.b64decode(new_key))),)

    # The file removed: its keys are gone with it.
    user_file.unlink()
    assert store.check(offered(9)).status is KeyCheck.UNKNOWN
    assert len(loads) == 3
