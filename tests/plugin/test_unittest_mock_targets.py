"""A mock target that the user's own test double replaces: projects without the real service
record their goldens against ``unittest.mock.patch`` (a ``MagicMock`` or ``AsyncMock`` in
place of the SDK method or the function), and the plugin records and answers the calls made
through it as through the function it stands for."""

from __future__ import annotations

import pytest

APP = """
class Completions:
    def create(self, *, model, messages):
        raise RuntimeError("the live service: not reachable from the tests")

    async def acreate(self, *, model, messages):
        raise RuntimeError("the live service: not reachable from the tests")


class Client:
    def __init__(self):
        self.completions = Completions()


def complete(prompt):
    raise RuntimeError("the live service: not reachable from the tests")


class Bot:
    def __init__(self):
        self.client = Client()
        self.history = []

    def get_state(self):
        return {"history": self.history}

    def load_state(self, state):
        self.history = list(state["history"])

    def ask(self, question):
        reply = self.client.completions.create(model="m", messages=[question])
        self.history.append(reply["text"])
        return reply["text"]

    def ask_function(self, question):
        reply = complete(question)
        self.history.append(reply)
        return reply

    async def ask_async(self, question):
        reply = await self.client.completions.acreate(model="m", messages=[question])
        self.history.append(reply["text"])
        return reply["text"]
"""

TESTS = """
import asyncio
from unittest import mock

import pytest

import app

ANSWER = {"text": "Paris"}


@pytest.fixture
def fake_create():
    with mock.patch.object(app.Completions, "create", return_value=ANSWER) as double:
        yield double


@pytest.mark.replay(mock={"llm": "app.Completions.create"})
def test_method(replay, fake_create):
    assert replay.run(app.Bot().ask, "capital of France?") == "Paris"
    if replay.mode == "record":  # (the double is called as the code calls it: no self added)
        fake_create.assert_called_once_with(model="m", messages=["capital of France?"])
    else:
        fake_create.assert_not_called()


@pytest.fixture
def fake_acreate():
    with mock.patch.object(
        app.Completions, "acreate", new_callable=mock.AsyncMock, return_value=ANSWER
    ) as double:
        yield double


@pytest.mark.replay(mock={"llm": "app.Completions.acreate"})
def test_async_method(replay, fake_acreate):
    answer = asyncio.run(replay.run(app.Bot().ask_async, "capital of France?"))
    assert answer == "Paris"
"""

FUNCTION_TEST = """
from unittest import mock

import pytest

import app


@pytest.fixture
def fake_complete():
    with mock.patch("app.complete", return_value="Paris") as double:
        yield double


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_function(replay, fake_complete):
    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_doubles=TESTS, test_function_double=FUNCTION_TEST)
    return pytester


def test_a_magicmock_in_place_of_a_method_records_and_replays(project: pytest.Pytester) -> None:
    result = project.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    golden = project.path / "goldens" / "test_doubles" / "test_method.ckpt"
    assert golden.is_file()
    shown = project.run("python", "-m", "pytest_clearstone", "show", "--calls", str(golden))
    shown.stdout.fnmatch_lines(["*app.Completions.create #1*", "*'capital of France?'*"])
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["3 checkpoint(s) replayed, 0 recorded, 0 diverged"])


def test_a_replay_of_a_magicmocked_method_still_diverges_on_changed_arguments(
    project: pytest.Pytester,
) -> None:
    project.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=3)
    project.makepyfile(app=APP.replace('model="m"', 'model="other"'))
    result = project.runpytest("-p", "no:randomly", "test_doubles.py::test_method")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*app.Completions.create*"])


def test_a_target_patched_in_the_test_body_is_named_when_nothing_was_recorded(
    pytester: pytest.Pytester,
) -> None:
    # mock.patch inside the test replaces the plugin's recording stand-in for its block: the
    # agent's calls reach the double alone, and the hints about import paths do not apply
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP,
        test_body="""
        from unittest import mock

        import pytest

        import app


        @pytest.mark.replay(mock={"llm": "app.Completions.create"})
        def test_body(replay):
            with mock.patch.object(app.Completions, "create", return_value={"text": "Paris"}):
                assert replay.run(app.Bot().ask, "capital of France?") == "Paris"
        """,
    )
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "  does the test patch `app.Completions.create` itself (mock.patch, mocker.patch in "
            "its body)? Its double then stands in place of the recording, which sees no call: "
            "patch it in a fixture instead*",
        ]
    )


STOPPED_IN_BODY = """
from unittest import mock

