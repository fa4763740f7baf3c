"""argparse's own words (usage, options, its error messages), in the app's catalog: a French command line says
« utilisation : » and « arguments non reconnus », not "usage:" and "unrecognized arguments".

argparse looks each word up through its module's `_` and `ngettext` when it uses it. Left as they are, those search
the disk for an `argparse` catalog at every word, which no system has (some 150 searches, 14 ms, per command); they
are pointed at the app's catalog instead. The words are those of Python 3.11-3.13 that a user can see; a word this
list lacks is shown as argparse has it, in English.
"""

from __future__ import annotations

import argparse

from supportstation.i18n import N_, _, ngettext

WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)


def _plural_words() -> str:  # never called: marks argparse's plural message for the catalog
    return ngettext("expected %s argument", "expected %s arguments", 2)


def _translate(message: str | None) -> str | None:
    # argparse also passes a subparsers group's title and description here, already translated, or None.
    return message if not message else _(message)


def install() -> None:
    """Points argparse's word lookups at the app's catalog (in the language in effect when each word is used)."""
    argparse._ = _translate  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    argparse.HelpFormatter.start_section = _start_section  # type: ignore[method-assign]


_argparse_start_section = argparse.HelpFormatter.start_section


def _start_section(self: argparse.HelpFormatter, heading: str | None) -> None:
    # argparse writes a heading's colon itself ("options:"); French wants a space before it ("options :"). The
    # catalog's "{heading}:" says how a heading and its colon are written; argparse then adds the colon back.
    if heading:
        heading = _("{heading}:").format(heading=heading).removesuffix(":")
    _argparse_start_section(self, heading)
