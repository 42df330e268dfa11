"""Secret redaction: values are cleaned before they reach a checkpoint or the trace store.

A :class:`Redactor` is a ``transform(value, where, target) -> value`` (the signature the
recorder calls for every call's arguments and return value, and for the agent's state and
result). It returns a redacted copy and never mutates its input. Three kinds of rule:

- **Keys**: the value under a dict key (or a dataclass field, an attribute, the first item of a
  ``(name, value)`` pair, a header of an ``httpx``/``httpx2`` request or response) whose name
  *ends with* the words of a key rule becomes the placeholder. Names are split into lower-case
  words at ``-``, ``_``, ``.``, spaces and camelCase, so the rule ``api_key`` matches
  ``x-api-key``, ``OPENAI_API_KEY`` and ``apiKey``, and ``token`` matches ``access_token`` and
  ``csrfToken`` but not ``max_tokens`` or ``token_count``. A header's name (of an
  ``httpx``/``httpx2`` message, or under a field named ``headers``: ``extra_headers=``, the
  stored request of a recorded error) is secret also when its last word is ``key`` or it holds
  a word such as ``token`` or ``signature`` (:func:`_secret_header_name`).
- **Patterns**: every match of a regular expression inside a string is replaced, not the whole
  string; a pattern with a group named ``secret`` replaces only that group
  (``Bearer [REDACTED]``).
- **URLs and connection strings**: inside a string (or an ``httpx``/``httpx2`` ``URL``), the
  value of a query parameter whose name a key rule covers (``?api-key=[REDACTED]&api-version=1``),
  the password of a ``scheme://user:password@host`` URL (which may hold ``/ ? # @``) and the
  password setting of a libpq, ADO.NET or ODBC connection string (``password=[REDACTED]``,
  ``;Pwd=[REDACTED];``).
- **Allow rules**, never redacted nor reported: a path (``root['headers']['x-request-id']``, its
  whole subtree), a key name (exact, words compared as above), or ``re:REGEX`` (a string value
  the regex matches in full).

Model output that the API's own shape marks as such is never a credential, whatever its field is
called (:data:`MODEL_OUTPUT`): the ``token`` of a log-probability entry (an object or dict with a
``logprob`` field: ``"Answer"`` is what the model wrote), the opaque ``signature``/``data`` of
anthropic extended-thinking blocks (sent back to the API byte for byte; also as pydantic-ai's
``ThinkingPart.signature``) and the base64
``embedding`` of an openai embedding. Those fields are kept as they are, like an allowed key.

The walk looks into containers and objects, each object once (a shared object graph costs one
visit per object, and stays shared in the copy; a value that holds itself gives a copy that holds
the copy), and never into modules, classes or functions.

Redaction is deterministic and idempotent (redacting twice gives the same value), so a replay
can redact the actual call arguments the same way before comparing them with the recording.

Beyond the rules, strings that *look* like secrets (known token formats such as ``ghp_...`` or
``xoxb-...``, long mixed-case high-entropy tokens, except in a block of wrapped base64 such as
a MIME attachment) are *suspects*: :meth:`Redactor.find_secrets`
lists their paths, and a checking redactor replaces them too and keeps a :class:`SecretFinding`
for each, so a record run can fail with :class:`~pytest_clearstone.errors.UnredactedSecretError`.

A redactor also remembers the values it replaced (under secret keys, matched by a pattern, in a
URL) and the secret query parameters and headers of the SDK and HTTP clients it met
(``default_query``, ``default_headers``; ``params``, ``headers``: the codec stores a client as a
reference without them): :meth:`Redactor.secret_values` gives them, with the values of the
environment variables its key rules cover, the secrets the codec withheld and those of the
clients the codec stored (the state is redacted after it was stored: its clients are rebuilt
ones, without their settings), to the scan of a golden before it is written
(:mod:`pytest_clearstone.golden.secrets`).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import io
import json
import logging
import math
import os
import re
import sys
import types
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from .codec import stored_as_reference, withheld
from .codec.clients import client_base, client_name, sent_with_every_request
from .codec.compare import same_stored_form
from .codec.files import is_file, stored_content, with_content
from .codec.http import (
    HTTP_MODULES,
    REDACTED,
    SECRET_HEADERS,
    article,
    auth_token,
    header_pairs,
    is_headers,
    is_message,
    is_requests_headers,
    stored_body,
    with_body,
)
from .codec.library import kind_of
from .codec.models import placeholder_secret
from .errors import UnredactedSecretError

PLACEHOLDER = withheld.PLACEHOLDER

#: A secret value seen shorter than this, or made of digits only, is neither looked for in a
#: golden (:mod:`pytest_clearstone.golden.secrets`) nor hidden in a failure message
#: (:meth:`Redactor.shown`): such values turn up by chance (timestamps, counts).
MIN_SECRET_LENGTH = 8

#: the variables the shell sets to a directory whose names a key rule (``pwd``) covers
_SHELL_VARIABLES = frozenset({"PWD", "OLDPWD"})

_NOT_SECRETS = frozenset({PLACEHOLDER, REDACTED, withheld.PLACEHOLDER_KEY})


def worth_looking_for(value: str) -> bool:
    """Whether the secret value ``value`` is looked for (:data:`MIN_SECRET_LENGTH`); a
    placeholder (the redaction's, the codec's, the key a rebuilt SDK client is given) is not."""
    return len(value) >= MIN_SECRET_LENGTH and not value.isdigit() and value not in _NOT_SECRETS


def spellings(value: str) -> dict[str, None]:
    """``value`` and the spellings of it that a recording or a failure message can hold in its
    place: URL-encoded (a key sent in a query string or a form body) and, for a value holding a
    quote, a backslash or a character that is not printable, JSON-escaped (a JSON text an agent
    keeps as a string), in that order."""
    found = dict.fromkeys((value, quote(value, safe=""), quote(value), quote_plus(value)))
    if needs_json_escapes(value):
        found.setdefault(json_string_form(value))
    return found


def base64_cores(value: bytes) -> list[str]:
    """The base64 texts ``value`` gives inside any base64 text that holds it (media an agent
    sends as a string: a ``data:`` URL, an anthropic ``base64`` source, a ``b64_json``), one
    per place of its first byte in a group of three, standard and URL-safe alphabets: the
    characters made of its bits alone, without those shared with the bytes around it."""
    import binascii  # (on the paths that look for secrets only: not at a replay's import)

    cores = []
    for offset in range(3):
        encoded = binascii.b2a_base64(bytes(offset) + value, newline=False).decode("ascii")
        first, end = -(-8 * offset // 6), 8 * (offset + len(value)) // 6
        core = encoded[first:end]
        cores.append(core)
        urlsafe = core.replace("+", "-").replace("/", "_")
        if urlsafe != core:
            cores.append(urlsafe)
    return cores


def needs_json_escapes(value: str) -> bool:
    """Whether ``value`` is spelt otherwise inside a JSON string (:func:`json_string_form`)."""
    return '"' in value or "\\" in value or not value.isprintable()


def json_string_form(value: str) -> str:
    """``value`` as it is spelt inside a JSON string (quotes, backslashes and control
    characters escaped)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


#: ``pass`` after one of these words is the password of what it names (``db_pass``,
#: ``smtp_pass``)
_PASS_PREFIXES = (
    "db",
    "database",
    "pg",
    "postgres",
    "mysql",
    "sql",
    "redis",
    "mongo",
    "ldap",
    "smtp",
    "mail",
    "email",
    "ftp",
    "user",
    "admin",
    "root",
    "login",
    "account",
)

#: The key rules on by default (see the module docstring for how a name is matched), one row
#: each: the name, and whether it covers the names of environment variables only. A rule for
#: everything covers dict keys, fields, attributes, headers, query parameters and variable
#: names (the values of the variables it covers are looked for in a golden before it is
#: written); a rule for variables only names a secret there (``AZURE_SEARCH_KEY``,
#: ``SMTP_PASS``) but not as a dict key or a field, where ``key`` and ``pass`` are a cache key,
#: a sort key or a compiler pass more often than a credential.
KEY_RULES: tuple[tuple[str, bool], ...] = (
    ("api_key", False),
    ("apikey", False),
    ("authorization", False),
    ("auth", False),
    ("token", False),
    ("password", False),
    ("passwd", False),
    ("pgpassword", False),  # (libpq's variable)
    ("passphrase", False),
    ("pwd", False),  # (pyodbc's and ODBC's uid=/pwd=; not the shell's $PWD: _SHELL_VARIABLES)
    # ``pass`` after the name of what it opens is a password as a field too (``db_pass``,
    # ``smtp_pass``); alone or after another word it is a compiler pass, nginx's proxy_pass
    *((f"{prefix}_pass", False) for prefix in _PASS_PREFIXES),
    ("secret", False),
    ("secret_key", False),
    ("private_key", False),
    ("access_key", False),
    ("account_key", False),
    ("subscription_key", False),  # (Azure API Management, Azure AI services)
    ("credentials", False),
    ("creds", False),
    ("bearer", False),  # (the token of an ``Authorization: Bearer`` header kept on its own)
    ("passcode", False),
    # ``key`` after what it signs, encrypts or opens is a secret as a field too; alone or after
    # another word it is a cache key, a sort key, a primary key
    ("signing_key", False),
    ("encryption_key", False),
    ("master_key", False),
    ("hmac_key", False),
    ("ssh_key", False),
    ("priv_key", False),
    ("privkey", False),
    ("connection_string", False),  # (Azure's hold an AccountKey or a SharedAccessKey)
    ("conn_str", False),
    ("cookie", False),
    ("cookies", False),
    ("set-cookie", False),
    ("key", True),
    ("pass", True),
)
#: The key rules for everything, then the names of the headers the codec never writes
#: (``ocp-apim-subscription-key``, ...): a header dict passed as an argument
#: (``extra_headers=``) is redacted like an httpx request.
DEFAULT_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            *(name for name, variables_only in KEY_RULES if not variables_only),
            *sorted(SECRET_HEADERS),
        )
    )
)
#: The key rules for the names of environment variables only.
DEFAULT_VARIABLE_KEYS: tuple[str, ...] = tuple(
    name for name, variables_only in KEY_RULES if variables_only
)

#: Patterns on by default: bearer tokens, ``sk-...`` keys and ``ek_...`` ephemeral keys
#: (OpenAI's), AWS access key ids, JWTs, HTTP basic credentials (``Basic <base64 of
#: user:password>``: base64 in groups of four, with a digit, ``+``, ``/`` or padding, or 20 or
#: more mixed-case letters: "Basic Instructions" is prose).
#: Each is written literal first, the check that no letter or digit comes before it after the
#: literal (``sk-(?<![A-Za-z0-9]sk-)`` is ``(?<![A-Za-z0-9])sk-``): the regex engine then skips
#: to where the literal occurs instead of trying a match at every character of a long prompt. A
#: bearer token has a digit or inner punctuation, or is 20 or more mixed-case letters: a word
#: after "bearer" in prose ("a bearer instrument") is none.
DEFAULT_PATTERNS: tuple[str, ...] = (
    r"[Bb](?<!\w[Bb])(?i:earer)\s+(?P<secret>(?=[A-Za-z]*(?:[0-9]|[\-._~+/][A-Za-z0-9])|"
    r"(?=[A-Za-z]{20})[A-Za-z]*[a-z][A-Za-z]*[A-Z])[A-Za-z0-9\-._~+/]{8,}=*)",
    r"sk-(?<![A-Za-z0-9]sk-)[A-Za-z0-9_\-]{16,}",
    # an OpenAI ephemeral key (a Realtime client secret: ``client_secrets.create``'s ``value``)
    r"ek_(?<![A-Za-z0-9]ek_)[A-Za-z0-9]{32,}",
    r"(?:AKIA|ASIA)(?<![A-Za-z0-9]AKIA)(?<![A-Za-z0-9]ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])",
    r"eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
    r"[Bb](?<!\w[Bb])(?i:asic)\s+(?P<secret>(?=[A-Za-z]*[0-9+/=]|(?=[A-Za-z]{20})[A-Za-z]*[a-z]"
    r"[A-Za-z]*[A-Z])(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)"
    r"(?![A-Za-z0-9+/=])",
)

