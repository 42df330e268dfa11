"""How the tests run pytest inside pytest: without the plugins that only cost start-up time.

hypothesis takes a second to import and langsmith's plugin (installed with langchain-core for
the integration tests) half a second, again in every in-process run, since pytester restores
``sys.modules`` after each.

The inner runs also leave out pytest's warning that ``pytest_clearstone`` was imported before
it could be marked for assertion rewriting: with an editable install, pytest 9.2 marks the
package of an entry-point plugin when it can find it on ``sys.path``; a bare ``pytest`` finds it
only once the rootdir is on ``sys.path`` (after the outer run imported the plugin), so every
inner run warned, and the tests whose ini says ``filterwarnings = error`` failed
(``python -m pytest`` puts the rootdir there first and never warned).
"""

import os
import shlex
import sys
import sysconfig

LEAN_PLUGINS = (
    "hypothesispytest",
    "cacheprovider",
    "langsmith_plugin",
    "anyio",
    # pytest-asyncio warns at start-up without its loop-scope ini option in each inner run's
    # project; `-p pytest_asyncio.plugin` loads it (tests/plugin/test_pytest_asyncio.py)
    "asyncio",
    "randomly",
    "platformdirs",
    # pytest-check (in the test extra for the soft-assertion tests, which ask for it with
    # `-p check` in a subprocess) patches threading.Thread.start for the whole process when it
    # is imported: an in-process run would leave every later test of that worker with its patch
    "check",
    # pytest-socket (in the test extra for tests/plugin/test_network_guard_beside_socket_plugins.py,
    # which asks for it with `-p socket` in a subprocess) puts socket.socket.connect back into
    # the class's own attributes after every test
    "socket",
    # pytest-django (for the Django tests, which ask for it with `-p pytest_django.plugin` in a
    # subprocess) imports Django's settings machinery in every run
    "django",
    # pytest-rerunfailures and pytest-timeout (for the tests of reruns and timeouts, which ask
    # for them with `-p rerunfailures` and `-p timeout`): hooks around every test
    "rerunfailures",
    "timeout",
)
LEAN_ARGS = (
    *(arg for name in LEAN_PLUGINS for arg in ("-p", f"no:{name}")),
    "-W",
    "ignore:Module already imported so cannot be rewritten; pytest_clearstone"
    ":pytest.PytestAssertRewriteWarning",
)
LEAN_ADDOPTS = shlex.join(LEAN_ARGS)

LIBRARIES = tuple({os.path.join(sysconfig.get_paths()[key], "") for key in ("purelib", "platlib")})
"""Where installed libraries are: the ``site-packages`` directories, each ending with a ``/``."""


def installed_library(name: str) -> bool:
    """Whether the module ``name`` is an installed library's (under ``site-packages``): inner
    runs in one process keep these modules between runs, as the process a user starts would
    have them imported once."""
    file = getattr(sys.modules.get(name), "__file__", None)
    return type(file) is str and file.startswith(LIBRARIES)
