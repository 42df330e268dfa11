"""End to end: a pydantic model of a class a library made at run time from the user's own, under
the user's class name — instructor's ``response_model=User`` returns an instance of
``functools.wraps(User, updated=())(create_model("User", __base__=(User, ResponseSchema)))``,
whose ``__module__`` and ``__qualname__`` are ``User``'s. The golden stores it as the user's
``app:User``, so on replay the value read back is a ``User`` and the live one an instance of the
subclass: pydantic's ``==`` compares the classes, and every replay of an unchanged agent failed
with ``root: User(name='Jason', age=42) -> User(name='Jason', age=42)``. Such values are now
compared by their stored forms, and a changed field still fails naming it."""

from __future__ import annotations

import pytest

APP = """
import functools
import json

import pydantic


def complete(prompt):
    return json.dumps({"name": prompt.split()[0], "age": 42})


class Schema(pydantic.BaseModel):
    # the library's mixin (instructor's ResponseSchema: classmethods only)
    @classmethod
    def from_answer(cls, text):
        return cls.model_validate_json(text)


def as_response_model(cls):
    # made anew on each call, as instructor makes it (nothing caches it)
    return functools.wraps(cls, updated=())(
        pydantic.create_model(cls.__name__, __base__=(cls, Schema))
    )


class User(pydantic.BaseModel):
    name: str
    age: int


def extract(text):
    user = as_response_model(User).from_answer(complete(text))
    user.age += BUMP
    user._raw_response = {"answer": "kept beside the fields, as instructor keeps it"}
    return user


class Extractor:
    def __init__(self):
        self.people = []

    def extract(self, text):
        user = extract(text)
        self.people.append(user)
        return user
"""

TEST = """
import pytest

import wrapped_app


@pytest.mark.replay(mock={"llm": "wrapped_app.complete"})
def test_result(replay):
    user = replay.run(wrapped_app.extract, "Jason is 25")
    assert (user.name, user.age) == ("Jason", 42)


@pytest.mark.replay(mock={"llm": "wrapped_app.complete"})
def test_state(replay):
    replay.run(wrapped_app.Extractor().extract, "Mary is 25")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(wrapped_app=APP.replace("BUMP", "0"), test_wrapped=TEST)
    return pytester


def test_a_model_of_a_class_made_from_the_users_replays(project: pytest.Pytester) -> None:
    project.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_a_changed_field_of_such_a_model_still_fails_naming_it(project: pytest.Pytester) -> None:
    project.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    project.makepyfile(wrapped_app=APP.replace("BUMP", "1"))
    result = project.runpytest("-p", "no:randomly", "-k", "test_state")
    result.assert_outcomes(failed=1)
    assert "root.age: 42 -> 43" in result.stdout.str()
    assert "root['people'][0].age: 42 -> 43" in result.stdout.str()
