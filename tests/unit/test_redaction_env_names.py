"""Which environment variables hold secrets: the values the last check before a golden is
written looks for (:meth:`Redactor.secret_values`), and the key rules they share with dict keys.

Before the fix, ``$APIM_SUBSCRIPTION_KEY`` (Azure API Management), although its header
``Ocp-Apim-Subscription-Key`` was covered, was no secret: its value (32 lower-case hex digits,
which the suspect check does not flag either) was written to the golden wherever the agent put
it — under ``subscription_key=``, in an APIM URL's ``?subscription-key=``, in a prompt. So were
the values of ``AZURE_SEARCH_KEY``, ``COSMOS_KEY``, ``PGPASSWORD``, ``SMTP_PASS``,
``*_PASSPHRASE``, ``*_CONNECTION_STRING`` and the password in ``$DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_clearstone.golden.secrets import find_leak
from pytest_clearstone.redaction import (
    DEFAULT_KEYS,
    DEFAULT_VARIABLE_KEYS,
    KEY_RULES,
    PLACEHOLDER,
    Redactor,
)

APIM_KEY = "0123456789abcdef0123456789abcdef"  # the form of an APIM subscription key
VALUE = "s3cr3t-value-0123456789"


@pytest.mark.parametrize(
    "name",
    [
        # a last word the key rules had
        "OPENAI_API_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "MINIO_ACCESS_KEY",
        "DB_PASSWORD",
        "REDIS_PASSWD",
        "JWT_SECRET",
        "HF_TOKEN",
        "AWS_CREDENTIALS",
        # added
        "APIM_SUBSCRIPTION_KEY",
        "AZURE_SUBSCRIPTION_KEY",
        "AZURE_SEARCH_KEY",
        "AZURE_SEARCH_ADMIN_KEY",
        "AZURE_STORAGE_ACCOUNT_KEY",
        "COSMOS_KEY",
        "OPENAI_KEY",
        "SERPAPI_KEY",
        "ENCRYPTION_KEY",
        "PGPASSWORD",
        "SMTP_PASS",
        "GPG_PASSPHRASE",
        "AZURE_STORAGE_CONNECTION_STRING",
        "SERVICEBUS_CONN_STR",
    ],
)
def test_the_value_of_a_secret_variable_is_looked_for(name: str) -> None:
    seen = Redactor().secret_values({name: VALUE})
    assert seen == {VALUE: f"the value of ${name}"}


@pytest.mark.parametrize(
    "name",
    [
        "KEYBOARD_LAYOUT",
        "MONKEY",
        "TOKENIZERS_PARALLELISM",
        "PASSWORD_MIN_LENGTH",
        "OPENAI_MAX_TOKENS",
        "SECRET_ROTATION_DAYS",
        "KEY_VAULT_NAME",
        "PWD",  # (the shell's working directory: pwd is a password only in a connection string)
        "OLDPWD",
        "Pwd",  # (as Windows may spell it: its variable names are not case-sensitive)
        "PASSPORT_COUNTRY",
        "HOME",
    ],
)
def test_an_ordinary_variable_is_not_a_secret(name: str) -> None:
    assert Redactor().secret_values({name: VALUE}) == {}


def test_the_apim_key_in_a_prompt_refuses_the_golden_naming_the_variable() -> None:
    seen = Redactor().secret_values({"APIM_SUBSCRIPTION_KEY": APIM_KEY})
    text = '{"input": {"prompt": "call the gateway with key ' + APIM_KEY + '"}}'
    leak = find_leak(text, seen)
    assert leak is not None and leak.what == "the value of $APIM_SUBSCRIPTION_KEY"


def test_the_new_names_are_key_rules_for_arguments_and_urls_too() -> None:
    redact = Redactor()
    out = redact(
        {
            "subscription_key": APIM_KEY,
            "passphrase": VALUE,
            "pgpassword": VALUE,
            "connection_string": "AccountName=shop;AccountKey=" + VALUE,
            "conn_str": "Endpoint=sb://x/;SharedAccessKey=" + VALUE,
            "account_key": VALUE,
            "url": f"https://gw.azure-api.net/v1/chat?subscription-key={APIM_KEY}&v=1",
        }
    )
    assert VALUE not in repr(out) and APIM_KEY not in repr(out)
    assert out["url"] == f"https://gw.azure-api.net/v1/chat?subscription-key={PLACEHOLDER}&v=1"


def test_key_and_pass_are_secret_last_words_of_variables_only() -> None:
    # a dict key, a field or a query parameter named key or pass is a cache key, a sort key, a
    # compiler pass more often than a credential: those stay readable
    arguments = {
        "key": "orders/2024",
        "cache_key": "user-42",
        "sort_key": "created_at",
        "first_pass": "a draft",
        "url": "https://maps.example/?key=abc&q=x",
    }
    redactor = Redactor()
    assert redactor(arguments) == arguments
    assert not redactor.is_secret_key("AZURE_SEARCH_KEY")
    assert redactor.is_secret_variable("AZURE_SEARCH_KEY")
    assert redactor.is_secret_variable("APIM_SUBSCRIPTION_KEY")
    assert redactor.is_secret_key("APIM_SUBSCRIPTION_KEY")


def test_the_rules_are_one_table() -> None:
    names = [name for name, _ in KEY_RULES]
    assert len(names) == len(set(names))
    assert set(DEFAULT_VARIABLE_KEYS) == {
        name for name, variables_only in KEY_RULES if variables_only
    }
    assert set(DEFAULT_VARIABLE_KEYS).isdisjoint(DEFAULT_KEYS)
    assert {name for name, variables_only in KEY_RULES if not variables_only} <= set(DEFAULT_KEYS)


def test_an_allow_rule_names_a_variable_that_is_no_secret() -> None:
    env = {"GPG_KEY": "A035C8C19219BA821ECEA86B64E628F8D684696D"}  # (python's Docker images)
    assert Redactor().secret_values(env)
    assert Redactor(allow=["GPG_KEY"]).secret_values(env) == {}


def test_the_password_in_a_database_url_is_looked_for() -> None:
    env = {
        "DATABASE_URL": "postgresql://shop:Hunter2pw99@db.internal:5432/shop",
        "REDIS_URL": "redis://:R3dis-pass-77@cache:6379/0",
        "PG_DSN": "host=db user=app password=Libpq-pw-1234 dbname=shop",
        "ANALYTICS_URL": "https://analytics.example/collect",  # no password: nothing
    }
    seen = Redactor().secret_values(env)
    assert seen == {
        "Hunter2pw99": "a secret in the value of $DATABASE_URL",
        "R3dis-pass-77": "a secret in the value of $REDIS_URL",
        "Libpq-pw-1234": "a secret in the value of $PG_DSN",
    }


def test_a_secret_variable_that_names_a_file_is_the_files_place_not_a_secret(
    tmp_path: Path,
) -> None:
    # GOOGLE_APPLICATION_CREDENTIALS is the path of a service-account file: the file holds the
    # key, the path is not one (a golden that holds it is no leak)
    key_file = tmp_path / "service-account.json"
    key_file.write_text("{}")
    redactor = Redactor()
    assert redactor.secret_values({"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}) == {}
    assert redactor.secret_values({"SSH_PRIVATE_KEY": str(key_file)}) == {}
    # the key itself in a variable is one
    content = '{"type": "service_account", "private_key_id": "0123abcd"}'
    assert redactor.secret_values({"GOOGLE_CREDENTIALS": content}) == {
        content: "the value of $GOOGLE_CREDENTIALS"
    }


def test_a_mapping_of_environment_variables_is_redacted_by_the_variable_rules() -> None:
    """The ``env`` an MCP server is started with (the ``mcp`` SDK's ``StdioServerParameters``,
    a ``langchain-mcp-adapters`` stdio connection, a ``subprocess`` call's ``env=``) names
    environment variables, and ``NOTION_KEY`` is a secret there; it was taken as a dict key, so
    a key read from a config file (not in ``os.environ``, where the last check looks) was
    written to the golden as it was."""
    from mcp import StdioServerParameters

    env = {"NOTION_KEY": VALUE, "SMTP_PASS": VALUE, "PATH": "/usr/bin", "LOG_LEVEL": "debug"}
    server = StdioServerParameters(command="npx", args=["notion-mcp-server"], env=env)
    connection = {"transport": "stdio", "command": "npx", "env": env}
    for value in (server, connection):
        redactor = Redactor()
        out = redactor(value, "state", "tests/test_x.py::test_y")
        redacted = out.env if value is server else out["env"]
        assert redacted == {
            "NOTION_KEY": PLACEHOLDER,
            "SMTP_PASS": PLACEHOLDER,
            "PATH": "/usr/bin",
            "LOG_LEVEL": "debug",
        }
        assert VALUE in redactor.secret_values(environ={})  # (looked for in the golden)
    assert env["NOTION_KEY"] == VALUE  # (the agent's dict as it was)
    # a key named so elsewhere is a cache key, a sort key: not redacted
    assert Redactor()({"options": {"SORT_KEY": "name"}}) == {"options": {"SORT_KEY": "name"}}
