"""The network guard beside the plugins that patch ``socket`` too: pytest-socket (installed,
it is loaded into every run through its entry point, flags or not; asked for here with
``-p socket`` in a subprocess, as the suite's runs leave it out: tests/inner_runs.py) and
pytest-recording's ``--block-network``."""

from __future__ import annotations

import http.server
from collections.abc import Iterator

import pytest

from tests.local_servers import serving
from tests.plugin.test_network_guard import AGENT
from tests.plugin.test_network_guard import server as server  # (the TCP server it counts on)

TESTS = """
import pytest
from netapp import Agent

@pytest.mark.parametrize("n", range(3))
@pytest.mark.replay(mock={"llm": "netapp.complete"})
def test_net(replay, n):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""

#: each plugin, the arguments that load and configure it
PLUGINS = {
    "pytest-socket": ("pytest_socket", ("-p", "socket")),
    "pytest-socket-allow-hosts": ("pytest_socket", ("-p", "socket", "--allow-hosts", "127.0.0.1")),
    "pytest-recording-block-network": ("pytest_recording", ("--block-network",)),
}


@pytest.mark.parametrize("plugin", PLUGINS)
def test_every_replaying_test_is_guarded_beside_another_socket_guard(
    pytester: pytest.Pytester, server: int, plugin: str
) -> None:
    # Expected: each replaying test's connection is blocked, whatever the other plugin does
    # to socket.socket.connect before and after each test.
    # Before the fix: pytest-socket's teardown put back the connect it saw at its import after
    # every test, so only the first replay was guarded; pytest-recording's --block-network
    # fixture replaced the guard's patch while the test ran (with its own guard, which lets
    # loopback through to the connect it saw at import), so none was: the later replays
    # connected to the server (their agent swallowed the error) and passed.
    module, args = PLUGINS[plugin]
    pytest.importorskip(module)
    pytester.syspathinsert()
    pytester.makepyfile(netapp=AGENT.format(port=server), test_net=TESTS)
    pytester.runpytest_subprocess(*args, "--clearstone-record").assert_outcomes(passed=3)
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=3)
    assert result.stdout.str().count("NetworkBlockedError: test_net.py::test_net[") >= 3


FETCHING_AGENT = """
import json
import urllib.request

PORT = {port}


def fetch(city):  # the tool, a mock target: recording, it reaches the service
    with urllib.request.urlopen(f"http://127.0.0.1:{{PORT}}/weather?city={{city}}") as r:
        return r.read().decode()


class Agent:
    def __init__(self):
        self.notes = []

    def run(self, city):
        try:
            self.notes.append(fetch(city))
        except Exception as exc:  # the agent carries on without the weather
            self.notes.append(f"no weather: {{type(exc).__name__}}")
        return self.notes[-1]
"""

FETCHING_TEST = """
import pytest
from weatherapp import Agent

@pytest.mark.replay(mock={"tool": "weatherapp.fetch"})
def test_weather(replay):
    assert replay.run(Agent().run, "Paris")
"""

#: each blocker, what loads and configures it, and what the message says of it (in order)
BLOCKERS = {
    "pytest-socket": (
        "pytest_socket",
        ("-p", "socket", "--disable-socket"),
        ["from pytest-socket", "--force-enable-socket"],
    ),
    "pytest-recording-block-network": (
        "pytest_recording",
        ("--block-network",),
        ["from pytest-recording's --block-network", "without --block-network"],
    ),
    "vcrpy-cassette": (
        "pytest_recording",
        ("--record-mode=none",),
        ["from vcrpy", "--record-mode=once"],
    ),
}


@pytest.mark.parametrize("blocker", BLOCKERS)
def test_a_recording_whose_live_call_a_network_blocker_refused_writes_no_golden(
    pytester: pytest.Pytester, blocker: str
) -> None:
    # Expected: the recording fails, naming the call, the tool that refused it and the flag
    # that lets it through, and writes nothing: the agent swallowed the refusal, but a golden
    # of it would replay the refusal as if the service had answered so, on every replay.
    # Before the fix: the golden was written ("goldens/...: new") with the blocker's error as
    # the tool's recorded answer, and every replay passed without the service ever reached.
    module, args, names = BLOCKERS[blocker]
    pytest.importorskip(module)
    pytester.syspathinsert()
    test = FETCHING_TEST
    if blocker == "vcrpy-cassette":  # (no cassette yet: vcrpy refuses what it lacks)
        test = test.replace("@pytest.mark.replay", "@pytest.mark.vcr\n@pytest.mark.replay")
    elif blocker == "pytest-recording-block-network":  # (loopback is let through otherwise)
        test = test.replace(
            "@pytest.mark.replay",
            "@pytest.mark.block_network(allowed_hosts=[])\n@pytest.mark.replay",
        )
    pytester.makepyfile(weatherapp=FETCHING_AGENT.format(port=9), test_weather=test)
    result = pytester.runpytest_subprocess(*args, "--clearstone-record")
    result.assert_outcomes(failed=1)
    said = "*".join(["the golden checkpoint was not written: call #1 to weatherapp.fetch", *names])
    result.stdout.fnmatch_lines([f"*{said}*"])
    assert not (pytester.path / "goldens").exists()


#: the call wraps the refusal in its own error, as an SDK does (openai's APIConnectionError is
#: raised from the httpx error the blocked socket gave)
WRAPPING_AGENT = FETCHING_AGENT.replace(
    "    with urllib.request.urlopen(",
    "    try:\n"
    "        return _get(city)\n"
    "    except Exception as exc:\n"
    "        raise ConnectionError('weather service unreachable') from exc\n\n\n"
    "def _get(city):\n"
    "    with urllib.request.urlopen(",
)


def test_a_refusal_the_call_raised_its_own_error_from_writes_no_golden(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_socket")
    pytester.syspathinsert()
    pytester.makepyfile(weatherapp=WRAPPING_AGENT.format(port=9), test_weather=FETCHING_TEST)
    args = ("-p", "socket", "--disable-socket", "--clearstone-record")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    said = "the golden checkpoint was not written: call #1 to weatherapp.fetch*from pytest-socket"
    result.stdout.fnmatch_lines([f"*{said}*"])
    assert not (pytester.path / "goldens").exists()


@pytest.fixture
def http_server() -> Iterator[int]:
    """An HTTP server on 127.0.0.1 that answers every GET with ``sunny``."""

    class Sunny(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"sunny")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Sunny)
    with serving(server):
        yield server.server_address[1]


#: an agent whose LLM call is mocked and whose weather request a vcrpy cassette answers
CASSETTE_AGENT = """
import httpx
import urllib.request