#: Fields that hold model output, never a credential, in the containers (dicts or objects) the
#: API's own shape identifies: ``(field, value, fields kept)`` — a container with ``field``
#: (equal to ``value``, or with any value when ``value`` is ``None``) keeps ``fields kept`` as
#: they are, neither redacted by the key rules nor reported as suspects. A kept field written
#: ``outer.name`` is the field ``name`` of the dict under the container's field ``outer``.
MODEL_OUTPUT: tuple[tuple[str, str | None, frozenset[str]], ...] = (
    # a token's log-probability (openai chat completions, Responses API, transcriptions, realtime;
    # their ``model_dump()``, LangChain's ``response_metadata``): the text the model wrote
    ("logprob", None, frozenset({"token"})),
    # anthropic extended thinking: opaque, and sent back to the API byte for byte
    ("type", "thinking", frozenset({"signature"})),
    ("type", "signature_delta", frozenset({"signature"})),
    # (and the stream helper's event of it: messages.stream(...)'s SignatureEvent)
    ("type", "signature", frozenset({"signature"})),
    ("type", "redacted_thinking", frozenset({"data"})),
    # pydantic-ai's ThinkingPart (and its streamed delta): the same signatures (anthropic's,
    # a redacted block's data), and the encrypted reasoning of other providers
    ("part_kind", "thinking", frozenset({"signature"})),
    ("part_delta_kind", "thinking", frozenset({"signature_delta"})),
    # anthropic web search: the opaque search results and citation indexes sent back as they are
    ("type", "web_search_result", frozenset({"encrypted_content"})),
    ("type", "web_search_result_location", frozenset({"encrypted_index"})),
    # anthropic code execution's output in encrypted form, a beta advisor's redacted result
    # and a beta context compaction (its signature over the summary too; and its streamed
    # delta): opaque too, sent back as they are
    ("type", "encrypted_code_execution_result", frozenset({"encrypted_stdout"})),
    ("type", "advisor_redacted_result", frozenset({"encrypted_content"})),
    ("type", "compaction", frozenset({"encrypted_content", "signature"})),
    ("type", "compaction_delta", frozenset({"encrypted_content"})),
    # openai reasoning items returned encrypted (include=["reasoning.encrypted_content"]), and
    # the encrypted content parts of a beta Responses API agent message
    ("type", "reasoning", frozenset({"encrypted_content"})),
    ("type", "encrypted_content", frozenset({"encrypted_content"})),
    # the same values in LangChain's standard content blocks (``content_blocks``, and the
    # content of a chat model with ``output_version="v1"``), which move the provider's fields
    # they have no name for into the block's ``extras`` dict (``extras.<field>``: that field of
    # the dict under ``extras``): a thinking block's signature and an encrypted reasoning item
    # in a ``reasoning`` block, a web search citation's index in a ``citation`` annotation
    ("type", "reasoning", frozenset({"extras.signature", "extras.encrypted_content"})),
    ("type", "citation", frozenset({"extras.encrypted_index"})),
    # and in pydantic-ai's CompactionPart, which keeps an anthropic compaction block's
    # encrypted content and signature (openai's encrypted compaction item) in provider_details
    (
        "part_kind",
        "compaction",
        frozenset({"provider_details.encrypted_content", "provider_details.signature"}),
    ),
    # an openai embedding: the vector, base64 with encoding_format="base64"
    ("object", "embedding", frozenset({"embedding"})),
    # not model output but content, never a credential either: the data of an anthropic
    # ``base64`` source (an image or document block), which a small image keeps short enough
    # to look like a token
    ("type", "base64", frozenset({"data"})),
    # the same for MCP (the ``mcp`` SDK's ``mcp.types``): the base64 of an ``ImageContent`` or
    # ``AudioContent`` in a tool's result, and the ``blob`` of a ``BlobResourceContents`` (an
    # ``EmbeddedResource``'s, a resource read), which has a ``uri``
    ("type", "image", frozenset({"data"})),
    ("type", "audio", frozenset({"data"})),
    ("uri", None, frozenset({"blob"})),
    # LangChain's standard content blocks (``{"type": "image", "base64": ..., "mime_type":
    # ...}``; the older ``"source_type": "base64"`` blocks hold it in ``data``), and the media
    # openai's APIs take and give in base64 however small: an ``input_audio`` part's ``data``
    # (``{"data": ..., "format": "wav"}``), a file part's ``file_data``, an image API's
    # ``b64_json``
    ("type", "image", frozenset({"base64"})),
    ("type", "audio", frozenset({"base64"})),
    ("type", "file", frozenset({"base64", "data"})),
    ("type", "video", frozenset({"base64", "data"})),
    ("format", "wav", frozenset({"data"})),
    ("format", "mp3", frozenset({"data"})),
    ("file_data", None, frozenset({"file_data"})),
    ("b64_json", None, frozenset({"b64_json"})),
)

#: The last words of the query parameters that hold a URL's signature (Azure SAS ``sig``,
#: ``X-Amz-Signature``, ``X-Goog-Signature``): redacted in URLs only, where a signature grants
#: access (a ``signature`` field elsewhere is a webhook's or a thinking block's).
URL_SIGNATURES = frozenset({"sig", "signature"})

#: Known token formats that no default rule redacts, and what to call them in a message
#: (written literal first, as the default patterns are).
SUSPECT_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rx))
    for kind, rx in (
        ("GitHub token", r"g(?<![A-Za-z0-9]g)(?:h[pousr]_[A-Za-z0-9]{30,}|ithub_pat_\w{40,})"),
        ("Slack token", r"xox(?<![A-Za-z0-9]xox)[abposr]-[A-Za-z0-9\-]{10,}"),
        ("GitLab token", r"glpat-(?<![A-Za-z0-9]glpat-)[A-Za-z0-9_\-]{20,}"),
        ("Google API key", r"AIza(?<![A-Za-z0-9]AIza)[0-9A-Za-z_\-]{35}"),
        ("Stripe key", r"[rs]k_(?<![A-Za-z0-9][rs]k_)(?:live|test)_[0-9A-Za-z]{16,}"),
        ("Hugging Face token", r"hf_(?<![A-Za-z0-9]hf_)[A-Za-z0-9]{30,}"),
        # (PEM's and OpenSSH's armor, and GnuPG's ``PGP PRIVATE KEY BLOCK``: their bodies are
        # wrapped base64, which is data elsewhere)
        ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY[A-Z ]*-----"),
        (
            "SendGrid key",
            r"SG\.(?<![A-Za-z0-9]SG\.)[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])",
        ),
        ("npm token", r"npm_(?<![A-Za-z0-9]npm_)[A-Za-z0-9]{36}"),
        ("PyPI token", r"pypi-(?<![A-Za-z0-9]pypi-)AgE[A-Za-z0-9_\-]{50,}"),
        # (a webhook URL's path is its credential: whoever has it can post)
        (
            "Slack webhook URL",
            r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,}",
        ),
        ("Discord webhook URL", r"discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]{20,}"),
        # the keys of services agents call (their own formats; some lower-case hex, which the
        # random-looking check leaves alone)
        ("LangSmith key", r"lsv2_(?<![A-Za-z0-9]lsv2_)(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}"),
        ("Perplexity key", r"pplx-(?<![A-Za-z0-9]pplx-)[A-Za-z0-9]{40,}"),
        ("Groq key", r"gsk_(?<![A-Za-z0-9]gsk_)[A-Za-z0-9]{40,}"),
        ("Replicate token", r"r8_(?<![A-Za-z0-9]r8_)[A-Za-z0-9]{30,}"),
        ("xAI key", r"xai-(?<![A-Za-z0-9]xai-)[A-Za-z0-9]{60,}"),
        ("Tavily key", r"tvly-(?<![A-Za-z0-9]tvly-)(?:dev-|prod-)?[A-Za-z0-9]{30,}"),
        ("E2B key", r"e2b_(?<![A-Za-z0-9]e2b_)[0-9a-f]{40}"),
    )
)
_TOKEN = re.compile(r"[A-Za-z0-9+/_=\-]{32,}")
_MAX_GENERIC = 200  # longer runs are data (base64 images, documents), not credentials
# what comes before the payload of a ``data:`` URL (``data:image/png;base64,iVBOR...``): data
# however short, a small image's
_DATA_URL_PAYLOAD = ";base64,"
# a line of base64 (the standard alphabet), maybe indented, padded, or ending in \r (MIME's CRLF)
_BASE64_LINE = re.compile(r"^[ \t]*(?P<b>[A-Za-z0-9+/]+={0,2})[ \t]*\r?$", re.MULTILINE)
_MIN_WRAP = 60  # the narrowest line of wrapped base64 counted as such (PEM writes 64, MIME 76)
_MIN_WRAPPED_LINES = 3  # fewer lines of one length may be keys, one a line
# the ids OpenAI and Anthropic give their objects (a chat completion's ``chatcmpl-`` + 29
# random letters and digits, a batch's ``msgbatch_01...``): random and mixed-case, but no
# credential, and in every answer
_API_ID = re.compile(
    r"(?:chatcmpl-|cmpl-|resp_|msg_|msgbatch_|toolu_|srvtoolu_|mcptoolu_|container_|req_|call_|"
    r"fc_|rs_|asst_|thread_|run_|step_|file-|file_|batch_|ftjob-|ft-|vs_)[A-Za-z0-9]+"
)
_MIN_ENTROPY = 3.5  # bits per character
_MAX_WORDLIKE = 0.6  # identifiers and paths are mostly pronounceable words; random tokens are not
_WORDLIKE = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{2,}(?![a-z])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
# a part of a URL path that is no token: words (camel case too), short acronyms, numbers, an
# API's version (``v1``)
_PATH_WORD = re.compile(r"(?:[A-Z]?[a-z]+)+|[A-Z]{1,5}|[0-9]{1,4}|v[0-9]{1,2}")
_PATH_PUNCTUATION = re.compile(r"[\-_.=+]")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_QUERY_PARAMETER = re.compile(r"[?&](?P<name>[^\s=&#?\"'<>]+)=(?P<secret>[^\s&#\"'<>\\]+)")
# The password of a URL may hold / ? # and @ unescaped (SQLAlchemy and libpq accept them): it
# runs to the last @ followed by a host and the end of the authority (a later @ in the path
# hides more of the URL, never less of the password), else to the first @ as RFC 3986 has it.
# A port (host:8080/@scope/pkg) is no password.
_URL_PASSWORD = re.compile(
    r"://[^\s:/?#@\[\]\"'<>]*:(?!\d*(?:[/?#,;]|$))(?P<secret>[^\s\"'<>]*"
    r"(?=@(?:[\w.-]+|\[[0-9A-Fa-f:.]+\])(?::\d*)?(?:[/?#\s\"'<>),;\]}`\\]|$))"
    r"|[^\s/?#@\"'<>]+(?=@))@"
)


def _after(names: Sequence[str], befores: Sequence[str]) -> str:
    """Look-behinds (fixed width each) for ``=`` after one of ``names`` (any case) and at most
    one space, itself after one of ``befores``."""
    return "|".join(
        f"(?<={before}(?i:{name}){gap}=)"
        for before in befores
        for name in names
        for gap in ("", "[ \t]")
    )


