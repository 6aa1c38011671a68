"""The data-only wire format: what crosses the boundary, exactly, and what is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox.session import RandomSeed, StudentError, StudentSession
from autograder.sandbox.worker import protocol
from autograder.sandbox.worker.protocol import Decoder, NotPlainData, ProtocolError


def roundtrip(value, **kwargs):
    """Encode, frame, unframe and decode ``value`` entirely on this side."""
    fields, blobs = protocol.encode_values([("v", value)], **kwargs)
    pieces = protocol.pack(fields, blobs)
    frame = b"".join(bytes(p) for p in pieces)
    json_len, blob_len = protocol.parse_header(frame[:protocol.HEADER.size])
    envelope, out_blobs = protocol.unpack(frame[protocol.HEADER.size:], json_len)
    assert len(frame) == protocol.HEADER.size + json_len + blob_len
    return protocol.decode_value(envelope["v"], out_blobs, allow_rng=kwargs.get("allow_rng", False))


def same(a, b) -> bool:
    """Equality that also checks types recursively and treats NaN as equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    return a == b and str(a) == str(b)  # str: tells -0.0 from 0.0


PLAIN_VALUES = [
    None, True, False, 0, -7, 2**80, 1.5, -0.0, float("nan"), float("inf"), float("-inf"),
    1e-310, 3 + 4j, "", "héllo \x00 ☃", [1, [2, (3, None)]], (), (1,), {"a": 1, 2: "b"},
    {"nested": {"deep": [1.0, (2.0, {})]}},
    np.arange(6, dtype=np.int64).reshape(2, 3), np.array([[1.5, np.nan], [np.inf, -np.inf]]),
    np.zeros((0, 3), dtype=np.float32), np.array(3.25), np.array([True, False]),
    np.array([1 + 2j], dtype=np.complex64), np.arange(4, dtype=np.uint8),
    np.arange(3, dtype=np.float16),
]


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda v: type(v).__name__)
def test_plain_values_roundtrip_exactly(value):
    assert same(roundtrip(value), value)


@pytest.mark.parametrize(("scalar", "expected"), [
    (np.float64(2.5), 2.5), (np.float32(0.5), 0.5), (np.int32(-3), -3), (np.uint64(7), 7),
    (np.bool_(True), True), (np.complex128(1 - 1j), 1 - 1j), (np.str_("x"), "x"),
])
def test_numpy_scalars_become_python_scalars(scalar, expected):
    out = roundtrip(scalar)
    assert type(out) is type(expected) and out == expected


def test_arrays_come_back_as_fresh_writable_base_class_arrays():
    source = np.arange(12.0).reshape(3, 4)[:, ::2]  # non-contiguous view
    big_endian = np.arange(3, dtype=">i4")
    out, out_be = roundtrip([source, big_endian])
    assert type(out) is np.ndarray and out.flags.writeable and out.flags.owndata
    assert np.array_equal(out, source)
    assert out_be.dtype == np.dtype("int32") and list(out_be) == [0, 1, 2]


class Custom:
    def __eq__(self, other):
        return True


class SubArray(np.ndarray):
    pass


@pytest.mark.parametrize(("value", "what"), [
    (Custom(), "Custom"), (np.zeros(2).view(SubArray), "subclass of numpy.ndarray"),
    (np.array([None, 1], dtype=object), "dtype object"), (np.array(["a"]), "dtype <U1"),
    (np.zeros(2, dtype="M8[s]"), "datetime64"), ((x for x in ()), "generator"),
    (len, "builtin_function_or_method"), (b"bytes", "bytes"), ({1.5: "x"}, "key"),
    ({"k": [Custom()]}, "Custom"), (RandomSeed(1), "RandomSeed"),
    (np.zeros(1, dtype=[("a", "f8")]), "dtype"),
])
def test_non_plain_data_is_refused_with_its_type_named(value, what):
    with pytest.raises(NotPlainData) as info:
        protocol.encode_values([("result", value)])
    assert what in str(info.value)


def test_refusal_locates_the_offending_element():
    with pytest.raises(NotPlainData) as info:
        protocol.encode_values([("result", (1, [2, {"k": Custom()}]))])
    assert info.value.where == "result[1][1]['k']"


def test_self_referencing_list_is_refused_not_recursed_forever():
    loop: list = []
    loop.append(loop)
    with pytest.raises(NotPlainData, match="nesting deeper"):
        protocol.encode_values([("result", loop)])


def test_random_seed_is_allowed_only_where_asked_and_becomes_a_generator():
    rng = roundtrip(RandomSeed(5), allow_rng=True)
    assert isinstance(rng, np.random.Generator)
    assert rng.random() == np.random.default_rng(5).random()


def test_model_data_crosses_only_from_the_grader_and_keeps_its_arrays():
    """A Keras model as data (config + weights) is a grader-side argument like RandomSeed:
    it roundtrips where allowed; a worker's result may not carry one."""
    data = protocol.ModelData('{"class_name": "Sequential"}',
                              (np.ones((2, 3), np.float32), np.zeros(3, np.float32)))
    back = roundtrip({"model": data}, allow_rng=True)["model"]
    assert type(back) is protocol.ModelData and back.config == data.config
    assert all(same(a, b) for a, b in zip(back.weights, data.weights, strict=True))
    with pytest.raises(NotPlainData):
        protocol.encode_values([("result", data)])
    fields, blobs = protocol.encode_values([("v", data)], allow_rng=True)
    with pytest.raises(ProtocolError):  # the grader decodes results without allow_rng
        protocol.decode_value(fields["v"], blobs)
    with pytest.raises(ProtocolError):
        Decoder([], allow_rng=True).decode({"$": "model", "config": "{}", "weights": [1]})


