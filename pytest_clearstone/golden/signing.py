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

Verification happens on the document parsed *without* decoding codec tags, before anything is
unpickled; the values are then decoded from that same parsed document, so what was verified is
what is loaded. Whether a file contains pickles is decided by walking that document for
``pickle`` tags, not by trusting the file's own ``contains_pickle`` field.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import codec
from ..errors import CheckpointCorruptError, UntrustedCheckpointError
from .document import file_text

ENV_VAR = "CLEARSTONE_SIGNING_KEY"
SIGNATURE_FIELD = "signature"
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
    if isinstance(key, str):
        key = key.encode("utf-8")
    if key is not None and not key:
        raise ValueError("a signing key must not be empty")
    return key


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """The bytes a signature covers: ``doc`` without ``"signature"``, canonical JSON."""
    body = {k: v for k, v in doc.items() if k != SIGNATURE_FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def compute_signature(doc: dict[str, Any], key: bytes | str) -> str:
    """``"hmac-sha256:<hex>"`` of :func:`canonical_bytes` of ``doc`` under ``key``."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
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
    stack = [tree]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if node.get(codec.TAG) == "pickle":
                return True
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return False


def trusted_decode(
    doc: Any, path: Path | str, *, allow_pickle: bool = True, signing_key: SigningKey = FROM_ENV
) -> Any:
    """Decode a parsed, undecoded checkpoint document, refusing untrusted pickles first.

    Pickled values are refused (:class:`UntrustedCheckpointError` naming ``path`` and the
    reason) when ``allow_pickle`` is false, or when a signing key is configured and the
    document is unsigned or its signature does not match. Nothing is unpickled before that
    decision. Files without pickled values are decoded whatever their signature.
    """
    key = resolve_key(signing_key)
    if (key is not None or not allow_pickle) and has_pickle(doc):
        if not allow_pickle:
            raise UntrustedCheckpointError(path, "pickled values are not allowed here")
        assert key is not None
        if not isinstance(doc, dict) or SIGNATURE_FIELD not in doc:
            raise UntrustedCheckpointError(
                path,
                f"it contains pickled values and is not signed, and a signing key is configured "
                f"({ENV_VAR}). Re-record it with the key set, or sign it if you trust it: "
                f'python -c "from pytest_clearstone.golden import signing; '
                f"signing.sign_file('{path}')\"",
            )
        if not verify_document(doc, key):
            raise UntrustedCheckpointError(
                path,
                "it contains pickled values and its signature does not match its content for "
                "the configured key: it was changed after signing, or signed with another key",
            )
    return codec.decode(doc)


def sign_file(path: str | os.PathLike[str], key: SigningKey = FROM_ENV) -> Path:
    """Sign an existing ``.ckpt`` file in place (atomically) with ``key``; returns its path."""
    from .atomic import atomic_write_text

    target = Path(path)
    raw = resolve_key(key)
    if raw is None:
        raise ValueError(f"no signing key: pass one or set {ENV_VAR}")
    atomic_write_text(target, sign_text(target.read_bytes(), raw))
    return target


@dataclass(frozen=True)
class TrustInfo:
    """What ``show`` reports about a checkpoint file's trust.

    ``signature_valid`` is ``None`` when it cannot be checked (no key configured) or the file is
    unsigned, else whether the signature matches the content for the key.
    """

    contains_pickle: bool
    signed: bool
    signature_valid: bool | None

    def __str__(self) -> str:
        pickles = "contains pickled values" if self.contains_pickle else "no pickled values"
        if not self.signed:
            signature = "unsigned"
        elif self.signature_valid is None:
            signature = f"signed (not verified: {ENV_VAR} is not set)"
        else:
            signature = "signature valid" if self.signature_valid else "signature INVALID"
        return f"{pickles}; {signature}"


def checkpoint_trust(path: str | os.PathLike[str], key: SigningKey = FROM_ENV) -> TrustInfo:
    """Whether the ``.ckpt`` file at ``path`` contains pickled values and is validly signed.

    Reads without decoding anything. Raises
    :class:`~pytest_clearstone.errors.CheckpointCorruptError` for a file that is not JSON.
    """
    target = Path(path)
    try:
        doc = _parse(target.read_bytes())
    except OSError as exc:
        raise CheckpointCorruptError(target, f"cannot read it ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointCorruptError(target, f"truncated or not JSON ({exc})") from None
    signed = isinstance(doc, dict) and isinstance(doc.get(SIGNATURE_FIELD), str)
    raw = resolve_key(key)
    valid = verify_document(doc, raw) if (signed and raw is not None) else None
    return TrustInfo(contains_pickle=has_pickle(doc), signed=signed, signature_valid=valid)