PORT = {port}


def complete(prompt):
    return "answer to " + prompt


def weather():
    url = f"http://127.0.0.1:{{PORT}}/weather"
    if {by_httpx}:
        return httpx.get(url).text
    with urllib.request.urlopen(url) as r:
        return r.read().decode()


def run(question):
    return complete(question) + ", " + weather()
"""

CASSETTE_TEST = """
import pytest
from cassetteapp import run

@pytest.mark.vcr
@pytest.mark.replay(mock={"llm": "cassetteapp.complete"})
def test_weather(replay):
    assert replay.run(run, "hi") == "answer to hi, sunny"
"""


@pytest.mark.parametrize("by_httpx", [False, True], ids=["http.client", "httpx"])
def test_a_request_vcrpy_lets_through_to_the_network_is_blocked_naming_its_cassette(
    pytester: pytest.Pytester, http_server: int, by_httpx: bool
) -> None:
    # Expected: the request a cassette lacks, which vcrpy's record mode sends on to the
    # service, is blocked naming vcrpy, the cassette and the commands that record both and
    # replay from both; followed, they do.
    # Before the fix: the message offered the generic fixes (allow the host, mock the function,
    # --clearstone-allow-network) and did not say that vcrpy was recording a new cassette.
    pytest.importorskip("pytest_recording")
    pytester.syspathinsert()
    pytester.makepyfile(
        cassetteapp=CASSETTE_AGENT.format(port=http_server, by_httpx=by_httpx),
        test_weather=CASSETTE_TEST,
    )
    record = ("--record-mode=once", "--clearstone-record")
    pytester.runpytest_subprocess(*record).assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_weather" / "test_weather.yaml"
    cassette.unlink()  # (not committed)
    result = pytester.runpytest_subprocess("--record-mode=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*NetworkBlockedError: test_weather.py::test_weather tried to connect to 127.0.0.1*",
            f"*vcrpy let it through to the network: its cassette {cassette} is not on disk "
            "(not recorded yet,*pytest --clearstone-record --record-mode=once*--record-mode=none*",
        ]
    )
    pytester.runpytest_subprocess(*record).assert_outcomes(passed=1)
    assert cassette.exists()
    pytester.runpytest_subprocess("--record-mode=none").assert_outcomes(passed=1)


def test_a_request_vcrpy_lets_through_after_rewrite_deleted_the_cassette_names_rewrite(
    pytester: pytest.Pytester, http_server: int
) -> None:
    # Expected: pytest-recording's --record-mode=rewrite (a mode vcrpy itself does not have: it
    # deletes the cassette as the test starts, then records new_episodes) is among the modes
    # the message names, and the message says the cassette is not on disk and how to get the
    # committed one back. Before the fix: it listed "once with the cassette missing,
    # new_episodes, all" only, and said the cassette "does not hold this request", of a file
    # that rewrite had deleted.
    pytest.importorskip("pytest_recording")
    pytester.syspathinsert()
    pytester.makepyfile(
        cassetteapp=CASSETTE_AGENT.format(port=http_server, by_httpx=False),
        test_weather=CASSETTE_TEST,
    )
    record = ("--record-mode=once", "--clearstone-record")
    pytester.runpytest_subprocess(*record).assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_weather" / "test_weather.yaml"
    result = pytester.runpytest_subprocess("--record-mode=rewrite")
    result.assert_outcomes(failed=1)
    assert not cassette.exists()  # (pytest-recording deleted it)
    result.stdout.fnmatch_lines(
        [
            f"*vcrpy let it through to the network: its cassette {cassette} is not on disk "
            "(not recorded yet, or deleted by pytest-recording's --record-mode=rewrite as the "
            f"test started: a committed one comes back with git checkout -- {cassette})*"
            "new_episodes, all, pytest-recording's rewrite*",
        ]
    )
