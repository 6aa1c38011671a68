"""Disguised copies of a submission, as a student hiding a copy would make them: every local
variable renamed, the functions of each module in another order, comments and docstrings
rewritten. Used by the similarity tests and benchmarks/bench_report.py."""

from __future__ import annotations

import ast
import random
from pathlib import Path

from autograder.course.contract import MODULES


class _RenameLocals(ast.NodeTransformer):
    """Rename the names a function assigns (never its parameters: they are the contract)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        mapping = {name: f"{name}_{self.rng.choice('xyzuvw')}{self.rng.randrange(100)}"
                   for name in stored}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in mapping:
                sub.id = mapping[sub.id]
        return node


def disguise(text: str, seed: int) -> str:
    """``text`` with locals renamed, top-level functions shuffled, docstrings reworded."""
    rng = random.Random(seed)
    tree = _RenameLocals(rng).visit(ast.parse(text))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    rest = [n for n in tree.body if not isinstance(n, ast.FunctionDef)]
    rng.shuffle(functions)
    for function in functions:
        first = function.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            first.value.value = f"My own implementation of {function.name}."
    tree.body = rest + functions
    return "# written by me\n" + ast.unparse(tree) + "\n"


def write_disguised(source_dir: Path, dest: Path, seed: int,
                    modules: tuple[str, ...] = MODULES) -> Path:
    """A submission folder of disguised copies of ``source_dir``'s modules."""
    dest.mkdir(parents=True, exist_ok=True)
    for module in modules:
        path = source_dir / f"{module}.py"
        if path.exists():
            (dest / path.name).write_text(disguise(path.read_text(), seed), encoding="utf-8")
    return dest


class _Padding(ast.NodeTransformer):
    """A short statement of its own after every statement, nested blocks included: a
    stand-in for a student who wrote the code independently (no shared stretch longer
    than one statement)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and \
                    isinstance(statements[0], ast.stmt) and not isinstance(node, ast.Module):
                setattr(node, field, [s for statement in statements
                                      for s in (statement, self._own())
                                      if not (s is not statement
                                              and isinstance(statement, ast.Return))])
        return node

    def _own(self) -> ast.stmt:
        # It starts with a number of its own: no fingerprint spans into it from the
        # statement before and matches another variant's.
        return ast.parse(f"{self.rng.randrange(10**6)} * {self.rng.randrange(10**6)}").body[0]


def independent_variant(seed: int, dest: Path, modules: tuple[str, ...] = MODULES,
                        bases: tuple[str, ...] = ("solutions", "tests/independent")) -> Path:
    """A synthetic submission of its own: per module one of ``bases`` (the reference or
    the independent implementation), with statements of its own woven in and locals
    renamed. Two variants of tests/independent still share its longer statements (it is
    one source), so a class meant to hold no copy at all uses only the reference, which
    is boilerplate."""
    rng = random.Random(seed)
    root = Path(__file__).resolve().parents[1]
    dest.mkdir(parents=True, exist_ok=True)
    for module in modules:
        base = root / rng.choice(bases) / f"{module}.py"
        tree = _Padding(rng).visit(_RenameLocals(rng).visit(ast.parse(base.read_text())))
        (dest / base.name).write_text(ast.unparse(tree) + "\n", encoding="utf-8")
    return dest
