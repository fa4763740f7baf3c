"""SFTP transfers against the real test sshd: progress, cancel, and no half file left on either side."""

from __future__ import annotations

import hashlib
import os
import pwd
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from supportstation.remote import sftp, transfers
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.targets import Target
from tests.servers import sshd as servers

SIZE = 8 * 1024 * 1024


@pytest_asyncio.fixture
async def pool(tmp_path: Path, sshd: servers.SshServer) -> AsyncIterator[ConnectionPool]:
    known = servers.write_known_hosts(tmp_path / "known_hosts", sshd)
    connections = ConnectionPool(HostKeyStore(known))
    yield connections
    await connections.close()


@pytest.fixture
def target(sshd: servers.SshServer, ssh_user: servers.SshUser) -> Target:
    return Target(host=sshd.host, port=sshd.port, user=ssh_user.name, identity_files=(ssh_user.key,))


@pytest.fixture
def remote_folder(ssh_folder: Path) -> Path:
    """A folder the test user can write in, seen by the test through the same path (same machine)."""
    folder = ssh_folder / f"sftp-{os.getpid()}-{threading.get_ident()}"
    folder.mkdir(exist_ok=True)
    os.chown(folder, servers.ensure_user().pw_uid, -1)
    return folder


def random_file(path: Path, size: int = SIZE) -> str:
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@pytest.mark.asyncio
async def test_upload_then_download_with_progress(
    tmp_path: Path, pool: ConnectionPool, target: Target, remote_folder: Path
) -> None:
    local = tmp_path / "payload.bin"
    digest = random_file(local)
    seen: list[tuple[int, int]] = []
    up = await sftp.upload(
        pool, target, local, str(remote_folder / "payload.bin"), progress=lambda d, t: seen.append((d, t))
    )
    assert (up.size, up.sha256) == (SIZE, digest)
    assert seen[-1] == (SIZE, SIZE) and len(seen) > 10
    assert hashlib.sha256((remote_folder / "payload.bin").read_bytes()).hexdigest() == digest

    back = tmp_path / "back.bin"
    down = await sftp.download(pool, target, str(remote_folder / "payload.bin"), back)
    assert down.sha256 == digest and back.read_bytes() == local.read_bytes()
    assert not back.with_name("back.bin.partial").exists()
    assert up.host_key_fingerprint.startswith("SHA256:")


@pytest.mark.asyncio
async def test_a_cancelled_upload_leaves_nothing_on_the_host(
    tmp_path: Path, pool: ConnectionPool, target: Target, remote_folder: Path
) -> None:
    local = tmp_path / "big.bin"
    random_file(local)
    cancel = threading.Event()

    def halfway(done: int, total: int) -> None:
        if done >= total // 2:
            cancel.set()

    remote = remote_folder / "big.bin"
    with pytest.raises(transfers.TransferCancelled):
        await sftp.upload(pool, target, local, str(remote), progress=halfway, cancel=cancel)
    assert not remote.exists()


@pytest.mark.asyncio
async def test_a_cancelled_download_leaves_no_partial_file(
    tmp_path: Path, pool: ConnectionPool, target: Target, remote_folder: Path
) -> None:
    size = 5 * sftp.PREFETCH_WINDOW
    digest = random_file(remote_folder / "source.bin", size)
    cancel = threading.Event()
    local = tmp_path / "copy.bin"
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        cancel.set()

    with pytest.raises(transfers.TransferCancelled):
        await sftp.download(pool, target, str(remote_folder / "source.bin"), local, progress=progress, cancel=cancel)
    assert not local.exists() and not local.with_name("copy.bin.partial").exists()
    # Honoured within the window requested ahead, not after the whole file.
    assert seen == [sftp.BLOCK]
    # Nothing was left in flight: the same connection downloads the file whole right after.
    result = await sftp.download(pool, target, str(remote_folder / "source.bin"), local)
    assert (result.size, result.sha256) == (size, digest)


@pytest.mark.asyncio
async def test_errors_name_the_path_and_the_reason(
    tmp_path: Path, pool: ConnectionPool, target: Target, remote_folder: Path
) -> None:
    with pytest.raises(transfers.TransferError, match=r"/no/such/file: no such file or folder"):
        await sftp.download(pool, target, "/no/such/file", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    local = tmp_path / "small.txt"
    local.write_text("x")
    with pytest.raises(transfers.TransferError, match=r"/root/forbidden.txt: permission denied"):
        await sftp.upload(pool, target, local, "/root/forbidden.txt")
    with pytest.raises(transfers.TransferError, match="Cannot read"):
        await sftp.upload(pool, target, tmp_path / "missing.txt", str(remote_folder / "m.txt"))


@pytest.mark.asyncio
async def test_folders_and_the_home_folder_are_taken_as_scp_takes_them(
    tmp_path: Path, pool: ConnectionPool, target: Target, remote_folder: Path, ssh_user: servers.SshUser
) -> None:
    local = tmp_path / "rapport.txt"
    digest = random_file(local, 1000)
    # Into a remote folder, named or ending with /, under the file's own name.
    for remote in (str(remote_folder), f"{remote_folder}/"):
        up = await sftp.upload(pool, target, local, remote)
        assert up.remote == f"{remote_folder}/rapport.txt" and up.sha256 == digest
    # ~ is the login folder, which the server does not expand itself.
    home = await sftp.upload(pool, target, local, "~/rapport-home.txt")
    assert home.remote == "rapport-home.txt"
    into = tmp_path / "into"
    into.mkdir()
    back = await sftp.download(pool, target, "~/rapport-home.txt", into)
    assert back.local == into / "rapport-home.txt" and back.sha256 == digest
    await sftp.download(pool, target, str(remote_folder / "rapport.txt"), into)
    assert (into / "rapport.txt").read_bytes() == local.read_bytes()
    # Folders themselves are not copied: said, not "Failure".
    with pytest.raises(transfers.TransferError, match="is a folder: give a file"):
        await sftp.download(pool, target, str(remote_folder), tmp_path / "x")
    with pytest.raises(transfers.TransferError, match="is a folder: give a file"):
        await sftp.upload(pool, target, into, str(remote_folder))
    assert not list(tmp_path.glob("x*"))
    home_file = Path(pwd.getpwnam(ssh_user.name).pw_dir) / "rapport-home.txt"
    home_file.unlink()
