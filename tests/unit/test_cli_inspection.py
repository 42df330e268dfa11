"""pytest_clearstone.inspection: what the command line builds its output from."""

from __future__ import annotations

import dataclasses
import json
import sys
from argparse import Namespace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydantic
import pytest

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.inspection import (
    TARGET_ATTRIBUTE,
    clip,
    diff_lines,
    load_checkpoint,
    short_repr,
    state_summary,
    walk_tree,
)
from pytest_clearstone.observability import Span, TracerProvider


def _span(span_id: str, parent: str | None, start: int) -> Span:
    return Span(trace_id="t", span_id=span_id, parent_span_id=parent, name=span_id,
                start_time_ns=start)  # fmt: skip


def test_walk_tree_puts_children_under_their_parent_whatever_the_start_order():
    # two concurrent tasks: their children interleave in start order
    spans = [_span("root", None, 0), _span("task_a", "root", 1), _span("task_b", "root", 2),
             _span("a1", "task_a", 3), _span("b1", "task_b", 4),
             _span("a2", "task_a", 5)]  # fmt: skip
    assert [(d, s.span_id) for d, s in walk_tree(spans)] == [
        (0, "root"), (1, "task_a"), (2, "a1"), (2, "a2"), (1, "task_b"), (2, "b1")]  # fmt: skip


def test_walk_tree_shows_orphans_as_roots_and_survives_cycles():
    spans = [_span("x", "missing", 0), _span("y", "z", 1), _span("z", "y", 2)]
    assert [(d, s.span_id) for d, s in walk_tree(spans)] == [(0, "x")]


def test_walk_tree_gives_several_roots_in_start_order():
    spans = [_span("first", None, 0), _span("second", "gone", 1), _span("third", None, 2)]
    assert [s.span_id for _, s in walk_tree(spans)] == ["first", "second", "third"]


def test_state_summary():
    summary = state_summary({"memory": [1, 2], "cost": 0.5, "blob": "x" * 100})
    assert summary["memory"] == {"type": "list", "len": 2, "repr": "[1, 2]"}
    assert summary["cost"] == {"type": "float", "repr": "0.5"}
    assert summary["blob"]["len"] == 100 and summary["blob"]["repr"].endswith("...")
    assert len(summary["blob"]["repr"]) == 60
    assert state_summary(None) == {"<state>": {"type": "NoneType", "repr": "None"}}
    assert state_summary({"raw": b"xyz"})["raw"]["len"] == 3


def test_short_repr_is_one_line_and_survives_a_broken_repr():
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    class MultiLine:
        def __repr__(self) -> str:
            return "Table(\n    rows=2,\n)"

    assert short_repr(MultiLine()) == "Table( rows=2, )"
    assert short_repr("a\nb") == "'a\\nb'"
    assert short_repr({"k": "v\n  w"}, 80) == "{'k': 'v\\n  w'}"
    assert short_repr(Broken()) == "<unrepresentable: RuntimeError>"
    assert clip("abcdef", 5) == "ab..." and clip("abc", 5) == "abc"


class Destination(pydantic.BaseModel):
    city: str


class Route(pydantic.BaseModel):
    stops: list[Destination]
    note: str = ""


@dataclasses.dataclass
class Holder:
    """An imported class holding values of others."""

    item: object
    extra: object


def _saved(tmp_path: Path, name: str, state: object) -> Path:
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("run") as span:
        pass
    trace = provider.trace_store.get_trace(span.trace_id)
    agent = SimpleNamespace(value=state)
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(agent, trace, span.span_id)
    return manager.save_checkpoint(checkpoint, name, allow_pickle=True)  # pickles on purpose


def test_pickled_values_become_placeholders_that_still_compare(tmp_path):
    a = _saved(tmp_path, "a.ckpt", Namespace(n=1))
    b = _saved(tmp_path, "b.ckpt", Namespace(n=2))
    c = _saved(tmp_path, "c.ckpt", Namespace(n=1))
    assert json.loads(a.read_text())["contains_pickle"] is True
    left, right, same = (load_checkpoint(p) for p in (a, b, c))
    assert repr(left.agent_state["value"]).startswith("<pickled argparse.Namespace sha256:")
    sections = dict(diff_lines(left, right))
    assert list(sections) == ["state"]
    assert diff_lines(left, same) == []
    assert load_checkpoint(a, allow_pickle=True).agent_state["value"] == Namespace(n=1)


