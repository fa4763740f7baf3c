"""Cold start-up of the SupportStation window, measured against a bare PySide6 window started the same way.

What is measured, each in a fresh child process, from just before `subprocess.Popen` to the moment this script reads
the child's first expected stdout line:

- bare: `python -c` that imports PySide6.QtWidgets, creates a QApplication and a QMainWindow, shows it, and prints
  `shown` from a `QTimer.singleShot(0, ...)`, i.e. once the event loop runs;
- app-shown: `python -m supportstation --data-dir D --demo --exit-when-shown` (window on screen, database not opened);
- app-loaded: the same with `--exit-when-loaded` (the demo data is in the queue).

The demo database is created once beforehand in a throwaway data folder, with a complete profile in the settings so
no first-start dialog shows. Two warm-up rounds are discarded so the page cache is warm, then the three variants run
interleaved (order rotated each round) so machine noise hits all alike. The app's own stage timings (seconds since
`app.run` began) are taken from its `shown`/`loaded` lines. One extra `python -X importtime` run of the app shows what
the start-up imports cost and whether modules that should stay lazy were imported.

Children use QT_QPA_PLATFORM=offscreen, unless --xvfb is given and DISPLAY is set (e.g. under xvfb-run). Their
bytecode is cached under the throwaway folder (PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE dropped), so the
warm-up rounds fill it and the repository gets no __pycache__ folders.
Numbers only mean something relative to the bare window of the same run; no timed assertion is made.

Run: .venv/bin/python bench/startup.py --runs 15 [--json FILE] [--xvfb]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

PROJECT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0
WARM_UP_ROUNDS = 2
TARGET_RATIO = 3.0
SETTINGS = {"schema_version": 1, "language": "en", "profile": {"name": "Bench", "email": "bench@example.org"}}

BARE_WINDOW = """\
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

application = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()

def shown():
    print("shown", flush=True)
    application.quit()

QTimer.singleShot(0, shown)
sys.exit(application.exec())
"""

# Import-time groups: a module belongs to the first group whose prefix matches its top-level package.
IMPORT_GROUPS: dict[str, tuple[str, ...]] = {
    "PySide6 (+shiboken6)": ("PySide6", "shiboken6"),
    "qasync": ("qasync",),
    "asyncio": ("asyncio",),
    "sqlalchemy": ("sqlalchemy",),
    "alembic": ("alembic",),
    "platformdirs": ("platformdirs",),
}
SHOULD_BE_LAZY = ("paramiko", "winrm", "jinja2", "pydantic", "alembic")
OTHER_US = 10_000  # other top-level packages shown above this cumulative time
TOP_OWN_MODULES = 5
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


class ChildFailed(Exception):
    def __init__(self, label: str, reason: str, stderr: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.stderr = stderr


@dataclass
class Variant:
    name: str
    arguments: list[str]
    expected: str  # first word of the stdout line that ends the measurement


@dataclass
class Sample:
    seconds: float
    stages: dict[str, float]


@dataclass
class ImportNode:
    name: str
    self_us: int
    cumulative_us: int
    children: list[ImportNode] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]


# --- children -------------------------------------------------------------------------------------------------------


def child_environment(use_display: bool, data_dir: Path) -> dict[str, str]:
    """Bytecode is cached under the throwaway folder, as an installed app has its .pyc files: with
    PYTHONDONTWRITEBYTECODE set (as in some sandboxes and CI), every start would recompile the project's modules."""
    environment = dict(os.environ)
    environment.pop("PYTHONIMPORTTIME", None)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(data_dir / "pycache")
    if not (use_display and environment.get("DISPLAY")):
        environment["QT_QPA_PLATFORM"] = "offscreen"
    return environment


def app_command(data_dir: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "supportstation", "--data-dir", str(data_dir), *arguments]


def prepare_data_dir(data_dir: Path, environment: dict[str, str]) -> None:
    result = subprocess.run(
        app_command(data_dir, "demo"),
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise ChildFailed("demo", f"exit code {result.returncode}", result.stderr)
    settings_file = data_dir / "config" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(SETTINGS), encoding="utf-8")


def read_lines(stream: IO[str], lines: queue.Queue[tuple[float, str | None]]) -> None:
    """Reader thread: time-stamps each stdout line as it arrives; None marks the end of the stream."""
    for line in stream:
        lines.put((time.perf_counter(), line))
    lines.put((time.perf_counter(), None))


def wait_for_line(lines: queue.Queue[tuple[float, str | None]], expected: str, deadline: float) -> tuple[float, str]:
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError
        try:
            arrived, line = lines.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError from None
        if line is None:
            raise EOFError
        if line.split(maxsplit=1)[:1] == [expected]:
            return arrived, line


def parse_stages(line: str) -> dict[str, float]:
    stages = {}
    for item in line.split()[1:]:
        stage, _, seconds = item.partition("=")
        if seconds:
            stages[stage] = float(seconds)
    return stages


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()


