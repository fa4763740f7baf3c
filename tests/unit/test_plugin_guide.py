"""The plugin author's guide (docs/plugins.md) cannot go stale: each hook it shows has the name, arguments and types
of the real specification and every specification has its section; every Python block runs and pluggy accepts its
hooks; and its minimal plugin is installed with `supportstation plugins install`, listed, and run on the test sshd.

The guide's files are its code blocks whose first line is `# file: NAME`.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pluggy
import pytest

from supportstation import paths
from supportstation.plugin_api import PROJECT_NAME, hookspecs
from tests.conftest import ROOT
from tests.integration.test_remote_cli import supportstation
from tests.servers import sshd as servers

GUIDE = ROOT / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_MARKER = re.compile(r"# file: (\S+)\n")
HOOK_PREFIX = "supportstation_"
PROJECT_FILE, MODULE_FILE, TEST_FILE = "pyproject.toml", "acme_resolve.py", "test_acme_resolve.py"
PLUGIN, ACTION, MODULE = "acme-resolve", "acme.resolve", "acme_resolve"
MAX_MODULE_LINES = 40


def code_blocks(language: str) -> list[str]:
    return [body for found, body in FENCE.findall(GUIDE.read_text(encoding="utf-8")) if found == language]


def guide_files() -> dict[str, str]:
    """The blocks that stand for files, by file name."""
    files: dict[str, str] = {}
    for _language, body in FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        marker = FILE_MARKER.match(body)
        if marker:
            assert marker.group(1) not in files, f"two blocks of the guide are {marker.group(1)}"
            files[marker.group(1)] = body
    return files


def specifications() -> dict[str, Callable[..., object]]:
    marked = f"{PROJECT_NAME}_spec"  # the attribute pluggy's HookspecMarker puts on a specification
    return {name: value for name, value in vars(hookspecs).items() if hasattr(value, marked)}


def bare(annotation: object) -> str:
    """An annotation as written, without module paths: `list[Action]`."""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", text.replace(" ", ""))


def written(node: ast.expr | None) -> str:
    return bare(ast.unparse(node)) if node is not None else "(none)"


def spec_source_annotations(name: str) -> tuple[list[str], str]:
    """The specification's argument annotations and return annotation as its source writes them."""
    function = ast.parse(inspect.getsource(specifications()[name])).body[0]
    assert isinstance(function, ast.FunctionDef)
    return [written(argument.annotation) for argument in function.args.args], written(function.returns)


def is_hookimpl(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "hookimpl"


def documented_hooks() -> list[ast.FunctionDef]:
    return [
        node
        for block in code_blocks("python")
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.FunctionDef) and node.name.startswith(HOOK_PREFIX)
    ]


# -- the guide and the hook specifications ------------------------------------------------------------------------


def test_every_hook_in_the_guide_matches_its_specification() -> None:
    specs = specifications()
    assert len(specs) >= 6, "the hook specifications were not found"
    hooks = documented_hooks()
    assert hooks, "no hook implementation found in the guide's Python blocks"
    for hook in hooks:
        shown = f"`def {hook.name}` (line {hook.lineno} of its block)"
        assert hook.name in specs, f"{shown}: the guide shows a hook that hookspecs.py does not specify"
        assert any(is_hookimpl(decorator) for decorator in hook.decorator_list), f"{shown} is not marked @hookimpl"
        spec_parameters = list(inspect.signature(specs[hook.name]).parameters)
        arguments = [argument.arg for argument in hook.args.args]
        assert arguments == spec_parameters, f"{shown}: arguments {arguments}, the specification's {spec_parameters}"
        assert not (hook.args.vararg or hook.args.kwarg or hook.args.kwonlyargs or hook.args.posonlyargs), shown
        spec_arguments, spec_returns = spec_source_annotations(hook.name)
        annotations = [written(argument.annotation) for argument in hook.args.args]
        assert annotations == spec_arguments, f"{shown}: argument types {annotations}, not {spec_arguments}"
        assert written(hook.returns) == spec_returns, f"{shown}: returns {written(hook.returns)}, not {spec_returns}"
        signature = inspect.signature(specs[hook.name])
        assert bare(signature.return_annotation) == spec_returns  # what inspect says and what the source says agree


