"""A ``ChatOpenAI`` recorded with ``OPENAI_API_KEY`` set and replayed where it is unset (the
plugin gives it its placeholder key), kept in the agent's state and passed as ``self`` of the
mocked ``invoke``: its ``openai_api_key``, a pydantic ``SecretStr``, is withheld in each form a
golden holds it (a secret of its class since, the text ``'[REDACTED]'`` before), and compares
alike with what the replay holds, on every path that compares (the state, a call's arguments,
with and without ``ignore=``), and is no line of a delta when something else differs."""

from __future__ import annotations

import json
from typing import Any

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

TEST = """
import pytest

import langchain_agent as app

INVOKE = "langchain_openai.ChatOpenAI.invoke"


@pytest.mark.replay("goldens/plain.ckpt", mock={{"llm": INVOKE}}{ignore})
def test_it(replay):
    agent = app.PlainChef(app.make_llm())
    assert replay.run(agent.answer, "Gnocchi?") == "Answer to 'Gnocchi?'"
"""

IGNORES = {
    "compared": "",
    "ignore": ', ignore=["self.tags"], ignore_state=["final_state.llm.tags"]',
}


@pytest.fixture
def stack(make_stack: Any) -> Stack:
    return make_stack("langchain_agent")


def _as_recorded_before(tree: Any) -> Any:
    """``tree`` with each stored secret written as the text ``'[REDACTED]'``, as goldens
    recorded before a secret stayed a secret held it."""
    if isinstance(tree, dict):
        if tree.get("__cs__") == "secret":
            return "[REDACTED]"
        return {k: _as_recorded_before(x) for k, x in tree.items()}
    if isinstance(tree, list):
        return [_as_recorded_before(x) for x in tree]
    return tree


def _recorded(stack: Stack, ignore: str, before: bool) -> None:
    stack.write_test("plain", TEST.format(ignore=IGNORES[ignore]))
    stack.record()
    (golden,) = stack.goldens()
    text = golden.read_text()
    assert '"openai_api_key"' in text
    assert '"__cs__": "secret"' in text
    if before:
        golden.write_text(json.dumps(_as_recorded_before(json.loads(text)), indent=2))


@pytest.mark.parametrize("before", [False, True], ids=["golden", "golden_recorded_before"])
@pytest.mark.parametrize("ignore", list(IGNORES))
def test_a_model_recorded_with_its_key_replays_without_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, ignore: str, before: bool
) -> None:
    _recorded(stack, ignore, before)
    monkeypatch.delenv("OPENAI_API_KEY")
    stack.replay_passes()


@pytest.mark.parametrize("before", [False, True], ids=["golden", "golden_recorded_before"])
@pytest.mark.parametrize("ignore", list(IGNORES))
def test_a_changed_prompt_shows_no_difference_in_the_key(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, ignore: str, before: bool
) -> None:
    _recorded(stack, ignore, before)
    monkeypatch.delenv("OPENAI_API_KEY")
    stack.edit("test_plain", '"Gnocchi?"', '"Gnocchi!"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*ChatOpenAI.invoke*", "*Gnocchi!*"])
    result.stdout.no_fnmatch_line("*openai_api_key*")
