"""Provider key variables whose SDK finds another credential when they are unset.

While tests replay, an unset provider key variable gets a placeholder, so that an agent that
makes its SDK client in ``__init__`` or a fixture replays with no key. The anthropic SDK (2.x)
reads other credentials when ``ANTHROPIC_API_KEY`` is unset: ``ANTHROPIC_AUTH_TOKEN``, the
profile ``ANTHROPIC_PROFILE`` names, workload identity federation, the active profile of its
config directory (``~/.config/anthropic``). A key that is set comes before all of them, so a
placeholder would make another client than the one recorded (without the profile's base URL and
workspace header), and the replay would diverge on it. Such a variable gets no placeholder.

The SDK's own public ``anthropic.lib.credentials.default_credentials()`` decides, as it does
when a client is made (a broken profile it would pass over is no credential); it is asked only
where the test modules imported the SDK: nothing here imports it.

The openai SDK's module client (``openai.chat.completions.create(...)`` with no client made) is
an Azure client where the environment holds Azure credentials and ``OPENAI_API_KEY`` is unset;
with both, it refuses to choose (``Ambiguous use of module client``). So ``OPENAI_API_KEY`` gets
no placeholder where the module client would choose Azure: its kind unset (``openai.api_type``,
read from ``OPENAI_API_TYPE``), and an Azure key, AD token or endpoint in the environment or the
module's settings.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping


def _anthropic_has_other_credentials(environ: Mapping[str, str]) -> bool:
    if "anthropic" not in sys.modules or environ.get("ANTHROPIC_API_KEY"):
        return False
    try:
        credentials = importlib.import_module("anthropic.lib.credentials")
        return credentials.default_credentials() is not None
    except ImportError:  # (a release without them)
        return False
    except Exception:  # (a profile the environment names that is broken: the SDK's choice)
        return True


#: the variables that make the openai module client an Azure one (``AZURE_OPENAI_ENDPOINT`` is
#: read into ``openai.azure_endpoint`` too)
_AZURE_VARIABLES = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT")
#: the openai module's settings that make its module client an Azure one
_AZURE_SETTINGS = ("azure_endpoint", "azure_ad_token", "azure_ad_token_provider")


def _openai_module_client_is_azure(environ: Mapping[str, str]) -> bool:
    openai = sys.modules.get("openai")
    if openai is None or environ.get("OPENAI_API_KEY"):
        return False
    if getattr(openai, "api_type", None) is not None:  # (its kind set: no choice to make)
        return False
    return any(environ.get(name) is not None for name in _AZURE_VARIABLES) or any(
        getattr(openai, name, None) is not None for name in _AZURE_SETTINGS
    )


#: a provider key variable -> whether its SDK finds another credential in the environment
_OTHER_CREDENTIALS: dict[str, Callable[[Mapping[str, str]], bool]] = {
    "ANTHROPIC_API_KEY": _anthropic_has_other_credentials,
    "OPENAI_API_KEY": _openai_module_client_is_azure,
}


def with_other_credentials(names: Iterable[str], environ: Mapping[str, str]) -> frozenset[str]:
    """The variables of ``names`` whose SDK finds another credential than them in ``environ``
    (the process's environment, which the SDK reads, or the files it names): those that get no
    placeholder."""
    return frozenset(
        name for name in names if name in _OTHER_CREDENTIALS and _OTHER_CREDENTIALS[name](environ)
    )
