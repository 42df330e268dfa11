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


def test_encode_and_decode_hooks_teach_the_codec_a_type(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(
        money="""
        class Money:
            def __init__(self, cents):
                self.cents = cents

            def __eq__(self, other):
                return isinstance(other, Money) and other.cents == self.cents


        def price(item):
            return Money(len(item) * 100)
        """,
        test_price="""
        import pytest
        import money

        @pytest.mark.replay("goldens/price.ckpt", mock={"tool": "money.price"})
        def test_price(replay):
            assert replay.run(money.price, "tea") == money.Money(300)
        """,
    )
    pytester.makeconftest(
        """
        import money

        def pytest_clearstone_encode(value):
            if isinstance(value, money.Money):
                return {"cents": value.cents}
            return None

        def pytest_clearstone_decode(type_path, data):
            if type_path == "money:Money":
                return money.Money(data["cents"])
            return None
        """
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    text = (pytester.path / "goldens" / "price.ckpt").read_text()
    assert '"cents": 300' in text
    assert '"pickle"' not in text
    pytester.runpytest().assert_outcomes(passed=1)
