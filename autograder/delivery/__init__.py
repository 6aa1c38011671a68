"""How the course reaches people: the student release (stubs, visible suites, no secrets)
and the Gradescope autograder zip.

May import: ``autograder.course`` and ``autograder.grading``. Must never be imported by
``autograder.sandbox``, ``autograder.grading`` or ``autograder.course``.
"""
