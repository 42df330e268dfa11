"""An SDK client wrapped by another library in a fixture: LangSmith's
``langsmith.wrappers.wrap_openai(client)`` (tracing each call) and instructor's
``instructor.from_openai(client)`` (structured output) keep the client's
``chat.completions.create`` bound when they wrap it, in a closure of a function of theirs: made
in a fixture, before the recording patched ``Completions.create``, the wrapper calls the method
it bound, never the mock, and nothing is recorded.

Before the fix "nothing was recorded" said, for ``wrap_openai``, that the resource had its own
``create`` "(mock.patch.object on the object, not on its class)" and to "patch the class
instead" — the marker already does, and nothing had been patched on the object — and, for a
holder of the bound method in a closure (instructor's client), named no cause at all. Both now
name the wrapper and the object that keeps it, and the fix that works: make it while the test
runs (which records and replays). instructor itself cannot be installed beside the ``openai``
release the tests pin (their ``jiter`` ranges do not meet), so its way of wrapping — a
function closing over the bound method, kept in an attribute of its client — is written here
as a few lines of the agent's own.
"""

from __future__ import annotations

import warnings

import pytest

from .harness import Stack

with warnings.catch_warnings():  # (langsmith 0.15 warns of a module it moved, on import)
    warnings.simplefilter("ignore", DeprecationWarning)
    import langsmith.wrappers  # noqa: F401  (imported once here: the inner runs reuse it)

SDK = "openai.resources.chat.completions.Completions.create"

HEADER = f"""
import functools

import pytest
from langsmith.wrappers import wrap_openai

SDK = {{"llm": "{SDK}"}}


class Structured:
    # instructor.from_openai's shape: a function closing over the bound create, in an attribute
    def __init__(self, client):
        create = client.chat.completions.create

        @functools.wraps(create)
        def new_create(*args, **kwargs):
            return create(*args, **kwargs)

        self.create_fn = new_create


def ask(create, question):
    reply = create(model="gpt-4o-mini", messages=[{{"role": "user", "content": question}}])
    return reply.choices[0].message.content
"""

IN_FIXTURE = (
    HEADER
    + """

@pytest.fixture
def traced(openai_client):
    return wrap_openai(openai_client)


@pytest.fixture
def structured(openai_client):
    return Structured(openai_client)


@pytest.mark.replay("goldens/traced.ckpt", mock=SDK)
def test_traced(replay, traced):
    assert replay.run(ask, traced.chat.completions.create, "Hi?") == "Answer to 'Hi?'"


@pytest.mark.replay("goldens/structured.ckpt", mock=SDK)
def test_structured(replay, structured):
    assert replay.run(ask, structured.create_fn, "Ho?") == "Answer to 'Ho?'"
"""
)

IN_TEST = (
    HEADER
    + """

@pytest.mark.replay("goldens/traced.ckpt", mock=SDK)
def test_traced(replay, openai_client):
    traced = wrap_openai(openai_client)
    assert replay.run(ask, traced.chat.completions.create, "Hi?") == "Answer to 'Hi?'"


@pytest.mark.replay("goldens/structured.ckpt", mock=SDK)
def test_structured(replay, openai_client):
    structured = Structured(openai_client)
    assert replay.run(ask, structured.create_fn, "Ho?") == "Answer to 'Ho?'"
"""
)


@pytest.fixture
def stack(make_stack):  # type: ignore[no-untyped-def]
    return make_stack()


def test_a_client_wrapped_in_a_fixture_names_the_wrapper_and_a_fix_that_works(
    stack: Stack,
) -> None:
    stack.write_test("wrapped", IN_FIXTURE)
    result = stack.try_record("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    assert "mock.patch.object on the object" not in text
    assert "Patch the class instead" not in text
    for wrapper, holder in [
        (
            "langsmith.wrappers._openai.create",
            "an openai.resources.chat.completions.completions.Completions",
        ),
        ("test_wrapped.new_create", "a test_wrapped.Structured"),
    ]:
        assert f"the function {wrapper}, kept by {holder}" in text, text
    assert text.count("make what holds it while the test runs") == 2
    stack.write_test("wrapped", IN_TEST)  # the fix the message gives
    stack.roundtrip("-p", "no:randomly")
