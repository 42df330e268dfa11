"""End to end: a recording refused for many suspected secrets (user audit,
secret-scan-quadratic: 10,526 identical lines) prints a short message — identical findings
folded with their count, the list capped and the rest counted — and a tool answer holding a
MIME attachment (base64 wrapped at 76 columns) is recorded, not refused."""

from __future__ import annotations

import pytest

GH_TOKEN = "ghp_Zq8Xv3Lm9Tn2Rb7Wc4Yd6Hf1Jk5Ps0Ga3Ue"  # a known format no default rule redacts

APP = f"""
import base64
import random

GH_TOKEN = {GH_TOKEN!r}


def fetch(what):
    if what == "log":  # the same token 300 times in one string, and under 40 keys
        return {{
            "log": " ".join([GH_TOKEN] * 300),
            "notes": {{f"n{{i}}": GH_TOKEN for i in range(40)}},
        }}
    blob = random.Random(0).randbytes(60_000)
    return ("Content-Type: application/pdf\\nContent-Transfer-Encoding: base64\\n\\n"
            + base64.encodebytes(blob).decode())


def handle(what):
    return len(fetch(what))
"""

TEST = """
import pytest
from mail_app import handle


@pytest.mark.replay("goldens/log.ckpt", mock={"tool": "mail_app.fetch"})
def test_log(replay):
    replay.run(handle, "log")


@pytest.mark.replay("goldens/mail.ckpt", mock={"tool": "mail_app.fetch"})
def test_mail(replay):
    replay.run(handle, "mail")
"""


def test_many_suspects_give_a_folded_capped_refusal_and_an_attachment_records(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(mail_app=APP, test_refusal=TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--clearstone-record")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "test_log: the golden checkpoint was not written: refusing to record 340 value(s)" in out
    what = f"(a GitHub token, {len(GH_TOKEN)} chars)"
    # (the failure's lines; on CI pytest's short summary repeats the whole message after them)
    listed = [line for line in out.splitlines() if what in line][:20]
    where = "output of call #1 to mail_app.fetch"
    assert listed[0] == f"  {where}: root['log'] {what} (×300)"
    assert listed[1:] == [f"  {where}: root['notes']['n{i}'] {what}" for i in range(19)]
    assert "  ... and 21 more value(s) in 21 other place(s)" in out
    assert GH_TOKEN not in out
    assert not (pytester.path / "goldens" / "log.ckpt").exists()
    # the attachment is data: recorded, and replayed
    assert (pytester.path / "goldens" / "mail.ckpt").exists()
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-k", "test_mail")
    replayed.assert_outcomes(passed=1)


LIST_APP = f"""
GH_TOKEN = {GH_TOKEN!r}


def search(history):
    return len(history)


def agent():
    history = [{{"role": "user", "content": "token " + GH_TOKEN}}]
    first = search(history)
    history.append({{"role": "assistant", "content": str(first)}})
    return search(history)
"""

LIST_TEST = """
import pytest
from list_app import agent


@pytest.mark.replay("goldens/list.ckpt", mock={"tool": "list_app.search"})
def test_list(replay):
    replay.run(agent)
"""


def test_a_suspect_in_a_list_argument_is_named_once_under_its_own_call_number(
    pytester: pytest.Pytester,
) -> None:
    """A list or dict argument is also transformed before and after its call, to tell whether
    the call changed it in place: those passes counted as calls and noted their findings, so
    the refusal of a test of two calls listed each suspect three times, six values under
    "call #1" to "call #6"."""
    pytester.syspathinsert()
    pytester.makepyfile(list_app=LIST_APP, test_list=LIST_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "refusing to record 2 value(s)" in out
    what = f"(a GitHub token, {len(GH_TOKEN)} chars)"
    listed = [line for line in out.splitlines() if what in line][:2]
    assert listed == [
        f"  input of call #{n} to list_app.search: root['history'][0]['content'] {what}"
        for n in (1, 2)
    ]
