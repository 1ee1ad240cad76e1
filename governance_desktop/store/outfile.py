"""Files a person names for the app to write (exports, backups). They never land in the data
folder, never replace a file without --force, never a folder or a device; they are written
whole or not at all, 0600 (they hold the register)."""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from governance_desktop.domain.errors import GovernanceError
from governance_desktop.store.backup import fsync_dir
from governance_desktop.store.lock import LOCK_NAME

#: A file being written is ``.NAME.gd-partial-XXXXXXXX`` beside its target; one left by a
#: killed run is removed by the next run that writes NAME.
PARTIAL_MARK = ".gd-partial-"
_TOKEN = re.compile(r"[0-9a-f]{8}")
_SIDE_FILES = ("", "-journal", "-wal", "-shm")  # SQLite's own files beside a database
_OWNED_SIDE_FILES = (*_SIDE_FILES, "-writelock")
#: A folder holding one of these is some install's data folder (another register).
DATA_FOLDER_MARKS = ("governance.db", LOCK_NAME)


class OutputFileError(GovernanceError):
    """The app will not write that file; the message names it and the rule that refused."""


@dataclass(frozen=True)
class Protected:
    """The data folder, and any file the app owns outside it (a database or queue file
    configured elsewhere): no user-named output may be written there."""

    folder: Path
    files: tuple[Path, ...] = ()
    #: Other data folders refused even when they hold no register yet (the platform default).
    others: tuple[Path, ...] = ()


def output_path(text: str, what: str) -> Path:
    """The path a person typed for `what`; an empty one is refused (Path('') would be '.')."""
    if not text.strip():
        raise OutputFileError(f"{what} is empty: name the file to write")
    return Path(text)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _inside_folder(target: Path, folder: Path) -> bool:
    """True if `target` is `folder` or below it (compared by identity: case-insensitive file
    systems and bind mounts cannot hide it)."""
    key = _identity(folder)
    if target == folder or folder in target.parents:
        return True
    return key is not None and any(_identity(p) == key for p in (target, *target.parents))


def _owned(target: Path, protected: Protected) -> bool:
    names = {Path(f"{f}{suffix}") for f in protected.files for suffix in _OWNED_SIDE_FILES}
    resolved = {p.resolve() for p in names}
    if target in resolved:
        return True
    key = _identity(target)
    return key is not None and any(_identity(p) == key for p in names)


def _foreign_folder(target: Path, protected: Protected) -> Path | None:
    """The other data folder `target` is in: one of `protected.others`, or the nearest folder
    on its parent chain holding a register (governance.db or governance.lock)."""
    for other in protected.others:
        try:
            folder = other.resolve()
        except (OSError, RuntimeError):
            folder = other.absolute()
        if _inside_folder(target, folder):
            return folder
    for folder in target.parents:
        if any(os.path.lexists(folder / mark) for mark in DATA_FOLDER_MARKS):
            return folder
    return None


def check_output(path: Path, protected: Protected, *, force: bool) -> Path:
    """The real path (symlinks resolved) to write `path` at, or OutputFileError."""
    try:
        target = path.resolve()
        folder = protected.folder.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise OutputFileError(f"refusing {path}: cannot resolve it ({exc})") from None
    if _inside_folder(target, folder):
        raise OutputFileError(
            f"refusing {path}: it is inside the data folder {folder} (the register's own "
            "files); write it to another folder"
        )
    if _owned(target, protected):
        raise OutputFileError(
            f"refusing {path}: it is the app's own database or queue file; write it elsewhere"
        )
    foreign = _foreign_folder(target, protected)
    if foreign is not None:
        raise OutputFileError(
            f"refusing {path}: it is inside another Governance Desktop data folder {foreign} "
            "(another register's files); write it to another folder"
        )
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputFileError(f"refusing {path}: cannot check it ({exc.strerror})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputFileError(f"refusing {path}: it is a folder; name a file")
        if not stat.S_ISREG(info.st_mode):
            raise OutputFileError(
                f"refusing {path}: it is not a regular file (a device, pipe or socket)"
            )
        if not force:
            raise OutputFileError(
                f"refusing {path}: it exists; choose another name or pass --force"
            )
    if not target.parent.is_dir():
        raise OutputFileError(f"refusing {path}: the folder {target.parent} does not exist")
    return target


def _remove(temp: Path) -> None:
    for suffix in _SIDE_FILES:
        with suppress(OSError):
            os.unlink(f"{temp}{suffix}")


def _lock(fd: int) -> bool:
    """Take the temp file's lock; False if a live process holds it (it is still writing).

    On Windows there is no lock: an open file cannot be deleted, so `_remove` skips it.
    """
    if os.name != "posix":
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed runs left beside `target` (``.NAME.gd-partial-XXXXXXXX``); a temp
    file another run is writing right now (it holds a lock on it) is left alone."""
    prefix = f".{target.name}{PARTIAL_MARK}"
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix) or not _TOKEN.fullmatch(entry.name[len(prefix) :]):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if not _lock(fd):
                continue
            _remove(Path(entry.path))
            removed.append(Path(entry.path))
        finally:
            os.close(fd)
    return removed


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def output_file(path: Path, protected: Protected, *, force: bool) -> Iterator[Path]:
    """Yield a temp file (0600) to fill; on success it is fsynced and renamed over `path`.

    If the body fails the temp file is removed; if the process is killed, the next run that
    writes `path` removes it (`clean_stale`).
    """
    target = check_output(path, protected, force=force)
    clean_stale(target)
    temp = target.with_name(f".{target.name}{PARTIAL_MARK}{secrets.token_hex(4)}")
    fd: int | None = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        assert fd is not None
        _lock(fd)  # held until renamed: a concurrent run's clean_stale leaves it alone
        if os.name == "posix":
            os.fchmod(fd, 0o600)  # whatever the umask
        yield temp
        _fsync_file(temp)
        check_output(path, protected, force=force)  # nothing new appeared there meanwhile
        if os.name != "posix":  # Windows cannot rename a file that is open
            os.close(fd)
            fd = None
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException:
        if fd is not None:  # closed first: Windows cannot delete an open file
            os.close(fd)
            fd = None
        _remove(temp)
        raise
    finally:
        if fd is not None:
            os.close(fd)


def write_text(path: Path, protected: Protected, text: str, *, force: bool) -> Path:
    """Write `text` (UTF-8) to `path` through `output_file`; returns the real path written."""
    with output_file(path, protected, force=force) as temp:
        temp.write_text(text, encoding="utf-8")
    return path.resolve()
