"""Builds SupportStation for Linux: the PyInstaller bundle, then a Debian package and a tarball of it.

    .venv/bin/python installer/build.py                # bundle + .deb + .tar.gz, everything under dist/
    .venv/bin/python installer/build.py --skip-bundle  # reuse dist/supportstation, rebuild the packages only
    .venv/bin/python installer/build.py --fast         # same contents, quick compression (tests, local checks)

Installs nothing: PyInstaller must already be in the venv (`.venv/bin/pip install pyinstaller`), and dpkg-deb on
the system. On Windows and macOS it builds the bundle only (see installer/README.md for their installers).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "supportstation.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
STAGING = ROOT / "build" / "deb"  # the package's file tree before dpkg-deb; under build/, never shipped
BUNDLE = DIST / "supportstation"
EXECUTABLE = BUNDLE / ("supportstation.exe" if sys.platform == "win32" else "supportstation")
ICON_SVG = ROOT / "resources" / "icons" / "supportstation.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

INSTALL_DIR = "/opt/supportstation"
PACKAGE = "supportstation"
# No maintainer address is published in the project yet: replace before distributing the package.
MAINTAINER = "SupportStation maintainers <supportstation@example.org>"
# What Qt's xcb platform plugin loads from the system on Debian 12 (the bundle carries the rest of Qt).
DEPENDS = (
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xfixes0",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
)
DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Name=SupportStation
GenericName=IT support workstation
GenericName[fr]=Poste de support informatique
Comment=Tickets, remote actions, procedures and signed reports for on-site IT engineers
Comment[fr]=Tickets, actions à distance, procédures et rapports signés pour les techniciens informatiques sur site
Exec=supportstation
Icon=supportstation
Categories=Network;Utility;
Terminal=false
"""
# A script rather than a symlink: the bundle's executable then always starts from its own folder, whatever the
# bootloader makes of a link, and sys.executable (used by the app's restart) is the real one.
LAUNCHER = f"""\
#!/bin/sh
exec {INSTALL_DIR}/supportstation "$@"
"""