# A password setting of a connection string: libpq/psycopg conninfo (``password=x dbname=y``,
# ``password='a b'``), a ``--password=``/``DB_PASSWORD=`` setting, and ADO.NET/ODBC
# (``;Password=x;``, ``;Pwd={x}``, where a value runs to the ``;``). Written ``=`` first, the
# name looked back for: the engine then jumps from one ``=`` to the next instead of trying a
# match at every character of a long prompt.
_PASSWORD_SETTING = re.compile(
    r"=(?:(?<=[Dd]=)|(?<=[Dd][ \t]=))(?:(?P<listed>"
    + _after(("password", "passwd", "pwd"), (";", ";[ \t]"))
    + ")|"
    + _after(("password", "passwd", "sslpassword"), ("(?<![A-Za-z0-9])",))
    + r")[ \t]*(?P<secret>'(?:[^'\\\r\n]|\\.|'')*'|\"(?:[^\"\\\r\n]|\\.|\"\")*\""
    r"|\{(?:[^}\r\n]|\}\})*\}|(?(listed)[^;\r\n]*[^\s;]|[^\s;'\"=][^\s;]*))"
)
# A quoted entry of the text of a JSON object or a Python dict (a tool's result ``json.dumps``'d
# or ``str()``'d): ``"db_password": "x"``, ``'api_key': 'x'``; its value is redacted when a key
# rule covers its name.
_QUOTED_ENTRY = re.compile(
    r"(?P<q>[\"'])(?P<name>[A-Za-z0-9_.\-]{1,64})(?P=q)[ \t]*:[ \t]*"
    r"(?P=q)(?P<secret>(?:(?!(?P=q))[^\\\r\n]|\\.)+)(?P=q)"
)
_QUOTED_SETTING = re.compile(r"(?P<quote>['\"])(?P<v>.*)(?P=quote)|\{(?P<braced>.*)\}", re.DOTALL)


def _unescaped(text: str) -> str:
    """A quoted string's text as it reads: backslash escapes undone (``\\"`` is ``"``)."""
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def _setting_value(text: str) -> str:
    """The value of a password setting as the driver reads it: unquoted (libpq ``\\'``,
    ADO.NET ``''``/``\"\"``, ODBC ``}}``)."""
    m = _QUOTED_SETTING.fullmatch(text)
    if m is None:
        return text
    if m["braced"] is not None:
        return m["braced"].replace("}}", "}")
    quote = m["quote"]
    return re.sub(r"\\(.)", r"\1", m["v"]).replace(quote * 2, quote)


#: the rules for credentials in text that every redactor applies, and how each reads the
#: value it replaces (the form noted for the scan of a golden besides the text itself)
_TEXT_RULES: dict[re.Pattern[str], Callable[[str], str]] = {
    _QUERY_PARAMETER: unquote_plus,
    _QUOTED_ENTRY: _unescaped,
    _URL_PASSWORD: unquote_plus,
    _PASSWORD_SETTING: _setting_value,
}
#: what the walk never looks into: code and namespaces hold no recorded data, and lead to the
#: whole interpreter (a driver module's ``sys.modules``, say); a class is stored by its name, and
#: so is a logger (its manager leads to every logger: a copy made on the way is no logger of a name)
_NOT_DATA = (
    logging.Logger,
    type,
    types.ModuleType,
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.CodeType,
    staticmethod,
    classmethod,
)
_ABSENT = object()
# the redacted copy of a value whose walk has begun and not ended; a value walked again
# inside itself (:meth:`_Walk.back_reference`)
_WALKING = object()
_REWALKING = object()
_NOTHING_KEPT: frozenset[str] = frozenset()


def _output_rules() -> dict[str, dict[str | None, frozenset[str]]]:
    """:data:`MODEL_OUTPUT` by the field that marks a container: ``{field: {its value (None:
    any): the fields kept}}``, so that a container is checked in a look-up per marker."""
    rules: dict[str, dict[str | None, frozenset[str]]] = {}
    for name, value, fields in MODEL_OUTPUT:
        by_value = rules.setdefault(name, {})
        by_value[value] = by_value.get(value, _NOTHING_KEPT) | fields
    return rules


_OUTPUT_RULES = _output_rules()
_OUTPUT_MARKERS = frozenset(_OUTPUT_RULES)


def _is_event_stream(message: Any) -> bool:
    """Whether an ``httpx`` request or response ``message`` holds a server-sent event stream
    (``content-type: text/event-stream``)."""
    return "text/event-stream" in str(message.headers.get("content-type", "")).lower()


def _json_data(line: str) -> Any:
    """The JSON object or array of an event stream's ``data:`` line, else ``None`` (another
    line, openai's ``data: [DONE]``)."""
    if not line.startswith("data:") or not line[5:].lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(line[5:])
    except ValueError:
        return None


def key_words(name: str) -> tuple[str, ...]:
    """The lower-case words of a key name: ``"X-Api-Key"`` and ``"xApiKey"`` give
    ``("x", "api", "key")``. Digits are dropped."""
    return tuple(w.lower() for w in _WORD.findall(name))


def _model_output(names: Collection[str], field: Callable[[str], Any]) -> frozenset[str]:
    """The fields of a container that hold model output (:data:`MODEL_OUTPUT`); ``names`` are
    its fields (a dict's keys), ``field(name)`` gives one (or ``_ABSENT``)."""
    if _OUTPUT_MARKERS.isdisjoint(names):  # the usual case
        return _NOTHING_KEPT
    kept = _NOTHING_KEPT
    for name, by_value in _OUTPUT_RULES.items():
        if name not in names:
            continue
        found = field(name)
        if found is _ABSENT:
            continue
        kept = kept | by_value.get(None, _NOTHING_KEPT)
        if type(found) is str:
            kept = kept | by_value.get(found, _NOTHING_KEPT)
    return kept


def _kept_under(kept: frozenset[str], field: str) -> frozenset[str]:
    """The fields kept (:data:`MODEL_OUTPUT`) in the dict under ``field`` of a container that
    keeps ``kept``: those written ``field.name``."""
    prefix = f"{field}."
    return frozenset(name[len(prefix) :] for name in kept if name.startswith(prefix))


def _kept_form(value: Any) -> bool:
    """Whether ``value``, in a field :data:`MODEL_OUTPUT` keeps, is what the API puts there (a
    text, such as base64 or a signature; a list, an embedding's numbers) and is kept as it is:
    anything else there (a dict) is walked and redacted as any other value."""
    return type(value) is str or type(value) is list


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(t: type) -> tuple[str, ...]:
    """The attributes the ``__slots__`` of ``t`` and its bases declare (private ones by their
    mangled names), once per class."""
    found = _SLOTS.get(t)
    if found is None:
        names: dict[str, None] = {}
        for cls in t.__mro__:
            declared = cls.__dict__.get("__slots__", ())
            for name in (declared,) if isinstance(declared, str) else declared:
                if type(name) is not str or name in ("__dict__", "__weakref__"):
                    continue
                if name.startswith("__") and not name.endswith("__"):
                    name = f"_{cls.__name__.lstrip('_')}{name}"
                names[name] = None
        found = _SLOTS[t] = tuple(names)
    return found


#: whether a class is an asyncio event loop's, by class (:func:`_is_event_loop`)
_EVENT_LOOPS: dict[type, bool] = {}


def _is_event_loop(t: type) -> bool:
    """Whether ``t`` is an asyncio event loop's class. A loop (held by an argument: the send
    stream of LangChain's ``astream_events`` handler) is never walked nor copied: it holds no
    recorded data, and a copy, collected unclosed, warns ``unclosed event loop``."""
    found = _EVENT_LOOPS.get(t)
    if found is None:
        asyncio = sys.modules.get("asyncio")  # (no loop exists before asyncio is imported)
        found = _EVENT_LOOPS[t] = asyncio is not None and issubclass(t, asyncio.AbstractEventLoop)
    return found


#: whether a class has a finalizer, by class (:func:`_has_finalizer`)
_FINALIZERS: dict[type, bool] = {}


def _has_finalizer(t: type) -> bool:
    """Whether ``t`` defines ``__del__`` (a file, a socket, an event loop, aiosqlite's
    ``Connection``): a copy of such an object shares what the finalizer releases."""
    found = _FINALIZERS.get(t)
    if found is None:
        found = _FINALIZERS[t] = hasattr(t, "__del__")
    return found


def _shallow_copy(v: Any) -> Any:
    """``copy.copy(v)``, or, where the class makes an object's copy the object itself
    (LangChain's tracers: ``__copy__`` returns ``self``), a new object of its class holding its
    attributes: the walk sets redacted attributes on its copy, never on the agent's object."""
    out = copy.copy(v)
    if out is not v:
        shared = getattr(v, "__dict__", None)
        if shared is not None and getattr(out, "__dict__", None) is shared:
            # (a pydantic v1 model's copy shares its __dict__: the copy gets its own)
            object.__setattr__(out, "__dict__", dict(vars(v)))
        return out
    cls: Any = type(v)
    out = cls.__new__(cls)
    _copy_attributes(v, out)
    return out


def _copy_attributes(source: Any, target: Any) -> None:
    """Set on ``target`` the attributes ``source`` holds: those of its ``__dict__`` and of its
    class's ``__slots__`` (anyio's ``CancelScope`` has slots only)."""
    if hasattr(source, "__dict__"):
        vars(target).update(vars(source))
    for name in _slots(type(source)):
        if _slot_is_set(source, name):
            object.__setattr__(target, name, getattr(source, name))


def _slot_is_set(v: Any, name: str) -> bool:
    """Whether slot ``name`` of ``v`` holds a value. Read without the class's ``__getattr__``,
    which ``hasattr`` calls for an unset slot: SQLAlchemy's memoizing ``__getattr__`` computes
    the value then, and raises ``TypeError`` for some (an ``Engine``'s event listeners)."""
    try:
        object.__getattribute__(v, name)
    except AttributeError:
        return False
    return True


def _model_output_in(text: str) -> frozenset[str]:
    """The fields :data:`MODEL_OUTPUT` keeps that the JSON text ``text`` may hold: those of the
    markers it holds (``"logprob"``: a streamed answer's log-probabilities, whose ``"token"``
    entries are what the model wrote)."""
    kept = _NOTHING_KEPT
    for name, by_value in _OUTPUT_RULES.items():
        if f'"{name}"' in text or f"'{name}'" in text:
            for fields in by_value.values():
                kept = kept | fields
    return kept


def _tuple_like(v: tuple[Any, ...], items: list[Any]) -> tuple[Any, ...]:
    """A tuple of the class of ``v`` holding ``items``: made by its class (a namedtuple from
    its fields); for a class whose ``__new__`` wants other arguments (``codecs.CodecInfo``),
    made without calling it, the attributes of ``v`` copied; a plain tuple when neither works
    (what matters is that the redacted items are what gets stored)."""
    cls = type(v)
    try:
        return cls(*items) if hasattr(v, "_fields") else cls(items)
    except Exception:
        pass
    try:
        out = tuple.__new__(cls, items)
    except TypeError:  # a C class that refuses it (a struct sequence)
        return tuple(items)
    if getattr(v, "__dict__", None):
        vars(out).update(vars(v))
    return out


#: the URL types of pydantic-core, which the network types of pydantic (``AnyUrl``,
#: ``PostgresDsn``, ``RedisDsn``, ...) hold as their ``_url``: ``(module, class name)``
_PYDANTIC_URLS = frozenset(
    {("pydantic_core._pydantic_core", "Url"), ("pydantic_core._pydantic_core", "MultiHostUrl")}
)


