"""A procedure lab: a database with a ticket, a vault, the audit anchor, and the engine's services on real sshd."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportstation import audit, paths
from supportstation.plugins import PluginRegistry
from supportstation.procedures.engine import RunObserver, RunServices
from supportstation.procedures.run_store import RunStore
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.recording import RecordingContext
from supportstation.remote.runs import Runner
from supportstation.remote.targets import AuthMethod, Target, TargetError
from supportstation.storage import connect
from supportstation.storage.database import Database
from supportstation.storage.models import Client, Ticket
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.servers import sshd as servers

ACTOR = "ada@example.fr"


@dataclass
class ProcedureLab:
    database: Database
    vault: Vault
    anchor: audit.Anchor
    context: RecordingContext
    hosts: dict[str, Target]  # names the procedures run on, as the inventory would give them
    known_hosts: Path
    registry: PluginRegistry

    def resolve(self, names: list[str]) -> list[Target]:
        found = []
        for name in names:
            if name not in self.hosts:
                raise TargetError(f"No host is called {name!r}.")
            found.append(self.hosts[name])
        return found

    def services(self, observer: RunObserver | None = None, *, downloads: Path | None = None) -> RunServices:
        """Fresh services, as a newly started app has: a new pool and runner on the same database and vault."""
        pool = ConnectionPool(HostKeyStore(self.known_hosts))
        return RunServices(
            runner=Runner(pool, recorder=self.context.recorder, secrets=self.vault.known_secrets),
            pool=pool,
            store=RunStore(self.context),
            resolve=self.resolve,
            find_action=self.registry.find_action,
            vault=self.vault,
            downloads=downloads,
            observer=observer or RunObserver(),
        )


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def procedure_lab(
    tmp_path: Path,
    app_paths: paths.AppPaths,
    sshd: servers.SshServer,
    fresh_sshd: servers.SshServer,
    ssh_user: servers.SshUser,
) -> Iterator[ProcedureLab]:
    url = f"sqlite:///{tmp_path / 'procedures.sqlite3'}"
    database = connect(url, backups=tmp_path / "backups", create_missing=True)
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("test password")
    anchor = audit.Anchor(audit.anchor_path(app_paths), vault)
    with database.session() as session:
        ticket = Ticket(reference="T-PROC-1", title="Web site down", client=Client(name="ACME"))
        session.add(ticket)
        session.commit()
        ticket_id = ticket.id
    context = RecordingContext(database, app_paths.data / "outputs", ACTOR, anchor=anchor, ticket_id=ticket_id)
    known_hosts = servers.write_known_hosts(tmp_path / "known_hosts", sshd, fresh_sshd)

    def target(server: servers.SshServer) -> Target:
        return Target(
            host=server.host, port=server.port, user=ssh_user.name, auth=AuthMethod.KEY, identity_files=(ssh_user.key,)
        )

    registry = PluginRegistry()
    registry.load()
    yield ProcedureLab(
        database=database,
        vault=vault,
        anchor=anchor,
        context=context,
        hosts={"srv-web-01": target(sshd), "srv-web-02": target(fresh_sshd)},
        known_hosts=known_hosts,
        registry=registry,
    )
    database.close()
