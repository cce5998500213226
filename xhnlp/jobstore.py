"""The resumable job store behind ``xhnlp tag … -o OUT``: ``OUT.parts/``.

One JSONL part per document, written atomically; a manifest of everything that changes the
output (xhnlp version, a fingerprint of the model directory's files, the command, the options,
the root that document ids are relative to); a lock so that two runs never share a store.

- A part's name hashes the document's resolved path **and its content**, so an edited file is
  tagged again even when its size and mtime are unchanged.
- A store whose manifest differs from this run's is emptied before anything is read from it:
  parts from another model (also one retrained in place), version or option are never mixed in.
- ``flock`` on ``OUT.parts/lock`` is released by the kernel when a process dies, so a killed run
  never leaves a stale lock behind; a second live run on the same OUT is refused.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path


class JobError(Exception):
    """The output cannot be written (path, permission, disk, another run); str(error) is one line."""


def _one_line(e: OSError) -> str:
    return e.strerror or str(e)


def check_output_path(output: Path) -> None:
    """Refuse, before any model is loaded, an output that cannot be written."""
    if output.is_dir():
        raise JobError(f"-o {output}: is a directory; give a file name such as {output / 'tags.jsonl'}")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise JobError(f"-o {output}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise JobError(f"-o {output}: directory {parent} is not writable")
    if output.exists() and not os.access(output, os.W_OK):
        raise JobError(f"-o {output}: file exists and is not writable")


def content_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class JobStore:
    """``OUT.parts/`` for one run; use as a context manager (holds the lock while open)."""

    def __init__(self, output: Path, stamp: dict):
        self.output = Path(output)
        self.dir = Path(str(output) + ".parts")
        self.stamp = stamp
        self._lock = None
        self._keys: dict[Path, str] = {}

    # --- lifetime -------------------------------------------------------------------------------
    def __enter__(self) -> "JobStore":
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.dir / "lock", "a+")
        except OSError as e:
            raise JobError(f"cannot create {self.dir}: {_one_line(e)}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise JobError(f"cannot lock {self.dir / 'lock'}: {_one_line(e)}") from None
            self._lock.seek(0)
            other = self._lock.read().strip() or "unknown"
            self._lock.close()
            self._lock = None
            raise JobError(f"another xhnlp run (pid {other}) is writing {self.output}; wait for it to finish "
                           "or choose another -o") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        manifest = self.dir / "manifest.json"
        try:
            old = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else None
        except (OSError, json.JSONDecodeError):
            old = "unreadable"
        if old is not None and old != self.stamp:
            self.stale = True
            for f in self.dir.iterdir():
                if f.name != "lock":
                    f.unlink() if f.is_file() else shutil.rmtree(f)
        else:
            self.stale = False
        try:
            self._atomic_write(manifest, json.dumps(self.stamp, ensure_ascii=False, sort_keys=True))
        except OSError as e:
            raise JobError(f"cannot write {manifest}: {_one_line(e)}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def remove(self) -> None:
        """Delete the store (after a complete run), lock included."""
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- parts ----------------------------------------------------------------------------------
    def part(self, path: Path) -> Path:
        """The part file of a document: its resolved path and content hashed together."""
        if path not in self._keys:
            key = f"{path.resolve()}\0{content_hash(path)}"
            self._keys[path] = hashlib.sha1(key.encode()).hexdigest()[:24] + ".jsonl"
        return self.dir / self._keys[path]

    def has(self, path: Path) -> bool:
        try:
            return self.part(path).exists()
        except OSError:  # unreadable: the reader reports it
            return False

    def write(self, path: Path, rows) -> int:
        """Write a document's rows as its part, atomically; returns the number of rows."""
        part = self.part(path)
        n = 0

        def lines():
            nonlocal n
            for row in rows:
                n += 1
                yield json.dumps(row, ensure_ascii=False) + "\n"

        self._atomic_write(part, lines())
        return n

    @staticmethod
    def _atomic_write(path: Path, content) -> None:
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                if isinstance(content, str):
                    f.write(content)
                else:
                    f.writelines(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
