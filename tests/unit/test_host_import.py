"""Reading hosts from ssh_config, Ansible inventories (INI, YAML) and CSV, without a database.

The Ansible readers are checked against ansible-core itself: `ansible-inventory -i FILE --list` on the same file
(with its group_vars/ and host_vars/) must give the same hosts, the same groups and members, and the same effective
ansible_host, ansible_port and ansible_user per host once group variables have been merged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from supportstation.remote.ansible_inventory import expand_host_pattern, read_ini
from supportstation.remote.ansible_yaml import read_yaml
from supportstation.remote.host_editing import HostDraft, draft_problems, normalized
from supportstation.remote.host_fields import address_problem, parse_os_family
from supportstation.remote.host_import_ansible import _jump_from_proxy_command
from supportstation.remote.host_import_reading import detect_format, read_source
from supportstation.remote.host_sources import HostImportError, ImportFormat, SourceFile, SourceHost
from supportstation.remote.ssh_config import lookup
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "hosts"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


# -- the reference: ansible-inventory ------------------------------------------------------------------------------


def ansible_list(path: Path, work: Path, *, strict: bool = False) -> subprocess.CompletedProcess[str]:
    if not ANSIBLE_INVENTORY.exists():
        pytest.skip("ansible-core is not installed in this environment (it is a test dependency)")
    home = work / "ansible-home"
    home.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_CONFIG": str(home / "none.cfg"),  # no ansible.cfg from the working folder or the user
        "ANSIBLE_INVENTORY_ENABLED": "ini,yaml",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true" if strict else "false",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true" if strict else "false",
    }
    return subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(path), "--list"],
        capture_output=True, text=True, cwd=work, env=environment, timeout=120,
    )  # fmt: skip


def reference(path: Path, work: Path) -> dict[str, Any]:
    listed = ansible_list(path, work, strict=True)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def group_names(listing: dict[str, Any]) -> dict[str, set[str]]:
    """Ansible's group_names per host (its groups and their ancestors, without all and ungrouped), from --list."""
    parents: dict[str, set[str]] = {}
    for group, body in listing.items():
        for child in body.get("children", []) if group != "_meta" else []:
            parents.setdefault(child, set()).add(group)

    def ancestors(group: str) -> set[str]:
        found = set()
        for parent in parents.get(group, ()):
            found |= {parent} | ancestors(parent)
        return found

    names: dict[str, set[str]] = {}
    for group, body in listing.items():
        for host in body.get("hosts", []) if group != "_meta" else []:
            names.setdefault(host, set()).update({group} | ancestors(group))
    return {host: groups - {"all", "ungrouped"} for host, groups in names.items()}


def assert_same_as_ansible(path: Path, work: Path) -> SourceFile:
    listing = reference(path, work)
    reader = read_yaml if path.suffix in (".yml", ".yaml") else read_ini
    inventory = reader(path, path.read_text(encoding="utf-8"))
    # Groups and their direct members and children (ansible lists the hosts of `all` under `ungrouped`).
    listed_groups = {name for name in listing if name != "_meta"}
    ours = {name for name, group in inventory.groups.items() if group.hosts or group.children}
    assert ours == listed_groups
    for name in listed_groups:
        if name != "all":
            assert sorted(inventory.groups[name].hosts) == sorted(listing[name].get("hosts", [])), name
        assert sorted(inventory.groups[name].children) == sorted(listing[name].get("children", [])), name
    # Each host as imported: effective connection variables after precedence, groups as tags.
    source = read_source(path, "ansible")
    hostvars = listing["_meta"]["hostvars"]  # only the hosts that have variables
    listed_hosts = {host for name in listed_groups for host in listing[name].get("hosts", [])}
    assert source.hosts and {host.name for host in source.hosts} == listed_hosts
    expected_groups = group_names(listing)
    for host in source.hosts:
        variables = hostvars.get(host.name, {})
        assert set(host.tags) == expected_groups[host.name], host.name
        if host.problems:
            continue
        assert host.address == variables.get("ansible_host"), host.name
        port = variables.get("ansible_port")  # YAML may give it as text: Ansible converts it when it connects
        assert host.port == (int(port) if port is not None else None), host.name
        assert host.login_user == variables.get("ansible_user"), host.name
    return source


