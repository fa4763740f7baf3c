"""The vault without a real keyring: the encrypted-file store, the keyring store over an in-memory backend, backend
choice, redaction, and that no secret ever reaches an exception, a repr or a log line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordSetError

from supportstation import paths
from supportstation.vault import (
    SecretNotFound,
    Vault,
    VaultError,
    VaultLocked,
    VaultTampered,
    WrongPassword,
    open_vault,
    redact,
)
from supportstation.vault.crypto import TEMPORARY_PREFIX, ScryptParameters

PASSWORD = "correct horse battery staple"
SECRET = "Tr0ub4dor&3-sécret-🔑"
FAST = ScryptParameters(n=2**10)  # the real cost (2**15) only makes the tests slower


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring; the methods named in `failing` raise, set_password with the value in its message as a
    careless backend might."""

    @classmethod
    def priority(cls) -> float:  # type: ignore[override]
        raise RuntimeError("test backend, never chosen by keyring itself")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.failing: set[str] = set()

    def get_password(self, service: str, username: str) -> str | None:
        if "get" in self.failing:
            raise RuntimeError("backend exploded")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if "set" in self.failing:
            raise PasswordSetError(f"cannot store {password!r} for {username}")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


def vault_folder(app_paths: paths.AppPaths) -> Path:
    return app_paths.data / "vault"


@pytest.fixture
def file_vault(app_paths: paths.AppPaths) -> Vault:
    vault = open_vault(app_paths, backend="file", scrypt=FAST)
    vault.unlock(PASSWORD)
    return vault


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keyring_vault(app_paths: paths.AppPaths, memory_keyring: MemoryKeyring) -> Vault:
    return open_vault(app_paths, backend="keyring", keyring_backend=memory_keyring)


def all_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


# Encrypted-file store ----------------------------------------------------------------------------------------------


def test_file_store_round_trip(file_vault: Vault, app_paths: paths.AppPaths) -> None:
    file_vault.store("host/srv-01/password", SECRET)
    file_vault.store("host/srv-02/key", b"\x00\xffbinary")
    assert file_vault.load("host/srv-01/password") == SECRET.encode("utf-8")
    assert file_vault.load_text("host/srv-01/password") == SECRET
    assert file_vault.load("host/srv-02/key") == b"\x00\xffbinary"
    assert file_vault.exists("host/srv-01/password")
    assert sorted(file_vault.keys()) == ["host/srv-01/password", "host/srv-02/key"]
    # A new process opens the same vault with the same password.
    reopened = open_vault(app_paths, backend="file")
    assert reopened.locked and reopened.needs_password
    reopened.unlock(PASSWORD)
    assert reopened.load_text("host/srv-01/password") == SECRET
    # Neither the secret nor the master password is anywhere on disk in clear.
    for path in all_files(vault_folder(app_paths)):
        content = path.read_bytes()
        assert SECRET.encode("utf-8") not in content and PASSWORD.encode("utf-8") not in content


def test_overwrite_and_delete(file_vault: Vault) -> None:
    file_vault.store("k/one", "first value")
    file_vault.store("k/one", "second value")
    assert file_vault.load("k/one") == b"second value"
    file_vault.delete("k/one")
    assert not file_vault.exists("k/one")
    with pytest.raises(SecretNotFound, match="k/one"):
        file_vault.load("k/one")
    with pytest.raises(SecretNotFound):
        file_vault.delete("k/one")


def test_unicode_keys_and_secrets(file_vault: Vault) -> None:
    for key, secret in [("hôte/café/mot-de-passe", "pässwörd"), ("主机/密码", "密码很长的秘密"), ("emoji/🔐", "🔑🗝️")]:
        file_vault.store(key, secret)
        assert file_vault.load_text(key) == secret


def test_large_secret(file_vault: Vault) -> None:
    large = os.urandom(10 * 1024)
    file_vault.store("host/big/private-key", large)
    assert file_vault.load("host/big/private-key") == large


def test_locked_until_unlocked(app_paths: paths.AppPaths) -> None:
    vault = open_vault(app_paths, backend="file", scrypt=FAST)
    assert vault.locked
    with pytest.raises(VaultLocked):
        vault.store("k/x", "value1")
    with pytest.raises(VaultLocked):
        vault.known_secrets()
    vault.unlock(PASSWORD)
    vault.store("k/x", "value1")
    vault.lock()
    with pytest.raises(VaultLocked):
        vault.load("k/x")


