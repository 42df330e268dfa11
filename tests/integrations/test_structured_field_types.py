"""Structured outputs whose model has fields of pydantic's network types: ``HttpUrl``/``AnyUrl``
(pydantic's URL classes), ``PostgresDsn`` (a multi-host URL) and the ``ipaddress`` classes
pydantic validates into. The parsed model in ``parse``'s answer and in the agent's state is
stored readably (it needed a pickle: recording failed unless pickles were allowed) and reads
back with those fields of the same types."""

from __future__ import annotations

import json

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse them)
import pydantic.networks  # noqa: F401

from .harness import Stack

PARSE = "openai.resources.chat.completions.Completions.parse"

TEST = f"""
import ipaddress

import pydantic
import pytest

import openai_agent as app


class Sourced(pydantic.BaseModel):
    # the service answers {{"answer": ..., "confident": true}}: the others are their defaults,
    # validated into pydantic's URL classes and the ipaddress ones
    model_config = pydantic.ConfigDict(validate_default=True)

    answer: str
    confident: bool
    source: pydantic.HttpUrl = "https://example.org/guide?page=2"
    mirror: pydantic.AnyUrl = "ftp://mirror.example.org/pub"
    database: pydantic.PostgresDsn = "postgres://reader@db1,db2/guide"
    server: ipaddress.IPv4Address = "10.0.0.7"
    server6: ipaddress.IPv6Address = "::1"
    network: ipaddress.IPv4Network = "10.0.0.0/8"
    interface: ipaddress.IPv6Interface = "fe80::1/64"


class Finder(app.ChatAgent):
    def find(self, question):
        response = self.client.chat.completions.parse(
            model=app.MODEL, messages=app.messages_for(question), response_format=Sourced
        )
        found = response.choices[0].message.parsed
        self.history.append({{"q": question, "found": found, "host": found.source.host}})
        return found


@pytest.mark.replay("goldens/sourced.ckpt", mock={{"llm": "{PARSE}"}})
def test_it(replay, openai_client):
    agent = Finder(openai_client)
    found = replay.run(agent.find, "Guides of Lisbon?")
    assert type(found) is Sourced
    assert type(found.source) is pydantic.HttpUrl and found.source.host == "example.org"
    assert type(found.database) is pydantic.PostgresDsn
    assert [type(found.server), type(found.network)] == [
        ipaddress.IPv4Address, ipaddress.IPv4Network]
    assert found.interface == ipaddress.IPv6Interface("fe80::1/64")
"""


def _stored(tree, tag):
    if isinstance(tree, dict):
        if tree.get("__cs__") == tag:
            yield tree
        for value in tree.values():
            yield from _stored(value, tag)
    elif isinstance(tree, list):
        for value in tree:
            yield from _stored(value, tag)


def test_a_parsed_model_with_url_and_ip_address_fields_records_without_pickles(
    make_stack,
) -> None:
    stack: Stack = make_stack("openai_agent")
    stack.write_test("sourced", TEST)
    stack.roundtrip()  # records with pickles refused (the default), replays twice
    (golden,) = stack.goldens()
    document = json.loads(golden.read_text())
    urls = {node["v"] for node in _stored(document, "pydantic_url")}
    assert urls == {
        "https://example.org/guide?page=2",
        "ftp://mirror.example.org/pub",
        "postgres://reader@db1,db2/guide",
    }
    addresses = {(node["cls"], node["v"]) for node in _stored(document, "ip")}
    assert addresses == {
        ("IPv4Address", "10.0.0.7"),
        ("IPv6Address", "::1"),
        ("IPv4Network", "10.0.0.0/8"),
        ("IPv6Interface", "fe80::1/64"),
    }


ZONED = f"""
import re
import zoneinfo

import pydantic
import pytest

import openai_agent as app


class Meeting(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(validate_default=True)

    answer: str
    confident: bool
    zone: zoneinfo.ZoneInfo = "Europe/Lisbon"
    code: re.Pattern = "^[A-Z]{{3}}-[0-9]+$"


class Planner(app.ChatAgent):
    def plan(self, question):
        response = self.client.chat.completions.parse(
            model=app.MODEL, messages=app.messages_for(question), response_format=Meeting
        )
        meeting = response.choices[0].message.parsed
        self.history.append({{"q": question, "meeting": meeting}})
        return meeting


@pytest.mark.replay("goldens/meeting.ckpt", mock={{"llm": "{PARSE}"}})
def test_it(replay, openai_client):
    meeting = replay.run(Planner(openai_client).plan, "Meet in Lisbon?")
    assert meeting.zone is zoneinfo.ZoneInfo("Europe/Lisbon")
    assert meeting.code.match("LIS-42") and meeting.code.flags & re.UNICODE
"""


def test_a_parsed_model_with_time_zone_and_pattern_fields_records_without_pickles(
    make_stack,
) -> None:
    """``zoneinfo.ZoneInfo`` and ``re.Pattern`` fields (pydantic validates a zone's key and a
    pattern's text into them) needed a pickle too."""
    stack: Stack = make_stack("openai_agent")
    stack.write_test("meeting", ZONED)
    stack.roundtrip()
    (golden,) = stack.goldens()
    document = json.loads(golden.read_text())
    assert {node["v"] for node in _stored(document, "zone")} == {"Europe/Lisbon"}
    assert {(node["v"], node["flags"]) for node in _stored(document, "pattern")} == {
        ("^[A-Z]{3}-[0-9]+$", 32)
    }
