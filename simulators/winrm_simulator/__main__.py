"""Command line for the WinRM simulator (demo use): `python -m winrm_simulator --port 5985 --user admin:Secr3t!`.

Serves until Ctrl-C. `--tls DIR` serves HTTPS with a freshly made test CA and certificate (the CA file to trust is
printed); `--responses FILE` loads recorded PowerShell answers from JSON:
`{"Get-Date": {"stdout": "...", "stderr": "", "exit_code": 0}, "re:^Get-Service": {...}}`.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
from pathlib import Path

from .certs import make_cert_pair
from .powershell import Response
from .server import WinRMSimulator


def _load_responses(path: Path) -> dict[str | re.Pattern[str], Response]:
    table: dict[str | re.Pattern[str], Response] = {}
    for key, value in json.loads(path.read_text(encoding="utf-8")).items():
        response = Response(value.get("stdout", ""), value.get("stderr", ""), int(value.get("exit_code", 0)))
        table[re.compile(key[3:]) if key.startswith("re:") else key] = response
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m winrm_simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5985, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD", help="an account (repeatable)")
    parser.add_argument("--auth", default="basic,ntlm", help="comma-separated schemes among basic, ntlm")
    parser.add_argument("--tls", type=Path, metavar="DIR", help="serve HTTPS with a test certificate made in DIR")
    parser.add_argument("--responses", type=Path, metavar="FILE", help="recorded PowerShell responses (JSON)")
    args = parser.parse_args(argv)

    users = dict(entry.split(":", 1) for entry in args.user) or {"admin": "Secr3t!"}
    schemes = tuple(s.strip() for s in args.auth.split(",") if s.strip())
    if not set(schemes) <= {"basic", "ntlm"}:
        parser.error("--auth takes basic and/or ntlm")
    pair = make_cert_pair(args.tls) if args.tls else None
    simulator = WinRMSimulator(users=users, https=pair, auth=schemes, port=args.port)  # type: ignore[arg-type]
    if args.responses:
        simulator.powershell_responses.update(_load_responses(args.responses))

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with simulator:
        print(f"WinRM simulator (not a Windows host) listening on {simulator.url}", flush=True)
        print(f"users: {', '.join(users)}; auth: {', '.join(schemes)}", flush=True)
        if pair:
            print(f"trust this CA file: {pair.ca}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
