"""The hint for a final state that differs only in fields the mocked method sets itself."""

from __future__ import annotations

import dataclasses

from pytest_clearstone.golden.responses import ReplayCall
from pytest_clearstone.golden.self_fields import final_state_hint


@dataclasses.dataclass
class Model:
    name: str = "m"
    last: str | None = None

    def request(self, prompt: str) -> str:
        return prompt


TARGET = f"{__name__}.Model.request"
CALLS = [ReplayCall(TARGET, 1, {"self": {"stored": "form"}, "prompt": "a"}, None)]


def test_fields_of_the_mocked_object_are_named_with_their_ignore_state_paths() -> None:
    state = {"team": [{"model": Model()}], "answers": []}
    delta = "root['team'][0]['model'].last: 'a' -> None"
    hint = final_state_hint(state, CALLS, [delta])
    assert f"Only fields of the object that {TARGET} is called on differ" in hint
    assert "ignore_state=['final_state.team.0.model.last']" in hint


def test_no_hint_when_anything_else_differs_or_no_method_was_called() -> None:
    state = {"model": Model(), "answers": []}
    both = "root['model'].last: 'a' -> None\nroot['answers'][0]: 'x' -> 'y'"
    assert final_state_hint(state, CALLS, [both]) == ""
    assert final_state_hint(state, [], ["root['model'].last: 'a' -> None"]) == ""
    plain = [ReplayCall("app.complete", 1, {"prompt": "a"}, None)]
    assert final_state_hint(state, plain, ["root['model'].last: 'a' -> None"]) == ""