def test_wrong_password(file_vault: Vault, app_paths: paths.AppPaths) -> None:
    file_vault.store("k/x", SECRET)
    other = open_vault(app_paths, backend="file")
    with pytest.raises(WrongPassword, match="master password is wrong") as caught:
        other.unlock("not the password")
    assert isinstance(caught.value, VaultError)
    assert "not the password" not in str(caught.value)
    assert other.locked
    with pytest.raises(VaultError):
        other.unlock("")


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "rename-key"])
def test_tampered_secret_file_is_detected(file_vault: Vault, app_paths: paths.AppPaths, damage: str) -> None:
    file_vault.store("host/srv-01/password", SECRET)
    (path,) = (vault_folder(app_paths) / "secrets").glob("*.secret")
    document = json.loads(path.read_bytes())
    if damage == "flip":
        ciphertext = bytearray(document["ciphertext"].encode())
        ciphertext[5] = ord("A") if ciphertext[5] != ord("A") else ord("B")
        document["ciphertext"] = ciphertext.decode()
        path.write_text(json.dumps(document))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 64)
    else:
        document["key"] = "host/other/password"
        path.write_text(json.dumps(document))
    with pytest.raises(VaultTampered, match="host/srv-01/password") as caught:
        file_vault.load("host/srv-01/password")
    assert SECRET not in str(caught.value)


def test_swapped_secret_files_are_detected(file_vault: Vault, app_paths: paths.AppPaths) -> None:
    file_vault.store("host/a/password", "secret of a")
    file_vault.store("host/b/password", "secret of b")
    first, second = sorted((vault_folder(app_paths) / "secrets").glob("*.secret"))
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    for key in ("host/a/password", "host/b/password"):
        with pytest.raises(VaultTampered):
            file_vault.load(key)


def test_tampered_header_reads_as_wrong_password_or_damage(file_vault: Vault, app_paths: paths.AppPaths) -> None:
    file_vault.store("k/x", SECRET)
    header_file = vault_folder(app_paths) / "vault.json"
    header = json.loads(header_file.read_bytes())
    header["salt"] = "AAAAAAAAAAAAAAAAAAAAAA=="
    header_file.write_text(json.dumps(header))
    with pytest.raises(WrongPassword):
        open_vault(app_paths, backend="file").unlock(PASSWORD)
    header_file.write_text("{not json")
    with pytest.raises(VaultTampered, match=r"vault\.json"):
        open_vault(app_paths, backend="file").unlock(PASSWORD)


def test_missing_header_with_secrets_is_not_silently_recreated(file_vault: Vault, app_paths: paths.AppPaths) -> None:
    file_vault.store("k/x", SECRET)
    (vault_folder(app_paths) / "vault.json").unlink()
    with pytest.raises(VaultError, match="restore it from a backup"):
        open_vault(app_paths, backend="file").unlock("a brand new password")


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync"])
def test_failed_write_keeps_the_old_secret_and_leaves_no_partial_file(
    file_vault: Vault, app_paths: paths.AppPaths, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    file_vault.store("k/x", "the old value")
    before = {path: path.read_bytes() for path in all_files(vault_folder(app_paths))}

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, disk_full)
    with pytest.raises(VaultError, match="No space left") as caught:
        file_vault.store("k/x", "the new value that must not leak")
    monkeypatch.undo()
    assert "the new value" not in str(caught.value)
    assert {path: path.read_bytes() for path in all_files(vault_folder(app_paths))} == before
    assert not [path for path in all_files(vault_folder(app_paths)) if path.name.startswith(TEMPORARY_PREFIX)]
    assert file_vault.load_text("k/x") == "the old value"


def test_invalid_keys_are_refused(file_vault: Vault) -> None:
    for key in ["", "   ", "a" * 201, "line\nbreak"]:
        with pytest.raises(VaultError):
            file_vault.store(key, "whatever")


# Keyring store -----------------------------------------------------------------------------------------------------


