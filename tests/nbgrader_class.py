"""A class of five students handing in the unit through nbgrader, for the end-to-end test
and the nbgrader benchmark: ``submitted/<student>/<assignment>/`` trees built from the
course's ``release/<assignment>/`` (the student notebooks, data and stubs).

- ``reference``: the reference solutions (marker lines dropped, as a filled-in stub).
- ``stubs``: the release as handed out.
- two realistic mistakes from the sample catalogue (``MISTAKES``): the reference with the
  sample's one replacement; like the catalogue's samples they hand in every module (the
  reference ``mnist_classifier`` included), as a real student does, so they lose points
  only on ``expected_failing(student)``.
- ``hostile``: the reference, except that ``dropout.dropout_forward`` writes into every
  neighbour's folders and then ``os._exit``s; its module also writes a marker file when
  imported (it must never be imported outside the sandbox); its notebooks carry an added
  code cell that does the same, and it ships a ``numpy.py`` that would shadow numpy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from autograder.course.contract import CONTRACT, MODULES, REPO_ROOT
from autograder.course.samples import catalog

MISTAKES = ("l2_with_half", "adam_no_bias_correction")
HOSTILE = "hostile"
HOSTILE_FUNCTION = "dropout.dropout_forward"
STUDENTS = ("reference", "stubs", *MISTAKES, HOSTILE)


def build_class(course: Path, assignment: str, markers: Path) -> dict[str, Path]:
    """Write ``course/submitted/<student>/<assignment>/`` for every student of STUDENTS.

    Inputs:
    - course: an nbgrader course after ``generate_assignment``.
    - assignment: its assignment name.
    - markers: an empty folder; the hostile code writes a file here whenever it runs
      outside the sandbox (so the folder must stay empty).

    Returns:
    - student id -> their submission folder.
    """
    release = course / "release" / assignment
    folders = {}
    for student in STUDENTS:
        folder = course / "submitted" / student / assignment
        shutil.copytree(release, folder)
        if student != "stubs":
            for module in MODULES:
                (folder / f"{module}.py").write_text(_module_source(student, module),
                                                     encoding="utf-8")
        folders[student] = folder
    neighbours = [course / sub / student / assignment for sub in ("submitted", "autograded")
                  for student in STUDENTS if student != HOSTILE]
    _make_hostile(folders[HOSTILE], neighbours, markers)
    return folders


def expected_failing(student: str) -> frozenset[str]:
    """The contract functions (``module.function``) a mistake student of this class loses
    points on: the catalogue sample's ``expected_failing`` without the modules the sample
    leaves out, which this class hands in as the reference."""
    sample = catalog.by_name(student)
    handed_in = {f"{module}.{function}" for module in sample.left_out
                 for function in CONTRACT[module]}
    return sample.expected_failing - handed_in


def _module_source(student: str, module: str) -> str:
    solution = (REPO_ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    text = catalog.student_source(solution)
    if student in MISTAKES:
        sample = catalog.by_name(student)
        if sample.module == module:
            text = catalog.student_source(catalog.apply(sample, solution))
    return text


def _attack(neighbours: list[Path], markers: Path) -> str:
    """Python source defining ``_mark(name)`` (writes ``markers/name``) and
    ``_vandalise(name)`` (marks, then writes into every neighbour file it can reach, by
    absolute path and relative to its working directory)."""
    folders = [str(n) for n in neighbours]
    return f'''
import os as _os
from pathlib import Path as _Path


def _mark(name):
    try:
        _Path({str(markers)!r}, name).write_text("ran outside the sandbox")
    except OSError:
        pass


def _vandalise(name):
    _mark(name)
    relative = [str(_Path.cwd().parent.parent / s / {neighbours[0].name!r})
                for s in {list(STUDENTS)!r}]
    for folder in {folders!r} + relative:
        for file in ("losses.py", "dropout.py", "00_recap.ipynb", "pwned.py"):
            try:
                _Path(folder, file).write_text("pwned")
            except OSError:
                pass
'''


def _make_hostile(folder: Path, neighbours: list[Path], markers: Path) -> None:
    attack = _attack(neighbours, markers)
    module = folder / "dropout.py"
    module.write_text(module.read_text(encoding="utf-8") + attack
                      + "\n\n_mark('module_imported')  # harmless in the sandbox\n\n\n"
                      "def dropout_forward(*args, **kwargs):\n"
                      "    _vandalise('module_ran')\n    _os._exit(3)\n", encoding="utf-8")
    cell = attack + "\n_vandalise('added_cell')\n_os._exit(1)\n"
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(len(nb.cells) // 2, new_code_cell(cell))
        nbformat.write(nb, path)
    (folder / "numpy.py").write_text(attack + "\n_vandalise('numpy_shadow')\n_os._exit(1)\n",
                                     encoding="utf-8")
