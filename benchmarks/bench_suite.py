"""The realistic golden suite next to its real peers, whole ``pytest`` processes (issue 16).

A support agent handles one request per test: 1 search tool call, 5 LLM calls (~2 KB prompt and
~2 KB answer each), 1 ticket tool call; its final state (``vars(agent)``) is ~20 KB. The same
agent is tested 4 ways, and the floor is measured 2 ways, each suite generated into a temporary
directory by this benchmark:

1. **goldens** -- ``@pytest.mark.replay(..., mock=MOCK)`` + ``replay.run(agent.handle, request)``;
   recorded once with ``--clearstone-record`` against the local stub, then replayed;
2. **vcrpy** -- ``@pytest.mark.vcr`` (pytest-recording): the agent's HTTP calls (``httpx``, which
   vcrpy patches) recorded once into YAML cassettes against the stub, then replayed with
   ``--record-mode=none``; the clock frozen by time-machine and the final state compared with a
   JSON file (``json.load`` + ``==``);
3. **hand-written** -- what a careful person writes without a record/replay tool:
   ``unittest.mock.patch`` of the same targets with ``side_effect`` lists read from a JSON fixture
   file, ``time_machine.travel(tick=False)``, the arguments of every call checked, and a syrupy
   snapshot of the final state (recorded once with ``--snapshot-update``);
4. **floor** -- as the issue defines it ("one fixture + ``json.loads`` of the same golden"):
   a function-scoped fixture (in ``conftest.py``) reads the file named by the test's marker --
   the very golden the goldens suite replays -- with ``json.load``; the test compares the final
   state it holds with a dict literal of it;
5. **state floor** (information, no target; the stricter floor judged before) -- per test,
   ``json.load`` of the final state's compact JSON file (~40% of a golden's bytes) compared with
   a dict literal of it, no fixture.

The agent module and its imports (``httpx``; in the SDK variant also ``openai``/``httpx2``) are
imported by all the suites, the floors included, so the ratios measure the testing machinery,
not the agent's libraries. Each suite runs with the pytest plugins it uses only (the others
disabled with ``-p no:NAME``): the floors run without clearstone, so goldens/floor includes the
plugin's own start-up.

Two variants: ``dict`` (the LLM is the agent's ``complete(prompt) -> dict`` over HTTP) and
``openai`` (the LLM is the real ``openai`` SDK, ``openai.OpenAI(http_client=httpx2.Client(
transport=httpx2.MockTransport(stub)))``, mocked at ``Completions.create``: the goldens store and
replay pydantic ``ChatCompletion`` objects; vcrpy 9 patches ``httpx2`` too, so its peer runs).

Figures: CPU time (user + system) of each fresh ``python -m pytest`` process -- on a shared
machine wall time mostly measures the neighbours -- in ``ROUNDS`` interleaved rounds (the order
of the 5 suites rotates every round); the ratio is computed per round and reported as
min/median/max, the median judged against the target. Wall-time medians are printed for
information. With ``--instructions`` each suite is also counted once in instructions with valgrind
(deterministic to ~0.01%, unlike CPU time on a shared machine), judged against the same targets.
The processes see the repository's root on PYTHONPATH, so pytest rewrites the plugin's modules as
for a wheel install (``_harness.child_env``).

    python benchmarks/bench_suite.py                    # 500 tests, 5 rounds, both variants
    python benchmarks/bench_suite.py --quick            # 100 tests, 3 rounds
    python benchmarks/bench_suite.py --variant openai   # one variant
    python benchmarks/bench_suite.py --instructions     # also instruction counts (~20 min more)
    python benchmarks/run.py suite [--quick]            # the same through the runner
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import _harness
from _harness import PYTEST_ARGS, Result, child_env, count_instructions, spread

N_FULL, ROUNDS_FULL = 500, 5
N_QUICK, ROUNDS_QUICK = 100, 3
PER_MODULE = 50  # tests per test module, as a project splits them
WHEN = "2024-01-15T12:00:00+00:00"  # the hand-written and vcrpy suites' frozen clock
TARGETS = {"floor": 1.3, "vcrpy": 0.15, "hand-written": 0.5}
INFORMATION = ("state-floor",)  # measured and printed next to the goldens, judged against nothing
SUITES = ("goldens", "vcrpy", "hand-written", "floor", "state-floor")

# each suite runs with the plugins it uses only
PLUGINS = {
    "goldens": ["-p", "no:recording", "-p", "no:syrupy"],
    "vcrpy": ["-p", "no:clearstone", "-p", "no:syrupy"],
    "hand-written": ["-p", "no:clearstone", "-p", "no:recording"],
    "floor": ["-p", "no:clearstone", "-p", "no:recording", "-p", "no:syrupy"],
    "state-floor": ["-p", "no:clearstone", "-p", "no:recording", "-p", "no:syrupy"],
}
REPLAY_ARGS = {
    "goldens": [],
    "vcrpy": ["--record-mode=none"],
    "hand-written": [],
    "floor": [],
    "state-floor": [],
}
RECORD_ARGS = {
    "goldens": ["--clearstone-record"],
    "vcrpy": ["--record-mode=once"],
    "hand-written": ["--snapshot-update"],
}

# -- the stub: the service's answers, deterministic (the same in every suite) ---------------------

STUB_SOURCE = '''"""The stub service's answers (generated by benchmarks/bench_suite.py)."""