# -- Ansible ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hosts.ini", "hosts.yml"])
def test_the_realistic_inventories_read_as_ansible_reads_them(name: str, tmp_path: Path) -> None:
    source = assert_same_as_ansible(DATA / "ansible" / name, tmp_path)
    hosts = {host.name: host for host in source.hosts}
    # group_vars/web/main.yml beats the inventory file's [critical:vars]; the port of `host:2222` beats both.
    assert hosts["web01.mairie.lan"].port == 8022
    assert hosts["web-legacy.mairie.lan"].port == 2222
    assert hosts["db02.mairie.lan"].address == "10.1.2.102"  # from host_vars/
    assert hosts["db01.mairie.lan"].line is not None
    assert set(hosts["web01.mairie.lan"].tags) == {"prod", "critical", "linux", "web"}
    # The connection variables become a transport and a system.
    assert (hosts["ad01"].transport, hosts["ad01"].os_family) == ("winrm", "windows")
    assert hosts["ad01"].login_user == "MAIRIE\\adm-support"
    assert (hosts["sw-core"].os_family, hosts["sw-core"].vendor) == ("network", "cisco")
    assert (hosts["fw01"].os_family, hosts["fw01"].vendor) == ("network", "fortinet")
    assert hosts["web02.mairie.lan"].proxy_jump == "admin@203.0.113.10"
    assert hosts["web02.mairie.lan"].identity_files == ("~/.ssh/mairie_ed25519",)
    assert hosts["ad01"].proxy_jump is None and hosts["ad01"].identity_files is None
    # Passwords are never taken, but the user is told; a template cannot be evaluated, so the entry is refused.
    assert any("ansible_password" in warning for warning in hosts["ad02"].warnings)
    assert "Jinja template" in hosts["supervision"].problems[0]
    assert all(not host.problems for name, host in hosts.items() if name != "supervision")


INI_EDGE_CASES = """\
# children named before they are declared, vars before the group has hosts, ports and ranges
[everything:children]
servers
switches

[servers:vars]
ansible_user="quoted user"
ansible_port=2200

[servers:children]
app

[app]
app-[1:7:3]
app-x:2022 ansible_host=10.9.9.9
[2001:db8::10]:2200
10.0.0.[8:9]

[app:vars]
ansible_user=app

[switches]
sw-[a:c]
app-1 ansible_port=2300

[switches:vars]
ansible_group_priority=0
ansible_user=net

[servers]
lonely ansible_host=lonely.example.com

[ungrouped]
app-4
orphan
"""

YAML_EDGE_CASES = """\
all:
  vars:
    ansible_user: root
  children:
    databases:
      hosts:
        "pg[01:02]":
          ansible_port: "5022"
        "[2001:db8::20]:2222":
      children:
        replicas:
          hosts:
            pg02:
              ansible_user: replica
    ungrouped:
      hosts:
        stray:
    empty_group:
    misc:
      hosts: single-host
databases:
  vars:
    ansible_host: 10.0.0.5
  unexpected: {a: 1}
"""


@pytest.mark.parametrize(("suffix", "text", "count"), [(".ini", INI_EDGE_CASES, 12), (".yml", YAML_EDGE_CASES, 5)])
def test_ansible_edge_cases_read_as_ansible_reads_them(suffix: str, text: str, count: int, tmp_path: Path) -> None:
    path = tmp_path / f"inventory{suffix}"
    path.write_text(text, encoding="utf-8")
    source = assert_same_as_ansible(path, tmp_path)
    assert len(source.hosts) == count


HOST_PATTERNS = ["web[01:03]", "db-[a:c]-[1:2]", "h[1:10:4].lan", "10.0.0.[1:3]", "web:2222", "[2001:db8::1]:22",
                 "web[1:3]:22", "plain", "srv.example.com", "x[0:2]y[08:10]", "db[a:b]:2200"]  # fmt: skip
_ANSIBLE_EXPANSION = """
import json, sys
from ansible.cli import CLI  # loads ansible's configuration in the order its plugins expect
from ansible.plugins.inventory.ini import InventoryModule
print(json.dumps([InventoryModule()._expand_hostpattern(pattern) for pattern in sys.argv[1:]]))
"""


