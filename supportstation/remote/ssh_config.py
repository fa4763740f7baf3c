"""The user's OpenSSH client configuration (~/.ssh/config): what `ssh ALIAS` would use to reach a host.

    host = lookup("web")            # SshConfigHost(alias='web', hostname='web.example.com', port=2222, ...)
    aliases = list_aliases()        # ['web', 'db', ...]: the concrete Host names, for an inventory import

paramiko's SSHConfig decides which Host and Match blocks apply and keeps the first value obtained, as ssh does. The
reference for everything else is what `ssh -G` prints (OpenSSH 9.2); this module does what paramiko does not, or does
differently:

- Include: paramiko ignores it, so the included files are inlined here where the Include stands;
- lines are split as ssh splits them (quotes, backslashes, trailing `# comments`), errors name the file and line, and
  Port and ProxyJump are checked when read, even in blocks that do not apply, as ssh checks them;
- tokens (%h %p %r %u %d %C %L %l %n %k %i %%, ${VAR}, a leading ~) are expanded here: paramiko knows fewer (no %p or
  %% in IdentityFile), computes %C differently, replaces ~ anywhere in a path, resolves %l through DNS even when no
  value uses it, and expands ProxyJump, which ssh 9.2 does not;
- `Match exec` is never run (see _MatchOnly), nor any Match criterion paramiko does not know, which it would count as
  matching: a lookup that reaches one fails with a message that says so.

Known differences from ssh: CanonicalizeHostname is not applied (no DNS lookup here; `Match canonical` never applies);
`Match originalhost` compares the alias as typed with the lowercased pattern, where ssh lowercases both; unknown
keywords are ignored where ssh refuses the file; a UTF-8 byte order mark is accepted; on Windows, paramiko matches
host patterns without regard to case.
"""

from __future__ import annotations

import codecs
import getpass
import glob
import hashlib
import os
import re
import shlex
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from paramiko import SSHConfig
from paramiko.config import SSHConfigDict
from paramiko.ssh_exception import ConfigParseError

from supportstation.i18n import _

DEFAULT_PORT = 22
MAX_INCLUDE_DEPTH = 16  # OpenSSH's READCONF_MAX_DEPTH

# The options that make an SshConfigHost (ProxyCommand and HostKeyAlias for ProxyJump and %k); the others are checked
# for syntax only and not given to paramiko, so that none of its other behaviours (canonicalization...) comes in.
_SINGLE_VALUED = ("hostname", "port", "user", "identityfile", "proxyjump", "hostkeyalias")
_PASSED_ON = (*_SINGLE_VALUED, "proxycommand")

# Match criteria paramiko evaluates; those without a parameter; those whose answer does not depend on where in the
# file they are evaluated (the others read the HostName or User obtained so far).
_EVALUABLE = frozenset({"all", "canonical", "final", "host", "originalhost", "user", "localuser"})
_WITHOUT_PARAMETER = frozenset({"all", "canonical", "final"})
_STATIC = frozenset({"all", "canonical", "final", "originalhost", "localuser"})
# What paramiko sees instead of `exec` and of criteria it does not know: a type it has no code for, so that it could
# never run anything even if _MatchOnly's hook were bypassed; the parameter is an index into _Expansion.unevaluable.
_UNEVALUABLE = "supportstation-unevaluable"

_PERCENT = re.compile(r"%(.?)", re.DOTALL)
_PERCENT_OR_VARIABLE = re.compile(r"%(.?)|\$\{([^}]*)(\}?)", re.DOTALL)
_PORT = re.compile(r"\+?[0-9]+", re.ASCII)
_KEYWORD_AND_REST = re.compile(r"([^ \t=]+)(?:[ \t]*=[ \t]*|[ \t]+|$)(.*)", re.DOTALL)
_KEYWORD = re.compile(r"\w+", re.ASCII)

# Both hooks of _MatchOnly are private to paramiko (unchanged from 2.7 to 5.x): fail loudly if they are gone, rather
# than silently expanding tokens twice and evaluating Match host against an unexpanded HostName.
if not all(callable(getattr(SSHConfig, name, None)) for name in ("_does_match", "_expand_variables")):
    raise ImportError("paramiko.SSHConfig no longer has _does_match/_expand_variables: review ssh_config.py")