def test_keyring_store_inline_and_large(
    keyring_vault: Vault, memory_keyring: MemoryKeyring, app_paths: paths.AppPaths
) -> None:
    keyring_vault.store("host/small/password", SECRET)
    assert memory_keyring.entries[("SupportStation", "host/small/password")].endswith(SECRET)
    large = ("x" * 5000).encode()
    keyring_vault.store("host/large/key", large)
    entry = memory_keyring.entries[("SupportStation", "host/large/key")]
    assert len(entry) < 100 and "x" * 20 not in entry  # only the data key is in the keyring
    (large_file,) = (vault_folder(app_paths) / "large").glob("*.secret")
    assert b"x" * 20 not in large_file.read_bytes()
    assert keyring_vault.load("host/large/key") == large
    assert sorted(keyring_vault.keys()) == ["host/large/key", "host/small/password"]
    # Replacing a large secret by a small one removes its file; deleting removes entry and index line.
    keyring_vault.store("host/large/key", "now small")
    assert not list((vault_folder(app_paths) / "large").glob("*.secret"))
    keyring_vault.delete("host/large/key")
    assert ("SupportStation", "host/large/key") not in memory_keyring.entries
    assert keyring_vault.keys() == ["host/small/password"]
    with pytest.raises(SecretNotFound):
        keyring_vault.load("host/large/key")


def test_keyring_limit_counts_utf16_and_is_configurable(app_paths: paths.AppPaths) -> None:
    backend = MemoryKeyring()
    vault = open_vault(app_paths, backend="keyring", keyring_backend=backend, inline_limit=100)
    vault.store("k/forty", "y" * 40)  # 80 bytes in UTF-16 with its tag
    vault.store("k/sixty", "y" * 60)  # 134 bytes in UTF-16: over the limit although 67 in UTF-8
    assert backend.entries[("SupportStation", "k/forty")].endswith("y" * 40)
    assert "y" not in backend.entries[("SupportStation", "k/sixty")].split(":", 1)[0]
    assert vault.load_text("k/sixty") == "y" * 60


def test_keyring_binary_secret_and_tampered_large_file(keyring_vault: Vault, app_paths: paths.AppPaths) -> None:
    keyring_vault.store("k/bin", b"\xff\xfe\x00binary")
    assert keyring_vault.load("k/bin") == b"\xff\xfe\x00binary"
    keyring_vault.store("k/large", os.urandom(3000))
    (large_file,) = (vault_folder(app_paths) / "large").glob("*.secret")
    document = json.loads(large_file.read_bytes())
    document["nonce"] = "AAAAAAAAAAAAAAAA"
    large_file.write_text(json.dumps(document))
    with pytest.raises(VaultTampered, match="k/large"):
        keyring_vault.load("k/large")


# Backend choice ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_no_keyring_falls_back_to_encrypted_files(app_paths: paths.AppPaths, backend: KeyringBackend) -> None:
    vault = open_vault(app_paths, keyring_backend=backend)
    assert vault.backend_name == "encrypted-file" and vault.locked


def test_a_keyring_that_errors_falls_back_to_encrypted_files(app_paths: paths.AppPaths) -> None:
    broken = MemoryKeyring()
    broken.failing = {"get", "set"}
    assert open_vault(app_paths, keyring_backend=broken).backend_name == "encrypted-file"
    assert open_vault(app_paths, keyring_backend=MemoryKeyring()).backend_name == "keyring"
    with pytest.raises(VaultError, match="No system keyring"):
        open_vault(app_paths, backend="keyring", keyring_backend=fail.Keyring())


def test_encrypted_files_in_use_stay_the_vault_when_a_keyring_appears(app_paths: paths.AppPaths) -> None:
    # An SSH session without a keyring set up the encrypted files; a desktop session later has one. Switching to the
    # (empty) keyring would hide every secret stored so far.
    files = open_vault(app_paths, keyring_backend=fail.Keyring(), scrypt=FAST)
    files.unlock(PASSWORD)
    files.store("host/srv-01/password", SECRET)
    later = open_vault(app_paths, keyring_backend=MemoryKeyring(), scrypt=FAST)
    assert later.backend_name == "encrypted-file" and later.locked
    later.unlock(PASSWORD)
    assert later.load_text("host/srv-01/password") == SECRET
    # Asked for by name, the keyring is still used.
    assert open_vault(app_paths, backend="keyring", keyring_backend=MemoryKeyring()).backend_name == "keyring"


def test_a_keyring_that_holds_secrets_is_kept_even_beside_old_encrypted_files(app_paths: paths.AppPaths) -> None:
    files = open_vault(app_paths, keyring_backend=fail.Keyring(), scrypt=FAST)
    files.unlock(PASSWORD)
    keyring = MemoryKeyring()
    open_vault(app_paths, backend="keyring", keyring_backend=keyring).store("host/srv-01/password", SECRET)
    assert open_vault(app_paths, keyring_backend=keyring).backend_name == "keyring"


