"""Mutation round 29 (m7): tests killing survivors in the code the sessions since 9044de31
added (diff's JSON text and base64 signature lines, the shortened value's ellipsis rule, ...)."""

from __future__ import annotations

import base64
import json
import os
import sysconfig
import types

import openai
import pytest

from pytest_clearstone.diff import StateDelta, _opaque_base64, _shortened
from pytest_clearstone.frames import users_call
from pytest_clearstone.golden.aliases import nothing_recorded, side_requests
from pytest_clearstone.golden.provider_credentials import with_other_credentials
from pytest_clearstone.golden.recording import RecordingRun
from pytest_clearstone.golden.tmp_path_texts import _texts

OLD = base64.b64encode(bytes(range(256)) * 2).decode()
NEW = base64.b64encode(bytes(reversed(range(256))) * 2).decode()


# -- diff._shortened: the ellipsis never stands for three characters or fewer --------------------


def test_a_cut_of_exactly_three_characters_at_the_start_is_not_made() -> None:
    text = "x" * 27 + "A" + "y" * 100  # (differs at 27: lo = 27 - 24 = 3)
    other = "x" * 27 + "B" + "y" * 100
    shown = _shortened(text, other, full=False)
    assert shown == text[:80] + "...", shown


def test_a_cut_of_exactly_three_characters_at_the_end_is_not_made() -> None:
    text = "x" * 83  # (80 shown, 3 left)
    assert _shortened(text, None, full=False) == text


def test_a_cut_of_four_characters_at_the_end_is_made() -> None:
    text = "x" * 84
    assert _shortened(text, None, full=False) == "x" * 80 + "..."


# -- diff._opaque_base64 and the signature line ---------------------------------------------------


def test_only_base64_with_a_letter_and_a_digit_is_opaque() -> None:
    assert _opaque_base64(OLD)
    assert not _opaque_base64("Thequickbrownfoxjumpsoverthelazydog" * 3)  # (no digit)
    assert not _opaque_base64("0123456789+/" * 10)  # (no letter)
    assert not _opaque_base64("0123456789abcdef" * 10)  # (hex digits: a hash, diffed)


def test_a_signature_of_letters_only_is_diffed() -> None:
    old = {"signature": "Abcdefghij" * 12}
    new = {"signature": "Abcdefghij" * 11 + "Klmnopqrst"}
    lines = StateDelta(old, new, width=100).text_lines
    assert lines[0] == "root['signature']: text differs (- before, + after):", lines


def test_a_signature_attribute_is_one_short_line() -> None:
    old = types.SimpleNamespace(signature=OLD)
    new = types.SimpleNamespace(signature=NEW)
    lines = StateDelta(old, new, width=100).text_lines
    assert lines[0].startswith("root.signature: base64 text differs ("), lines


def test_a_base64_signature_changed_into_text_is_diffed() -> None:
    new = "not base64 at all, " * 30
    lines = StateDelta({"signature": OLD}, {"signature": new}, width=100).text_lines
    assert "base64 text differs" not in "\n".join(lines), lines
    assert lines[0] == "root['signature']: text differs (- before, + after):", lines


# -- diff._json_text_diff ------------------------------------------------------------------------


def _many(n: int, changed: bool) -> str:
    return json.dumps({f"key{i:03d}": ("new" if changed else "old") for i in range(n)})


def test_a_json_text_with_many_changed_places_is_cut_after_forty() -> None:
    lines = StateDelta({"t": _many(45, False)}, {"t": _many(45, True)}, width=100).text_lines
    assert lines[0] == "root['t']: JSON text differs (paths inside it):", lines
    assert len(lines) == 42, lines
    assert lines[-1] == "  ... (5 more; -vv shows all)", lines


def test_under_vv_a_json_text_shows_every_changed_place() -> None:
    lines = StateDelta(
        {"t": _many(45, False)}, {"t": _many(45, True)}, width=100, verbosity=2
    ).text_lines
    assert lines[0].startswith("root['t']: JSON text differs (paths inside it)"), lines
    assert len(lines) == 46, lines
    assert not any("more;" in line for line in lines), lines