def _is_url(t: type) -> bool:
    """Whether ``t`` is an ``httpx``/``httpx2`` ``URL`` (its text is what the codec stores) or a
    pydantic-core ``Url``/``MultiHostUrl`` (made from its text): either is redacted as its
    text."""
    if t.__name__ == "URL":
        return t.__module__.partition(".")[0] in HTTP_MODULES
    return (t.__module__, t.__name__) in _PYDANTIC_URLS


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _generic_suspect(token: str) -> bool:
    if len(token) > _MAX_GENERIC:
        return False
    if not (re.search(r"[a-z]", token) and re.search(r"[A-Z]", token)):
        return False  # hex digests, uuids and ids are single-case: not flagged
    if not re.search(r"[0-9]", token) or _API_ID.fullmatch(token):
        return False
    if "/" in token and _path_of_words(token):
        return False
    wordlike = sum(len(w) for w in _WORDLIKE.findall(token) if _VOWEL.search(w))
    if wordlike / len(token) >= _MAX_WORDLIKE or _entropy(token) < _MIN_ENTROPY:
        return False
    return not _packed_floats(token)


#: the fewest numbers a token's base64 must hold to be taken for a vector of them
_MIN_PACKED = 8
#: the magnitudes of an embedding's numbers (each may also be 0)
_PACKED_RANGE = (1e-6, 1e3)


def _packed_floats(token: str) -> bool:
    """Whether ``token`` is the standard base64 of :data:`_MIN_PACKED` or more little-endian
    float32 numbers, each 0 or of a magnitude in :data:`_PACKED_RANGE`: an embedding asked for
    with ``encoding_format="base64"`` (openai's small ``dimensions``), kept by the agent. Data,
    not a credential: the bytes of a random token read so fall in that range with a chance of
    about 1 in 8.5 each (their exponents spread over 256 values), all 8 of the shortest with one
    of about 1 in 28 million."""
    if len(token) % 4 or not _BASE64_TEXT.fullmatch(token):
        return False
    import base64  # (only for a token already taken for a secret)
    import struct

    raw = base64.b64decode(token)
    if len(raw) % 4 or len(raw) < 4 * _MIN_PACKED:
        return False
    low, high = _PACKED_RANGE
    return all(x == 0 or low <= abs(x) <= high for x in struct.unpack(f"<{len(raw) // 4}f", raw))


_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _wrapped_base64(s: str) -> list[tuple[int, int]]:
    """The spans of the blocks of wrapped base64 in ``s`` (a MIME attachment, a PEM
    certificate): :data:`_MIN_WRAPPED_LINES` or more consecutive lines of the base64 alphabet,
    all but the last of one length of :data:`_MIN_WRAP` or more and unpadded, the last no
    longer (padded or not). Such a block is data, not a run of secrets; lines of one length
    padded each (account keys, one a line), fewer lines, shorter ones or lines of different
    lengths are not a block. Linear in the length of ``s``."""
    blocks: list[tuple[int, int]] = []
    start = end = width = lines = 0  # the block being read: its span, width and lines so far
    after = -1  # where the last base64 line ended (its newline follows)

    def close() -> None:
        if lines >= _MIN_WRAPPED_LINES:
            blocks.append((start, end))

    for m in _BASE64_LINE.finditer(s):
        n, padded = len(m["b"]), m["b"].endswith("=")
        next_line = lines > 0 and m.start() == after + 1
        after = m.end()
        if next_line and n == width and not padded:
            lines, end = lines + 1, m.end("b")
            continue
        if next_line and n <= width:  # the last line of the block
            lines, end = lines + 1, m.end("b")
            close()
            lines = 0
            continue
        close()
        lines = 0
        if n >= _MIN_WRAP and not padded:  # the first line of a block, maybe
            start, end, width, lines = m.start("b"), m.end("b"), n, 1
    close()
    return blocks


class _Spans:
    """Whether a span overlaps one of some spans, asked for spans whose starts never decrease
    (the matches of a regex, in order): the spans are merged and sorted, and each is passed
    once, so ``n`` questions about ``k`` spans cost ``O(n + k)``, not ``O(n * k)``."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._merged: list[tuple[int, int]] = []
        for a, b in sorted(spans):
            if self._merged and a < self._merged[-1][1]:
                self._merged[-1] = (self._merged[-1][0], max(b, self._merged[-1][1]))
            else:
                self._merged.append((a, b))
        self._next = 0  # the first merged span that may overlap a span asked about

    def overlaps(self, start: int, end: int) -> bool:
        merged, i = self._merged, self._next
        while i < len(merged) and merged[i][1] <= start:
            i += 1
        self._next = i
        return i < len(merged) and merged[i][0] < end


def _suspect_spans(s: str, generic: bool) -> list[tuple[int, int, str]]:
    """The spans of the suspected secrets in ``s``, with their kind: those of a known format
    (:data:`SUSPECT_FORMATS`) and, where ``generic``, the random-looking tokens besides them."""
    spans = [(m.start(), m.end(), kind) for kind, rx in SUSPECT_FORMATS for m in rx.finditer(s)]
    if generic:
        spans += _high_entropy(s, [(a, b) for a, b, _ in spans])
    return spans


def _high_entropy(s: str, known: Iterable[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The spans of the random-looking tokens in ``s`` (:func:`_generic_suspect`) that are no
    part of a ``known`` suspect (a token format's match) nor of a block of wrapped base64
    (:func:`_wrapped_base64`, looked for once a token is a suspect), nor the payload of a
    ``data:`` URL. Linear in the length of
    ``s``, however many tokens and suspects it holds."""
    taken = _Spans(known)
    data: _Spans | None = None
    found: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(s):
        start, end = m.span()
        if start and s[start - 1] == ":" and s.startswith("//", start):
            start += 2  # (a URL's user, https://<token>@proxy: the slashes are the URL's)
        if taken.overlaps(start, end) or (data is not None and data.overlaps(start, end)):
            continue
        if not _generic_suspect(s[start:end]):
            continue
        if start >= len(_DATA_URL_PAYLOAD) and s.startswith(
            _DATA_URL_PAYLOAD, start - len(_DATA_URL_PAYLOAD)
        ):
            continue
        if data is None:
            data = _Spans(_wrapped_base64(s))
            if data.overlaps(start, end):
                continue
        found.append((start, end, "high-entropy string"))
    return found


def _path_of_words(token: str) -> bool:
    """Whether ``token`` is a URL path of three or more parts, each made of words, short
    acronyms and numbers (``org/en-US/docs/Web/HTTP/Status/404``, the link every
    ``httpx.HTTPStatusError`` gives) or an API's id (:data:`_API_ID`: a message batch's
    ``results_url``, ``v1/messages/batches/msgbatch_01.../results``): no secret, however few of
    its letters are pronounceable. A random token's slashes leave parts of mixed letters and
    digits."""
    parts = token.split("/")
    return len(parts) >= 3 and all(
        _API_ID.fullmatch(part)
        or all(_PATH_WORD.fullmatch(piece) for piece in _PATH_PUNCTUATION.split(part) if piece)
        for part in parts
    )


@dataclasses.dataclass(frozen=True)
class SecretFinding:
    """A string that looks like a secret and that no rule covers.

    ``path`` is where it is inside the value (``root['headers']['x-token']``), ``kind`` what it
    looks like, ``length`` its length; ``where``/``target``/``call`` say which recorded value
    held it. The secret itself is never kept.
    """

    path: str
    kind: str
    length: int
    where: str = ""
    target: str = ""
    call: int = 0
    span_id: str | None = None

    @property
    def location(self) -> str:
        """``input of call #2 to app.llm.complete``, or ``state of tests/test_x.py::test_y``."""
        text = _location(self.where, self.target, self.call)
        return f"{text} (span {self.span_id})" if self.span_id else text

    def describe(self) -> tuple[str, str, str]:
        """``(location, path, what)`` for :class:`UnredactedSecretError`."""
        return self.location, self.path, f"a {self.kind}, {self.length} chars"


def _location(where: str, target: str, call: int) -> str:
    """Which recorded value: ``input of call #2 to app.llm.complete``, ``state of <test>``."""
    if not where:
        return "value"
    if where in ("input", "output"):
        return f"{where} of call #{call} to {target}"
    return f"{where} of {target}"


def _strings(x: Any, depth: int = 0) -> Iterator[str]:
    """The strings in ``x`` (UTF-8 bytes too), through dicts and sequences, a few levels deep."""
    if type(x) is str:
        yield x
    elif type(x) in (bytes, bytearray):
        text = bytes(x).decode("utf-8", errors="replace")
        if "\ufffd" not in text:
            yield text
    elif depth < 4 and isinstance(x, (dict, list, tuple, set, frozenset)):
        for item in x.values() if isinstance(x, dict) else x:
            yield from _strings(item, depth + 1)


_ABSOLUTE_PATH = re.compile(r"/|~(?:[/\\]|$)|[A-Za-z]:[\\/]")


#: the names of a mapping of environment variables (their names are keyed by the variable rules)
_ENVIRONMENTS = frozenset({("env",), ("environ",), ("environment",)})

#: A header's name holding one of these words, besides those the key rules cover, names a
#: secret (``X-Session-Token``, ``X-Hub-Signature-256``, ``X-Client-Secret``): as the name of a
#: header, unlike a dict key, it is a credential (:func:`_secret_header_name`).
_SECRET_HEADER_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "auth", "signature", "cookie", "credentials"}
)


def _secret_header_name(name: str) -> bool:
    """Whether the header ``name`` names a secret besides what the key rules cover: its last
    word is ``key`` or ends with ``apikey`` (``X-Gateway-Key``, ``X-Functions-Key``,
    ``X-ApiKey``: as a header, unlike a dict key, ``key`` is a credential, not a cache key; but
    not ``Idempotency-Key`` nor ``X-Idempotency-Key``, a request's id) or a word of it is one of
    :data:`_SECRET_HEADER_WORDS` (``tokens`` is not ``token``: ``x-ratelimit-remaining-tokens``
    is a count)."""
    words = key_words(name)
    return bool(words) and (
        (words[-1] == "key" and words[-2:] != ("idempotency", "key"))
        or words[-1].endswith("apikey")
        or not _SECRET_HEADER_WORDS.isdisjoint(words)
    )


#: the keywords of a JSON schema that hold values (of the parameter it describes)
_SCHEMA_VALUES = frozenset({"default", "const", "enum", "examples"})


def _key_repr(key: Any) -> str:
    """``repr(key)`` for a path, or its type's name where it has none (an integer longer than
    Python writes as text: the recording names it when the golden is saved)."""
    try:
        return repr(key)
    except Exception:
        return f"<{type(key).__name__}>"


def _working_directory(key: str, x: str) -> bool:
    """Whether ``x`` under ``key`` is a working directory, not a password: ``key`` ends with
    ``pwd`` (a shell's ``$PWD``, a shell tool's ``pwd``) and ``x`` is an absolute path."""
    return _ABSOLUTE_PATH.match(x) is not None and key_words(key)[-1:] == ("pwd",)


def _own_pair(key: str, x: Any) -> bool:
    """Whether ``x`` is the ``(name, value)`` pair of the name ``key`` (in any case)."""
    return (
        type(x) is tuple and len(x) == 2 and isinstance(x[0], str) and x[0].lower() == key.lower()
    )


def _own_values(key: str, x: Any) -> bool:
    """Whether ``x`` is the ``[name, value, ...]`` list of the name ``key`` (in any case), as
    urllib3's ``HTTPHeaderDict`` keeps a header (a ``requests.Response``'s ``raw`` has one)."""
    return type(x) is list and len(x) > 1 and type(x[0]) is str and x[0].lower() == key.lower()


#: whether the values transformed now are only compared in memory (:func:`comparing`)
_comparing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "clearstone_comparing", default=False
)


