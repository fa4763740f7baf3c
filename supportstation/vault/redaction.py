"""Hiding known secrets in text before it is logged, shown or written into a report.

Each secret is replaced by `[secret]` together with the forms it commonly takes once it travels through the
application: JSON or Python string escaping (logs, tracebacks, API payloads), HTML escaping (reports are HTML),
percent-encoding (URLs, form bodies) and base64 (tokens, HTTP basic authentication is `user:password` though, so only
a secret encoded alone is caught). Longer patterns are tried first so that a secret containing another one is hidden
whole rather than leaving a partly readable remainder.

Secrets shorter than MINIMUM_LENGTH characters are not redacted: a one to three character value occurs all over any
text, so replacing it would garble every log and report — and the pattern of replacements would itself reveal the
secret. Such secrets are too weak to protect anything; the vault accepts them but redaction cannot help with them.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import overload
from urllib.parse import quote, quote_plus

MINIMUM_LENGTH = 4
PLACEHOLDER = "[secret]"
PLACEHOLDER_BYTES = b"[secret]"


def text_forms(secret: str) -> set[str]:
    """The plain value and the encodings worth hiding too."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    encoded = secret.encode("utf-8")
    forms.add(base64.b64encode(encoded).decode("ascii"))
    forms.add(base64.urlsafe_b64encode(encoded).decode("ascii"))
    return {form for form in forms if form}


def _as_text(secret: str | bytes) -> str | None:
    if isinstance(secret, str):
        return secret
    try:
        return secret.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text_patterns(secrets: Iterable[str | bytes]) -> set[str]:
    patterns: set[str] = set()
    for secret in secrets:
        text = _as_text(secret)
        if text is not None and len(text) >= MINIMUM_LENGTH:
            patterns |= text_forms(text)
    return patterns


def _bytes_patterns(secrets: Iterable[str | bytes]) -> set[bytes]:
    patterns: set[bytes] = set()
    for secret in secrets:
        if isinstance(secret, bytes) and len(secret) >= MINIMUM_LENGTH:
            patterns.add(secret)  # binary secrets match as they are, even when not UTF-8
        text = _as_text(secret)
        if text is not None and len(text) >= MINIMUM_LENGTH:
            patterns |= {form.encode("utf-8") for form in text_forms(text)}
            # Windows tools and some protocols write UTF-16; ASCII secrets would hide behind the interleaved zeros.
            patterns.add(text.encode("utf-16-le"))
    return patterns


@overload
def redact(value: str, secrets: Iterable[str | bytes]) -> str: ...


@overload
def redact(value: bytes, secrets: Iterable[str | bytes]) -> bytes: ...


def redact(value: str | bytes, secrets: Iterable[str | bytes]) -> str | bytes:
    """`value` with every occurrence of each secret (and its common encodings) replaced by `[secret]`."""
    secrets = list(secrets)
    if isinstance(value, bytes):
        byte_patterns = sorted(_bytes_patterns(secrets), key=len, reverse=True)
        if not byte_patterns:
            return value
        # One alternation, longest first, in a single pass: a placeholder is never matched again and overlapping
        # secrets are replaced by the longest one starting at each position.
        byte_regex = re.compile(b"|".join(re.escape(pattern) for pattern in byte_patterns))
        return byte_regex.sub(PLACEHOLDER_BYTES, value)
    text_patterns = sorted(_text_patterns(secrets), key=len, reverse=True)
    if not text_patterns:
        return value
    text_regex = re.compile("|".join(re.escape(pattern) for pattern in text_patterns))
    return text_regex.sub(PLACEHOLDER, value)


# Bytes ordered from the rarest in command output to the commonest, roughly: NUL (UTF-16 text) and other controls,
# bytes above ASCII, punctuation, upper case, digits, lower case, then white space. Each pattern is looked for only
# where its rarest byte occurs at all, and a one-byte search runs at memchr speed (about 3x a pattern search).
_COMMONEST_LAST = (
    bytes(range(0, 9))
    + bytes(range(11, 32))
    + bytes(range(127, 256))
    + b"%&#;\\`~^|{}<>$!?@*'\"[]()+=_-:,./"
    + b"QZXJKVWYUGBFHPMLDCNORISETA"
    + b"9876543210"
    + b"qzxjkvwyugbfhpmldcnoriseta"
    + b" \t\n"
)
_RARENESS = {byte: rank for rank, byte in enumerate(_COMMONEST_LAST)}


def _rarest_byte(pattern: bytes) -> bytes:
    return bytes([min(pattern, key=_RARENESS.__getitem__)])


class StreamRedactor:
    """Redacts output that arrives in pieces, where a secret may be cut between two pieces.

    Each stream keeps back only its longest ending that could be the start of a secret, until the next piece (or
    `flush`) says whether it is one: ordinary output passes at once, and the result is exactly what `redact` gives on
    the whole output. A match that starts before the kept-back ending cannot grow with more data, since the text from
    its start would then be the start of a longer secret, and so would have been kept back.
    """

    def __init__(self, secrets: Iterable[str | bytes]) -> None:
        patterns = sorted(_bytes_patterns(list(secrets)), key=len, reverse=True)
        self._regex = re.compile(b"|".join(re.escape(p) for p in patterns)) if patterns else None
        # Patterns grouped by their rarest byte: a buffer without that byte cannot hold any of them.
        self._by_rare_byte: dict[bytes, list[bytes]] = {}
        for pattern in patterns:
            self._by_rare_byte.setdefault(_rarest_byte(pattern), []).append(pattern)
        self._longest = max((len(p) for p in patterns), default=0)
        self._prefixes = {pattern[:size] for pattern in patterns for size in range(1, len(pattern))}
        self._carry: dict[object, bytes] = {}

    @property
    def active(self) -> bool:
        return self._regex is not None

    def _undecided(self, buffer: bytes) -> int:
        """Length of the longest ending of `buffer` that a secret starts with."""
        for size in range(min(self._longest - 1, len(buffer)), 0, -1):
            if buffer[-size:] in self._prefixes:
                return size
        return 0

    def feed(self, stream: object, data: bytes) -> bytes:
        if self._regex is None:
            return data
        carry = self._carry.pop(stream, b"")
        buffer = carry + data if carry else data
        safe_end = len(buffer) - self._undecided(buffer)
        # Most output holds no secret: byte and substring searches run at memory speed, where the alternation regex
        # costs several times more on every byte.
        if not self._may_hold_secret(buffer):
            if safe_end < len(buffer):
                self._carry[stream] = buffer[safe_end:]
                return buffer[:safe_end]
            return buffer
        pieces = []
        position = 0
        for match in self._regex.finditer(buffer):
            if match.start() >= safe_end:
                break
            pieces += [buffer[position : match.start()], PLACEHOLDER_BYTES]
            position = match.end()
        emit_end = max(safe_end, position)
        pieces.append(buffer[position:emit_end])
        if emit_end < len(buffer):
            self._carry[stream] = buffer[emit_end:]
        return b"".join(pieces)

    def _may_hold_secret(self, buffer: bytes) -> bool:
        return any(
            rare_byte in buffer and any(pattern in buffer for pattern in group)
            for rare_byte, group in self._by_rare_byte.items()
        )

    def flush(self, stream: object) -> bytes:
        """What is still held back for `stream`, redacted: call once the stream has ended."""
        rest = self._carry.pop(stream, b"")
        if self._regex is None or not rest:
            return rest
        return self._regex.sub(PLACEHOLDER_BYTES, rest)