def test_the_encrypted_files_open_without_loading_keyring(app_paths: paths.AppPaths) -> None:
    # keyring's backend discovery costs about 0.18 s, on every command of a computer whose vault is the files.
    files = open_vault(app_paths, keyring_backend=fail.Keyring(), scrypt=FAST)
    files.unlock(PASSWORD)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from supportstation import paths\n"
        "from supportstation.vault import open_vault\n"
        f"vault = open_vault(paths.under(Path({str(app_paths.config.parent)!r})))\n"
        "assert vault.backend_name == 'encrypted-file', vault.backend_name\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'keyring'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# Secrets never leak ------------------------------------------------------------------------------------------------


def test_errors_reprs_and_logs_never_contain_the_secret(
    app_paths: paths.AppPaths, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "leak-me-not-42"
    vault = open_vault(app_paths, backend="keyring", keyring_backend=memory_keyring)
    vault.store("host/srv-01/password", secret)
    vault.load("host/srv-01/password")
    vault.known_secrets()
    errors: list[VaultError] = []
    for failing in ({"set"}, {"get"}):
        memory_keyring.failing = failing
        try:
            vault.store("host/srv-01/password", secret) if failing == {"set"} else vault.load("host/srv-01/password")
        except VaultError as error:
            errors.append(error)
            logging.getLogger("test").exception("vault failure")
    assert len(errors) == 2
    assert "host/srv-01/password" in str(errors[0])
    assert "[secret]" in str(errors[0])  # the backend's own message had the value: redacted
    file_vault = open_vault(app_paths, backend="file", scrypt=FAST)
    file_vault.unlock(PASSWORD)
    file_vault.store("k/x", secret)
    for thing in [*errors, vault, file_vault, file_vault._store, vault._store]:
        assert secret not in str(thing) and secret not in repr(thing)
    for error in errors:
        assert error.__cause__ is None and error.__suppress_context__
    assert secret not in caplog.text
    assert PASSWORD not in caplog.text


def test_known_secrets_and_vault_redact(keyring_vault: Vault) -> None:
    keyring_vault.store("a/password", "hunter22")
    keyring_vault.store("b/token", "tok-123456")
    keyring_vault.store("c/binary", b"\xff\xfe\xfd\xfc")
    assert sorted(keyring_vault.known_secrets()) == ["hunter22", "tok-123456"]
    assert keyring_vault.redact("login hunter22 with tok-123456") == "login [secret] with [secret]"


# Redaction ---------------------------------------------------------------------------------------------------------


def test_redact_plain_text_and_bytes() -> None:
    assert redact("password=hunter22; again hunter22", ["hunter22"]) == "password=[secret]; again [secret]"
    assert redact(b"password=hunter22", ["hunter22"]) == b"password=[secret]"
    assert redact(b"key \xde\xad\xbe\xef!", [b"\xde\xad\xbe\xef"]) == b"key [secret]!"
    assert redact("nothing here", []) == "nothing here"


def test_redact_longest_first() -> None:
    # "abcd" inside "abcdefgh": the longer secret must be hidden whole, not leave "efgh" visible.
    assert redact("x abcdefgh y abcd", ["abcd", "abcdefgh"]) == "x [secret] y [secret]"
    assert redact("x abcdefgh y abcd", ["abcdefgh", "abcd"]) == "x [secret] y [secret]"


def test_redact_skips_short_secrets() -> None:
    assert redact("a cat sat on a mat", ["a", "at", "cat"]) == "a cat sat on a mat"
    assert redact("a cats sat", ["cats"]) == "a [secret] sat"


def test_redact_common_encodings() -> None:
    secret = 'p@ss w"rd/é&<>'
    assert secret not in redact(secret, [secret])
    encoded = {
        "json": json.dumps({"password": secret}),
        "url": "https://host/?pw=p%40ss%20w%22rd%2F%C3%A9%26%3C%3E",
        "url-plus": "pw=p%40ss+w%22rd%2F%C3%A9%26%3C%3E",
        "html": "<td>p@ss w&quot;rd/é&amp;&lt;&gt;</td>",
        "repr": repr({"password": secret}),
    }
    for name, text in encoded.items():
        result = redact(text, [secret])
        assert "[secret]" in result, name
        assert "p@ss" not in result and "p%40ss" not in result, name
    utf16 = "token=longsecret".encode("utf-16-le")
    assert "longsecret".encode("utf-16-le") not in redact(utf16, ["longsecret"])


def test_redact_unicode_and_regex_characters() -> None:
    assert redact("mdp: sécr€t.*+?", ["sécr€t.*+?"]) == "mdp: [secret]"
    assert redact("a.b.c.d", ["x.y."]) == "a.b.c.d"
