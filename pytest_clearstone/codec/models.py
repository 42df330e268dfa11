"""Readable encodings of model classes from libraries: pydantic (v2, and v1 through
``pydantic.v1`` or pydantic < 2), attrs classes, ``NamedTuple``s and pydantic secrets.

Each ``encode_*`` function takes the value, its type and ``enc_at(segment, value)``, which
encodes a nested value and names it ``segment`` in an error path (``".choices"``). It returns
the tagged tree, or ``None`` when the value cannot be stored this way (a class that cannot be
imported again, a generic parametrised with something other than classes): the encoder then
falls back to its next option. The matching ``decode_*`` functions receive trees whose nested
values are already decoded, and rebuild the object without running validation or
``__init__``: the fields are the decoded values themselves.

Nothing here imports pydantic or attrs; the decoders import the stored class, which imports its
library.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from ..errors import DecodeError, StoredClassError
from .naming import (
    LANGCHAIN_VERSIONS,
    TAG,
    class_path,
    fields_changed,
    import_class,
    import_type,
    is_importable,
    mro_paths,
    other_attributes,
    per_type,
)
from .withheld import PLACEHOLDER_KEY

EncodeAt = Callable[[str, Any], Any]


def _fields_tree(values: dict[str, Any], enc_at: EncodeAt) -> dict[str, Any]:
    return {name: enc_at(f".{name}", value) for name, value in values.items()}


def _pydantic_fields(cls: type) -> Mapping[str, Any]:
    """The class's fields (pydantic's own mapping: read, never changed; read for each model,
    as ``model_rebuild`` may replace it)."""
    fields: Mapping[str, Any] | None = getattr(cls, "__pydantic_fields__", None)
    if fields is None:  # pydantic < 2.10
        fields = cls.model_fields  # type: ignore[attr-defined]
    return fields


@per_type
def _is_v2_model(cls: type) -> bool:
    return hasattr(cls, "__pydantic_fields_set__") and hasattr(cls, "model_construct")


@per_type
def model_schema(cls: type) -> Any:
    """The JSON schema of a pydantic v2 model class or pydantic dataclass (what a
    structured-output call sends the API: ``parse(response_format=Model)``), ``None`` for
    another class or one whose schema cannot be made. Not to be changed: it is remembered per
    class."""
    if not isinstance(cls, type):
        return None
    try:
        if _is_v2_model(cls):
            return cls.model_json_schema()  # type: ignore[attr-defined]
        if dataclasses.is_dataclass(cls) and hasattr(cls, "__pydantic_validator__"):
            # (pydantic made it, so it is imported)
            return sys.modules["pydantic"].TypeAdapter(cls).json_schema()
    except Exception:  # (arbitrary types without a schema, a forward reference not resolved)
        return None
    return None


def _v1_generic_parts(cls: type) -> tuple[type, list[Any]] | None:
    """The generic class and the arguments of a parametrised pydantic v1 ``GenericModel``
    (``Page[int]``: ``Page``, ``[int]``), ``None`` for another class. pydantic v1 keeps them in
    its ``generics`` module's table (nothing is imported: a v1 generic has loaded it)."""
    for name in ("pydantic.v1.generics", "pydantic.generics"):
        assigned = getattr(sys.modules.get(name), "_assigned_parameters", None)
        typevars = assigned.get(cls) if assigned is not None else None
        if typevars:
            origin = cls.__bases__[0]
            params = getattr(origin, "__parameters__", None) or ()
            if not params or any(p not in typevars for p in params):
                return None  # (a partial parametrisation: Page[K, V][int])
            return origin, [typevars[p] for p in params]
    return None


def is_v1_generic(cls: Any) -> bool:
    """Whether ``cls`` is a generic pydantic v1 ``GenericModel`` (one that takes arguments)."""
    return (
        isinstance(cls, type)
        and bool(getattr(cls, "__parameters__", None))
        and (hasattr(cls, "__concrete__") and hasattr(cls, "__fields_set__"))
    )


