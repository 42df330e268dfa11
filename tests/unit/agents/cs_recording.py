"""Builds traced runs and checkpoints for the tests without a live agent behind them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pytest_clearstone.debugging import Checkpoint, CheckpointManager
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.tracing.span import Span


class Recording:
    """One trace with a root span; ``step`` opens child spans, ``call`` records tool calls."""

    def __init__(self, name: str = "workflow") -> None:
        self.provider = TracerProvider(db_path=":memory:")
        self.tracer = self.provider.get_tracer("tests", version="1.0")
        self._root_name = name
        self.root: Span | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Recording:
        self.root = self._stack.enter_context(self.tracer.span(self._root_name))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def trace_id(self) -> str:
        assert self.root is not None
        return self.root.trace_id

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Span]:
        with self.tracer.span(name) as span:
            yield span

    def call(
        self,
        span_type: str,
        name: str,
        input: Any = None,
        output: Any = None,
        *,
        error: BaseException | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Span:
        """One recorded call: a closed span with input, output (or a recorded exception)."""
        with (
            contextlib.suppress(type(error) if error is not None else ()),
            self.tracer.span(name, span_type=span_type, attributes=attributes) as span,
        ):
            if input is not None:
                span.set_input(input)
            if error is not None:
                raise error
            span.set_output(output)
        return span

    def trace(self) -> Any:
        return self.provider.trace_store.get_trace(self.trace_id)

    def checkpoint(
        self, agent: Any, span_id: str, manager: CheckpointManager | None = None
    ) -> Checkpoint:
        manager = manager or CheckpointManager()
        return manager.create_checkpoint(agent, self.trace(), span_id)
