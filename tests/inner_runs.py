"""How the tests run pytest inside pytest: without the plugins that only cost start-up time.

hypothesis takes a second to import and langsmith's plugin (installed with langchain-core for
the integration tests) half a second, again in every in-process run, since pytester restores
``sys.modules`` after each.
"""

LEAN_PLUGINS = ("hypothesispytest", "cacheprovider", "langsmith_plugin", "anyio")
LEAN_ARGS = tuple(arg for name in LEAN_PLUGINS for arg in ("-p", f"no:{name}"))
LEAN_ADDOPTS = " ".join(LEAN_ARGS)
