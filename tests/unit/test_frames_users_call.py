"""Which library function the ``made by:`` line of a blocked connection names
(:func:`pytest_clearstone.frames.users_call`): a decorator's wrapper passed over, a frozen
module's code not taken for the user's, the user's file shown where it is."""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable
from typing import Any

from pytest_clearstone.frames import users_call

LIBRARY = """
def deco(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


class Client:
    @deco
    def create(self, hook):
        return hook()


def factory():
    def step(hook):
        return hook()

    def entry(hook):
        return step(hook)

    return entry


def load(hook):
    return hook()
"""

#: the user's code, calling ``call(hook)`` on its line 2
USER = "def handle(call, hook):\n    return call(hook)\n"


def _module(source: str, filename: str, name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _made_by(library_file: str, pick: Callable[[dict[str, Any]], Any], user_file: str) -> str:
    library = _module(LIBRARY, library_file, "fakelib.api")
    user = _module(USER, user_file, "app")
    seen: list[str] = []

    def hook() -> None:
        seen.append(users_call(sys._getframe(1)))  # (from the library's frames outwards)

    user["handle"](pick(library), hook)
    return seen[0]


def _installed() -> str:
    return os.path.join(sysconfig.get_paths()["purelib"], "fakelib", "api.py")


def test_a_decorators_wrapper_is_passed_over_for_the_method_it_wraps() -> None:
    user_file = os.path.abspath("app.py")
    made_by = _made_by(_installed(), lambda lib: lib["Client"]().create, user_file)
    assert made_by == "fakelib.api.Client.create, called at app.py:2 (in handle)"


def test_a_call_made_only_through_closures_names_the_outermost() -> None:
    user_file = os.path.abspath("app.py")
    made_by = _made_by(_installed(), lambda lib: lib["factory"](), user_file)
    assert made_by == "fakelib.api.factory.<locals>.entry, called at app.py:2 (in handle)"


def test_a_frozen_modules_code_is_the_librarys() -> None:
    user_file = os.path.abspath("app.py")
    made_by = _made_by("<frozen fakelib.api>", lambda lib: lib["load"], user_file)
    assert made_by == "fakelib.api.load, called at app.py:2 (in handle)"


def test_the_users_file_outside_the_current_directory_is_shown_by_its_whole_path() -> None:
    user_file = os.path.join(os.path.abspath(os.sep), "elsewhere-clearstone", "app.py")
    assert os.path.relpath(user_file).startswith(os.pardir)  # (the test runs below the root)
    made_by = _made_by(_installed(), lambda lib: lib["load"], user_file)
    assert made_by == f"fakelib.api.load, called at {user_file}:2 (in handle)"


def test_a_package_installed_outside_this_interpreters_paths_is_the_librarys() -> None:
    # (the user's site-packages, another environment's on sys.path)
    other = os.path.join(os.path.abspath(os.sep), "opt", "env", "site-packages", "fakelib", "x.py")
    made_by = _made_by(other, lambda lib: lib["load"], os.path.abspath("app.py"))
    assert made_by == "fakelib.api.load, called at app.py:2 (in handle)"
