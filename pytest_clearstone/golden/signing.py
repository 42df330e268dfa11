"""Signed checkpoints and trusted loading.

Unpickling runs code chosen by whoever wrote the pickle, so a checkpoint that contains pickled
(dill) values is only as trustworthy as its author. With a signing key configured (passed
explicitly, or the environment variable ``CLEARSTONE_SIGNING_KEY``), saved checkpoints carry
an HMAC-SHA256 of their canonical content in a top-level ``"signature"`` field, and loading
refuses a file that contains pickled values unless its signature is valid for that key.

**Canonical content**: the parsed JSON document without its ``"signature"`` field, serialised
with sorted keys, ``(",", ":")`` separators, non-ASCII characters kept, encoded as UTF-8. So the
signature survives re-indentation and line-ending changes (``git`` with ``autocrlf``) but not a
change of any value. The field reads ``"hmac-sha256:<64 hex digits>"``.

Pickles are opt-in: a file holding one is refused unless the reader allows pickles
(``allow_pickle=True``), and with a key configured it must also carry a valid signature.
The decision (:func:`check_trust`) is made once, on the document parsed *without* decoding codec
tags, before anything is decoded; the values are then decoded once from that same parsed
document, so what was checked is what is loaded. Whether a file contains pickles is decided by
the pre-parse scan and a walk of that document for ``pickle`` tags, not by trusting the file's
own ``contains_pickle`` field.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .. import codec
from ..codec.tags import (
    PICKLE_FIXES,
    SIZE_FIELD,
    DocumentScan,
    format_path,
    pickle_locations,
    readable_path,
)
from ..errors import DecodeError, UntrustedCheckpointError
from ..printable import printable
from .document import file_text
from .files import not_json, read_file, unreadable

ENV_VAR = "CLEARSTONE_SIGNING_KEY"
SIGNATURE_FIELD = "signature"
_UNSIGNED = frozenset((SIGNATURE_FIELD, SIZE_FIELD))
_PREFIX = "hmac-sha256:"


class _FromEnv(enum.Enum):
    FROM_ENV = "from the environment"


#: The default of every ``signing_key`` parameter: read ``CLEARSTONE_SIGNING_KEY`` at call time.
FROM_ENV = _FromEnv.FROM_ENV
SigningKey = bytes | str | None | Literal[_FromEnv.FROM_ENV]


def resolve_key(key: SigningKey = FROM_ENV) -> bytes | None:
    """The key as bytes: ``FROM_ENV`` reads ``CLEARSTONE_SIGNING_KEY`` (unset or empty: no
    key), text is UTF-8 encoded, ``None`` means no key."""
    if key is FROM_ENV:
        key = os.environ.get(ENV_VAR) or None
        if key is not None:  # (bytes that are not UTF-8 are held as surrogate escapes: those)
            key = key.encode("utf-8", "surrogateescape")
    if isinstance(key, str):
        key = key.encode("utf-8")
    if key is not None and not isinstance(key, bytes):
        raise TypeError(f"signing_key must be bytes, a text or None, not {type(key).__name__}")
    if key is not None and not key:
        raise ValueError("a signing key must not be empty")
    return key


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """The bytes a signature covers: ``doc`` without ``"signature"`` and ``"file_bytes"`` (set
    after signing), canonical JSON."""
    body = {k: v for k, v in doc.items() if k not in _UNSIGNED}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")  # (a lone surrogate: its own bytes)


def compute_signature(doc: dict[str, Any], key: bytes | str) -> str:
    """``"hmac-sha256:<hex>"`` of :func:`canonical_bytes` of ``doc`` under ``key``."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    import hmac  # (only with a signing key)

    return _PREFIX + hmac.new(raw, canonical_bytes(doc), hashlib.sha256).hexdigest()


def sign_document(doc: dict[str, Any], key: bytes | str) -> dict[str, Any]:
    """A copy of ``doc`` with its ``"signature"`` field set (an old one is replaced)."""
    signed = {k: v for k, v in doc.items() if k != SIGNATURE_FIELD}
    signed[SIGNATURE_FIELD] = compute_signature(signed, key)
    return signed


def verify_document(doc: Any, key: bytes | str) -> bool:
    """Whether ``doc`` carries a signature that is valid for ``key`` (unsigned: ``False``)."""
    if not isinstance(doc, dict):
        return False
    signature = doc.get(SIGNATURE_FIELD)
    if not isinstance(signature, str):
        return False
    import hmac  # (only with a signing key)

    return hmac.compare_digest(signature, compute_signature(doc, key))


def _parse(text: str | bytes) -> Any:
    """Parse JSON without decoding any codec tag (so nothing is unpickled)."""
    return codec.loads(text, decode_tags=False)