def generic_origin(cls: Any) -> Any:
    """The generic pydantic (v2) model that the class ``cls`` parametrises (``SyncPage`` for
    ``SyncPage[Model]``, a class of its own whose module is the one that wrote it), or
    ``None``."""
    meta = getattr(cls, "__pydantic_generic_metadata__", None)
    return meta.get("origin") if isinstance(cls, type) and isinstance(meta, dict) else None


def is_typing_generic(cls: Any) -> bool:
    """Whether ``cls`` is a class deriving from ``typing.Generic`` that is parametrised by
    typing's own ``__class_getitem__`` (``Box`` of ``class Box(Generic[T])``; not a pydantic
    model, which has its own): subscripting it runs no code of its class."""
    if not isinstance(cls, type) or not issubclass(cls, Generic):
        return False
    owner = next((k for k in cls.__mro__ if "__class_getitem__" in vars(k)), None)
    return owner is Generic


def typing_alias_origin(alias: Any) -> Any:
    """The class a ``typing`` alias parametrises (``Box`` for ``Box[int]``; the alias an
    instance made through it keeps as ``__orig_class__``) when it is such a generic
    (:func:`is_typing_generic`), or ``None``."""
    kind = type(alias)
    if kind.__name__ != "_GenericAlias" or kind.__module__ != "typing":
        return None
    origin = getattr(alias, "__origin__", None)
    return origin if is_typing_generic(origin) else None


def generic_ref(cls: Any) -> Any:
    """``"module:Qual"`` for a plain importable class, ``{"cls", "args"}`` for a parametrised
    pydantic generic (v2, or a v1 ``GenericModel``; nested as needed) or a ``typing`` alias of
    a ``typing.Generic`` class (``Box[int]``), ``{"typevar": "module:Name"}`` for a module's
    type variable (the openai SDK's ``parse`` returns ``ParsedChatCompletion[~ResponseFormatT]``),
    ``None`` for anything that cannot be named."""
    origin = generic_origin(cls)
    parts: tuple[Any, Any] | None = None
    if origin is not None:
        parts = (origin, cls.__pydantic_generic_metadata__.get("args", ()))
    elif isinstance(cls, type) and "[" in cls.__qualname__:  # (a v1 GenericModel's Page[int])
        parts = _v1_generic_parts(cls)
    elif typing_alias_origin(cls) is not None:
        parts = (cls.__origin__, cls.__args__)
    if parts is not None:
        origin = parts[0]
        args = [generic_ref(arg) for arg in parts[1]]
        if any(arg is None for arg in args) or not is_importable(origin):
            return None
        return {"cls": class_path(origin), "args": args}
    if isinstance(cls, type) and is_importable(cls):
        return class_path(cls)
    if isinstance(cls, TypeVar):
        module_name, name = str(getattr(cls, "__module__", "")), cls.__name__
        if getattr(sys.modules.get(module_name), name, None) is cls:
            return {"typevar": f"{module_name}:{name}"}
    return None


def resolve_ref(ref: Any) -> Any:
    if isinstance(ref, str):
        return import_type(ref)
    if isinstance(ref, dict) and isinstance(ref.get("typevar"), str):
        variable = import_class(ref["typevar"])
        if not isinstance(variable, TypeVar):
            raise DecodeError(f"{ref['typevar']!r} is not a type variable")
        return variable
    if isinstance(ref, dict) and isinstance(ref.get("args"), list):
        origin = import_type(ref["cls"])
        if (
            getattr(origin, "__pydantic_generic_metadata__", None) is None
            and not is_v1_generic(origin)
            and not is_typing_generic(origin)
        ):
            raise StoredClassError(
                f"{ref['cls']!r} is not a generic pydantic model or typing.Generic class"
            )
        args = tuple(resolve_ref(arg) for arg in ref["args"])
        try:
            return origin[args if len(args) != 1 else args[0]]  # type: ignore[index]
        except TypeError as exc:
            raise DecodeError(
                f"cannot parametrise {ref['cls']!r} with {list(ref['args'])}: {exc}"
            ) from None
    raise DecodeError(f"bad class reference {ref!r} in a stored pydantic model")


