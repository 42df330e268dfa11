"""The record -> replay -> replay harness shared by the integration tests.

A :class:`Stack` is a pytester project: the fake services (``services.py``), one agent module
copied from ``stacks/`` and a ``conftest.py`` with the SDK client fixtures users would write. Its
inner test files are the scenarios. Recording runs with the services live; replays run with them
sealed (``CLEARSTONE_SERVICES_SEALED``), so reaching them fails the test. After each run the
inner conftest appends one line per test to ``service-log.jsonl`` (requests seen, violations):
the harness checks that recording reached the service and replay did not.

The API keys come from the environment only, so that no file written by the test contains them
unless the plugin wrote it there.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.inner_runs import LEAN_ADDOPTS

HERE = Path(__file__).parent
OPENAI_KEY = "sk-test-CLEARSTONE-SECRET-123"
ANTHROPIC_KEY = "sk-ant-test-CLEARSTONE-SECRET-456"
SECRETS = (OPENAI_KEY, ANTHROPIC_KEY, "CLEARSTONE-SECRET")
SEALED_ENV = "CLEARSTONE_SERVICES_SEALED"
SUBPROCESS_TIMEOUT = 90  # seconds for a -n 2 run (a hang fails the test instead of the job)
#: what a LangChain golden may change when an unchanged agent is recorded again: the run ids
#: (``lc_run--<uuid>``, documented) and the spans' measured times
MEASURED = re.compile(r'lc_run--[0-9a-f-]+|"(start|end)_time_ns": \d+')

CONFTEST = """
import json
import os

import pytest

import services

SEALED_ENV = services.SEALED_ENV


@pytest.fixture(autouse=True)
def _service_guard(request):
    for service in (services.OPENAI, services.ANTHROPIC):
        service.reset()
    yield
    violations = services.OPENAI.violations + services.ANTHROPIC.violations
    with open(os.path.join(str(request.config.rootpath), "service-log.jsonl"), "a") as log:
        log.write(json.dumps({
            "test": request.node.nodeid,
            "sealed": bool(os.environ.get(SEALED_ENV)),
            "openai": len(services.OPENAI.requests),
            "anthropic": len(services.ANTHROPIC.requests),
            "violations": violations,
        }) + "\\n")
    if violations:
        pytest.fail("the live service was reached during replay: " + ", ".join(violations),
                    pytrace=False)


@pytest.fixture
def openai_client():
    import openai
    return openai.OpenAI(http_client=services.OPENAI.client(), max_retries=0)


@pytest.fixture
def async_openai_client():
    import openai
    return openai.AsyncOpenAI(http_client=services.OPENAI.async_client(), max_retries=0)


@pytest.fixture
def anthropic_client():
    import anthropic
    return anthropic.Anthropic(http_client=services.ANTHROPIC.client(), max_retries=0)


@pytest.fixture
def async_anthropic_client():
    import anthropic
    return anthropic.AsyncAnthropic(http_client=services.ANTHROPIC.async_client(), max_retries=0)
