"""What a test module that fails to import without a provider key is told.

While tests replay, unset provider keys (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, those of
ini ``clearstone_placeholder_env``) get a placeholder, so an agent that makes its SDK client in
a fixture or in ``__init__`` replays in CI with no key. A client made when the module is
imported (``client = openai.OpenAI()`` at module level, a chat model beside a graph compiled at
import) is made before that, and the SDK's error stops the collection: it names the variable,
not why the placeholder did not help.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def missing_key_note(
    module: str, error: str, names: Iterable[str], environ: Mapping[str, str]
) -> str:
    """The note for ``module`` (as the report names it) whose import failed with ``error``
    (its text): ``""`` unless the error names one of the placeholder variables ``names`` that
    is unset (or empty) in ``environ``."""
    unset = [
        name
        for name in names
        if not environ.get(name) and re.search(rf"\b{re.escape(name)}\b", error)
    ]
    if not unset:
        return ""
    variables = " and ".join(unset)
    assignments = " ".join(f"{name}=placeholder" for name in unset)
    them = "it" if len(unset) == 1 else "them"
    return (
        f"{module} failed to import without {variables}: pytest-clearstone gives {them} a "
        "placeholder only while tests replay, not while pytest imports test modules. Make the "
        "client (or the model or agent that makes one) in a fixture or where the test calls it, "
        f"not at import; or set {variables} to any value for the run ({assignments} pytest)"
    )