def measure(variant: Variant, environment: dict[str, str]) -> Sample:
    lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            variant.arguments,
            cwd=PROJECT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdout is not None
        reader = threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            arrived, line = wait_for_line(lines, variant.expected, started + TIMEOUT)
            returncode = process.wait(timeout=TIMEOUT)
        except (TimeoutError, EOFError, subprocess.TimeoutExpired) as error:
            stop(process)
            reason = f"no '{variant.expected}' line" if isinstance(error, EOFError) else f"timeout {TIMEOUT:.0f} s"
            raise ChildFailed(variant.name, f"{reason}, exit code {process.returncode}", read_all(stderr)) from None
        reader.join(timeout=5)
        if returncode != 0:
            raise ChildFailed(variant.name, f"exit code {returncode}", read_all(stderr))
    return Sample(arrived - started, parse_stages(line))


def read_all(stream: IO[str]) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()


def run_rounds(variants: list[Variant], runs: int, environment: dict[str, str]) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {variant.name: [] for variant in variants}
    for round_number in range(WARM_UP_ROUNDS + runs):
        shift = round_number % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            sample = measure(variant, environment)
            if round_number >= WARM_UP_ROUNDS:
                samples[variant.name].append(sample)
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return samples


# --- import times ---------------------------------------------------------------------------------------------------