def frame_of(envelope: dict, blob: bytes = b"") -> tuple[bytes, int]:
    text = json.dumps(envelope).encode()
    return text + blob, len(text)


@pytest.mark.parametrize("node", [
    {"$": "pickle", "v": "gASV"}, {"$": "a", "i": 0, "dtype": "|O8", "shape": [1]},
    {"$": "a", "i": 0, "dtype": "<f8", "shape": [3]},
    {"$": "a", "i": 5, "dtype": "<f8", "shape": []},
    {"$": "a", "i": 0, "dtype": "<f8", "shape": [-1]}, {"$": "c", "v": [1]},
    {"$": "d", "v": [[1.5, 2]]}, {"$": "rng", "seed": 1}, {"no": "tag"},
])
def test_decoder_refuses_malformed_or_unknown_nodes(node):
    with pytest.raises(ProtocolError):
        Decoder([memoryview(b"\0" * 8)]).decode(node)


def test_frame_validation_rejects_bad_magic_sizes_and_tables():
    with pytest.raises(ProtocolError, match="magic"):
        protocol.parse_header(protocol.HEADER.pack(b"EVIL", 1, 0))
    with pytest.raises(ProtocolError, match="too large"):
        protocol.parse_header(protocol.HEADER.pack(protocol.MAGIC, 1, protocol.MAX_BLOB_BYTES + 1))
    body, n = frame_of({"blobs": [4]}, b"12")
    with pytest.raises(ProtocolError, match="blob table"):
        protocol.unpack(body, n)
    with pytest.raises(ProtocolError, match="JSON"):
        protocol.unpack(b"{not json", 9)
    with pytest.raises(ProtocolError, match="nested too deeply"):
        protocol.decode_value(json.loads("[" * 200 + "]" * 200), [])


# ----- through a real worker ---------------------------------------------------------------
ECHO = textwrap.dedent("""
    import numpy as np

    def echo(*args, **kwargs):
        return args, kwargs

    def mutate(a, d):
        a[...] = -1
        d["added"] = True
        d["list"].append(99)
        return float(a.sum())

    def draws(rng, n):
        return rng.random(n)

    def kinds(x):
        return type(x).__name__, x.dtype.str, bool(x.flags.writeable)

    class Evil:
        def __eq__(self, other):
            return True

    def evil():
        return [1.0, Evil()]

    def subclass():
        class Lie(np.ndarray):
            pass
        return np.zeros(3).view(Lie)

    def big(n):
        return np.ones(n)
""")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudentSession]:
    root: Path = tmp_path_factory.mktemp("echo")
    (root / "echo.py").write_text(ECHO)
    with StudentSession(root, call_timeout=5) as s:
        yield s


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda v: type(v).__name__)
def test_values_survive_a_trip_through_the_worker(session, value):
    args, kwargs = session.call("echo", "echo", value, key=value)
    assert type(args) is tuple  # *args is a tuple in the worker, and tuples stay tuples
    assert same(args[0], value) and same(kwargs["key"], value)


def test_in_place_mutation_cannot_change_the_graders_data(session):
    a, d = np.arange(4.0), {"list": [1], "x": 2}
    assert session.call("echo", "mutate", a, d) == -4.0
    assert np.array_equal(a, np.arange(4.0)) and d == {"list": [1], "x": 2}


def test_worker_receives_writable_plain_arrays_with_the_same_dtype(session):
    read_only = np.arange(3, dtype=np.float32)
    read_only.flags.writeable = False
    assert session.call("echo", "kinds", read_only) == ("ndarray", "<f4", True)


def test_random_seed_argument_matches_default_rng(session):
    draws = session.call("echo", "draws", RandomSeed(42), 5)
    assert np.array_equal(draws, np.random.default_rng(42).random(5))


def test_worker_refuses_lying_results_with_a_clear_message(session):
    with pytest.raises(StudentError) as info:
        session.call("echo", "evil")
    assert info.value.kind == "bad_return"
    assert "echo.evil returned a value containing an object of type Evil at result[1]" in (
        info.value.message)
    with pytest.raises(StudentError) as info:
        session.call("echo", "subclass")
    assert info.value.kind == "bad_return" and "subclass of numpy.ndarray" in info.value.message
    assert session.call("echo", "echo", 1) == ((1,), {})  # the same worker is still serving


def test_large_arrays_cross_both_ways(session):
    out = session.call("echo", "big", 3_000_000)
    assert out.shape == (3_000_000,) and out.sum() == 3_000_000
    (back,), _ = session.call("echo", "echo", out)
    assert np.array_equal(back, out)


def test_grader_side_encoding_errors_are_grader_bugs_not_student_errors(session):
    with pytest.raises(TypeError):
        session.call("echo", "echo", object())
    with pytest.raises(ValueError):
        session.call("Echo-Bad", "echo")


def test_server_runs_standalone_without_the_autograder_package(tmp_path):
    """Under bwrap only server.py and protocol.py are visible: they must need nothing else."""
    source = Path(protocol.__file__).parent
    for name in ("server.py", "protocol.py"):
        shutil.copy(source / name, tmp_path / name)
    done = subprocess.run([sys.executable, "-I", "-B", str(tmp_path / "server.py"), "--probe"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dltips-worker-probe-ok")
    imports = (source / "server.py").read_text() + (source / "protocol.py").read_text()
    assert "import autograder" not in imports and "from autograder" not in imports