def encode_pydantic(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """A pydantic v2 model: ``cls`` (and ``args`` for a parametrised generic), its fields in
    ``v``; ``set`` (``model_fields_set``) unless it is every stored field and extra; ``extra``,
    ``private`` and
    ``attrs`` (other instance attributes, such as openai's ``_request_id``) when present."""
    ref = generic_ref(t)
    if ref is None:
        return None
    fields = _pydantic_fields(t)
    state = v.__dict__
    tree: dict[str, Any] = {TAG: "pydantic"}
    if isinstance(ref, dict):
        tree["cls"], tree["args"] = ref["cls"], ref["args"]
    else:
        tree["cls"] = ref
    tree["v"] = _fields_tree({k: x for k, x in state.items() if k in fields}, enc_at)
    extra = v.__pydantic_extra__
    fields_set = v.__pydantic_fields_set__
    if fields_set != tree["v"].keys() | (extra or {}).keys():
        tree["set"] = sorted(fields_set)
    if extra:
        tree["extra"] = _fields_tree(extra, enc_at)
    private = v.__pydantic_private__
    if private:
        tree["private"] = _fields_tree(private, enc_at)
    others = other_attributes(state, t, fields)
    others.pop("__pydantic_private__", None)  # (a root model's: stored as "private")
    if others:
        tree["attrs"] = _fields_tree(others, enc_at)
    return tree


#: The parts of a model's tree (``pydantic``, ``pydantic.v1``, ``attrs``, ``namedtuple``) that
#: hold its values, each an object of names and encoded values; its other parts (``cls``,
#: ``args``, ``set``) are plain names, and decoding the tree does not walk into them.
MODEL_PARTS = ("v", "extra", "private", "attrs")


def without_langchain_versions(tree: Any) -> Any:
    """A stored form as a comparison takes it: each stored pydantic model in it (a LangChain
    chat model, ``ChatOpenAI``, kept in an agent's state or passed to a function of one's own,
    and those it holds) without the releases in its ``metadata`` (:data:`LANGCHAIN_VERSIONS`),
    so that an upgrade of LangChain, or ``langchain`` installed in one place and not in another,
    changes no value. ``tree`` itself when it holds none."""
    if type(tree) is list:
        items = [without_langchain_versions(item) for item in tree]
        return tree if all(a is b for a, b in zip(items, tree, strict=True)) else items
    if type(tree) is not dict:
        return tree
    copied: dict[str, Any] | None = None
    for key, value in tree.items():
        kept = without_langchain_versions(value)
        if kept is not value:
            if copied is None:
                copied = dict(tree)
            copied[key] = kept
    out: dict[str, Any] = tree if copied is None else copied
    fields = out.get("v") if out.get(TAG) == "pydantic" else None
    if type(fields) is dict:
        metadata = fields.get("metadata")
        if type(metadata) is dict and LANGCHAIN_VERSIONS in metadata:
            kept_metadata = {k: v for k, v in metadata.items() if k != LANGCHAIN_VERSIONS}
            out = {**out, "v": {**fields, "metadata": kept_metadata}}
    return out


def _check_names(tree: dict[str, Any], what: str) -> None:
    for key in MODEL_PARTS:
        if key in tree and not isinstance(tree[key], dict):
            raise DecodeError(f"bad {what} value: {key!r} is not an object in {tree['cls']!r}")


def decode_pydantic(tree: dict[str, Any]) -> Any:
    """Rebuild a pydantic v2 model the way ``model_construct`` does, without validation.

    ``tree`` is the decoder's own (decoding made it, its values decoded): its field values
    become the model's."""
    stored, extra = tree.get("v"), tree.get("extra")
    attrs, private_tree = tree.get("attrs"), tree.get("private")
    if not (  # the usual case, checked at once (a part stored as null is wrong too)
        isinstance(stored, dict)
        and ((extra is None and "extra" not in tree) or isinstance(extra, dict))
        and ((attrs is None and "attrs" not in tree) or isinstance(attrs, dict))
        and ((private_tree is None and "private" not in tree) or isinstance(private_tree, dict))
    ):  # the check that names the bad part
        _check_names(tree, "pydantic")
        stored = tree["v"]
    ref = tree["cls"]
    cls: Any = import_type(ref) if type(ref) is str and "args" not in tree else _generic_class(tree)
    new, extra_allowed, private_attrs, root = _v2_facts(cls)
    fields = _pydantic_fields(cls)
    if "set" in tree:
        fields_set = set(tree["set"])
    else:  # (a set made once: keys() | keys() is one)
        fields_set = stored.keys() | extra.keys() if extra else set(stored)
    # the usual case: every field stored
    if stored.keys() == fields.keys():
        values = stored
    else:
        renamed = _alias_names(stored, fields)
        if renamed:  # (stored by a release whose fields had these names, its aliases now)
            stored = {renamed.get(k, k): x for k, x in stored.items()}
            fields_set = {renamed.get(k, k) for k in fields_set}
        values, moved = _with_defaults(tree, stored, fields, extra_allowed)
        if moved:  # (stored by a release of the class that had them as fields)
            extra = {**moved, **extra} if extra else moved
    if attrs:
        values.update(attrs)
    obj = new(cls)
    _set = object.__setattr__
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    if extra is None and extra_allowed:
        extra = {}
    if not root:  # (a root model has no extras)
        _set(obj, "__pydantic_extra__", extra)
    private: dict[str, Any] | None = None
    if private_attrs or private_tree:
        private = _private_defaults(private_attrs)
        private.update(private_tree or {})
    if private is not None or not root:  # (a root model's None is its class's)
        _set(obj, "__pydantic_private__", private)
    return obj


def _private_defaults(private_attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The private attributes' defaults, made again (those without one left out)."""
    private = {}
    for name, attr in private_attrs.items():
        default = attr.get_default()
        if type(default).__name__ != "PydanticUndefinedType":
            private[name] = default
    return private


def new_instance(cls: Any, fields: dict[str, Any]) -> Any:
    """An instance of ``cls`` made without ``__init__``. A pydantic v2 model is made as
    ``model_construct`` makes it, without validation: ``fields`` (the model's ``__dict__``)
    are its set fields, extras allowed by its config empty, private attributes at their
    defaults; any other class is only created (``fields`` is left to the caller)."""
    if not _is_v2_model(cls):
        return cls.__new__(cls)
    new, extra_allowed, private_attrs, root = _v2_facts(cls)
    obj = new(cls)
    _set = object.__setattr__
    _set(obj, "__dict__", {})
    _set(obj, "__pydantic_fields_set__", fields.keys() & _pydantic_fields(cls).keys())
    if not root:
        _set(obj, "__pydantic_extra__", {} if extra_allowed else None)
    if private_attrs or not root:
        private = _private_defaults(private_attrs) if private_attrs else None
        _set(obj, "__pydantic_private__", private)
    return obj


@per_type
def _v2_facts(cls: type) -> tuple[Callable[[type], Any], bool, Mapping[str, Any], bool]:
    """Of a pydantic v2 model class: its ``__new__`` (``model_construct`` makes the model with
    it), whether it allows extra fields, its private attributes (each default is made again
    for each model), and whether it is a ``RootModel`` (whose ``__pydantic_extra__`` and
    ``__pydantic_private__`` are class attributes: ``model_construct`` sets neither, but
    private attributes it has, which go in the instance's ``__dict__``); :class:`DecodeError`
    for a class that is not one."""
    if not _is_v2_model(cls):
        raise StoredClassError(f"{class_path(cls)!r} is not a pydantic v2 model")
    config: Any = getattr(cls, "model_config", {})
    private = getattr(cls, "__private_attributes__", None) or {}
    new: Callable[[type], Any] = cls.__new__  # type: ignore[assignment]
    root = bool(getattr(cls, "__pydantic_root_model__", False))
    return new, config.get("extra") == "allow", private, root


def _generic_class(tree: dict[str, Any]) -> Any:
    return resolve_ref(
        {"cls": tree["cls"], "args": tree["args"]} if "args" in tree else tree["cls"]
    )


def _with_defaults(
    tree: dict[str, Any], stored: dict[str, Any], fields: Mapping[str, Any], extra_allowed: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of a model whose stored fields are not the class's fields: the stored ones,
    then the defaults of those not stored (in the class's order); and the stored fields the
    class does not have, when it allows extras (``extra="allow"``: the SDKs' response models, a
    golden recorded with a newer release of the SDK, replayed with an older one), which become
    its extras, as validating the same data would make them. A field the class no longer has
    (its extras not allowed), or a required one not stored, is a :class:`DecodeError`."""
    unknown = stored.keys() - fields.keys()
    moved: dict[str, Any] = {}
    if unknown and extra_allowed:
        moved = {name: value for name, value in stored.items() if name in unknown}
    elif unknown:
        raise StoredClassError(
            f"the stored {tree['cls']!r} has fields {sorted(unknown)} the class no longer has"
        )
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in stored:
            values[name] = stored[name]
        elif field.is_required():
            raise StoredClassError(
                f"the stored {tree['cls']!r} lacks the required field {name!r} (added to the "
                f"class since it was recorded?)"
            )
        else:
            values[name] = _pydantic_default(field, values)
    return values, moved


def _alias_names(stored: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, str]:
    """The stored names that are no field of the class but the alias of one, not stored under
    its own name, each mapped to that field's name: a field that a release renamed keeping its
    old name as the alias that validation reads (mcp 2 renamed the camelCase fields of its types,
    ``inputSchema`` to ``input_schema`` aliased ``inputSchema``), read back as validating the
    same data would read it."""
    renamed: dict[str, str] = {}
    for name, field in fields.items():
        if name in stored:
            continue
        read = field.validation_alias  # (what validation reads; the alias only without one)
        choices = getattr(read, "choices", None)
        aliases = choices if isinstance(choices, list) else [field.alias if read is None else read]
        for alias in aliases:
            if type(alias) is str and alias in stored and alias not in fields:
                renamed[alias] = name
                break
    return renamed


def _pydantic_default(field: Any, values: dict[str, Any]) -> Any:
    """A pydantic field's default, made as validation makes it (``values``: the fields so far)."""
    try:
        return field.get_default(call_default_factory=True, validated_data=values)
    except TypeError:  # pydantic < 2.10: no validated_data
        return field.get_default(call_default_factory=True)


def missing_fields(cls: type, stored: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Of a dataclass or a pydantic v2 model class whose instance is given ``stored`` as its
    ``__dict__``: the defaults of its fields not stored (made as its constructor makes them),
    and the names of the required fields not stored, in the class's order. ``({}, [])`` for
    any other class."""
    defaults: dict[str, Any] = {}
    required: list[str] = []
    if _is_v2_model(cls):
        values = dict(stored)
        for name, field in _pydantic_fields(cls).items():
            if name in stored:
                continue
            if field.is_required():
                required.append(name)
            else:
                defaults[name] = values[name] = _pydantic_default(field, values)
    elif dataclasses.is_dataclass(cls):
        for item in dataclasses.fields(cls):
            if item.name in stored:
                continue
            if item.default is not dataclasses.MISSING:
                defaults[item.name] = item.default
            elif item.default_factory is not dataclasses.MISSING:
                defaults[item.name] = item.default_factory()
            elif item.init:  # (a field(init=False) without a default is set later, if ever)
                required.append(item.name)
    return defaults, required


def encode_pydantic_v1(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """A pydantic v1 model: ``cls`` (and ``args`` for a parametrised ``GenericModel``), its
    ``__dict__`` (fields and allowed extras) in ``v``; ``set`` and ``private`` as for v2."""
    ref = generic_ref(t)
    if ref is None:
        return None
    tree: dict[str, Any] = {TAG: "pydantic.v1"}
    if type(ref) is str:
        tree["cls"] = ref
    else:
        tree["cls"], tree["args"] = ref["cls"], ref["args"]
    tree["v"] = _fields_tree(dict(v.__dict__), enc_at)
    fields_set = v.__fields_set__
    if fields_set != tree["v"].keys():
        tree["set"] = sorted(fields_set)
    private = {}
    for name in getattr(t, "__private_attributes__", None) or {}:
        try:
            private[name] = getattr(v, name)
        except AttributeError:  # declared without a default and never set
            continue
    if private:
        tree["private"] = _fields_tree(private, enc_at)
    return tree


def decode_pydantic_v1(tree: dict[str, Any]) -> Any:
    """Rebuild a pydantic v1 model the way ``construct`` does, without validation."""
    _check_names(tree, "pydantic.v1")
    cls: Any = import_type(tree["cls"]) if "args" not in tree else _generic_class(tree)
    # (a pydantic 2 model has v1's names too, deprecated)
    fields = None if _is_v2_model(cls) else getattr(cls, "__fields__", None)
    if not isinstance(fields, dict) or not hasattr(cls, "__fields_set__"):
        raise StoredClassError(f"{tree['cls']!r} is not a pydantic v1 model")
    stored: dict[str, Any] = tree["v"]
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in stored:
            values[name] = stored[name]
        elif field.required:
            raise StoredClassError(f"the stored {tree['cls']!r} lacks the required field {name!r}")
        else:
            values[name] = field.get_default()
    values.update((k, x) for k, x in stored.items() if k not in fields)  # allowed extras
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__fields_set__", set(tree.get("set", stored.keys())))
    init_private = getattr(obj, "_init_private_attributes", None)
    if init_private is not None:
        init_private()
    for name, value in tree.get("private", {}).items():
        object.__setattr__(obj, name, value)
    return obj


def encode_secret(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """A pydantic ``SecretStr``/``SecretBytes``: only its class, never the secret."""
    del v, enc_at
    return {TAG: "secret", "cls": class_path(t)} if is_importable(t) else None


def decode_secret(tree: dict[str, Any]) -> Any:
    """A secret of the stored class holding the placeholder key (:func:`placeholder_secret`)."""
    cls = import_type(tree["cls"])
    if not any(path.endswith(("types:SecretStr", "types:SecretBytes")) for path in mro_paths(cls)):
        raise DecodeError(f"{tree['cls']!r} is not a pydantic SecretStr or SecretBytes")
    return placeholder_secret(cls)


def placeholder_secret(cls: type, text: str = PLACEHOLDER_KEY) -> Any:
    """A pydantic secret of class ``cls`` (``SecretStr``, ``SecretBytes`` or a subclass) holding
    ``text``, by default :data:`~.withheld.PLACEHOLDER_KEY`: what a stored secret reads back as
    (the secret itself is never written), and what the redaction puts in place of a secret
    under a secret name. The agent reads it as the secret it held, and builds its client with a
    key that is none."""
    if any(path.endswith("types:SecretBytes") for path in mro_paths(cls)):
        return cls(text.encode())
    return cls(text)


#: the bases of pydantic's URL classes (``AnyUrl``, ``HttpUrl``, ``PostgresDsn``, a user's own
#: subclass; pydantic-core's ``Url``/``MultiHostUrl`` themselves): each made again from its text
URL_BASES = frozenset(
    {
        "pydantic.networks:_BaseUrl",
        "pydantic.networks:_BaseMultiHostUrl",
        "pydantic_core:Url",
        "pydantic_core:MultiHostUrl",
    }
)


def encode_url(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """A pydantic URL (a field of a structured output: ``source: HttpUrl``): its class and its
    text, which is normalised already (it reads back as the same URL)."""
    del enc_at
    return {TAG: "pydantic_url", "cls": class_path(t), "v": str(v)} if is_importable(t) else None


def decode_url(tree: dict[str, Any]) -> Any:
    """A URL of the stored class made from the stored text (validated by that class)."""
    cls = import_type(tree["cls"])
    if URL_BASES.isdisjoint(mro_paths(cls)):
        raise DecodeError(f"{tree['cls']!r} is not a pydantic URL class")
    if type(tree["v"]) is not str:
        raise DecodeError(f"bad stored URL {tree['v']!r}")
    return cls(tree["v"])


_MISSING = object()


def encode_attrs(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """An attrs instance: ``cls`` and its attributes (those set) in ``v``; ``attrs`` the other
    instance attributes (set by ``__attrs_post_init__``) when there are any."""
    if not is_importable(t):
        return None
    values = {}
    names = [attribute.name for attribute in t.__attrs_attrs__]  # type: ignore[attr-defined]
    for name in names:
        value = getattr(v, name, _MISSING)
        if value is not _MISSING:
            values[name] = value
    tree = {TAG: "attrs", "cls": class_path(t), "v": _fields_tree(values, enc_at)}
    others = other_attributes(getattr(v, "__dict__", None), t, names)
    if others:
        tree["attrs"] = _fields_tree(others, enc_at)
    return tree


def decode_attrs(tree: dict[str, Any]) -> Any:
    """Rebuild an attrs instance without ``__init__`` (no converters or validators run again):
    stored attributes, then the defaults of attributes added to the class since, then the other
    instance attributes."""
    _check_names(tree, "attrs")
    cls: Any = import_type(tree["cls"])
    attributes = getattr(cls, "__attrs_attrs__", None)
    if attributes is None:
        raise StoredClassError(f"{tree['cls']!r} is not an attrs class")
    stored: dict[str, Any] = tree["v"]
    names = {attribute.name for attribute in attributes}
    unknown = stored.keys() - names
    if unknown:
        raise StoredClassError(
            f"the stored {tree['cls']!r} has attributes {sorted(unknown)} the class no longer has"
        )
    import attr  # the class's own library, already imported with it

    obj = cls.__new__(cls)
    for attribute in attributes:
        name = attribute.name
        if name in stored:
            value = stored[name]
        elif isinstance(attribute.default, attr.Factory):  # type: ignore[arg-type]
            factory = attribute.default.factory
            value = factory(obj) if attribute.default.takes_self else factory()
        elif attribute.default is not attr.NOTHING:
            value = attribute.default
        else:
            continue  # never set on the original either (init=False without a default)
        object.__setattr__(obj, name, value)
    for name, value in tree.get("attrs", {}).items():
        object.__setattr__(obj, name, value)
    return obj


def encode_namedtuple(v: Any, t: type, enc_at: EncodeAt) -> dict[str, Any] | None:
    """A ``NamedTuple``/``namedtuple``: ``cls`` and its fields by name in ``v``."""
    if not is_importable(t):
        return None
    values = dict(zip(t._fields, v, strict=True))  # type: ignore[attr-defined]
    return {TAG: "namedtuple", "cls": class_path(t), "v": _fields_tree(values, enc_at)}


def decode_namedtuple(tree: dict[str, Any]) -> Any:
    """Rebuild a named tuple with ``_make``; fields added since take their defaults."""
    _check_names(tree, "namedtuple")
    cls: Any = import_type(tree["cls"])
    names = getattr(cls, "_fields", None)
    if not (issubclass(cls, tuple) and isinstance(names, tuple)):
        raise StoredClassError(f"{tree['cls']!r} is not a named tuple")
    stored: dict[str, Any] = tree["v"]
    defaults = getattr(cls, "_field_defaults", {})
    unknown = stored.keys() - set(names)
    missing = [n for n in names if n not in stored and n not in defaults]
    if unknown or missing:
        raise fields_changed(tree["cls"], stored, list(names), missing)
    return cls._make(stored[n] if n in stored else defaults[n] for n in names)


def declared_private(t: type) -> list[str]:
    """The private attribute names annotated in the bodies of ``t`` and its bases."""
    # only the names are read: Python 3.14 evaluates annotations unless asked for forward
    # references (a name imported under TYPE_CHECKING would raise NameError)
    forward = getattr(getattr(inspect, "Format", None), "FORWARDREF", None)
    options: dict[str, Any] = {} if forward is None else {"format": forward}
    declared: list[str] = []
    for klass in t.__mro__:
        try:
            annotations = inspect.get_annotations(klass, **options)
        except Exception:  # (an annotation that cannot be read: skipped)
            continue
        declared += [name for name in annotations if name.startswith("_")]
    return declared
