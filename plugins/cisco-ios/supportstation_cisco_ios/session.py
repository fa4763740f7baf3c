"""A session to a Cisco IOS switch over SSH, driven by netmiko (`device_type="cisco_ios"`).

netmiko knows the IOS CLI: it finds the prompt, turns paging off (`terminal length 0`), enters enable and
configuration modes and waits for the prompt after each command. This module adds what SupportStation needs around
it:

- The host key: the engine has checked the switch's key and written the one the engineer accepted into
  `target.known_hosts`; the session trusts that file only (no system or user known_hosts, no agent, no key files)
  and refuses any other key, naming the fingerprint the switch offered.
- Commands: one line goes through `send_command`; several lines whose first one is `configure terminal` are a
  configuration, sent line by line through `send_config_set` up to a line `end`, checking for a cancel between lines
  and stopping at the first line IOS refuses. The exit code is 1 when IOS answered with an error line
  (`% Invalid input ...`), else 0.
- Cancel and dead sessions: netmiko blocks until the prompt comes back or its timeout ends, so each exchange runs in
  a helper thread while the caller's thread watches `cancelled` and the SSH channel. A cancel, or a channel that
  died, drops the session (`active` turns False): IOS has no reliable way to interrupt a command, and the engine
  opens a new session for the next one.
- Errors become DeviceError messages for the engineer, which never contain the password or the enable secret.
"""

from __future__ import annotations

import contextlib
import errno
import io
import re
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supportstation.plugin_api import (
    N_,
    DeviceConnectionLost,
    DeviceError,
    DeviceLoginRefused,
    DeviceTarget,
    translations,
)
from supportstation_cisco_ios.parsers import ios_error_line

if TYPE_CHECKING:
    from netmiko.base_connection import BaseConnection

DEVICE_TYPE = "cisco_ios"
CANCELLED = 130  # the exit code of a command stopped by a cancel, as a shell gives for Ctrl-C
_POLL_SECONDS = 0.05  # how often a waiting exchange looks at the cancel flag and the channel
_TAIL_BYTES = 4096  # how much of the session's latest output is kept to quote in error messages
_FALSE_WORDS = ("", "0", "false", "no", "off")
_MASK = "********"
_BARE_PROMPT = re.compile(r"[\w.-]+(?:\([\w-]+\))?[>#]")
_CONFIG_PROMPT = re.compile(r"\(config[^)\r\n]*\)#\s*$")  # "sw1(config)#", "sw1(config-if)#" at the end

_ = translations(__name__)
# What the switch did not show in time, and after what (besides a command it was sent): parts of the message of
# `_unexpected_prompt`, translated when it is made.
ANY_PROMPT = N_("a prompt ending in '>' or '#'")
ITS_PROMPT = N_("its prompt")
CONFIG_PROMPT = N_("the configuration prompt")
THE_LOGIN = N_("the login")


class _Tail(io.BufferedIOBase):
    """A write-only sink for netmiko's session log keeping only the end of what the switch sent, to quote its last
    line when a prompt does not come. netmiko masks the password and the secret in what it writes here."""

    def __init__(self) -> None:
        super().__init__()
        self._data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._data += chunk
        del self._data[:-_TAIL_BYTES]
        return len(chunk)

    def last_line(self) -> str:
        """The last line received that is not a bare prompt ("sw1>", which netmiko makes the switch repeat when it
        checks the mode), as the engineer would read it on a terminal."""
        text = self._data.decode("utf-8", errors="replace").replace("\r", "\n")
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        said = [line for line in lines if not _BARE_PROMPT.fullmatch(line)]
        return (said or lines or [""])[-1][:200]


def _wants_enable(target: DeviceTarget) -> bool:
    return bool(target.secret) or str(target.options.get("enable", "")).strip().lower() not in _FALSE_WORDS


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from or while handling: netmiko replaces paramiko's and the socket's
    exceptions with its own and keeps them only as the context."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _where(target: DeviceTarget) -> str:
    return f"{target.host}:{target.port}"


class _Scrubber:
    """Masks the target's secrets in any text shown to the engineer, in case a library put one in a message."""

    def __init__(self, target: DeviceTarget) -> None:
        self._secrets = [secret for secret in (target.password, target.secret) if secret]

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text


def _host_key_policy() -> Any:
    """paramiko's RejectPolicy, remembering the key it rejected so that the message can name its fingerprint."""
    import paramiko

    class RejectUnknownKey(paramiko.RejectPolicy):
        def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
            raise UnknownHostKey(hostname, key.get_name(), key.fingerprint)

    return RejectUnknownKey()