@contextlib.contextmanager
def comparing() -> Iterator[None]:
    """Transform values that are compared in memory, not recorded (the recorder's forms of an
    argument before and after its call, which tell whether the call changed it in place): a
    :class:`Redactor` redacts them as it redacts the call's recorded arguments, counts no call
    for them and records no finding in them (each would be one more, under a call number past
    the test's calls, of those the recorded arguments gave)."""
    token = _comparing.set(True)
    try:
        yield
    finally:
        _comparing.reset(token)


class _Walk:
    """One redaction pass over a value: the redacted copy plus the suspects found. The values
    replaced are noted in the redactor as seen in ``location`` (:func:`_location`)."""

    def __init__(self, redactor: Redactor, check: bool, location: str = "value") -> None:
        self.r = redactor
        self.check = check
        self.location = location
        self.findings: list[tuple[str, str, int]] = []
        #: ``id -> (value, its redacted copy)`` of the values walked (the copy is ``_WALKING``
        #: while the value is being walked); the value is kept so that its id is not reused by
        #: a temporary value during the walk
        self._walked: dict[int, tuple[Any, Any]] = {}
        #: ``id -> copy`` of the values met again inside themselves (a reference cycle) while
        #: being walked: the copy their back reference got, which their walk then returns
        self._early: dict[int, Any] = {}
        #: whether a long random-looking token no format names is a suspect (not in headers)
        self.generic = True
        #: how many values the walk has replaced by the placeholder (:meth:`_hid`)
        self.hidden = 0

    #: whether the walk has begun: its first value runs it in the room a deep value needs
    entered = False

    def _reset(self) -> None:
        """Forget what a walk that ran out of recursion did, to walk the value again (what it
        noted in the redactor, the values it saw, the whole walk notes again)."""
        self.findings.clear()
        self._walked.clear()
        self._early.clear()

    def value(self, v: Any, path: str) -> Any:
        if not self.entered:  # (a value nested too deep: NestingTooDeepError, naming where)
            from .codec.nesting import walked as deep_walk

            self.entered = True
            return deep_walk(lambda: self.value(v, path), v, self.location, reset=self._reset)
        r = self.r
        if r._allow_paths and self._path_allowed(path):
            return v
        t = type(v)
        if t is str:
            return self.string(v, path)
        if v is None or t in (int, float, bool, bytes):
            return v
        if r._allow_paths and self._allow_inside(path):
            return self._container(v, path)  # (a copy for this path only)
        # each value once, whatever the paths to it (a shared object graph is not walked once
        # per path, which is exponential), and a shared value stays shared in the copy
        key = id(v)
        walked = self._walked.get(key)
        if walked is not None:
            return walked[1] if walked[1] is not _WALKING else self.back_reference(v, path)
        self._walked[key] = (v, _WALKING)
        out = self._container(v, path)
        if self._early:  # a reference cycle was met
            out = self._close_cycle(v, out)
        self._walked[key] = (v, out)
        return out

    def back_reference(self, v: Any, path: str) -> Any:
        """The copy of ``v``, met again inside itself (a reference cycle), for the cycle to
        hold: made now, as ``copy.deepcopy`` does, and filled when the walk of ``v`` ends
        (:meth:`_close_cycle`), so that the copy's cycle is the copy, never the original. A
        tuple or a (frozen)set cannot be filled later: it is walked again, now, and the mutable
        part of its cycle, in progress too, gets its copy. ``v`` itself when it cannot be copied,
        or when met again while walked again (a cycle through nothing that can be copied)."""
        key = id(v)
        early = self._early.get(key, _ABSENT)
        if early is _REWALKING:
            return v
        if early is not _ABSENT:
            return early
        if isinstance(v, (tuple, set, frozenset)):
            self._early[key] = _REWALKING
            early = self._container(v, path)
        elif type(v) is dict:
            early = {}
        elif isinstance(v, list):
            early = []  # (the walk copies any list into a list)
        elif _has_finalizer(type(v)):
            return v  # (never copied, see :meth:`_object`: a secret in it is refused on saving)
        else:
            try:
                early = _shallow_copy(v)  # (a dict subclass, a deque, an object)
            except Exception:  # (an object that cannot be copied is left as it is)
                return v
            if isinstance(early, deque):
                early.clear()
        self._early[key] = early
        return early

    def _close_cycle(self, v: Any, out: Any) -> Any:
        """The copy of ``v`` whose walk made ``out``: the copy a back reference inside it got
        (:meth:`back_reference`), made to hold what ``out`` holds, if there was one."""
        early = self._early.pop(id(v), _ABSENT)
        if early is _ABSENT or early is out:
            return out
        if isinstance(early, dict):
            dict.update(early, dict.items(out))
        elif isinstance(early, (list, deque)):
            early.extend(out)
        elif not isinstance(early, (tuple, set, frozenset)) and out is not v:
            _copy_attributes(out, early)  # (an object: its redacted attributes)
        return early

    def _container(self, v: Any, path: str, kept_here: frozenset[str] = _NOTHING_KEPT) -> Any:
        """The redacted copy of ``v``; a dict keeps the fields ``kept_here`` too (the model
        output :data:`MODEL_OUTPUT` marks by the dict's container)."""
        if isinstance(v, dict):
            # a copy, made with no Python code run meanwhile: another thread may change a
            # library's dict while it is walked
            snapshot = v.copy() if type(v) is dict else dict(v.items())
            kept = _model_output(snapshot, lambda name: snapshot.get(name, _ABSENT))
            if kept_here:
                kept = kept | kept_here
            entries = {}
            renamed = False
            schema = snapshot.get("type") == "object"  # (a JSON schema's object)
            for i, (k, x) in enumerate(snapshot.items()):
                name = self.key(k, path, i)
                renamed = renamed or name is not k
                where = f"{path}[{_key_repr(name)}]"
                if k in kept and _kept_form(x):
                    entries[name] = self._kept(x)
                elif schema:
                    entries[name] = self._entry(k, x, where, schema)
                elif kept and (nested := self._nested_output(kept, k, x, where)) is not _ABSENT:
                    entries[name] = nested
                else:
                    entries[name] = self.keyed(k, x, where)
            if type(v) is dict:
                return entries
            out = _shallow_copy(v)
            if renamed:  # (a key redacted: the copy must not keep it)
                out.clear()
                out.update(entries)  # (into an empty Counter: its counts, not added to)
            else:
                dict.update(out, entries)  # (the same keys: a Counter's update would add counts)
            return out
        if isinstance(v, list):
            return [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, deque):
            walked = copy.copy(v)  # (its maxlen kept)
            walked.clear()
            walked.extend(self.value(x, f"{path}[{i}]") for i, x in enumerate(v))
            return walked
        if isinstance(v, tuple):
            fields = getattr(v, "_fields", None)
            if isinstance(fields, tuple) and len(fields) == len(v):  # a namedtuple
                items = [self.keyed(k, x, f"{path}.{k}") for k, x in zip(fields, v, strict=True)]
            elif len(v) == 2 and isinstance(v[0], (str, bytes)):  # a (name, value) pair, e.g. a
                # header (raw: bytes, as an ASGI scope's and httpx's Headers.raw hold them)
                items = [self.value(v[0], f"{path}[0]"), self.keyed(v[0], v[1], f"{path}[1]")]
            else:
                items = [self.value(x, f"{path}[{i}]") for i, x in enumerate(v)]
            if type(v) is tuple:
                return tuple(items)
            if all(new is old for new, old in zip(items, v, strict=True)):
                return v
            return _tuple_like(v, items)
        if isinstance(v, (set, frozenset)):
            return type(v)(self.value(x, f"{path}[{i}]") for i, x in enumerate(v))
        if _is_url(type(v)):
            return self._url(v, path)
        if is_headers(type(v)) or is_requests_headers(type(v)):
            return self._headers(v, path)
        if is_message(type(v)):
            return self._http_message(v, path)
        if is_file(type(v)):
            return self._file(v, path)
        if isinstance(v, _NOT_DATA) or _is_event_loop(type(v)):
            return v
        if isinstance(v, str) and not getattr(v, "__dict__", None):
            return self._text_subclass(v, path)
        slots = _slots(type(v))
        with_dict = hasattr(v, "__dict__")
        if not with_dict and not slots:
            return v
        if stored_as_reference(v):  # its stored reference holds no secret and nothing else
            self._note_client_query(v)
            return v
        if dataclasses.is_dataclass(v):
            names = [f.name for f in dataclasses.fields(v)]
        else:
            # (an @attrs.define class, a slots=True dataclass: slots and no __dict__)
            names = list(vars(v)) if with_dict else []
            names.extend(name for name in slots if name not in names and _slot_is_set(v, name))
        return self._object(v, names, path)

    def _nested_output(self, kept: frozenset[str], k: Any, x: Any, path: str) -> Any:
        """``x``, the value of field ``k`` of a container that keeps ``kept``
        (:data:`MODEL_OUTPUT`), redacted keeping its fields named ``k.<field>`` there, when it is
        a dict and some are; else ``_ABSENT``."""
        if type(x) is not dict or type(k) is not str:
            return _ABSENT
        inner = _kept_under(kept, k)
        return self._container(x, path, inner) if inner else _ABSENT

    def _text_subclass(self, v: str, path: str) -> Any:
        """A subclass of ``str`` with no state of its own (Django's ``SafeString``, what a
        template renders), which the codec stores as its text: that text redacted, in a new
        value of its class when it changed (made as the codec reads it back: without the
        class's own ``__new__``)."""
        text = str.__str__(v)  # (its own __str__ may give itself: SafeString's)
        redacted = self.string(text, path)
        if redacted == text:
            return v
        try:
            return str.__new__(type(v), redacted)
        except Exception:  # (a C type with a __new__ of its own: stored as a pickle anyway)
            return redacted

    def _schema_properties(self, properties: dict[Any, Any], path: str) -> dict[Any, Any]:
        """The ``properties`` of a JSON schema object (the parameters of a tool: an MCP
        server's ``inputSchema``, an openai function's ``parameters``), each parameter's schema
        walked as a schema whatever the parameter is called (``token``, ``password``: what the
        tool asks for, not a credential); an entry that is no schema (not a dict) is a value
        under its name, redacted by the key rules."""
        if self.r._allow_paths and self._path_allowed(path):
            return properties
        out = {}
        for i, (k, x) in enumerate(properties.copy().items()):
            name = self.key(k, path, i)
            where = f"{path}[{_key_repr(name)}]"
            out[name] = self._parameter(k, x, where) if type(x) is dict else self.keyed(k, x, where)
        return out

    def _parameter(self, name: Any, schema: dict[Any, Any], path: str) -> dict[Any, Any]:
        """The schema of parameter ``name``: its keywords redacted by their own names, but for
        the values a schema holds (``default``, ``const``, ``enum``, ``examples``: a key given
        as a parameter's default), redacted as values of ``name``."""
        secret = isinstance(name, str) and self.r._key_verdict(name) == "secret"
        out = {}
        for i, (k, x) in enumerate(schema.copy().items()):
            keyword = self.key(k, path, i)
            where = f"{path}[{_key_repr(keyword)}]"
            if secret and k in _SCHEMA_VALUES and x is not None and x != "":
                out[keyword] = self.keyed(name, x, where)
            else:
                out[keyword] = self._entry(k, x, where, schema.get("type") == "object")
        return out

    def _entry(self, k: Any, x: Any, path: str, schema: bool) -> Any:
        """The value ``x`` at key ``k`` of a dict (``schema``: a JSON schema's object, whose
        ``properties`` are its parameters' schemas) redacted."""
        if schema and k == "properties" and type(x) is dict:
            return self._schema_properties(x, path)
        return self.keyed(k, x, path)

    def _url(self, v: Any, path: str) -> Any:
        """A URL (:func:`_is_url`) redacted as its text; a new one of its class when that
        changed."""
        text = str(v)
        redacted = self.string(text, path)
        if redacted == text:
            return v
        try:
            return type(v)(redacted)
        except Exception:  # (its text is what would be stored anyway)
            return redacted

    def _headers(self, v: Any, path: str) -> Any:
        """``httpx`` ``Headers`` (which hold bytes), or requests' ``CaseInsensitiveDict`` (a
        session's ``headers``): each ``(name, value)`` pair, as the codec stores httpx's
        (``...headers[1][1]``), redacted as a pair — the key rules on its name, the header rule
        (:func:`_secret_header_name`), the patterns in its value, and the suspects of a known
        format (not a random-looking id: an AWS request or trace id); new headers of their
        class, in their order, when one changed. The token of a ``Bearer <token>`` value
        replaced is noted too, as the codec notes it."""
        by_requests = is_requests_headers(type(v))
        pairs = list(v.items()) if by_requests else header_pairs(v)
        # (a header's random-looking value is an id or a trace, x-amz-cf-id, x-amzn-trace-id;
        # a secret one has a name the key rules cover, or a format the suspects name)
        self.generic = False
        try:
            redacted = [
                self._header_pair(name, value, f"{path}[{i}]")
                for i, (name, value) in enumerate(pairs)
            ]
        finally:
            self.generic = True
        if redacted == pairs:
            return v
        for (name, value), (_, new) in zip(pairs, redacted, strict=True):
            token = auth_token(value) if new == self.r.placeholder and type(value) is str else ""
            if token:
                self.r.note_secret(token, f"the token in the {name} header in the {self.location}")
        if by_requests:
            return type(v)(redacted)
        try:
            return type(v)(redacted, encoding=v.encoding)
        except UnicodeEncodeError:  # a placeholder the headers' encoding cannot hold
            return type(v)(redacted, encoding="utf-8")

    def _http_message(self, v: Any, path: str) -> Any:
        """An ``httpx`` request or response: walked as an object (its URL and headers, a
        response's request), and its body as it is stored — JSON or text, the prompt of a
        request — redacted; a copy when either changed."""
        # (``_text``: the body's text cached by ``.text``, stored nowhere: the body is
        # redacted below as it is stored, an event stream's JSON as JSON)
        out = self._object(v, [name for name in vars(v) if name != "_text"], path)
        body = stored_body(v)
        for kind in ("json", "text"):
            if kind in body:
                if kind == "text" and _is_event_stream(v):
                    redacted = self._event_stream(body[kind], f"{path}.content")
                else:
                    redacted = self.value(body[kind], f"{path}.content")
                if redacted != body[kind]:
                    out = with_body(out, {kind: redacted})
        return out

    def _event_stream(self, text: str, path: str) -> str:
        """The text of a server-sent event stream, each event's JSON ``data:`` redacted as the
        JSON it is (so the model output its shape marks, :data:`MODEL_OUTPUT`, is kept as in a
        JSON body: a thinking block's ``signature``), any other line as text; a line is
        rewritten only when its redaction changed it."""
        lines = text.split("\n")
        for i, line in enumerate(lines):
            data = _json_data(line)
            if data is None:
                redacted = self.value(line, path)
                if redacted != line:
                    lines[i] = redacted
                continue
            redacted_data = self.value(data, path)
            if redacted_data != data:
                lines[i] = "data: " + json.dumps(redacted_data, ensure_ascii=False)
        return "\n".join(lines)

    def _file(self, v: Any, path: str) -> Any:
        """A readable file (an upload): its content as it is stored, text redacted; an
        in-memory copy holding the redacted text when that changed (the agent's file is left
        as it is)."""
        content = stored_content(v)
        if type(content) is not str:  # (bytes, which no rule redacts; or not stored)
            return v
        redacted = self.value(content, f"{path}.content")
        return v if redacted == content else with_content(v, redacted)

    def _note_client_query(self, v: Any) -> None:
        """Note the secrets client ``v`` (or the client of resource ``v``) sends with every
        request (:meth:`Redactor.note_sent_secret`): the query parameters and headers its
        reference leaves out."""
        client = v
        base = client_base(type(v))
        if base is None:  # (a resource: its client's; an SDK client's _client is its HTTP client)
            client = getattr(v, "_client", None)
            base = client_base(type(client))
            if base is None:  # (a resource of a client of no known class)
                return
        sent = sent_with_every_request(client, base)
        if sent:  # (named only when there is one: most clients send none)
            t = type(client)
            what = client_name(f"{t.__module__.partition('.')[0]}.{t.__name__}")
            for kind, name, value in sent:
                self.r.note_sent_secret(kind, name, value, what, self.r.note_secret)
        if not self.r.keeps_placeholder_key:  # (recording: a replay writes nothing)
            self._note_base_url_secrets(client)

    def _note_base_url_secrets(self, client: Any) -> None:
        """Note the secrets in the base URL of ``client``: its reference stores that URL as it
        is but for its password, so the last check refuses a golden holding one (a gateway's
        ``?api-key=``, a token as the URL's user, ``https://<token>@proxy``), naming the
        setting that keeps it out."""
        url = getattr(client, "base_url", None)
        text = "" if url is None else str(url)
        library = type(client).__module__.partition(".")[0]
        what = article(f"{library}.{type(client).__name__}")
        by_http = library in ("httpx", "httpx2")
        query, headers = ("params", "headers") if by_http else ("default_query", "default_headers")
        fix = f"(a client is stored with its base URL: pass the parameter as {query}= instead)"
        for m in _QUERY_PARAMETER.finditer(text, max(text.find("?"), 0)):
            name, value = unquote_plus(m["name"]), m["secret"]
            if self.r.is_secret_query(name) and unquote_plus(value) != self.r.placeholder:
                described = f"the {name} query parameter in the base URL of {what} client {fix}"
                self.r.note_secret(value, described)
                self.r.note_secret(unquote_plus(value), described)
        described = (
            f"a secret in the base URL of {what} client (a client is stored with its base URL: "
            f"pass a key as {query}= or in {headers}= instead)"
        )
        self.r.redact_string(text, lambda secret: self.r.note_secret(secret, described))
        authority = text.partition("://")[2].split("/", 1)[0]
        user, at, _ = authority.rpartition("@")
        if (
            at
            and ":" not in user
            and (self.r.redact_string(user) != user or _suspect_spans(user, generic=True))
        ):
            self.r.note_secret(user, described)
            self.r.note_secret(unquote_plus(user), described)

    def _object(self, v: Any, names: list[str], path: str) -> Any:
        kept = _model_output(names, lambda name: getattr(v, name, _ABSENT))
        hidden = self.hidden
        changed = {}
        for name in names:
            old = getattr(v, name, None)
            if name in kept and _kept_form(old):
                self._kept(old)
                continue
            where = f"{path}.{name}"
            new = self._nested_output(kept, name, old, where) if kept else _ABSENT
            if new is _ABSENT:
                new = self.keyed(name, old, where)
            if new is not old:
                changed[name] = new
        if (
            not changed
            or isinstance(v, io.IOBase)
            or (_has_finalizer(type(v)) and self.hidden == hidden)
        ):
            # (a live stream, such as an HTTP response not read yet, is left as it is, its
            # secrets noted for the check before saving: a copy sharing its connection would
            # close it under the agent when collected; so is any object whose collection
            # releases something (a driver's connection) when the walk hid nothing in it: its
            # copy would warn that it was left open)
            return v
        try:
            out = _shallow_copy(v)
            for name, new in changed.items():
                object.__setattr__(out, name, new)
        except Exception:  # an object that cannot be copied is left as it is
            return v
        return out

    def key(self, k: Any, path: str, i: int) -> Any:
        """Dict key ``k`` (the ``i``-th of the dict at ``path``) redacted like a value: a string
        by the patterns (a cache keyed by an API key), a tuple or frozenset by its items;
        ``k`` itself when nothing changed. A suspect found in it is named by its position
        (``...keys()[i]``), never by the key."""
        t = type(k)
        if t is str:
            plain = self.r._plain_keys
            checked = self.check and self.generic
            clean = plain.get(k)
            if clean is not None and (clean or not checked):
                return k
            found = len(self.findings)
            out = self.string(k, f"{path}.keys()[{i}]")
            if out == k and len(self.findings) == found:
                plain[k] = checked or bool(clean)
                return k
            return out
        if t is tuple or t is frozenset:
            return self.value(k, f"{path}.keys()[{i}]")
        return k

    def keyed(self, key: Any, x: Any, path: str, verdict: str | None = None) -> Any:
        """``x``, the value under ``key`` at ``path``, redacted by the key rules on ``key``
        (``verdict``: what they say of it, when the caller knows)."""
        if self.r._allow_paths and self._path_allowed(path):
            return x
        if type(key) is bytes:  # a raw header's name (an ASGI scope's, httpx's Headers.raw)
            key = key.decode("latin-1")
        if isinstance(key, str):
            if verdict is None:
                verdict = self.r._key_verdict(key)
            if verdict == "plain":  # the usual case
                return self.value(x, path)
            if verdict == "allow":
                return x
            if verdict == "secret" and x is not None and type(x) is not bool:
                if self.r.keeps_placeholder_key and withheld.is_placeholder_key(x):
                    return withheld.PLACEHOLDER_KEY
                if type(x) is not str and kind_of(type(x)) == "secret":
                    return self._secret(key, x)
                if type(x) is str and _working_directory(key, x):
                    return self.value(x, path)
                if _own_pair(key, x):  # requests' CaseInsensitiveDict: name -> (Name, value)
                    return self.value(x, path)  # (the pair rule replaces its value)
                named = _own_values(key, x)  # (its name is no secret: the golden holds it)
                for text in _strings(x[1:] if named else x):
                    self.r.note_secret(text, f"the value at {key!r} in the {self.location}")
                self._hid()
                if named:
                    return [x[0], *[self.r.placeholder] * (len(x) - 1)]
                return self.r.placeholder
            if verdict == "environment" and type(x) is dict:
                return self._environment(x, path)
            if verdict == "headers":
                return self._header_fields(x, path)
        return self.value(x, path)

    def _header_fields(self, x: Any, path: str) -> Any:
        """The value of a field named ``headers`` (``extra_headers``, ``default_headers``, the
        headers of an HTTP message in its stored form, in a recorded error): a dict of header
        names to values, or a list of ``[name, value]`` pairs, each value redacted by its
        header's name (:meth:`Redactor._header_verdict`); anything else as a value."""
        verdict = self.r._header_verdict
        if type(x) is dict:
            out = {}
            for i, (k, v) in enumerate(x.copy().items()):
                name = self.key(k, path, i)
                where = f"{path}[{_key_repr(name)}]"
                out[name] = self.keyed(k, v, where, verdict(k) if type(k) is str else None)
            return out
        if type(x) is list and all(
            type(p) in (list, tuple) and len(p) == 2 and type(p[0]) is str for p in x
        ):
            return [type(p)(self._header_pair(p[0], p[1], f"{path}[{i}]")) for i, p in enumerate(x)]
        return self.value(x, path)

    def _header_pair(self, name: str | bytes, value: Any, path: str) -> tuple[Any, Any]:
        """A header's ``(name, value)`` at ``path``, redacted as a pair by the header's name
        (:meth:`Redactor._header_verdict`; bytes, which requests allows, read as latin-1)."""
        if self.r._allow_paths and self._path_allowed(path):
            return name, value
        where = f"{path}[1]"
        text = name.decode("latin-1") if type(name) is bytes else name
        return self.value(name, f"{path}[0]"), self.keyed(
            name, value, where, self.r._header_verdict(text) if type(text) is str else None
        )

    def _secret(self, key: str, x: Any) -> Any:
        """A pydantic secret (``SecretStr``, ``SecretBytes``) under the secret name ``key``: a
        secret of its class holding the placeholder (:data:`~.codec.withheld.PLACEHOLDER`),
        which the codec stores as it stores any secret, by its class only, and reads back
        holding the placeholder key (a settings model's
        ``anthropic_api_key``, read with ``get_secret_value()``, stays a secret for the replayed
        agent; the text ``'[REDACTED]'`` had no such method). The secret is noted as the value
        of a secret name's is."""
        try:
            revealed = x.get_secret_value()
        except Exception:  # (not a secret to reveal after all: a subclass of its own)
            revealed = None
        for text in _strings(revealed):
            self.r.note_secret(text, f"the value at {key!r} in the {self.location}")
        if withheld.is_withheld(x):
            return x  # (what the redaction makes: idempotent)
        self._hid()
        try:
            # (holding the placeholder's text, not the key the plugin gives unset provider key
            # variables, which stands for no key: compared or shown against a recorded None, a
            # secret the agent now has is a change)
            return placeholder_secret(type(x), withheld.PLACEHOLDER)
        except Exception:  # (a subclass not made from a text: the placeholder's text)
            return self.r.placeholder

    def _environment(self, env: dict[Any, Any], path: str) -> Any:
        """A mapping of environment variables (the ``env`` of a server started as a process:
        an MCP server's ``StdioServerParameters``) walked as a dict, and the values of the
        variables whose names hold a secret (:meth:`Redactor.is_secret_variable`: ``NOTION_KEY``,
        which as a dict key elsewhere is a cache key) replaced too."""
        out = self.value(env, path)
        r = self.r
        hidden = [
            name
            for name, value in env.items()
            if type(name) is str
            and type(value) is str
            and value
            and r.is_secret_variable(name)
            and type(out) is dict
            and out.get(name) != r.placeholder
        ]
        if not hidden:
            return out
        out = dict(out)  # (the walk's copy may be shared by another path to the same dict)
        for name in hidden:
            r.note_secret(env[name], f"the value of the variable {name} in the {self.location}")
            out[name] = r.placeholder
        self._hid()
        return out

    def _hid(self) -> None:
        """Note that the walk replaced something by the placeholder."""
        self.r.replaced = True
        self.hidden += 1

    def note_match(self, text: str) -> None:
        self.r.note_secret(text, f"a value a redaction rule replaced in the {self.location}")

    def string(self, s: str, path: str) -> str:
        r = self.r
        if r.allows_value(s):
            return s
        redacted = r.redact_string(s, self.note_match)
        if redacted is not s and redacted != s:
            self._hid()
        s = redacted
        if self.check:
            s = self._suspects(s, path)
        return s

    def _kept(self, x: Any) -> Any:
        """``x``, model output kept as it is (:data:`MODEL_OUTPUT`); a text is noted, while
        secrets are checked, as no suspect elsewhere either (:meth:`_suspects`)."""
        if self.check and type(x) is str:
            self.r._model_output.add(x)
        return x

    def _suspects(self, s: str, path: str) -> str:
        if s in self.r._model_output:
            # (a thinking block's signature the agent copied out of the answer: the golden
            # writes the same text in the recorded answer anyway)
            return s
        spans = _suspect_spans(s, self.generic)
        if not spans:
            return s
        spans.sort()
        out, last = [], 0
        for start, end, kind in spans:
            if start < last:
                continue
            self.findings.append((path, kind, end - start))
            self._hid()
            out += [s[last:start], self.r.placeholder]
            last = end
        return "".join(out) + s[last:]

    def _path_allowed(self, path: str) -> bool:
        return any(path == p or path.startswith((p + "[", p + ".")) for p in self.r._allow_paths)

    def _allow_inside(self, path: str) -> bool:
        """Whether an allow rule's path may lie inside the value at ``path`` (whose copy then
        holds for that path only)."""
        return any(p.startswith(path) for p in self.r._allow_paths)