def test_host_patterns_expand_as_ansible_expands_them(tmp_path: Path) -> None:
    if not ANSIBLE_INVENTORY.exists():
        pytest.skip("ansible-core is not installed in this environment (it is a test dependency)")
    environment = {**os.environ, "ANSIBLE_HOME": str(tmp_path), "ANSIBLE_CONFIG": str(tmp_path / "none.cfg")}
    expanded = subprocess.run([sys.executable, "-c", _ANSIBLE_EXPANSION, *HOST_PATTERNS], capture_output=True,
                              text=True, env=environment, cwd=tmp_path, timeout=120, check=True)  # fmt: skip
    expected = [(names, port) for names, port in json.loads(expanded.stdout)]
    assert [expand_host_pattern(pattern) for pattern in HOST_PATTERNS] == expected


@pytest.mark.parametrize(
    ("text", "suffix", "line", "words"),
    [
        ((DATA / "malformed" / "undefined_child.ini").read_text(), ".ini", 6, "databases"),
        ("[web]\nweb[3:1]\n", ".ini", 2, "range"),
        ("[web]\nweb01 ansible_port\n", ".ini", 2, "name=value"),
        ("[web:children]\napp\n[app:children]\nweb\n", ".ini", 4, "loop"),
        ("[web:members]\nweb01\n", ".ini", 1, "unknown type"),
        ("[web group]\nweb01\n", ".ini", 1, "no spaces"),
        ("[orphans:vars]\nx=1\n", ".ini", 1, "defined nowhere"),
        ("[web]\nweb01 a='unclosed\n", ".ini", 2, "cannot read"),
        ((DATA / "malformed" / "bad_indent.yml").read_text(), ".yml", 5, "not valid YAML"),
        ("all:\n  hosts:\n    a:\n    a:\n", ".yml", 4, "duplicate"),
        ("plugin: amazon.aws.aws_ec2\nregions: [eu-west-3]\n", ".yml", None, "aws_ec2"),
        ("all:\n  hosts:\n    1234:\n", ".yml", 3, "quotes"),
        ("all:\n  hosts: [a, b]\n", ".yml", 2, "mapping"),
        ("- a\n- b\n", ".yml", None, "mapping of groups"),
    ],
)
def test_a_malformed_inventory_is_refused_naming_the_line(
    text: str, suffix: str, line: int | None, words: str, tmp_path: Path
) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HostImportError) as raised:
        read_source(path, "ansible")
    assert raised.value.line == line
    assert words in str(raised.value) and "broken" in str(raised.value)


def test_ansible_refuses_the_undefined_child_too(tmp_path: Path) -> None:
    listed = ansible_list(DATA / "malformed" / "undefined_child.ini", tmp_path, strict=True)
    assert listed.returncode != 0 and "databases" in listed.stderr


def test_proxy_commands_that_are_jumps_become_jump_hosts() -> None:
    assert _jump_from_proxy_command("ssh -W %h:%p -q admin@bastion") == "admin@bastion"
    assert _jump_from_proxy_command("ssh -p 2222 -l ops -W %h:%p jump.lan") == "ops@jump.lan:2222"
    assert _jump_from_proxy_command("nc -X connect -x proxy:3128 %h %p") is None
    assert _jump_from_proxy_command("ssh bastion nc %h %p") is None


def test_a_vaulted_variables_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n6231\n", encoding="utf-8")
    (tmp_path / "hosts").write_text("[web]\nweb01 ansible_host=10.0.0.1\n", encoding="utf-8")
    source = read_source(tmp_path / "hosts")
    assert source.format is ImportFormat.ANSIBLE_INI
    assert source.hosts[0].address == "10.0.0.1"
    assert any("Ansible Vault" in warning and "all.yml" in warning for warning in source.warnings)


# -- ssh_config ---------------------------------------------------------------------------------------------------


