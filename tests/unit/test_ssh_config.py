"""~/.ssh/config lookups, each checked against what OpenSSH itself prints with `ssh -G` for the same file.

`ssh -G -F FILE ALIAS` prints the effective options without connecting. It runs with HOME in a temporary folder, and
-F keeps it away from ~/.ssh/config and /etc/ssh/ssh_config; every Include in these files is an absolute path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supportstation.remote.ssh_config import SshConfigError, SshConfigHost, list_aliases, lookup

SSH = shutil.which("ssh")


def passwd_entry() -> tuple[str, str]:
    """(name, home) of the current user as ssh reads them: from the passwd database, not from $USER or $HOME."""
    import pwd

    entry = pwd.getpwuid(os.getuid())
    return entry.pw_name, entry.pw_dir


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of our own, for this module as for ssh."""
    folder = tmp_path / "home"
    (folder / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("SUPPORTSTATION_KEYS", str(tmp_path / "keys"))
    if os.name == "posix":
        monkeypatch.setenv("LOGNAME", passwd_entry()[0])  # what getpass reads first: the user ssh sees
    return folder


@pytest.fixture
def ssh(home: Path) -> OpenSsh:
    if SSH is None or os.name != "posix":
        if os.environ.get("CI"):
            pytest.fail("the OpenSSH client is not installed on the CI machine")
        pytest.skip("the OpenSSH client (ssh) is not installed")
    return OpenSsh(SSH, home)


class OpenSsh:
    """`ssh -G`, and what it says a lookup should return."""

    def __init__(self, program: str, home: Path) -> None:
        self.program = program
        self.home = home
        self.local_user, self.passwd_home = passwd_entry()

    def run(self, config: Path, alias: str) -> subprocess.CompletedProcess[str]:
        environment = {"HOME": str(self.home), "PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}
        environment["SUPPORTSTATION_KEYS"] = os.environ["SUPPORTSTATION_KEYS"]
        command = [self.program, "-G", "-F", str(config), alias]
        return subprocess.run(
            command, env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10
        )

    def options(self, config: Path, alias: str) -> dict[str, list[str]]:
        result = self.run(config, alias)
        assert result.returncode == 0, result.stderr
        options: dict[str, list[str]] = {}
        for line in result.stdout.splitlines():
            key, _, value = line.partition(" ")
            options.setdefault(key, []).append(value)
        return options

    def expected(self, config: Path, alias: str) -> SshConfigHost:
        options = self.options(config, alias)
        user = options["user"][0]
        identity_files = options.get("identityfile", [])
        if all(re.fullmatch(r"~/\.ssh/id_\w+", name) for name in identity_files):
            identity_files = []  # ssh's defaults, listed when the configuration names none
        jump = options.get("proxyjump", [""])[0]
        return SshConfigHost(
            alias=alias,
            hostname=options["hostname"][0],
            port=int(options["port"][0]),
            user=None if user == self.local_user else user,
            identity_files=tuple(Path(self.expand(config, alias, name)) for name in identity_files),
            proxy_jump=tuple(jump.split(",")) if jump else (),
        )

    def expand(self, config: Path, alias: str, identity_file: str) -> str:
        """ssh -G prints IdentityFile as written; it expands ControlPath, with the same tokens, before printing."""
        quoted = identity_file.replace("\\", "\\\\").replace('"', '\\"')
        probe = config.with_name(config.name + ".probe")
        probe.write_text(f'ControlPath "{quoted}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
        expanded = self.options(probe, alias)["controlpath"][0]
        # ssh takes ~ and %d from the passwd database, this module (like Python) from $HOME. The cases use them only
        # at the start of a path, where they can be told from a %r or %u that happens to be the same word.
        if expanded.startswith(self.passwd_home.rstrip("/") + "/"):
            return str(self.home) + expanded[len(self.passwd_home.rstrip("/")) :]
        return expanded


def write(folder: Path, files: dict[str, str]) -> Path:
    """The files of a case under folder, {dir} standing for folder; returns the main one, `config`."""
    local_user = passwd_entry()[0] if os.name == "posix" else "nobody"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{dir}", str(folder)).replace("{localuser}", local_user), encoding="utf-8")
        path.chmod(0o644)
    return folder / "config"


# -- the same answers as ssh -G ------------------------------------------------------------------------------------

WILDCARDS = """\
Host *.corp !bastion.corp
    User corp-admin
    ProxyJump bastion.corp
Host ?????.corp
    Port 2201
Host *
    Port 2200
"""

MATCHES = """\
Match originalhost web user ops
    Port 1001
Host web
    User ops
Match user ops host web
    HostName web.internal
Match host WEB.INTERNAL
    IdentityFile ~/.ssh/internal
Match localuser {localuser}
    ProxyJump local-jump
Match !originalhost web
    Port 1002
Match all
    Port 1003
"""

# Match host sees the HostName set further down only when a `Match final` makes ssh read the file twice.
LATE_HOSTNAME = """\
Match host web.*
    Port 4
Host web
    HostName web.example
"""

TOKENS = """\
Host web
    HostName Web.Example.COM
    Port 2222
    User deploy
    HostKeyAlias WebKey
    IdentityFile ~/.ssh/%h_%p_%r
    IdentityFile %d/keys/%u-%n-%%-%L-%l
    IdentityFile ${SUPPORTSTATION_KEYS}/%C
    IdentityFile ~/.ssh/%k_%i
"""

INCLUDE_IN_HOST = """\
Host web db
    Include {dir}/conf.d/*.conf
    HostName after-include.example
Host db
    HostName db.example
    User db-admin
"""

CASES = [
    ("no block applies", {"config": "Host other\n    HostName other.example\n"}, "web"),
    (
        "Host block",
        {"config": "Host web\n  HostName web.example.com\n  Port 2222\n  User admin\n  IdentityFile ~/.ssh/web\n"},
        "web",
    ),
    (
        "first value wins, Host * defaults",
        {
            "config": "Host web\n  Port 2200\n  IdentityFile ~/.ssh/web\n\nHost *\n  Port 22\n  User fallback\n"
            "  IdentityFile ~/.ssh/shared\n  IdentityFile ~/.ssh/web\n"
        },
        "web",
    ),
    ("wildcards, a negated host", {"config": WILDCARDS}, "bastion.corp"),
    ("wildcards, ? patterns", {"config": WILDCARDS}, "srv01.corp"),
    ("Host is case-sensitive, HostName lowercased", {"config": "Host Db*\n  HostName %h.Example.COM\n"}, "Db1"),
    ("[...] is literal in patterns", {"config": "Host srv[12]\n  Port 2\n"}, "srv1"),
    ("IdentityFile tokens", {"config": TOKENS}, "web"),
    ("IdentityFile tokens, nothing set", {"config": "Host *\n  IdentityFile ~/.ssh/%r@%h:%p_%k\n"}, "Box"),
    (
        "quotes, = and trailing comments",
        {
            "config": 'Host=web # the web server\n  Port = 2200 # not 22\n  User "ops team"\n'
            '  IdentityFile "~/.ssh/my key"\n  IdentityFile=~/.ssh/other\\ key\n'
        },
        "web",
    ),
    ("ProxyJump chain, not expanded", {"config": "Host web\n  ProxyJump ops@jump.example:2222,to-%h\n"}, "web"),
    ("ProxyJump none wins", {"config": "Host web\n  ProxyJump none\nHost *\n  ProxyJump jump\n"}, "web"),
    ("ProxyCommand before ProxyJump", {"config": "Host web\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump j\n"}, "web"),
    ("Match host, user, originalhost, localuser, all", {"config": MATCHES}, "web"),
    ("Match without a final pass", {"config": LATE_HOSTNAME}, "web"),
    ("Match final", {"config": LATE_HOSTNAME + "Match final\n    User late\n    IdentityFile ~/.ssh/late\n"}, "web"),
    ("Match !final", {"config": "Match !final\n  Port 7\nMatch final\n  Port 8\n  User late\n"}, "web"),
    (
        "Include at the top, files in order",
        {
            "config": "Include {dir}/conf.d/*.conf\nHost web\n  Port 2\n",
            "conf.d/10-web.conf": "Host web\n  HostName web.example\n  User included\n",
            "conf.d/20-all.conf": "Port 1099\nHost *\n  IdentityFile ~/.ssh/included\n",
            "conf.d/ignored.txt": "Port 1\n",
        },
        "web",
    ),
    *(
        (
            f"Include inside a Host block, {alias}",
            {
                "config": INCLUDE_IN_HOST,
                "conf.d/1.conf": "Port 1001\nHost db\n  User included-db\nHost *\n  ProxyJump inner-jump\n",
                "conf.d/2.conf": "IdentityFile ~/.ssh/included\n",
            },
            alias,
        )
        for alias in ("web", "db", "other")
    ),
    (
        "Include of missing files and of a folder",
        {"config": "Include {dir}/missing {dir}/conf.d\nHost *\n  Port 3\n", "conf.d/x.conf": "Port 9\n"},
        "web",
    ),
    (
        "Include inside Match",
        {
            "config": "Match originalhost web\n  Include {dir}/extra\n  Port 7\n",
            "extra": "User extra\nHost web\n  HostName inner.example\nHost other\n  User nope\n",
        },
        "web",
    ),
]


@pytest.mark.parametrize(("files", "alias"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_lookup_agrees_with_ssh(ssh: OpenSsh, tmp_path: Path, files: dict[str, str], alias: str) -> None:
    config = write(tmp_path / "case", files)
    assert lookup(alias, config) == ssh.expected(config, alias)


def test_the_table_covers_what_it_claims(home: Path, tmp_path: Path) -> None:
    """A few values spelled out, so that a wrong oracle cannot make every case pass."""
    config = write(tmp_path / "case", {"config": TOKENS})
    host = lookup("web", config)
    assert (host.hostname, host.port, host.user) == ("web.example.com", 2222, "deploy")
    assert host.identity_files[0] == Path(os.environ["HOME"], ".ssh", "web.example.com_2222_deploy")
    assert host.identity_files[3].name.startswith("webkey_")
    chain = write(tmp_path / "chain", {"config": "Host web\n  ProxyJump ops@jump.example:2222,second\n"})
    assert lookup("web", chain).proxy_jump == ("ops@jump.example:2222", "second")


# -- refused by ssh, and here with the file and line ---------------------------------------------------------------

REFUSED = [
    ("bad port", "Host web\n  Port abc\n", 2),
    ("port zero", "Host web\n  Port 0\n", 2),
    ("bad port in a block that does not apply", "Host other\n  Port 70000\nHost web\n  User x\n", 2),
    ("two values", "Host web\n  Port 22 2222\n", 2),
    ("no value", "Host web\n  HostName\n", 2),
    ("unclosed quote", 'Host web\n  User "ops\n', 2),
    ("unknown token in HostName", "Host web\n  HostName %p.example\n", 2),
    ("Include loop", "Include {dir}/config\n", 1),
    ("Match without its value", "Match host\n  Port 2\n", 1),
    ("Match all with other criteria", "Match all host web\n  Port 2\n", 1),
]


@pytest.mark.parametrize(("text", "line"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_what_ssh_refuses_is_refused_with_its_line(ssh: OpenSsh, tmp_path: Path, text: str, line: int) -> None:
    config = write(tmp_path / "case", {"config": text})
    assert ssh.run(config, "web").returncode != 0
    with pytest.raises(SshConfigError, match=rf"^{re.escape(str(config))}, line {line}: ") as caught:
        lookup("web", config)
    assert (caught.value.path, caught.value.line) == (config, line)


def test_an_included_file_others_can_change_is_refused(ssh: OpenSsh, tmp_path: Path) -> None:
    config = write(tmp_path / "case", {"config": "Include {dir}/shared\n", "shared": "Port 2\n"})
    (tmp_path / "case" / "shared").chmod(0o666)
    assert ssh.run(config, "web").returncode != 0
    with pytest.raises(SshConfigError, match="permissions") as caught:
        lookup("web", config)
    assert caught.value.path == tmp_path / "case" / "shared"


# -- files: default, missing, unreadable ----------------------------------------------------------------------------


def test_without_a_user_configuration_the_alias_is_the_host(home: Path) -> None:
    assert lookup("web") == SshConfigHost("web", "web", 22, None, (), ())
    assert list_aliases() == []


def test_the_default_is_the_user_configuration_and_includes_are_relative_to_ssh_folder(home: Path) -> None:
    (home / ".ssh" / "config.d").mkdir()
    (home / ".ssh" / "config.d" / "web").write_text("Host web\n  HostName web.example\n", encoding="utf-8")
    (home / "more.conf").write_text("Host web\n  Port 2200\n", encoding="utf-8")
    (home / ".ssh" / "config").write_text("Include config.d/*\nInclude ~/more.conf\n", encoding="utf-8")
    host = lookup("web")
    assert (host.hostname, host.port) == ("web.example", 2200)
    assert list_aliases() == ["web"]


@pytest.mark.parametrize("name", ["missing", "folder"])
def test_a_missing_or_folder_path_is_an_error_naming_it(home: Path, tmp_path: Path, name: str) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(SshConfigError, match=re.escape(str(tmp_path / name))):
        lookup("web", tmp_path / name)


def test_text_that_is_not_utf8_is_an_error_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_bytes(b"Host web\n  User caf\xe9\n")
    with pytest.raises(SshConfigError, match=r", line 2: .*UTF-8"):
        lookup("web", config)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_bytes(b"\xef\xbb\xbfHost web\n  User caf\xc3\xa9\n")
    assert lookup("web", config).user == "café"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Host web\n  -Port 22\n", "cannot read the line '-Port 22'"),
        ("Host web\n  ProxyJump a,,b\n", "bad ProxyJump 'a,,b'"),
        ("Host web\n  IdentityFile ${SUPPORTSTATION_UNSET}/key\n", "SUPPORTSTATION_UNSET is not set"),
        ("Host web\n  IdentityFile ~/.ssh/%j\n", "unknown token '%j'"),
        ("Host web\n  IdentityFile ~/.ssh/key%\n", "lone '%'"),
        ("Host web\n  IdentityFile ~no-such-user-here/key\n", "unknown user 'no-such-user-here'"),
    ],
)
def test_malformed_values_are_errors_with_their_line(home: Path, tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SshConfigError, match=rf"config, line 2: .*{re.escape(message)}"):
        lookup("web", config)


# -- Match exec and other criteria that are not evaluated -----------------------------------------------------------


def test_match_exec_is_never_run_and_fails_only_the_lookups_that_reach_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "config"
    config.write_text(f'Host db\n  Port 5432\nMatch host web exec "touch {marker}"\n  Port 2200\n', encoding="utf-8")
    # For db, `host web` fails first, so the exec is never reached: ssh would not run it either.
    assert lookup("db", config).port == 5432
    with pytest.raises(SshConfigError, match=r"line 3: SupportStation does not run the commands .*'Match exec 'touch"):
        lookup("web", config)
    assert not marker.exists()


def test_invoke_is_loaded_only_if_paramiko_uses_it() -> None:
    # paramiko imports Invoke for Match exec, which is never run (above): supportstation.remote defers it.
    code = (
        "import sys\n"
        "import supportstation.remote.ssh_config, paramiko.config\n"
        "before = 'invoke.tasks' in sys.modules\n"
        "run = paramiko.config.invoke.run\n"
        "print(before, 'invoke.tasks' in sys.modules, callable(run), sys.modules['invoke'].__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True", "True", "invoke"], done.stderr


def test_match_criteria_paramiko_does_not_know_are_not_taken_as_matching(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Match originalhost web localnetwork 10.0.0.0/8\n  Port 2200\n", encoding="utf-8")
    assert lookup("db", config).port == 22
    with pytest.raises(SshConfigError, match=r"'Match localnetwork 10\.0\.0\.0/8' is not supported"):
        lookup("web", config)


def test_an_include_bringing_blocks_into_a_match_host_block_is_refused(tmp_path: Path) -> None:
    (tmp_path / "extra").write_text("Host web\n  Port 2\n", encoding="utf-8")
    config = tmp_path / "config"
    config.write_text(f"Match host web\n  Include {tmp_path}/extra\n", encoding="utf-8")
    with pytest.raises(SshConfigError, match="line 2: an Include inside a 'Match host'"):
        lookup("web", config)


# -- list_aliases ---------------------------------------------------------------------------------------------------


def test_list_aliases_gives_concrete_names_in_file_order(tmp_path: Path) -> None:
    (tmp_path / "top.conf").write_text("Host included\nHost web\n", encoding="utf-8")
    (tmp_path / "in-host.conf").write_text("Host conditional\n", encoding="utf-8")
    config = tmp_path / "config"
    config.write_text(
        f"Include {tmp_path}/top.conf\n"
        f"Host zeta alpha *.corp !bastion srv?\n  User x\n"
        f"Host web db\n  Include {tmp_path}/in-host.conf\n"
        f"Match host mail\n  User y\nHost *\n  Port 2\n",
        encoding="utf-8",
    )
    # A Host line included from inside a block applies only with that block: it names no host of its own.
    assert list_aliases(config) == ["included", "web", "zeta", "alpha", "db"]


def test_list_aliases_reports_a_malformed_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("Host web\n  Port abc\n", encoding="utf-8")
    with pytest.raises(SshConfigError, match="line 2: bad port 'abc'"):
        list_aliases(config)
