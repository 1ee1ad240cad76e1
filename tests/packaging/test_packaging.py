"""The packaging pieces that run without a build: filters, frozen paths, icon, installer files.

The build itself and the installed app are proven by `packaging/smoke.py` (run by CI).
"""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from governance_desktop.store import migrate
from governance_desktop.ui.launch import ICON_SIZES, app_icon

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "governance_desktop" / "resources" / "icons"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


filters = load("bundle_filters")


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
        ("libdbus-1.so.3", False),
        ("libsystemd.so.0", False),
        ("libsqlite3.so.0", True),
    ],
)
def test_binary_filter(dest: str, kept: bool) -> None:
    assert filters.keep_binary(dest) is kept


def test_translations_go_and_app_data_stays() -> None:
    assert not filters.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not filters.keep_data("governance_desktop/store/migrations/__pycache__/env.pyc")
    assert filters.keep_data("governance_desktop/store/migrations/env.py")
    assert filters.keep_data("governance_desktop/resources/icons/governance-desktop-48.png")


def test_mako_is_never_excluded() -> None:
    assert not [m for m in filters.EXCLUDED_MODULES if m.split(".")[0] in ("mako", "alembic")]


def test_symlink_stays_only_with_its_target() -> None:
    link = ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK")
    assert filters.keep_link(link, {"PySide6/Qt/lib/libQt6Core.so.6"})
    assert not filters.keep_link(link, {"PySide6/Qt/lib/libQt6Gui.so.6"})
    assert filters.keep_link(("x.json", "/src/x.json", "DATA"), set())


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("readelf") is None,
    reason="needs Linux ELF files and readelf (binutils)",
)
def test_unreferenced_library_is_pruned_and_needed_one_kept() -> None:
    """_sqlite3 names libsqlite3 as NEEDED: kept with it, pruned without it."""
    import _sqlite3

    ext = Path(_sqlite3.__file__)
    needed = filters._needed(str(ext))
    if "libsqlite3.so.0" not in needed:
        pytest.skip("this Python links SQLite statically")
    lib = Path(sqlite3.__file__)  # any file: only its name matters for the closure
    ext_entry = (f"python3.11/lib-dynload/{ext.name}", str(ext), "EXTENSION")
    lib_entry = ("libsqlite3.so.0", str(lib), "BINARY")
    assert filters.prune_unreferenced([ext_entry, lib_entry]) == [ext_entry, lib_entry]
    assert filters.prune_unreferenced([lib_entry]) == []


def test_frozen_app_finds_migrations_in_the_bundle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert (migrate._migrations_dir() / "env.py").is_file()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert migrate._migrations_dir() == tmp_path / "governance_desktop" / "store" / "migrations"


def test_window_icon_has_every_size(qapp: QApplication) -> None:
    sizes = app_icon().availableSizes()
    assert sorted(s.width() for s in sizes) == sorted(ICON_SIZES)
    assert QSize(48, 48) in sizes


def test_icon_sources_and_installer_files_agree() -> None:
    assert (ICONS / "governance-desktop.svg").read_text().lstrip().startswith("<?xml")
    assert (ICONS / "governance-desktop.ico").read_bytes()[:4] == b"\0\0\1\0"
    for px in ICON_SIZES:
        assert (ICONS / f"governance-desktop-{px}.png").read_bytes()[:4] == b"\x89PNG"
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment,method-assign]
    desktop.read(PACKAGING / "linux" / "governance-desktop.desktop")
    entry = desktop["Desktop Entry"]
    assert entry["Icon"] == "governance-desktop"
    assert entry["Exec"].split()[0] == "governance-desktop"
    control = (PACKAGING / "linux" / "control.in").read_text()
    assert "libc6 (>= 2.36)" in control and "libxcb-cursor0" in control


def test_smoke_allow_list_flags_anything_else() -> None:
    smoke = load("smoke")
    app = smoke.Launcher("governance-desktop", {}, ROOT)
    app.note_stderr("gui", "This plugin does not support propagateSizeHints()\n\n")
    assert app.unexpected == []
    app.note_stderr("gui", "Traceback (most recent call last):\nQFont::fromString: bad\n")
    assert app.unexpected == [
        "gui: Traceback (most recent call last):",
        "gui: QFont::fromString: bad",
    ]
