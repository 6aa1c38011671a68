"""Worker profiles: what the sandboxed worker of a module may see, use and take.

The seven numpy modules share the default profile: a bwrap view with numpy alone and the
limits the CLI sets (``--call-timeout``, ``--wall-cap``, ``--memory-mb``). The MNIST module
imports TensorFlow, which needs more, so it gets the ``keras`` profile, declared here once:

- its view: the ``tensorflow``, ``keras`` and ``scikit-learn`` distributions and their
  dependencies (read from the installed packages' metadata) are bound back into the masked
  site-packages; everything else stays hidden, the grader's private files included;
- its limits: TensorFlow maps ~3 GiB of address space and starts a dozen threads;
  importing it takes seconds and one training run takes seconds more;
- a bridge (``autograder/sandbox/worker/keras_bridge.py``): Keras models and histories a student
  returns cross as plain data (config JSON and weights), and models the grader passes in
  are rebuilt in the worker. The trusted side judges what comes back itself
  (``autograder/course/suites/keras_models.py``).

``autograder.course.contract.MODULE_PROFILES`` says which module uses which profile, and
``autograder.grading.limits`` turns that into a module's profile and a run's time limits
(the sandbox knows profiles, not modules).
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerProfile:
    """A worker set-up. ``None`` limits mean: the grading options' value (CLI flags)."""

    name: str
    packages: tuple[str, ...] = ()        # distributions visible besides numpy (+ their deps)
    call_timeout: float | None = None     # seconds per import and per call
    wall_cap: float | None = None         # seconds of student code per submission
    memory_mb: int | None = None          # address-space cap (RLIMIT_AS)
    nproc: int = 64                       # processes + threads of the worker's dedicated uid
    env: tuple[tuple[str, str], ...] = ()  # added to the worker's scrubbed environment
    bridge: str | None = None             # server.py --bridge: "keras" or None
    # Address space the TRUSTED runner needs on top of its own cap when it judges this
    # profile's results (the keras suite rebuilds returned models with Keras itself).
    runner_extra_mb: int = 0

    def server_args(self) -> list[str]:
        """Extra command-line options for the worker's server.py."""
        return ["--bridge", self.bridge] if self.bridge else []


DEFAULT = WorkerProfile("numpy")

KERAS = WorkerProfile(
    "keras",
    packages=("tensorflow", "keras", "scikit-learn"),
    # Importing TensorFlow takes 3-10 s on a loaded 2-core machine, training the lecture
    # network on the 8x8 digits 3-10 s: a minute per call leaves room for a slow machine.
    call_timeout=60.0,
    wall_cap=300.0,
    # TensorFlow maps ~2.9 GiB of virtual memory for a small MLP (measured VmPeak); its
    # resident size is ~0.8 GiB. 6 GiB of address space leaves room, not a runaway.
    memory_mb=6144,
    # TensorFlow's thread pools: bounded below by the env, with headroom for Python threads.
    nproc=256,
    # One thread per TensorFlow pool: the networks are small, so a second thread only
    # spins (measured: 10 epochs of the lecture network take 2.2 s of CPU and of wall time
    # on one thread, 2.3 s CPU and 2.4 s wall on two), and a class graded with --jobs 2
    # already keeps both cores busy. The results do not depend on it (deterministic ops).
    env=(("KERAS_BACKEND", "tensorflow"), ("TF_CPP_MIN_LOG_LEVEL", "3"),
         ("TF_NUM_INTRAOP_THREADS", "1"), ("TF_NUM_INTEROP_THREADS", "1"),
         ("MPLBACKEND", "Agg")),
    bridge="keras",
    # The trusted side judges Keras models in numpy (course/suites/numpy_model.py): it
    # needs no TensorFlow, so no address space beyond the runner's own.
    runner_extra_mb=0,
)

PROFILES: dict[str, WorkerProfile] = {p.name: p for p in (DEFAULT, KERAS)}


# ----- which files a profile's view shows ----------------------------------------------
def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_closure(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` and everything they require (no extras).

    Requirements that are not installed (optional on this platform) are skipped.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if _normal(name) in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[_normal(name)] = dist
        for text in dist.requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


def missing_distributions(profile: WorkerProfile) -> list[str]:
    """The profile's distributions that are not installed here (a grading-environment
    problem: without them a correct submission could not even import)."""
    missing = []
    for name in profile.packages:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


@functools.cache
def package_paths(names: tuple[str, ...]) -> tuple[Path, ...]:
    """The top-level entries (package dirs, single-file modules, dist-info, *.libs) that
    the distributions ``names`` and their dependencies installed in site-packages.

    Bytecode caches and ``.pth`` start-up hooks are left out: ``__pycache__`` at the top of
    site-packages also holds other packages' bytecode (this project's editable finder).
    """
    paths: set[Path] = set()
    for dist in distribution_closure(names):
        base = Path(str(dist.locate_file(""))).resolve()
        for file in dist.files or []:
            top = file.parts[0] if file.parts else ""
            if top in ("", "..", "__pycache__") or top.endswith(".pth"):
                continue
            candidate = base / top
            if candidate.exists():
                paths.add(candidate)
    return tuple(sorted(paths))