import hashlib

WORDS = (
    "order refund parcel courier damaged replace warranty invoice address delivery "
    "tracking label carrier return policy customer support account payment card "
    "receipt window days store credit exchange item box photo claim form agent"
).split()


def text(seed, size):
    """About ``size`` characters of words chosen by the hash of ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    out, total, i = [], 0, 0
    while total < size:
        word = WORDS[(digest[i % 32] + i * 7) % len(WORDS)]
        out.append(word)
        total += len(word) + 1
        i += 1
    return " ".join(out)


def answer(model, prompt):
    content = text(prompt, 2000)
    tokens = len(prompt) // 4, len(content) // 4
    return {
        "model": model,
        "content": content,
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1],
                  "total_tokens": sum(tokens)},
    }


def completion(model, prompt):
    """An OpenAI chat.completion body for the answer to ``prompt``."""
    a = answer(model, prompt)
    return {
        "id": "chatcmpl-" + hashlib.sha256(prompt.encode()).hexdigest()[:24],
        "object": "chat.completion",
        "created": 1705320000,
        "model": model,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": a["content"]}}],
        "usage": a["usage"],
    }


def search(query):
    return {
        "query": query,
        "hits": [
            {"title": "Help article " + str(k), "url": "https://help.example/a/" + str(k),
             "snippet": text(query + str(k), 160)}
            for k in range(3)
        ],
    }


def ticket(title, body):
    return {"id": "T-" + hashlib.sha256((title + body).encode()).hexdigest()[:10],
            "title": title, "status": "open"}
'''

AGENT_COMMON = '''"""A support agent for the benchmark (generated by benchmarks/bench_suite.py):
1 search, 5 LLM steps, 1 ticket."""

import datetime as dt

import httpx

STUB_URL = "@STUB_URL@"
MODEL = "bench-model"
STEPS = 5
INSTRUCTIONS = (
    "You are the support agent of an online shop. Answer the customer's request politely and "
    "precisely, in plain text, in at most four short paragraphs. Use the search results when "
    "they are relevant and say which article you used. Never promise a refund before the "
    "return is received; offer a replacement when the item arrived damaged and the customer "
    "sent a photo; ask for the order number when it is missing. Keep the tone friendly. "
) * 3
_http = None


def http():
    global _http
    if _http is None:
        _http = httpx.Client(base_url=STUB_URL, timeout=30.0)
    return _http


def search(query):
    response = http().get("/search", params={"q": query})
    response.raise_for_status()
    return response.json()


def create_ticket(title, body):
    response = http().post("/tickets", json={"title": title, "body": body})
    response.raise_for_status()
    return response.json()


def prompt_for(request, step, hits, previous):
    found = "\\n".join(f"- {h['title']} ({h['url']}): {h['snippet']}" for h in hits)
    return (
        f"{INSTRUCTIONS}\\nRequest: {request}\\nStep {step} of {STEPS}.\\n"
        f"Search results:\\n{found}\\nPrevious answer: {previous[-400:]}\\n"
    )


class Agent:
    def __init__(self):
        self.started = None
        self.hits = []
        self.history = []
        self.tokens = 0
        self.ticket = None

    def handle(self, request):
        self.started = dt.datetime.now(dt.timezone.utc).isoformat()
        self.hits = search(request)["hits"]
        previous = ""
        for step in range(1, STEPS + 1):
            prompt = prompt_for(request, step, self.hits, previous)
            previous, used = self.llm(prompt)
            self.history.append({"step": step, "prompt": prompt, "answer": previous})
            self.tokens += used
        self.ticket = create_ticket(request[:40], previous[:300])
        return previous
'''

AGENT_DICT = '''

def complete(prompt):
    """The LLM: the stub's JSON answer as a plain dict."""
    response = http().post("/v1/complete", json={"model": MODEL, "prompt": prompt})
    response.raise_for_status()
    return response.json()


