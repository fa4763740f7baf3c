"""Files with a Windows host over WinRM, against the simulator (no Windows host can run here): the client's side of the
transfer protocol, with real pywinrm Sends and Receives over HTTPS and sealed HTTP. The PowerShell scripts themselves
are carried out by the simulator's stand-in (simulators/winrm_simulator/files.py), not by PowerShell."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from supportstation.remote import transfers
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.powershell import decoded_script
from supportstation.remote.results import ConnectError
from supportstation.remote.targets import Credentials, Target, parse_target
from supportstation.remote.winrm_files import CHUNK, SIZE_LIMIT, upload_script

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, WinRMSimulator

from tests.integration.conftest import sha256_of

USER, PASSWORD = "tech", "Secr3t!"


@pytest.fixture
def drives(tmp_path: Path) -> Path:
    root = tmp_path / "drives"
    (root / "C" / "Users" / USER).mkdir(parents=True)
    (root / "C" / "Temp").mkdir()
    return root


@pytest.fixture
def simulator(certs: CertPair, drives: Path) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users={USER: PASSWORD}, https=certs, files_root=drives) as simulator:
        yield simulator


@pytest.fixture
def target(simulator: WinRMSimulator, certs: CertPair) -> Target:
    parsed = parse_target(f"winrm+https://{USER}@127.0.0.1:{simulator.port}")
    assert parsed.winrm is not None
    return dataclasses.replace(parsed, winrm=dataclasses.replace(parsed.winrm, cert_fingerprint=sha256_of(certs)))


@pytest_asyncio.fixture
async def pool(tmp_path: Path) -> AsyncIterator[ConnectionPool]:
    pool = ConnectionPool(
        HostKeyStore(tmp_path / "known_hosts"), credentials=lambda _target: Credentials(password=PASSWORD)
    )
    yield pool
    await pool.close()


def payload(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


@pytest.mark.asyncio
async def test_a_file_goes_up_and_comes_back_byte_for_byte(tmp_path, simulator, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "driver setup.exe"
    data = payload(local, 3 * CHUNK + 1234)  # several Sends, the last one short
    seen: list[tuple[int, int]] = []

    up = await transfers.upload(
        pool, target, local, r"C:\Temp\driver setup.exe", progress=lambda d, t: seen.append((d, t))
    )

    stored = drives / "C" / "Temp" / "driver setup.exe"
    assert stored.read_bytes() == data
    assert not (drives / "C" / "Temp" / "driver setup.exe.part").exists()
    assert up.size == len(data) and up.sha256 == hashlib.sha256(data).hexdigest()
    assert up.direction == "upload" and up.host_key_fingerprint  # the certificate the transfer went through
    assert [done for done, _total in seen] == [CHUNK, 2 * CHUNK, 3 * CHUNK, len(data)]
    assert {total for _done, total in seen} == {len(data)}

    back = tmp_path / "back.exe"
    seen.clear()
    down = await transfers.download(
        pool, target, r"C:\Temp\driver setup.exe", back, progress=lambda d, t: seen.append((d, t))
    )
    assert back.read_bytes() == data and down.sha256 == up.sha256 and down.size == len(data)
    assert seen[-1] == (len(data), len(data)) and len(seen) == 4
    assert not back.with_name("back.exe.partial").exists()
    assert simulator.open_shells == 0  # every script's shell was deleted


@pytest.mark.asyncio
async def test_paths_with_quotes_and_relative_names_reach_the_right_file(
    tmp_path, simulator, drives, target, pool
) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "notes.txt"
    payload(local, 100)
    # A quote that would close a PowerShell string, and a $ that would expand in a double-quoted one.
    await transfers.upload(pool, target, local, "C:\\Temp\\l'été $HOME ‘x’.txt")
    assert (drives / "C" / "Temp" / "l'été $HOME ‘x’.txt").read_bytes() == local.read_bytes()
    # A relative path is the login's home folder, as in a PowerShell session.
    await transfers.upload(pool, target, local, "relative.txt")
    assert (drives / "C" / "Users" / USER / "relative.txt").exists()


@pytest.mark.asyncio
async def test_the_listing_shows_folders_first_with_sizes_dates_and_the_parent(tmp_path, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    home = drives / "C" / "Users" / USER
    (home / "Documents").mkdir()
    (home / "report.pdf").write_bytes(b"x" * 2048)
    (home / ".hidden").write_text("h")

    folder = await transfers.list_remote(pool, target)  # "" is the home folder

    assert folder.path == f"C:\\Users\\{USER}" and folder.parent == "C:\\Users" and folder.windows
    assert [entry.name for entry in folder.entries] == ["Documents", ".hidden", "report.pdf"]
    documents, hidden, report = folder.entries
    assert documents.is_dir and documents.path == f"C:\\Users\\{USER}\\Documents"
    assert report.size == 2048 and report.modified is not None and not report.is_dir
    assert hidden.hidden and not report.hidden
    assert folder.child("new.txt") == f"C:\\Users\\{USER}\\new.txt"

    top = await transfers.list_remote(pool, target, "C:\\")
    assert top.path == "C:\\" and top.parent is None
    assert {entry.name for entry in top.entries} == {"Temp", "Users"}

    with pytest.raises(transfers.TransferError, match=r"C:\\Nowhere.*does not exist"):
        await transfers.list_remote(pool, target, "C:\\Nowhere")


@pytest.mark.asyncio
async def test_a_cancelled_upload_leaves_nothing_on_the_host(tmp_path, simulator, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "big.bin"
    payload(local, 20 * CHUNK)
    cancel = threading.Event()

    def halfway(done: int, total: int) -> None:
        if done >= total // 2:
            cancel.set()

    with pytest.raises(transfers.TransferCancelled):
        await transfers.upload(pool, target, local, r"C:\Temp\big.bin", progress=halfway, cancel=cancel)
    assert list((drives / "C" / "Temp").iterdir()) == []  # neither the file nor its .part
    assert simulator.open_shells == 0


@pytest.mark.asyncio
async def test_a_cancelled_download_leaves_no_partial_file(tmp_path, simulator, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    payload(drives / "C" / "Temp" / "big.bin", 20 * CHUNK)
    simulator.files.chunk_delay = 0.05  # type: ignore[union-attr]
    cancel = threading.Event()

    def soon(done: int, _total: int) -> None:
        if done >= 2 * CHUNK:
            cancel.set()

    local = tmp_path / "big.bin"
    with pytest.raises(transfers.TransferCancelled):
        await transfers.download(pool, target, r"C:\Temp\big.bin", local, progress=soon, cancel=cancel)
    assert list(tmp_path.glob("big.bin*")) == []
    # The connection is still good for the next transfer.
    simulator.files.chunk_delay = 0  # type: ignore[union-attr]
    result = await transfers.download(pool, target, r"C:\Temp\big.bin", local)
    assert result.size == 20 * CHUNK


@pytest.mark.asyncio
async def test_a_damaged_upload_is_refused_by_the_host_and_nothing_is_kept(
    tmp_path, simulator, drives, target, pool
) -> None:  # type: ignore[no-untyped-def]
    (drives / "C" / "Temp" / "config.ini").write_text("the old one")
    local = tmp_path / "config.ini"
    payload(local, CHUNK + 10)
    simulator.files.corrupt_uploads = 1  # type: ignore[union-attr]

    with pytest.raises(transfers.TransferError, match=r"not what was sent.*kept nothing"):
        await transfers.upload(pool, target, local, r"C:\Temp\config.ini")
    assert (drives / "C" / "Temp" / "config.ini").read_text() == "the old one"  # the file there is untouched
    assert not (drives / "C" / "Temp" / "config.ini.part").exists()


@pytest.mark.asyncio
async def test_errors_name_the_host_the_path_and_the_reason(tmp_path, target, pool) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "x.txt"
    local.write_text("x")
    with pytest.raises(transfers.TransferError, match=r"127\.0\.0\.1.*C:\\NoSuchFolder\\x\.txt.*Could not find a part"):
        await transfers.upload(pool, target, local, r"C:\NoSuchFolder\x.txt")
    with pytest.raises(transfers.TransferError, match=r"C:\\Temp\\missing\.log.*Could not find file"):
        await transfers.download(pool, target, r"C:\Temp\missing.log", tmp_path / "missing.log")
    assert not (tmp_path / "missing.log").exists() and not (tmp_path / "missing.log.partial").exists()
    with pytest.raises(transfers.TransferError, match=r"Cannot read"):
        await transfers.upload(pool, target, tmp_path / "absent.txt", r"C:\Temp\absent.txt")


@pytest.mark.asyncio
async def test_files_over_the_limit_are_refused_with_the_reason(tmp_path, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "disk.img"
    with local.open("wb") as sparse:
        sparse.truncate(SIZE_LIMIT + 1)
    with pytest.raises(transfers.TransferError, match=r"limited to 50 MB.*SMB"):
        await transfers.upload(pool, target, local, r"C:\Temp\disk.img")
    with (drives / "C" / "Temp" / "disk.img").open("wb") as sparse:
        sparse.truncate(SIZE_LIMIT + 1)
    with pytest.raises(transfers.TransferError, match=r"limited to 50 MB"):
        await transfers.download(pool, target, r"C:\Temp\disk.img", tmp_path / "disk-back.img")


@pytest.mark.asyncio
async def test_a_host_lost_mid_transfer_is_a_connection_error(tmp_path, simulator, drives, target, pool) -> None:  # type: ignore[no-untyped-def]
    payload(drives / "C" / "Temp" / "log.evtx", 4 * CHUNK)
    simulator.faults.drop_receives = 5
    with pytest.raises(ConnectError, match="connection failed or was lost"):
        await transfers.download(pool, target, r"C:\Temp\log.evtx", tmp_path / "log.evtx")
    assert list(tmp_path.glob("log.evtx*")) == []


@pytest.mark.asyncio
async def test_sealed_http_carries_files_too(tmp_path, drives) -> None:  # type: ignore[no-untyped-def]
    with WinRMSimulator(users={USER: PASSWORD}, auth=("ntlm",), files_root=drives) as simulator:
        target = parse_target(f"winrm+http://{USER}@127.0.0.1:{simulator.port}")
        pool = ConnectionPool(
            HostKeyStore(tmp_path / "known_hosts"), credentials=lambda _target: Credentials(password=PASSWORD)
        )
        local = tmp_path / "script.ps1"
        data = payload(local, CHUNK // 2)
        try:
            await transfers.upload(pool, target, local, r"C:\Temp\script.ps1")
        finally:
            await pool.close()
        assert (drives / "C" / "Temp" / "script.ps1").read_bytes() == data
        assert simulator.encrypted_messages > 0


def test_the_upload_script_quotes_the_path_for_powershell() -> None:
    script = upload_script("C:\\a'b\u2019c $env:x.txt", 10, "ab" * 32)
    assert "$path = 'C:\\a''b\u2019\u2019c $env:x.txt'" in script
    assert "$size = 10" in script
    # It travels as -EncodedCommand, whole, and fits on cmd.exe's command line.
    from supportstation.remote.powershell import encoded_command

    line = encoded_command(script)
    assert decoded_script(line).endswith(script) and len(line) < 8191


def test_the_cli_copies_files_both_ways_and_records_them_on_the_ticket(tmp_path, simulator, drives, certs) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_remote_cli import TICKET, supportstation, timeline
    from tests.servers.sshd import TEST_PASSWORD  # the password the CLI is given in LOGIN_PASSWORD

    simulator.users[USER] = TEST_PASSWORD  # Basic reads the table as it is; the CLI logs in with Basic here
    target = [f"winrm+https://{USER}@127.0.0.1:{simulator.port}", "--auth", "basic"]
    options = ["--password-env", "LOGIN_PASSWORD", "--cert-fingerprint", sha256_of(certs), "--ticket", TICKET]
    local = tmp_path / "fix.ps1"
    data = payload(local, 5000)

    up = supportstation(tmp_path, "files", "upload", *target, str(local), r"C:\Temp\fix.ps1", *options, "--json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["sha256"] == hashlib.sha256(data).hexdigest()
    assert (drives / "C" / "Temp" / "fix.ps1").read_bytes() == data

    down = supportstation(
        tmp_path, "files", "download", *target, r"C:\Temp\fix.ps1", str(tmp_path / "back.ps1"), *options, "--attach"
    )
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "back.ps1").read_bytes() == data
    missing = supportstation(tmp_path, "files", "download", *target, r"C:\Temp\none.txt", str(tmp_path / "n"), *options)
    assert missing.returncode == 1 and "Could not find file" in missing.stderr
    assert TEST_PASSWORD not in up.stdout + up.stderr + down.stdout + down.stderr + missing.stderr

    events = timeline(tmp_path)
    summaries = [str(event["summary"]) for event in events if event["kind"] == "file_transfer"]
    assert len(summaries) == 2, summaries
    assert summaries[0].startswith("Uploaded fix.ps1") and r"C:\Temp\fix.ps1" in summaries[0]
    assert summaries[1].startswith("Downloaded") and "back.ps1" in summaries[1]
    assert any(event["kind"] == "attachment" for event in events)
