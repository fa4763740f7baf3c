"""WS-Management SOAP envelopes for the WinRM simulator: reading requests, writing responses and faults.

Responses follow what Windows sends (MS-WSMV examples): `a:RelatesTo` echoes the request's MessageID (pywinrm checks
it), the shell id travels in a `w:Selector Name="ShellId"`, and faults carry a `f:WSManFault Code=...` in the detail.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
WSMAN_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
CMD_RESOURCE = f"{SHELL}/cmd"

CREATE = f"{TRANSFER}/Create"
DELETE = f"{TRANSFER}/Delete"
COMMAND = f"{SHELL}/Command"
RECEIVE = f"{SHELL}/Receive"
SEND = f"{SHELL}/Send"
SIGNAL = f"{SHELL}/Signal"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ANONYMOUS = f"{ADDRESSING}/role/anonymous"

# Windows' WSManFault codes the simulator uses.
OPERATION_TIMEOUT = 2150858793  # Receive found no output within OperationTimeout; clients retry
SHELL_NOT_FOUND = 2150858843  # unknown ShellId (or CommandId) in the selector

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


class Fault(Exception):
    """A WS-Management fault to answer instead of a response (HTTP 500, like Windows)."""

    def __init__(self, subcode: str, reason: str, code: int | None = None, value: str = "s:Receiver") -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason
        self.code = code
        self.value = value


@dataclass(frozen=True)
class Request:
    """The parts of a WS-Man request the simulator acts on."""

    action: str
    message_id: str
    resource_uri: str
    shell_id: str | None
    operation_timeout: float | None
    body: ET.Element


def _text(root: ET.Element, path: str) -> str:
    node = root.find(path, {"s": SOAP, "a": ADDRESSING, "w": WSMAN})
    return (node.text or "").strip() if node is not None else ""


def parse_duration(text: str) -> float | None:
    """Seconds of an xs:duration such as PT20S or PT60.000S (the forms WinRM clients send)."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def parse_request(data: bytes) -> Request:
    """Read a SOAP envelope; malformed XML or a missing Action becomes a sender fault."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise Fault(
            "w:SchemaValidationError", f"The SOAP XML in the message is not valid: {exc}.", value="s:Sender"
        ) from exc
    action = _text(root, "s:Header/a:Action")
    if not action:
        raise Fault("a:ActionNotSupported", "The message has no WS-Addressing Action.", value="s:Sender")
    shell_id = None
    for selector in root.iterfind(f"{{{SOAP}}}Header/{{{WSMAN}}}SelectorSet/{{{WSMAN}}}Selector"):
        if selector.get("Name") == "ShellId":
            shell_id = (selector.text or "").strip()
    body = root.find(f"{{{SOAP}}}Body")
    return Request(
        action=action,
        message_id=_text(root, "s:Header/a:MessageID"),
        resource_uri=_text(root, "s:Header/w:ResourceURI"),
        shell_id=shell_id,
        operation_timeout=parse_duration(_text(root, "s:Header/w:OperationTimeout")),
        body=body if body is not None else ET.Element(f"{{{SOAP}}}Body"),
    )


def envelope(action: str, relates_to: str, body: str, header_extra: str = "") -> bytes:
    """A response envelope with the namespace prefixes Windows uses."""
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{SOAP}" xmlns:a="{ADDRESSING}" xmlns:x="{TRANSFER}" '
        f'xmlns:w="{WSMAN}" xmlns:rsp="{SHELL}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
        f"<s:Header><a:To>{ANONYMOUS}</a:To><a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID><a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        f"{header_extra}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def fault_envelope(fault: Fault, relates_to: str, machine: str) -> bytes:
    """A SOAP 1.2 fault with Windows' WSManFault detail (its Code is what clients such as pywinrm test)."""
    code = f" Code={quoteattr(str(fault.code))}" if fault.code is not None else ""
    detail = (
        f'<s:Detail><f:WSManFault xmlns:f="{WSMAN_FAULT}"{code} Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(fault.reason)}</f:Message></f:WSManFault></s:Detail>"
    )
    body = (
        f"<s:Fault><s:Code><s:Value>{fault.value}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en-US">{escape(fault.reason)}</s:Text></s:Reason>{detail}</s:Fault>'
    )
    return envelope(FAULT_ACTION, relates_to, body)


def timeout_fault() -> Fault:
    return Fault(
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
        OPERATION_TIMEOUT,
    )


def shell_not_found(shell_id: str) -> Fault:
    return Fault(
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on "
        "the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the "
        "server. Provide the correct ShellId or create a new shell and try again. ",
        SHELL_NOT_FOUND,
        value="s:Sender",
    )


def command_not_found(command_id: str) -> Fault:
    return Fault(
        "w:InvalidParameter",
        f"The request for the Windows Remote Shell command with CommandId {command_id} failed because the command was "
        "not found in the shell. ",
        SHELL_NOT_FOUND,
        value="s:Sender",
    )
