"""The store that lets the notebooks of one submission share a grading run under autograde."""

from __future__ import annotations

import os
import time

import pytest

from autograder.delivery import shared_runs


@pytest.fixture
def store(tmp_path, monkeypatch):
    folder = tmp_path / "store"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(shared_runs.STORE_VARIABLE, str(folder))
    return folder


@pytest.fixture
def staged(tmp_path):
    folder = tmp_path / "staged"
    folder.mkdir()
    (folder / "losses.py").write_text("def sigmoid(z):\n    return z\n")
    return folder


def counting_run(results: dict):
    calls = []

    def run() -> dict:
        calls.append(1)
        return results

    return run, calls


def test_same_content_runs_once_and_an_edit_runs_again(store, staged):
    run, calls = counting_run({"score": 3.0, "tests": [], "extra_data": {}})
    assert shared_runs.shared_run("hidden", staged, run)["score"] == 3.0
    assert shared_runs.shared_run("hidden", staged, run)["score"] == 3.0
    assert len(calls) == 1
    shared_runs.shared_run("public", staged, run)  # another suite: its own run
    assert len(calls) == 2
    (staged / "losses.py").write_text("def sigmoid(z):\n    return -z\n")
    shared_runs.shared_run("hidden", staged, run)
    assert len(calls) == 3


def test_a_grader_error_is_never_stored(store, staged):
    run, calls = counting_run({"tests": [], "extra_data": {"grader_error": "boom"}})
    shared_runs.shared_run("hidden", staged, run)
    shared_runs.shared_run("hidden", staged, run)
    assert len(calls) == 2 and list(store.iterdir()) == []


def test_expired_entries_are_not_reused(store, staged):
    run, calls = counting_run({"score": 1.0, "tests": [], "extra_data": {}})
    shared_runs.shared_run("hidden", staged, run)
    old = time.time() - shared_runs.MAX_AGE - 10
    for entry in store.iterdir():
        os.utime(entry, (old, old))
    shared_runs.shared_run("hidden", staged, run)
    assert len(calls) == 2


def test_a_store_others_can_write_is_not_used(store, staged):
    store.chmod(0o777)  # anyone could plant results here
    run, calls = counting_run({"score": 1.0, "tests": [], "extra_data": {}})
    shared_runs.shared_run("hidden", staged, run)
    shared_runs.shared_run("hidden", staged, run)
    assert len(calls) == 2 and list(store.iterdir()) == []


def test_a_corrupt_entry_means_a_fresh_run(store, staged):
    run, calls = counting_run({"score": 1.0, "tests": [], "extra_data": {}})
    shared_runs.shared_run("hidden", staged, run)
    for entry in store.iterdir():
        entry.write_text("{not json")
    assert shared_runs.shared_run("hidden", staged, run)["score"] == 1.0
    assert len(calls) == 2


def test_the_fingerprint_follows_the_grader_files(monkeypatch, tmp_path):
    (tmp_path / "suite.py").write_text("a")
    monkeypatch.setattr(shared_runs, "_GRADER", tmp_path)
    before = shared_runs.grader_fingerprint()
    (tmp_path / "suite.py").write_text("ab")
    assert shared_runs.grader_fingerprint() != before