def sign_text(text: str | bytes, key: bytes | str) -> str:
    """``.ckpt`` file text signed with ``key`` (re-serialised in the file's stable layout).

    Raises ``ValueError`` when ``text`` is not a JSON object.
    """
    doc = _parse(text)
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, found {type(doc).__name__}")
    # the length no longer holds, and the file may have been edited: read as edited
    doc.pop(SIZE_FIELD, None)
    return file_text(sign_document(doc, key)) + "\n"


def verify(text_or_doc: str | bytes | dict[str, Any], key: bytes | str) -> bool:
    """Whether ``.ckpt`` text (or its parsed document) is signed with ``key``, unchanged since.

    Nothing is decoded or unpickled. Text that is not JSON raises ``ValueError``.
    """
    doc = text_or_doc if isinstance(text_or_doc, dict) else _parse(text_or_doc)
    return verify_document(doc, key)


def has_pickle(tree: Any) -> bool:
    """Whether a parsed, undecoded document holds a ``pickle``-tagged value anywhere.

    Iterative, so a deeply nested document cannot exhaust the stack.
    """
    return bool(pickle_locations(tree))


def describe_location(doc: Any, path: list[Any]) -> str:
    """Where ``path`` is in a checkpoint document, for a person: ``the output of span
    'app.llm.complete' (0123...) at root['receipt']``."""
    trace = doc.get("trace") if type(doc) is dict else None
    spans = trace.get("spans") if type(trace) is dict else None
    spans = spans if type(spans) is list else []
    if path[:2] == ["trace", "spans"] and len(path) > 3 and type(path[2]) is int:
        span = spans[path[2]] if path[2] < len(spans) else {}
        span = span if type(span) is dict else {}
        field, rest = path[3], path[4:]
        node = span.get(field)
        if field in ("input", "output") and rest[:1] == ["v"]:
            rest, node = rest[1:], node.get("v") if type(node) is dict else None
        what = {"attributes": "an attribute", "error": "the exception"}.get(field, f"the {field}")
        return (
            f"{what} of span {span.get('name')!r} ({span.get('span_id')}) at "
            f"{readable_path(node, rest)} (trace.spans[{path[2]}].{field})"
        )
    if path[:2] == ["agent", "state"]:
        return f"the agent state at {readable_path(doc, path, 'state', skip=2)}"
    if path[:1] in (["outcome"], ["metadata"]):
        return f"the {path[0]} at {readable_path(doc, path, path[0], skip=1)}"
    return format_path(path, "the document")


def decode_problem(doc: Any, exc: DecodeError) -> str:
    """What ``exc`` says of a value of the checkpoint document ``doc`` (parsed, the value not
    decoded) that cannot be decoded, with where it is when known: ``'app:Note' is not a
    pydantic v1 model (in the outcome at final_state['history'][0])``."""
    if not exc.where:
        return str(exc)
    return f"{exc} (in {describe_location(doc, list(exc.where))})"


def check_trust(
    doc: Any,
    path: Path | str,
    *,
    allow_pickle: bool = False,
    signing_key: SigningKey = FROM_ENV,
    scan: DocumentScan | None = None,
) -> bool:
    """Decide, once and before anything is decoded, whether a parsed, undecoded checkpoint
    document may be decoded; returns whether it holds pickles.

    A document holding a pickle is refused with :class:`UntrustedCheckpointError` (naming
    ``path``, where the pickle is and its stored type, why, and the fixes) unless
    ``allow_pickle``; and, with a signing key configured, unless it also carries a valid
    signature. ``scan`` (of the file's bytes) skips the walk when no pickle is possible.
    """
    if scan is not None and not scan.may_hold_pickle:
        return False
    found = pickle_locations(doc)
    if not found:
        return False
    where, type_name = describe_location(doc, found[0][0]), found[0][1]
    pickle = f"it holds a pickle (a stored {printable(type_name)}, in {where})"
    key = resolve_key(signing_key)
    if not allow_pickle:
        signed = (
            f"; with a signing key ({_key_source(signing_key, key)}), the file must also be signed"
            if key
            else ""
        )
        raise UntrustedCheckpointError(
            path,
            f"{pickle}, and pickles are not allowed: unpickling runs code chosen by whoever "
            f"wrote the file. Either {PICKLE_FIXES}{signed}",
        )
    if key is None:
        return True
    if not isinstance(doc, dict) or SIGNATURE_FIELD not in doc:
        source = _key_source(signing_key, key)
        raise UntrustedCheckpointError(
            path,
            f"{pickle} and is not signed, and a signing key is given ({source}). Re-record it "
            f"with the key set, or sign it if you trust it: {_sign_command(path, source)}",
        )
    if not verify_document(doc, key):
        source = _key_source(signing_key, key)
        raise UntrustedCheckpointError(
            path,
            f"{pickle} and its signature does not match its content for the signing key "
            f"({source}): it was changed after signing, or signed with another key. Re-record "
            f"it with the key set, or, if you trust its content, sign it again: "
            f"{_sign_command(path, source)}",
        )
    return True


