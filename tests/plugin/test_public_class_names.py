"""End to end: a golden names a class written in a private module of a package by the package
that exports it (``shop:Order``, not ``shop._models:Order``): private modules move between
releases (mcp 2 moved its types to ``mcp_types._types``), and every golden naming them failed
to load after such a move although the public name still worked. A golden recorded before,
naming the private module, still replays green without a re-record; a re-record rewrites it with
the public name, the same file each time."""

from __future__ import annotations

import pytest

MODELS = """
import dataclasses


@dataclasses.dataclass(eq=False)
class Order:
    item: str
    qty: int


@dataclasses.dataclass
class Receipt:
    item: str
    total: int


@dataclasses.dataclass(eq=False)
class Parcel:
    item: str
    qty: int
"""

PACKAGE = "from ._models import Order, Parcel, Receipt\n"

AGENT = """
from shop import Order, Receipt


def llm(order):
    return Receipt(order.item, order.qty * 3)


class Agent:
    def __init__(self):
        self.receipts = []

    def handle(self, item):
        self.receipts.append(llm(Order(item, 2)))
        return self.receipts[-1]
"""

TEST = """
import pytest
from shop.agent import Agent


@pytest.mark.replay("goldens/shop.ckpt", mock={"llm": "shop.agent.llm"})
def test_shop(replay):
    assert replay.run(Agent().handle, "tea").total == 6
"""


@pytest.fixture
def shop(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    package = pytester.mkpydir("shop")
    (package / "__init__.py").write_text(PACKAGE)
    (package / "_models.py").write_text(MODELS)
    (package / "agent.py").write_text(AGENT)
    pytester.makepyfile(test_shop=TEST)
    return pytester


def test_a_golden_names_a_class_by_the_package_exporting_it_and_re_records_the_same(
    shop: pytest.Pytester,
) -> None:
    shop.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    golden = shop.path / "goldens" / "shop.ckpt"
    text = golden.read_text()
    assert '"shop:Order"' in text and '"shop:Receipt"' in text
    assert "shop._models" not in text
    shop.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    assert golden.read_text() == text
    shop.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_golden_naming_a_class_by_its_private_module_replays_without_a_re_record(
    shop: pytest.Pytester,
) -> None:
    """The recorded ``Order`` argument (a dataclass without ``==``: compared by its stored
    form) and the ``Receipt`` in the state and the answer, all named as before."""
    shop.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    golden = shop.path / "goldens" / "shop.ckpt"
    text = golden.read_text()
    before = text.replace('"shop:', '"shop._models:')
    assert before.count('"shop._models:') >= 3
    golden.write_text(before)
    shop.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    assert golden.read_text() == before  # (not rewritten unless re-recorded)
    # another class under the private module's path still differs
    golden.write_text(before.replace('"shop._models:Order"', '"shop._models:Parcel"'))
    result = shop.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Parcel*"])
