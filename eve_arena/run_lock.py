"""One process at a time writes a run directory: an advisory lock on ``RUN_DIR/.lock``.

Two ``resume``s of one run would interleave their metric rows and replace each other's
checkpoint files. The lock is ``fcntl.flock`` on a file in the run directory, so the operating
system releases it when the holder ends, however it ends (a SIGKILL included): a stale lock
cannot outlive its process. The file names the holder, for the one-line refusal.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from eve_arena.errors import UserError

LOCK_FILE = ".lock"

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are not guarded there
    fcntl = None


class RunLock:
    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._file = None

    def __enter__(self) -> "RunLock":
        if fcntl is None:
            return self
        try:
            self._file = open(self.path, "a+")
        except OSError as exc:
            raise UserError(f"cannot write the run directory {self.path.parent}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise UserError(f"{self.path.parent} is in use by {holder}; wait for it to finish or stop it, then try again") from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"process {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')} ({' '.join(sys.argv[:3])})")
        self._file.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None
