"""The grading pipeline, one small named step per module:

``staging`` (copy only the module files into a private folder) -> ``runner`` with
``plugin`` (a trusted child process runs a suite with pytest; tests reach student code
through ``testing``'s proxy and checks) -> ``report`` (results.json, feedback, gradebook,
figure). ``engine`` chains the steps per submission and per class; ``limits`` holds the
limits student code runs under; ``results`` is what one graded submission produces;
``messages`` (with ``catalogue/``) is every sentence a student reads, per language, and
``policy`` what they are shown (language, hidden-test disclosure).

May import: ``autograder.sandbox`` (to run student code) and ``autograder.course`` (what
to grade). Must never be imported by: ``autograder.sandbox``.
"""