def _llm(self, prompt):
    answer = complete(prompt)
    return answer["content"], answer["usage"]["total_tokens"]


Agent.llm = _llm
'''

AGENT_OPENAI = '''

import json

import httpx2
import openai

SYSTEM = "You are the support agent of an online shop."
_client = None


def _chat(request):
    """The stand-in OpenAI service (in process, answered through httpx2's MockTransport)."""
    import bench_stub

    body = json.loads(request.content)
    return httpx2.Response(
        200, json=bench_stub.completion(body["model"], body["messages"][-1]["content"])
    )


def client():
    global _client
    if _client is None:
        _client = openai.OpenAI(
            api_key="sk-bench",
            http_client=httpx2.Client(transport=httpx2.MockTransport(_chat)),
            max_retries=0,
        )
    return _client


def _llm(self, prompt):
    response = client().chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        temperature=0.2,
    )
    return response.choices[0].message.content, response.usage.total_tokens


Agent.llm = _llm
'''

LLM_TARGET = {
    "dict": "bench_agent.complete",
    "openai": "openai.resources.chat.completions.Completions.create",
}

# -- the four suites ------------------------------------------------------------------------------

GOLDEN_HEADER = """import pytest

import bench_agent

MOCK = {{"llm": "{llm}", "tool": ["bench_agent.search", "bench_agent.create_ticket"]}}
"""
GOLDEN_ONE = """

@pytest.mark.replay("goldens/t{n}.ckpt", mock=MOCK)
def test_agent_{n}(replay):
    replay.run(bench_agent.Agent().handle, {request!r})
"""

VCR_HEADER = """import json
from pathlib import Path

import pytest
import time_machine

import bench_agent

HERE = Path(__file__).parent
WHEN = "{when}"


def check(n, request):
    agent = bench_agent.Agent()
    with time_machine.travel(WHEN, tick=False):
        agent.handle(request)
    with open(HERE / "expected" / f"t{{n}}.json", encoding="utf-8") as f:
        assert vars(agent) == json.load(f)
"""
VCR_ONE = """

@pytest.mark.vcr
def test_agent_{n}():
    check({n}, {request!r})
"""

HAND_HEADER = """import json
from pathlib import Path
from unittest import mock

import time_machine

import bench_agent
{extra_import}
HERE = Path(__file__).parent
WHEN = "{when}"


def check(n, snapshot):
    with open(HERE / "fixtures" / f"t{{n}}.json", encoding="utf-8") as f:
        data = json.load(f)
    agent = bench_agent.Agent()
    with (
        mock.patch("{llm}", side_effect={answers}) as llm,
        mock.patch("bench_agent.search", side_effect=[data["search"]]) as search,
        mock.patch("bench_agent.create_ticket", side_effect=[data["ticket"]]) as ticket,
        time_machine.travel(WHEN, tick=False),
    ):
        result = agent.handle(data["request"])
    assert {llm_args} == data["llm_args"]
    search.assert_called_once_with(data["request"])
    ticket.assert_called_once_with(*data["ticket_args"])
    assert result == agent.history[-1]["answer"]
    assert vars(agent) == snapshot
"""
HAND_ANSWERS = {
    "dict": 'data["answers"]',
    "openai": '[ChatCompletion.model_validate(a) for a in data["answers"]]',
}
HAND_LLM_ARGS = {
    "dict": "[c.args[0] for c in llm.call_args_list]",
    "openai": "[c.kwargs for c in llm.call_args_list]",
}
HAND_EXTRA_IMPORT = {"dict": "", "openai": "from openai.types.chat import ChatCompletion\n"}
HAND_ONE = """

def test_agent_{n}(snapshot):
    check({n}, snapshot)
"""

# the floor as issue 16 defines it: one fixture + json.load of the same golden, == a dict
FLOOR_INI = """[pytest]
markers =
    golden(path): the golden (of the goldens suite) the test's fixture reads
"""
FLOOR_CONFTEST = """import json
from pathlib import Path

import pytest

GOLDENS = Path(__file__).parent.parent / "goldens"


@pytest.fixture
def golden(request):
    path = request.node.get_closest_marker("golden").args[0]
    with open(GOLDENS / path, encoding="utf-8") as f:
        return json.load(f)
"""
FLOOR_HEADER = """import pytest

import bench_agent  # noqa: F401  (the same imports as the other suites)
"""
FLOOR_ONE = """

@pytest.mark.golden("goldens/t{n}.ckpt")
def test_state_{n}(golden):
    assert golden["outcome"]["final_state"] == {state!r}
"""

STATE_FLOOR_HEADER = """import json
from pathlib import Path

import bench_agent  # noqa: F401  (the same imports as the other suites)

HERE = Path(__file__).parent
"""
STATE_FLOOR_ONE = """

def test_state_{n}():
    with open(HERE / "states" / "t{n}.json", encoding="utf-8") as f:
        assert json.load(f) == {state!r}
"""


def request_for(n: int) -> str:
    return f"Customer {n}: my order #{10_000 + n} arrived damaged, what can I do?"


# -- the local stub HTTP server -------------------------------------------------------------------


@contextmanager
def stub_server(stub: types.ModuleType) -> Iterator[str]:
    """A local HTTP server answering the agent (127.0.0.1, an ephemeral port), for recording."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits for a delayed ACK (40 ms)

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, doc: Any) -> None:
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/search":
                self.send_error(404)
                return
            self._send(stub.search(parse_qs(url.query)["q"][0]))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            doc = json.loads(self.rfile.read(length))
            if self.path == "/v1/complete":
                self._send(stub.answer(doc["model"], doc["prompt"]))
            elif self.path == "/tickets":
                self._send(stub.ticket(doc["title"], doc["body"]))
            else:
                self.send_error(404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- generating the suites ------------------------------------------------------------------------


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def _spy(owner: Any, name: str, log: list[Any], keep: Callable[..., Any]) -> Iterator[None]:
    """Wrap ``owner.name`` so that each call appends ``keep(args, kwargs, result)`` to ``log``."""
    original = owner.__dict__[name]

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        log.append(keep(args, kwargs, result))
        return result

    setattr(owner, name, spy)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _live_runs(variant: str, lib: Path, n: int) -> list[dict[str, Any]]:
    """Run the agent live (against the stub) for each request, in this process, and note what a
    hand-written suite needs: each call's arguments and answer, and the final state."""
    import time_machine

    sys.path.insert(0, str(lib))
    try:
        agent_mod = _load("bench_agent", lib / "bench_agent.py")
        runs = []
        for i in range(n):
            llm: list[Any] = []
            tools: list[Any] = []
            if variant == "dict":
                llm_spy = _spy(agent_mod, "complete", llm, lambda a, k, r: (a[0], r))
            else:
                from openai.resources.chat.completions import Completions

                llm_spy = _spy(
                    Completions, "create", llm, lambda a, k, r: (k, r.model_dump(mode="json"))
                )
            with (
                llm_spy,
                _spy(agent_mod, "search", tools, lambda a, k, r: r),
                _spy(agent_mod, "create_ticket", tools, lambda a, k, r: (list(a), r)),
                time_machine.travel(WHEN, tick=False),
            ):
                agent = agent_mod.Agent()
                agent.handle(request_for(i))
            state = json.loads(json.dumps(vars(agent)))
            runs.append(
                {
                    "request": request_for(i),
                    "llm_args": [a for a, _ in llm],
                    "answers": [r for _, r in llm],
                    "search": tools[0],
                    "ticket_args": tools[1][0],
                    "ticket": tools[1][1],
                    "state": state,
                }
            )
        return runs
    finally:
        sys.path.remove(str(lib))
        sys.modules.pop("bench_agent", None)
        sys.modules.pop("bench_stub", None)


def _modules(n: int) -> Iterator[tuple[int, range]]:
    for k, start in enumerate(range(0, n, PER_MODULE)):
        yield k, range(start, min(n, start + PER_MODULE))


def _command(suite: str, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", *PYTEST_ARGS, *PLUGINS[suite], *extra]


def _pytest(
    suite: str, cwd: Path, env: dict[str, str], extra: list[str], n: int
) -> tuple[float, float]:
    """CPU and wall milliseconds of one fresh ``python -m pytest`` process; fails unless its
    ``n`` tests passed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        _command(suite, extra),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or f"{n} passed" not in done.stdout:
        raise RuntimeError(
            f"pytest failed in {cwd} ({suite}, {extra}):\n"
            f"{done.stdout[-4000:]}{done.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000, wall * 1000


def build(variant: str, root: Path, n: int, say: Callable[[str], None]) -> dict[str, Path]:
    """Generate the 5 suites of ``variant`` under ``root`` and record the peers' data."""
    lib = root / "lib"
    lib.mkdir(parents=True)
    (lib / "bench_stub.py").write_text(STUB_SOURCE)
    stub = _load("bench_stub_server", lib / "bench_stub.py")
    dirs = {suite: root / suite for suite in SUITES}
    for d in dirs.values():
        d.mkdir()
        (d / "pytest.ini").write_text("[pytest]\n")
    env = child_env(lib)
    with stub_server(stub) as url:
        agent_src = AGENT_COMMON.replace("@STUB_URL@", url)
        agent_src += AGENT_DICT if variant == "dict" else AGENT_OPENAI
        (lib / "bench_agent.py").write_text(agent_src)
        say(f"  [{variant}] running the agent live {n} times for the peers' data")
        runs = _live_runs(variant, lib, n)
        llm = LLM_TARGET[variant]
        for k, tests in _modules(n):
            name = f"test_m{k:02d}.py"
            (dirs["goldens"] / name).write_text(
                GOLDEN_HEADER.format(llm=llm)
                + "".join(GOLDEN_ONE.format(n=i, request=request_for(i)) for i in tests)
            )
            (dirs["vcrpy"] / name).write_text(
                VCR_HEADER.format(when=WHEN)
                + "".join(VCR_ONE.format(n=i, request=request_for(i)) for i in tests)
            )
            (dirs["hand-written"] / name).write_text(
                HAND_HEADER.format(
                    when=WHEN,
                    llm=llm,
                    answers=HAND_ANSWERS[variant],
                    llm_args=HAND_LLM_ARGS[variant],
                    extra_import=HAND_EXTRA_IMPORT[variant],
                )
                + "".join(HAND_ONE.format(n=i) for i in tests)
            )
            (dirs["state-floor"] / name).write_text(
                STATE_FLOOR_HEADER
                + "".join(STATE_FLOOR_ONE.format(n=i, state=runs[i]["state"]) for i in tests)
            )
        (dirs["vcrpy"] / "expected").mkdir()
        (dirs["state-floor"] / "states").mkdir()
        (dirs["hand-written"] / "fixtures").mkdir()
        for i, run in enumerate(runs):
            state = json.dumps(run.pop("state"), separators=(",", ":"))
            (dirs["vcrpy"] / "expected" / f"t{i}.json").write_text(state)
            (dirs["state-floor"] / "states" / f"t{i}.json").write_text(state)
            (dirs["hand-written"] / "fixtures" / f"t{i}.json").write_text(json.dumps(run))
        for suite, args in RECORD_ARGS.items():
            say(f"  [{variant}] recording the {suite} suite against the stub")
            _pytest(suite, dirs[suite], env, args, n)
    _write_floor(dirs, n)
    sys.modules.pop("bench_stub_server", None)
    return dirs


def _write_floor(dirs: dict[str, Path], n: int) -> None:
    """The floor's suite, which reads the goldens suite's recorded goldens: each test's dict
    literal is the final state its golden holds."""
    floor = dirs["floor"]
    (floor / "pytest.ini").write_text(FLOOR_INI)
    (floor / "conftest.py").write_text(FLOOR_CONFTEST)
    goldens = dirs["goldens"] / "goldens"
    for k, tests in _modules(n):
        ones = (
            FLOOR_ONE.format(
                n=i,
                state=json.loads((goldens / f"t{i}.ckpt").read_bytes())["outcome"]["final_state"],
            )
            for i in tests
        )
        (floor / f"test_m{k:02d}.py").write_text(FLOOR_HEADER + "".join(ones))


def _golden_size_ratio(dirs: dict[str, Path]) -> tuple[float, float]:
    """Mean golden size and mean compact-JSON size of the final state, in KB."""
    goldens = sorted((dirs["goldens"] / "goldens").glob("*.ckpt"))
    states = sorted((dirs["state-floor"] / "states").glob("*.json"))
    golden_kb = statistics.mean(p.stat().st_size for p in goldens) / 1024
    state_kb = statistics.mean(p.stat().st_size for p in states) / 1024
    return golden_kb, state_kb


def measure(
    variant: str,
    n: int,
    rounds: int,
    say: Callable[[str], None] = print,
    keep: Path | None = None,
) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix=f"cs-bench-suite-{variant}-") as tmp:
        root = Path(tmp) if keep is None else keep / variant
        if keep is not None:
            shutil.rmtree(root, ignore_errors=True)
        dirs = build(variant, root, n, say)
        env = child_env(root / "lib")
        say(f"  [{variant}] warming up (bytecode caches) and checking each suite passes")
        for suite in SUITES:
            _pytest(suite, dirs[suite], env, REPLAY_ARGS[suite], n)
        cpu: dict[str, list[float]] = {s: [] for s in SUITES}
        wall: dict[str, list[float]] = {s: [] for s in SUITES}
        for r in range(rounds):
            order = SUITES[r % len(SUITES) :] + SUITES[: r % len(SUITES)]
            for suite in order:
                c, w = _pytest(suite, dirs[suite], env, REPLAY_ARGS[suite], n)
                cpu[suite].append(c)
                wall[suite].append(w)
            say(
                f"  [{variant}] round {r + 1}/{rounds}: "
                + ", ".join(f"{s} {cpu[s][-1]:.0f} ms" for s in SUITES)
            )
        golden_kb, state_kb = _golden_size_ratio(dirs)
        counts: dict[str, int] = {}
        if _harness.INSTRUCTIONS:
            for suite in SUITES:
                say(f"  [{variant}] counting the instructions of the {suite} suite (valgrind)")
                counts[suite] = count_instructions(
                    _command(suite, REPLAY_ARGS[suite]), dirs[suite], env
                )

    results = []
    names = {
        "floor": f"floor: {n} x fixture, json.load golden",
        "state-floor": f"state floor (info): {n} x json.load state",
        "vcrpy": f"pytest-recording/vcrpy, {n} cassettes",
        "hand-written": "hand-written: mock.patch+time-machine+syrupy",
    }
    med = statistics.median
    # each peer with its target (None: printed for information, judged against nothing)
    peers: list[tuple[str, float | None]] = [*TARGETS.items(), *((s, None) for s in INFORMATION)]
    for peer, target in peers:
        ratios = [g / p for g, p in zip(cpu["goldens"], cpu[peer], strict=True)]
        results.append(
            Result(
                f"[{variant}] {n} golden tests, pytest CPU",
                med(cpu["goldens"]),
                names[peer],
                med(cpu[peer]),
                "ms",
                target=target,
                spread=spread(ratios),
            )
        )
    results.extend(
        Result(
            f"[{variant}] {n} golden tests, instructions",
            counts["goldens"] / 1e9,
            names[peer],
            counts[peer] / 1e9,
            "G",
            target=target,
        )
        for peer, target in (peers if counts else ())
    )
    for peer, _ in peers:
        ratios = [g / p for g, p in zip(wall["goldens"], wall[peer], strict=True)]
        results.append(
            Result(
                f"[{variant}] {n} golden tests, wall (info)",
                med(wall["goldens"]),
                names[peer].split(",")[0].split(":")[0] + " (wall)",
                med(wall[peer]),
                "ms",
                spread=spread(ratios),
            )
        )
    results.append(
        Result(
            f"[{variant}] golden size (info, calls hold 20 KB)",
            golden_kb,
            "final state's compact JSON",
            state_kb,
            "KB",
        )
    )
    return results


def run(variants: tuple[str, ...] = ("dict", "openai")) -> list[Result]:
    n, rounds = (N_QUICK, ROUNDS_QUICK) if _harness.QUICK else (N_FULL, ROUNDS_FULL)
    results = []
    for variant in variants:
        results.extend(measure(variant, n, rounds, lambda s: print(s, flush=True)))
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{N_QUICK} tests, {ROUNDS_QUICK} rounds"
    )
    parser.add_argument("--variant", choices=("dict", "openai"), action="append")
    parser.add_argument("--tests", type=int, help="number of tests per suite")
    parser.add_argument("--rounds", type=int, help="interleaved rounds")
    parser.add_argument(
        "--keep", type=Path, help="generate the suites into this directory and leave them there"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each suite's instructions with valgrind (a figure noise cannot move)",
    )
    args = parser.parse_args(argv)
    _harness.QUICK = args.quick
    _harness.INSTRUCTIONS = args.instructions
    n, rounds = (N_QUICK, ROUNDS_QUICK) if args.quick else (N_FULL, ROUNDS_FULL)
    n, rounds = args.tests or n, args.rounds or rounds
    started = time.perf_counter()
    print(f"== bench_suite ({n} tests, {rounds} rounds, {dt.datetime.now():%H:%M})", flush=True)
    missed = 0
    for variant in args.variant or ("dict", "openai"):
        for result in measure(variant, n, rounds, lambda s: print(s, flush=True), args.keep):
            print(result.line(), flush=True)
            missed += result.verdict == "MISSED"
    print(f"{missed} target(s) missed ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
