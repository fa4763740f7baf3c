"""The hosts inventory on SQLite and PostgreSQL: editing, credentials in a real (file) vault, imports, migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select, text

from supportstation import demo, paths
from supportstation.plugin_api import DeviceError, DeviceSession, DeviceTarget, Transport
from supportstation.remote import credentials as credential_store
from supportstation.remote.credentials import CredentialDraft, CredentialError, list_credentials, read_key_file
from supportstation.remote.host_editing import (
    HostDraft,
    HostDraftError,
    HostNotFound,
    create_host,
    delete_hosts,
    form_choices,
    host_draft,
    linked_ticket_count,
    update_host,
)
from supportstation.remote.host_import import EntryStatus, apply_plan, import_hosts, plan_import
from supportstation.remote.host_import_reading import read_source
from supportstation.remote.inventory import load_hosts
from supportstation.remote.targets import AuthMethod
from supportstation.remote.workbench import inventory_target, vault_credentials
from supportstation.storage import connect, schema
from supportstation.storage.database import Database
from supportstation.storage.enums import CredentialKind, HostTransport
from supportstation.storage.models import Client, CredentialRef, Host, Site, Ticket
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "hosts"
SECRET = "Mot-de-passe-très-secret-42!"
FAST = ScryptParameters(n=2**10)


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[Database]:
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = connect(f"sqlite:///{tmp_path / 'hosts.sqlite3'}", backups=tmp_path / "backups", create_missing=True)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def vault(app_paths: paths.AppPaths) -> Vault:
    opened = open_vault(app_paths, backend="file", scrypt=FAST)
    opened.unlock("vault password")
    return opened


def private_key(passphrase: bytes | None) -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption).decode()


# -- editing ------------------------------------------------------------------------------------------------------


def test_hosts_are_created_updated_and_removed_with_their_client_and_site(database: Database) -> None:
    with database.session() as session:
        draft = HostDraft(
            name="srv-01", address="10.0.0.1", client="Mairie de Test", site="Hôtel de ville", tags=("serveur",),
            notes="Salle serveur",
        )  # fmt: skip
        first = create_host(session, draft)
        # The client and site now exist, and are found again without regard to case or extra spaces.
        second = create_host(session, HostDraft(name="sw-01", client="mairie  de test", site="hôtel de ville",
                                                os_family="network", vendor="cisco", port=2222))  # fmt: skip
    with database.session() as session:
        assert session.scalars(select(Client.name)).all() == ["Mairie de Test"]
        assert session.scalars(select(Site.name)).all() == ["Hôtel de ville"]
        rows = {row.name: row for row in load_hosts(session)}
        assert rows["sw-01"].address == "sw-01" and rows["sw-01"].endpoint == "sw-01:2222"
        assert rows["srv-01"].notes == "Salle serveur" and rows["srv-01"].tags == ("serveur",)
        assert [row.name for row in load_hosts(session, client="MAIRIE DE TEST")] == ["srv-01", "sw-01"]

        # A name is unique within a client, whatever its case, and the error names the field.
        with pytest.raises(HostDraftError) as refused:
            create_host(session, HostDraft(name="SRV-01", client="Mairie de Test"))
        assert [problem.field for problem in refused.value.problems] == ["name"]
        assert "already has a host named SRV-01" in str(refused.value)
        # ...but another client may have one.
        create_host(session, HostDraft(name="srv-01", client="Autre client"))

        draft = host_draft(session, first)
        update_host(session, first, HostDraft(**{**draft.__dict__, "address": "10.0.0.2", "site": "Annexe"}))
        update_host(session, first, HostDraft(**{**draft.__dict__, "address": "10.0.0.2", "site": "Annexe"}))
        with pytest.raises(HostDraftError, match="already has a host named sw-01"):
            update_host(session, first, HostDraft(**{**draft.__dict__, "name": "sw-01"}))
    with database.session() as session:
        edited = host_draft(session, first)
        assert (edited.address, edited.site) == ("10.0.0.2", "Annexe")
        assert form_choices(session).sites_by_client["Mairie de Test"] == ("Annexe", "Hôtel de ville")

        client = session.scalar(select(Client).where(Client.name == "Mairie de Test"))
        ticket = Ticket(reference="INC-1", title="Panne", client=client, hosts=[session.get(Host, first)])
        session.add(ticket)
    with database.session() as session:
        assert linked_ticket_count(session, [first, second]) == 1
        assert delete_hosts(session, [first, second, 999_999]) == 2
    with database.session() as session:
        assert session.get(Host, first) is None
        assert session.scalar(select(Ticket).where(Ticket.reference == "INC-1")).hosts == []  # the ticket stays
        with pytest.raises(HostNotFound):
            update_host(session, first, HostDraft(name="x", client="Mairie de Test"))


def test_a_bad_draft_writes_nothing(sqlite_database: Database) -> None:
    with pytest.raises(HostDraftError) as refused, sqlite_database.session() as session:
        create_host(session, HostDraft(name="web", address="admin@web", client="Nouveau client", port=0))
    assert {problem.field for problem in refused.value.problems} == {"address", "port"}
    with sqlite_database.session() as session:
        assert session.scalars(select(Client)).all() == []


def test_an_inventory_host_connects_as_its_login_details_say(sqlite_database: Database) -> None:
    with sqlite_database.session() as session:
        host_id = create_host(session, HostDraft(name="srv", address="2001:db8::5", client="C", port=2200,
                                                 login_user="deploy", proxy_jump="admin@bastion:2222,jump2",
                                                 identity_files=("~/.ssh/id_client",)))  # fmt: skip
        target = inventory_target(session.get(Host, host_id))
        assert (target.host, target.port, target.user, target.name) == ("2001:db8::5", 2200, "deploy", "srv")
        assert [(hop.user, hop.host, hop.port) for hop in target.jump] == [("admin", "bastion", 2222),
                                                                          ("", "jump2", 22)]  # fmt: skip
        assert target.identity_files == (Path("~/.ssh/id_client").expanduser(),)
        # A credential's own user name wins: the secret belongs to that account.
        credential = CredentialRef(label="root", kind=CredentialKind.PASSWORD, username="root", vault_key="k/1")
        session.get(Host, host_id).credential = credential
        session.flush()
        target = inventory_target(session.get(Host, host_id))
        assert (target.user, target.auth, target.credential_key) == ("root", AuthMethod.PASSWORD, "k/1")
        agent = CredentialRef(label="agent", kind=CredentialKind.SSH_AGENT, vault_key="k/2")
        session.get(Host, host_id).credential = agent
        session.flush()
        target = inventory_target(session.get(Host, host_id))
        assert (target.user, target.auth, target.credential_key) == ("deploy", AuthMethod.AGENT, None)


def test_a_device_host_is_reached_through_its_plugins_transport(sqlite_database: Database) -> None:
    def refuse(target: DeviceTarget) -> DeviceSession:
        raise DeviceError("not in this test")

    ios = Transport(name="cisco-ios", title="Cisco IOS", language="ios", default_port=22, identity="ssh-host-key",
                    connect=refuse)  # fmt: skip
    with sqlite_database.session() as session:
        options = (("secret_prompt", "yes"),)
        draft = HostDraft(name="sw-01", address="10.0.0.2", client="C", os_family="network", transport="cisco-ios",
                          device_options=options)  # fmt: skip
        host_id = create_host(session, draft)
        host = session.get(Host, host_id)
        assert (host.transport, host.device_transport) == (HostTransport.DEVICE, "cisco-ios")
        assert host_draft(session, host_id).transport == "cisco-ios"  # the form shows it as it was chosen
        target = inventory_target(host, {"cisco-ios": ios})
        assert (target.transport, target.shell, target.port) == ("cisco-ios", "ios", 22)
        assert target.device is not None and dict(target.device.options) == {"secret_prompt": "yes"}
        # Without the plugin the host is still a device: no language, so no action is offered for it.
        assert inventory_target(host).shells == ("",)
        # Saved as SSH again, it is no device any more.
        update_host(session, host_id, HostDraft(name="sw-01", address="10.0.0.2", client="C", transport="ssh"))
        assert (host.transport, host.device_transport, inventory_target(host).device) == (HostTransport.SSH, "", None)
        assert [row.transport for row in load_hosts(session)] == ["ssh"]


# -- credentials --------------------------------------------------------------------------------------------------


def test_a_password_lives_in_the_vault_and_never_in_the_database(
    database: Database, vault: Vault, tmp_path: Path
) -> None:
    credential_id = credential_store.create_credential(
        database, vault, CredentialDraft("Compte support", CredentialKind.PASSWORD, "support", secret=SECRET)
    )
    with database.session() as session:
        ref = session.get(CredentialRef, credential_id)
        assert vault.load_text(ref.vault_key) == SECRET
        host_id = create_host(session, HostDraft(name="srv", client="C", credential_id=credential_id))
        # Nowhere in any column of any table.
        for table in ("credential_ref", "host"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                assert all(SECRET not in str(value) for value in row)
        target = inventory_target(session.get(Host, host_id))
    assert vault_credentials(vault)(target).password == SECRET
    assert "support" in repr(CredentialDraft("x", "password", "support", secret=SECRET))
    assert SECRET not in repr(CredentialDraft("x", "password", "support", secret=SECRET))
    if database.sqlite_path is not None:
        files = [database.sqlite_path, database.sqlite_path.with_name(database.sqlite_path.name + "-wal")]
        assert all(SECRET.encode() not in path.read_bytes() for path in files if path.exists())

    # Replacing the secret keeps the reference; a label already used is refused, whatever its case.
    credential_store.update_credential(
        database, vault, credential_id, CredentialDraft("Compte support", "password", "support", secret="nouveau")
    )
    assert vault.load_text(ref.vault_key) == "nouveau"
    with pytest.raises(CredentialError, match="already exists") as taken:
        credential_store.create_credential(database, vault, CredentialDraft("COMPTE SUPPORT", "password", secret="x"))
    assert taken.value.field == "label"

    # Removing it takes it off its hosts and out of the vault.
    assert credential_store.delete_credential(database, vault, credential_id) == 1
    assert not vault.exists(ref.vault_key)
    with database.session() as session:
        assert session.get(Host, host_id).credential_ref_id is None
        assert list_credentials(session) == []


def test_a_key_and_its_passphrase_are_checked_then_stored(sqlite_database: Database, vault: Vault,
                                                          tmp_path: Path) -> None:  # fmt: skip
    key_file = tmp_path / "id_client"
    key_file.write_text(private_key(b"phrase secrete"), encoding="utf-8")
    key_text = read_key_file(key_file)
    with pytest.raises(CredentialError, match="give its passphrase") as missing:
        credential_store.create_credential(sqlite_database, vault, CredentialDraft("Clé", "ssh_key", secret=key_text))
    assert missing.value.field == "passphrase"
    with pytest.raises(CredentialError, match="does not open this key"):
        credential_store.create_credential(
            sqlite_database, vault, CredentialDraft("Clé", "ssh_key", "deploy", secret=key_text, passphrase="faux")
        )
    assert vault.keys() == []  # nothing stored by the refused attempts
    credential_id = credential_store.create_credential(
        sqlite_database,
        vault,
        CredentialDraft("Clé", "ssh_key", "deploy", secret=key_text, passphrase="phrase secrete"),
    )
    with sqlite_database.session() as session:
        [row] = list_credentials(session)
        assert (row.credential_id, row.kind, row.username) == (credential_id, CredentialKind.SSH_KEY, "deploy")
        assert row.display == "Clé (deploy, SSH key)"
        host_id = create_host(session, HostDraft(name="srv", client="C", credential_id=credential_id))
        target = inventory_target(session.get(Host, host_id))
    found = vault_credentials(vault)(target)
    assert (found.private_key, found.passphrase, target.user) == (key_text, "phrase secrete", "deploy")

    # A key without a passphrase replaces the old one, and the old passphrase goes with it.
    plain_key = private_key(None)
    credential_store.update_credential(sqlite_database, vault, credential_id,
                                       CredentialDraft("Clé", "ssh_key", "deploy", secret=plain_key))  # fmt: skip
    assert vault_credentials(vault)(target).private_key == plain_key
    assert not vault.exists(row.vault_key + "/passphrase")


def test_files_that_are_not_private_keys_are_refused(tmp_path: Path) -> None:
    public = tmp_path / "id.pub"
    public.write_text("ssh-ed25519 AAAAC3Nza... me@laptop\n", encoding="utf-8")
    with pytest.raises(CredentialError, match="public key"):
        read_key_file(public)
    with pytest.raises(CredentialError, match="Cannot read"):
        read_key_file(tmp_path / "missing")
    damaged = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n"
    with pytest.raises(CredentialError, match="cannot be read"):
        credential_store.check_private_key(damaged, None)


def test_the_secret_is_removed_when_the_reference_cannot_be_written(
    sqlite_database: Database, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential_store.create_credential(sqlite_database, vault, CredentialDraft("A", "password", secret="one"))
    # A colleague takes the label between the check and the write: the database refuses, the vault is cleaned.
    monkeypatch.setattr(credential_store, "_label_taken", lambda *arguments: False)
    with pytest.raises(CredentialError, match="already exists"):
        credential_store.create_credential(sqlite_database, vault, CredentialDraft("A", "password", secret="two"))
    assert len(vault.keys()) == 1


# -- imports ------------------------------------------------------------------------------------------------------


def test_an_ansible_import_then_a_re_import(database: Database, tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text((DATA / "ansible" / "hosts.ini").read_text(encoding="utf-8"), encoding="utf-8")
    client = "Mairie de Saint-Genis"
    plan = import_hosts(database, inventory, client=client, site="Hôtel de ville")
    assert (plan.count(EntryStatus.NEW), plan.refused, plan.applied) == (14, 1, True)
    with database.session() as session:
        rows = {row.name: row for row in load_hosts(session, client=client)}
    assert len(rows) == 14 and "supervision" not in rows
    ad01 = rows["ad01"]
    assert (ad01.transport, ad01.os_family, ad01.login_user) == ("winrm", "windows", "MAIRIE\\adm-support")
    assert rows["db01.mairie.lan"].endpoint == "10.1.2.11:2200" and rows["db01.mairie.lan"].site == "Hôtel de ville"
    assert rows["web02.mairie.lan"].proxy_jump == "admin@203.0.113.10"

    # The engineer adds a tag and a note; the file changes one address. The re-import keeps both edits.
    with database.session() as session:
        web = session.get(Host, rows["web02.mairie.lan"].host_id)
        web.tags = [*web.tags, "à surveiller"]
        web.notes = "Disque à changer"
    inventory.write_text(inventory.read_text(encoding="utf-8").replace("10.1.2.11", "10.1.2.111"), encoding="utf-8")
    again = import_hosts(database, inventory, client=client)
    statuses = {entry.name: entry for entry in again.entries}
    assert statuses["db01.mairie.lan"].status is EntryStatus.UPDATE
    assert [change.describe() for change in statuses["db01.mairie.lan"].changes] == ["address: 10.1.2.11 → 10.1.2.111"]
    assert again.count(EntryStatus.UNCHANGED) == 13
    with database.session() as session:
        web = session.get(Host, rows["web02.mairie.lan"].host_id)
        assert "à surveiller" in web.tags and web.notes == "Disque à changer" and web.site.name == "Hôtel de ville"


def test_a_csv_import_names_each_refused_row(sqlite_database: Database) -> None:
    with sqlite_database.session() as session:
        session.add(CredentialRef(label="Admin Durand", kind=CredentialKind.PASSWORD, vault_key="c/1"))
    source = read_source(DATA / "hosts.csv")
    source.hosts[1].credential = "admin durand"
    source.hosts[2].credential = "Inconnu"
    with sqlite_database.writing() as session:
        plan = apply_plan(session, plan_import(session, source))
    by_line = {entry.line: entry for entry in plan.entries}
    assert [by_line[line].status for line in (2, 3, 4, 5, 6)] == [EntryStatus.NEW, EntryStatus.NEW, EntryStatus.ERROR,
                                                                  EntryStatus.ERROR, EntryStatus.ERROR]  # fmt: skip
    assert "No credential is labelled Inconnu" in by_line[4].details
    assert "not a number" in by_line[5].details
    assert "already in the file (line 2)" in by_line[6].details
    with sqlite_database.session() as session:
        rows = {row.name: row for row in load_hosts(session)}
    assert set(rows) == {"srv-compta", "pc-accueil"}
    assert (rows["pc-accueil"].credential, rows["pc-accueil"].os_family) == ("Admin Durand", "windows")
    assert (rows["srv-compta"].client, rows["srv-compta"].site) == ("Cabinet Durand", "Siège")


def test_a_dry_run_or_a_file_without_client_writes_nothing(sqlite_database: Database) -> None:
    plan = import_hosts(sqlite_database, DATA / "ssh" / "config", client="Client SSH", dry_run=True)
    assert plan.count(EntryStatus.NEW) == 6 and not plan.applied
    refused = import_hosts(sqlite_database, DATA / "hosts_fr.csv")
    assert refused.refused == 3 and all("No client" in entry.details for entry in refused.entries)
    with sqlite_database.session() as session:
        assert load_hosts(session) == [] and session.scalars(select(Client)).all() == []


def test_applying_a_plan_is_all_in_one_transaction(sqlite_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from supportstation.remote import host_import

    created = []

    def failing_create(session, draft):  # type: ignore[no-untyped-def]
        if len(created) == 3:
            raise OSError("disk full")
        created.append(draft.name)
        return original(session, draft)

    original = host_import.create_host
    monkeypatch.setattr(host_import, "create_host", failing_create)
    with pytest.raises(OSError, match="disk full"):
        import_hosts(sqlite_database, DATA / "ansible" / "hosts.yml", client="Mairie")
    with sqlite_database.session() as session:
        assert load_hosts(session) == [] and session.scalars(select(Client)).all() == []


# -- migration ----------------------------------------------------------------------------------------------------


def test_hosts_of_an_older_database_get_empty_login_details(database_url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from supportstation.storage.database import open_database

    database = open_database(database_url, create_missing=True)
    try:
        config = Config()
        config.set_main_option("script_location", str(schema.MIGRATIONS))
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        with database.engine.begin() as connection:
            columns = "id, name, time_zone, contract, notes, working_days, opens_minute, closes_minute, " + (
                "holiday_country, holiday_subdivision"
            )
            values = "1, 'C', 'Europe/Paris', 'standard', '', '[0]', 480, 1080, 'FR', ''"
            connection.execute(text(f"INSERT INTO client ({columns}) VALUES ({values})"))
            connection.execute(text("INSERT INTO host (client_id, name, address, os_family, vendor, transport, tags, "
                                    "notes) VALUES (1, 'old', '10.0.0.1', 'linux', '', 'ssh', '[]', '')"))  # fmt: skip
        assert schema.prepare(database, tmp_path / "backups").after == schema.HEAD_REVISION
        with database.session() as session:
            host = session.scalar(select(Host))
            assert (host.login_user, host.proxy_jump, host.identity_files) == ("", "", [])
            assert inventory_target(host).user == ""
    finally:
        database.close()


def test_the_demo_hosts_show_in_the_inventory(sqlite_database: Database) -> None:
    demo.populate(sqlite_database)
    with sqlite_database.session() as session:
        rows = load_hosts(session)
    assert len(rows) == 15 and any(row.notes for row in rows)