class SshConfigError(ValueError):
    """The SSH configuration cannot be used; the message, for the user, names the file and line when known."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class SshConfigHost:
    alias: str  # what the user typed
    hostname: str  # HostName with its tokens expanded, lowercased as ssh does; the alias when none applies
    port: int
    user: str | None  # None when the configuration does not say: the caller uses the local user
    identity_files: tuple[Path, ...]  # only those the configuration lists, expanded; not ssh's defaults
    proxy_jump: tuple[str, ...]  # the ProxyJump hops in order, as written ("user@jump:2222"); () for none


def lookup(alias: str, config_path: Path | None = None) -> SshConfigHost:
    """What ssh would use for `ssh ALIAS`. Without config_path, ~/.ssh/config, and no configuration if it is missing."""
    expansion = _load(config_path)
    options = _MatchOnly(expansion, alias).lookup(alias)
    return _effective_host(alias, options, expansion)


def list_aliases(config_path: Path | None = None) -> list[str]:
    """The concrete names of the Host lines (no wildcards or negations), in file order, included files inline."""
    return list(dict.fromkeys(_load(config_path).aliases))


# -- reading: files, lines, Include ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    path: Path
    line: int


def _error(problem: str, origin: _Origin | None = None, path: Path | None = None) -> SshConfigError:
    if origin is not None:
        message = _("{file}, line {line}: {problem}").format(file=origin.path, line=origin.line, problem=problem)
        return SshConfigError(message, origin.path, origin.line)
    return SshConfigError(_("{file}: {problem}").format(file=path, problem=problem), path)


@dataclass(frozen=True)
class _Criterion:
    kind: str
    parameter: str | None = None
    negated: bool = False

    def tokens(self) -> list[str]:
        word = f"!{self.kind}" if self.negated else self.kind
        return [word] if self.parameter is None else [word, self.parameter]


@dataclass(frozen=True)
class _Block:
    """A Host or Match block as given to paramiko: how to reopen it, and what must hold for it to apply."""

    header: str
    condition: tuple[_Criterion, ...] = ()

    @property
    def static(self) -> bool:
        return all(criterion.kind in _STATIC for criterion in self.condition)


_TOP = _Block("Host *")


@dataclass
class _Expansion:
    """The configuration with its Includes inlined, as lines for paramiko, and where each value came from."""

    lines: list[str] = field(default_factory=list)
    values: list[tuple[str, str, _Origin]] = field(default_factory=list)
    unevaluable: list[tuple[str, _Origin]] = field(default_factory=list)  # Match criteria, as written
    aliases: list[str] = field(default_factory=list)
    headers: int = 0
    final_pass: bool = False  # ssh reads the file a second time only when some Match line says `final`
    main: Path | None = None

    def read_file(self, path: Path, outer: _Block, depth: int, *, check_permissions: bool) -> None:
        block = outer
        for number, text in enumerate(_read_lines(path, check_permissions=check_permissions), start=1):
            origin = _Origin(path, number)
            parsed = _split_line(text, origin)
            if parsed is None:
                continue
            keyword, arguments = parsed
            if keyword == "host":
                block = self._host_block(arguments, outer)
            elif keyword == "match":
                block = self._match_block(arguments, outer, origin)
            elif keyword == "include":
                self._include(arguments, block, depth, origin)
            elif keyword in _PASSED_ON:
                self._value(keyword, arguments, origin)

    def locate(self, keyword: str, value: str) -> _Origin | None:
        """The first line that gives this value: paramiko merges the blocks and does not say."""
        return next((origin for key, given, origin in self.values if (key, given) == (keyword, value)), None)

    def _open(self, header: str, condition: tuple[_Criterion, ...]) -> _Block:
        self.lines.append(header)
        self.headers += 1
        return _Block(header, condition)

    def _host_block(self, patterns: list[str], outer: _Block) -> _Block:
        literal = [_fnmatch_literal(pattern) for pattern in patterns]
        own = () if patterns == ["*"] else (_Criterion("originalhost", ",".join(literal)),)
        if not outer.condition:
            self.aliases.extend(pattern for pattern in patterns if not set("*?!") & set(pattern))
            return self._open("Host " + " ".join(shlex.quote(pattern) for pattern in literal), own)
        # Included from inside another block: ssh applies this block only when the enclosing one applies too.
        condition = (*outer.condition, *own)
        return self._open(_match_header(condition), condition)

    def _match_block(self, arguments: list[str], outer: _Block, origin: _Origin) -> _Block:
        own = self._criteria(arguments, origin)
        _check_match(own, origin)
        if not outer.condition:
            return self._open(_match_header(own), tuple(c for c in own if c.kind != "all"))
        condition = (*outer.condition, *(c for c in own if c.kind != "all"))
        return self._open(_match_header(condition), condition)

    def _criteria(self, arguments: list[str], origin: _Origin) -> tuple[_Criterion, ...]:
        criteria = []
        words = iter(arguments)
        for word in words:
            negated = word.startswith("!")
            kind = word.removeprefix("!").lower()
            self.final_pass = self.final_pass or kind == "final"
            if kind in _WITHOUT_PARAMETER:
                criteria.append(_Criterion(kind, None, negated))
                continue
            parameter = next(words, None)
            if parameter is None:
                raise _error(_("'Match {criterion}' needs a value").format(criterion=kind), origin)
            if kind in _EVALUABLE:
                if kind in ("host", "originalhost"):
                    parameter = parameter.lower()  # ssh compares host names without regard to case
                criteria.append(_Criterion(kind, _fnmatch_literal(parameter), negated))
            else:
                self.unevaluable.append((shlex.join([word, parameter]), origin))
                criteria.append(_Criterion(_UNEVALUABLE, str(len(self.unevaluable) - 1)))
        return tuple(criteria)

    def _include(self, patterns: list[str], block: _Block, depth: int, origin: _Origin) -> None:
        if depth >= MAX_INCLUDE_DEPTH:
            raise _error(_("too many nested Include lines (more than {count})").format(count=MAX_INCLUDE_DEPTH), origin)
        for pattern in patterns:
            for path in _include_paths(pattern):
                headers = self.headers
                self.read_file(path, block, depth + 1, check_permissions=True)
                if self.headers == headers:
                    continue
                if not block.static:
                    # Reopening this block would evaluate its Match again, later, on other values: not what ssh does.
                    problem = _(
                        "an Include inside a 'Match host' or 'Match user' block brings in Host or Match blocks: "
                        "SupportStation does not support this"
                    )
                    raise _error(problem, origin)
                # ssh goes back to the enclosing block after each included file; paramiko needs to be told.
                self._open(block.header, block.condition)

    def _value(self, keyword: str, arguments: list[str], origin: _Origin) -> None:
        value = " ".join(arguments) if keyword == "proxycommand" else _single_value(keyword, arguments, origin)
        # Quoted, so that paramiko takes the value exactly as ssh split it (it removes one pair of quotes).
        self.lines.append(f'{keyword} "{value}"')
        self.values.append((keyword, value, origin))


def _load(config_path: Path | None) -> _Expansion:
    expansion = _Expansion()
    if config_path is None:
        path = Path.home() / ".ssh" / "config"
        if not path.exists() and not path.is_symlink():
            return expansion  # ssh without a user configuration
        check_permissions = True  # ssh refuses a ~/.ssh/config that others can change
    else:
        path, check_permissions = Path(config_path), False  # as `ssh -F`
    expansion.main = path
    expansion.read_file(path, _TOP, 0, check_permissions=check_permissions)
    return expansion


def _read_lines(path: Path, *, check_permissions: bool) -> list[str]:
    try:
        data = path.read_bytes()
        if check_permissions and os.name == "posix":
            _check_permissions(path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise _error(_("cannot read this SSH configuration: {reason}").format(reason=reason), path=path) from error
    data = data.removeprefix(codecs.BOM_UTF8)  # Windows editors add one; ssh would stop at it, nothing is lost here
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        origin = _Origin(path, data.count(b"\n", 0, error.start) + 1)
        raise _error(_("the text is not UTF-8"), origin) from error
    return text.split("\n")


def _check_permissions(path: Path) -> None:
    """ssh's secure_permissions: another user could otherwise redirect connections through this file."""
    status = path.stat()
    if status.st_uid not in (0, os.getuid()) or status.st_mode & 0o022:
        raise _error(_("bad owner or permissions: other users can change this file, so ssh refuses it too"), path=path)


