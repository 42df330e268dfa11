"""The clearstone_config fixture given the rest of vcrpy's keys (a ``vcr_config`` copied over):
each is told where the plugin takes what it says; a key vcrpy does not have adds no such note."""

from __future__ import annotations

import pytest

TEST = """
import pytest


@pytest.mark.replay("g.ckpt", mock={"tool": "json.dumps"})
def test_it(replay):
    pass
"""


def _error(pytester: pytest.Pytester, config: str) -> str:
    pytester.makepyfile(test_it=TEST)
    pytester.makeconftest(
        f"import pytest\n@pytest.fixture\ndef clearstone_config():\n    return {config}\n"
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(errors=1)
    return " ".join(result.stdout.str().split())


def test_vcrpys_filters_hooks_and_localhost_keys_are_told_the_plugins_own(
    pytester: pytest.Pytester,
) -> None:
    out = _error(
        pytester,
        "{'filter_query_parameters': ['key'], 'filter_post_data_parameters': ['pw'], "
        "'before_record_request': None, 'before_record_response': None, "
        "'ignore_localhost': True}",
    )
    redaction = "the ini option clearstone_redact_keys (clearstone_redact_patterns for a pattern)"
    assert (
        "These are vcrpy's (pytest-recording's vcr_config): "
        f"filter_query_parameters is {redaction}, filter_post_data_parameters {redaction}, "
        f"before_record_request {redaction}, before_record_response {redaction}, "
        "ignore_localhost the ini option clearstone_allow_hosts"
    ) in out, out


def test_a_key_vcrpy_does_not_have_is_only_unknown(pytester: pytest.Pytester) -> None:
    out = _error(pytester, "{'mocks': {}}")
    assert "it returned unknown keys ['mocks']" in out, out
    assert "These are vcrpy's" not in out, out
