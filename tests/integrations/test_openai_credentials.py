"""openai's other credentials than ``OPENAI_API_KEY`` (SDK 3.x).

The module client (``openai.chat.completions.create(...)`` with no client made) is an Azure
client where the environment holds Azure credentials (``AZURE_OPENAI_API_KEY``,
``AZURE_OPENAI_AD_TOKEN``, an endpoint in ``AZURE_OPENAI_ENDPOINT``) and no ``OPENAI_API_KEY``;
with both, the SDK refuses to choose (``_AmbiguousModuleClientUsageError``). So the plugin's
placeholder in ``OPENAI_API_KEY`` made every replay of such an agent raise that error, on the
machine that recorded it and in a CI set up as the Azure how-to says (``AZURE_OPENAI_API_KEY``
in ``clearstone_placeholder_env``). ``OPENAI_API_KEY`` gets no placeholder there, unless the
module client's kind is set (``OPENAI_API_TYPE``, ``openai.api_type``).

The runs are subprocesses: the module client, once made, is kept by the ``openai`` module, which
in-process runs share."""

from __future__ import annotations

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import SEALED_ENV, Stack

AZURE_KEY = "azure-key-CLEARSTONE-SECRET-789"

TEST = """
import openai
import pytest

import services


@pytest.fixture(autouse=True)
def module_client(monkeypatch):
    # as a user's conftest: the module client on the Azure endpoint the environment names
    monkeypatch.setattr(openai, "http_client", services.OPENAI.client())
    monkeypatch.setattr(openai, "max_retries", 0)


def ask(question):
    answer = openai.chat.completions.create(
        model="travel-mini", messages=[{"role": "user", "content": question}]
    )
    return answer.choices[0].message.content


@pytest.mark.replay("goldens/azure.ckpt",
                    mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_it(replay):
    assert replay.run(ask, "Soup?") == "Answer to 'Soup?'"
    assert openai.api_type == "azure"
"""


@pytest.fixture
def stack(make_stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_API_TYPE", raising=False)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    stack: Stack = make_stack()
    stack.write_test("module_client", TEST)
    return stack


def _run(stack: Stack, *args: str, sealed: bool) -> pytest.RunResult:
    with pytest.MonkeyPatch.context() as mp:
        if sealed:
            mp.setenv(SEALED_ENV, "1")
        return stack.pytester.runpytest_subprocess("-p", "no:randomly", *args, timeout=120)


@pytest.mark.parametrize(
    "credential", ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"], ids=["key", "ad-token"]
)
def test_the_module_client_on_azure_credentials_replays(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, credential: str
) -> None:
    monkeypatch.setenv(credential, AZURE_KEY)
    _run(stack, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    _run(stack, sealed=True).assert_outcomes(passed=1)
    stack.check_no_secret_on_disk()


def test_the_module_client_replays_in_a_ci_giving_the_azure_key_its_placeholder(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the Azure how-to says: ``AZURE_OPENAI_API_KEY`` named in
    ``clearstone_placeholder_env``, the endpoint and API version kept."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    stack.pytester.makeini("[pytest]\nclearstone_placeholder_env = AZURE_OPENAI_API_KEY\n")
    _run(stack, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    _run(stack, sealed=True).assert_outcomes(passed=1)


def test_the_openai_key_gets_its_placeholder_where_the_module_client_kind_is_set(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OPENAI_API_TYPE=azure``: the module client is an Azure one whatever ``OPENAI_API_KEY``
    holds, so the variable gets its placeholder (an ``openai.OpenAI()`` the agent makes still
    finds a key)."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)
    monkeypatch.setenv("OPENAI_API_TYPE", "azure")
    stack.edit(
        "test_module_client",
        "def test_it(replay):\n",
        "def test_it(replay):\n    print('key:', __import__('os').environ.get('OPENAI_API_KEY'))\n",
    )
    _run(stack, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    result = _run(stack, "-s", sealed=True)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*key: clearstone-placeholder-key*"])
