"""A ``range``, an ``array.array``, a ``collections.ChainMap`` or a ``types.SimpleNamespace``
(pages to fetch, a buffer of samples, layered settings, an agent's config) was stored only as a
pickle, or, where pickles are not allowed (the default), as the placeholder of its repr: a mocked
call given one was compared by its type, so ``fetch_pages(range(0, 50, 10))`` changed to
``range(0, 100, 10)`` replayed green, and an agent keeping one in its state could not be recorded
without pickles. They are stored readably and read back as the values they were."""

from __future__ import annotations

import array
import collections
import types

import pytest

from pytest_clearstone.codec import TAG, dumps, encode, loads

APP = """
import array
import collections


def fetch_pages(pages, settings, samples):
    return {"n": len(pages), "model": settings["model"], "total": sum(samples)}


class Crawler:
    def __init__(self):
        self.settings = collections.ChainMap({"model": "small"}, {"model": "big", "k": 3})
        self.samples = array.array("d", [0.5, 1.5])
        self.pages = range(0)

    def run(self, q):
        self.pages = PAGES
        answer = fetch_pages(self.pages, self.settings, self.samples)
        self.samples.append(answer["total"])
        return answer
"""

TEST = """
import array
import collections

import pytest
from crawl_app import Crawler


@pytest.mark.replay("goldens/crawl.ckpt", mock={"tool": "crawl_app.fetch_pages"})
def test_crawl(replay):
    assert replay.run(Crawler().run, "q") == {"n": 5, "model": "small", "total": 2.0}
    agent = replay.agent
    assert type(agent.settings) is collections.ChainMap and len(agent.settings.maps) == 2
    assert type(agent.samples) is array.array and agent.samples.typecode == "d"
    assert type(agent.pages) is range
"""


def test_standard_containers_record_replay_and_a_changed_range_diverges(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(crawl_app=APP.replace("PAGES", "range(0, 50, 10)"), test_crawl=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(crawl_app=APP.replace("PAGES", "range(0, 100, 10)"))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "ReplayDivergenceError" in out and "root['pages'][5]: added 50" in out
    golden = (pytester.path / "goldens" / "crawl.ckpt").read_text()
    assert '"__cs__": "pickle"' not in golden and '"__cs__": "repr"' not in golden


@pytest.mark.parametrize(
    "value",
    [
        range(0, 50, 10),
        range(5, -3, -2),
        array.array("i", [1, -2]),
        array.array("d", [0.5, float("inf")]),
        array.array("B", b"ab"),
        collections.ChainMap({"a": 1}, {(1, 2): {"b"}}),
        collections.ChainMap(),
        types.SimpleNamespace(model="claude-sonnet-4-5", limits=types.SimpleNamespace(tokens=100)),
        types.SimpleNamespace(),
    ],
)
def test_a_standard_container_reads_back_as_itself_without_a_pickle(value: object) -> None:
    tree = encode(value, allow_pickle=False)
    assert TAG in tree and tree[TAG] not in ("pickle", "repr")
    back = loads(dumps(tree))
    assert type(back) is type(value) and repr(back) == repr(value)


def test_an_array_holding_a_nan_equals_itself_read_back() -> None:
    # (== never finds a NaN equal: the comparison of stored forms pairs it, as in a list)
    from pytest_clearstone.codec import same_stored_form

    samples = array.array("d", [float("nan"), 1.5])
    assert same_stored_form(samples, loads(dumps(encode(samples))))
    assert not same_stored_form(
        array.array("d", [float("nan"), 2.5]), loads(dumps(encode(samples)))
    )
