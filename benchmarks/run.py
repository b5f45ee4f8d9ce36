"""Run benchmarks: ``python benchmarks/run.py [NAME…] [--json]`` (names: the ``bench_<name>.py`` files here).

Each prints its figures beside a baseline measured in the same run, as a ratio:
absolute times on a shared machine are noise.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all): {', '.join(available())}")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"run.py: unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(available())})", file=sys.stderr)
        return 2
    sys.path.insert(0, str(HERE))
    for name in names:
        module = importlib.import_module(f"bench_{name}")
        module.main(as_json=args.json, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