def _key_source(given: SigningKey, key: bytes | None) -> str:
    """Where the signing ``key`` is from, as a message names it: the environment variable, or
    the caller's ``signing_key=`` (a caller may have read the variable already)."""
    if given is FROM_ENV or (key is not None and key == resolve_key(FROM_ENV)):
        return f"${ENV_VAR}"
    return "signing_key="


def _sign_command(path: Path | str, source: str) -> str:
    """How a person signs the file at ``path`` with the key from ``source``
    (:func:`_key_source`): with the environment's key, or with the key they passed."""
    key = "" if source.startswith("$") else ", YOUR_KEY"
    code = f"from pytest_clearstone.golden import signing; signing.sign_file({str(path)!r}{key})"
    # (the usual path: in the shell's "..."; Windows' shells keep a backslash there)
    if not re.search(r"['\"$`!]" if os.name == "nt" else r"['\"$`\\!]", str(path)):
        return f'python -c "{code}"'
    import shlex  # (only for a message)

    return f"python -c {shlex.quote(code)}"


def trusted_decode(
    doc: Any, path: Path | str, *, allow_pickle: bool = False, signing_key: SigningKey = FROM_ENV
) -> Any:
    """Decode a parsed, undecoded checkpoint document once, after :func:`check_trust`.

    Nothing is decoded before that decision; files without pickled values are decoded
    whatever their signature.
    """
    check_trust(doc, path, allow_pickle=allow_pickle, signing_key=signing_key)
    return codec.decode(doc, allow_pickle=allow_pickle)


def sign_file(path: str | os.PathLike[str], key: SigningKey = FROM_ENV) -> Path:
    """Sign an existing ``.ckpt`` file in place (atomically) with ``key``; returns its path.
    A file that is not a JSON object raises
    :class:`~pytest_clearstone.errors.CheckpointCorruptError` (a ``ValueError``) naming it."""
    from .atomic import atomic_write_text

    target = Path(path)
    raw = resolve_key(key)
    if raw is None:
        raise ValueError(f"no signing key: pass one or set {ENV_VAR}")
    content = read_file(target)
    try:
        signed = sign_text(content, raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # (nothing is written)
        raise not_json(target, content, str(exc)) from None
    atomic_write_text(target, signed)
    return target


class TrustInfo(NamedTuple):
    """What ``show`` reports about a checkpoint file's trust.

    ``signature_valid`` is ``None`` when it cannot be checked (no key configured) or the file is
    unsigned, else whether the signature matches the content for the key.
    """

    contains_pickle: bool
    signed: bool
    signature_valid: bool | None

    @property
    def signature(self) -> str:
        """``unsigned``, ``signed`` (no key to check it with), ``signature valid`` or
        ``signature INVALID``."""
        if not self.signed:
            return "unsigned"
        if self.signature_valid is None:
            return "signed"
        return "signature valid" if self.signature_valid else "signature INVALID"

    def __str__(self) -> str:
        pickles = "contains pickled values" if self.contains_pickle else "no pickled values"
        signature = self.signature
        if signature == "signed":
            signature = f"signed (not verified: {ENV_VAR} is not set)"
        return f"{pickles}; {signature}"


def checkpoint_trust(path: str | os.PathLike[str], key: SigningKey = FROM_ENV) -> TrustInfo:
    """Whether the ``.ckpt`` file at ``path`` contains pickled values and is validly signed.

    Reads without decoding anything. Raises
    :class:`~pytest_clearstone.errors.CheckpointCorruptError` for a file that is not JSON.
    """
    target = Path(path)
    try:
        content = read_file(target)
    except OSError as exc:
        raise unreadable(target, exc) from None
    return content_trust(content, target, key)


def content_trust(content: bytes, path: Path, key: SigningKey = FROM_ENV) -> TrustInfo:
    """:func:`checkpoint_trust` of a file's ``content`` (``path`` naming it: a version at git
    ``HEAD``, say)."""
    try:
        doc = _parse(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise not_json(path, content, str(exc)) from None
    signed = isinstance(doc, dict) and SIGNATURE_FIELD in doc  # (of any type: checked below)
    raw = resolve_key(key)
    valid = verify_document(doc, raw) if (signed and raw is not None) else None
    return TrustInfo(contains_pickle=has_pickle(doc), signed=signed, signature_valid=valid)
