"""Reference solutions of the dltips exercises: the single source of the student stubs.

Each graded function's body sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION``;
``dltips release`` turns those regions into ``raise NotImplementedError(...)`` stubs in
``assignments/``. Never ship this package to students.
"""
