"""CLIXML from PowerShell's stderr, as Windows writes it, turned into text: whole, in pieces, and when malformed."""

from __future__ import annotations

from supportstation.remote.clixml import ClixmlDecoder, clixml_to_text, unescape

# As powershell.exe writes it over WinRM for an unknown command (the record pywinrm's tests keep from a real host):
# a progress record first, then the error record split at the console's width, line breaks escaped.
NOT_RECOGNIZED = (
    "#< CLIXML\r\n"
    '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T>'
    '<T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV>'
    "<AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>"
    "<S S=\"Error\">fake : The term 'fake' is not recognized as the name of a cmdlet, function, script file, or "
    "operable program. Check _x000D__x000A_</S>"
    '<S S="Error">the spelling of the name, or if a path was included, verify that the path is correct and try '
    "again._x000D__x000A_</S>"
    '<S S="Error">At line:1 char:1_x000D__x000A_</S>'
    '<S S="Error">+ fake_x000D__x000A_</S>'
    '<S S="Error">+ ~~~~_x000D__x000A_</S>'
    '<S S="Error">    + CategoryInfo          : ObjectNotFound: (fake:String) [], '
    "CommandNotFoundException_x000D__x000A_</S>"
    '<S S="Error">    + FullyQualifiedErrorId : CommandNotFoundException_x000D__x000A_</S>'
    '<S S="Error"> _x000D__x000A_</S>'
    "</Objs>"
)

EXPECTED = (
    "fake : The term 'fake' is not recognized as the name of a cmdlet, function, script file, or operable program. "
    "Check \n"
    "the spelling of the name, or if a path was included, verify that the path is correct and try again.\n"
    "At line:1 char:1\n"
    "+ fake\n"
    "+ ~~~~\n"
    "    + CategoryInfo          : ObjectNotFound: (fake:String) [], CommandNotFoundException\n"
    "    + FullyQualifiedErrorId : CommandNotFoundException\n"
    " \n"
)

# Composed in the same shape for what the real one lacks: a warning, French text with accents, an escaped underscore
# (_x005F_), and two documents, as two writes to stderr give.
FRENCH = (
    "#< CLIXML\r\n"
    '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    "<S S=\"Warning\">Le service « Spouleur d'impression » n'a pas pu être arrêté._x000D__x000A_</S></Objs>"
    '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    '<S S="Error">Stop-Service : Impossible d\'arrêter le service « Spooler ». Accès refusé._x000D__x000A_</S>'
    '<S S="Error">    + FullyQualifiedErrorId : CouldNotStopService,'
    "Microsoft_x005F_PowerShell.Commands_x000D__x000A_</S>"
    "</Objs>"
)


def test_an_error_record_reads_as_powershell_shows_it_and_progress_is_left_out() -> None:
    assert clixml_to_text(NOT_RECOGNIZED) == EXPECTED
    assert "Preparing modules" not in clixml_to_text(NOT_RECOGNIZED)


def test_warnings_keep_their_prefix_and_escaped_underscores_come_back() -> None:
    assert clixml_to_text(FRENCH) == (
        "WARNING: Le service « Spouleur d'impression » n'a pas pu être arrêté.\n"
        "Stop-Service : Impossible d'arrêter le service « Spooler ». Accès refusé.\n"
        "    + FullyQualifiedErrorId : CouldNotStopService,Microsoft_PowerShell.Commands\n"
    )
    assert unescape("a_x005F_x000D_b") == "a_x000D_b"  # an escaped underscore is not the start of an escape


def test_fed_in_pieces_each_document_is_shown_once_complete() -> None:
    decoder = ClixmlDecoder()
    shown = []
    for start in range(0, len(FRENCH), 7):  # as Receive answers cut it: anywhere, the header too
        shown.append(decoder.feed(FRENCH[start : start + 7]))
    shown.append(decoder.flush())
    assert "".join(shown) == clixml_to_text(FRENCH)
    first_document_end = FRENCH.index("</Objs>") + len("</Objs>")
    decoder = ClixmlDecoder()
    assert decoder.feed(FRENCH[:first_document_end]).startswith("WARNING: Le service")
    assert decoder.feed(FRENCH[first_document_end:-10]) == ""  # the second one is not complete yet


def test_plain_stderr_and_malformed_clixml_are_passed_through_whole() -> None:
    assert clixml_to_text("Access is denied.\r\n") == "Access is denied.\r\n"
    decoder = ClixmlDecoder()
    assert decoder.feed("#< CL") == ""  # could still be the header
    assert decoder.feed("EAR is not a header") == "#< CLEAR is not a header"
    broken = '#< CLIXML\r\n<Objs xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">cut</Objs>'
    assert clixml_to_text(broken) == broken.split("\r\n", 1)[1]
    unfinished = '#< CLIXML\r\n<Objs><S S="Error">the output ended here'
    assert clixml_to_text(unfinished) == unfinished.split("\r\n", 1)[1]
