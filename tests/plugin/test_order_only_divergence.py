"""A replay that differs from its golden only in the order of items: the order of a set of
strings, which changes from process to process (hash randomisation), fed into a prompt or the
agent's state. Re-recording does not fix it; the message says what does."""

from __future__ import annotations

import textwrap

import pytest

# the process's set order, played by an environment variable (the test runs in one process)
APP = """
import os


def llm(prompt, tags):
    return "ok"


def tags_in_set_order():
    tags = ["billing", "refund", "urgent"]
    return tags[::-1] if os.environ.get("OTHER_HASH_ORDER") else tags


class Agent:
    def __init__(self):
        self.tags = []

    def get_state(self):
        return {"tags": self.tags}

    def load_state(self, state):
        self.tags = list(state["tags"])

    def step(self, q):
        tags = tags_in_set_order()
        self.tags = tags
        return llm(f"tags: {', '.join(tags)}; question: {q}", tags=list(tags))


def keep(q):
    return Agent().step(q)
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_prompt(replay):
    replay.run(Agent().step, "hi")


@pytest.mark.replay("s.ckpt", mock={"llm": "app.llm"}, ignore={"app.llm": ["prompt", "tags"]})
def test_state(replay):
    replay.run(Agent().step, "hi")
"""

ORDER = "*Only the order of the items differs*set*PYTHONHASHSEED*sort*"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    return pytester


def test_a_prompt_that_differs_only_in_item_order_names_set_order_and_sorting(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt joining a set's items replayed in another process diverged with "The prompt or
    arguments changed. If the change is intended, re-record": a re-record that diverges again
    in the next process. The message says only the order differs, and why, and the fix."""
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = project.runpytest("-p", "no:randomly", "-k", "prompt")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([ORDER])
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


def test_an_order_made_by_the_agents_own_code_is_not_told_as_a_librarys(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the mock target (app.llm) and the code that called it with the items in another
    # order (app.Agent.step) are the project's own: sorting them is the fix. Before the fix the
    # failure added "Here the list was made by app's own Agent.step, which the agent called:
    # mock that method instead (app.Agent.step)", the advice for an SDK's method that calls
    # another of its SDK (openai's upload_and_poll), given for the agent's own method.
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = project.runpytest("-p", "no:randomly", "-k", "prompt")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([ORDER])
    result.stdout.no_fnmatch_line("*mock that method instead*")
    result.stdout.no_fnmatch_line("*app's own*")


def test_a_state_that_differs_only_in_item_order_names_set_order_and_sorting(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = project.runpytest("-p", "no:randomly", "-k", "state")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*final state differs*", ORDER])


@pytest.mark.parametrize(
    ("name", "cause"), [("prompt", "diverged at call #1"), ("state", "final state differs")]
)
def test_the_order_hint_offers_a_re_record_only_if_the_order_is_not_the_cause(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str, cause: str
) -> None:
    # Expected: after "sort them before they reach it: a re-record would differ again on the
    # next run", the message offers re-recording only for a change of the agent, if the order
    # is not what makes it differ. Before the fix it went on "If the change is intended,
    # re-record with: ...", the re-record it had just said would differ again.
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = project.runpytest("-p", "no:randomly", "-k", name)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{cause}*", ORDER])
    told = " ".join(result.stdout.str().replace("\nE   ", " ").split())
    assert (
        "a re-record would differ again on the next run. If that is not what makes it differ, "
        "the agent changed. If the change is intended, re-record with: pytest "
        f"--clearstone-record test_it.py::test_{name}" in told
    )


def test_a_real_change_gets_no_order_hint(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(app=textwrap.dedent(APP).replace('"urgent"', '"vip"'))
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    result.stdout.no_fnmatch_line("*Only the order*")
    result.stdout.fnmatch_lines(["*The prompt or arguments changed*"])


STREAM_APP = """
import os


def llm(prompt):
    return "ok"


def streamed(q):
    # (node, token) pairs as two parallel nodes' streams delivered them: interleaved live,
    # one node's after the other's on another run
    a = [("a", llm(q)), ("a", "Answer"), ("a", " to")]
    b = [("b", llm(q * 2)), ("b", "Answer"), ("b", " to")]
    if os.environ.get("OTHER_FINISHING_ORDER"):
        return a + b
    return [pair for both in zip(a, b) for pair in both]
"""


def test_a_result_of_pairs_that_differs_only_in_their_order_gets_the_order_hint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result listing pairs (a LangGraph stream_mode="messages" result: (node, token)) in
    the order concurrent streams delivered them: replayed in another order, the delta compared
    the pairs' fields place by place (root[1][0]: 'b' -> 'a'), and the message said only "If the
    change is intended, re-record", which gives the same failure again. It now says only the
    order differs, and sorting (or grouping) before the result fixes it."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(STREAM_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
            def test_stream(replay):
                replay.run(app.streamed, "hi")
            """
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("OTHER_FINISHING_ORDER", "1")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*result differs*", "*Only the order of the items differs*"])


LOOP_APP = """
import os


def lookup(topic):
    return "docs about " + topic


def topics_in_set_order():
    topics = ["billing", "refunds", "shipping"]
    return topics[::-1] if os.environ.get("OTHER_HASH_ORDER") else topics


def answer():
    return {topic: lookup(topic) for topic in topics_in_set_order()}
"""


def test_calls_made_in_a_sets_order_name_set_order_and_sorting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent that calls a mock target once per item of a set of strings (``for topic in
    self.topics``) makes its calls in another order in each process: the replay said "These
    arguments were recorded for call #3 ... may have been reordered. The prompt or arguments
    changed. If the change is intended, re-record", and the re-record diverged again in the
    next process. The message now names the set's order, and sorting, as what fixes it."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(LOOP_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("g.ckpt", mock={"tool": "app.lookup"})
            def test_loop(replay):
                replay.run(app.answer)
            """
        ),
    )
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    monkeypatch.setenv("OTHER_HASH_ORDER", "1")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*These arguments were recorded for call #3*may have been reordered, or *",
            "*a set it goes through*PYTHONHASHSEED*sorted(...)*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


LISTING_APP = """
import os
from pathlib import Path


def llm(prompt):
    return "ok"


def listing(directory):
    # (the file system's order, played by a variable: another machine's is another)
    names = os.listdir(directory)
    return sorted(names, reverse=bool(os.environ.get("OTHER_FILE_SYSTEM")))


def ask(q):
    docs = Path(__file__).parent / "docs"
    return llm(f"files: {', '.join(listing(docs))}; {q}")
"""


def test_a_directory_listing_in_another_order_names_the_listing_and_sorting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.listdir, glob and Path.iterdir list in the file system's order, another on another
    machine (ext4's hash order, APFS's): the failure said the items came from a set or
    concurrent work, neither of which the agent had; it now names directory listings too."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(LISTING_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
            def test_listing(replay):
                replay.run(app.ask, "hi")
            """
        ),
    )
    docs = pytester.mkdir("docs")
    for name in ("a.txt", "b.txt", "c.txt"):
        (docs / name).write_text("x")
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    monkeypatch.setenv("OTHER_FILE_SYSTEM", "1")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Only the order of the items differs*os.listdir*sort them*"])
