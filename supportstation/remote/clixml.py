"""PowerShell's CLIXML on standard error, turned into the text a person reads.

powershell.exe with redirected output writes its error, warning, verbose and progress streams to stderr as CLIXML:
a `#< CLIXML` line, then one `<Objs>` document per write. Error text is split into `<S S="Error">` pieces with line
breaks escaped as `_x000D__x000A_`; progress records (`<Obj S="progress">`) are noise in a log. Documents arrive
across WinRM Receive answers in arbitrary pieces, so the decoder is fed as output comes and gives back text as soon
as a document is complete. Anything that is not well-formed CLIXML is passed through unchanged: nothing is lost.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

HEADER = "#< CLIXML"
_NAMESPACE = "{http://schemas.microsoft.com/powershell/2004/04}"
# _xHHHH_ is how CLIXML escapes a character (an underscore itself is _x005F_).
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DOCUMENT_END = "</Objs>"
# Streams other than Error get their console prefix, as PowerShell shows them.
_PREFIXES = {"Error": "", "Warning": "WARNING: ", "Verbose": "VERBOSE: ", "Debug": "DEBUG: ", "Information": ""}


def unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def document_text(document: str) -> str:
    """The readable text of one `<Objs>` document; the document itself if it is not well-formed XML."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        return document
    pieces = []
    for element in root:
        if element.tag != f"{_NAMESPACE}S":
            continue  # progress records and other objects
        stream = element.get("S", "")
        prefix = _PREFIXES.get(stream, f"{stream.upper()}: " if stream else "")
        text = unescape(element.text or "")
        # A prefix starts each line of the stream, not each piece: a long message comes in several.
        if prefix and (not pieces or pieces[-1].endswith("\n")):
            text = prefix + text
        pieces.append(text)
    return "".join(pieces).replace("\r\n", "\n")


class ClixmlDecoder:
    """Fed with stderr text as it arrives; returns what can be shown so far."""

    def __init__(self) -> None:
        self._pending = ""
        self._is_clixml: bool | None = None  # unknown until the first characters say

    def feed(self, text: str) -> str:
        self._pending += text
        if self._is_clixml is None:
            if len(self._pending) < len(HEADER) and HEADER.startswith(self._pending):
                return ""
            self._is_clixml = self._pending.startswith(HEADER)
            if self._is_clixml:
                self._pending = self._pending[len(HEADER) :].lstrip("\r\n")
        if not self._is_clixml:
            shown, self._pending = self._pending, ""
            return shown
        shown_parts = []
        while (end := self._pending.find(_DOCUMENT_END)) != -1:
            end += len(_DOCUMENT_END)
            document, self._pending = self._pending[:end], self._pending[end:].lstrip("\r\n")
            shown_parts.append(document_text(document.strip()))
        return "".join(shown_parts)

    def flush(self) -> str:
        """The output has ended: what is left (an unfinished document, as it came)."""
        rest, self._pending = self._pending, ""
        return rest


def clixml_to_text(stderr: str) -> str:
    decoder = ClixmlDecoder()
    return decoder.feed(stderr) + decoder.flush()