def import_times(data_dir: Path, environment: dict[str, str]) -> str:
    command = [sys.executable, "-X", "importtime", *app_command(data_dir, "--demo", "--exit-when-loaded")[1:]]
    try:
        result = subprocess.run(
            command, cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise ChildFailed("importtime", f"timeout {TIMEOUT:.0f} s", str(error.stderr or "")) from None
    if result.returncode != 0 or not result.stdout.startswith("loaded"):
        raise ChildFailed("importtime", f"exit code {result.returncode}", result.stderr)
    return result.stderr


def parse_import_tree(text: str) -> list[ImportNode]:
    """Rebuilds the import tree: -X importtime prints each module after its children, indented 2 spaces per level.

    Imports made by two threads at once (the database worker and the GUI thread) share one indent counter in CPython,
    so the nesting is approximate after the window shows.
    """
    pending: dict[int, list[ImportNode]] = {}
    for line in text.splitlines():
        match = IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        depth = (len(indent) - 1) // 2
        node = ImportNode(name, int(self_us), int(cumulative_us), pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(node)
    roots: list[ImportNode] = []
    for depth in sorted(pending):  # only depth 0 unless the output was cut short
        roots.extend(pending[depth])
    return roots


Ancestry = tuple[ImportNode, ...]


def walk(nodes: list[ImportNode], ancestors: Ancestry = ()) -> list[tuple[ImportNode, Ancestry]]:
    """Every node with its ancestors, outermost first, in import order."""
    found = []
    for node in nodes:
        found.append((node, ancestors))
        found.extend(walk(node.children, (*ancestors, node)))
    return found


def group_of(package: str) -> str | None:
    for group, packages in IMPORT_GROUPS.items():
        if package in packages:
            return group
    return None


def summarise_imports(roots: list[ImportNode]) -> dict[str, Any]:
    """Cumulative µs per group (None: not imported), counting each group's outermost modules only, so nothing is
    counted twice in it; supportstation's own modules by self time; other top-level packages over the threshold."""
    groups: dict[str, int | None] = dict.fromkeys(IMPORT_GROUPS)
    own: dict[str, int] = {}
    imported: set[str] = set()
    for node, ancestors in walk(roots):
        imported.add(node.package)
        if node.package == "supportstation":
            own[node.name] = own.get(node.name, 0) + node.self_us
        group = group_of(node.package)
        if group and not any(group_of(ancestor.package) == group for ancestor in ancestors):
            groups[group] = (groups[group] or 0) + node.cumulative_us
    others: dict[str, int] = {}
    for node in roots:
        if group_of(node.package) is None and node.package != "supportstation":
            others[node.package] = others.get(node.package, 0) + node.cumulative_us
    return {
        "groups_us": groups,
        "supportstation_self_us": sum(own.values()),
        "supportstation_top_self_us": dict(sorted(own.items(), key=lambda item: -item[1])[:TOP_OWN_MODULES]),
        "others_us": {name: us for name, us in sorted(others.items(), key=lambda item: -item[1]) if us > OTHER_US},
        "total_us": sum(node.cumulative_us for node in roots),
        "lazy_imported": {package: package in imported for package in SHOULD_BE_LAZY},
    }


def chain_to(roots: list[ImportNode], package: str) -> str | None:
    """The import chain to the outermost module of a package, e.g. `supportstation.demo > ... > sqlalchemy`."""
    for node, ancestors in walk(roots):
        if node.package == package:
            return " > ".join(item.name for item in (*ancestors, node))
    return None


# --- report ---------------------------------------------------------------------------------------------------------


def summarise_samples(samples: dict[str, list[Sample]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, items in samples.items():
        seconds = [item.seconds for item in items]
        stage_names = list(dict.fromkeys(stage for item in items for stage in item.stages))
        summary[name] = {
            "median_s": statistics.median(seconds),
            "min_s": min(seconds),
            "max_s": max(seconds),
            "samples_s": seconds,
            "stages_median_s": {
                stage: statistics.median(item.stages[stage] for item in items if stage in item.stages)
                for stage in stage_names
            },
        }
    return summary


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:7.0f}ms"


def print_timings(summary: dict[str, Any], runs: int, platform: str) -> dict[str, float]:
    print(f"Start-up, spawn to first expected stdout line; {runs} runs after {WARM_UP_ROUNDS} warm-up rounds")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, QT_QPA_PLATFORM={platform}, bytecode cached")
    print()
    print(f"{'variant':<12} {'median':>9} {'min':>9} {'max':>9}")
    for name, item in summary.items():
        columns = " ".join(milliseconds(item[key]) for key in ("median_s", "min_s", "max_s"))
        print(f"{name:<12} {columns}")
    bare = summary["bare"]["median_s"]
    ratios = {name: summary[name]["median_s"] / bare for name in ("app-shown", "app-loaded")}
    print()
    for name, ratio in ratios.items():
        print(f"ratio {name}/bare (medians): {ratio:.2f}")
    for name in ("app-shown", "app-loaded"):
        stages = summary[name]["stages_median_s"]
        print()
        print(f"{name} stages, median seconds since app.run began:")
        print("  " + " ".join(f"{stage}={seconds:.3f}" for stage, seconds in stages.items()))
    return ratios


def print_imports(imports: dict[str, Any], roots: list[ImportNode]) -> None:
    print()
    print("Import times (one run of python -X importtime ... --exit-when-loaded; importtime inflates them):")
    for group, us in imports["groups_us"].items():
        if us is None:
            print(f"  {group:<28} not imported")
        else:
            first = IMPORT_GROUPS[group][0]
            print(f"  {group:<28} {us / 1000:8.1f} ms cumulative   first via {chain_to(roots, first)}")
    print(f"  {'supportstation (own, self)':<28} {imports['supportstation_self_us'] / 1000:8.1f} ms, most:")
    for name, us in imports["supportstation_top_self_us"].items():
        print(f"    {name:<46} {us / 1000:6.1f} ms self")
    for name, us in imports["others_us"].items():
        print(f"  {name + ' (other, top level)':<28} {us / 1000:8.1f} ms cumulative")
    print(f"  {'all top-level imports':<28} {imports['total_us'] / 1000:8.1f} ms")
    print()
    print("Should be lazy (not imported on a normal start of an up-to-date database):")
    for package, was_imported in imports["lazy_imported"].items():
        chain = f"  via {chain_to(roots, package)}" if was_imported else ""
        print(f"  {package:<10} {'IMPORTED' if was_imported else 'not imported'}{chain}")


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


# --- main -----------------------------------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="measured rounds per variant (default 15)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write all numbers as JSON to FILE")
    parser.add_argument("--xvfb", action="store_true", help="use the X display in DISPLAY instead of offscreen")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    return arguments


def benchmark(arguments: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    environment = child_environment(arguments.xvfb, data_dir)
    platform = environment.get("QT_QPA_PLATFORM", f"(default, DISPLAY={environment.get('DISPLAY')})")
    prepare_data_dir(data_dir, environment)
    variants = [
        Variant("bare", [sys.executable, "-c", BARE_WINDOW], "shown"),
        Variant("app-shown", app_command(data_dir, "--demo", "--exit-when-shown"), "shown"),
        Variant("app-loaded", app_command(data_dir, "--demo", "--exit-when-loaded"), "loaded"),
    ]
    summary = summarise_samples(run_rounds(variants, arguments.runs, environment))
    ratios = print_timings(summary, arguments.runs, platform)
    roots = parse_import_tree(import_times(data_dir, environment))
    imports = summarise_imports(roots)
    print_imports(imports, roots)
    passed = ratios["app-shown"] <= TARGET_RATIO
    print()
    print(f"target: app window shown <= {TARGET_RATIO:g}x bare window: {'PASS' if passed else 'FAIL'}")
    return {
        "runs": arguments.runs,
        "warm_up_rounds": WARM_UP_ROUNDS,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "platform": platform,
        "variants": summary,
        "ratios": ratios,
        "imports": {**imports, "chains": {package: chain_to(roots, package) for package in SHOULD_BE_LAZY}},
        "target": {"ratio": TARGET_RATIO, "passed": passed},
    }


def main() -> int:
    arguments = parse_arguments()
    data_dir = Path(tempfile.mkdtemp(prefix="supportstation-bench-"))
    try:
        report = benchmark(arguments, data_dir)
    except ChildFailed as error:
        print(f"\nchild failed: {error}\n--- its stderr ---\n{error.stderr}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if arguments.json:
        write_json(arguments.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
