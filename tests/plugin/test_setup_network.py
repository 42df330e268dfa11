"""The network guard covers a replaying test's fixtures too: their calls are neither recorded nor
replayed, so a fixture that reaches the network would do so on every replay.

Every connection goes to a local HTTP stand-in of an embeddings API started by the test (or is
blocked before it leaves): the stand-in counts the requests it answered, so a blocked attempt
shows as a count that did not grow. Its address, 127.0.0.1, is not allowed by default.
"""

from __future__ import annotations

import http.server
import json
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local_servers import serving


class _Api(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.hits += 1  # type: ignore[attr-defined]
        data = {
            "object": "list",
            "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
            "data": [
                {"object": "embedding", "index": i, "embedding": [0.1, 0.2]}
                for i, _ in enumerate(body["input"])
            ],
        }
        out = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Api:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.port: int = server.server_address[1]

    @property
    def hits(self) -> int:
        return int(self.server.hits)


@pytest.fixture
def api() -> Iterator[Api]:
    """An embeddings API on 127.0.0.1 that counts the requests it answers."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    server.daemon_threads = True
    server.hits = 0  # type: ignore[attr-defined]
    with serving(server):
        yield Api(server)


RAG = """
import json
import urllib.request

URL = "http://127.0.0.1:{port}/v1/embeddings"


def embed(texts):
    request = urllib.request.Request(
        URL, data=json.dumps({{"model": "m", "input": texts}}).encode(),
        headers={{"content-type": "application/json"}})
    with urllib.request.urlopen(request, timeout=5) as response:
        return [d["embedding"] for d in json.load(response)["data"]]


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self, index):
        self.index = index

    def ask(self, question):
        return complete(f"{{question}} ({{len(self.index)}} docs)")
"""

TEST = """
import pytest
import rag


@pytest.mark.replay(mock={"llm": "rag.complete"})
def test_ask(replay, index):
    assert replay.run(rag.Agent(index).ask, "hi") == "answer to hi (2 docs)"
"""


def _project(pytester: pytest.Pytester, api: Api, conftest: str, test: str = TEST) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(rag=RAG.format(port=api.port), test_rag=textwrap.dedent(test))
    pytester.makeconftest(textwrap.dedent(conftest))


def _recorded(pytester: pytest.Pytester, api: Api, *args: str) -> None:
    """Record (never blocked: the fixture's call runs live) and check it reached the API."""
    before = api.hits
    pytester.runpytest("--clearstone-record", "-p", "no:randomly", *args).assert_outcomes(passed=1)
    assert api.hits > before


SESSION_INDEX = """
import pytest
import rag


@pytest.fixture(scope="{scope}")
def index():
    return rag.embed(["refund policy", "shipping"])
"""


@pytest.mark.parametrize("scope", ["session", "module", "function"])
def test_a_fixture_connecting_while_a_replaying_test_is_set_up_fails_its_set_up(
    pytester: pytest.Pytester, api: Api, scope: str
) -> None:
    # Expected: one error at set-up naming the test, the fixture, the host and port, that
    # fixture calls are not recorded, and the fixes. Before the fix: the fixture's call went to
    # the API on every replay, unseen, and the test passed.
    _project(pytester, api, SESSION_INDEX.format(scope=scope))
    _recorded(pytester, api)
    hits = api.hits
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_ask*",
            f"*NetworkBlockedError: test_rag.py::test_ask: the set-up of fixture 'index' "
            f"({scope} scope) tried to connect to 127.0.0.1 port {api.port} during the "
            f"replay; the network guard blocked it",
            "*Calls made by fixtures are neither recorded nor replayed*",
            "*inside the test*recorded data*mock*clearstone_allow_hosts*",
        ]
    )
    assert api.hits == hits  # the request never left


def test_a_blocked_connection_the_fixture_swallowed_still_fails_the_set_up(
    pytester: pytest.Pytester, api: Api
) -> None:
    # an SDK retry loop, or the fixture itself, turns the error into its own (or a fallback)
    conftest = """
    import pytest
    import rag


    @pytest.fixture(scope="session")
    def index():
        try:
            return rag.embed(["refund policy", "shipping"])
        except Exception:
            return ["offline", "offline"]
    """
    _project(pytester, api, conftest)
    _recorded(pytester, api)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*NetworkBlockedError: *the set-up of fixture 'index' (session scope)*{api.port}*"]
    )


@pytest.mark.parametrize("scope", ["function", "module"])
def test_a_fixture_connecting_in_its_teardown_errors_at_teardown(
    pytester: pytest.Pytester, api: Api, scope: str
) -> None:
    # (a module fixture the replaying test uses is finalised in its teardown: it is the last)
    conftest = f"""
    import pytest
    import rag


    @pytest.fixture(scope="{scope}")
    def index():
        yield ["refund policy", "shipping"]
        rag.embed(["cleanup"])  # (deleting what the test made, in a remote store)
    """
    _project(pytester, api, conftest)
    _recorded(pytester, api)
    hits = api.hits
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_ask*",
            "*NetworkBlockedError: test_rag.py::test_ask: the teardown of fixture 'index' "
            f"({scope} scope) tried to connect*",
        ]
    )
    assert api.hits == hits


