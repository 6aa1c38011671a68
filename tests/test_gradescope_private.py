"""Gradescope below bwrap (issue 14, item 3): in the container the zip is unpacked at
``/autograder/source`` and pip installs the package into ``/opt/dltips``; when bwrap cannot
start, the entry point grades at the ``user`` level, where student code may read every
world-readable file. Here a temporary directory stands in for ``/autograder``: the real
zip unpacked in it, the real setup.sh line installing it into a venv, the real
run_autograder line grading a hostile submission without bwrap."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_sandbox import require_level

from autograder.delivery import gradescope

# The student knows the layout (the grader is open source): it walks the unpacked zip and
# the installed package, reads every file it can, and drops what it read where the world
# can write (and returns the list, so that it also reaches results.json if values are shown).
HOSTILE = '''
import os

ROOTS = {roots!r}
DROP = {drop!r}


def sigmoid(z):
    seen = []
    for root in ROOTS:
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                seen.append(path)
                with open(os.path.join(DROP, str(len(seen))), "wb") as out:
                    out.write(data)
    with open(os.path.join(DROP, "read.txt"), "w") as listing:
        listing.write("\\n".join(seen))
    return "READ " + " ".join(seen)
'''

# What of the installed package is the grader's secret (paths.PRIVATE_RELATIVE, minus what
# the wheel does not carry), and the bytecode of the private module file.
PRIVATE_PARTS = ("solutions/", "autograder/course/suites/hidden/",
                 "autograder/course/references/", "autograder/course/samples/",
                 "autograder/course/mistakes/", "autograder/course/mistakes.py",
                 "autograder/course/__pycache__/mistakes.")


def _line(script: str, needle: str) -> str:
    """The command of ``script`` that mentions ``needle`` (continuation lines joined)."""
    joined = script.replace("\\\n", " ")
    return next(line for line in joined.splitlines() if needle in line)


@pytest.fixture
def autograder_root() -> Iterator[Path]:
    """A stand-in for /autograder: searchable by every uid, as the real one is."""
    root = Path(tempfile.mkdtemp(prefix="dltips-autograder-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _install(root: Path) -> tuple[Path, Path]:
    """Unpack the zip at root/source and run setup.sh's own dltips line into root/opt;
    return (the venv's python, its site-packages)."""
    with zipfile.ZipFile(gradescope.build(root / "dltips-gradescope.zip")) as archive:
        archive.extractall(root / "source")
    venv = root / "opt"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=300)
    setup = gradescope.SETUP_SH if "{" not in gradescope.SETUP_SH else gradescope.setup_sh()
    line = _line(setup, "/autograder/source/dltips")
    line = line.replace("/opt/dltips", str(venv)).replace("/autograder", str(root))
    # Offline here: build with the setuptools already installed, not a fresh download.
    subprocess.run([*shlex.split(line), "--no-build-isolation"], check=True, timeout=600,
                   capture_output=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    # Whatever bytecode may exist (an import as root without PYTHONDONTWRITEBYTECODE, an
    # image built another way): compile every module, world-readable, as pip used to.
    subprocess.run([str(python), "-m", "compileall", "-q", purelib + "/autograder",
                    purelib + "/solutions"], check=True, capture_output=True, timeout=300)
    return python, Path(purelib)


@pytest.mark.slow
def test_user_level_reads_nothing_of_the_grader(autograder_root):
    require_level("user")
    root = autograder_root
    python, site = _install(root)
    compiled = [*(site / "autograder/course").glob("__pycache__/mistakes.*.pyc"),
                *(site / "autograder/course").glob("mistakes/__pycache__/*.pyc")]
    assert compiled and all(path.stat().st_mode & 0o004 for path in compiled)
    drop = root / "drop"
    drop.mkdir(mode=0o777)
    os.chmod(drop, 0o777)
    (root / "submission").mkdir()
    (root / "submission" / "losses.py").write_text(HOSTILE.format(
        roots=[str(root / "source"), str(site / "autograder"), str(site / "solutions")],
        drop=str(drop)))
    (root / "results").mkdir(mode=0o700)
    run = gradescope.RUN_AUTOGRADER if "{" not in gradescope.RUN_AUTOGRADER \
        else gradescope.run_autograder()
    line = _line(run, "autograder.delivery.gradescope")
    line = line.replace("/opt/dltips/bin/python", str(python)).replace("/autograder",
                                                                        str(root))
    no_bwrap = root / "empty-path"
    no_bwrap.mkdir()
    env = {**os.environ, "PATH": str(no_bwrap), "DLTIPS_BWRAP": "system",
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)  # the installed copy grades, as in the container
    done = subprocess.run(shlex.split(line.removeprefix("exec ")), cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["extra_data"]["isolation"] == "user", results["output"]

    listing = (drop / "read.txt").read_text().split("\n")
    # Control: the attack ran at this level and reads what is public.
    assert str(site / "autograder" / "course" / "contract.py") in listing
    leaked = [path for path in listing if path.startswith(str(root / "source"))
              or any(part in path.removeprefix(str(site) + "/") for part in PRIVATE_PARTS)
              and path.startswith(str(site))]
    assert leaked == []
    text = json.dumps(results)
    assert str(root / "source") not in text and ".cpython-" not in text


def test_the_entry_point_never_grades_at_level_none(tmp_path, monkeypatch):
    """At 'none' student code would run as the grader (root, in the container): nothing
    could be private, so the entry point refuses and says so in results.json."""
    from autograder.sandbox import levels

    none = levels.Isolation("none", levels.NONE_NOTE.format(why="no bwrap, no root"))
    # (raising=False: before the fix the entry point had no such name and graded anyway)
    monkeypatch.setattr(gradescope, "resolve_isolation", lambda requested: none,
                        raising=False)
    sub = tmp_path / "submission"
    sub.mkdir()
    marker = tmp_path / "ran"
    (sub / "losses.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                   "def sigmoid(z):\n    return 0.5\n")
    results = tmp_path / "results.json"
    assert gradescope.run(sub, results) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 0 and "could not isolate your code" in data["output"]
    assert not marker.exists()


# What a refusal says, word for word: English as it always was, Korean when the zip was
# built with lang ko (the DLTIPS_LANG override stands in for the zip's settings.json).
REFUSALS = {
    "en": ("The grader could not make its own files private ({paths}), so it did not run "
           "your code. Please tell your instructor.",
           "The grader could not isolate your code in this container, so it did not run it. "
           "Please tell your instructor."),
    "ko": ("채점기가 자기 파일을 비공개로 만들지 못해 ({paths}) 여러분의 코드를 실행하지 "
           "않았습니다. 담당 교수자에게 알려 주세요.",
           "채점기가 이 container 안에서 여러분의 코드를 격리하지 못해 실행하지 않았습니다. "
           "담당 교수자에게 알려 주세요."),
}


@pytest.mark.parametrize("lang", sorted(REFUSALS))
def test_the_entry_point_refuses_in_the_zips_language(tmp_path, monkeypatch, lang):
    from autograder.grading.policy import ENV_LANG
    from autograder.sandbox import levels

    monkeypatch.setenv(ENV_LANG, lang)
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "losses.py").write_text("def sigmoid(z):\n    return 0.5\n")
    source = tmp_path / "source"
    source.mkdir()
    not_private, not_isolated = REFUSALS[lang]
    # The grader's copy cannot be made private: refused before anything else.
    monkeypatch.setattr(gradescope, "protect_private_dirs", lambda private: set())
    assert gradescope.run(sub, tmp_path / "r1.json", (source,)) == 0
    data = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    assert (data["score"], data["tests"]) == (0, [])
    assert data["output"] == not_private.format(paths=source)
    # No sandbox level at which student code is safe: refused too.
    none = levels.Isolation("none", levels.NONE_NOTE.format(why="no bwrap, no root"))
    monkeypatch.setattr(gradescope, "resolve_isolation", lambda requested: none)
    assert gradescope.run(sub, tmp_path / "r2.json") == 0
    data = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
    assert data["output"] == not_isolated and data["score"] == 0


def test_setup_pins_the_versions_the_keras_cache_was_computed_with():
    from autograder.course.references.generate import recorded_versions

    setup = gradescope.setup_sh()
    for name, version in recorded_versions().items():
        assert f'"{name}=={version}"' in setup
    assert "--no-compile" in _line(setup, "/autograder/source/dltips")
    assert "PYTHONDONTWRITEBYTECODE=1" in gradescope.run_autograder()
