"""dltips: auto-graded exercises for "Keras Application & Tips (1)".

Five rooms, and the front door (``cli.py``, the ``dltips`` command):

``sandbox/``   the student-code boundary: isolation levels, the worker that runs student
               code, the session that talks to it. The one place to read with care.
``grading/``   the pipeline: stage -> run suite -> score -> report, chained by ``engine``.
``course/``    what is taught and graded: the contract, the suites, the Keras references,
               the mistake models and the sample submissions.
``delivery/``  how it reaches people: the student release, the teaching notebooks, the
               nbgrader course and the Gradescope zip.
``examples/``  lecture section 6 in Keras 3: the example figures and ``dltips predict``.

Data flows one way: submission -> worker -> results -> report. ``tests/test_layout.py``
enforces who may import whom.
"""
