"""The pytest_clearstone_* hooks, each through a conftest."""

from __future__ import annotations

import json


def test_redact_hook_transforms_recorded_values(project, pytester):
    pytester.makeconftest(
        """
        def pytest_clearstone_redact(value, where, target, config):
            if where == "input" and target == "app.complete":
                return {**value, "prompt": value["prompt"].replace("charged", "<verb>")}
            return None
        """
    )
    project.record().assert_outcomes(passed=1)
    text = project.golden.read_text()
    spans = json.loads(text)["trace"]["spans"]
    llm = next(s for s in spans if s["span_type"] == "llm")
    assert llm["input"]["v"]["prompt"] == "User says: I was <verb> twice"
    # the same redaction applies to the replayed call's arguments before matching
    project.replay().assert_outcomes(passed=1)


def test_match_call_hook_decides_divergence(project, pytester):
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="Customer says: {message}")
    pytester.makeconftest(
        """
        def pytest_clearstone_match_call(target, call_number, recorded, actual, config):
            if target == "app.complete":
                return recorded["prompt"].split(":")[1] == actual["prompt"].split(":")[1]
            return None
        """
    )
    project.replay().assert_outcomes(passed=1)


def test_match_call_hook_can_refuse(project, pytester):
    project.record().assert_outcomes(passed=1)
    pytester.makeconftest(
        """
        def pytest_clearstone_match_call(target, call_number, recorded, actual, config):
            return False if target == "app.Tools.search" else None
        """
    )
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay diverged at call #1 to app.Tools.search*"])


def test_checkpoint_saved_hook_sees_each_golden(project, pytester):
    pytester.makeconftest(
        """
        SAVED = []

        def pytest_clearstone_checkpoint_saved(checkpoint, path, item):
            print(f"SAVED {item.nodeid} {path.name} {checkpoint.checkpoint_id[:5]}")
        """
    )
    result = project.record("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SAVED test_agent.py::test_billing billing.ckpt ckpt_*"])
    project.replay("-s").stdout.no_fnmatch_line("*SAVED*")