def _include_paths(pattern: str) -> list[Path]:
    """The files an Include pattern names, as ssh finds them: relative to ~/.ssh, globbed and sorted."""
    if pattern.startswith("~"):
        pattern = os.path.expanduser(pattern)
    elif not os.path.isabs(pattern):
        pattern = str(Path.home() / ".ssh" / pattern)
    # A pattern that matches nothing is no error, and ssh reads nothing from a folder.
    return [Path(match) for match in sorted(glob.glob(pattern)) if not os.path.isdir(match)]


def _split_line(text: str, origin: _Origin) -> tuple[str, list[str]] | None:
    """(keyword, arguments) as ssh splits the line, or None for a blank line or a comment."""
    text = text.strip(" \t\r\n\f")
    if not text or text.startswith("#"):
        return None
    parsed = _KEYWORD_AND_REST.fullmatch(text)
    if parsed is None or not _KEYWORD.fullmatch(parsed.group(1)):
        raise _error(_("cannot read the line '{text}'").format(text=text), origin)
    keyword = parsed.group(1).lower()
    arguments = _split_arguments(parsed.group(2))
    if arguments is None:
        raise _error(_("a quote is not closed"), origin)
    if not arguments:
        raise _error(_("{keyword} needs a value").format(keyword=keyword), origin)
    return keyword, arguments