class UnknownHostKey(Exception):
    """The switch offered a key that the accepted known_hosts file does not hold for it."""

    def __init__(self, hostname: str, key_type: str, fingerprint: str) -> None:
        super().__init__(f"Server {hostname!r} not found in known_hosts")
        self.key_type = key_type
        self.fingerprint = fingerprint


def connect(target: DeviceTarget) -> IosSession:
    """An open session to the switch, in enable mode when a secret is given or the host's options ask for it."""
    if target.known_hosts is None or not target.known_hosts.is_file():
        raise DeviceError(
            _(
                "No SSH host key has been accepted for {where}: SupportStation connects to a switch only once its host"
                " key is known."
            ).format(where=_where(target))
        )
    if not target.password:
        raise DeviceError(
            _("No password is stored for {user!r} on {where}: switches are reached with a password.").format(
                user=target.user, where=_where(target)
            )
        )
    # Imported here rather than at the top: netmiko takes a third of a second to import, and plugins are imported
    # when SupportStation starts.
    from netmiko import ConnectHandler

    scrub = _Scrubber(target)
    tail = _Tail()
    connection = ConnectHandler(
        device_type=DEVICE_TYPE,
        host=target.host,
        port=target.port,
        username=target.user,
        password=target.password,
        secret=target.secret or "",
        # The engine checked the switch's identity: only the key the engineer accepted, in this file, is trusted.
        ssh_strict=True,
        system_host_keys=False,
        alt_host_keys=True,
        alt_key_file=str(target.known_hosts),
        # The password from the vault is the only credential: no key files, no agent, no ~/.ssh/config.
        use_keys=False,
        allow_agent=False,
        ssh_config_file=None,
        conn_timeout=target.timeout,
        auth_timeout=target.timeout,
        banner_timeout=target.timeout,
        session_log=tail,
        auto_connect=False,
    )
    # Still a RejectPolicy (what ssh_strict=True sets): this one also says which key it rejected.
    connection.key_policy = _host_key_policy()
    try:
        connection._open()  # what netmiko's own auto_connect calls, done here after the policy is set
    except Exception as error:
        _discard(connection)
        raise _connect_error(error, target, tail, scrub) from None
    if _wants_enable(target):
        try:
            connection.enable()
        except Exception as error:
            answer = tail.last_line()
            _discard(connection)
            if _lost(error):
                raise DeviceConnectionLost(
                    _("The switch at {where} closed the session during enable.").format(where=_where(target))
                ) from None
            if answer:
                message = _(
                    "The switch at {where} refused the enable secret (it answered: {answer!r}): check the enable"
                    " secret stored for this host."
                ).format(where=_where(target), answer=answer)
            else:
                message = _(
                    "The switch at {where} refused the enable secret: check the enable secret stored for this host."
                ).format(where=_where(target))
            raise DeviceLoginRefused(scrub(message)) from None
    return IosSession(connection, target, tail)


def _discard(connection: BaseConnection) -> None:
    """Closes a connection that failed half-way, without waiting on a switch that may not answer."""
    # Either may fail on a connection that broke half-way: what is left is closed all the same.
    with contextlib.suppress(Exception):
        connection.paramiko_cleanup()
    with contextlib.suppress(Exception):
        connection.disconnect()  # also removes netmiko's log filter for this connection's secrets


def _lost(error: BaseException) -> bool:
    return any(isinstance(item, EOFError | ConnectionResetError | BrokenPipeError) for item in _chain(error))