def test_every_hook_specification_has_its_section_in_the_guide() -> None:
    specs = set(specifications())
    assert {hook.name for hook in documented_hooks()} >= specs, "a hook has no signature block in the guide"
    headings = set(re.findall(rf"^### `({HOOK_PREFIX}\w+)`$", GUIDE.read_text(encoding="utf-8"), re.MULTILINE))
    assert headings == specs, f"sections {sorted(headings)}, specifications {sorted(specs)}"


def test_the_guide_states_the_real_api_contract() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert f"`{hookspecs.ENTRY_POINT_GROUP}`" in text
    assert f"**`{hookspecs.API_VERSION_ATTRIBUTE} = {hookspecs.API_VERSION}`**" in text
    assert f'[project.entry-points."{hookspecs.ENTRY_POINT_GROUP}"]' in guide_files()[PROJECT_FILE]
    assert f"{hookspecs.API_VERSION_ATTRIBUTE} = {hookspecs.API_VERSION}\n" in guide_files()[MODULE_FILE]


# -- the guide's code runs ----------------------------------------------------------------------------------------


@pytest.fixture
def minimal_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The guide's minimal plugin project, written to a folder that is on sys.path during the test."""
    project = tmp_path / PLUGIN
    write_project(project)
    monkeypatch.syspath_prepend(str(project))
    sys.modules.pop(MODULE, None)
    yield project
    sys.modules.pop(MODULE, None)


def write_project(folder: Path) -> None:
    files = guide_files()
    folder.mkdir(parents=True)
    for name in (PROJECT_FILE, MODULE_FILE, TEST_FILE):
        assert name in files, f"the guide has no block starting with '# file: {name}'"
        (folder / name).write_text(files[name], encoding="utf-8")


def test_the_minimal_plugin_is_short_and_whole() -> None:
    files = guide_files()
    module = files[MODULE_FILE]
    assert len(module.splitlines()) < MAX_MODULE_LINES, "the guide promises a module under 40 lines"
    assert re.search(r"^from supportstation\.plugin_api import ", module, re.MULTILINE)
    assert "from supportstation." not in module.replace("from supportstation.plugin_api import", "")
    # The module is named by the project's entry point, and setuptools installs it.
    assert f'{PLUGIN} = "{MODULE}"' in files[PROJECT_FILE]
    assert f'py-modules = ["{MODULE}"]' in files[PROJECT_FILE]


def test_every_python_block_runs_and_pluggy_accepts_its_hooks(minimal_plugin: Path) -> None:
    """Each block runs on its own (its imports exist, its contributions pass their own checks), its hooks register
    against the specifications, and the tests the guide gives for its plugin pass."""
    registered = 0
    for number, block in enumerate(code_blocks("python"), start=1):
        module = types.ModuleType(f"guide_block_{number}")
        module.__file__ = str(minimal_plugin / f"guide_block_{number}.py")
        exec(compile(block, f"docs/plugins.md, Python block {number}", "exec"), module.__dict__)
        hooks = [name for name in vars(module) if name.startswith(HOOK_PREFIX)]
        if hooks:
            manager = pluggy.PluginManager(PROJECT_NAME)
            manager.add_hookspecs(hookspecs)
            manager.register(module, name=module.__name__)
            manager.check_pending()
            assert all(getattr(manager.hook, name).get_hookimpls() for name in hooks)
            registered += 1
        for name, value in vars(module).items():
            if name.startswith("test_") and callable(value):
                value()
    assert registered >= len(specifications())


