"""``diff`` and ``show --calls`` see inside the values of client libraries (an openai answer, a
client reference) the way they are stored — class and fields — without importing the library
(the command line never imports a module a file names) and whether or not it is imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pytest_clearstone
from pytest_clearstone.cli import main
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.inspection import diff_lines, load_checkpoint
from pytest_clearstone.observability import TracerProvider

openai = pytest.importorskip("openai")

QUESTION = "Is it safe?"


def _completion(answer: str) -> Any:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer},
                }
            ],
        }
    )


class Agent:
    def __init__(self, base_url: str) -> None:
        self.client = openai.OpenAI(api_key="sk-test-0123456789abcdef", base_url=base_url)
        self.answers: list[str] = []


def _golden(tmp_path: Path, name: str, *, answer: str, base_url: str) -> Path:
    """A checkpoint like the plugin's golden of ``ask()``: one mocked ``create`` call whose
    ``self`` is the client's resource and whose answer is a ``ChatCompletion``, the agent
    holding the client, and the golden outcome (the answer and the final state)."""
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("t")
    agent = Agent(base_url)
    completion = _completion(answer)
    target = "openai.resources.chat.completions.Completions.create"
    with tracer.span("test_ask") as root:
        with tracer.span(target, span_type="llm") as call:
            call.set_attribute("clearstone.target", target)
            call.set_input(
                {
                    "self": agent.client.chat.completions,
                    "messages": [{"role": "user", "content": QUESTION}],
                    "model": "gpt-4o-mini",
                }
            )
            call.set_output(completion)
        agent.answers.append(answer)
    trace = provider.trace_store.get_trace(root.trace_id)
    provider.shutdown()
    manager = CheckpointManager(tmp_path / name)
    checkpoint = manager.create_checkpoint(agent, trace, root.span_id)
    checkpoint.outcome = {
        "function": "ask",
        "result": completion,
        "final_state": {"client": agent.client, "answers": list(agent.answers)},
    }
    return manager.save_checkpoint(checkpoint, "test_ask.ckpt")


@pytest.fixture
def goldens(tmp_path: Path) -> tuple[Path, Path]:
    yes = _golden(tmp_path, "a", answer="yes", base_url="https://api.openai.com/v1")
    no = _golden(tmp_path, "b", answer="no", base_url="https://eu.api.openai.com/v1")
    return yes, no


CALL = "openai.resources.chat.completions.Completions.create #1"
EXPECTED = [
    "--- {a}",
    "+++ {b}",
    "state:",
    "  root['answers'][0]: 'yes' -> 'no'",
    "  root['client'].base_url: 'https://api.openai.com/v1/' -> 'https://eu.api.openai.com/v1/'",
    "golden outcome:",
    "  root['final_state']['answers'][0]: 'yes' -> 'no'",
    (
        "  root['final_state']['client'].base_url: 'https://api.openai.com/v1/' -> "
        "'https://eu.api.openai.com/v1/'"
    ),
    "  root['result'].choices[0].message.content: 'yes' -> 'no'",
    f"{CALL}:",
    "  input['self'].client.base_url: 'https://api.openai.com/v1/' -> 'https://eu.api.openai.com/v1/'",
    "  output.choices[0].message.content: 'yes' -> 'no'",
]


def _cli(tmp_path: Path, *argv: object) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh process: nothing but what it imports itself is loaded."""
    root = str(Path(pytest_clearstone.__file__).parent.parent)
    return subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": root, "COLUMNS": "200", "NO_COLOR": "1"},
    )


def test_diff_shows_changed_fields_of_sdk_values_without_importing_the_sdk(tmp_path, goldens):
    a, b = goldens
    result = _cli(tmp_path, "diff", a, b)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [line.format(a=a, b=b) for line in EXPECTED]
    assert result.returncode == 1


def test_diff_of_sdk_values_is_the_same_when_the_sdk_is_imported(capsys, tmp_path, goldens):
    a, b = goldens
    assert "openai" in sys.modules
    assert main(["diff", str(a), str(b)]) == 1
    assert capsys.readouterr().out.splitlines() == [line.format(a=a, b=b) for line in EXPECTED]


def test_equal_sdk_values_make_no_difference(tmp_path, goldens):
    a, _ = goldens
    again = _golden(tmp_path, "c", answer="yes", base_url="https://api.openai.com/v1")
    result = _cli(tmp_path, "diff", a, again)
    assert (result.returncode, result.stdout, result.stderr) == (0, "no differences\n", "")
    assert diff_lines(load_checkpoint(a), load_checkpoint(again)) == []


def test_show_calls_prints_the_fields_of_an_sdk_answer(tmp_path, goldens):
    _, b = goldens
    result = _cli(tmp_path, "show", "--calls", b)
    assert result.returncode == 0, result.stderr
    assert "not imported" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[1] == f"  {CALL}  [llm]"
    assert lines[2].startswith(  # (self last: the arguments that change come first)
        "    args:   messages=[{'role': 'user', 'content': 'Is it safe?'}], model='gpt-4o-mini', "
        "self=Completions(path='chat.completions', client=OpenAI(base_url="
        "'https://eu.api.openai.com/v1/'"
    )
    assert lines[3].startswith(
        "    result: ChatCompletion(id='chatcmpl-1', choices=[Choice(finish_reason='stop', "
        "index=0, message=ChatCompletionMessage(content='no', role='assistant'))]"
    )


def test_diff_with_git_head_shows_changed_fields_of_sdk_values(tmp_path, goldens):
    a, b = goldens
    repo = tmp_path / "repo"
    repo.mkdir()
    golden = repo / "test_ask.ckpt"
    golden.write_bytes(a.read_bytes())
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "golden"]):
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
        subprocess.run(git, cwd=repo, check=True, capture_output=True)
    golden.write_bytes(b.read_bytes())  # re-recorded: the model now answers "no"
    result = _cli(repo, "diff", "test_ask.ckpt")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- HEAD:test_ask.ckpt", "+++ test_ask.ckpt"]
    assert lines[2:] == EXPECTED[2:]