def _connect_error(error: Exception, target: DeviceTarget, tail: _Tail, scrub: _Scrubber) -> DeviceError:
    import paramiko
    from netmiko.exceptions import ReadTimeout

    where = _where(target)
    chain = _chain(error)
    for item in chain:
        if isinstance(item, UnknownHostKey):
            return DeviceError(
                _(
                    "The switch at {where} offered the SSH host key {fingerprint} ({key_type}), which is not the key"
                    " accepted for it: connection refused. If the switch was replaced or reset, check that with the"
                    " customer before accepting the new key."
                ).format(where=where, fingerprint=item.fingerprint, key_type=item.key_type)
            )
        if isinstance(item, paramiko.BadHostKeyException):
            return DeviceError(
                _(
                    "The switch at {where} offered the SSH host key {offered}, not the accepted one ({accepted}):"
                    " connection refused. The switch may have been replaced or reset, or someone may be intercepting"
                    " the connection: check with the customer before accepting the new key."
                ).format(where=where, offered=item.key.fingerprint, accepted=item.expected_key.fingerprint)
            )
    # paramiko tries each address of the host and reports their errors together: each one says more than the sum.
    chain = [
        reason
        for item in chain
        for reason in (
            list(item.errors.values()) if isinstance(item, paramiko.ssh_exception.NoValidConnectionsError) else [item]
        )
    ]
    for item in chain:
        if isinstance(item, paramiko.AuthenticationException):
            return DeviceLoginRefused(
                _(
                    "The switch at {where} refused the login of {user!r}: wrong user name or password, or the account"
                    " may not log in over SSH."
                ).format(where=where, user=target.user)
            )
        if isinstance(item, ConnectionRefusedError) or getattr(item, "errno", None) == errno.ECONNREFUSED:
            return DeviceError(
                _(
                    "{where} refused the connection: no SSH server listens there (wrong port, or SSH is not enabled on"
                    " the switch)."
                ).format(where=where)
            )
        if isinstance(item, socket.gaierror):
            return DeviceError(_("The name {host!r} could not be resolved to an address.").format(host=target.host))
        if isinstance(item, TimeoutError):
            return DeviceError(
                _(
                    "{where} did not answer within {timeout:g} s: wrong address, switch down, or a firewall in the way."
                ).format(where=where, timeout=target.timeout)
            )
        if isinstance(item, ReadTimeout | ValueError):
            # netmiko found no IOS prompt after the login: a banner waiting for a key, a menu, or not an IOS device.
            return DeviceError(scrub(_unexpected_prompt(ANY_PROMPT, target, tail, _(THE_LOGIN))))
        if isinstance(item, OSError) and item.strerror:
            return DeviceError(_("Could not reach {where}: {reason}.").format(where=where, reason=item.strerror))
    message = _("Could not open an SSH session to {where}: {kind}: {error}").format(
        where=where, kind=type(error).__name__, error=error
    )
    return DeviceError(scrub(message.strip()))


def _unexpected_prompt(expected: str, target: DeviceTarget, tail: _Tail, after: str) -> str:
    """`expected` is marked with N_ and translated here; `after` is already translated, or a command as sent."""
    last = tail.last_line()
    if last:
        message = _(
            "The switch at {where} did not show {expected} within {timeout:g} s after {after}: the last line it sent"
            " was {last!r}."
        )
    else:
        message = _(
            "The switch at {where} did not show {expected} within {timeout:g} s after {after}: it sent nothing."
        )
    return message.format(where=_where(target), expected=_(expected), timeout=target.timeout, after=after, last=last)


def is_configure_terminal(line: str) -> bool:
    """Whether the line is `configure terminal`, in any of the abbreviations IOS accepts (`conf t`)."""
    words = line.lower().split()
    return (
        len(words) == 2 and len(words[0]) >= 4 and "configure".startswith(words[0]) and "terminal".startswith(words[1])
    )