def test_an_sdk_call_in_a_session_fixture_is_named_not_just_the_sdks_error(
    pytester: pytest.Pytester, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit's shape: a session fixture builds an embeddings index with the openai SDK
    while the tests mock ``Embeddings.create``; in CI (no key) the replay's fixture made its
    request with the placeholder key, and a real API answered 401 naming only the SDK."""
    pytest.importorskip("openai")
    conftest = f"""
    import openai
    import pytest


    @pytest.fixture(scope="session")
    def index():
        client = openai.OpenAI(base_url="http://127.0.0.1:{api.port}/v1", max_retries=0)
        return [d.embedding for d in client.embeddings.create(
            model="text-embedding-3-small", input=["a", "b"]).data]
    """
    test = """
    import pytest
    import rag

    MOCK = {"llm": "rag.complete", "embedding": "openai.resources.embeddings.Embeddings.create"}


    @pytest.mark.replay(mock=MOCK)
    def test_ask(replay, index):
        assert replay.run(rag.Agent(index).ask, "hi") == "answer to hi (2 docs)"
    """
    _project(pytester, api, conftest, test)
    pytester.makeini("[pytest]\nfilterwarnings =\n    ignore::DeprecationWarning\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-developers-key")
    _recorded(pytester, api)
    monkeypatch.delenv("OPENAI_API_KEY")  # (CI: the replay sets a placeholder)
    hits = api.hits
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_ask*",
            "*NetworkBlockedError: *the set-up of fixture 'index' (session scope)*",
        ]
    )
    result.stdout.no_fnmatch_line("*During handling*")  # one error, not one per layer
    assert api.hits == hits


def test_an_allowed_host_or_allow_network_lets_the_fixture_connect(
    pytester: pytest.Pytester, api: Api
) -> None:
    _project(pytester, api, SESSION_INDEX.format(scope="session"))
    _recorded(pytester, api)
    pytester.runpytest("-p", "no:randomly", "--clearstone-allow-network").assert_outcomes(passed=1)
    pytester.makeini(f"[pytest]\nclearstone_allow_hosts =\n    127.0.0.1:{api.port}\n")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_fixtures_of_tests_that_do_not_replay_are_not_guarded(
    pytester: pytest.Pytester, api: Api
) -> None:
    """Unmarked tests (and record attempts, in every record mode) are left alone."""
    test = TEST + textwrap.dedent(
        """

        def test_plain(index):
            assert len(index) == 2
        """
    )
    _project(pytester, api, SESSION_INDEX.format(scope="function"), test)
    pytester.runpytest("-p", "no:randomly", "--clearstone-mode=record-missing").assert_outcomes(
        passed=2
    )
    hits = api.hits
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    assert api.hits == hits + 1  # test_plain's own


def test_a_reads_only_marker_that_clearstone_config_makes_record_is_not_guarded(
    pytester: pytest.Pytester, api: Api
) -> None:
    """Before its fixtures are set up, a marker without ``mock=`` looks like one that only
    reads its golden (which replays in every mode); the ``clearstone_config`` fixture can still
    give it mock targets and so make a record run record it: its set-up is not guarded."""
    conftest = SESSION_INDEX.format(scope="session") + textwrap.dedent(
        """

        @pytest.fixture
        def clearstone_config():
            return {"mock": {"llm": "rag.complete"}}
        """
    )
    test = TEST.replace('@pytest.mark.replay(mock={"llm": "rag.complete"})', "@pytest.mark.replay")
    _project(pytester, api, conftest, test)
    _recorded(pytester, api)


def test_a_fixture_the_replaying_test_does_not_use_is_finalised_unguarded(
    pytester: pytest.Pytester, api: Api
) -> None:
    """pytest finalises a module's fixtures in the teardown of the module's last test, whether
    that test uses them or not: a replaying last test does not block the teardown of a fixture
    only another test used (its calls are that test's, not the replay's)."""
    conftest = """
    import pytest
    import rag


    @pytest.fixture(scope="module")
    def store():
        yield ["refund policy", "shipping"]
        rag.embed(["cleanup"])  # (deleting what the tests made, in a remote store)
    """
    test = """
    import pytest
    import rag


    def test_plain(store):
        assert len(store) == 2


    @pytest.mark.replay(mock={"llm": "rag.complete"})
    def test_ask(replay):
        assert replay.run(rag.Agent([1, 2]).ask, "hi") == "answer to hi (2 docs)"
    """
    _project(pytester, api, conftest, test)
    before = api.hits
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    assert api.hits == before + 1
    hits = api.hits
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert api.hits == hits + 1  # the module fixture's own teardown, after test_ask
