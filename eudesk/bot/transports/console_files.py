"""Where the console puts what a chat platform would show: attached files and other users' mail.

A console session writes each attachment of a reply (a meeting's .ics, a calendar) into a folder
of the user's own under the console folder, and notifications for console users who have no
session running into a log beside it. Both may be personal (a calendar, a passport's status):
folders are created 0700 and files 0600.

Rule for names: every user has a subfolder of their own, so two users' `meetings.ics` never
meet; a user's newer file of the same name replaces their own older one (it is the latest
version of the same thing), written whole or not at all.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from eudesk.handlers.messages import Attachment

FILES_FOLDER = "console-files"
OUTBOX_LOG = "console-outbox.log"
FOLDER_MODE = 0o700
FILE_MODE = 0o600

_SAFE = re.compile(r"[^\w.@-]+")


def folder_name(user_name: str) -> str:
    """A user's subfolder: the name when it is a safe file name, else a slug plus a short hash
    of the exact name (so "ana/x" and "ana_x" never share a folder)."""
    slug = _SAFE.sub("_", user_name).strip("._") or "user"
    if slug == user_name:
        return slug
    digest = hashlib.sha256(user_name.encode()).hexdigest()[:8]
    return f"{slug[:60]}-{digest}"


def file_name(name: str) -> str:
    """An attachment's name without any folder part and without characters a shell trips on."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE.sub("_", base).lstrip(".") or "attachment"


@dataclass(frozen=True, slots=True)
class ConsoleFiles:
    """The console folder: `root/console-files/USER/FILE` and `root/console-outbox.log`."""

    root: Path

    @classmethod
    def beside(cls, sqlite_path: Path | None, *, cwd: Path | None = None) -> ConsoleFiles:
        """Next to the SQLite database file (var/ for the default var/eudesk.db); for another
        backend, var/ in the working directory."""
        base = (cwd or Path.cwd()) / "var" if sqlite_path is None else sqlite_path.parent
        return cls(base.absolute())

    @property
    def files(self) -> Path:
        return self.root / FILES_FOLDER

    @property
    def outbox_log(self) -> Path:
        return self.root / OUTBOX_LOG

    def folder_of(self, user_name: str) -> Path:
        return self.files / folder_name(user_name)

    def save(self, user_name: str, attachment: Attachment) -> Path:
        """Write the attachment into the user's folder; returns its absolute path. Raises
        OSError when the folder cannot be made or written."""
        folder = self._private_folder(user_name)
        target = folder / file_name(attachment.filename)
        # mkstemp creates the file 0600; the rename makes the new content appear whole.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(attachment.content)
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def append_log(self, text: str) -> Path:
        """Append one entry to the outbox log (created 0600); returns its path."""
        self._make_root()
        path = self.outbox_log
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        with os.fdopen(descriptor, "a", encoding="utf-8") as out:
            out.write(text)
        return path

    def _make_root(self) -> None:
        # The folder the database lives in (var/) usually exists; only what we create is ours
        # to restrict, so a folder given by an option keeps its own mode.
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)

    def _private_folder(self, user_name: str) -> Path:
        self._make_root()
        self.files.mkdir(mode=FOLDER_MODE, exist_ok=True)
        folder = self.folder_of(user_name)
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # ours alone, whatever the umask or an older run left
        return folder
