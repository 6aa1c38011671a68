"""What is taught and graded: the course material, as data and tests.

Owns: the contract (modules and functions, ``contract``), the single-source rules for
stubs and hints (``solution_source``), the grading suites (``suites/hidden`` private,
``suites/public`` shipped), the cached Keras references (``references/``), the mistake
catalogue behind feedback hints (``mistakes/``: the models, their ids per function, and the
hint of each id in ``en.toml``/``ko.toml``) and the sample submissions (``samples/``).

May import: numpy (scikit-learn and Keras only in the reference generators), and the
grading checks (``autograder.grading.testing``) from inside the suites.
Must never import: ``autograder.sandbox``. The course knows what a right answer is, not
how student code is run.
"""
