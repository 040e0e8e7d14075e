"""Before Qt starts: can this Linux system open the window at all?

PySide6's wheels ship Qt but not the system libraries Qt links against. When one is missing,
`import PySide6.QtGui` fails with a traceback, or the xcb platform plugin fails to load and
Qt aborts the process (a core dump) with a hint that names one library out of several. This
module checks first, without importing Qt, and turns a missing library into one line that
names every missing library, the packages that carry them and the headless alternatives.

The sonames are the NEEDED entries (`readelf -d`) of the PySide6 6.12 files that the desktop
loads, less the ones shipped inside PySide6 and the C runtime every Linux has (libc, libm,
libgcc_s, ld.so):
  - QT_BASE: Qt6Core, Qt6Gui, Qt6Widgets, Qt6DBus (Gui links it), Qt6Charts, Qt6Svg: needed
    whatever the platform, offscreen included;
  - XCB: plugins/platforms/libqxcb.so and lib/libQt6XcbQpa.so.6: needed for an X11 window.
Optional plugins (the GTK theme, GLX integration, input methods) are left out: Qt skips
them when they cannot load. tests/test_system_check.py re-reads the NEEDED entries of the
installed PySide6, so a PySide6 upgrade that needs another library fails there.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

log = logging.getLogger("patent_desk.desktop")

EXIT_NO_GUI = 3  # the window cannot start on this system (the CLI's user errors are 2)
# Comma-separated extra sonames the X11 check requires: tests simulate a missing library.
EXTRA_LIBS_ENV = "PATENT_DESK_CHECK_EXTRA_LIBS"

# soname -> (Debian/Ubuntu, Fedora, Arch) package.
QT_BASE: dict[str, tuple[str, str, str]] = {
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),  # QtGui links it even offscreen
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libz.so.1": ("zlib1g", "zlib", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd", "zstd"),
    "libstdc++.so.6": ("libstdc++6", "libstdc++", "gcc-libs"),
}
XCB: dict[str, tuple[str, str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil",
                                "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
}
PREFIX = "patent-desk: cannot open the window"
HEADLESS_CLI = "Without a window: the subcommands need no display (patent-desk --help)."
HEADLESS = ("Without a window: QT_QPA_PLATFORM=offscreen patent-desk (scripted runs), or the "
            "subcommands, which need no display (patent-desk --help).")
WAYLAND = ("libwayland-client.so.0", "libwayland-cursor.so.0")  # NEEDED by libqwayland.so


def qt_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt 6 will try, in order (QGuiApplicationPrivate::
    createPlatformIntegration): QT_QPA_PLATFORM when set, else wayland first when there is a
    Wayland session, xcb when DISPLAY is set, and the built-in default (xcb for the PySide6
    wheels) last. Qt takes the first that loads and connects; when none does it aborts.
    Names are lower-cased and lose their arguments ("xcb:foo" -> "xcb")."""
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        names = chosen.split(";")
    else:
        names = []
        if "WAYLAND_DISPLAY" in env or env.get("XDG_SESSION_TYPE") == "wayland":
            names.append("wayland")
        names.append("xcb")  # via DISPLAY, or as the built-in default when nothing else is
    return [name.split(":")[0].strip().lower() for name in names if name.strip()]


def missing_libraries(sonames: Iterable[str]) -> list[str]:
    """The sonames the dynamic loader cannot load, found the way Qt's own loading finds them
    (dlopen by soname: LD_LIBRARY_PATH, the ld.so cache, a frozen bundle's folder). Loading
    them now costs nothing: Qt loads the same ones a moment later."""
    return [soname for soname in sonames if not _loads(soname)]


def _loads(soname: str) -> bool:
    # A PyInstaller bundle may carry a library in its own folder, where Qt's RUNPATH finds
    # it but a plain dlopen by name (LD_LIBRARY_PATH is read once, at process start) not.
    bundle = getattr(sys, "_MEIPASS", None)
    folders = [Path(bundle), Path(bundle, "PySide6", "Qt", "lib")] if bundle else []
    for candidate in [soname, *(str(folder / soname) for folder in folders)]:
        try:
            ctypes.CDLL(candidate)
            return True
        except OSError:
            continue
    return False