class IosSession:
    """An open SSH session to one switch (the DeviceSession of the cisco-ios transport)."""

    def __init__(self, connection: BaseConnection, target: DeviceTarget, tail: _Tail) -> None:
        self._connection = connection
        self._target = target
        self._tail = tail
        self._scrub = _Scrubber(target)
        self._closed = False

    @property
    def active(self) -> bool:
        if self._closed:
            return False
        channel = self._connection.remote_conn
        transport = getattr(channel, "transport", None)
        return bool(channel is not None and not channel.closed and transport is not None and transport.is_active())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.active:
            try:
                self._connection.disconnect()  # leaves configuration mode and says `exit`
                return
            except Exception:  # a switch that stops answering while being closed: drop the session instead
                pass
        _discard(self._connection)

    def run(self, command: str, output: Callable[[bytes], None], cancelled: threading.Event) -> int:
        if not self.active:
            raise DeviceConnectionLost(_("The SSH session to {where} is closed.").format(where=_where(self._target)))
        # IOS ignores indentation (configurations are often pasted indented), and blank lines would only repeat the
        # prompt.
        lines = [line.strip() for line in command.splitlines() if line.strip()]
        if not lines:
            return 0
        if is_configure_terminal(lines[0]):
            return self._configure(lines[1:], output, cancelled)
        for line in lines:
            # Several exec commands run one after the other, like pasted into a terminal; the first one IOS refuses
            # stops them, since the next ones may depend on it.
            if cancelled.is_set():
                return CANCELLED
            text = self._exchange(
                lambda line=line: self._connection.send_command(line, read_timeout=self._target.timeout),
                cancelled,
                expected=ITS_PROMPT,
                after=repr(line),
            )
            if text is None:
                return CANCELLED
            _emit(output, str(text))
            if ios_error_line(str(text)):
                return 1
        return 0

    def _configure(self, body: list[str], output: Callable[[bytes], None], cancelled: threading.Event) -> int:
        lines = []
        for number, line in enumerate(body):
            if line.lower() == "end":
                if body[number + 1 :]:
                    raise DeviceError(
                        _(
                            "The configuration goes on after 'end': nothing was sent. Run commands that follow the"
                            " configuration on their own."
                        )
                    )
                break
            lines.append(line)
        connection = self._connection
        # Sent like any command rather than with netmiko's config_mode, which raises without the switch's answer
        # when IOS refuses (in user EXEC, `configure terminal` is "% Invalid input"): this way the answer is shown.
        any_prompt = re.escape(connection.base_prompt) + r"[^\r\n]*[>#]"
        text = self._exchange(
            lambda: connection.send_command(
                "configure terminal",
                expect_string=any_prompt,
                read_timeout=self._target.timeout,
                strip_prompt=False,
                strip_command=False,
            ),
            cancelled,
            expected=CONFIG_PROMPT,
            after="'configure terminal'",
        )
        if text is None:
            return CANCELLED
        if ios_error_line(text) or not _CONFIG_PROMPT.search(text):
            _emit(output, text)
            return 1
        _emit(output, text, end_line=False)
        code = 0
        for line in lines:
            if cancelled.is_set():
                code = CANCELLED
                break
            text = self._exchange(
                lambda line=line: connection.send_config_set(
                    [line],
                    enter_config_mode=False,
                    exit_config_mode=False,
                    read_timeout=self._target.timeout,
                    strip_prompt=False,
                    strip_command=False,
                ),
                cancelled,
                expected=CONFIG_PROMPT,
                after=repr(line),
            )
            if text is None:
                return CANCELLED
            _emit(output, text, end_line=False)
            if ios_error_line(text):
                # The lines after a refused one would apply in the wrong mode (an `interface` that failed leaves its
                # settings to the global configuration): stop, as the engineer would.
                code = 1
                break
        # `end` even after a cancel or a refused line, so that the session is back at the exec prompt. A cancel that
        # came between lines must not stop this too: the flag stays set, so the wait ignores it.
        watched = threading.Event() if code == CANCELLED else cancelled
        text = self._exchange(connection.exit_config_mode, watched, expected=ITS_PROMPT, after="'end'")
        if text is None:
            return CANCELLED
        _emit(output, text)
        return code

    def _exchange(
        self, call: Callable[[], Any], cancelled: threading.Event, *, expected: str, after: str
    ) -> Any | None:
        """What `call` returned, run in a helper thread while this one watches for a cancel (then None) and for a
        channel that died (then DeviceConnectionLost)."""
        result: list[Any] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def work() -> None:
            try:
                result.append(call())
            except BaseException as error:  # handed to the caller's thread, which decides
                failure.append(error)
            finally:
                done.set()

        worker = threading.Thread(target=work, name="cisco-ios-exchange", daemon=True)
        worker.start()
        while not done.wait(_POLL_SECONDS):
            if cancelled.is_set():
                self._drop()
                return None
            if not self.active:
                self._drop()
                raise DeviceConnectionLost(_ended_during(self._target, after))
        if not failure:
            return result[0]
        error = failure[0]
        from netmiko.exceptions import ReadException, ReadTimeout

        if not self.active or _lost(error) or (isinstance(error, ReadException) and not isinstance(error, ReadTimeout)):
            self._drop()
            raise DeviceConnectionLost(_ended_during(self._target, after)) from None
        if isinstance(error, ReadTimeout | ValueError):
            # The switch waits for something else (a [confirm], a file name) or is still busy: its state is
            # unknown, so the session is dropped and the next command gets a fresh one.
            message = _unexpected_prompt(expected, self._target, self._tail, after)
            self._drop()
            raise DeviceError(self._scrub(message)) from None
        self._drop()
        message = _("{after} failed on {where}: {kind}: {error}").format(
            after=after, where=_where(self._target), kind=type(error).__name__, error=error
        )
        raise DeviceError(self._scrub(message))

    def _drop(self) -> None:
        """Ends the session at once, without a word to the switch."""
        self._closed = True
        # A netmiko read loop spins on a closed paramiko channel until its timeout; without a channel, its next
        # read fails, so a helper thread left in one ends now.
        channel = getattr(self._connection, "channel", None)
        if channel is not None:
            channel.remote_conn = None
        _discard(self._connection)


def _ended_during(target: DeviceTarget, after: str) -> str:
    return _(
        "The SSH session to {where} ended during {after}: the switch closed it, reloaded, or the network dropped."
    ).format(where=_where(target), after=after)


def _emit(output: Callable[[bytes], None], text: str, *, end_line: bool = True) -> None:
    """Passes the text on as UTF-8. `end_line` ends it with a newline, so that the outputs of several commands do not
    run together; the pieces of a configuration go as they come (a prompt, then the echo of the next line)."""
    if end_line and text and not text.endswith("\n"):
        text += "\n"
    if text:
        output(text.encode("utf-8"))
