"""The engine's quoting, checked where it matters: generated values go through a procedure's command template into a
real /bin/sh over SSH, in `printf %s {value}`, and must come out byte for byte."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportstation.procedures.files import parse
from supportstation.procedures.templates import render, resolve_parameters
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunState, Stream
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.targets import Target
from tests.servers import sshd as servers

PROCEDURE = parse("""\
id: test.echo
title: t
parameters:
  - {name: value, type: string, required: false}
steps:
  - id: echo
    run: {sh: 'printf %s {value}'}
""").procedure

# Any text but NUL (refused up front: no shell can carry it) and lone surrogates (not encodable as UTF-8).
VALUES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(
    ["'", "''", '"\'"', "$(id)", "`id`", "a\nb", "-n", "--", "\\", "*", "~", "${HOME}", "!!", "a b\tc", "é’‘"]
)


@pytest.fixture
def over_ssh(
    tmp_path: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> Iterator[tuple[asyncio.AbstractEventLoop, Runner, Target]]:
    loop = asyncio.new_event_loop()
    pool = ConnectionPool(HostKeyStore(servers.write_known_hosts(tmp_path / "known_hosts", sshd)))
    target = Target(host=sshd.host, port=sshd.port, user=ssh_user.name, identity_files=(ssh_user.key,))
    yield loop, Runner(pool), target
    loop.run_until_complete(pool.close())
    loop.close()


async def printed(runner: Runner, target: Target, command: str) -> bytes:
    handle = await runner.start(RunRequest(target, command, timeout=20))
    out = b"".join([chunk.data async for chunk in handle if chunk.stream is Stream.STDOUT])
    result = await handle.wait()
    assert result.state is RunState.SUCCEEDED, (command, result.error, result.stderr)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
def test_a_value_reaches_the_remote_command_byte_for_byte(over_ssh, value: str) -> None:  # type: ignore[no-untyped-def]
    loop, runner, target = over_ssh
    values = resolve_parameters(PROCEDURE, {"value": value})
    command = render(PROCEDURE.steps[0].run.commands()["sh"], "sh", values)
    assert loop.run_until_complete(printed(runner, target, command)) == value.encode("utf-8")
