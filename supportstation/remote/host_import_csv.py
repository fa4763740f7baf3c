"""Hosts from a CSV file with a header row, as spreadsheets export it (encoding and separator detected).

Columns are recognised by their header in English or French (name/nom, address/adresse, port, client, site,
os/système, vendor/fabricant, transport/protocole, tags/étiquettes, user/utilisateur, notes/remarques, credential/
identifiants, jump/rebond, key file/fichier de clé), without regard to case, accents or punctuation. An empty cell
says nothing: an existing host keeps its value. A column of passwords is never read.
"""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

from supportstation.i18n import _
from supportstation.remote.host_fields import parse_os_family, parse_transport, split_tags
from supportstation.remote.host_sources import HostImportError, ImportFormat, SourceFile, SourceHost, file_error
from supportstation.tickets.csv_reading import ImportFileError, SourceRecord, inspect_source, iter_records
from supportstation.tickets.import_fields import fold

_COLUMNS = {
    "name": ("name", "nom", "host", "hote", "machine", "equipement", "device", "alias", "nom de la machine"),
    "hostname": ("hostname", "host name", "nom d hote", "nom de l hote"),  # the name, or the address beside a name
    "address": ("address", "adresse", "ip", "ip address", "adresse ip", "ipv4", "ipv6", "fqdn", "dns", "addr"),
    "port": ("port", "ssh port", "port ssh"),
    "client": ("client", "customer", "company", "societe", "entreprise", "organisation", "organization"),
    "site": ("site", "location", "lieu", "localisation", "agence"),
    "os_family": ("os", "system", "systeme", "os family", "famille", "operating system", "systeme d exploitation"),
    "vendor": ("vendor", "fabricant", "constructeur", "marque", "manufacturer", "brand"),
    "transport": ("transport", "protocol", "protocole", "connection", "connexion"),
    "tags": ("tags", "tag", "etiquettes", "etiquette", "groups", "groupes", "labels"),
    "login_user": ("user", "username", "user name", "login", "utilisateur", "identifiant", "nom d utilisateur"),
    "notes": ("notes", "note", "remarques", "remarque", "commentaire", "commentaires", "comment", "comments",
              "description"),
    "credential": ("credential", "credentials", "identifiants", "compte", "account"),
    "proxy_jump": ("jump", "jump host", "jump hosts", "proxyjump", "proxy jump", "rebond", "bastion"),
    "identity_files": ("key", "key file", "identity file", "identityfile", "cle", "fichier de cle", "cle ssh",
                       "ssh key", "private key"),
}  # fmt: skip
_SECRET_HEADERS = ("password", "passwd", "pass", "mot de passe", "mdp", "secret", "passphrase")
_BY_HEADER = {alias: field for field, aliases in _COLUMNS.items() for alias in aliases}


def _header_words(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


def column_fields(headers: tuple[str, ...]) -> tuple[dict[str, str], list[str], list[str]]:
    """({header: field}, ignored headers, password headers). The first column for a field wins."""
    mapping: dict[str, str] = {}
    ignored, secrets = [], []
    found = {_header_words(header): header for header in reversed(headers)}
    for header in headers:
        words = _header_words(header)
        field = _BY_HEADER.get(words)
        if field == "hostname":
            # "Hostname" beside a name column is where to connect, as in ssh_config; alone, it is the name.
            has_name = any(_BY_HEADER.get(other) == "name" for other in found)
            field = "address" if has_name else "name"
        if words in _SECRET_HEADERS:
            secrets.append(header)
        elif field is None or field in mapping.values():
            ignored.append(header)
        else:
            mapping[header] = field
    return mapping, ignored, secrets


def read_csv(path: Path) -> SourceFile:
    try:
        info = inspect_source(path)
    except ImportFileError as error:
        raise HostImportError(str(error), path) from error
    if info.kind != "csv":
        raise file_error(path, _("this is JSON, not CSV: export the hosts as CSV, or choose the Ansible format"))
    mapping, ignored, secrets = column_fields(info.headers)
    if "name" not in mapping.values() and "address" not in mapping.values():
        raise file_error(
            path,
            _("no column for the host: the header must have a name (nom) or address (adresse) column; it has {headers}")
            .format(headers=", ".join(info.headers)),
            info.skip_lines + 1,
        )  # fmt: skip
    source = SourceFile(path, ImportFormat.CSV)
    if ignored:
        source.warnings.append(_("Columns ignored: {columns}.").format(columns=", ".join(ignored)))
    if secrets:
        source.warnings.append(
            _("Columns not imported because they hold secrets: {columns}. Create credentials in the vault and name "
              "them in a credential column instead.").format(columns=", ".join(secrets))
        )  # fmt: skip
    try:
        with closing(iter_records(info)) as records:
            for record in records:
                source.hosts.append(_host(record, mapping))
    except ImportFileError as error:
        raise HostImportError(str(error), path) from error
    if not source.hosts:
        source.warnings.append(_("The file has a header but no rows."))
    return source


def _host(record: SourceRecord, mapping: dict[str, str]) -> SourceHost:
    cells: dict[str, str] = {}
    for header, field in mapping.items():
        value = (record.values.get(header) or "").strip()
        if value:
            cells[field] = value
    host = SourceHost(cells.get("name") or cells.get("address") or "", line=record.line)
    if not host.name:
        host.problems.append(_("No name and no address on this row."))
    if record.extra_cells:
        host.problems.append(
            _("{count} cells beyond the last column: is a separator inside a value without quotes?").format(
                count=record.extra_cells
            )
        )
    host.address = cells.get("address")
    host.client, host.site = cells.get("client"), cells.get("site")
    host.vendor, host.notes = cells.get("vendor"), cells.get("notes")
    host.login_user, host.proxy_jump = cells.get("login_user"), cells.get("proxy_jump")
    host.credential = cells.get("credential")
    if "tags" in cells:
        host.tags = split_tags(cells["tags"])
    if "identity_files" in cells:
        host.identity_files = tuple(part.strip() for part in cells["identity_files"].split(";") if part.strip())
    if "port" in cells:
        if cells["port"].isdigit():
            host.port = int(cells["port"])
        else:
            host.problems.append(_("The port '{value}' is not a number.").format(value=cells["port"]))
    if "os_family" in cells:
        host.os_family = parse_os_family(cells["os_family"])
        if host.os_family is None:
            host.problems.append(
                _("Unknown system '{value}': write Linux, Windows, macOS, BSD, network, BMC or other.").format(
                    value=cells["os_family"]
                )
            )
    if "transport" in cells:
        host.transport = parse_transport(cells["transport"])
        if host.transport is None:
            host.problems.append(_("Unknown transport '{value}': write SSH or WinRM.").format(value=cells["transport"]))
    return host
