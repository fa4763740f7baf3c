"""A Redfish BMC emulator for tests and the demo: sushy-tools' emulator (its fake systems driver) served in-process over
HTTPS, dressed as a Dell iDRAC 9. It is an emulator, not a BMC: nothing behind it is real hardware.

sushy-tools' emulator is a Flask app (`sushy_tools.emulator.main.app`, one per process). `RedfishEmulator` serves it
with werkzeug's server in a thread, on 127.0.0.1 and a free port, over TLS with a self-signed certificate made here
(like a BMC's factory certificate; certificate.py), behind HTTP basic authentication read from an htpasswd file by
sushy-tools' own middleware (server.py).

What sushy-tools lacks, and a Dell iDRAC 9 has, is added as Flask routes registered on its app (routes.py, with the
data in idrac.py; nothing inside site-packages is changed). Each one, and why:

- `/redfish/v1/SessionService`, `.../SessionService/Sessions` (GET, POST) and `.../Sessions/<id>` (GET, DELETE):
  Redfish session login (POST UserName/Password, answered with an X-Auth-Token and the session's Location), so the
  client's session authentication and its logout are exercised. With `sessions_enabled = False` they answer 404 and
  the service root stops advertising them, as on a BMC with sessions turned off: the client must use basic auth.
- `/redfish/v1/Managers/<id>/LogServices`, `.../LogServices/<log>` and `.../LogServices/<log>/Entries`: the log
  services of an iDRAC (`Sel`, the IPMI system event log with 60 entries in pages of 50 with a
  `Members@odata.nextLink`, as iDRAC pages its logs, served oldest first so that the newest are on the last page and
  a client must read every page and sort; and `Lclog`, the Lifecycle log, which is not an event log). They answer both
  for the emulator's manager and for `iDRAC.Embedded.1`, the id a real iDRAC uses, so that the client's fallback to
  known vendor locations can be tested with `advertise_log_services = False`.
- `/redfish/v1/UpdateService/FirmwareInventory` and `.../FirmwareInventory/<id>`: an iDRAC's firmware inventory
  (installed and previous versions of the iDRAC, BIOS, PERC, NIC, power supply, disk; `Installed-…`/`Previous-…` ids).
  sushy-tools' UpdateService links to it but does not serve it.
- `/redfish/v1/Chassis/<id>/Power`: power control and two power supplies, PS2 having lost its input (Critical), with
  the matching newest SEL entry. sushy-tools serves Chassis Thermal but not Power.

Links a real iDRAC gives and sushy-tools' templates do not are added to its answers by an `after_request` hook: the
service root's `SessionService` and `Links.Sessions` (while sessions are enabled), a Manager's `LogServices` (while
`advertise_log_services`), and a Chassis' `Power`.

For tests of failures, `inject(path, …)` makes the next request(s) for a path answer a given status and body (an
HTML page, a 500, a redirect), and `requests` records each request's method, path and kind of authentication
(session, basic or none). `stop()` closes the listening socket, for a BMC that goes away. The fake driver
applies a power change after a random 1-11 s; here it applies it at the next read, so tests need not wait.

The fake driver keeps its systems in an SQLite file under a state folder of the process (temporary, or the one the
first emulator of the process names). sushy-tools' app is one per process: every emulator of a process serves the
same system. `demo.demo_bmc()` is the demo's iDRAC.
"""

from .certificate import EmulatorCertificate, make_self_signed_certificate
from .idrac import (
    CHASSIS_ID,
    CHASSIS_UUID,
    IDRAC_MANAGER_ID,
    SEL_ENTRY_COUNT,
    SEL_PAGE_SIZE,
    SYSTEM_NAME,
    SYSTEM_UUID,
    power_document,
    sel_entry,
)
from .routes import SESSIONS_PATH
from .server import TEST_PASSWORD, TEST_USER, Fault, RedfishEmulator, RequestRecord

__all__ = [
    "CHASSIS_ID",
    "CHASSIS_UUID",
    "IDRAC_MANAGER_ID",
    "SEL_ENTRY_COUNT",
    "SEL_PAGE_SIZE",
    "SESSIONS_PATH",
    "SYSTEM_NAME",
    "SYSTEM_UUID",
    "TEST_PASSWORD",
    "TEST_USER",
    "EmulatorCertificate",
    "Fault",
    "RedfishEmulator",
    "RequestRecord",
    "make_self_signed_certificate",
    "power_document",
    "sel_entry",
]
