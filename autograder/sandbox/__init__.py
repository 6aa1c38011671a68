"""The student-code boundary: everything between the grader and code it must not trust.

Owns: choosing and probing an isolation level (``levels``), where the Python installation
and the grader's private paths lie and which bwrap to run (``paths``), the private scratch
copy and the dedicated uid (``scratch``), the directory, marker and uid that a longer-lived
process owns and sweeps after a grading process however it ends (``lease``), the worker's
command line and bubblewrap view (``launch``), ending a worker and all it started
(``reaping``), one worker process seen from the trusted side: its spawning, pipes, frames
and output (``worker_process``), a returned call's value and observed facts, validated as
data (``outcome``), the trusted side's conversation with the worker: requests, errors,
retries and budgets (``session``), and the worker itself (``worker/``).

May import: the standard library and numpy, and its own modules. Nothing else of
``autograder`` (it names the private course paths, never imports them).
Must never be imported by: ``autograder.course`` (course material does not know how it is
run). ``worker/`` imports nothing of ``autograder`` at all: it runs inside the sandbox,
where the package is not even visible.
"""
