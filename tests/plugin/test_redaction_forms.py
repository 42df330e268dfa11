"""Arguments of real tool and database calls, end to end: an argument holding a DB-API driver
module records and replays; database passwords in connection strings and an Azure APIM
subscription key in ``extra_headers`` reach neither the golden nor the trace store."""

from __future__ import annotations

import base64
import re

import pytest

PASSWORD = "Hunter2pw99"
APIM_KEY = "3f9c2b7e8a1d4c6f9e0b5a2d7c8e1f40"
WARNING = "pytest_clearstone.errors.UnencodableValueWarning"

APP = """
import os
import sqlite3


class Conn:
    # a thin DB wrapper that keeps its DB-API driver module, as SQLAlchemy's dialect does
    def __init__(self):
        self.driver = sqlite3
        self.database = ":memory:"


def query(conn, sql):
    return [{"id": 1}]


def complete(prompt, extra_headers=None):
    return "answer to " + prompt


def ask(prompt):
    key = os.environ["APIM_SUBSCRIPTION_KEY"]
    return complete(prompt, extra_headers={"Ocp-Apim-Subscription-Key": key})
"""

TEST = """
import base64
import re

import pytest
import forms_app as app

DSNS = [
    "host=db.internal user=app password=PW dbname=shop",
    "Server=tcp:x.database.windows.net;Database=db;User ID=app;Password=PW;",
    "postgresql://app:Pa/ss-PW@db.internal/shop",
    "postgresql+psycopg://app:pa@ss-PW@db.internal:5432/shop",
]


@pytest.mark.replay(mock={"database": "forms_app.query"})
def test_conn_with_driver_module():
    assert app.query(app.Conn(), "select 1") == [{"id": 1}]


@pytest.mark.parametrize("dsn", DSNS, ids=["libpq", "ado", "url-slash", "url-at"])
@pytest.mark.replay(mock={"database": "forms_app.query"})
def test_dsn(dsn):
    assert app.query(dsn, "select 1") == [{"id": 1}]


@pytest.mark.replay(mock={"llm": "forms_app.complete"})
def test_apim_header():
    assert app.ask("hi") == "answer to hi"
"""


@pytest.fixture
def forms(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(forms_app=APP, test_forms=TEST.replace("PW", PASSWORD))
    monkeypatch.setenv("APIM_SUBSCRIPTION_KEY", APIM_KEY)
    return pytester


def _written(pytester: pytest.Pytester) -> str:
    paths = [*pytester.path.rglob("*.ckpt"), *pytester.path.rglob("*.db*")]
    assert paths, "nothing was written"
    return "\n".join(path.read_bytes().decode("latin-1") for path in paths)


def test_arguments_of_tool_and_database_calls_record_without_secrets_and_replay(
    forms: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the wrapper is stored as a placeholder, maybe with a warning saying so)
    warned = ("-p", "no:randomly", "-W", f"default::{WARNING}")
    forms.runpytest("--clearstone-record", *warned).assert_outcomes(passed=6)
    written = _written(forms)
    assert PASSWORD not in written and "ss-" + PASSWORD not in written
    assert APIM_KEY not in written
    assert '"type": "forms_app.Conn"' in written
    # CI has another key: the redacted header still matches
    monkeypatch.setenv("APIM_SUBSCRIPTION_KEY", "0" * 32)
    result = forms.runpytest(*warned)
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*6 checkpoint(s) replayed*"])


SETTINGS_APP = """
from pydantic import AnyUrl, BaseModel, PostgresDsn


class Settings(BaseModel):
    db_url: PostgresDsn
    hook: AnyUrl


def search(query):
    return ["r1"]


class Agent:
    def __init__(self):
        self.settings = Settings(
            db_url="postgresql://app:PW@db.internal/shop",
            hook="https://acct.blob.core.windows.net/c/f?sp=r&sig=SIG%3D",
        )

    def run(self, query):
        return search(query)
"""

SETTINGS_TEST = """
import base64
import re

import pytest
from settings_app import Agent


@pytest.mark.replay(mock={"tool": "settings_app.search"})
def test_settings(replay):
    assert replay.run(Agent().run, "kettle") == ["r1"]
"""


def test_passwords_in_pydantic_url_fields_of_the_state_reach_no_golden(
    pytester: pytest.Pytester,
) -> None:
    # a settings model's PostgresDsn is stored as a pickle (opted in): it held the password
    pytester.syspathinsert()
    signature = "q2x7LrK0vb3TZp9wQe1m"
    pytester.makepyfile(
        settings_app=SETTINGS_APP.replace("PW", PASSWORD).replace("SIG", signature),
        test_settings=SETTINGS_TEST,
    )
    args = ("-p", "no:randomly", "--clearstone-allow-pickle")
    pytester.runpytest("--clearstone-record", *args).assert_outcomes(passed=1)
    written = _written(pytester)
    assert PASSWORD not in written and signature not in written
    for golden in pytester.path.rglob("*.ckpt"):
        text = golden.read_text()
        for blob in re.findall(r'"v": "([A-Za-z0-9+/=]{40,})"', text):
            decoded = base64.b64decode(blob)
            assert PASSWORD.encode() not in decoded and signature.encode() not in decoded
    pytester.runpytest(*args).assert_outcomes(passed=1)
