"""Random agents for the end-to-end properties of record and replay
(``test_properties_record_replay.py``): a hypothesis strategy for a sequence of calls to three
mocked targets (a sync LLM-like function, a tool, an async LLM-like function), made in the test's
thread, in a thread of their own or in asyncio tasks, with random arguments and answers, random
use of ``random``, ``uuid4`` and ``datetime.now()``, and a final state built from the answers;
and the agent module and test file that run it, written as Python source."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import strategies as st

TARGETS = ("llm", "tool", "allm")
PLACES = ("main", "thread", "task", "pool")
ENTROPY = ("none", "random", "uuid", "now")

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
_floats = st.one_of(
    st.sampled_from([0.0, -0.0, 1e-7, 1e300, 0.1, -2.5]),
    st.floats(allow_nan=False),
)
_ints = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([2**53 + 1, -(2**63), 10**30]))
_datetimes = st.one_of(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(dt.timezone.utc),
    ),
)
_scalars = st.one_of(
    st.none(), st.booleans(), _ints, _floats, _text, st.binary(max_size=6), _datetimes
)

_keys = st.one_of(_text, _ints, st.none(), st.binary(max_size=3))

#: JSON-able and not: what an agent's calls take and answer
values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.frozensets(_text, max_size=3).map(set),
        st.dictionaries(_text, inner, max_size=3),
        st.dictionaries(
            st.one_of(_text, _ints, st.none(), st.binary(max_size=3)), inner, max_size=3
        ),
        st.frozensets(st.one_of(_ints, _text), max_size=3),
    ),
    max_leaves=8,
)


@dataclasses.dataclass(frozen=True)
class Step:
    """One call of the agent: to which target, from where, with what, answered what."""

    target: str
    place: str
    argument: Any
    answer: Any
    in_state: bool
    entropy: str


steps = st.builds(
    Step,
    target=st.sampled_from(TARGETS),
    place=st.sampled_from(PLACES),
    argument=values,
    answer=st.one_of(values, _text.map(ValueError), _ints.map(KeyError)),
    in_state=st.booleans(),
    entropy=st.sampled_from(ENTROPY),
)

agents = st.lists(steps, min_size=1, max_size=5)

_HEADER = """
import asyncio
import datetime
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

ANSWERS = {answers!r}


def _answer(target):
    answer = ANSWERS[target].pop(0)
    if isinstance(answer, Exception):
        raise answer
    return answer


def llm(prompt, *, options=None):
    return _answer("llm")


def tool(name, arguments):
    return _answer("tool")


async def allm(prompt):
    await asyncio.sleep(0)
    return _answer("allm")


def _call(target, number, argument):
    try:
        if target == "llm":
            return llm(argument, options={{"n": number}})
        if target == "tool":
            return tool("tool" + str(number), argument)
        return asyncio.run(allm(argument))
    except (ValueError, KeyError) as exc:
        return ["raised", type(exc).__name__, str(exc)]


async def _acall(target, number, argument):
    if target == "allm":
        try:
            return await allm(argument)
        except (ValueError, KeyError) as exc:
            return ["raised", type(exc).__name__, str(exc)]
    return _call(target, number, argument)


class Agent:
    def __init__(self):
        self.state = {{}}

    def run(self):
        got = []
"""

_ENTROPY = {
    "none": "None",
    "random": "random.random()",
    "uuid": "str(uuid.uuid4())",
    "now": "datetime.datetime.now().isoformat()",
}


def agent_module(agent: list[Step]) -> str:
    """The source of an agent module running ``agent``'s steps (consecutive task steps run
    together in one ``asyncio.gather``, consecutive pool steps in one thread pool)."""
    answers: dict[str, list[Any]] = {target: [] for target in TARGETS}
    for step in agent:
        answers[step.target].append(step.answer)
    lines = [_HEADER.format(answers=answers)]
    body: list[str] = []
    tasks: list[str] = []
    jobs: list[str] = []

    def flush_tasks() -> None:
        if tasks:
            body.append(
                f"async def _gather():\n    return await asyncio.gather({', '.join(tasks)})"
            )
            body.append("got.extend(asyncio.run(_gather()))")
            tasks.clear()
        if jobs:
            body.append("with ThreadPoolExecutor(2) as pool:")
            body.append(f"    futures = [{', '.join(jobs)}]")
            body.append("got.extend(future.result() for future in futures)")
            jobs.clear()

    for number, step in enumerate(agent):
        call = f"{step.target!r}, {number}, {step.argument!r}"
        if number and agent[number - 1].place != step.place:
            flush_tasks()
        if step.place == "task":
            tasks.append(f"_acall({call})")
            continue
        if step.place == "pool":
            jobs.append(f"pool.submit(_call, {call})")
            continue
        flush_tasks()
        if step.place == "main":
            body.append(f"got.append(_call({call}))")
        else:
            body.append("box = []")
            body.append(f"worker = threading.Thread(target=lambda: box.append(_call({call})))")
            body.append("worker.start()")
            body.append("worker.join()")
            body.append("got.extend(box)")
    flush_tasks()
    for number, step in enumerate(agent):
        used = f"got[{number}]" if step.in_state else "None"
        body.append(f"self.state['s{number}'] = [{used}, {_ENTROPY[step.entropy]}]")
    body.append("return len(got)")
    lines.extend("        " + line for chunk in body for line in chunk.splitlines())
    return "\n".join(lines) + "\n"


def agent_test_file(module: str, golden: str) -> str:
    """A test file replaying ``module``'s agent against ``golden``."""
    return (
        "import pytest\n"
        f"from {module} import Agent\n\n"
        f"@pytest.mark.replay({golden!r}, mock={{'llm': ['{module}.llm', '{module}.allm'], "
        f"'tool': '{module}.tool'}})\n"
        "def test_agent(replay):\n"
        "    replay.run(Agent().run)\n"
    )
