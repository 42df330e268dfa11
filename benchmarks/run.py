"""Run every benchmark (``benchmarks/bench_*.py``) and print each figure against its baseline.

    python benchmarks/run.py            # all
    python benchmarks/run.py tracing    # only bench_tracing.py
    python benchmarks/run.py suite --quick   # fewer tests, sizes and rounds (where supported)
    python benchmarks/run.py suite plugin --instructions  # also count instructions (valgrind)

Each module defines ``run() -> list[Result]``; baselines are measured in the same run, on the same
machine, so the ratios mean something even on a shared, noisy machine.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str]) -> int:
    import _harness

    if "--quick" in argv:
        _harness.QUICK = True
        argv = [a for a in argv if a != "--quick"]
    if "--instructions" in argv:
        _harness.INSTRUCTIONS = True
        argv = [a for a in argv if a != "--instructions"]
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    missed = 0
    for name in names:
        module = importlib.import_module(name)
        print(f"== {name}", flush=True)
        for result in module.run():
            print(result.line(), flush=True)
            missed += result.verdict == "MISSED"
    print(f"{missed} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
