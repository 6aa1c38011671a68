"""The data-only wire format between the trusted grader and the student-code worker.

Both sides use this file: the trusted side imports it as ``autograder.sandbox.worker.protocol`` and
the worker's ``server.py`` loads it from its own directory (under bubblewrap the
``autograder`` package is not visible), so it may import only the standard library and numpy.

A frame is ``MAGIC | u32 json length | u64 blob length | JSON envelope | blobs``. The
envelope is a JSON object; values inside it (arguments, results) are encoded as a tagged
JSON tree in which numpy arrays are references into the blob section. Nothing is ever
pickled: arrays come back through ``np.frombuffer`` into fresh base-class ``np.ndarray``s,
and every other allowed type is rebuilt from JSON. The decoder refuses anything it does not
know, so a hostile worker can send wrong numbers but never an object with behaviour.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

MAGIC = b"DLTW"
HEADER = struct.Struct("<4sIQ")
# What one frame may make the receiving side allocate is bounded, not only its size: JSON
# holds numbers, strings and containers (arrays travel as blobs), and a decoded Python
# container costs up to ~50 times its JSON text ("[]," is 3 bytes, a list 56 plus a
# pointer), so the JSON part is small and its containers are counted before parsing; each
# blob may back one array only, so decoded arrays never exceed the blob bytes received.
MAX_JSON_BYTES = 4 * 2**20
MAX_CONTAINERS = 100_000
MAX_BLOB_BYTES = 256 * 2**20
MAX_DEPTH = 64
MAX_NDIM = 64
MAX_DIM = 2**31 - 1
PLAIN_DATA = "numpy arrays, numbers, strings, None, lists/tuples/dicts"

# Exact numpy scalar types that are plain numbers; subclasses (which can carry their own
# __eq__) are refused because membership is tested on the exact type.
_NUMPY_BOOL = {np.bool_}
_NUMPY_INT = {t for t in set(np.sctypeDict.values()) if issubclass(t, np.integer)}
_NUMPY_FLOAT = {t for t in set(np.sctypeDict.values()) if issubclass(t, np.floating)}
_NUMPY_COMPLEX = {t for t in set(np.sctypeDict.values()) if issubclass(t, np.complexfloating)}
_ARRAY_KINDS = "biufc"
# The exact little-endian dtypes an array may cross as (no long double: its size and
# meaning depend on the platform; no 3-byte floats or other strings numpy cannot build).
ARRAY_DTYPES = frozenset({"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8",
                          "<f2", "<f4", "<f8", "<c8", "<c16"})
_MAX_INT = 10**4000
# The seed a ``--bridge keras`` worker sets (``keras.utils.set_random_seed``) before every
# call, before it rebuilds the models sent with the call: the same files graded twice train
# the same way, and the grader can train the models it sends itself and expect the same.
KERAS_CALL_SEED = 2024


@dataclass(frozen=True)
class RandomSeed:
    """An argument the worker turns into ``np.random.default_rng(seed)``.

    Generators cannot cross the boundary as data, so the grader sends the seed instead.
    """

    seed: int


@dataclass(frozen=True)
class ModelData:
    """A Keras model as data, sent as an argument: its ``to_json()`` config and weights.

    Only the grader sends these (like RandomSeed); a worker started with ``--bridge keras``
    rebuilds the model before the call (``keras_bridge.py``). This file never imports Keras.
    """

    config: str
    weights: tuple[np.ndarray, ...]


class NotPlainData(TypeError):
    """A value that may not cross the boundary; ``where`` locates it inside the value."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{what} at {where}")
        self.where = where
        self.what = what


class ProtocolError(ValueError):
    """A frame or envelope that does not follow the protocol (a broken or hostile worker)."""


def describe_type(value: object) -> str:
    """A short, readable description of why ``value`` is not plain data."""
    cls = type(value)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
    name = str(name)[:80]
    if isinstance(value, np.ndarray) and cls is not np.ndarray:
        return f"an object of type {name} (a subclass of numpy.ndarray)"
    if isinstance(value, np.ndarray):
        return f"a numpy array of dtype {value.dtype}, which is not a numeric/bool array"
    return f"an object of type {name}"


