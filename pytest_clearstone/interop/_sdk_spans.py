"""Decoding clearstone-sdk spans: the snapshot envelope, span types, errors (internal)."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import pickle
from pathlib import Path
from typing import Any

from ..errors import CheckpointError, UntrustedCheckpointError
from ..tracing.span import Recorded, Span

#: Attribute holding the clearstone-sdk span kind (``INTERNAL``, ``CLIENT``, ...).
KIND_ATTRIBUTE = "clearstone_sdk.kind"
OPT_IN = "pass allow_pickle=True (command line: --allow-pickle) if you trust the file"


class Bad(Exception):
    """Internal: a malformed value; the caller turns it into the error for its file kind."""


def epoch_ns_to_datetime(ns: int) -> _dt.datetime:
    epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return epoch + _dt.timedelta(microseconds=ns // 1000)


# -- values ------------------------------------------------------------------------------------
def unpickle(b64: Any, source: Path, what: str, allow_pickle: bool) -> Any:
    if not allow_pickle:
        raise UntrustedCheckpointError(
            source, f"{what} is a pickle, and unpickling untrusted data can run any code; {OPT_IN}"
        )
    if not isinstance(b64, str):
        raise Bad(f"{what}: the pickle is not a base64 string")
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Bad(f"{what}: bad base64 ({exc})") from None
    try:
        return pickle.loads(data)
    except (ImportError, AttributeError) as exc:
        raise CheckpointError(
            f"{source}: cannot unpickle {what} ({type(exc).__name__}: {exc}); make the modules "
            f"the pickle refers to importable (install the project or add it to sys.path)"
        ) from None
    except Exception as exc:
        raise Bad(f"{what}: the pickle is corrupt ({type(exc).__name__}: {exc})") from None


def _snapshot(raw: Any, source: Path, what: str, allow_pickle: bool) -> tuple[Recorded | None, str]:
    """Decode a snapshot (dict or its JSON text) into a ``Recorded``; also a capture note."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise Bad(f"{what}: the snapshot is not JSON ({exc})") from None
    if raw is None:
        return None, ""
    if not isinstance(raw, dict):
        raise Bad(f"{what}: the snapshot is a {type(raw).__name__}, not an object")
    if not raw.get("captured"):
        reason = raw.get("reason", "no reason given")
        return None, f"not captured: {reason} ({raw.get('type', '?')})"
    data = raw.get("data")
    try:
        inner = json.loads(data) if isinstance(data, str) else data
    except ValueError as exc:
        raise Bad(f"{what}: the snapshot data is not JSON ({exc})") from None
    if not isinstance(inner, dict) or "__type__" not in inner:
        raise Bad(f"{what}: the snapshot data has no '__type__'")
    kind = inner["__type__"]
    if kind == "json":
        return Recorded(decoded=inner.get("value")), ""
    if kind == "pickle":
        return Recorded(decoded=unpickle(inner.get("value"), source, what, allow_pickle)), ""
    raise Bad(f"{what}: unknown snapshot encoding {kind!r}")


def _span_type(attributes: dict[str, Any], name: str, kind: str | None) -> str | None:
    declared = attributes.get("span_type")
    if isinstance(declared, str) and declared:
        return declared
    if "." in name:
        return name.split(".", 1)[0]
    return kind.lower() if kind else None


def _error(status: str, message: str | None) -> dict[str, Any] | None:
    if status != "ERROR":
        return None
    text = message or ""
    # clearstone-sdk stores only the message: the exception type is lost, so replay raises
    # a plain Exception with that message.
    return {"type": "Exception", "module": "builtins", "message": text, "args": [text]}


def make_span(fields: dict[str, Any], source: Path, allow_pickle: bool, seq: int) -> Span:
    name = str(fields["name"])
    span_id = str(fields["span_id"])
    where = f"span {span_id} ({name!r})"
    attributes = fields.get("attributes") or {}
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError as exc:
            raise Bad(f"{where}: attributes are not JSON ({exc})") from None
        attributes = attributes or {}
    if not isinstance(attributes, dict):
        raise Bad(f"{where}: attributes are not an object")
    kind = fields.get("kind")
    attributes = dict(attributes)
    if kind:
        attributes[KIND_ATTRIBUTE] = str(kind)
    inp, note_in = _snapshot(fields.get("input"), source, f"the input of {where}", allow_pickle)
    out, note_out = _snapshot(fields.get("output"), source, f"the output of {where}", allow_pickle)
    for key, note in (("clearstone_sdk.input", note_in), ("clearstone_sdk.output", note_out)):
        if note:
            attributes[key] = note
    for extra in ("events", "links", "policy_decisions"):
        if fields.get(extra):
            attributes[f"clearstone_sdk.{extra}"] = fields[extra]
    status = str(fields.get("status") or "UNSET").upper()
    message = fields.get("error_message")
    end = fields.get("end_time_ns")
    return Span(
        trace_id=str(fields["trace_id"]),
        span_id=span_id,
        parent_span_id=fields.get("parent_span_id") or None,
        name=name,
        span_type=_span_type(attributes, name, None if kind is None else str(kind)),
        attributes=attributes,
        start_time_ns=int(fields["start_time_ns"]),
        end_time_ns=None if end is None else int(end),
        status=status if status in ("UNSET", "OK", "ERROR") else "UNSET",
        status_message=message,
        input=inp,
        output=out,
        error=_error(status, message),
        instrumentation_name=fields.get("instrumentation_name"),
        instrumentation_version=fields.get("instrumentation_version"),
        seq=seq,
    )
