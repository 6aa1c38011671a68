"""`dltips grade --nbgrader` as an instructor uses it (issues 14.8 and 16): student ids
that are hostile folder names, re-grading one student, and late submissions judged as
nbgrader judges them. Everything goes through the real CLI; lateness is compared with
nbgrader's own computation on a real gradebook."""

from __future__ import annotations

import csv
import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_nbgrader_course import fake_root  # noqa: F401 - a fixture

from autograder.course.contract import REPO_ROOT
from autograder.delivery import nbgrader_course as course_mod

SOLVED = REPO_ROOT / "solutions" / "dropout.py"  # dropout's full marks: 8 points
STUB = REPO_ROOT / "assignments" / "dropout.py"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=900)


def submit(course: Path, student: str, module: Path, assignment: str = "a1") -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(module, folder / "dropout.py")
    return folder


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def submission_line(folder: Path) -> str:
    results = json.loads((folder / "results.json").read_text())
    return results["output"].splitlines()[0]


@pytest.mark.slow
def test_hostile_student_ids_never_collide_or_take_a_class_output(tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    ids = ["alice", "alice ", "ALICE", "grades.csv", "summary.png", "report", "report.html",
           "similarity.csv", "class-report"]
    for student in ids:
        submit(course, student, SOLVED if student == "alice" else STUB)
    done = run_cli("grade", "--nbgrader", str(course), "--assignment", "a1", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "grades.csv").is_file() and (out / "summary.png").is_file()
    table = rows(out)
    # ids in sorted order ("ALICE" < "alice" < "alice "): the first takes the bare name
    folders = {"ALICE": "ALICE", "alice": "alice-2", "alice ": "alice-3",
               "grades.csv": "_grades.csv", "summary.png": "_summary.png", "report": "_report",
               "report.html": "_report.html", "similarity.csv": "_similarity.csv",
               "class-report": "_class-report"}
    assert set(table) == set(folders.values())
    assert table["alice-2"]["total"] == "8"  # not overwritten by "alice " or "ALICE"
    assert all(table[f]["total"] == "0" for f in folders.values() if f != "alice-2")
    for student, folder in folders.items():  # each knows who it is: the id, not the assignment
        assert submission_line(out / folder) == f"Submission: {student}"
        assert f"Submission: {student}" in (out / folder / "feedback.md").read_text()


def test_every_class_output_name_is_reserved():
    from autograder.grading import report
    from autograder.grading.output_names import folder_names, is_reserved

    assert report.CLASS_FILES and all(is_reserved(name) for name in report.CLASS_FILES)
    assert not set(folder_names(report.CLASS_FILES)) & set(report.CLASS_FILES)


@pytest.mark.slow
def test_plain_grade_of_colliding_basenames(tmp_path):
    paths = []
    for parent, name in [("a", "alice"), ("b", "alice"), ("c", "Alice"), ("d", "grades.csv"),
                         ("e", "report"), ("f", "similarity")]:
        paths.append(submit(tmp_path / parent, "x", SOLVED if parent == "a" else STUB, name))
    out = tmp_path / "out"
    done = run_cli("grade", *map(str, paths), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(rows(out)) == {"alice", "alice-2", "Alice-3", "_grades.csv", "_report",
                              "_similarity"}
    assert rows(out)["alice"]["total"] == "8" and rows(out)["alice-2"]["total"] == "0"


@pytest.mark.slow
def test_regrade_one_student_keeps_the_others(tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    submit(course, "alice", SOLVED)
    submit(course, "bob", STUB)
    done = run_cli("grade", "--nbgrader", str(course), "--assignment", "a1", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    alice_before = (out / "alice" / "results.json").read_bytes()
    submit(course, "alice", STUB)  # would score 0 if she were graded again
    submit(course, "bob", SOLVED)  # bob fixed his work
    done = run_cli("grade", "--nbgrader", str(course), "--assignment", "a1", "--student",
                   "bob", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "alice" / "results.json").read_bytes() == alice_before
    table = rows(out)
    assert table["alice"]["total"] == "8" and table["bob"]["total"] == "8"
    assert submission_line(out / "bob") == "Submission: bob"

    unknown = run_cli("grade", "--nbgrader", str(course), "--assignment", "a1", "--student",
                      "carol", "--out", str(out))
    assert unknown.returncode == 2 and "no submission of 'a1' by student 'carol'" in (
        unknown.stderr) and unknown.stderr.strip().count("\n") == 0
    assert rows(out) == table


def test_lateness_is_nbgraders_own_on_a_gradebook_with_an_extension(tmp_path):
    """CoursePolicy against nbgrader's SubmittedAssignment.total_seconds_late."""
    from nbgrader.api import Gradebook

    from autograder.delivery.nbgrader_lateness import CoursePolicy

    course = tmp_path / "course"
    (course / course_mod.CONFIG_NAME).parent.mkdir(parents=True)
    (course / course_mod.CONFIG_NAME).write_text("c = get_config()\n")
    stamps = {"early": "2026-01-15 22:00:00.000000 UTC", "late": "2026-01-16 01:29:30 UTC",
              "extended": "2026-01-16 02:00:00 UTC", "nostamp": None}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "default_course") as gradebook:
        gradebook.add_assignment("a1", duedate="2026-01-15 23:59:00 UTC")
        for student, stamp in stamps.items():
            gradebook.add_student(student)
            folder = submit(course, student, STUB)
            if stamp is not None:
                (folder / "timestamp.txt").write_text(stamp)
        gradebook.update_or_create_submission(
            "a1", "extended", extension=datetime.timedelta(hours=2))
        policy = CoursePolicy(course, "a1")
        for student in stamps:
            mine = policy.lateness(student, course / "submitted" / student / "a1")
            theirs = gradebook.update_or_create_submission(
                "a1", student, timestamp=policy.coursedir.get_existing_timestamp(
                    str(course / "submitted" / student / "a1")))
            assert mine.seconds_late == theirs.total_seconds_late
            assert mine.timestamp == theirs.timestamp
    late = {s: policy.lateness(s, course / "submitted" / s / "a1").seconds_late for s in stamps}
    assert late == {"early": 0, "late": 90 * 60 + 30, "extended": 60, "nostamp": 0}
    assert policy.penalty("late", 8.0, policy.lateness("late", course / "submitted" / "late"
                                                        / "a1")) == 0  # default: 'none'


@pytest.mark.slow
@pytest.mark.parametrize("method", ["zero"])
def test_late_submissions_agree_with_nbgrader_autograde(tmp_path, fake_root, method):  # noqa: F811
    course = tmp_path / "course"
    assignment = "tiny"
    course_mod.init_course(course, assignment, root=fake_root)
    with (course / course_mod.CONFIG_NAME).open("a") as config:
        config.write(f"\nc.LateSubmissionPlugin.penalty_method = {method!r}\n")
    done = course_mod.run_nbgrader(course, "db", "assignment", "add", assignment,
                                   "--duedate=2026-01-15 23:59:00 UTC")
    assert done.returncode == 0, done.stderr[-2000:]
    done = course_mod.run_nbgrader(course, "generate_assignment", assignment, "--force")
    assert done.returncode == 0, done.stderr[-2000:]
    stamps = {"ontime": "2026-01-15 23:00:00.000000 UTC",
              "late": "2026-01-16 02:29:00.000000 UTC", "nostamp": None}
    for student, stamp in stamps.items():
        folder = course / "submitted" / student / assignment
        shutil.copytree(course / "release" / assignment, folder)
        shutil.copyfile(SOLVED, folder / "dropout.py")
        if stamp:
            (folder / "timestamp.txt").write_text(stamp)
    done = course_mod.run_nbgrader(course, "autograde", assignment, "--force")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    done = run_cli("grade", "--nbgrader", str(course), "--assignment", assignment,
                   "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr

    from nbgrader.api import Gradebook

    table = rows(out)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "dltips") as gradebook:
        for student in stamps:
            theirs = gradebook.find_submission(assignment, student)
            row = table[student]
            stamp = theirs.timestamp.isoformat() + "Z" if stamp_of(course, student) else ""
            assert row["timestamp"] == stamp
            assert float(row["late_seconds"]) == theirs.total_seconds_late
            # 'zero': both paths take away everything the submission scored
            nb_penalty, nb_score = theirs.late_submission_penalty, theirs.score
            assert (nb_penalty == nb_score > 0) == (student == "late")
            assert float(row["late_penalty"]) == (float(row["total"]) if student == "late"
                                                  else 0)
    assert table["late"]["late_seconds"] == str(2 * 3600 + 30 * 60)
    assert float(table["late"]["total"]) == 8
    late = json.loads((out / "late" / "results.json").read_text())
    assert "Late: submitted 2 h 30 min after the due date" in late["output"]


def stamp_of(course: Path, student: str) -> bool:
    return (course / "submitted" / student / "tiny" / "timestamp.txt").exists()
