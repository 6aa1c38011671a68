"""Late submissions in an nbgrader course, computed the way ``nbgrader autograde`` does.

nbgrader reads ``submitted/<student>/<assignment>/timestamp.txt`` (``CourseDirectory.
get_existing_timestamp``, UTC), compares it with the assignment's due date in the
gradebook plus the student's extension (``SubmittedAssignment.total_seconds_late``), and
when it is late asks the course's late-submission plugin for a penalty
(``c.AssignLatePenalties.plugin_class``, by default ``LateSubmissionPlugin`` with
``c.LateSubmissionPlugin.penalty_method`` 'none' or 'zero'), clamped to ``[0, score]``.
``dltips grade --nbgrader`` does the same with nbgrader's own code and the course's own
config, so both paths flag the same students and deduct the same points. One difference:
nbgrader asks the plugin once per notebook with that notebook's score, dltips once with
the submission's total (the same total for 'none' and 'zero').
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grading.messages import DEFAULT_LANG, say

CONFIG_NAME = "nbgrader_config.py"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lateness:
    """When a submission came in and by how much it missed its due date."""

    timestamp: datetime.datetime | None  # naive UTC, as nbgrader stores it
    seconds_late: float

    def as_results(self, penalty: float) -> dict[str, Any]:
        """The ``extra_data["late"]`` entry of a submission's results."""
        stamp = self.timestamp.isoformat() + "Z" if self.timestamp is not None else ""
        return {"timestamp": stamp, "late_seconds": self.seconds_late, "late_penalty": penalty}

    def feedback_line(self, penalty: float, lang: str = DEFAULT_LANG) -> str:
        """The line a late submission's feedback gets, in ``lang`` (catalogue
        ``output.late``)."""
        return say("output.late", lang, duration=duration_text(self.seconds_late, lang),
                   penalty=f"{penalty:g}")


def duration_text(seconds: float, lang: str = DEFAULT_LANG) -> str:
    """'2 d 3 h 4 min' ('42 s' under a minute) in ``lang``, for the late line."""
    minutes = int(seconds // 60)
    parts = [(minutes // 1440, "days"), (minutes // 60 % 24, "hours"), (minutes % 60, "minutes")]
    shown = [say(f"output.{unit}", lang, count=value) for value, unit in parts if value]
    return " ".join(shown) or say("output.seconds", lang, count=f"{seconds:.0f}")


class CoursePolicy:
    """An nbgrader course's due dates and late-submission policy, read once."""

    def __init__(self, course: Path, assignment: str) -> None:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        self.course, self.assignment = Path(course), assignment
        config = (PyFileConfigLoader(CONFIG_NAME, path=str(self.course)).load_config()
                  if (self.course / CONFIG_NAME).is_file() else Config())
        self.config = config
        self.coursedir = CourseDirectory(config=config, log=log)
        if "root" not in config.get("CourseDirectory", {}):  # nbgrader runs in the course
            self.coursedir.root = str(self.course.resolve())
        self._plugin = None

    def lateness(self, student: str, submission: Path) -> Lateness:
        """``submission``'s timestamp.txt against its due date (0 s late when either is
        unknown, as nbgrader counts it)."""
        timestamp = self.coursedir.get_existing_timestamp(str(submission))
        due = self._due_date(student)
        if timestamp is None or due is None:
            return Lateness(timestamp, 0.0)
        return Lateness(timestamp, max(0.0, (timestamp - due).total_seconds()))

    def penalty(self, student: str, score: float, lateness: Lateness) -> float:
        """The points the course's plugin deducts, clamped to [0, score] as nbgrader's
        ``AssignLatePenalties`` does; 0 for a submission on time."""
        if lateness.seconds_late <= 0:
            return 0.0
        penalty = self._late_plugin().late_submission_penalty(student, score,
                                                             lateness.seconds_late)
        if penalty is None:
            return 0.0
        return float(min(max(penalty, 0.0), score))

    def _due_date(self, student: str) -> datetime.datetime | None:
        """The assignment's due date plus the student's extension, from the gradebook
        (None without a gradebook: reading must not create one)."""
        from nbgrader.api import Gradebook, MissingEntry

        url = self.coursedir.db_url
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
            return None
        with Gradebook(url, self.coursedir.course_id) as gradebook:
            try:
                return gradebook.find_submission(self.assignment, student).duedate
            except MissingEntry:
                pass
            try:
                return gradebook.find_assignment(self.assignment).duedate
            except MissingEntry:
                return None

    def _late_plugin(self) -> Any:
        if self._plugin is None:
            from nbgrader.preprocessors import AssignLatePenalties

            self._plugin = AssignLatePenalties(config=self.config, log=log).plugin_class(
                config=self.config, log=log)
        return self._plugin