def _split_arguments(text: str) -> list[str] | None:
    """OpenSSH's argv_split: quotes, the escapes \\' \\" \\\\ and '\\ ', a # starting a word ends the line.

    None when a quote is not closed.
    """
    arguments: list[str] = []
    position = 0
    while position < len(text):
        if text[position] in " \t":
            position += 1
        elif text[position] == "#":
            break
        else:
            argument, position, closed = _split_argument(text, position)
            if not closed:
                return None
            arguments.append(argument)
    return arguments


def _split_argument(text: str, position: int) -> tuple[str, int, bool]:
    characters: list[str] = []
    quote = ""
    while position < len(text):
        character = text[position]
        following = text[position + 1 : position + 2]
        if character == "\\" and (following in ("'", '"', "\\") or (following == " " and not quote)):
            characters.append(following)
            position += 2
            continue
        if not quote and character in " \t":
            break
        if not quote and character in "'\"":
            quote = character
        elif quote and character == quote:
            quote = ""
        else:
            characters.append(character)  # including an unknown escape's backslash, as ssh keeps it
        position += 1
    return "".join(characters), position, not quote


def _single_value(keyword: str, arguments: list[str], origin: _Origin) -> str:
    if len(arguments) > 1:
        raise _error(_("{keyword} takes a single value").format(keyword=keyword), origin)
    value = arguments[0]
    if not value:
        raise _error(_("{keyword} needs a value").format(keyword=keyword), origin)
    if keyword == "port" and not (_PORT.fullmatch(value) and 0 < int(value) < 65536):
        raise _error(_("bad port '{port}'").format(port=value), origin)
    if keyword == "proxyjump" and value.lower() != "none" and not all(value.split(",")):
        raise _error(_("bad ProxyJump '{value}'").format(value=value), origin)
    return value


def _fnmatch_literal(pattern: str) -> str:
    """ssh patterns know only * and ?; paramiko's fnmatch would also read [...] as a set of characters."""
    return pattern.replace("[", "[[]")


def _match_header(criteria: Iterable[_Criterion]) -> str:
    tokens = [token for criterion in criteria for token in criterion.tokens()]
    return "Match " + (shlex.join(tokens) if tokens else "all")


def _check_match(criteria: tuple[_Criterion, ...], origin: _Origin) -> None:
    """paramiko's own checks of a Match line (where 'all' may stand), on the line as written."""
    try:
        SSHConfig.from_text(_match_header(criteria))
    except ConfigParseError as error:
        raise _error(_("invalid Match line: {reason}").format(reason=error), origin) from error


# -- evaluating: paramiko's matching, then the values as ssh expands them -----------------------------------------


class _MatchOnly(SSHConfig):
    """paramiko's block matching and first-value-wins, without its token expansion, and never running Match exec.

    Match exec is refused rather than run: the file may come from anywhere (config_path), a command run from a GUI
    could block or prompt, and paramiko would need Invoke to run it. paramiko never even sees an `exec` (see
    _UNEVALUABLE); a lookup fails only when it reaches one, so the hosts whose blocks come before, or whose other
    criteria on the same line do not hold, are still found, as ssh skips an exec after a failed criterion.
    """

    def __init__(self, expansion: _Expansion, alias: str) -> None:
        super().__init__()
        self._expansion = expansion
        self._alias = alias
        self.parse(expansion.lines)

    def _expand_variables(self, config: Any, target_hostname: Any) -> Any:
        return config  # _effective_host expands the values as ssh does

    def _does_match(self, match_list: Any, target_hostname: Any, canonical: Any, final: Any, options: Any) -> Any:
        if not match_list:
            return super()._does_match(match_list, target_hostname, canonical, final, options)
        if final and not self._expansion.final_pass:
            # paramiko always reads the blocks a second time; ssh does not, and a Match could then see a HostName or
            # User set further down. Host blocks give nothing new the second time, so only Match blocks are skipped.
            return False
        # ssh compares Match host with the HostName obtained so far, expanded and lowercased.
        seen = SSHConfigDict(options)
        seen["hostname"] = _hostname(options.get("hostname", self._alias), self._alias, self._expansion)
        for index, criterion in enumerate(match_list):
            if criterion["type"] == _UNEVALUABLE:
                if super()._does_match(match_list[:index], target_hostname, canonical, final, seen) is False:
                    return False
                raise self._unevaluable(int(criterion["param"]))
        return super()._does_match(match_list, target_hostname, canonical, final, seen)

    def _unevaluable(self, index: int) -> SshConfigError:
        written, origin = self._expansion.unevaluable[index]
        if written.removeprefix("!").lower().startswith("exec"):
            problem = _(
                "SupportStation does not run the commands of an SSH configuration, so it cannot tell whether "
                "'Match {criterion}' applies to {alias}"
            )
        else:
            problem = _(
                "'Match {criterion}' is not supported, so SupportStation cannot tell whether it applies to {alias}"
            )
        return _error(problem.format(criterion=written, alias=self._alias), origin)


