"""How the course reaches people: the student release (stubs, notebooks, visible suites, no
secrets), the teaching notebooks' generation (``student_notebooks``) and their runtime
(``notebook``), the nbgrader hardening (``nbgrader_sanitize``) and the Gradescope zip.

May import: ``autograder.course``, ``autograder.grading`` and ``autograder.sandbox``. Must
never be imported by ``autograder.sandbox``, ``autograder.grading`` or ``autograder.course``.
"""
