"""How the course reaches people: the student release (stubs, teaching notebooks, visible
suites, no secrets), the notebooks' generation (``student_notebooks``) and runtime
(``notebook``, ``shared_runs``), the nbgrader course (``nbgrader_course``, its hardening in
``nbgrader_scrub``, ``nbgrader_collect``, ``nbgrader_sanitize`` and
``nbgrader_preprocessors``) and the Gradescope autograder zip.

May import: ``autograder.course``, ``autograder.grading`` and ``autograder.sandbox`` (the
notebooks' sandboxed proxies). Must never be imported by ``autograder.sandbox``,
``autograder.grading`` or ``autograder.course``.
"""
