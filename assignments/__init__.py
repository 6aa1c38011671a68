"""Your exercise modules: fill in each function, then run `dltips check`.

One module may reuse another's functions. Import them by the bare module name, e.g. at
the top of regularization.py::

    from gradient_descent import mse_loss_and_grads

That one form works everywhere your code runs: `dltips check`, the grader (`dltips
grade`, Gradescope), the course notebooks (which run next to these files) and plain
Python, where importing this package (``from assignments import regularization``) runs
the lines below. ``from assignments.gradient_descent import ...`` and relative imports
(``from .gradient_descent import ...``) do NOT work in the grader or the notebooks, which
load each file on its own. Submit every module you import from.
"""

import sys
from pathlib import Path

# Appended, never prepended: a file here can never hide an installed package.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