def test_the_minimal_plugins_action_quotes_and_parses(minimal_plugin: Path) -> None:
    import acme_resolve  # the guide's module, from the fixture's folder

    action = acme_resolve.supportstation_actions()[0]
    assert action.id == ACTION and list(action.commands) == ["sh"] and [p.name for p in action.parameters] == ["name"]
    assert action.command_for("sh", {"name": "db01.example.com"}) == "getent hosts db01.example.com"
    table = action.parse("127.0.0.1       localhost\n\n::1     localhost ip6-localhost ip6-loopback\n")
    assert table is not None
    assert table.rows == (("127.0.0.1", "localhost"), ("::1", "localhost ip6-localhost ip6-loopback"))


# -- the minimal plugin, installed and run by the application ------------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose user plugins folder holds the guide's plugin, installed with `plugins install`."""
    base = tmp_path_factory.mktemp("plugin-guide")
    project = base / PLUGIN
    write_project(project)
    data = base / "home"
    done = supportstation(data, "plugins", "install", str(project))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Installed" in done.stdout
    folder = paths.under(data).plugins_folder
    assert (folder / MODULE_FILE).is_file() and list(folder.glob(f"{MODULE}-1.0.0.dist-info"))
    return data


def test_the_minimal_plugin_installs_and_is_loaded(installed: Path) -> None:
    listed = supportstation(installed, "plugins", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(listed.stdout)}
    assert PLUGIN in plugins, sorted(plugins)
    mine = plugins[PLUGIN]
    assert (mine["state"], mine["error"], mine["traceback"]) == ("loaded", "", "")
    assert (mine["origin"], mine["api_version"], mine["version"], mine["distribution"]) == (
        "user folder",
        "1",
        "1.0.0",
        PLUGIN,
    )
    assert mine["contributions"]["actions"] == 1 and mine["warnings"] == []

    actions = supportstation(installed, "actions", "list", "--json")
    assert actions.returncode == 0, actions.stderr
    found = [action for action in json.loads(actions.stdout) if action["id"] == ACTION]
    assert len(found) == 1
    action = found[0]
    assert (action["plugin"], action["title"], action["category"]) == (PLUGIN, "Resolve a host name", "Network")
    assert (action["shells"], action["parameters"], action["os_families"]) == (["sh"], ["name"], ["linux"])


def local_addresses(name: str) -> list[str]:
    """The addresses `getent hosts` gives on this machine, where the test sshd runs."""
    resolved = subprocess.run(["getent", "hosts", name], capture_output=True, text=True, timeout=30, check=True)
    return [line.split()[0] for line in resolved.stdout.splitlines() if line.strip()]


def test_the_minimal_plugins_action_runs_on_a_host(
    installed: Path, sshd: servers.SshServer, ssh_user: servers.SshUser
) -> None:
    key = ["-i", str(ssh_user.key)]
    ran = supportstation(installed, "actions", "run", ACTION, sshd.url, *key, "--accept-new-host-key", "--json",
                         "-p", "name=localhost")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout.splitlines()[-1])
    assert (result["state"], result["command"]) == ("succeeded", "getent hosts localhost")
    assert "parse_error" not in result
    table = result["table"]
    assert table["columns"] == ["Address", "Names"]
    assert [row[0] for row in table["rows"]] == local_addresses("localhost")
    assert all("localhost" in row[1].split() for row in table["rows"])

    shown = supportstation(installed, "actions", "run", ACTION, sshd.url, *key, "-p", "name=localhost")
    assert shown.returncode == 0, shown.stderr
    header, rule, *rows = shown.stdout.splitlines()
    assert header.split() == ["Address", "Names"] and set(rule) == {"-", " "}
    assert [row.split()[0] for row in rows] == local_addresses("localhost")

    # A host parameter takes a host name and nothing else: the value never reaches the shell.
    refused = supportstation(installed, "actions", "run", ACTION, sshd.url, *key, "-p", "name=localhost; id")
    assert refused.returncode == 2 and "is not a host name" in refused.stderr