def test_ssh_config_hosts_are_what_ssh_would_reach() -> None:
    path = DATA / "ssh" / "config"
    source = read_source(path)
    assert source.format is ImportFormat.SSH_CONFIG
    hosts = {host.name: host for host in source.hosts}
    # Wildcard blocks give defaults, not hosts; every concrete alias is one.
    assert list(hosts) == ["bastion", "srv-fichiers", "srv-fichiers.lan", "nas", "sw-accueil", "fw principal"]
    for name, host in hosts.items():
        expected = lookup(name, path)
        assert (host.address, host.port, host.login_user) == (expected.hostname, expected.port, expected.user)
        assert host.identity_files == tuple(str(file) for file in expected.identity_files)
    # `Host *` comes first, so its User wins over bastion's own, as ssh -G shows; `Host *.lan` sets the port.
    assert hosts["bastion"].login_user == "support"
    assert hosts["srv-fichiers.lan"].port == 2200
    # The jump through the alias `bastion` is written out, so it works without this file.
    assert hosts["srv-fichiers"].proxy_jump == "support@203.0.113.10:2222"
    assert (hosts["bastion"].line, hosts["fw principal"].line) == (6, 29)


def test_ssh_config_includes_are_followed(tmp_path: Path) -> None:
    extra = tmp_path / "clients.conf"
    extra.write_text("Host client-a\n  HostName 192.0.2.7\n  Port 2022\n", encoding="utf-8")
    main = tmp_path / "config"
    main.write_text(f"Include {extra}\nHost local\n  HostName 127.0.0.1\n", encoding="utf-8")
    source = read_source(main, "ssh-config")
    assert [(host.name, host.address, host.port, host.line) for host in source.hosts] == [
        ("client-a", "192.0.2.7", 2022, None),
        ("local", "127.0.0.1", 22, 2),
    ]


def test_a_broken_ssh_config_is_refused_naming_the_line() -> None:
    with pytest.raises(HostImportError) as raised:
        read_source(DATA / "malformed" / "bad_port_config")
    assert raised.value.line == 3 and "bad port 'ssh'" in str(raised.value)


def test_a_match_exec_refuses_only_the_hosts_it_could_concern(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text('Host first\n  HostName 10.0.0.1\nMatch exec "true"\n  User x\nHost second\n', encoding="utf-8")
    hosts = {host.name: host for host in read_source(path, "ssh-config").hosts}
    assert "does not run the commands" in hosts["first"].problems[0]
    assert hosts["second"].problems


# -- CSV ----------------------------------------------------------------------------------------------------------


def test_csv_rows_become_hosts_with_per_row_problems() -> None:
    source = read_source(DATA / "hosts.csv")
    assert source.format is ImportFormat.CSV
    rows = {(host.name, host.line): host for host in source.hosts}
    compta = rows[("srv-compta", 2)]
    assert (compta.address, compta.client, compta.site, compta.os_family) == ("10.30.0.5", "Cabinet Durand", "Siège",
                                                                             "linux")  # fmt: skip
    assert compta.tags == ("serveur", "compta") and compta.login_user == "admin" and compta.notes == "Sauvegarde à 22h"
    assert compta.port is None  # an empty cell says nothing
    assert rows[("pc-accueil", 3)].transport == "winrm"
    assert (rows[("sw-01", 4)].os_family, rows[("sw-01", 4)].port) == ("network", 22)
    assert rows[("bad-port", 5)].problems == ["The port 'http' is not a number."]


def test_a_french_excel_csv_is_read_and_its_password_column_is_not() -> None:
    source = read_source(DATA / "hosts_fr.csv")
    hosts = {host.name: host for host in source.hosts}
    assert set(hosts) == {"srv-étude", "ilo-étude", "imprimante"}
    assert (hosts["srv-étude"].os_family, hosts["srv-étude"].login_user) == ("linux", "notaire")
    assert (hosts["ilo-étude"].os_family, hosts["ilo-étude"].vendor) == ("bmc", "HPE")
    assert "Unknown system 'Imprimante'" in hosts["imprimante"].problems[0]
    assert any("Mot de passe" in warning for warning in source.warnings)
    assert all("secret123" not in repr(host) for host in source.hosts)


def test_a_csv_without_a_host_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HostImportError) as raised:
        read_source(DATA / "malformed" / "no_name.csv")
    assert "name (nom) or address (adresse)" in str(raised.value) and "description" in str(raised.value)
    shifted = tmp_path / "shifted.csv"
    shifted.write_text("name;address\nweb;10.0.0.1;extra;cells\n", encoding="utf-8")
    assert "2 cells beyond the last column" in read_source(shifted).hosts[0].problems[0]
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(HostImportError, match="not a text file"):
        read_source(binary)