def test_a_long_json_array_text_names_the_place_inside_it() -> None:
    old = json.dumps([{"day": d, "sky": "cloudy"} for d in range(6)])
    new = json.dumps([{"day": d, "sky": "sunny" if d == 3 else "cloudy"} for d in range(6)])
    lines = StateDelta({"t": old}, {"t": new}, width=100).text_lines
    assert lines == [
        "root['t']: JSON text differs (paths inside it):",
        "  [3].sky: 'cloudy' -> 'sunny'",
    ], lines


def test_a_json_text_whose_whole_value_changed_keeps_its_text_diff() -> None:
    old = json.dumps({f"key{i}": i for i in range(20)})
    new = json.dumps([f"key{i}" for i in range(20)])
    lines = StateDelta({"t": old}, {"t": new}, width=100).text_lines
    assert lines[0] == "root['t']: text differs (- before, + after):", lines
    assert "whole schema" not in "\n".join(lines), lines


# -- provider_credentials._openai_module_client_is_azure -----------------------------------------


@pytest.mark.parametrize("name", ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"])
def test_an_empty_azure_variable_makes_the_module_client_an_azure_one_as_openai_decides(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openai asks whether the variable is set (``is not None``), not whether it is empty: a
    placeholder in ``OPENAI_API_KEY`` beside an empty Azure key made the client refuse to
    choose (``Ambiguous use of module client``)."""
    for other in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for setting in ("api_type", "azure_endpoint", "azure_ad_token", "azure_ad_token_provider"):
        monkeypatch.setattr(openai, setting, None)
    monkeypatch.setenv(name, "")
    assert with_other_credentials(("OPENAI_API_KEY",), os.environ) == {"OPENAI_API_KEY"}


# -- frames.users_call: last= and then= -----------------------------------------------------------


def _frame_of(source: str, filename: str, module: str) -> types.FrameType:
    namespace: dict[str, object] = {"__name__": module}
    exec(compile(source, filename, "exec"), namespace)
    frame = namespace["frame"]
    assert isinstance(frame, types.FrameType)
    return frame


def test_users_call_goes_on_past_last_through_every_frame_then_gives() -> None:
    """A task's first frame (``last``), then what the tasks that started it await (``then``,
    innermost first): the walk goes through all of them to the user's frame."""
    stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"])
    source = "import sys\nframe = sys._getframe()"
    first = _frame_of(source, os.path.join(stdlib, "httpx_like", "connect.py"), "lib.connect")
    awaited = _frame_of(source, os.path.join(stdlib, "httpx_like", "client.py"), "lib.client")
    group = _frame_of(source, os.path.join(stdlib, "httpx_like", "group.py"), "lib.group")
    user = _frame_of(source, os.path.abspath("app_agent.py"), "app_agent")
    found = users_call(first, last=first, then=[awaited, group, user])
    assert found == "lib.group.<module>, called at app_agent.py:2 (in <module>)", found
    assert users_call(first, last=first, then=[awaited]) == ""


# -- tmp_path_texts._texts: made as asked ------------------------------------------------


def test_a_dict_that_changes_size_while_its_texts_are_made_leaves_its_items() -> None:
    state = {"a": "x", "b": "y", "nested": ["z"]}
    texts = _texts(state)
    assert next(texts) == ("root['a']", "x")
    state["c"] = "w"  # (the agent's dict changed meanwhile: no RuntimeError out of the walk)
    assert list(texts) == []


def test_an_object_met_again_is_not_walked_again() -> None:
    state: dict[str, object] = {}
    state["self"] = state  # (depth first: a cycle walked again would hide the text after it)
    state["db_path"] = "/tmp/pytest-of-u/pytest-1/test_x0/db.sqlite"
    assert list(_texts(state)) == [("root['db_path']", state["db_path"])]


def test_a_module_in_the_state_is_not_walked() -> None:
    module = types.ModuleType("settings_module")
    module.db_path = "/tmp/pytest-of-u/pytest-1/test_x0/db.sqlite"  # type: ignore[attr-defined]
    assert list(_texts({"settings": module, "name": "x"})) == [("root['name']", "x")]


def test_a_state_is_looked_at_its_first_ten_thousand_values_exactly() -> None:
    # (the list itself is the first value looked at: then 9,999 of its texts)
    assert len(list(_texts(["a text"] * 10_000))) == 9_999


# -- aliases: side_requests and nothing_recorded's called_instead lines ----------------------------

ANTHROPIC_MESSAGES = "anthropic.resources.messages.messages.Messages"
RESPONSES = "openai.resources.responses.responses.Responses"


@pytest.mark.parametrize("prefix", ["", "Async"])
def test_a_polled_background_response_is_a_side_request_of_responses_create(prefix: str) -> None:
    owner = f"openai.resources.responses.responses.{prefix}Responses"
    found = side_requests(f"{owner}.create")
    assert f"{owner}.retrieve" in found, found
    assert f"{owner}.compact" in found, found


def test_the_stream_helper_called_instead_is_asked_about_as_the_stream_helper() -> None:
    """Its answer holds the live stream: "mock it instead" would not replay; the helper's own
    hint says what to mock."""
    target, helper = f"{ANTHROPIC_MESSAGES}.create", f"{ANTHROPIC_MESSAGES}.stream"
    lines = nothing_recorded(
        "t.py::test_a", [("llm", target)], None, called_instead={helper: target}
    ).splitlines()
    assert lines[1].startswith(f"  does the agent call `{helper}`? (the stream helper"), lines
    assert not any(line.startswith(f"  the agent called `{helper}`") for line in lines), lines


def test_pydantic_ais_request_stream_called_instead_is_told_the_sdk_method_to_mock() -> None:
    pytest.importorskip("pydantic_ai.models.openai")
    model = "pydantic_ai.models.openai.OpenAIChatModel"
    target, streamed = f"{model}.request", f"{model}.request_stream"
    text = nothing_recorded(
        "t.py::test_a", [("llm", target)], None, called_instead={streamed: target}
    )
    assert f"the agent called `{streamed}`" not in text, text
    sdk = "openai.resources.chat.completions.AsyncCompletions.create"
    assert f"  does the agent call `{streamed}`? (" in text, text
    assert f"mock the SDK method it sends by instead, `{sdk}`" in text, text


# -- recording.RecordingRun.called_instead --------------------------------------------------------


def test_called_instead_leaves_out_side_requests_and_other_providers_models() -> None:
    """A side request (``count_tokens`` beside ``create``) or another provider's model called
    (beside a pydantic-ai target) makes no request of the target's: not called instead of it,
    so an earlier test's cache is still suspected for the target."""
    target = f"{ANTHROPIC_MESSAGES}.create"
    twin = "anthropic.resources.messages.messages.AsyncMessages.create"
    count = f"{ANTHROPIC_MESSAGES}.count_tokens"
    other_model = "pydantic_ai.models.anthropic.AnthropicModel.request"
    run = object.__new__(RecordingRun)  # (the property reads these only)
    run.recorder = types.SimpleNamespace(unmocked={twin: 1, count: 1, other_model: 1})  # type: ignore[assignment]
    run._watched = {name: ("llm", target) for name in (twin, count, other_model)}
    run._beside = {count}
    run._other_models = {other_model}
    assert run.called_instead == {twin: target}


# -- plugin._node_id_parts: a golden's node id as the fix names its parts --------------------------


def test_the_parts_of_a_node_id_are_its_files_name_classes_and_test_without_ids() -> None:
    from pytest_clearstone.plugin import _node_id_parts

    assert _node_id_parts("tests/sub/test_m.py::TestX::TestY::test_y[a/b::c]") == (
        "test_m.py",
        "TestX.TestY",
        "test_y",
    )
    assert _node_id_parts("test_m.py::test_y") == ("test_m.py", "", "test_y")
