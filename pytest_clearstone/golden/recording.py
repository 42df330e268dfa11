"""The recording half of a golden run: live calls recorded, the golden checkpoint written."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..codec.tags import format_path, tag_locations
from ..errors import (
    CheckpointCorruptError,
    CheckpointVersionError,
    ClearstoneError,
    SerializationError,
)
from ..tracing.span import Recorded, Span
from ..tracing.trace import Trace
from ..tracing.tracer import Tracer, current_span
from .changes import describe_changes
from .checkpoint import RECORDED_BY_PLUGIN, Checkpoint, readable_version
from .context import DeterministicExecutionContext, derive_seed
from .identity import derive_ids, previous_document, previous_identity, read_previous
from .manager import new_checkpoint_id
from .mocks import TARGET_ATTRIBUTE
from .outcome import Outcome, outcome_mapping
from .recorder import Recorder
from .responses import ReplayCall
from .secrets import leak_check
from .spec import GoldenSpec
from .state import agent_class_of, capture_state, state_value
from .targets import PatchStack, resolve


class RecordingRun:
    """Runs the test's calls live under the frozen clock and seeded randomness fixed before
    the call (a new checkpoint id), recording every call of a mock target as a span; then
    builds and writes the golden checkpoint."""

    def __init__(self, spec: GoldenSpec, *, tracer: Tracer | None) -> None:
        self.spec = spec
        self.path, self.pairs, self.node_id = spec.path, spec.pairs, spec.node_id
        self.transform, self.strict = spec.transform, spec.strict
        self.tracer = tracer
        # fixed before the call so that the seed and the clock are known up front; a re-record
        # keeps the previous golden's (its seeds derive from the id), unless asked to be fresh
        #: the golden this run records again, as it was (read once: identity and change line)
        self.previous_text = read_previous(spec.path)
        self.previous_doc = previous_document(self.previous_text)  # (parsed once)
        previous = None if spec.fresh else previous_identity(self.previous_doc)
        if previous is None:
            self.checkpoint_id = new_checkpoint_id()
            self.started_at = _dt.datetime.now(_dt.timezone.utc)
        else:
            self.checkpoint_id, self.started_at = previous
        self.outcomes: list[Outcome] = []
        self.change = ""  # after save(): what changed against the previous golden
        self.first_agent: Any = None
        self.state_before: Recorded | None = None
        self.context: DeterministicExecutionContext | None = None
        self.recorder: Recorder | None = None
        self.root_span_id: str | None = None
        self._stack: PatchStack | None = None

    @property
    def calls(self) -> list[ReplayCall]:
        return [] if self.recorder is None else list(self.recorder.calls)

    def start(self, root_span_id: str | None) -> None:
        """Enter the deterministic context and patch the targets with recording wrappers."""
        if self.tracer is None:
            raise ClearstoneError("record mode needs a tracer to record the calls")
        refuse_overwriting_newer(self.path, self.previous_doc)  # before any live call
        self.root_span_id = root_span_id
        # the test's root span: the current one here, in the hook that opened it
        root = current_span()
        if root is not None and root.span_id != root_span_id:
            root = None
        targets = [(resolve(path), span_type) for span_type, path in self.pairs]
        ctx = DeterministicExecutionContext(self.started_at, seed=derive_seed(self.checkpoint_id))
        ctx.__enter__()
        stack = PatchStack()
        try:
            recorder = Recorder(
                self.tracer, ctx, transform=self.transform, ignore=self.spec.ignore, root=root
            )
            for target, span_type in targets:
                recorder.patch(target, span_type, stack)
            recorder.run_started_tasks_live(stack)
        except BaseException:
            stack.undo()
            ctx.__exit__(None, None, None)
            raise
        self.context, self.recorder, self._stack = ctx, recorder, stack

    def stop(self) -> None:
        """Undo every patch and unfreeze the clock (always called, also after a failure)."""
        stack, self._stack = self._stack, None
        try:
            if self.recorder is not None:
                self.recorder.finish_streams()
            if stack is not None:
                stack.undo()
        finally:
            if self.context is not None and self.context.active:
                self.context.__exit__(None, None, None)

    # -- each replay.run() ---------------------------------------------------------------------
    def before_run(self, agent: Any) -> None:
        """Capture the agent's state before the first run (redacted now, before the recording
        is checked for secrets)."""
        if self.outcomes or self.state_before is not None or agent is None:
            return
        self.first_agent = agent
        self.state_before = self._state(agent)

    def after_run(self, agent: Any, name: str, result: Any) -> None:
        """Keep the run's outcome: its result and the agent's final state."""
        if not self.outcomes and self.first_agent is None:
            self.first_agent = agent
        final = None if agent is None else self._state(agent)
        if self.transform is not None:
            result = self.transform(result, "result", self.node_id)
        self.outcomes.append(Outcome(name, Recorded.of(result), final))

    def _state(self, agent: Any) -> Recorded:
        """The agent's state, snapshotted (a value that cannot be stored fails here, naming its
        path), then redacted."""
        state = capture_state(agent)
        if self.transform is not None:
            return Recorded.of(self.transform(state_value(state), "state", self.node_id))
        return state

    # -- the golden ----------------------------------------------------------------------------
    def build_checkpoint(self, trace: Trace) -> Checkpoint:
        """The golden checkpoint of the finished test, its span and trace ids derived from the
        checkpoint id (see :mod:`~pytest_clearstone.golden.identity`)."""
        name, module = agent_class_of(self.first_agent)
        span_id = self.root_span_id or (trace.root_span.span_id if trace.root_span else "")
        renamed, mapping = derive_ids(trace.to_dict(), self.checkpoint_id)
        trace, span_id = Trace.from_dict(renamed), mapping.get(span_id, span_id)
        return Checkpoint(
            checkpoint_id=self.checkpoint_id,
            state=self.state_before or Recorded.of(None),
            agent_class_name=name,
            agent_module=module,
            trace=trace,
            span_id=span_id,
            timestamp=self.started_at,
            metadata={
                "recorded_by": RECORDED_BY_PLUGIN,
                "test": self.node_id,
                "mock": {st: [p for s, p in self.pairs if s == st] for st, _ in self.pairs},
                "strict": self.strict,
            },
            outcome=outcome_mapping(self.outcomes),
        )

    def save(self, trace: Trace, metadata: dict[str, Any] | None = None) -> Checkpoint:
        """Write the golden checkpoint atomically (directories created) and return it."""
        if self.spec.allow_pickle and self.recorder is not None:
            restore_pickles(trace, self.recorder.spans)
        refuse_unreplayable_outputs(trace)
        checkpoint = self.build_checkpoint(trace)
        checkpoint.metadata.update(metadata or {})
        written: list[str] = []  # the text written, for the change line
        leaks = leak_check(self.path)

        def check(text: str) -> None:
            leaks(text)  # raises before anything is written
            written.append(text)

        checkpoint.write(self.path, allow_pickle=self.spec.allow_pickle, check=check)
        self.change = describe_changes(self.previous_text, written[0])
        return checkpoint


def refuse_overwriting_newer(path: Path, doc: Any) -> None:
    """Raise :class:`CheckpointVersionError` when ``doc``, the parsed golden at ``path`` about
    to be recorded again, is in a format newer than this release's: writing it in this one
    would drop what only the newer format holds. A missing file (``None``), an unreadable one
    and one of an older format (whose readers say to re-record it) are recorded over."""
    if doc is None:
        return
    try:
        readable_version(doc, path)
    except CheckpointVersionError as exc:
        if exc.found > exc.supported:
            raise CheckpointVersionError(path, exc.found, exc.supported, recording=True) from None
    except CheckpointCorruptError:  # not a readable checkpoint: recorded over
        return


#: why a recorded answer stored as its repr refuses the golden, and the ways out
_REPR_FIXES = (
    "only its repr could be stored, and a repr cannot be replayed. Teach the codec the type "
    "(pytest_clearstone.codec.register, or the pytest_clearstone_encode/decode hooks), mock "
    "the function under this one that returns a storable value (for a stream or a context "
    "manager: the SDK method that makes the request, e.g. "
    "openai.resources.chat.completions.AsyncCompletions.create, or a function of your own "
    "that reads it and returns what the agent uses), or, if dill can pickle it, allow pickles"
)

#: the raw responses of the Stainless-generated SDKs (openai, anthropic, ...), and the wrapper
#: through which a method answers one
_RAW_RESPONSE_TYPES = {
    "._legacy_response.LegacyAPIResponse": ".with_raw_response",
    "._response.APIResponse": ".with_streaming_response",
}


def _repr_fixes(type_name: str) -> str:
    """Why an answer of type ``type_name`` stored as its repr refuses the golden, and what to do."""
    if type_name.endswith("StreamManager"):  # anthropic's messages.stream(), openai's .stream()
        return (
            "it is the manager of the SDK's stream helper (client.messages.stream(...), "
            "chat.completions.stream(...)), which sends the request when entered and cannot be "
            "replayed. Mock a function of your own that enters it, reads the stream and returns "
            "what the agent uses (the text, stream.get_final_message()), or stream with "
            "create(..., stream=True), which records"
        )
    for suffix, wrapper in _RAW_RESPONSE_TYPES.items():
        if type_name.endswith(suffix):
            return (
                f"it is the SDK's raw response, which the method returns when called through "
                f"{wrapper}; it holds the live HTTP exchange and cannot be replayed. Mock a "
                f"function of your own that makes this call and returns what the agent reads "
                f"(the parsed answer, the headers it uses); under LangChain, whose chat models "
                f"call the SDK this way, mock the chat model's invoke, ainvoke or stream (e.g. "
                f"langchain_openai.ChatOpenAI.invoke)"
            )
    return _REPR_FIXES


def restore_pickles(trace: Trace, recorded: Mapping[str, Span]) -> None:
    """Put back the pickles of the recorded calls' answers into ``trace``, read from the trace
    store (which never holds a pickle: it wrote placeholders), from the spans as they were
    ``recorded`` (by span id): for a golden that allows pickles. The arguments keep their
    placeholders: replay compares an argument only a pickle could store by its type, and
    a pickle's object would compare by identity."""
    for span in trace.spans:
        live = recorded.get(span.span_id)
        out = None if live is None else live.recorded_output
        if out is not None and tag_locations(out.encoded, "pickle"):
            span.set_recorded_output(out)


def refuse_unreplayable_outputs(trace: Trace) -> None:
    """Raise :class:`SerializationError` naming the call, the path and the type when a mocked
    call's recorded answer holds a value stored only as its ``repr`` (nothing is written)."""
    numbers: dict[str, int] = {}
    for span in trace.spans:
        target = span.attributes.get(TARGET_ATTRIBUTE)
        if not isinstance(target, str):
            continue
        number = numbers[target] = numbers.get(target, 0) + 1
        output = span.recorded_output
        found = [] if output is None else tag_locations(output.encoded, "repr")
        if found:
            where, type_name = found[0]
            raise SerializationError(
                format_path(where, f"the answer of call #{number} to {target}"),
                type_name,
                _repr_fixes(type_name),
                advice="",
            )
