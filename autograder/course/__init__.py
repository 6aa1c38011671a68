"""What is taught and graded: the course material, as data and tests.

Owns: the contract (modules and functions, ``contract``), the single-source rules for
stubs and hints (``solution_source``), the grading suites (``suites/hidden`` private,
``suites/public`` shipped), the cached Keras references (``references/``), the mistake
models behind feedback hints (``mistakes``) and the sample submissions (``samples/``).

May import: numpy (scikit-learn and Keras only in the reference generators), and the
grading checks (``autograder.grading.testing``) from inside the suites.
Must never import: ``autograder.sandbox``. The course knows what a right answer is, not
how student code is run.
"""
