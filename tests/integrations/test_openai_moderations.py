"""openai's ``moderations.create`` (no test had touched it): a guard that checks the user's
text before asking the model. The answer's categories have names that are not Python names
(``self-harm``, ``violence/graphic``: pydantic aliases of ``self_harm``, ``violence_graphic``);
mocked at ``Moderations.create`` it records, replays twice with the service sealed, re-records
byte-identical, reads back with the same attributes, and an edited text is named."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

AGENT = """
def guarded(client, text):
    check = client.moderations.create(model="omni-moderation-latest", input=text)
    result = check.results[0]
    if result.flagged:
        return {"refused": [k for k, v in result.categories.model_dump(by_alias=True).items() if v],
                "violence": result.category_scores.violence,
                "graphic": result.categories.violence_graphic}
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return {"answer": answer.choices[0].message.content,
            "self_harm": result.categories.self_harm,
            "types": result.category_applied_input_types.self_harm_intent}
"""

TEST = """
import pytest

import guard

MOCK = {"check": "openai.resources.moderations.Moderations.create",
        "llm": "openai.resources.chat.completions.Completions.create"}


@pytest.mark.replay("goldens/guard.ckpt", mock=MOCK)
def test_allowed(replay, openai_client):
    out = replay.run(guard.guarded, openai_client, "Tides?")
    assert out == {"answer": "Answer to 'Tides?'", "self_harm": False, "types": ["text"]}


# (only the check: a strict recording that leaves a target uncalled warns when an object made
# before the test, such as a LangChain model's raw-response wrapper from another test in the
# process, holds the target's function, which made this test depend on the tests run before it)
@pytest.mark.replay("goldens/refused.ckpt", mock={"check": MOCK["check"]})
def test_refused(replay, openai_client):
    out = replay.run(guard.guarded, openai_client, "[violent] tides")
    assert out == {"refused": ["violence"], "violence": 0.91, "graphic": False}
"""


def test_a_moderation_guard_records_replays_and_names_an_edited_text(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "guard.py").write_text(AGENT)
    stack.write_test("guard", TEST)
    stack.roundtrip()
    goldens = stack.goldens()
    assert len(goldens) == 2
    before = [g.read_bytes() for g in goldens]
    assert all(b" at 0x" not in b and (b"self-harm" in b or b"self_harm" in b) for b in before)
    stack.record()
    assert [g.read_bytes() for g in goldens] == before, "a re-record changed a golden"
    stack.edit("test_guard", '"Tides?")', '"Waves?")')
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=1)
    out = " ".join(result.stdout.str().split())
    assert "diverged at call #1 to openai.resources.moderations.Moderations.create" in out, out
    assert "'Tides?' -> 'Waves?'" in out, out
