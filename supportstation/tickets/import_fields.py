"""The ticket fields an import fills, the column names that announce them, and how their cell values are read.

Values are read the way French users and their tools write them: '23/11/2026 14:05', '1,5', 'haute', 'En cours';
English and ISO 8601 forms are accepted too. A value that cannot be used raises ValueProblem with a message for the
user that quotes it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime

from supportstation.i18n import _


class ValueProblem(ValueError):
    """One cell's value cannot be used; the message is for the user."""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


# The same client, site, host and status names come back on every row of a big file: they are folded once.
_fold_short = functools.lru_cache(maxsize=4096)(_fold)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name: 'Société Générale ' → 'societe generale'."""
    return _fold_short(text) if len(text) <= 200 else _fold(text)  # no megabyte cell kept in the cache


def _words(text: str) -> str:
    # Header and keyword matching ignores punctuation too: 'Réf.' → 'ref', 'N° externe' → 'n externe'.
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split())


# -- cell values ---------------------------------------------------------------------------------------------------

_FRENCH_DATE = re.compile(
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
    r"(?:[ T]+(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ].*)?")


def parse_datetime(value: str) -> tuple[datetime, bool] | None:
    """(datetime, date_only) from '23/11/2026', '23/11/2026 14:05' or ISO 8601; naive unless the text has an offset.

    None for an empty cell; ValueProblem for an impossible date (31/02/2026) or an unreadable one.
    """
    text = value.strip()
    if not text:
        return None
    try:
        match = _FRENCH_DATE.fullmatch(text)
        if match:
            year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
            parts = [int(match[name] or 0) for name in ("H", "M", "S")]
            return datetime(year, int(match["m"]), int(match["d"]), *parts), match["H"] is None
        if _ISO_DATE.fullmatch(text):
            return datetime.fromisoformat(text), len(text) == 10
    except ValueError as error:
        raise ValueProblem(_("'{value}' is not a real date.").format(value=text)) from error
    raise ValueProblem(
        _(
            "Cannot read the date '{value}': write it as 23/11/2026, 23/11/2026 14:05 or 2026-11-23T14:05:00+01:00."
        ).format(value=text)
    )


def parse_number(value: str) -> float:
    """A number written the French way ('1,5', '1 234,5') or the English way ('1.5')."""
    text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    try:
        return float(text.replace(",", "."))
    except ValueError as error:
        raise ValueProblem(_("'{value}' is not a number.").format(value=value.strip())) from error


PRIORITY_WORDS = {
    **{f"p{n}": n for n in range(1, 5)},
    **{str(n): n for n in range(1, 5)},
    **dict.fromkeys(("critique", "critical", "tres haute", "very high"), 1),
    **dict.fromkeys(("haute", "high", "elevee", "importante"), 2),
    **dict.fromkeys(("normale", "normal", "medium", "moyenne"), 3),
    **dict.fromkeys(("basse", "low", "faible"), 4),
}
ACCEPTED_PRIORITIES = "P1-P4, 1-4, critique/haute/normale/basse, critical/high/normal/low"


def parse_priority(value: str) -> int | None:
    """1 (critical) to 4 (low), from 'P1', '1', '1,0', 'haute', 'High', 'P2 - Haute'…; None when empty."""
    words = _words(value)
    if not words:
        return None
    if words in PRIORITY_WORDS:
        return PRIORITY_WORDS[words]
    try:
        number = parse_number(value)
    except ValueProblem:
        # "P2 - Haute", "1 (critique)": the level, then its name.
        match = re.fullmatch(r"p?([1-4]) [a-z ]+", words)
        if match:
            return int(match.group(1))
    else:
        if number in (1, 2, 3, 4):
            return int(number)
    raise ValueProblem(
        _("Invalid priority '{value}': use {accepted}.").format(value=value.strip(), accepted=ACCEPTED_PRIORITIES)
    )


# Synonyms as they read once folded (no accents, no punctuation); '|' separates them.
_STATUS_SYNONYMS = {
    "new": "nouveau|nouvelle|new|a traiter",
    "assigned": "attribue|attribuee|assigne|assignee|assigned",
    "in_progress": "en cours|in progress|en traitement|ongoing",
    "waiting_customer": "en attente client|en attente du client|attente client|waiting customer|waiting for customer",
    "waiting_third_party": "en attente tiers|en attente d un tiers|en attente du tiers|attente tiers"
    "|waiting third party|waiting for third party",
    "resolved": "resolu|resolue|resolved",
    "closed": "clos|close|cloture|cloturee|ferme|fermee|closed",
}
STATUS_WORDS = {word: status for status, words in _STATUS_SYNONYMS.items() for word in words.split("|")}
ACCEPTED_STATUSES = ", ".join(_STATUS_SYNONYMS) + (
    ", nouveau, attribué, en cours, en attente client, en attente tiers, résolu, clos/fermé"
)


def parse_status(value: str) -> str | None:
    """A TicketStatus value ('in_progress') from the value itself or a French or English label; None when empty."""
    words = _words(value)
    if not words:
        return None
    status = STATUS_WORDS.get(words)
    if status is None:
        raise ValueProblem(
            _("Invalid status '{value}': use one of {accepted}.").format(
                value=value.strip(), accepted=ACCEPTED_STATUSES
            )
        )
    return status


def split_names(value: str) -> list[str]:
    """Host names separated by ',', ';', '|' or new lines; duplicates dropped, order kept."""
    names = [name.strip() for name in re.split(r"[,;|\r\n]", value)]
    return list(dict.fromkeys(name for name in names if name))


def unescape_cell(value: str) -> str:
    """Undoes the quote our CSV export puts before '=', '+', '-' and '@' so that Excel does not run a formula."""
    return value[1:] if len(value) > 1 and value[0] == "'" and value[1] in "=+-@" else value


# -- columns --------------------------------------------------------------------------------------------------------

FIELDS = (
    *("reference", "title", "description", "client", "site", "contact", "priority", "status", "category"),
    *("external_id", "created_at", "resolve_deadline", "hosts"),
)

_HEADER_SYNONYMS = {
    "reference": "reference|ref|ref ticket|reference ticket|numero|n ticket|no ticket|ticket|ticket number|ticket no"
    "|ticket ref|number|n|no|num",
    "title": "title|titre|objet|sujet|subject|summary|resume|intitule|libelle|titre du ticket|short description",
    "description": "description|detail|details|description detaillee|body|texte|message|probleme|symptomes",
    "client": "client|societe|company|customer|entreprise|organisation|organization|nom du client|raison sociale"
    "|account|client name",
    "site": "site|lieu|location|agence|etablissement|site d intervention",
    "contact": "contact|demandeur|requester|contact client|interlocuteur|reporter|caller|email|e mail|courriel"
    "|email du contact",
    "priority": "priority|priorite|prio|urgence|severity|severite|criticite",
    "status": "status|statut|etat|state",
    "category": "category|categorie|type|domaine|type de demande",
    "external_id": "external id|n externe|no externe|numero externe|reference externe|ref externe|id externe"
    "|external reference|external ref|id",
    "created_at": "created|created at|created on|creation date|date de creation|date d ouverture|ouverture"
    "|ouvert le|cree le|date|opened|opened at|open date",
    "resolve_deadline": "resolve deadline|deadline|due|due date|due by|echeance|echeance de resolution"
    "|date d echeance|date limite|a resoudre avant|resolution deadline|date de resolution prevue",
    "hosts": "hosts|host|hotes|hote|machines|machine|equipements|equipement|postes|serveurs|assets|devices|materiel",
}
HEADER_WORDS = {word: name for name, words in _HEADER_SYNONYMS.items() for word in words.split("|")}


def field_label(name: str) -> str:
    """A ticket field as the user reads it, in the import dialog and as a CSV export header."""
    labels = {
        "reference": _("Reference"),
        "title": _("Title"),
        "description": _("Description"),
        "client": _("Client"),
        "site": _("Site"),
        "contact": _("Contact"),
        "priority": _("Priority"),
        "status": _("Status"),
        "category": _("Category"),
        "external_id": _("External ID"),
        "created_at": _("Created at"),
        "resolve_deadline": _("Due"),
        "hosts": _("Hosts"),
    }
    return labels[name]


def guess_mapping(headers: tuple[str, ...] | list[str]) -> dict[str, str]:
    """{source column: ticket field} for the headers recognised (English or French, any case or accents).

    Each field is given to the first column that names it; unrecognised columns are left out (not imported).
    """
    mapping: dict[str, str] = {}
    for header in headers:
        name = HEADER_WORDS.get(_words(header))
        if name and name not in mapping.values():
            mapping[header] = name
    return mapping
