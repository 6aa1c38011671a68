"""What the worker observes around a call, and how the trusted side judges it.

The worker runs student code on its own decoded copies of the arguments, so a function
that writes into its input (``X -= mean``) can still return the right value; and a
function whose values are right may still overflow on the way. The worker reports both
facts (arguments changed in place, warnings raised); the trusted proxy fails the call where
the contract forbids them. Both sides of each claim are tested.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.course.contract import CONTRACT, MAY_MODIFY, REPO_ROOT
from autograder.grading.testing import ModuleProxy, StudentCallFailed, forbid_warnings
from autograder.sandbox.session import ModifiedInput, StudentSession
from autograder.sandbox.worker.protocol import RandomSeed

FACTS_MODULE = '''
import warnings

import numpy as np

np.seterr(all="ignore")           # module-level silencing must not carry into calls
warnings.simplefilter("ignore")


def standardize(X, mean, std):
    X = np.asarray(X, dtype=np.float64)   # no copy for a float64 array
    X -= mean
    X /= std
    return X


def standardize_copy(X, mean, std):
    return (np.asarray(X, dtype=np.float64) - mean) / std


def scale_second(grads, c):
    grads[1] = grads[1] * c               # replaces an item of the caller's list
    return grads


def bump_slot(w, g, state, *, table):
    table["m"][0] = 99.0                  # writes into an array inside a dict
    return w, state


def sgd_update(w, g, state, learning_rate=0.01):
    state["steps"] = state.get("steps", 0) + 1   # the state may change: it is the slot
    return w - learning_rate * g, state


def batchnorm_backward(dout, cache):
    cache.pop("x_hat")                    # the cache is the student's own object
    return dout


def draw(x, rng):
    return x + rng.random(np.shape(x))    # using the generator up is what it is for


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def sigmoid_silenced(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def deprecated(x):
    warnings.warn("old API", DeprecationWarning)   # hidden by Python's defaults
    return x


def loud(x):
    warnings.warn("look at me", UserWarning)
    return x
'''


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> StudentSession:
    root = tmp_path_factory.mktemp("facts")
    (root / "facts.py").write_text(textwrap.dedent(FACTS_MODULE))
    with StudentSession(root) as started:
        yield started


# ---------------------------------------------------------------------------------------
# Facts reported by the worker
# ---------------------------------------------------------------------------------------


def test_an_in_place_update_is_reported_with_its_parameter_name(session):
    X = np.array([[1.0, 2.0], [3.0, 5.0]])
    outcome = session.call_outcome("facts", "standardize", X, np.array([2.0, 3.0]), 2.0)
    np.testing.assert_allclose(outcome.value, [[-0.5, -0.5], [0.5, 1.0]])  # value is right
    assert outcome.modified == (ModifiedInput(argument=0, name="X", path=""),)
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 5.0]])  # the grader's copy is intact


def test_a_function_that_copies_reports_nothing(session):
    outcome = session.call_outcome("facts", "standardize_copy", np.ones((2, 2)), 1.0, 2.0)
    assert outcome.modified == ()
    # A list argument is converted, not changed, even by the in-place version.
    assert session.call_outcome("facts", "standardize", [[1.0, 2.0]], 1.0, 1.0).modified == ()


def test_changes_inside_lists_and_dicts_are_located(session):
    outcome = session.call_outcome("facts", "scale_second", [np.ones(2), np.ones(3)], 2.0)
    assert outcome.modified == (ModifiedInput(0, "grads", "[1]"),)
    outcome = session.call_outcome("facts", "bump_slot", np.ones(2), np.ones(2), {},
                                   table={"m": np.zeros(3)})
    assert outcome.modified == (ModifiedInput("table", "table", "['m']"),)


def test_a_random_generator_may_be_used_up(session):
    outcome = session.call_outcome("facts", "draw", np.zeros(3), RandomSeed(4))
    assert outcome.modified == ()


def test_warnings_are_recorded_under_numpys_defaults(session):
    outcome = session.call_outcome("facts", "sigmoid", np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_array_equal(outcome.value, [0.0, 0.5, 1.0])  # right values anyway
    assert len(outcome.warnings) == 1
    warned = outcome.warnings[0]
    assert (warned.category, warned.message) == ("RuntimeWarning", "overflow encountered in exp")
    assert warned.where.startswith("facts.py line ")
    assert "overflow" not in session.output_tail()  # recorded, not printed


def test_warnings_silenced_inside_the_function_or_hidden_by_default_are_not_reported(session):
    assert session.call_outcome("facts", "sigmoid_silenced", np.array([-1e4])).warnings == ()
    assert session.call_outcome("facts", "deprecated", 1.0).warnings == ()
    loud = session.call_outcome("facts", "loud", 1.0).warnings
    assert [(w.category, w.message) for w in loud] == [("UserWarning", "look at me")]


# ---------------------------------------------------------------------------------------
# The trusted side's judgement
# ---------------------------------------------------------------------------------------


def _fails(function, *args, **kwargs) -> StudentCallFailed:
    with pytest.raises(StudentCallFailed) as info:
        function(*args, **kwargs)
    return info.value


def test_the_proxy_fails_an_in_place_update_naming_the_argument(session):
    student = ModuleProxy(session, "facts")
    failed = _fails(student.standardize, np.ones((2, 2)), 1.0, 2.0)
    assert failed.kind == "modified_input"
    assert "`standardize` modified its argument `X` in place" in str(failed.msg)
    failed = _fails(student.scale_second, [np.ones(2), np.ones(3)], 2.0)
    assert "`grads[1]` changed" in str(failed.msg)
    np.testing.assert_allclose(student.standardize_copy(np.ones((2, 2)), 1.0, 2.0), 0.0)


def test_the_optimizer_state_and_the_batchnorm_cache_may_change(session):
    student = ModuleProxy(session, "facts")
    new_w, state = student.sgd_update(np.ones(2), np.ones(2), {}, learning_rate=0.5)
    assert state == {"steps": 1}
    np.testing.assert_allclose(new_w, 0.5)
    dx = student.batchnorm_backward(np.ones(2), {"x_hat": np.ones(2)})
    np.testing.assert_allclose(dx, 1.0)


def test_warnings_fail_only_where_the_contract_forbids_them(session):
    student = ModuleProxy(session, "facts")
    np.testing.assert_array_equal(student.sigmoid(np.array([-1e4])), [0.0])  # no promise
    with forbid_warnings("sigmoid of -1e4"):
        failed = _fails(student.sigmoid, np.array([-1e4]))
        assert student.sigmoid_silenced(np.array([-1e4])) == pytest.approx([0.0])
    assert failed.kind == "warning"
    assert str(failed.msg).startswith("`sigmoid` raised RuntimeWarning: overflow encountered "
                                      "in exp (at facts.py line ")
    assert "for sigmoid of -1e4" in str(failed.msg)


# ---------------------------------------------------------------------------------------
# The contract says so (the checks above are only applied where it does)
# ---------------------------------------------------------------------------------------


def _docstring(module: str) -> str:
    tree = ast.parse((REPO_ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8"))
    return " ".join((ast.get_docstring(tree) or "").split())


@pytest.mark.parametrize("module", list(CONTRACT))
def test_every_module_promises_to_leave_its_inputs_unchanged(module):
    text = _docstring(module)
    assert "never modif" in text.lower(), module
    for function, (_, name) in MAY_MODIFY.items():
        if function in CONTRACT[module]:
            assert f"``{name}``" in text, (module, name)


def test_the_exemptions_name_real_parameters():
    import inspect

    from autograder.course.contract import MODULES

    for function, (position, name) in MAY_MODIFY.items():
        module = next(m for m in MODULES if function in CONTRACT[m])
        solution = __import__(f"solutions.{module}", fromlist=[function])
        assert list(inspect.signature(getattr(solution, function)).parameters)[position] == name


SUITES = REPO_ROOT / "autograder" / "course" / "suites"
CLAIMS = ("warning", "overflow")


@pytest.mark.parametrize("path", sorted(SUITES.glob("*/test_*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_titles_that_promise_no_warnings_check_for_them(path: Path):
    """A test whose title says "no warning" or "without overflow" runs its calls inside
    forbid_warnings, and a test that forbids warnings says so in its title."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and not node.name.startswith("test_") and "forbid_warnings" in ast.unparse(node)}
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        title = (ast.get_docstring(node) or "").lower()
        body = ast.unparse(node)
        checks = "forbid_warnings" in body or (
            "quiet=True" in body and any(h in body for h in helpers))
        assert any(claim in title for claim in CLAIMS) == checks, node.name
