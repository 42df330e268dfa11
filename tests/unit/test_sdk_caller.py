"""Which SDK method the agent called that made a mocked call of the same SDK itself, read off the
stack by ``sdk_method_calling``, with a real package's code between it and the call (the
standard library's ``argparse`` calling a ``type=`` converter)."""

from __future__ import annotations

import argparse
import functools

from pytest_clearstone.golden.sdk_caller import sdk_method_calling


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", type=sdk_method_calling)
    return parser


def test_the_public_method_the_caller_called_is_named() -> None:
    args = _parser().parse_args(["argparse.ArgumentParser._get_value"])
    assert args.target == "argparse.ArgumentParser.parse_args"


def test_a_private_method_the_caller_called_has_none_to_mock() -> None:
    parser = argparse.ArgumentParser()
    action = parser.add_argument("target", type=sdk_method_calling)
    assert parser._get_value(action, "argparse.ArgumentParser._get_value") is None


def test_a_call_the_caller_made_itself_names_no_method() -> None:
    assert sdk_method_calling("argparse.ArgumentParser.parse_args") is None


def test_a_package_not_installed_names_no_method() -> None:
    args = _parser().parse_args(["no_such_package_here.Client.call"])
    assert args.target is None


def test_a_method_its_path_no_longer_reaches_has_none_to_mock(monkeypatch) -> None:
    """Replaced on its class by a wrapper that is not its (no ``__wrapped__``): mocking the path
    would mock the wrapper, not the method that made the call."""
    parse_args = argparse.ArgumentParser.parse_args
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", lambda self, a: parse_args(self, a))
    args = _parser().parse_args(["argparse.ArgumentParser._get_value"])
    assert args.target is None


def test_a_method_its_path_reaches_through_a_wrapper_is_named(monkeypatch) -> None:
    parse_args = argparse.ArgumentParser.parse_args

    @functools.wraps(parse_args)
    def logged(self: argparse.ArgumentParser, a: list[str]) -> argparse.Namespace:
        return parse_args(self, a)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", logged)
    args = _parser().parse_args(["argparse.ArgumentParser._get_value"])
    assert args.target == "argparse.ArgumentParser.parse_args"
