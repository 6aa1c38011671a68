"""A grading run's identity and scratch space, owned by the process that outlives the run.

``StudentSession.close()`` ends the worker and deletes the copy, but it runs in the process
that grades; if that process is killed (a timeout, the OOM killer, a crash), nothing of it
runs. So the engine takes a ``Lease`` before it starts a grading process and hands it
over: the session puts its scratch tree inside ``lease.directory``, marks its workers
with ``lease.marker`` and, when a dedicated uid is needed, runs them as ``lease.uid``.
When the grading process has ended, however it ended, the engine calls ``release()``:
every process of the uid and every process carrying the marker is killed, the directory
is removed (whatever student code made of it) and the uid claim is freed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.sandbox.reaping import kill_marked, kill_uid
from autograder.sandbox.scratch import allocate_uid, remove_tree


@dataclass
class Lease:
    """See the module docstring. Create with ``Lease.create()``; pass ``to_json()`` on."""

    directory: Path
    marker: str
    uid: int | None = None
    gid: int | None = None
    claim: Path | None = None

    @classmethod
    def create(cls) -> Lease:
        """A fresh directory (0711: a worker uid may pass through to its own copy inside),
        a random marker and, when we are root, a claimed dedicated uid."""
        directory = Path(tempfile.mkdtemp(prefix="dltips-lease-"))
        os.chmod(directory, 0o711)
        lease = cls(directory=directory, marker=os.urandom(12).hex())
        if os.geteuid() == 0:
            try:
                lease.uid, lease.claim = allocate_uid()
            except BaseException:
                remove_tree(directory)
                raise
            lease.gid = lease.uid
        return lease

    def to_json(self) -> dict[str, Any]:
        """What the grading process needs to use the lease (not to release it)."""
        data = asdict(self)
        data["directory"] = str(self.directory)
        data.pop("claim")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lease:
        """The lease as the grading process sees it: it may use it, never release it."""
        return cls(directory=Path(data["directory"]), marker=str(data["marker"]),
                   uid=data.get("uid"), gid=data.get("gid"))

    @property
    def owned(self) -> bool:
        """Whether this side holds the claim (and so releases it)."""
        return self.claim is not None or self.uid is None

    def release(self) -> None:
        """Kill every process of the uid and of the marker, remove the directory, free the
        uid. Idempotent; call it after the grading process has ended."""
        if self.uid is not None:
            kill_uid(self.uid, self.gid)
        kill_marked(self.marker)
        remove_tree(self.directory)
        if self.claim is not None:
            self.claim.unlink(missing_ok=True)
            self.claim = None