class BuildError(Exception):
    """A step cannot run or failed; the message says what to do."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-bundle", action="store_true", help="reuse dist/supportstation instead of running PyInstaller"
    )
    parser.add_argument(
        "--fast", action="store_true", help="compress the packages quickly (larger files, same contents): for tests"
    )
    options = parser.parse_args(argv)
    try:
        build(skip_bundle=options.skip_bundle, fast=options.fast)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


def build(*, skip_bundle: bool, fast: bool = False) -> None:
    # The package names and the control file say amd64 / x86_64.
    packages = sys.platform.startswith("linux") and platform.machine() == "x86_64"
    # Every missing tool is reported before the long PyInstaller run, not after it.
    check_tools(bundle=not skip_bundle, packages=packages)
    version = app_version()
    if skip_bundle:
        if not EXECUTABLE.is_file():
            raise BuildError(f"{relative(BUNDLE)} holds no bundle: run without --skip-bundle first")
        print(f"Reusing the bundle {relative(BUNDLE)} ({size_text(tree_size(BUNDLE))})")
    else:
        run_pyinstaller()
    check_bundle_version(version)
    if not packages:
        print("The .deb and the tarball are built on x86-64 Linux only; see installer/README.md for the others.")
        return
    DIST.mkdir(exist_ok=True)
    for what, step in (("Debian package", build_deb), ("Tarball", build_tarball)):
        started = time.monotonic()
        made = step(version, fast=fast)
        print(f"{what}: {relative(made)} ({size_text(made.stat().st_size)}, {time.monotonic() - started:.0f} s)")


# -- checks ------------------------------------------------------------------------------------------------------------


def check_tools(*, bundle: bool, packages: bool) -> None:
    missing = []
    if bundle and importlib.util.find_spec("PyInstaller") is None:
        missing.append(f"PyInstaller is not installed in {sys.executable}: .venv/bin/pip install pyinstaller")
    if packages and shutil.which("dpkg-deb") is None:
        missing.append("dpkg-deb is missing: install the dpkg package (sudo apt-get install dpkg)")
    if missing:
        raise BuildError("; ".join(missing))


def app_version() -> str:
    # Imported rather than parsed, so the version is the one the bundle will report. The checkout goes last on the
    # path: the venv's installed supportstation, the one PyInstaller bundles, wins.
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    from supportstation import __version__

    return __version__


def check_bundle_version(version: str) -> None:
    """Runs the bundle once: it starts, and it is this version (a --skip-bundle bundle may be an older build, which
    the packages would otherwise ship under the new version number)."""
    try:
        answer = subprocess.run([EXECUTABLE, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"{relative(EXECUTABLE)} --version did not run: {error}") from error
    if answer.returncode != 0 or answer.stdout.split()[-1:] != [version]:
        raise BuildError(
            f"{relative(EXECUTABLE)} --version answered {answer.stdout.strip() or answer.stderr.strip()!r}, "
            f"not version {version}: rebuild the bundle (without --skip-bundle)"
        )


# -- the bundle --------------------------------------------------------------------------------------------------------


def run_pyinstaller() -> None:
    command = [
        sys.executable, "-m", "PyInstaller", str(SPEC),
        "--noconfirm", "--clean", "--distpath", str(DIST), "--workpath", str(WORK),
    ]  # fmt: skip
    print("Running", " ".join(command[2:]), flush=True)
    started = time.monotonic()
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        raise BuildError("PyInstaller failed (its messages are above)")
    elapsed = time.monotonic() - started
    print(f"Bundle {relative(BUNDLE)}: {size_text(tree_size(BUNDLE))}, built in {elapsed:.0f} s")


# -- the Debian package ------------------------------------------------------------------------------------------------


def build_deb(version: str, *, fast: bool = False) -> Path:
    if STAGING.exists():
        shutil.rmtree(STAGING)
    STAGING.mkdir(parents=True)
    # symlinks=True: PyInstaller links some libraries inside the bundle rather than copying them twice.
    shutil.copytree(BUNDLE, STAGING / INSTALL_DIR.lstrip("/"), symlinks=True)
    write(STAGING / "usr/bin/supportstation", LAUNCHER, executable=True)
    write(STAGING / "usr/share/applications/supportstation.desktop", DESKTOP_ENTRY)
    install_icons(STAGING / "usr/share/icons/hicolor")
    normalise_modes(STAGING)
    deb_version = debian_version(version)
    write(STAGING / "DEBIAN/control", control_file(deb_version, installed_size_kib(STAGING)))
    normalise_modes(STAGING / "DEBIAN")
    target = DIST / f"{PACKAGE}_{deb_version}_amd64.deb"
    # xz (dpkg-deb's default) makes the smallest package but takes about a minute; gzip -1 a few seconds.
    compression = ["-Zgzip", "-z1"] if fast else []
    command = ["dpkg-deb", "--build", "--root-owner-group", *compression, str(STAGING), str(target)]
    if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
        raise BuildError("dpkg-deb failed (its messages are above)")
    return target


def debian_version(version: str) -> str:
    """PEP 440 pre-releases sort before the release in Debian only with a tilde: 1.0rc1 -> 1.0~rc1."""
    return re.sub(r"\.?(a|b|rc|dev)(\d*)", r"~\1\2", version)


def control_file(version: str, installed_size: int) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        "Architecture: amd64\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_size}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        "Description: workstation for on-site IT support engineers\n"
        " SupportStation keeps an engineer's ticket queue, runs remote actions and\n"
        " procedures on Linux and Windows hosts, Cisco switches and server BMCs, and\n"
        " writes signed intervention reports. Self-contained: Python, Qt and the\n"
        f" first-party plugins are bundled under {INSTALL_DIR}.\n"
    )


def installed_size_kib(root: Path) -> int:
    """Debian's Installed-Size: KiB of the files installed (DEBIAN/ is not installed)."""
    total = sum(
        path.lstat().st_size
        for path in root.rglob("*")
        if path.relative_to(root).parts[0] != "DEBIAN" and not path.is_dir()
    )
    return -(-total // 1024)


def install_icons(hicolor: Path) -> None:
    """PNGs at each usual size rendered from the SVG app icon, and the SVG itself for scalable themes."""
    if not ICON_SVG.is_file():
        raise BuildError(f"the application icon {ICON_SVG} is missing")
    (hicolor / "scalable/apps").mkdir(parents=True)
    shutil.copy2(ICON_SVG, hicolor / "scalable/apps/supportstation.svg")
    render_pngs(ICON_SVG, {size: hicolor / f"{size}x{size}/apps/supportstation.png" for size in ICON_SIZES})


def render_pngs(svg: Path, targets: dict[int, Path]) -> None:
    # Offscreen: the build needs no display. Set before Qt is imported, for it reads the platform at start-up.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _application = QGuiApplication.instance() or QGuiApplication([])  # kept alive while QPainter draws
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise BuildError(f"{svg} is not a valid SVG file")
    box = renderer.viewBoxF()
    for size, target in targets.items():
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        # Centred and scaled to fit, keeping the drawing's proportions if it is not square.
        scale = size / max(box.width(), box.height())
        width, height = box.width() * scale, box.height() * scale
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF((size - width) / 2, (size - height) / 2, width, height))
        painter.end()
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise BuildError(f"could not write {target}")


def normalise_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for the rest, whatever the umask: dpkg installs the modes it is given."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or mode & stat.S_IXUSR
        path.chmod(0o755 if executable else 0o644)


# -- the tarball -------------------------------------------------------------------------------------------------------


def build_tarball(version: str, *, fast: bool = False) -> Path:
    target = DIST / f"supportstation-{version}-linux-x86_64.tar.gz"

    def as_root(member: tarfile.TarInfo) -> tarfile.TarInfo:
        # The builder's user and group mean nothing on the machine it is unpacked on.
        member.uid = member.gid = 0
        member.uname = member.gname = "root"
        return member

    # gzip's usual level 6: Python's default, 9, takes three times as long for 1 % less.
    with tarfile.open(target, "w:gz", compresslevel=1 if fast else 6) as archive:
        archive.add(BUNDLE, arcname=BUNDLE.name, filter=as_root)  # symlinks stay symlinks
    return target


# -- helpers -----------------------------------------------------------------------------------------------------------


def write(path: Path, text: str, *, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755 if executable else 0o644)


def tree_size(root: Path) -> int:
    return sum(path.lstat().st_size for path in root.rglob("*") if not path.is_dir() or path.is_symlink())


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


if __name__ == "__main__":
    sys.exit(main())
