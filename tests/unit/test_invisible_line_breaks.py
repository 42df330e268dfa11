"""A text holding U+2028/U+2029 (line and paragraph separators: a PDF's or a web page's text an
agent read) or a bidirectional control (U+202E, which shows the characters after it in reverse)
was written into the golden as it is: invisible in a review, taken as a line break by Python's
``splitlines`` and by editors (VS Code offers to remove "unusual line terminators" on opening
the file, which changes the golden), so the file was not reviewable line by line. They are now
written as their JSON escapes, read back as the same text."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from pytest_clearstone.debugging import CheckpointManager

from .test_checkpoint import AGENTS_DIR, _checkpoint


@pytest.fixture
def agents(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return {name: importlib.import_module(name) for name in ("cs_state", "cs_recording")}


@pytest.mark.parametrize("orjson_installed", [True, False])
def test_invisible_line_breaks_and_direction_controls_are_escaped(
    agents: dict[str, ModuleType],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    orjson_installed: bool,
) -> None:
    if not orjson_installed:
        from pytest_clearstone.codec import tags
        from pytest_clearstone.golden import document

        monkeypatch.setattr(tags, "orjson", None)
        monkeypatch.setattr(document, "orjson", None)
    state = {
        "page": "first\u2028second\u2029third",
        "name": "invoice\u202efdp.exe",
        "isolated": "\u2066a\u2069 ok ✓ \u200d",
        "key\u2028": 1,
    }
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent(**state))
    path = CheckpointManager(tmp_path).save_checkpoint(checkpoint, "page.ckpt")
    text = path.read_bytes().decode("utf-8")
    assert text.splitlines() == text.split("\n")[:-1]
    for raw in ("\u2028", "\u2029", "\u202e", "\u2066", "\u2069"):
        assert raw not in text
    assert '"first\\u2028second\\u2029third"' in text and "ok ✓ \u200d" in text
    assert '"invoice\\u202efdp.exe"' in text  # (as json.dumps escapes it: the same on re-record)
    assert CheckpointManager(tmp_path).load_checkpoint(path).agent_state == state
