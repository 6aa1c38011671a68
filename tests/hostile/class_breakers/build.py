"""Round 2, items 3 and 4: submission paths that once broke a whole class run, or were
followed out of the submission. Archives, FIFOs and links cannot live in git as such, so
each is built on demand by ``build(root, solutions, neighbour)``, which returns
``{name: path}``. tests/test_hostile_paths.py grades them all in one class run.

- bad_utf8.zip: member names flagged UTF-8 (bit 11) that are not UTF-8;
- future_version.zip: a "version needed to extract" zipfile does not support;
- pipe: a FIFO given as a submission (opening it to sniff a zip waits forever);
- grades.csv, summary.png: folders named like the class outputs;
- linked_solutions, linked_neighbour: a submission that is a link to solutions/ or to
  another student's folder;
- inner_link: a real folder whose assignments/ is a link to solutions/;
- ..zip: a zip whose results folder name would be '.', the output directory itself.
"""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
from pathlib import Path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _patch_central(path: Path, patch) -> Path:
    """Apply ``patch(record: bytearray)`` to every central directory record."""
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        patch(raw, at)
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


def bad_utf8(path: Path, dropout: bytes) -> Path:
    _zip(path, {"dropout.py": dropout, "notes_\u00e9.txt": b"x"})

    def flag_and_break(raw: bytearray, at: int) -> None:
        flags = struct.unpack_from("<H", raw, at + 8)[0]
        struct.pack_into("<H", raw, at + 8, flags | 0x800)
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        raw[at + 46:at + 46 + name_len] = b"\xff" * name_len  # not UTF-8 at all

    return _patch_central(path, flag_and_break)


def future_version(path: Path, dropout: bytes) -> Path:
    _zip(path, {"dropout.py": dropout})
    return _patch_central(path, lambda raw, at: struct.pack_into("<H", raw, at + 6, 99))


def build(root: Path, solutions: Path, neighbour: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    dropout = (solutions / "dropout.py").read_bytes()
    made = {
        "bad_utf8": bad_utf8(root / "bad_utf8.zip", dropout),
        "future_version": future_version(root / "future_version.zip", dropout),
        "dotdot": _zip(root / "..zip", {"dropout.py": dropout}),
    }
    os.mkfifo(root / "pipe")
    made["pipe"] = root / "pipe"
    for name in ("grades.csv", "summary.png"):
        (root / name).mkdir()
        shutil.copy2(solutions / "dropout.py", root / name / "dropout.py")
        made[name] = root / name
    (root / "linked_solutions").symlink_to(solutions)
    (root / "linked_neighbour").symlink_to(neighbour)
    made["linked_solutions"] = root / "linked_solutions"
    made["linked_neighbour"] = root / "linked_neighbour"
    (root / "inner_link").mkdir()
    (root / "inner_link" / "assignments").symlink_to(solutions)
    made["inner_link"] = root / "inner_link"
    return made
