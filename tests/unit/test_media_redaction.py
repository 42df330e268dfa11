"""The fields kept as content by the redaction (the base64 of media, model output) are kept only
when they hold what the API puts there — a text, a list of numbers — not a dict, which is walked
and redacted as any other."""

from __future__ import annotations

from pytest_clearstone.redaction import Redactor


def test_a_dict_under_a_kept_field_is_redacted() -> None:
    # Before the fix: {"type": "image", "data": {...}} (MCP's ImageContent rule) and the other
    # content rules kept whatever the field held, a dict with an api_key included
    redact = Redactor()
    for kind in ("image", "audio", "file", "base64"):
        block = {"type": kind, "data": {"api_key": "live-key-0123456789", "note": "ok"}}
        assert redact(block) == {"type": kind, "data": {"api_key": "[REDACTED]", "note": "ok"}}


def test_the_base64_of_a_small_image_is_kept() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLv"
    redact = Redactor()
    for block in (
        {"type": "image", "base64": png, "mime_type": "image/png"},
        {"type": "base64", "media_type": "image/png", "data": png},
        {"data": png, "format": "wav"},
        {"b64_json": png, "revised_prompt": "a dot"},
    ):
        assert redact(block) == block
        assert not redact.scan(block)