# -- formats, addresses, drafts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("config", "Host web\n  HostName 10.0.0.1\n", ImportFormat.SSH_CONFIG),
        ("config", "# mine\nHostName=10.0.0.1\n", ImportFormat.SSH_CONFIG),
        ("hosts", "; comment\n[web]\nweb01\n", ImportFormat.ANSIBLE_INI),
        ("hosts", "web01 ansible_host=10.0.0.1\n", ImportFormat.ANSIBLE_INI),
        ("inventory", "---\nall:\n  hosts:\n", ImportFormat.ANSIBLE_YAML),
        ("export", "Nom;Adresse\nweb;10.0.0.1\n", ImportFormat.CSV),
        ("hosts.yaml", "all: {}\n", ImportFormat.ANSIBLE_YAML),
        ("list.csv", "anything", ImportFormat.CSV),
    ],
)
def test_the_format_is_detected(name: str, text: str, expected: ImportFormat, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert detect_format(path) is expected


def test_a_missing_or_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HostImportError, match="does not exist"):
        read_source(tmp_path / "nowhere.ini")
    (tmp_path / "empty").write_text("\n# nothing\n", encoding="utf-8")
    with pytest.raises(HostImportError, match="empty"):
        read_source(tmp_path / "empty")
    with pytest.raises(HostImportError, match="folder"):
        read_source(tmp_path, "ansible")


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("10.0.0.1", None), ("2001:db8::1", None), ("[2001:db8::1]", None), ("srv-01.mairie.lan", None),
        ("srv_01", None), ("mairie.fr.", None), ("café.example", None),
        ("root@srv", "login field"), ("srv:2222", "port field"), ("ssh://srv", "URL"), ("srv 01", "spaces"),
        ("999.1.1.1", "neither"), ("-srv", "neither"), ("a" * 64 + ".lan", "neither"),
    ],
)  # fmt: skip
def test_addresses_are_host_names_or_ip_addresses(address: str, problem: str | None) -> None:
    found = address_problem(address)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_a_draft_names_every_problem_by_field() -> None:
    draft = normalized(HostDraft(name=" ", address="root@x", client="", port=70000, os_family="amiga",
                                 transport="tel net!", tags=("a,b",), proxy_jump="bad host:x"))  # fmt: skip
    fields = {problem.field for problem in draft_problems(draft)}
    assert fields == {"name", "address", "client", "port", "os_family", "transport", "tags", "proxy_jump"}
    clean = normalized(HostDraft(name=" srv ", client=" Mairie  de  X ", port=22, os_family="Debian 12",
                                 transport="SSH", tags=("Serveur", "serveur", " ")))  # fmt: skip
    assert draft_problems(clean) == []
    assert (clean.name, clean.address, clean.client, clean.port) == ("srv", "srv", "Mairie de X", None)
    assert (clean.os_family, clean.transport, clean.tags) == ("linux", "ssh", ("Serveur",))


def test_a_device_names_its_plugin_transport() -> None:
    # A switch names its plugin's transport, loaded or not; "device" alone names none.
    switch = normalized(HostDraft(name="sw-01", client="Mairie", os_family="network", transport="cisco-ios"))
    assert draft_problems(switch) == []
    unnamed = normalized(HostDraft(name="sw-01", client="Mairie", os_family="network", transport="device"))
    assert [problem.field for problem in draft_problems(unnamed)] == ["transport"]


@pytest.mark.parametrize(
    ("text", "family"),
    [("Windows Server 2019", "windows"), ("ubuntu 22.04", "linux"), ("Cisco IOS", "network"), ("iDRAC", "bmc"),
     ("macOS", "macos"), ("FreeBSD 14", "bsd"), ("Winamp", None), ("", None), ("Imprimante", None)],
)  # fmt: skip
def test_systems_are_recognised_as_people_write_them(text: str, family: str | None) -> None:
    assert parse_os_family(text) == family


def test_source_hosts_say_nothing_where_the_file_says_nothing() -> None:
    host = SourceHost("web")
    assert host.address is None and host.port is None and host.identity_files is None and host.tags == ()
