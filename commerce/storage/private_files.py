"""Files only the shop's own user may read: the database and its -wal/-shm, backups, the folders holding them.

The database holds buyers' customers, orders and (encrypted) addresses, so it is created 0600 in folders
created 0700, whatever the umask. SQLite gives the -wal, -shm and -journal files the mode of the database
file itself, so a private database keeps its companions private too. Folders that already exist are left
as they are (the data folder may sit in a place the operator chose); files of ours that already exist are
made private when this user owns them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

PRIVATE_FILE: Final = 0o600
PRIVATE_DIR: Final = 0o700
SQLITE_COMPANIONS: Final = ("-wal", "-shm", "-journal")


def private_mkdir(folder: Path) -> None:
    """Create `folder` and any missing parents 0700 (existing ones are not touched)."""
    missing: list[Path] = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        try:
            candidate.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process: fine
            continue
        os.chmod(candidate, PRIVATE_DIR)  # the umask may have taken bits away, never added: make it exact


def create_private_file(path: Path) -> None:
    """Create `path` empty and 0600 if it is not there; make it 0600 if it is and others may read it."""
    private_mkdir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        make_private(path)


def make_private(path: Path) -> None:
    """Take group and other permissions off a file of ours; someone else's file, or none, is left alone."""
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~(stat.S_IRWXG | stat.S_IRWXO))
    except (FileNotFoundError, PermissionError):
        return


def prepare_sqlite_file(path: Path) -> None:
    """Before SQLite opens `path`: the file exists and is private, and so are its -wal/-shm if present."""
    create_private_file(path)
    for suffix in SQLITE_COMPANIONS:
        make_private(path.with_name(path.name + suffix))
