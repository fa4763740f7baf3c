"""A WS-Management (WinRM) protocol simulator: a stand-in for a Windows host in SupportStation's tests and demo.

It speaks the wire format pywinrm and Windows speak (SOAP over HTTP(S) at /wsman, Basic and NTLM authentication), runs
`cmd` commands through `/bin/sh -c` and answers PowerShell from recorded responses. It is never imported by the
`supportstation` package.
"""

from .certs import CertPair, make_cert_pair
from .powershell import Response, clixml_error
from .server import Faults, WinRMSimulator

__all__ = ["CertPair", "Faults", "Response", "WinRMSimulator", "clixml_error", "make_cert_pair"]
