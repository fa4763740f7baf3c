"""Keys to the bytes an xterm sends for them, which is what TERM=xterm-256color promises the programs on the server."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

Key = Qt.Key
Modifier = Qt.KeyboardModifier

# Cursor keys: ESC [ A normally, ESC O A once a program asked for "application cursor keys" (DECCKM: less, vim).
_CURSOR_KEYS = {
    Key.Key_Up: "A",
    Key.Key_Down: "B",
    Key.Key_Right: "C",
    Key.Key_Left: "D",
    Key.Key_Home: "H",
    Key.Key_End: "F",
}
# Keys sent as ESC [ n ~.
_TILDE_KEYS = {
    Key.Key_Insert: 2,
    Key.Key_Delete: 3,
    Key.Key_PageUp: 5,
    Key.Key_PageDown: 6,
    Key.Key_F5: 15,
    Key.Key_F6: 17,
    Key.Key_F7: 18,
    Key.Key_F8: 19,
    Key.Key_F9: 20,
    Key.Key_F10: 21,
    Key.Key_F11: 23,
    Key.Key_F12: 24,
}
_PF_KEYS = {Key.Key_F1: "P", Key.Key_F2: "Q", Key.Key_F3: "R", Key.Key_F4: "S"}
# Ctrl with these gives the control characters 0x1b to 0x1f, as on a VT100 keyboard; Ctrl+Space and Ctrl+@ give NUL.
_CONTROL_PUNCTUATION = {
    Key.Key_BracketLeft: b"\x1b",
    Key.Key_Backslash: b"\x1c",
    Key.Key_BracketRight: b"\x1d",
    Key.Key_AsciiCircum: b"\x1e",
    Key.Key_Underscore: b"\x1f",
    Key.Key_Minus: b"\x1f",
    Key.Key_Space: b"\x00",
    Key.Key_At: b"\x00",
}


def _modifier_parameter(modifiers: Qt.KeyboardModifier) -> int:
    """xterm's modifier code for special keys: 1 + Shift 1 + Alt 2 + Ctrl 4 (ESC [ 1 ; 5 A is Ctrl+Up)."""
    value = 1
    if modifiers & Modifier.ShiftModifier:
        value += 1
    if modifiers & Modifier.AltModifier:
        value += 2
    if modifiers & Modifier.ControlModifier:
        value += 4
    return value


def key_bytes(event: QKeyEvent, *, application_cursor: bool) -> bytes:
    """What the terminal sends for the key, or b"" for a key that sends nothing (a lone Shift)."""
    try:
        key = Key(event.key())
    except ValueError:  # a key Qt has no name for: its text, if any, is all there is
        key = Key.Key_unknown
    modifiers = event.modifiers()
    control = bool(modifiers & Modifier.ControlModifier)
    alt = bool(modifiers & Modifier.AltModifier)
    modifier = _modifier_parameter(modifiers & ~Modifier.KeypadModifier)

    if key in (Key.Key_Return, Key.Key_Enter):
        return b"\x1b\r" if alt else b"\r"
    if key == Key.Key_Backspace:
        # DEL, as xterm and the Linux console send (stty erase ^?); Ctrl+Backspace gives the other one, BS.
        erase = b"\x08" if control else b"\x7f"
        return b"\x1b" + erase if alt else erase
    if key == Key.Key_Tab:
        return b"\t"
    if key == Key.Key_Backtab:
        return b"\x1b[Z"
    if key == Key.Key_Escape:
        return b"\x1b"
    if key in _CURSOR_KEYS:
        final = _CURSOR_KEYS[key]
        if modifier > 1:
            return f"\x1b[1;{modifier}{final}".encode()
        return f"\x1bO{final}".encode() if application_cursor else f"\x1b[{final}".encode()
    if key in _TILDE_KEYS:
        number = _TILDE_KEYS[key]
        return f"\x1b[{number};{modifier}~".encode() if modifier > 1 else f"\x1b[{number}~".encode()
    if key in _PF_KEYS:
        final = _PF_KEYS[key]
        return f"\x1b[1;{modifier}{final}".encode() if modifier > 1 else f"\x1bO{final}".encode()

    if control:
        if Key.Key_A <= key <= Key.Key_Z:
            data = bytes([key - Key.Key_A + 1])
        elif key in _CONTROL_PUNCTUATION:
            data = _CONTROL_PUNCTUATION[key]
        else:
            data = event.text().encode("utf-8")
        return b"\x1b" + data if alt and data else data
    text = event.text()
    if not text:
        return b""
    data = text.encode("utf-8")
    # Alt sends ESC first (xterm's metaSendsEscape): Alt+B and Alt+F move by words in a shell's line editor.
    return b"\x1b" + data if alt else data