class Encoder:
    """Turns plain data into a JSON-able tree plus a list of array blobs."""

    def __init__(self, *, allow_rng: bool = False, exact: bool = True) -> None:
        self.blobs: list[memoryview] = []
        self.allow_rng = allow_rng
        # The trusted side encodes its own arguments and may pass ndarray subclasses it
        # trusts (exact=False); the worker must send exact types only.
        self.exact = exact

    def encode(self, value: Any, where: str = "value", depth: int = 0) -> Any:
        """Encode one value; raises NotPlainData for anything that is not plain data."""
        if depth > MAX_DEPTH:
            raise NotPlainData(where, f"nesting deeper than {MAX_DEPTH} levels")
        cls = type(value)
        if value is None or cls is bool or cls is str:
            return value
        if cls is int:
            return _encode_int(value, where)
        if cls is float:
            return value
        if cls is complex:
            return {"$": "c", "v": [value.real, value.imag]}
        if cls in (list, tuple):
            items = [self.encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
            return items if cls is list else {"$": "t", "v": items}
        if cls is dict:
            return {"$": "d", "v": self._encode_items(value, where, depth)}
        if cls is np.ndarray or (not self.exact and isinstance(value, np.ndarray)):
            return self._encode_array(value, where)
        if cls is RandomSeed and self.allow_rng:
            return {"$": "rng", "seed": _encode_int(value.seed, where)}
        if cls is ModelData and self.allow_rng and type(value.config) is str:
            weights = [self._encode_array(np.asarray(w), f"{where}.weights[{i}]")
                       for i, w in enumerate(value.weights)]
            return {"$": "model", "config": value.config, "weights": weights}
        return self._encode_numpy_scalar(value, where)

    def _encode_items(self, value: dict, where: str, depth: int) -> list[list[Any]]:
        items = []
        for key, item in value.items():
            if type(key) not in (str, int):
                raise NotPlainData(f"{where} (a key)", describe_type(key) + " used as a key")
            items.append([key, self.encode(item, f"{where}[{key!r:.40}]", depth + 1)])
        return items

    def _encode_array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        dtype = value.dtype
        if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype:
            raise NotPlainData(where, describe_type(value))
        little = dtype.newbyteorder("<")
        if little.str not in ARRAY_DTYPES:
            raise NotPlainData(where, f"a numpy array of dtype {dtype}, which cannot be sent "
                               "(use float64)")
        data = np.ascontiguousarray(value, dtype=little).tobytes()
        self.blobs.append(memoryview(data))
        return {"$": "a", "i": len(self.blobs) - 1, "dtype": little.str,
                "shape": [int(n) for n in value.shape]}

    def _encode_numpy_scalar(self, value: Any, where: str) -> Any:
        cls = type(value)
        if cls in _NUMPY_BOOL:
            return bool(value)
        if cls in _NUMPY_INT:
            return int(value)
        if cls in _NUMPY_FLOAT:
            return float(value)
        if cls in _NUMPY_COMPLEX:
            return {"$": "c", "v": [float(value.real), float(value.imag)]}
        if cls is np.str_:
            return str(value)
        raise NotPlainData(where, describe_type(value))


def _encode_int(value: int, where: str) -> int:
    # JSON integers beyond this are refused by Python's str<->int conversion limit anyway.
    if abs(value) >= _MAX_INT:
        raise NotPlainData(where, "an integer with more than 4000 digits")
    return value


class Decoder:
    """Rebuilds plain data from a JSON tree and blobs, refusing anything unexpected."""

    def __init__(self, blobs: list[memoryview], *, allow_rng: bool = False) -> None:
        self.blobs = blobs
        self.allow_rng = allow_rng
        self.used: set[int] = set()  # a blob backs one array: no 64 copies of one blob

    def decode(self, node: Any, depth: int = 0) -> Any:
        """Decode one node (raises ProtocolError on anything malformed)."""
        if depth > MAX_DEPTH + 2:
            raise ProtocolError("value nested too deeply")
        cls = type(node)
        if node is None or cls in (bool, int, float, str):
            return node
        if cls is list:
            return [self.decode(v, depth + 1) for v in node]
        if cls is not dict:
            raise ProtocolError(f"unexpected JSON node of type {cls.__name__}")
        tag = node.get("$")
        if tag == "t":
            return tuple(self.decode(v, depth + 1) for v in _list(node, "v"))
        if tag == "d":
            return self._decode_dict(node, depth)
        if tag == "a":
            return self._decode_array(node)
        if tag == "c":
            re_im = _list(node, "v")
            if len(re_im) != 2 or any(type(x) not in (int, float) for x in re_im):
                raise ProtocolError("bad complex number")
            try:
                return complex(re_im[0], re_im[1])
            except OverflowError:
                raise ProtocolError("complex number out of range") from None
        if tag == "rng" and self.allow_rng and type(node.get("seed")) is int:
            return np.random.default_rng(node["seed"])
        if tag == "model" and self.allow_rng and type(node.get("config")) is str:
            raw = _list(node, "weights")
            if any(type(w) is not dict for w in raw):
                raise ProtocolError("bad model weights")
            return ModelData(node["config"], tuple(self._decode_array(w) for w in raw))
        raise ProtocolError(f"unknown value tag {str(tag)[:20]!r}")

    def _decode_dict(self, node: dict, depth: int) -> dict:
        out: dict[Any, Any] = {}
        for pair in _list(node, "v"):
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise ProtocolError("bad dict item")
            out[pair[0]] = self.decode(pair[1], depth + 1)
        return out

    def _decode_array(self, node: dict) -> np.ndarray:
        index, dtype_str, shape = node.get("i"), node.get("dtype"), node.get("shape")
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            raise ProtocolError("bad array reference")
        self.used.add(index)
        if type(dtype_str) is not str or dtype_str not in ARRAY_DTYPES:
            raise ProtocolError(f"bad array dtype {str(dtype_str)[:20]!r}")
        if (type(shape) is not list or len(shape) > MAX_NDIM
                or any(type(n) is not int or not 0 <= n <= MAX_DIM for n in shape)):
            raise ProtocolError("bad array shape")
        dtype = np.dtype(dtype_str)
        blob = self.blobs[index]
        if math.prod(shape) * dtype.itemsize != len(blob):
            raise ProtocolError("array size does not match its data")
        try:
            flat = np.frombuffer(blob, dtype=dtype)
            # copy(): a fresh, writable, aligned base-class array that owns its memory.
            return flat.reshape(shape).astype(dtype.newbyteorder("="), copy=True)
        except ValueError as error:  # e.g. a shape numpy cannot represent
            raise ProtocolError(f"bad array shape ({str(error)[:80]})") from None


def _list(node: dict, key: str) -> list:
    value = node.get(key)
    if type(value) is not list:
        raise ProtocolError(f"expected a list under {key!r}")
    return value


def pack(envelope: dict[str, Any],
         blobs: list[memoryview] | None = None) -> list[bytes | memoryview]:
    """The pieces of one frame (write them in order); the envelope must be JSON-able."""
    blobs = blobs or []
    envelope = dict(envelope, blobs=[len(b) for b in blobs])
    text = json.dumps(envelope, allow_nan=True, separators=(",", ":")).encode()
    blob_len = sum(len(b) for b in blobs)
    if len(text) > MAX_JSON_BYTES or blob_len > MAX_BLOB_BYTES:
        raise NotPlainData("value", "data larger than the protocol allows")
    return [HEADER.pack(MAGIC, len(text), blob_len), text, *blobs]


def parse_header(header: bytes, max_blob: int = MAX_BLOB_BYTES) -> tuple[int, int]:
    """(json length, blob length) of a frame header, validated against the limits."""
    magic, json_len, blob_len = HEADER.unpack(header)
    if magic != MAGIC:
        raise ProtocolError("bad frame magic")
    if json_len > MAX_JSON_BYTES or blob_len > max_blob:
        raise ProtocolError(f"frame too large ({json_len + blob_len} bytes)")
    return json_len, blob_len


def unpack(body: bytes | bytearray | memoryview, json_len: int) -> tuple[dict, list[memoryview]]:
    """Split a frame body into its envelope and blobs."""
    view = memoryview(body)
    text = bytes(view[:json_len])
    if text.count(b"[") + text.count(b"{") > MAX_CONTAINERS:
        raise ProtocolError(f"more than {MAX_CONTAINERS} containers in one frame")
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"bad JSON envelope: {str(exc)[:100]}") from None
    if type(envelope) is not dict:
        raise ProtocolError("the envelope is not a JSON object")
    sizes = envelope.pop("blobs", [])
    if type(sizes) is not list or any(type(n) is not int or n < 0 for n in sizes):
        raise ProtocolError("bad blob table")
    if sum(sizes) != len(view) - json_len:
        raise ProtocolError("blob table does not match the frame")
    blobs, offset = [], json_len
    for size in sizes:
        blobs.append(view[offset:offset + size])
        offset += size
    return envelope, blobs


def encode_values(values: Iterable[tuple[str, Any]], *, allow_rng: bool = False,
                  exact: bool = True) -> tuple[dict[str, Any], list[memoryview]]:
    """Encode named values into envelope fields plus the shared blob list."""
    encoder = Encoder(allow_rng=allow_rng, exact=exact)
    fields = {name: encoder.encode(value, name) for name, value in values}
    return fields, encoder.blobs


def decode_value(node: Any, blobs: list[memoryview], *, allow_rng: bool = False) -> Any:
    """Decode one encoded value (a result, or the args on the worker side)."""
    try:
        return Decoder(blobs, allow_rng=allow_rng).decode(node)
    except RecursionError:
        raise ProtocolError("value nested too deeply") from None
