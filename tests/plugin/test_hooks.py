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


def test_a_conftests_hooks_act_on_the_tests_of_its_directory_only(pytester, monkeypatch):
    # (the plugin called its hooks through the config's relay, which holds every conftest
    # loaded: a conftest of tests/a/ redacted the goldens of tests/b/ and answered its
    # matching, but only in a run that collected tests/a/ too, so b's golden and its replay's
    # verdict depended on which directories the run was given)
    pytester.syspathinsert()
    pytester.makepyfile(
        app="""
        import os

        def complete(prompt):
            return "answer to " + prompt

        def ask():
            return complete(os.environ.get("PROMPT", "hi"))
        """
    )
    pytester.makeini("[pytest]\nclearstone_mock =\n    llm = app.complete\n")
    for name in ("a", "b"):
        pytester.mkdir(name)
        (pytester.path / name / f"test_{name}.py").write_text(
            "import pytest\nimport app\n\n\n@pytest.mark.replay\ndef test_x():\n    app.ask()\n"
        )
    (pytester.path / "a" / "conftest.py").write_text(
        "def pytest_clearstone_redact(value, where, target):\n"
        "    return 'A' if where == 'output' else None\n\n\n"
        "def pytest_clearstone_match_call(target, call_number, recorded, actual):\n"
        "    return True\n\n\n"
        "def pytest_clearstone_checkpoint_saved(path, item):\n"
        "    print(f'SAVED {item.nodeid}')\n"
    )
    result = pytester.runpytest_subprocess("--clearstone-record", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*SAVED a/test_a.py::test_x*"])
    result.stdout.no_fnmatch_line("*SAVED b/*")
    goldens = {name: pytester.path / name / "goldens" / f"test_{name}" / "test_x.ckpt"
               for name in ("a", "b")}  # fmt: skip
    output = {
        name: json.loads(path.read_text())["trace"]["spans"][1]["output"]
        for name, path in goldens.items()
    }
    assert output == {"a": {"v": "A"}, "b": {"v": "answer to hi"}}
    # a changed prompt: a's conftest lets its own test's call match, never b's
    monkeypatch.setenv("PROMPT", "changed")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED b/test_b.py::test_x - *ReplayDivergenceError*"])
