"""How the course reaches people: the student release (stubs, teaching notebooks, visible
suites, no secrets), the notebooks' runtime, the Gradescope autograder zip and the
nbgrader course.

May import: ``autograder.course``, ``autograder.grading`` and ``autograder.sandbox`` (the
notebooks' sandboxed proxies). Must never be imported by ``autograder.sandbox``,
``autograder.grading`` or ``autograder.course``.
"""
