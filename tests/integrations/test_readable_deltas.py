"""The delta a user reads when an agent on the real ``openai`` SDK changes its prompt: every
place a long text changed shows, not only the first."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from tests.plugin.conftest import esc

from .harness import Stack

CREATE = "openai.resources.chat.completions.Completions.create"
SENTENCES = [
    f"Rule {i}: tell the traveller about fare class {i} before booking." for i in range(30)
]
ORIGINAL = 'SYSTEM = "You are a concise travel assistant."'

TEST = f"""
import pytest

import openai_agent as app


@pytest.mark.replay("goldens/prompt.ckpt", mock={{"llm": "{CREATE}"}})
def test_prompt(replay, openai_client):
    replay.run(app.ChatAgent(openai_client).complete, "Flights to Lisbon?")
"""


def system_prompt(changes: dict[int, str]) -> str:
    """The system prompt as one line of about 2,000 characters (a paragraph, as prompts are often
    written), with the sentences of ``changes`` replaced."""
    return f"SYSTEM = {' '.join(changes.get(i, s) for i, s in enumerate(SENTENCES))!r}"


@pytest.fixture
def stack(make_stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    monkeypatch.setenv("COLUMNS", "100")
    stack = make_stack("openai_agent")
    stack.edit("openai_agent", ORIGINAL, system_prompt({}))
    stack.write_test("prompt", TEST)
    stack.record()
    return stack


def test_a_one_line_prompt_changed_in_two_far_places_shows_both(stack: Stack) -> None:
    # Expected: a window around each change; it was the first window only, the line cut after
    # it ("Sentence nu..."), so the change of rule 25 was not shown, nor said to be there
    changed = {3: "Rule 3: never mention fare classes.", 25: "Rule 25: quote prices in euros."}
    stack.edit("openai_agent", system_prompt({}), system_prompt(changed))
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to *Completions.create*",
            esc("*root['messages'][0]['content']: text differs (- before, + after):"),
            "*- ...before booking. Rule 3: tell the traveller about fare class 3 before booking.*",
            "*+ ...before booking. Rule 3: never mention fare classes. Rule 4: tell the trave...",
            "*- ...efore booking. Rule 25: tell the traveller about fare class 25 before booking.*",
            "*+ ...efore booking. Rule 25: quote prices in euros. Rule 26: tell the trav...",
            "*re-record with: pytest --clearstone-record test_prompt.py::test_prompt",
        ]
    )


def test_a_one_line_prompt_changed_in_many_places_shows_the_first_and_counts_the_rest(
    stack: Stack,
) -> None:
    changed = {i: f"Rule {i}: be brief." for i in range(0, 30, 3)}
    stack.edit("openai_agent", system_prompt({}), system_prompt(changed))
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['messages'][0]['content']: text differs (- before, + after):"),
            "*- Rule 0: tell the traveller about fare class 0 before booking. Rule 1:*",
            "*+ Rule 0: be brief. Rule 1:*",
            "*Rule 12: be brief.*",
            "*... (5 more change(s) in this line; -vv shows all)",
        ]
    )
    result.stdout.no_fnmatch_line("*Rule 15: be brief*")


TWO_TURNS = """
import os

import pytest

RESPONSES = "openai.resources.responses.Responses.create"


def converse(client, question):
    first = client.responses.create(model="gpt-4o-mini", input=question)
    items = first.output
    if os.environ.get("DUMPED"):  # the agent now sends the items' dict forms: the same request
        items = [item.model_dump(exclude_none=True) for item in items]
    second = client.responses.create(
        model="gpt-4o-mini",
        input=[{"role": "user", "content": question}, *items,
               {"role": "user", "content": "And then?"}],
    )
    return second.output_text


@pytest.mark.replay("goldens/turns.ckpt", mock={"llm": RESPONSES})
def test_turns(replay, openai_client):
    replay.run(converse, openai_client, "Museums in Rome?")
"""


def test_an_sdk_item_sent_back_as_its_dict_form_is_named_a_change_of_type_only(
    make_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: that the fields are the same; it was the two values cut at 80 characters
    # ("ResponseOutputMessage(id='msg_...', content=[ResponseOutput... -> {'id': 'msg_...',
    # 'content': [{'annotations': [], 'text': "..."), which cannot tell whether a field changed
    stack = make_stack("openai_agent")
    stack.write_test("turns", TWO_TURNS)
    stack.record()
    monkeypatch.setenv("DUMPED", "1")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to openai.resources.responses.Responses.create*",
            esc(
                "*root['input'][1]: ResponseOutputMessage -> dict of the same fields "
                "(only the type changed)"
            ),
        ]
    )