def _effective_host(alias: str, options: Mapping[str, Any], expansion: _Expansion) -> SshConfigHost:
    hostname = _hostname(options["hostname"], alias, expansion)
    port = int(options.get("port", DEFAULT_PORT))
    user = options.get("user")
    tokens = _identity_tokens(alias, hostname, port, user, options.get("hostkeyalias"))
    identity_files = tuple(
        Path(_expanded("identityfile", raw, tokens, expansion))
        for raw in dict.fromkeys(options.get("identityfile", []))  # ssh lists a file once
    )
    return SshConfigHost(alias, hostname, port, user, identity_files, _proxy_jump(options))


def _hostname(configured: str, alias: str, expansion: _Expansion) -> str:
    # paramiko puts the alias itself there when no HostName applies; ssh expands nothing in that case.
    hostname = configured if configured == alias else _expanded("hostname", configured, {"h": alias}, expansion)
    return hostname.lower()


def _proxy_jump(options: Mapping[str, Any]) -> tuple[str, ...]:
    jump = options.get("proxyjump")
    if jump is None or jump.lower() == "none":
        return ()
    keys = list(options)
    if "proxycommand" in options and keys.index("proxycommand") < keys.index("proxyjump"):
        return ()  # ssh keeps whichever of ProxyCommand and ProxyJump comes first
    return tuple(jump.split(","))


def _identity_tokens(alias: str, hostname: str, port: int, user: str | None, key_alias: str | None) -> dict[str, str]:
    """ssh's tokens for IdentityFile (default_client_percent_expand, OpenSSH 9.2)."""
    local_user = getpass.getuser()
    remote_user = user or local_user
    this_host = socket.gethostname()
    connection = this_host + hostname + str(port) + remote_user
    return {
        "C": hashlib.sha1(connection.encode(), usedforsecurity=False).hexdigest(),  # ssh's connection hash
        "L": this_host.split(".")[0],
        "i": str(os.getuid()) if hasattr(os, "getuid") else "",
        "k": key_alias.lower() if key_alias else alias,
        "l": this_host,
        "n": alias,
        "p": str(port),
        "d": str(Path.home()),
        "h": hostname,
        "r": remote_user,
        "u": local_user,
    }


def _expanded(keyword: str, raw: str, tokens: Mapping[str, str], expansion: _Expansion) -> str:
    """raw as ssh expands it: a leading ~ (IdentityFile), then %-tokens and ${VAR} (IdentityFile) in one pass."""
    try:
        if keyword != "identityfile":
            return _PERCENT.sub(partial(_replacement, tokens=tokens), raw)
        return _PERCENT_OR_VARIABLE.sub(partial(_replacement, tokens=tokens), _tilde_expanded(raw))
    except ValueError as problem:
        detail = _("cannot expand {keyword} '{value}': {problem}").format(keyword=keyword, value=raw, problem=problem)
        raise _error(detail, expansion.locate(keyword, raw), expansion.main) from problem


def _tilde_expanded(raw: str) -> str:
    if not raw.startswith("~"):
        return raw
    expanded = os.path.expanduser(raw)
    if expanded.startswith("~"):
        raise ValueError(_("unknown user '{name}'").format(name=raw[1:].split("/")[0]))
    return expanded


def _replacement(found: re.Match[str], tokens: Mapping[str, str]) -> str:
    if found.group(0).startswith("%"):
        token = found.group(1)
        if token == "%":
            return "%"
        if token not in tokens:
            raise ValueError(_("unknown token '%{token}'").format(token=token) if token else _("a lone '%' at the end"))
        return tokens[token]
    name, closed = found.group(2), found.group(3)
    if not name or not closed:
        raise ValueError(_("'${' without a variable name and '}'"))
    if name not in os.environ:
        raise ValueError(_("the environment variable {name} is not set").format(name=name))
    return os.environ[name]
