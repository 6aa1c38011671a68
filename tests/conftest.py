"""Shared pytest setup: quiet Keras on the TensorFlow backend, Agg plots, repo on sys.path."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

# Must happen before anything imports TensorFlow or matplotlib.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

# Grading runs that notebooks share under autograde (autograder/delivery/shared_runs.py):
# a fresh private store per test session, so no test reuses a run from an earlier session.
if "DLTIPS_SHARED_RUNS" not in os.environ:
    os.environ["DLTIPS_SHARED_RUNS"] = tempfile.mkdtemp(prefix="dltips-test-shared-runs-")
    atexit.register(shutil.rmtree, os.environ["DLTIPS_SHARED_RUNS"], ignore_errors=True)

# `pytest` (unlike `python -m pytest`) does not put the repo root on sys.path.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    """Keras 3 on TensorFlow, imported once per session (the import costs ~10 s)."""
    from helpers_keras import import_keras

    return import_keras()


@pytest.fixture(autouse=True)
def _private_shared_runs(tmp_path_factory, monkeypatch) -> None:
    """Each test its own store of shared notebook grading runs (see
    autograder/delivery/shared_runs.py), so no test reuses another's results."""
    store = tmp_path_factory.mktemp("shared-runs")
    store.chmod(0o700)
    monkeypatch.setenv("DLTIPS_SHARED_RUNS", str(store))