import pytest

import app


@pytest.fixture
def fake_complete():
    patcher = mock.patch("app.complete", return_value="Paris")
    yield patcher.start()
    patcher.stop()


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_stopall(replay, fake_complete):
    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"
    mock.patch.stopall()  # (the test is done with its double)


def test_real_after_stopall():
    with pytest.raises(RuntimeError, match="the live service"):
        app.complete("capital of France?")


@pytest.fixture
def monkeypatched(monkeypatch):
    monkeypatch.setattr(app, "complete", lambda prompt: "Paris")


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_undo(replay, monkeypatched, monkeypatch):
    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"
    monkeypatch.undo()


def test_real_after_undo():
    with pytest.raises(RuntimeError, match="the live service"):
        app.complete("capital of France?")
"""


@pytest.mark.parametrize("mode", ["--clearstone-record", "--clearstone-replay"])
def test_a_double_the_test_stops_in_its_body_is_not_put_back_after_it(
    pytester: pytest.Pytester, mode: str
) -> None:
    # the test's own double stopped while the recording's (or replay's) stand-in was in place:
    # undoing the stand-in put the double back, for every later test of the session
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_stopped=STOPPED_IN_BODY)
    if mode == "--clearstone-replay":
        pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=4)
    result = pytester.runpytest(mode, "-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_a_golden_recorded_through_a_double_without_spec_names_it_when_replayed_without(
    project: pytest.Pytester,
) -> None:
    # the double takes (*args, **kwargs): its calls were recorded as kwargs={...}, which the
    # real method's named arguments (self included) do not match; the divergence said "The
    # prompt or arguments changed", which they had not
    project.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=3)
    without_double = TESTS.replace(
        'with mock.patch.object(app.Completions, "create", return_value=ANSWER) as double:\n'
        "        yield double",
        "yield mock.MagicMock()",
    )
    assert without_double != TESTS
    project.makepyfile(test_doubles=without_double)
    result = project.runpytest("-p", "no:randomly", "test_doubles.py::test_method")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError*app.Completions.create*",
            "*  The call was recorded through a unittest.mock double without a spec in place of "
            "app.Completions.create (mock.patch without autospec=True), whose calls take "
            "(*args, **kwargs), and is replayed without it, through the function's named "
            "parameters: keep the double in place when replaying, or give it autospec=True and "
            "record again.*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


BODY_ON_REPLAY = """
from unittest import mock

import pytest

import app


@pytest.fixture
def stop_patches():  # (as pytest-mock's mocker does, after the test's call)
    yield
    mock.patch.stopall()


@pytest.fixture
def fake_complete():
    with mock.patch("app.complete", return_value="Paris") as double:
        yield double


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_function(replay, fake_complete):
    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"
"""


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (
            '    mock.patch("app.complete", return_value="Paris").start()\n'
            '    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"',
            "a unittest.mock.MagicMock",
        ),
        (
            '    monkeypatch.setattr(app, "complete", lambda prompt: "Paris")\n'
            '    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"',
            "a function",
        ),
    ],
    ids=["mock.patch", "monkeypatch"],
)
def test_a_target_patched_in_the_test_body_is_named_when_the_replay_made_no_call(
    pytester: pytest.Pytester, body: str, kind: str
) -> None:
    # recorded with the double in a fixture, then patched in the body (pytest-mock's
    # mocker.patch is undone after the call, as these are): the body's double answered in
    # place of the replay, which told "The agent now skips calls it used to make"
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_body=BODY_ON_REPLAY)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_body=BODY_ON_REPLAY.replace(
            "(replay, fake_complete)", "(replay, monkeypatch, stop_patches)"
        ).replace(
            '    assert replay.run(app.Bot().ask_function, "capital of France?") == "Paris"\n',
            body + "\n",
        )
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the replay made fewer calls than the recording:",
            "*  app.complete: 0 of 1 recorded response(s) used",
            f"*  `app.complete` holds {kind} that the test put in place of the replay (mock.patch, "
            "mocker.patch or monkeypatch.setattr in its body): it answered the agent's calls "
            "instead of the golden. Patch it in a fixture instead (a double in place when the "
            "test's call starts is replayed over)*",
        ]
    )
