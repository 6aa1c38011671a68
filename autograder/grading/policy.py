"""What students are shown, decided once by the instructor: the language of everything a
student reads, and how much of the hidden tests a failure discloses.

Disclosure levels, each adding to the one before (``DISCLOSURE_LEVELS``):

``score``   the total and each module's points; no hidden test is listed (Gradescope
            visibility ``hidden`` for every test).
``names``   plus each hidden test's name, points, pass/fail and the kind of failure
            (wrong answer, timeout, not implemented...).
``hints``   plus the diagnosed mistake and the function's hint. The default: it tells a
            student what to fix without handing out the hidden inputs and outputs.
``values``  plus everything the test said: the values got and expected, the student's own
            exception messages (which a submission can fill with the hidden inputs).

Failures that do not depend on a test's inputs (a missing module or function, a syntax or
import error, a function not implemented) are said in full from ``names`` up. The visible
checks (the public suite, shipped to students) always disclose ``values``.

The same ``Settings`` reach every channel: ``dltips grade --disclose/--lang`` writes
feedback.md and results.json, the nbgrader course (``dltips nbgrader init``) hands them to
its kernels through ``ENV_LANG``/``ENV_DISCLOSE``, and the student release and the
Gradescope zip carry them in ``SETTINGS_FILE`` inside their copy of the package.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.grading.messages import DEFAULT_LANG, check_lang

DISCLOSURE_LEVELS = ("score", "names", "hints", "values")
DEFAULT_DISCLOSURE = "hints"
FULL_DISCLOSURE = "values"
# Written into a copy of the package (student release, Gradescope zip); absent in the
# repository, where the defaults hold.
SETTINGS_FILE = Path(__file__).resolve().parents[1] / "settings.json"
ENV_LANG, ENV_DISCLOSE = "DLTIPS_LANG", "DLTIPS_DISCLOSE"


class SettingsError(ValueError):
    """A language or disclosure level that does not exist (one-line message)."""


def check_disclosure(level: str) -> str:
    if level not in DISCLOSURE_LEVELS:
        raise SettingsError(f"unknown disclosure level {level!r}; choose from "
                            + ", ".join(DISCLOSURE_LEVELS))
    return level


def discloses(level: str, what: str) -> bool:
    """Whether ``level`` shows ``what`` (another level's name: ``names``, ``hints``...)."""
    return DISCLOSURE_LEVELS.index(check_disclosure(level)) >= DISCLOSURE_LEVELS.index(what)


@dataclass(frozen=True)
class Settings:
    """The instructor's choices for what students read."""

    lang: str = DEFAULT_LANG
    disclose: str = DEFAULT_DISCLOSURE

    def __post_init__(self) -> None:
        try:
            check_lang(self.lang)
        except ValueError as error:
            raise SettingsError(str(error)) from None
        check_disclosure(self.disclose)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


def read_settings(path: Path) -> Settings:
    """The settings saved at ``path``; SettingsError when the file is not valid."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Settings(**{key: str(data[key]) for key in ("lang", "disclose") if key in data})
    except (OSError, ValueError, TypeError) as error:
        raise SettingsError(f"{path}: not a dltips settings file ({error})") from None


def write_settings(path: Path, settings: Settings) -> Path:
    Path(path).write_text(settings.to_json(), encoding="utf-8")
    return Path(path)


def installed_settings() -> Settings:
    """What this installation was given: ``SETTINGS_FILE`` if present (else the defaults),
    overridden by ``DLTIPS_LANG`` / ``DLTIPS_DISCLOSE`` (an nbgrader course's kernels)."""
    base = read_settings(SETTINGS_FILE) if SETTINGS_FILE.is_file() else Settings()
    return Settings(lang=os.environ.get(ENV_LANG) or base.lang,
                    disclose=os.environ.get(ENV_DISCLOSE) or base.disclose)