def test_the_pickles_of_a_file_whose_signature_no_longer_holds_are_not_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.errors import UntrustedCheckpointError

    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "k" * 32)
    path = _saved(tmp_path, "signed.ckpt", Namespace(n=1))
    assert load_checkpoint(path, allow_pickle=True).agent_state["value"] == Namespace(n=1)
    path.write_text(path.read_text().replace('"run"', '"r_n"'))
    with pytest.raises(UntrustedCheckpointError, match="not validly signed"):
        load_checkpoint(path, allow_pickle=True)


def test_values_of_classes_not_imported_are_shown_by_their_stored_fields(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "kinds.py").write_text(
        "import dataclasses, enum\n"
        "class Tier(enum.Enum):\n    GOLD = 'gold'\n"
        "@dataclasses.dataclass\nclass Order:\n    sku: str\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    import kinds

    path = _saved(tmp_path, "other.ckpt", {"tier": kinds.Tier.GOLD, "order": kinds.Order("K-1")})
    other = _saved(tmp_path, "other2.ckpt", {"tier": kinds.Tier.GOLD, "order": kinds.Order("K-2")})
    assert load_checkpoint(path).agent_state["value"]["order"] == kinds.Order("K-1")

    monkeypatch.delitem(sys.modules, "kinds")  # importable, but inspection imports nothing
    state = load_checkpoint(path).agent_state["value"]
    assert "kinds" not in sys.modules
    # shown and compared by their stored fields
    assert repr(state["tier"]) == "Tier(name='GOLD', value='gold')"
    assert repr(state["order"]) == "Order(sku='K-1')"
    assert type(state["order"]).__module__ == "pytest_clearstone.codec.views"
    again = load_checkpoint(path).agent_state["value"]
    assert again == state and type(again["order"]) is type(state["order"])
    changed = load_checkpoint(other).agent_state["value"]
    assert changed["order"] != state["order"] and changed["tier"] == state["tier"]
    assert "kinds" not in sys.modules
    # inside a value of a class that is imported: the same, and a pickle is a placeholder
    sys.modules["kinds"] = kinds
    held = _saved(tmp_path, "held.ckpt", Holder(kinds.Order("K-3"), Namespace(n=1)))
    del sys.modules["kinds"]
    shown = load_checkpoint(held).agent_state["value"]
    assert "kinds" not in sys.modules
    assert repr(shown.item) == "Order(sku='K-3')"
    assert repr(shown.extra).startswith("<pickled argparse.Namespace sha256:")


def test_a_value_of_a_tag_this_version_does_not_know_is_shown_by_its_fields() -> None:
    # (a golden written by a later version: the rest of the value is still shown)
    from pytest_clearstone.codec.views import safe_decode

    shown = safe_decode({"n": 1, "later": {"__cs__": "from_a_later_version", "x": 2}})
    assert repr(shown) == "{'n': 1, 'later': from_a_later_version(x=2)}"


def test_values_of_two_classes_not_imported_with_the_same_fields_differ() -> None:
    from pytest_clearstone.codec.views import safe_decode

    def stored(tag: str, path: str) -> object:
        named_by = "type" if tag == "custom" else "cls"
        return safe_decode({"__cs__": tag, named_by: path, "v": {"cents": 1}})

    money, refund = stored("dataclass", "app.money:Money"), stored("dataclass", "app.money:Refund")
    assert (repr(money), repr(refund)) == ("Money(cents=1)", "Refund(cents=1)")
    assert money != refund and money == stored("dataclass", "app.money:Money")
    # a value of a type registered with the codec: named by its class too
    assert repr(stored("custom", "app.money:Money")) == "Money(cents=1)"


def test_a_value_whose_stored_class_names_a_loaded_function_is_shown_by_its_fields() -> None:
    # (an edited file: only a class is decoded as itself; json is imported, json.dumps no class)
    from pytest_clearstone.codec.views import safe_decode

    shown = safe_decode({"__cs__": "dataclass", "cls": "json:dumps", "v": {"a": 1}})
    assert repr(shown) == "dumps(a=1)"


def test_values_of_classes_not_imported_inside_a_list_are_shown_by_their_fields() -> None:
    from pytest_clearstone.codec.views import safe_decode

    stored = {"__cs__": "dataclass", "cls": "app.money:Money", "v": {"cents": 1}}
    assert repr(safe_decode({"refunds": [stored]})) == "{'refunds': [Money(cents=1)]}"


def test_a_value_of_a_class_not_imported_keeps_its_tag_and_escapes_its_field_names() -> None:
    from pytest_clearstone.codec.views import safe_decode

    shown = safe_decode({"__cs__": "dataclass", "cls": "app.money:Money", "v": {"a\x1b[2J": 1}})
    assert type(shown).stored_tag == "dataclass"
    assert "\x1b" not in repr(shown)


def test_a_generic_model_s_view_is_named_with_its_arguments() -> None:
    from pytest_clearstone.codec.views import stored_class_name

    paths = ["app.pairs:Pair", "app.trips:Trip", "builtins:int"]
    assert stored_class_name({}, paths) == "Pair[Trip, int]"


def test_a_stored_model_not_imported_shows_the_fields_its_file_says_were_set() -> None:
    from pytest_clearstone.codec.views import safe_decode

    def view(tag: str, fields_set: object, extra: object = None) -> object:
        stored = {"__cs__": tag, "cls": "app.m:Fare", "v": {"ab": 1, "c": 2}, "set": fields_set}
        return safe_decode(stored if extra is None else {**stored, "extra": extra})

    assert repr(view("pydantic", ["ab"])) == repr(view("pydantic.v1", ["ab"])) == "Fare(ab=1)"
    assert repr(view("pydantic", "ab")) == "Fare(ab=1, c=2)"  # (edited: not a list, every field)
    # (a file that does not say: every stored field and extra; the order they were set in no
    # difference)
    assert repr(view("pydantic", None, {"x": 3})) == "Fare(ab=1, c=2, x=3)"
    assert view("pydantic", ["c", "ab"]) == view("pydantic", ["ab", "c"])
    assert view("pydantic", None, ["x"]).model_fields_set == ["ab", "c"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("tag", ["pydantic", "pydantic.v1"])
def test_a_stored_model_whose_fields_are_no_object_shows_what_it_holds(tag: str) -> None:
    # (a hand-edited file, as a pull request may bring: a reviewer's `show` and `diff` see the
    # text, not "system()"; decoding it is refused, nothing runs)
    from pytest_clearstone.codec.views import safe_decode

    shown = safe_decode({"__cs__": tag, "cls": "os:system", "v": "rm -rf ~"})
    assert repr(shown) == "system(value='rm -rf ~')"


def test_a_parsed_completion_of_a_model_not_imported_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai is imported, the app's response model (a type argument) is not: neither is imported
    from openai.types.chat import ParsedChatCompletionMessage

    from pytest_clearstone.codec import encode
    from pytest_clearstone.codec.views import safe_decode

    (tmp_path / "trips.py").write_text(
        "from pydantic import BaseModel\n\nclass Trip(BaseModel):\n    city: str\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import trips

    message = ParsedChatCompletionMessage[trips.Trip](
        role="assistant", content=None, parsed=trips.Trip(city="Paris")
    )
    tree = encode(message)
    response_format = encode(ParsedChatCompletionMessage[trips.Trip])  # (the class itself)
    monkeypatch.delitem(sys.modules, "trips")
    shown = safe_decode(tree)
    assert "trips" not in sys.modules
    assert repr(shown.parsed) == "Trip(city='Paris')"
    assert type(shown).__name__ == "ParsedChatCompletionMessage[Trip]"
    assert not hasattr(shown, "set")  # (which fields were set: not a field)
    assert type(safe_decode(response_format)).__name__ == "ParsedChatCompletionMessage[Trip]"
    assert "trips" not in sys.modules


def test_an_undecodable_value_is_shown_as_such_and_live_values_in_tuples_by_their_fields() -> None:
    from pytest_clearstone.codec.views import comparable_fields, safe_decode

    shown = safe_decode({"__cs__": "date", "v": "not a date"})
    assert repr(shown).startswith("<undecodable: bad 'date' value")
    (compared,) = comparable_fields((Destination(city="Paris"),))
    assert type(compared) is not Destination and repr(compared) == "Destination(city='Paris')"


def test_live_values_in_a_list_inside_a_live_value_are_compared_by_their_fields() -> None:
    from pytest_clearstone.codec.views import comparable_fields

    compared = comparable_fields(Route(stops=[Destination(city="Paris")]))
    (stop,) = compared.stops
    assert type(stop) is not Destination and repr(stop) == "Destination(city='Paris')"
    assert repr(compared) == "Route(stops=[Destination(city='Paris')])"  # (its set fields)


def test_bad_files_keep_their_reasons(tmp_path):
    # (a UTF-16 byte order mark alone is read as UTF-16 text: none)
    for data, reason in [(b"", "the file is empty"), (b"\x80\x81", "not UTF-8 text"),
                         (b"\xff\xfe", "the file is empty"), (b" \n\t", "the file is empty"),
                         (b"[1,", "truncated or not JSON")]:  # fmt: skip
        path = tmp_path / "bad.ckpt"
        path.write_bytes(data)
        with pytest.raises(CheckpointCorruptError, match=reason):
            load_checkpoint(path)


def test_a_methods_self_is_shown_after_the_arguments_that_change() -> None:
    # show --calls at 80 columns gave the whole line to the SDK resource's reference, and never
    # showed the prompt or the model
    from pytest_clearstone.inspection import arguments_text

    recorded = {
        "self": "Completions(path='chat.completions', client=OpenAI(base_url='https://api.o/v1'))",
        "messages": [{"role": "user", "content": "hi"}],
        "model": "gpt-4o-mini",
    }
    text = arguments_text(recorded, 200)
    assert text.startswith("messages=[{'role': 'user', 'content': 'hi'}], model='gpt-4o-mini', ")
    assert 'self="Completions(' in text


def test_clip_keeps_a_text_of_exactly_the_width() -> None:
    assert clip("abcde", 5) == "abcde"
    assert clip("abcdef", 5) == "ab..."


def test_a_call_marked_error_by_hand_shows_its_message_not_its_output() -> None:
    from pytest_clearstone.inspection import call_parts
    from pytest_clearstone.tracing.span import Recorded

    span = Span(trace_id="t", span_id="s", parent_span_id=None, name="create", span_type="llm",
                start_time_ns=1, status="ERROR", status_message="refused: policy",
                output=Recorded.of("partial"))  # fmt: skip
    assert call_parts(span) == {"error": "refused: policy"}


def test_a_typed_span_that_recorded_nothing_is_no_call() -> None:
    from pytest_clearstone.inspection import recorded_calls

    step = Span(trace_id="t", span_id="s", parent_span_id=None, name="plan", span_type="chain",
                start_time_ns=1, end_time_ns=2)  # fmt: skip
    assert recorded_calls([step]) == []


class _RateLimited(Exception):
    pass


class _Agent:
    def __init__(self) -> None:
        self.answers: list[str] = []


def _failed_call(tmp_path: Path, name: str, retry_after: int) -> Path:
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    error = _RateLimited("slow down")
    error.body = {"retry_after": retry_after}  # type: ignore[attr-defined]
    with (
        tracer.span("run") as root,
        pytest.raises(_RateLimited),
        tracer.span("create", span_type="llm"),
    ):
        raise error
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()
    manager = CheckpointManager(tmp_path)
    return manager.save_checkpoint(manager.create_checkpoint(_Agent(), trace, root.span_id), name)


def test_a_diff_shows_a_changed_error_attribute_under_the_same_message(tmp_path: Path) -> None:
    # (a 429's body the agent reads: the message alone does not show it changed)
    a = load_checkpoint(_failed_call(tmp_path, "a.ckpt", 3))
    b = load_checkpoint(_failed_call(tmp_path, "b.ckpt", 30))
    sections = dict(diff_lines(a, b))
    assert sections["create #1"] == ["error.attributes['body']['retry_after']: 3 -> 30"]


def _asked(tmp_path: Path, name: str, prompts: list[str], target: str = "") -> Path:
    """A golden whose run made one ``ask`` call per prompt, each recording its prompt (and
    naming ``target``, as the recorder names the mocked target of a call)."""
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("agent")
    with tracer.span("run") as root:
        for prompt in prompts:
            with tracer.span("ask", span_type="llm") as call:
                call.set_input({"prompt": prompt})
                if target:
                    call.set_attribute(TARGET_ATTRIBUTE, target)
                call.set_output(prompt.upper())
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()
    manager = CheckpointManager(tmp_path)
    return manager.save_checkpoint(manager.create_checkpoint(_Agent(), trace, root.span_id), name)


def test_a_diff_names_a_call_added_or_removed_by_its_arguments(tmp_path: Path) -> None:
    one = load_checkpoint(_asked(tmp_path, "one.ckpt", ["hi"]))
    two = load_checkpoint(_asked(tmp_path, "two.ckpt", ["hi", "more"]))
    assert dict(diff_lines(one, two))["ask #2"] == ["added: prompt='more'"]
    assert dict(diff_lines(two, one))["ask #2"] == ["removed: prompt='more'"]


def test_a_folder_given_as_a_checkpoint_names_its_first_checkpoint_in_name_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(whatever order the file system lists them in: here, the reverse one)"""
    import os

    listed = os.walk

    def walk(top: Path) -> Any:
        for root, folders, files in listed(top):
            folders.sort(reverse=True)
            files.sort(reverse=True)
            yield root, folders, files

    for folder in ("zeta", "alpha"):
        (tmp_path / "goldens" / folder).mkdir(parents=True)
        for name in ("z.ckpt", "a.ckpt", "notes.txt"):
            (tmp_path / "goldens" / folder / name).write_text("{}")
    monkeypatch.setattr(os, "walk", walk)
    with pytest.raises(CheckpointCorruptError) as refused:
        load_checkpoint(tmp_path / "goldens")
    assert refused.value.fix == (
        f"Give a .ckpt file in it, such as {tmp_path / 'goldens' / 'alpha' / 'a.ckpt'}"
    )


def test_a_folder_given_as_a_checkpoint_is_looked_through_for_a_thousand_folders(
    tmp_path: Path,
) -> None:
    """(itself and the first 1000 below it, in name order: the 1002nd is not looked into)"""
    for n in range(1001):
        (tmp_path / "goldens" / f"f{n:04}").mkdir(parents=True)
    (tmp_path / "goldens" / "f1000" / "late.ckpt").write_text("{}")
    with pytest.raises(CheckpointCorruptError) as refused:
        load_checkpoint(tmp_path / "goldens")
    assert refused.value.fix == "Give the path of a .ckpt file in it"
    (tmp_path / "goldens" / "f0999" / "last.ckpt").write_text("{}")
    with pytest.raises(CheckpointCorruptError) as refused:
        load_checkpoint(tmp_path / "goldens")
    assert refused.value.fix.endswith("last.ckpt")


def test_a_span_time_beyond_64_bits_is_named_with_its_digits_cut(tmp_path: Path) -> None:
    path = _asked(tmp_path, "wide.ckpt", ["hi"])
    doc = json.loads(path.read_text())
    doc["trace"]["spans"][0]["start_time_ns"] = 10**40
    path.write_text(json.dumps(doc))
    with pytest.raises(CheckpointCorruptError) as refused:
        load_checkpoint(path)
    assert refused.value.problem.endswith(
        "has a start_time_ns beyond 64 bits (100000000000000000000...)"
    )


def test_a_span_time_of_the_largest_64_bit_integer_is_read(tmp_path: Path) -> None:
    path = _asked(tmp_path, "widest.ckpt", ["hi"])
    doc = json.loads(path.read_text())
    doc["trace"]["spans"][0]["end_time_ns"] = 2**63 - 1
    path.write_text(json.dumps(doc))
    assert load_checkpoint(path).trace.spans[0].end_time_ns == 2**63 - 1


def test_what_show_json_says_of_a_golden_and_its_spans(tmp_path: Path) -> None:
    from pytest_clearstone.inspection import show_document

    path = _asked(tmp_path, "run.ckpt", ["hi"])
    doc = json.loads(path.read_text())
    doc["outcome"] = {"function": "app.run", "result": 3}
    path.write_text(json.dumps(doc))
    shown = show_document(load_checkpoint(path), path)
    assert shown["golden_function"] == "app.run"
    run, ask = shown["spans"]
    assert (run["depth"], run["name"], run["parent_span_id"]) == (0, "run", None)
    assert (ask["depth"], ask["name"], ask["parent_span_id"]) == (1, "ask", run["span_id"])


def test_a_recorded_call_is_keyed_by_its_target_when_it_has_one() -> None:
    from pytest_clearstone.inspection import recorded_calls
    from pytest_clearstone.tracing.span import Recorded

    call = Span(trace_id="t", span_id="s", parent_span_id=None, name="create", start_time_ns=1,
                attributes={TARGET_ATTRIBUTE: "app.llm"}, output=Recorded.of("hi"))  # fmt: skip
    assert [key for key, _ in recorded_calls([call])] == ["app.llm #1"]


def test_the_canonical_form_gives_a_failed_spans_message(tmp_path: Path) -> None:
    from pytest_clearstone.inspection import canonical_lines

    path = _failed_call(tmp_path, "failed.ckpt", 3)
    lines = canonical_lines(path.read_bytes(), path)
    assert "    create [llm] ERROR _RateLimited: slow down" in lines


def test_the_canonical_form_keys_a_call_by_its_target_and_leaves_the_target_out_of_its_attributes(
    tmp_path: Path,
) -> None:
    from pytest_clearstone.inspection import canonical_lines

    path = _asked(tmp_path, "target.ckpt", ["hi"], target="app.llm")
    lines = canonical_lines(path.read_bytes(), path)
    assert "call app.llm #1 [llm]" in lines
    assert "  attributes:" not in lines and not any(TARGET_ATTRIBUTE in line for line in lines)


def test_a_verbose_diff_shows_a_value_whose_type_changed_whole() -> None:
    from pytest_clearstone.inspection import value_lines

    long = "y" * 200
    lines = value_lines({"a": 1}, {"a": long}, width=60, verbose=True)
    assert lines == [f"root['a']: 1 -> {long!r}"]


def test_a_text_that_gains_a_line_break_is_diffed_line_by_line() -> None:
    from pytest_clearstone.inspection import value_lines

    assert value_lines({"a": "x"}, {"a": "x\ny"}, width=100, verbose=False) == [
        "root['a']: (text, line by line)",
        "  @@ -1 +1,2 @@",
        "   x",
        "  +y",
    ]


def test_a_text_as_wide_as_the_width_is_shown_on_one_line() -> None:
    from pytest_clearstone.inspection import value_lines

    assert value_lines({"a": "abcdefgh"}, {"a": "abcdefgX"}, width=10, verbose=False) == [
        "root['a']: 'abcdefgh' -> 'abcdefgX'"
    ]


def test_a_text_diff_shows_one_line_around_a_change_and_verbose_lines_whole() -> None:
    from pytest_clearstone.inspection import value_lines

    lines = value_lines({"a": "l1\nl2\nl3\nl4"}, {"a": "l1\nl2\nX\nl4"}, width=100, verbose=False)
    assert lines[1:] == ["  @@ -2,3 +2,3 @@", "   l2", "  -l3", "  +X", "   l4"]
    old, new = "x" * 300, "y" * 300
    assert value_lines({"b": old}, {"b": new}, width=60, verbose=True)[1:] == [
        "  @@ -1 +1 @@",
        f"  -{old}",
        f"  +{new}",
    ]


def test_a_diff_names_a_golden_outcome_one_file_has_with_each_of_its_runs(tmp_path: Path) -> None:
    without = _asked(tmp_path, "without.ckpt", ["hi"])
    doc = json.loads(without.read_text())
    doc["outcome"] = {"function": "run", "result": 3, "then": [{"function": "follow_up"}]}
    with_it = tmp_path / "with.ckpt"
    with_it.write_text(json.dumps(doc))
    a, b = load_checkpoint(without), load_checkpoint(with_it)
    assert dict(diff_lines(a, b))["golden outcome"] == ["added: run() -> 3, follow_up()"]
    assert dict(diff_lines(b, a))["golden outcome"] == ["removed: run() -> 3, follow_up()"]


def test_the_canonical_form_sorts_keys_keeps_text_as_it_is_and_names_a_pickle(
    tmp_path: Path,
) -> None:
    from pytest_clearstone.inspection import canonical_lines

    path = _saved(tmp_path, "state.ckpt", {"z": "café", "a": Namespace(n=1)})
    lines = canonical_lines(path.read_bytes(), path)
    state = lines[lines.index("state:") + 1 : lines.index("spans:")]
    assert state[2].startswith('      "a": "<pickled argparse.Namespace sha256:')
    assert state[3] == '      "z": "café"'
