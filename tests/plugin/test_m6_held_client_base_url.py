"""An SDK client the agent holds, met by the redaction's walk over the state (no call made
through it): the secrets of its own settings are the ones noted, not those of the HTTP client it
sends with (an SDK client's ``_client``; a resource's ``_client`` is its SDK client)."""

from __future__ import annotations

import pytest

KEY = "Jm5Rw8Tq2Lc6Xb9Vn3Hd7P"

HOLDER_APP = """
import anthropic
import httpx2
import openai


def lookup(q):
    return "found " + q


class Holder:
    def __init__(self, cls, **kw):
        http = httpx2.Client(transport=httpx2.MockTransport(lambda request: httpx2.Response(500)))
        self.client = cls(api_key="unused", max_retries=0, http_client=http, **kw)
        self.answers = []

    def ask(self, q):
        self.answers.append(lookup(q))
        return self.answers[-1]
"""


@pytest.mark.parametrize("sdk", ["openai.OpenAI", "anthropic.Anthropic"])
def test_a_key_in_the_base_url_of_a_client_the_agent_holds_and_makes_no_call_through_fails(
    pytester: pytest.Pytester, sdk: str
) -> None:
    """The client is stored as a reference with its base URL, key and all; the walk over the
    state looked at the base URL of the client's HTTP client (its ``_client``: given by the
    agent, ``http_client=``, it has none) and the golden was written holding the key. The
    recording fails naming the setting, and writes nothing."""
    for name in ("openai", "anthropic", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(
        holder_app=HOLDER_APP,
        test_holder=f"""
import anthropic
import openai
import pytest
import holder_app


@pytest.mark.replay("goldens/holder.ckpt", mock={{"tool": "holder_app.lookup"}})
def test_holder(replay):
    holder = holder_app.Holder({sdk}, base_url="https://gw.corp.example/v1?api-key={KEY}&x=1")
    assert replay.run(holder.ask, "Spam?") == "found Spam?"
""",
    )
    result = pytester.runpytest("--clearstone-record", "test_holder.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*holder.ckpt: the api-key query parameter in the base URL of an {sdk} client "
            "(*pass the parameter as default_query= instead) is in the agent state at "
            "state?'client'?.base_url*"
        ]
    )
    assert KEY not in result.stdout.str()
    assert not (pytester.path / "goldens" / "holder.ckpt").exists()
    store = list((pytester.path / ".clearstone").iterdir())
    assert store and not any(KEY.encode() in path.read_bytes() for path in store)
