"""The launcher checks the system before Qt starts (desktop/system_check.py): a missing
library is one line naming it, its packages and the headless ways, and exit status 3,
never Qt's abort (a core dump)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import system_check
from desktop.system_check import EXIT_NO_GUI, gui_problem, missing_libraries, qt_platforms
from tests.conftest import ROOT

FAKE = "libpatent-desk-absent.so.9"  # a soname no system has
X11 = {"DISPLAY": ":0"}  # an X11 session, no Wayland


def test_libraries_present_and_absent():
    assert missing_libraries(["libc.so.6", "libm.so.6"]) == []
    assert missing_libraries(["libc.so.6", FAKE]) == [FAKE]


def test_which_platform_qt_will_try():
    assert qt_platforms(X11) == ["xcb"]
    assert qt_platforms({}) == ["xcb"]  # the wheels' built-in default
    assert qt_platforms({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}) == ["wayland", "xcb"]
    assert qt_platforms({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert qt_platforms({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    assert qt_platforms({"QT_QPA_PLATFORM": "Wayland-EGL:x=1;xcb"}) == ["wayland-egl", "xcb"]


def test_a_missing_x11_library_is_one_line_with_the_packages(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(system_check, "XCB", {
        "libc.so.6": ("libc6", "glibc", "glibc"),
        FAKE: ("libpd-absent9", "pd-absent", "pd-absent-arch")})
    line = gui_problem(X11, platform="linux")
    assert line is not None and "\n" not in line
    assert line.startswith("patent-desk: cannot open the window: this system lacks "
                           f"{FAKE}, which Qt's X11 platform plugin (xcb) needs")
    assert "libc" not in line  # only what is missing
    assert "sudo apt install libpd-absent9; sudo dnf install pd-absent; " \
           "sudo pacman -S pd-absent-arch." in line
    assert "QT_QPA_PLATFORM=offscreen patent-desk" in line and "patent-desk --help" in line


def test_the_packages_are_named_once_each():
    commands = system_check._packages(
        ["libxcb-randr.so.0", "libxcb-shm.so.0", "libxcb-icccm.so.4"], system_check.XCB)
    assert commands == ["sudo apt install libxcb-randr0 libxcb-shm0 libxcb-icccm4",
                        "sudo dnf install libxcb xcb-util-wm",
                        "sudo pacman -S libxcb xcb-util-wm"]


def test_other_platforms_are_not_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(system_check, "XCB", {FAKE: ("a", "b", "c")})
    assert gui_problem({**X11, "QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert gui_problem({**X11, "QT_QPA_PLATFORM": "xcb;offscreen"}, platform="linux") is None
    assert gui_problem(X11, platform="darwin") is None
    assert gui_problem(X11, platform="win32") is None
    # A Wayland session Qt can connect to: xcb is never loaded.
    socket = tmp_path / "wayland-1"
    socket.touch()
    monkeypatch.setattr(system_check, "WAYLAND", ("libc.so.6",))
    wayland = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert gui_problem(wayland, platform="linux") is None
    # ... but with no compositor there, Qt falls back on xcb, and then it is checked.
    assert FAKE in (gui_problem({**wayland, "WAYLAND_DISPLAY": "gone"}, platform="linux") or "")
    assert FAKE in (gui_problem({**X11, "QT_QPA_PLATFORM": "xcb"}, platform="linux") or "")


def test_no_display_is_one_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(system_check, "XCB", {"libc.so.6": ("libc6", "glibc", "glibc")})
    line = gui_problem({}, platform="linux")
    assert line is not None and "\n" not in line and "DISPLAY is not set" in line
    assert gui_problem(X11, platform="linux") is None  # everything there: Qt may start


def test_a_missing_qt_library_is_checked_on_every_platform(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(system_check, "QT_BASE", {FAKE: ("a", "b", "c")})
    line = gui_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux")
    assert line is not None and f"lacks {FAKE}, which Qt needs" in line
    assert "QT_QPA_PLATFORM=offscreen" not in line  # offscreen needs these too
    assert "patent-desk --help" in line


def test_the_real_launcher_exits_with_one_line(tmp_path: Path):
    """`patent-desk` (no subcommand) in a fresh process, on an X11 session that lacks a
    library: status 3, one line on stderr, no traceback, no abort, no Qt loaded."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(DISPLAY=":99", PATENT_DESK_HOME=str(tmp_path / "home"),
               PYTHONPATH=str(ROOT), **{system_check.EXTRA_LIBS_ENV: FAKE})
    done = subprocess.run([str(Path(sys.executable).with_name("patent-desk"))], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == EXIT_NO_GUI == 3, done.stderr[-3000:]  # not -6 (SIGABRT)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert FAKE in lines[0] and "sudo apt install" in lines[0] and "sudo dnf install" in lines[0]
    assert "sudo pacman -S" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "Traceback" not in done.stderr and "qt.qpa" not in done.stderr
    log = (tmp_path / "home" / "logs" / "patent-desk.log").read_text("utf-8")
    assert FAKE in log


# -- the list itself: what the installed PySide6 really links against ------------------------
C_RUNTIME = {"libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2",
             "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def needed(path: Path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file (what `readelf -d` lists),
    read here so the test needs no binutils."""
    data = path.read_bytes()
    assert data[:6] == b"\x7fELF\x02\x01", f"{path}: not a 64-bit little-endian ELF file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    names = []
    for _name, kind, _flags, _addr, offset, size, link, *_rest in sections:
        if kind != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[link][4]
        for at in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", data, at)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                names.append(data[strtab + value:data.index(b"\0", strtab + value)].decode())
    return names


@pytest.mark.skipif(sys.platform != "linux", reason="the check is for Linux's ELF libraries")
def test_the_list_covers_what_pyside6_links_against():
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.origin is not None
    qt = Path(spec.origin).parent / "Qt"
    shipped = {p.name for p in (qt / "lib").iterdir()}

    def system(path: Path) -> set[str]:
        return {name for name in needed(path) if name not in shipped} - C_RUNTIME

    base = set()
    for module in ("Core", "Gui", "Widgets", "DBus", "Charts", "Svg"):
        base |= system(qt / "lib" / f"libQt6{module}.so.6")
    xcb = system(qt / "plugins" / "platforms" / "libqxcb.so")
    xcb |= system(qt / "lib" / "libQt6XcbQpa.so.6")
    assert base <= set(system_check.QT_BASE), base - set(system_check.QT_BASE)
    assert xcb <= set(system_check.QT_BASE) | set(system_check.XCB)
    assert "libxcb-cursor.so.0" in xcb and "libxcb-icccm.so.4" in xcb  # the parser works
