"""Files Turnout writes hold members' data: they are its own user's alone (0600, folders 0700).

`turnout.settings` sets a process-wide umask of 0o077, so whatever else writes a file (an email
in var/mail, an error report) makes it owner-only too; the helpers here set the mode themselves,
so the SQLite database, the var folders, uploads and keys stay private whatever the umask was.
They use nothing but the standard library: `settings` and `turnout.__main__` call them before
Django is set up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path | str) -> Path:
    """`path` as an owner-only folder: made 0700 if missing (missing parents take the umask's
    mode), and an existing one that others may read is closed to them."""
    folder = Path(path)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    make_private(folder)
    return folder


def create_private(path: Path | str, *, exclusive: bool = False, append: bool = False) -> int:
    """A descriptor of `path` opened for writing, created 0600; `exclusive` refuses an existing
    file, `append` keeps what it holds, otherwise it is emptied. An existing file that others may
    read is closed to them before anything is written."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0) | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = os.open(path, flags, FILE_MODE)
    if os.fstat(descriptor).st_mode & 0o077:  # it existed, from before files were private
        os.fchmod(descriptor, FILE_MODE)
    return descriptor


def write_private(path: Path | str, text: str, *, exclusive: bool = False) -> None:
    """Write `text` to `path`, a file only its owner may read."""
    with os.fdopen(create_private(path, exclusive=exclusive), "w", encoding="utf-8") as out:
        out.write(text)


def touch_private(path: Path | str) -> None:
    """Make sure `path` exists and is owner-only, keeping what it holds (the SQLite database:
    SQLite makes its -wal and -shm files with the database file's own mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        make_private(path)


def tighten(root: Path | str) -> int:
    """Take group and other permissions away from everything under `root` (an install from before
    files were private); how many files and folders changed. Symbolic links are left alone."""
    changed = 0
    top = Path(root)
    if not top.is_dir() or top.is_symlink():
        return 0
    changed += make_private(top)
    for folder, folders, files in os.walk(top):
        for name in [*folders, *files]:
            changed += make_private(Path(folder) / name)
    return changed


def make_private(path: Path | str) -> int:
    """Close `path` to group and others; 1 when it was open to them."""
    path = Path(path)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:  # removed meanwhile
        return 0
    if stat.S_ISLNK(mode) or not mode & 0o077:
        return 0
    try:
        path.chmod(stat.S_IMODE(mode) & ~0o077)
    except PermissionError:  # another user's file: not this process's to change
        return 0
    return 1
