"""Golden size: a state-dominated golden next to its state's compact JSON (issue 16).

A golden test is recorded with ``--clearstone-record`` in a generated project: an agent holding a
1,000-message conversation (~300 KB of JSON) answers one more question with one LLM call (one
small recorded call), so the golden is dominated by the state (stored before and after the call,
with the result). Baseline: ``json.dumps(vars(agent), separators=(",", ":"))`` of the final
state, written by the test itself. Target: golden <= 3x.

    python benchmarks/run.py golden
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import Result

MESSAGES = 1_000

APP = f"""
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.memory = [
            {{
                "role": "user" if i % 2 == 0 else "assistant",
                "content": f"message {{i}}: " + "lorem ipsum dolor sit amet " * 6,
                "tokens": 40 + i % 17,
                "tool_calls": [] if i % 5 else [{{"name": "search", "args": {{"q": f"q{{i}}"}}}}],
            }}
            for i in range({MESSAGES})
        ]
        self.total_tokens = 0

    def handle(self, question):
        answer = complete(question)
        self.memory.append({{"role": "assistant", "content": answer, "tokens": 5,
                            "tool_calls": []}})
        self.total_tokens += 5
        return answer
"""

TEST = """
import json
from pathlib import Path

import pytest

import golden_app


@pytest.mark.replay("goldens/big.ckpt", mock={"llm": "golden_app.complete"})
def test_big_state(replay):
    agent = golden_app.Agent()
    replay.run(agent.handle, "one more question")
    compact = json.dumps(vars(replay.agent), separators=(",", ":"))
    (Path(__file__).parent / "state.json").write_text(compact)
"""


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="cs-bench-golden-") as tmp:
        root = Path(tmp)
        (root / "pytest.ini").write_text("[pytest]\n")
        (root / "golden_app.py").write_text(APP)
        (root / "test_golden_size.py").write_text(TEST)
        env = {**os.environ, "PYTHONPATH": str(root)}
        env.pop("PYTEST_ADDOPTS", None)
        for extra in (["--clearstone-record"], []):  # record, then check that it replays
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"pytest failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
        golden_kb = (root / "goldens" / "big.ckpt").stat().st_size / 1024
        state_kb = (root / "state.json").stat().st_size / 1024
    return [
        Result(
            f"golden size, {MESSAGES:,}-message state",
            golden_kb,
            "final state's compact JSON",
            state_kb,
            "KB",
            target=3.0,
        )
    ]
