"""Database passwords in the usual connection-string forms are redacted inside any string:
libpq/psycopg conninfo, ADO.NET/ODBC, ``password=`` settings, and URLs whose password holds
``/ ? #`` or ``@``; ordinary text with ``=``, ``;`` or ``@`` is left as it is."""

from __future__ import annotations

import pytest

from pytest_clearstone.redaction import PLACEHOLDER, Redactor

R = PLACEHOLDER


@pytest.mark.parametrize(
    ("text", "expected", "password"),
    [
        # libpq / psycopg conninfo
        ("host=db.internal user=app password=Hunter2pw99 dbname=shop",
         f"host=db.internal user=app password={R} dbname=shop", "Hunter2pw99"),
        ("host=db password='Hunter 2\\'pw99' dbname=shop",
         f"host=db password={R} dbname=shop", "Hunter 2'pw99"),
        ("host=db password = Hunter2pw99 port=5432",
         f"host=db password = {R} port=5432", "Hunter2pw99"),
        ("dbname=shop sslpassword=Hunter2pw99", f"dbname=shop sslpassword={R}", "Hunter2pw99"),
        ("sslmode=verify-full password=Hunter2pw99", f"sslmode=verify-full password={R}",
         "Hunter2pw99"),
        # ADO.NET / pyodbc
        ("Server=tcp:x.database.windows.net;Database=db;User ID=app;Password=Hunter2pw99;",
         f"Server=tcp:x.database.windows.net;Database=db;User ID=app;Password={R};",
         "Hunter2pw99"),
        ("Driver={ODBC Driver 18 for SQL Server};Server=x;Uid=app;Pwd=Hunter2pw99;Encrypt=yes",
         f"Driver={{ODBC Driver 18 for SQL Server}};Server=x;Uid=app;Pwd={R};Encrypt=yes",
         "Hunter2pw99"),
        ("Server=x; Password=Hunter 2pw99 ; Database=y", f"Server=x; Password={R} ; Database=y",
         "Hunter 2pw99"),
        ('Server=x;Password="Hunter;2pw""99";Database=y', f"Server=x;Password={R};Database=y",
         'Hunter;2pw"99'),
        ("SERVER=x;UID=app;PWD={Hunter;2pw}}99};", f"SERVER=x;UID=app;PWD={R};", "Hunter;2pw}99"),
        # settings elsewhere: a command line, an .env file
        ("mysql --password=Hunter2pw99 -u root", f"mysql --password={R} -u root", "Hunter2pw99"),
        ("DB_HOST=db\nDB_PASSWORD=Hunter2pw99\nDB_NAME=shop",
         f"DB_HOST=db\nDB_PASSWORD={R}\nDB_NAME=shop", "Hunter2pw99"),
        # URLs whose password holds / ? # or @ (the userinfo ends at the last @ before the host)
        ("postgresql://app:Pa/ss99x@host/db", f"postgresql://app:{R}@host/db", "Pa/ss99x"),
        ("postgresql+psycopg://app:pa@ss-Hunter2pw99@db.internal:5432/shop",
         f"postgresql+psycopg://app:{R}@db.internal:5432/shop", "pa@ss-Hunter2pw99"),
        ("mysql://app:Pa#ss?99x@db:3306/x", f"mysql://app:{R}@db:3306/x", "Pa#ss?99x"),
        ("use 'postgresql://app:Pa/ss99x@db'.", f"use 'postgresql://app:{R}@db'.", "Pa/ss99x"),
        ("redis://:Hunter2pw99@cache:6379/0", f"redis://:{R}@cache:6379/0", "Hunter2pw99"),
        ("postgresql://app:Hunter2pw99@db!", f"postgresql://app:{R}@db!", "Hunter2pw99"),
        ("mongodb://app:Hunter2pw99@[::1]:27017/x", f"mongodb://app:{R}@[::1]:27017/x",
         "Hunter2pw99"),
    ],
)  # fmt: skip
def test_passwords_in_connection_strings_are_redacted(
    text: str, expected: str, password: str
) -> None:
    redactor = Redactor()
    assert redactor({"dsn": text}, "input", "app.db.query") == {"dsn": expected}
    assert redactor.redact(expected) == expected  # idempotent
    assert not redactor.find_secrets(expected)
    # the password is a secret seen: the last check searches the golden for it
    assert password in redactor.secret_values(environ={})


@pytest.mark.parametrize(
    "text",
    [
        "x=1;y=2",
        "a=1; b=2; c=3",
        "def login(user, retries=3):\n    return {'ok': True}  # x=1;y=2",
        "write to a@b.com or clone git@github.com:org/repo.git",
        "ssh://git@github.com:22/org/repo.git",
        "https://example.com/path?x=1&y=2#top",
        "https://host:8080/@scope/pkg",
        "http://localhost:4873/@types/node",
        "https://shop.example:8443/search?email=a@b.com",
        "https://medium.com/@author/a-post-1234",
        "https://user@host.example/a?b=c@d",
        "PWD=/home/app\nOLDPWD=/home",
        "passwordless=true max_tokens=20 password_hash_rounds=12",
        "Reset your password: open the link we sent. The password is never stored.",
        f"host=db password={R} dbname=shop",
        f"postgresql://app:{R}@host/db",
    ],
)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    redactor = Redactor()
    assert redactor(text, "input", "app.llm") == text
    assert redactor.secret_values(environ={}) == {}


def test_an_at_sign_after_a_url_password_is_taken_for_its_end_hiding_more_never_less() -> None:
    # where the password ends is ambiguous: the last @ followed by a host ends it, so a
    # password holding "@host/" is never left in part (an @ later in the URL hides more)
    assert Redactor().redact("https://svc:Xk9@fT2#qL@proxy.example/v1") == (
        f"https://svc:{R}@proxy.example/v1"
    )
    assert Redactor().redact("https://svc:Pw0rd-x@proxy.example/v1?to=ops@example.com") == (
        f"https://svc:{R}@example.com"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host=db password=sk-abcdefghijklmnopqrstuv.tail-of-it dbname=x",
         f"host=db password={R} dbname=x"),
        ("Server=x;Pwd=sk-abcdefghijklmnopqrstuv.tail;Encrypt=yes",
         f"Server=x;Pwd={R};Encrypt=yes"),
        ("postgresql://app:sk-abcdefghijklmnopqrstuv.tail@db/x", f"postgresql://app:{R}@db/x"),
        ("https://x.example/v1?api_key=sk-abcdefghijklmnopqrstuv.more&v=1",
         f"https://x.example/v1?api_key={R}&v=1"),
        ('{"api_key": "sk-abcdefghijklmnopqrstuv.tail"}', f'{{"api_key": "{R}"}}'),
    ],
)  # fmt: skip
def test_a_secret_whose_start_another_rule_redacted_is_redacted_whole(
    text: str, expected: str
) -> None:
    # (the key pattern stops at the '.': the password's, the parameter's or the entry's rule,
    # seeing a value that began with the placeholder, took it for one redacted before and left
    # the rest of the secret in the golden)
    redactor = Redactor()
    assert redactor.redact(text) == expected
    assert redactor.redact(expected) == expected  # idempotent
