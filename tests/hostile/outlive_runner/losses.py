"""Round 2, item 7: once the runner was killed at its time limit, this left its scratch
folder, its uid claim and (at the 'user' level) its detached processes behind, and a
1500-deep chain of folders in its copy made shutil.rmtree raise RecursionError.

At import it starts detached sleepers (setsid, double fork) tagged with MARKER, and builds
the folder chain in its own copy; every call then sleeps just under the call timeout, so
the grading run is still busy when the engine stops it. The test replaces MARKER."""

import os
import time

MARKER = "9000.000001"  # a number: sleep adds up its arguments


def _detach():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "300", MARKER])
        os._exit(0)
    os.wait()


for _ in range(2):
    _detach()

fd = os.open(".", os.O_RDONLY)
for _ in range(1500):
    try:
        os.mkdir("d", dir_fd=fd)
    except FileExistsError:  # a restarted worker imports this again
        pass
    inner = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = inner
os.close(fd)


def sigmoid(z):
    time.sleep(9.5)
    return z


softmax = mean_squared_error = binary_crossentropy = categorical_crossentropy = sigmoid
r2_score = accuracy = sigmoid