class Redactor:
    """Redacts secrets from values before they are recorded; see the module docstring.

    ``keys``: key rules; ``patterns``: regular expressions (strings or compiled); ``allow``:
    allow rules (paths starting with ``root``, ``re:REGEX`` or a compiled pattern for string
    values, anything else a key name); ``placeholder``: what a secret becomes.
    ``check_secrets``: also replace strings that look like secrets but match no rule, and keep
    a :class:`SecretFinding` for each in :attr:`findings` (turn it off for an opted-out run).

    Raises ``ValueError`` naming a pattern that is not a valid regular expression, or one that
    matches the placeholder.
    """

    def __init__(
        self,
        keys: Iterable[str] = DEFAULT_KEYS,
        patterns: Iterable[str | re.Pattern[str]] = DEFAULT_PATTERNS,
        allow: Iterable[str | re.Pattern[str]] = (),
        placeholder: str = PLACEHOLDER,
        *,
        check_secrets: bool = True,
    ) -> None:
        self.keys = tuple(keys)
        self._key_rules = [w for w in map(key_words, self.keys) if w]
        #: the key rules for the names of environment variables only (:data:`KEY_RULES`)
        self._variable_rules = [w for w in map(key_words, DEFAULT_VARIABLE_KEYS) if w]
        self.patterns = tuple(_compile(p, "redaction pattern") for p in patterns)
        self.allow = tuple(allow)
        self._allow_paths: list[str] = []
        self._allow_values: list[re.Pattern[str]] = []
        self._allow_keys: set[tuple[str, ...]] = set()
        for rule in self.allow:
            if isinstance(rule, re.Pattern):
                self._allow_values.append(rule)
            elif rule.startswith("re:"):
                self._allow_values.append(_compile(rule[3:], "allow rule"))
            elif rule == "root" or rule.startswith(("root[", "root.")):
                self._allow_paths.append(rule)
            else:
                self._allow_keys.add(key_words(rule) or (rule.lower(),))
        self.placeholder = placeholder
        self.check_secrets = check_secrets
        for rx in self.patterns:
            if rx.search(placeholder):  # (redacting a redacted value again would change it)
                raise ValueError(
                    f"{rx.pattern!r} matches the placeholder {placeholder!r} that redacted values "
                    f"become: use a pattern that does not match {placeholder!r}"
                )
        self.findings: list[SecretFinding] = []
        #: whether anything was replaced by the placeholder (recorded in a golden's metadata)
        self.replaced = False
        #: ``False``: pass values through unchanged (a golden recorded with nothing redacted)
        self.active = True
        #: a replay's comparing redactor: a value under a secret key that is the key the plugin
        #: gives unset provider key variables while tests replay is kept as that key, which
        #: stands for no key (compared by :func:`~.codec.withheld.stands_for`)
        self.keeps_placeholder_key = False
        self._calls: Counter[tuple[str, str]] = Counter()
        self._verdicts: dict[str, str] = {}
        self._header_verdicts: dict[str, str] = {}
        #: dict keys no rule changes -> whether no suspect check finds anything in them either
        #: (the keys of a value's dicts are mostly the same few names, walked once each)
        self._plain_keys: dict[str, bool] = {}
        self._seen: dict[str, str] = {}  # value replaced -> what it was (never shown)
        #: the texts kept as model output (:data:`MODEL_OUTPUT`) while checking for secrets:
        #: the same text elsewhere is no suspect either
        self._model_output: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        extra_keys: Sequence[str] = (),
        extra_patterns: Sequence[str] = (),
        allow: Sequence[str] = (),
        *,
        placeholder: str = PLACEHOLDER,
        check_secrets: bool = True,
    ) -> Redactor:
        """The default rules plus the ones configured (ini ``clearstone_redact_keys``,
        ``clearstone_redact_patterns``, ``clearstone_redact_allow``; blank lines and lines
        starting with ``#`` are skipped)."""
        return cls(
            DEFAULT_KEYS + _lines(extra_keys),
            DEFAULT_PATTERNS + _lines(extra_patterns),
            _lines(allow),
            placeholder,
            check_secrets=check_secrets,
        )

    def fresh(self) -> Redactor:
        """A redactor with the same rules and no findings (one per test).

        The compiled rules and the per-key verdict cache are shared, not rebuilt: a fresh copy
        per test must cost next to nothing.
        """
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.findings = []
        twin._calls = Counter()
        twin._seen = {}
        twin._model_output = set()
        twin.replaced = False
        twin.active = True
        return twin

    # -- the rules -----------------------------------------------------------------------------
    def _key_verdict(self, key: str) -> str:
        verdict = self._verdicts.get(key)
        if verdict is None:
            words = key_words(key) or (key.lower(),)
            if words in self._allow_keys:
                verdict = "allow"
            elif any(words[-len(rule) :] == rule for rule in self._key_rules):
                verdict = "secret"
            elif any(words[-len(rule) :] == rule for rule in self._variable_rules):
                verdict = "variable"  # (a secret as the name of a variable only)
            elif words in _ENVIRONMENTS:
                verdict = "environment"  # (holds variables: Walk._environment)
            elif words[-1] == "headers":
                verdict = "headers"  # (names to values: Walk._header_fields)
            else:
                verdict = "plain"
            self._verdicts[key] = verdict
        return verdict

    def _header_verdict(self, name: str) -> str:
        """What the rules say of the value of the header ``name``: its key verdict, made
        ``"secret"`` for a name a key rule does not cover but that names a secret as a header's
        (:func:`_secret_header_name`), unless an allow rule covers it."""
        verdict = self._header_verdicts.get(name)
        if verdict is None:
            verdict = self._key_verdict(name)
            if verdict not in ("secret", "allow") and _secret_header_name(name):
                verdict = "secret"
            self._header_verdicts[name] = verdict
        return verdict

    def is_secret_key(self, key: str) -> bool:
        """Whether a value under ``key`` is redacted (and ``key`` is not allowed)."""
        return self._key_verdict(key) == "secret"

    def is_secret_query(self, name: str) -> bool:
        """Whether the value of the URL query parameter ``name`` is redacted: a key rule covers
        it, or it is the signature of a shared-access or presigned URL, which grants access
        until it expires (its last word is one of :data:`URL_SIGNATURES`: Azure's ``sig``,
        ``X-Amz-Signature``, ``X-Goog-Signature``)."""
        verdict = self._key_verdict(name)
        if verdict in ("secret", "allow"):
            return verdict == "secret"
        return (key_words(name) or (name.lower(),))[-1] in URL_SIGNATURES

    def is_secret_variable(self, name: str) -> bool:
        """Whether the environment variable ``name`` holds a secret by its name: the key rules,
        those for variables only included, cover it (and no allow rule does); the shell's
        working directories (``$PWD``, ``$OLDPWD``) never."""
        return name.upper() not in _SHELL_VARIABLES and self._key_verdict(name) in (
            "secret",
            "variable",
        )

    def allows_value(self, text: str) -> bool:
        """Whether an allow rule (``re:REGEX``) covers the string ``text`` in full."""
        return any(rx.fullmatch(text) for rx in self._allow_values)

    def redact_string(self, text: str, note: Callable[[str], None] | None = None) -> str:
        """``text`` with every pattern match (or its group ``secret``), every value of a query
        parameter whose name a key rule covers, every URL password and every password setting
        of a connection string replaced by the placeholder; ``note`` is called with each text
        replaced (and its URL-decoded or unquoted form)."""
        for rx in self.patterns:
            if rx.search(text) is not None:  # the usual case: no replacer is made
                text = self._replace(rx, text, note)
        if "=" in text and ("?" in text or "&" in text) and _QUERY_PARAMETER.search(text):
            text = self._replace(_QUERY_PARAMETER, text, note)
        if ('":' in text or "':" in text) and _QUOTED_ENTRY.search(text):
            text = self._replace(_QUOTED_ENTRY, text, note)
        if "://" in text and _URL_PASSWORD.search(text):
            text = self._replace(_URL_PASSWORD, text, note)
        if "=" in text and _PASSWORD_SETTING.search(text):
            text = self._replace(_PASSWORD_SETTING, text, note)
        return text

    def _replace(self, rx: re.Pattern[str], text: str, note: Callable[[str], None] | None) -> str:
        """``text`` with the matches of ``rx`` (or their group ``secret``) replaced; a query
        parameter only when a key rule covers its name, and a value of a built-in rule
        (:data:`_TEXT_RULES`) already the placeholder (URL-encoded, quoted or not) is left as
        it is."""
        group = "secret" if "secret" in rx.groupindex else 0
        read = _TEXT_RULES.get(rx)

        def replace(m: re.Match[str]) -> str:
            start, end = m.span(group)
            secret = m.group(group)
            if read is not None:
                decoded = read(secret)
                if decoded == self.placeholder:  # (redacted before)
                    return m.group()
                if rx is _QUERY_PARAMETER and not self.is_secret_query(unquote_plus(m["name"])):
                    return m.group()
                if rx is _QUOTED_ENTRY and (
                    not self.is_secret_key(m["name"]) or m["name"] in _model_output_in(text)
                ):
                    return m.group()
                if note is not None and decoded != secret:
                    note(decoded)
            if note is not None:
                note(secret)
            whole, base = m.group(), m.start()
            return whole[: start - base] + self.placeholder + whole[end - base :]

        return rx.sub(replace, text)

    # -- the secrets seen ----------------------------------------------------------------------
    def note_secret(self, value: str, what: str) -> None:
        """Remember ``value`` as a secret seen (``what`` says where; the first note of a value
        is kept), for :meth:`secret_values`."""
        if value not in self._seen and len(self._seen) < withheld.LIMIT:
            self._seen[value] = what

    def note_sent_secret(
        self, kind: str, name: str, value: str, what: str, note: Callable[[str, str], object]
    ) -> None:
        """``note(secret, what it is)`` for ``value``, when it is the value of a secret query
        parameter (``kind`` ``"query"``: :meth:`is_secret_query`) or header (``"header"``: the
        header rule, :func:`_secret_header_name`) ``name`` that ``what`` (``"an openai.OpenAI
        client"``) sends with every request; for a header like ``Bearer <token>``, the token
        too."""
        if kind == "query":
            if self.is_secret_query(name):
                note(value, f"the {name} query parameter of {what}")
        elif self._header_verdict(name) == "secret":
            note(value, f"the {name} header of {what}")
            token = auth_token(value)
            if token:
                note(token, f"the token in the {name} header of {what}")

    def secret_values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The secret values seen so far, each with what it is (never shown): the values of the
        environment variables whose names the key rules cover (``environ``, default
        ``os.environ``: ``"the value of $OPENAI_API_KEY"``; not a value that names a file, such
        as ``$GOOGLE_APPLICATION_CREDENTIALS``: the file holds the secret), what the rules
        replace in the values of the others (the password in ``$DATABASE_URL``), the values
        this redactor replaced (under secret keys or matched by a pattern) and the values the
        codec withheld (SDK client keys, secret headers, and the query parameters and headers
        a client's reference left out whose names the rules cover, :meth:`note_sent_secret`:
        :mod:`~pytest_clearstone.codec.withheld`). Values an allow rule covers and values
        holding the placeholder are left out."""
        env = os.environ if environ is None else environ
        found: dict[str, str] = {}
        for name, value in env.items():
            if not value:
                continue
            if self.is_secret_variable(name):
                if not _names_a_file(value):
                    found.setdefault(value, f"the value of ${name}")
                continue
            replaced: list[str] = []
            self.redact_string(value, replaced.append)
            for text in replaced:
                found.setdefault(text, f"a secret in the value of ${name}")
        for seen in (dict(self._seen), withheld.noted()):
            for value, what in seen.items():
                found.setdefault(value, what)
        for (kind, name, value), what in withheld.sent().items():
            self.note_sent_secret(kind, name, value, what, found.setdefault)
        return {
            value: what
            for value, what in found.items()
            if self.placeholder not in value and not self.allows_value(value)
        }

    # -- applying them -------------------------------------------------------------------------
    def redact(self, value: Any) -> Any:
        """A redacted copy of ``value`` by the rules alone (suspects are neither replaced nor
        recorded). ``value`` is not changed."""
        return _Walk(self, check=False).value(value, "root")

    def note_secrets(self, value: Any, where: str) -> None:
        """Note the secrets the rules find in ``value``, a value that is not recorded itself
        (the arguments a test gives ``replay.run()``, by parameter name: ``where`` names
        them), for :meth:`secret_values`: a golden holding one where the agent kept it under
        another name is refused, as it is for a secret seen in a recorded value. Nothing is
        replaced, nor recorded in :attr:`findings`; a value the walk cannot go through is not
        looked into."""
        if not self.active:
            return
        replaced = self.replaced  # (nothing recorded was redacted by this walk)
        try:
            _Walk(self, check=False, location=where).value(value, "root")
        except Exception:  # (too deep to walk, a value whose attributes raise)
            pass
        finally:
            self.replaced = replaced

    def shown(self, value: Any, where: str = "", target: str = "") -> Any:
        """``value`` as a failure message may show it (a replay's actual arguments, result or
        state): a copy redacted by the rules (:meth:`redact`), even when this redactor is not
        :attr:`active`, with every secret value seen so far (:meth:`secret_values`, those
        :func:`worth_looking_for`) replaced by the placeholder wherever a string holds it. This
        redactor is not changed: what it compares and what it notes stay as they were.
        (``where`` and ``target``, the arguments of a transform, make no difference.)"""
        hidden = sorted(
            {
                form
                for value in filter(worth_looking_for, self.secret_values())
                for form in (*spellings(value), *base64_cores(value.encode("utf-8")))
            },
            key=len,
            reverse=True,
        )
        twin = self.fresh()
        twin.keeps_placeholder_key = False
        if hidden:
            twin.patterns = (*self.patterns, re.compile("|".join(map(re.escape, hidden))))
        return twin.redact(value)

    def __call__(self, value: Any, where: str = "", target: str = "") -> Any:
        """The recorder's transform: a redacted copy of ``value``.

        With ``check_secrets``, suspected secrets are replaced as well and recorded in
        :attr:`findings` with ``where``, ``target`` and the call number. Inside
        :func:`comparing`, the value is no recorded one: no call is counted, nothing is recorded
        in :attr:`findings`.
        """
        if not self.active:
            return value
        call = 0
        if where:
            if not _comparing.get():
                self._calls[(where, target)] += 1
            call = self._calls[(where, target)]
        walk = _Walk(self, self.check_secrets, _location(where, target, call))
        result = walk.value(value, "root")
        if walk.findings and not _comparing.get():
            self.findings.extend(
                SecretFinding(p, kind, n, where, target, call) for p, kind, n in walk.findings
            )
        return result

    def scan(self, value: Any) -> list[SecretFinding]:
        """The suspected secrets in ``value`` that no rule redacts (and no allow rule covers)."""
        walk = _Walk(self, check=True)
        walk.value(value, "root")
        return [SecretFinding(p, kind, n) for p, kind, n in walk.findings]

    def find_secrets(self, value: Any) -> list[str]:
        """The paths (``root['headers']['x-token']``) of the strings in ``value`` that look like
        secrets but that no rule covers. Empty when the rules cover everything."""
        return [f.path for f in self.scan(value)]

    def take_findings(self) -> list[SecretFinding]:
        """The findings recorded so far; the list is emptied."""
        found, self.findings = self.findings, []
        return found

    def forget_findings(self, where: str, places: Callable[[str, int], Sequence[str]]) -> None:
        """Drop the findings in the ``where`` value of each call that lie at or inside one of
        its ``places(target, call)`` (values recorded only as a placeholder naming their type,
        which writes none of their strings)."""
        found: dict[tuple[str, int], Sequence[str]] = {}

        def unwritten(f: SecretFinding) -> bool:
            if f.where != where:
                return False
            key = (f.target, f.call)
            if key not in found:
                found[key] = places(*key)
            return any(f.path == p or f.path.startswith((p + "[", p + ".")) for p in found[key])

        if self.findings:
            self.findings = [f for f in self.findings if not unwritten(f)]

    def raise_for_findings(self) -> None:
        """Raise :class:`UnredactedSecretError` if a suspected secret was seen (the findings
        are kept, so a caller can still inspect them)."""
        if self.findings:
            raise UnredactedSecretError([f.describe() for f in self.findings])

    # -- strict replay matching ----------------------------------------------------------------
    def for_matching(self, actual: Any, recorded: Any) -> Any:
        """``actual`` call arguments prepared for comparison with ``recorded`` ones (which were
        redacted when recorded): redacted by the rules, and equal to the placeholder wherever
        the recording holds the placeholder, so redacted paths never cause a divergence."""
        return self._overlay(self.redact(actual), recorded)

    def _overlay(self, actual: Any, recorded: Any) -> Any:
        if type(recorded) is str and recorded == self.placeholder:
            return self.placeholder
        if withheld.stands_for(actual, recorded):  # (a secret withheld in another form)
            return recorded
        if isinstance(recorded, dict) and isinstance(actual, dict):
            return {
                k: self._overlay(x, recorded[k]) if k in recorded else x for k, x in actual.items()
            }
        if isinstance(recorded, (list, tuple)) and type(actual) in (list, tuple):
            items = [
                self._overlay(x, recorded[i]) if i < len(recorded) else x
                for i, x in enumerate(actual)
            ]
            return items if type(actual) is list else tuple(items)
        return actual

    def matcher(
        self,
        inner: Callable[[str, int, Any, Any], bool | None] | None = None,
        *,
        redacted: bool = False,
    ) -> Callable[[str, int, Any, Any], bool | None]:
        """A replay matcher (``matcher(target, call_number, recorded, actual)``) comparing the
        prepared actual arguments (:meth:`for_matching`) with the recorded ones; ``inner`` (e.g.
        the ``pytest_clearstone_match_call`` hook) gets the prepared arguments first.
        ``redacted``: the actual arguments come redacted by these rules already (the replay's
        transform is this redactor): they are not walked to be redacted again, only given the
        recording's placeholders."""

        def match(target: str, call_number: int, recorded: Any, actual: Any) -> bool | None:
            if not self.active:
                return None if inner is None else inner(target, call_number, recorded, actual)
            if inner is None and _equal(actual, recorded):
                return True  # the usual case, without walking the arguments again
            if redacted:
                prepared = self._overlay(actual, recorded)
            else:
                prepared = self.for_matching(actual, recorded)
            if inner is not None:
                verdict = inner(target, call_number, recorded, prepared)
                if verdict is not None:
                    return verdict
            if same_stored_form(prepared, recorded):
                return True
            # a recording made when fewer rules redacted (a header's value kept then, its name
            # now a secret's) matches what those rules make of it
            again = self.redact(recorded)
            return same_stored_form(self._overlay(prepared, again), again)

        return match

    def __repr__(self) -> str:
        return (
            f"<Redactor {len(self.keys)} keys, {len(self.patterns)} patterns, "
            f"{len(self.allow)} allow rules>"
        )


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an __eq__ that raises or is ambiguous: the encodings decide
        return False


def _names_a_file(value: str) -> bool:
    """Whether ``value`` is the path of an existing file (a variable that names where a key is
    kept, not the key)."""
    return ("/" in value or os.sep in value) and os.path.isfile(value)


def _lines(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(s.strip() for s in values if s.strip() and not s.strip().startswith("#"))


def _compile(pattern: str | re.Pattern[str], what: str) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid {what} {pattern!r}: {exc}") from None
