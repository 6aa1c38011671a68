"""``python -m autograder.sandbox probe [--strict]``: print the level ``auto`` would pick
(with ``--strict``, exit 2 with the reason unless the strongest level, bwrap, works);
``python -m autograder.sandbox grant-traverse``: add the o+x bits the 'user' level needs."""

from __future__ import annotations

import argparse
import sys

from autograder.sandbox.levels import (
    IsolationUnavailable,
    enable_user_level,
    level_status,
    resolve_isolation,
)
from autograder.sandbox.scratch import LEVELS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox",
                                     description="Inspect or prepare worker isolation.")
    parser.add_argument("command", choices=("probe", "grant-traverse"))
    parser.add_argument("--strict", action="store_true",
                        help="probe: fail (exit 2) unless the bwrap level works here")
    args = parser.parse_args(argv)
    if args.command == "grant-traverse":
        changed = enable_user_level()
        print("added o+x to: " + (", ".join(map(str, changed)) or "nothing (none needed)"))
        return 0
    for level in LEVELS[:2]:
        ok, why = level_status(level)
        print(f"{level}: {'available' if ok else 'unavailable: ' + why}")
    print(resolve_isolation("auto").note)
    if args.strict:
        try:
            resolve_isolation("strict")
        except IsolationUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