"""


class Stack:
    """A pytester project around one agent module of ``stacks/``."""

    def __init__(self, pytester: pytest.Pytester, *modules: str) -> None:
        self.pytester = pytester
        self.path = pytester.path
        pytester.syspathinsert()
        (self.path / "services.py").write_text((HERE / "services.py").read_text())
        for module in modules:
            (self.path / f"{module}.py").write_text((HERE / "stacks" / f"{module}.py").read_text())
        (self.path / "conftest.py").write_text(CONFTEST)
        self.log = self.path / "service-log.jsonl"

    # -- files ----------------------------------------------------------------------------------

    def write_test(self, name: str, source: str) -> Path:
        self._forget_bytecode()
        return self.pytester.makepyfile(**{f"test_{name}": source})

    def edit(self, module: str, old: str, new: str) -> None:
        """Replace text in a module of the project (an agent module or a test file)."""
        path = self.path / f"{module}.py"
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new))
        self._forget_bytecode()

    def _forget_bytecode(self) -> None:
        # .pyc files are checked by source mtime (whole seconds) and size: an edit of the same
        # size within the same second would run the old code.
        shutil.rmtree(self.path / "__pycache__", ignore_errors=True)

    def goldens(self) -> list[Path]:
        return sorted((self.path / "goldens").glob("**/*.ckpt"))

    # -- runs -----------------------------------------------------------------------------------

    def _log_lines(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def _run(self, sealed: bool, args: tuple[str, ...], xdist: bool) -> pytest.RunResult:
        before = len(self._log_lines())
        with pytest.MonkeyPatch.context() as mp:
            if sealed:
                mp.setenv(SEALED_ENV, "1")
            else:
                mp.delenv(SEALED_ENV, raising=False)
            if xdist:
                result = self.pytester.runpytest_subprocess(
                    "-p", "xdist", "-n", "2", *args, timeout=SUBPROCESS_TIMEOUT
                )
            else:
                # In-process runs keep the outer warning filters (filterwarnings = error): a
                # warning raised in the agent's run fails it, as in this project's own CI.
                result = self.pytester.runpytest_inprocess(*args)
        self.last_log = self._log_lines()[before:]
        return result

    def try_record(self, *args: str, xdist: bool = False) -> pytest.RunResult:
        """Record, whatever the outcome."""
        return self._run(False, ("--clearstone-record", *args), xdist)

    def live(self, *args: str, xdist: bool = False) -> pytest.RunResult:
        """Run with the services reachable, whatever the outcome (``args`` give the mode:
        ``--clearstone-mode=record-diverged``)."""
        return self._run(False, args, xdist)

    def record(self, *args: str, xdist: bool = False) -> pytest.RunResult:
        result = self.try_record(*args, xdist=xdist)
        _assert_passed(result, "record")
        assert self.last_log and all(
            line["openai"] + line["anthropic"] > 0 for line in self.last_log
        ), f"recording did not reach the service: {self.last_log}"
        return result

    def replay(self, *args: str, xdist: bool = False) -> pytest.RunResult:
        return self._run(True, args, xdist)

    def replay_passes(self, *args: str, xdist: bool = False) -> pytest.RunResult:
        result = self.replay(*args, xdist=xdist)
        _assert_passed(result, "replay")
        assert all(
            line["openai"] + line["anthropic"] == 0 and not line["violations"]
            for line in self.last_log
        ), self.last_log
        return result

    def roundtrip(self, *args: str) -> None:
        """Record, replay twice with the services sealed, and check the files on disk. Every
        check runs; the failure lists all that failed, replay first."""
        self.record(*args)
        assert self.goldens(), "recording wrote no golden"
        problems = []
        for attempt in ("first", "second"):
            try:
                self.replay_passes(*args)
            except (AssertionError, pytest.fail.Exception) as exc:
                problems.append(f"{attempt} replay: {exc}")
        for check in (self.check_no_secret_on_disk, self.check_goldens_readable):
            try:
                check()
            except AssertionError as exc:
                problems.append(str(exc))
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    def roundtrip_rerecorded_unchanged(self, *args: str) -> bytes:
        """:meth:`roundtrip`, then record again: the (first) golden is left byte for byte as it
        was; returns its bytes."""
        self.roundtrip(*args)
        golden = self.goldens()[0]
        first = golden.read_bytes()
        self.record(*args)
        assert golden.read_bytes() == first, f"re-recording changed {golden.name}"
        return first

    def unmeasured_goldens(self) -> dict[str, str]:
        """Each golden's name -> its text without what :data:`MEASURED` matches."""
        return {p.name: MEASURED.sub("", p.read_text()) for p in self.goldens()}

    # -- checks ---------------------------------------------------------------------------------

    def check_goldens_readable(self) -> None:
        """No golden holds a ``pickle`` or ``repr`` tag (but for the placeholders of values at
        ``ignore=`` paths, which name the type only: ``<ignored pydantic_ai.Agent>``)."""
        for golden in self.goldens():
            tags = sorted(_tags(json.loads(golden.read_text())))
            bad = [t for t in tags if t[0] in ("pickle", "repr")]
            assert not bad, f"{golden.name} holds {bad}"

    def check_no_secret_on_disk(self) -> None:
        """The API keys appear in no file under the test directory, pickles decoded."""
        hits = []
        for path in self.path.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            blobs = [data]
            if path.suffix == ".ckpt":
                blobs += [base64.b64decode(b) for b in _pickles(json.loads(data))]
            blobs += [_b64(m) for m in re.findall(rb"[A-Za-z0-9+/]{40,}={0,2}", data)]
            hits += [
                f"{path.relative_to(self.path)}"
                for blob in blobs
                if any(s.encode() in blob for s in SECRETS)
            ]
        assert not hits, f"an API key was written to disk: {sorted(set(hits))}"


def _b64(blob: bytes) -> bytes:
    blob = blob.rstrip(b"=")
    try:
        return base64.b64decode(blob[: len(blob) - len(blob) % 4])
    except ValueError:
        return b""


def _tags(node: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        ignored = node.get("__cs__") == "repr" and str(node.get("v", "")).startswith("<ignored ")
        if "__cs__" in node and not ignored:
            found.add((str(node["__cs__"]), str(node.get("type", ""))))
        for value in node.values():
            found |= _tags(value)
    elif isinstance(node, list):
        for value in node:
            found |= _tags(value)
    return found


def _pickles(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = (
            [node["v"]] if node.get("__cs__") == "pickle" and isinstance(node.get("v"), str) else []
        )
        for value in node.values():
            found += _pickles(value)
        return found
    if isinstance(node, list):
        return [p for value in node for p in _pickles(value)]
    return []


def _assert_passed(result: pytest.RunResult, what: str) -> None:
    outcomes = result.parseoutcomes()
    bad = {k: v for k, v in outcomes.items() if k not in ("passed", "warnings", "warning")}
    if bad or not outcomes.get("passed"):
        lines = result.outlines
        pytest.fail(
            f"{what} run did not pass: {outcomes}\n" + "\n".join(lines[-80:]), pytrace=False
        )


def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys from the environment only; lean inner runs."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_ORG_ID", SEALED_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_ADDOPTS", LEAN_ADDOPTS)
    monkeypatch.setenv("NO_COLOR", "1")


def xfail(cause: str) -> pytest.MarkDecorator:
    """A cause seen against the plugin today (issue 13); when it is fixed the test XPASSes and
    fails (``strict``): remove the mark then."""
    return pytest.mark.xfail(strict=True, reason=f"issue 13: {cause}")


def params(names: Iterable[str], causes: dict[str, str]) -> list[Any]:
    return [pytest.param(n, marks=xfail(causes[n])) if n in causes else n for n in names]