def _wayland_will_connect(env: Mapping[str, str]) -> bool:
    """Whether Qt's wayland plugin would load and find a compositor (so xcb is never tried)."""
    socket = env.get("WAYLAND_DISPLAY") or "wayland-0"
    runtime = env.get("XDG_RUNTIME_DIR", "")
    path = Path(socket) if os.path.isabs(socket) else Path(runtime or "/nonexistent", socket)
    return path.exists() and not missing_libraries(WAYLAND)


def _xcb_is_last_resort(names: Sequence[str], env: Mapping[str, str]) -> bool:
    """Whether Qt ends up on xcb with nothing to fall back on when xcb fails: a wayland entry
    that will connect wins first, any other plugin before xcb wins too, and one after xcb is
    tried when xcb cannot load."""
    for index, name in enumerate(names):
        if name.startswith("wayland"):  # wayland, wayland-egl…
            if _wayland_will_connect(env):
                return False
            continue  # Qt moves on to the next entry
        return name == "xcb" and index == len(names) - 1
    return False


def _extra_xcb_libs(env: Mapping[str, str]) -> list[str]:
    return [name.strip() for name in env.get(EXTRA_LIBS_ENV, "").split(",") if name.strip()]


def _packages(missing: Sequence[str], table: Mapping[str, tuple[str, str, str]]) -> list[str]:
    """'apt install …; dnf install …; pacman -S …' for the missing sonames (an unknown one,
    such as a test's, is named as it is)."""
    rows = [table.get(name, (name, name, name)) for name in missing]
    commands = []
    for index, tool in enumerate(("sudo apt install", "sudo dnf install", "sudo pacman -S")):
        names = list(dict.fromkeys(row[index] for row in rows))  # once each, in order
        commands.append(f"{tool} {' '.join(names)}")
    return commands


def gui_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """One line saying why the window cannot open on this system, or None when it can (or
    when it is not ours to tell: not Linux, or a platform other than xcb)."""
    env = os.environ if env is None else env
    if (platform or sys.platform) != "linux":
        return None  # macOS and Windows wheels carry everything Qt needs
    missing = missing_libraries(QT_BASE)
    if missing:  # Qt itself cannot load, whatever the platform: offscreen is no way out
        return _missing_line(missing, "Qt", offscreen=False)
    if not _xcb_is_last_resort(qt_platforms(env), env):
        return None  # wayland, offscreen, vnc…, or a plugin Qt falls back on: not ours
    missing = missing_libraries([*XCB, *_extra_xcb_libs(env)])
    if missing:
        return _missing_line(missing, "Qt's X11 platform plugin (xcb)", offscreen=True)
    if not env.get("DISPLAY"):  # xcb cannot connect: Qt would abort just the same
        return (f"{PREFIX}: there is no display (DISPLAY is not set); start it from a desktop "
                f"session. {HEADLESS}")
    return None


def _missing_line(missing: Sequence[str], needs: str, offscreen: bool) -> str:
    commands = "; ".join(_packages(missing, {**QT_BASE, **XCB}))
    way_out = HEADLESS if offscreen else HEADLESS_CLI
    return (f"{PREFIX}: this system lacks {', '.join(missing)}, which {needs} needs; "
            f"install with one of: {commands}. {way_out}")


def launch(workspace: str) -> int:
    """Open the desktop app, unless this system cannot: then one line and EXIT_NO_GUI
    instead of Qt's abort. Qt is imported only after the check."""
    problem = gui_problem()
    if problem:
        log.error("%s", problem)
        print(problem, file=sys.stderr, flush=True)
        return EXIT_NO_GUI
    from desktop.app import run  # the first import of Qt

    return run(workspace)
