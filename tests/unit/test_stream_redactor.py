"""StreamRedactor: output cut anywhere gives exactly what `redact` gives on the whole, and holds back nothing needless.

The pieces are drawn from the secrets' own encoded forms, their beginnings and their ends, so cuts fall inside secrets
and secrets overlap each other and their near misses: the cases where a streaming redactor leaks or garbles.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from supportstation.vault import redaction
from supportstation.vault.redaction import MINIMUM_LENGTH, PLACEHOLDER_BYTES, StreamRedactor, redact, text_forms

# Few characters, so that secrets share beginnings; "é", "%" and "/" give the JSON, percent and base64 forms variety.
SECRET_ALPHABET = "abé%/"
secrets_strategy = st.lists(st.text(SECRET_ALPHABET, min_size=1, max_size=8), min_size=1, max_size=3)


def encoded_forms(secrets: list[str]) -> list[bytes]:
    forms: list[bytes] = []
    for secret in secrets:
        forms += [form.encode() for form in text_forms(secret)] + [secret.encode("utf-16-le")]
    return forms


@st.composite
def output_and_secrets(draw: st.DrawFn) -> tuple[list[str], bytes]:
    secrets = draw(secrets_strategy)
    forms = encoded_forms(secrets)
    fragment = st.sampled_from(forms).flatmap(
        lambda form: st.sampled_from([form, form[: len(form) // 2], form[len(form) // 2 :], form[:-1]])
    )
    noise = st.binary(max_size=6) | st.text(SECRET_ALPHABET + "x\n", max_size=6).map(str.encode)
    pieces = draw(st.lists(fragment | noise, max_size=25))
    return secrets, b"".join(pieces)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(point % (len(data) + 1) for point in points)})
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None)
@given(output_and_secrets(), output_and_secrets(), st.lists(st.integers(0, 400)), st.lists(st.integers(0, 400)))
def test_any_split_of_two_interleaved_streams_gives_what_redact_gives_on_the_whole(
    first: tuple[list[str], bytes],
    second: tuple[list[str], bytes],
    first_cuts: list[int],
    second_cuts: list[int],
) -> None:
    secrets = first[0] + second[0]
    outputs = {"out": first[1], "err": second[1]}
    pieces = {"out": cut(outputs["out"], first_cuts), "err": cut(outputs["err"], second_cuts)}
    redactor = StreamRedactor(secrets)
    received = {"out": b"", "err": b""}
    # Alternate between the streams: what one stream holds back must never leak into or wait for the other.
    while pieces["out"] or pieces["err"]:
        for stream in ("out", "err"):
            if pieces[stream]:
                received[stream] += redactor.feed(stream, pieces[stream].pop(0))
    for stream in ("out", "err"):
        received[stream] += redactor.flush(stream)
        assert received[stream] == redact(outputs[stream], secrets)


@settings(max_examples=200, deadline=None)
@given(secrets_strategy, st.lists(st.text("0123456789 .:-\n\t", max_size=40).map(str.encode), max_size=20))
def test_output_that_cannot_start_a_secret_passes_at_once(secrets: list[str], pieces: list[bytes]) -> None:
    # Every form of a secret made of SECRET_ALPHABET starts with a letter, "%", "/" or "\\" (base64, percent and
    # JSON escapes included), so none of these characters can begin one: nothing may wait for the next piece.
    assert not any(form[:1] in b"0123456789 .:-\n\t" for form in encoded_forms(secrets) if form)
    redactor = StreamRedactor(secrets)
    for piece in pieces:
        assert redactor.feed(1, piece) == piece
    assert redactor.flush(1) == b""


def test_a_secret_cut_in_three_is_hidden_and_the_text_around_it_is_not_delayed() -> None:
    redactor = StreamRedactor(["hunter2-password"])
    assert redactor.feed(1, b"login ok\nhun") == b"login ok\n"  # "hun" could start the secret: held back
    assert redactor.feed(1, b"ter2-pass") == b""
    assert redactor.feed(1, b"word and more\n") == PLACEHOLDER_BYTES + b" and more\n"
    assert redactor.feed(1, b"hunt") == b""
    assert redactor.feed(1, b"ing season\n") == b"hunting season\n"  # a near miss comes out unchanged
    assert redactor.flush(1) == b""


def test_without_secrets_long_enough_nothing_is_changed_or_held() -> None:
    redactor = StreamRedactor(["a" * (MINIMUM_LENGTH - 1)])
    assert not redactor.active
    assert redactor.feed(1, b"aaa") == b"aaa"
    assert redactor.flush(1) == b""


def test_the_rareness_order_ranks_every_byte_once() -> None:
    # The prefilter looks each pattern up by its rarest byte; a byte missing from the order would be unrankable.
    assert sorted(redaction._COMMONEST_LAST) == list(range(256))
