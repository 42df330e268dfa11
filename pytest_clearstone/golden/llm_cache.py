"""LangChain's LLM cache, which answers a chat model's call before the method under it is called.

``set_llm_cache(...)`` makes every LangChain model look a prompt up before calling its
``_generate`` (``_agenerate``), or its ``_stream`` (``_astream``) when it streams under ``invoke``
(``streaming=True``, a streaming callback handler: ``astream_events``, LangGraph's
``stream_mode="messages"``): a mocked one of these (the targets that keep callbacks called) is
then not called for a prompt the cache holds. A cache kept between runs (``SQLiteCache``) or filled
by an earlier test (a replay fills it with the golden's answers) leaves the call out: a recording
records nothing, a replay leaves the recorded answer unused, and re-recording does not help.
:func:`llm_cache_hint` says so. Nothing here imports LangChain: the cache is read only from a
``langchain_core.globals`` the agent imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from ..codec.naming import class_path, loaded_class, mro_paths

#: the methods of a LangChain model that its cache skips (``_generate_with_cache`` calls the
#: ``_stream`` ones when the model streams)
_UNDER_THE_CACHE = ("_generate", "_agenerate", "_stream", "_astream")
#: LangChain's model classes, which consult the cache
_MODELS = (
    "langchain_core.language_models.chat_models:BaseChatModel",
    "langchain_core.language_models.llms:BaseLLM",
)


def cache_skipped(targets: Iterable[str]) -> list[str]:
    """The ``targets`` that LangChain's LLM cache skips for a prompt it holds, while one is set
    (none when no cache is set)."""
    if _global_cache() is None:
        return []
    return [path for path in dict.fromkeys(targets) if _under_the_cache(path)]


def llm_cache_hint(targets: Iterable[str]) -> str:
    """What to say when ``targets`` made fewer calls than expected and some of them are the
    methods of a LangChain model that its LLM cache skips, while one is set (``""``: not so)."""
    skipped = cache_skipped(targets)
    if not skipped:
        return ""
    return (
        f"LangChain's LLM cache is set ({class_path(type(_global_cache())).replace(':', '.')}, "
        f"set_llm_cache): a model answers a prompt the cache holds without calling "
        f"{', '.join(skipped)}, so a cache kept between runs (SQLiteCache) or filled by an "
        "earlier test leaves the call out, and re-recording does not help. Give each test an "
        "empty cache (an autouse fixture calling set_llm_cache(None), or the cache's clear()), "
        "or mock the model's invoke or ainvoke, which the cache does not skip."
    )


def _global_cache() -> object | None:
    """The cache ``set_llm_cache`` set, from a ``langchain_core.globals`` the agent imported."""
    found = sys.modules.get("langchain_core.globals")
    return getattr(found, "get_llm_cache", lambda: None)() if found is not None else None


def _under_the_cache(path: str) -> bool:
    owner, _, name = path.rpartition(".")
    if name not in _UNDER_THE_CACHE:
        return False
    cls = loaded_class(owner)
    return cls is not None and any(base in _MODELS for base in mro_paths(cls))
