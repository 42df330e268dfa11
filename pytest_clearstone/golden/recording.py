"""The recording half of a golden run: live calls recorded, the golden checkpoint written."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..codec.naming import loaded_class
from ..codec.tags import TAG, format_path, plain_conversion, replace_pickles, tag_locations
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
from .ordering import in_call_order
from .outcome import Outcome, outcome_mapping
from .recorder import Recorder
from .responses import ReplayCall
from .secrets import leak_check
from .spec import GoldenSpec
from .state import agent_class_of, capture_state, state_value
from .targets import SDK_METHODS, PatchStack, resolve


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
        # listed, and the span ids derived, in call order: the same however parallel work ran
        renamed, mapping = derive_ids(in_call_order(trace).to_dict(), self.checkpoint_id)
        trace, span_id = in_call_order(Trace.from_dict(renamed)), mapping.get(span_id, span_id)
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
        recorded = {} if self.recorder is None else self.recorder.spans
        restore_recorded_values(trace, recorded, allow_pickle=self.spec.allow_pickle)
        refuse_unreplayable_outputs(trace, recorded)
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


#: what a golden's placeholder for an argument only a pickle could store says (the trace
#: store's say that it never holds pickles)
UNSTORED_ARGUMENT = "not stored (no readable form); compared by type"

#: the raw responses of the Stainless-generated SDKs (openai, anthropic, ...), and the wrapper
#: through which a method answers one
_RAW_RESPONSE_TYPES = {
    "._legacy_response.LegacyAPIResponse": ".with_raw_response",
    "._response.APIResponse": ".with_streaming_response",
    "._response.AsyncAPIResponse": ".with_streaming_response",
}
#: their binary responses (the answers of downloads: openai's audio.speech.create, files.content)
_BINARY_RESPONSE_TYPES = (
    "._legacy_response.HttpxBinaryResponseContent",
    "._response.BinaryAPIResponse",
    "._response.AsyncBinaryAPIResponse",
    "._response.StreamedBinaryAPIResponse",
    "._response.AsyncStreamedBinaryAPIResponse",
)
_OWN_FUNCTION = "Mock a function of your own that makes this call and returns what the agent reads"
#: packages built on the SDKs of SDK_METHODS: their answers' fix is the SDK method under them
_LLM_STACKS = frozenset(
    {"pydantic_ai", "langchain", "langchain_core", "langchain_openai", "langgraph"}
)


def _repr_fixes(type_name: str, target: str, *, pickles: bool) -> str:
    """Why an answer of type ``type_name`` of a call to ``target`` stored as its repr refuses
    the golden, and what to do; ``pickles``: whether dill can pickle it."""
    if type_name.endswith("StreamManager"):  # anthropic's messages.stream(), openai's .stream()
        return (
            "it is the manager of the SDK's stream helper (client.messages.stream(...), "
            "chat.completions.stream(...)), which sends the request when entered and cannot be "
            "replayed. Mock a function of your own that enters it, reads the stream and returns "
            "what the agent uses (the text, stream.get_final_message()), or stream with "
            "create(..., stream=True), which records"
        )
    if type_name.endswith(_BINARY_RESPONSE_TYPES):
        return (
            f"it is the SDK's binary response, the answer of a download (openai's "
            f"audio.speech.create and files.content, anthropic's beta.files.download); it "
            f"holds the live HTTP exchange and cannot be replayed. {_OWN_FUNCTION}: its bytes "
            f"(.content, or .read() when streamed) or its text (.text)"
        )
    for suffix, wrapper in _RAW_RESPONSE_TYPES.items():
        if type_name.endswith(suffix):
            return (
                f"it is the SDK's raw response, which the method returns when called through "
                f"{wrapper}; it holds the live HTTP exchange and cannot be replayed. "
                f"{_OWN_FUNCTION} (the parsed answer, the headers it uses); under LangChain, "
                f"whose chat models call the SDK this way, mock the chat model's invoke, "
                f"ainvoke or stream (e.g. langchain_openai.ChatOpenAI.invoke)"
            )
    cls = loaded_class(type_name)
    plain = "" if cls is None else plain_conversion(cls)
    own = "a function of your own that reads it and returns what the agent uses"
    sdk = _sdk_under(type_name, target)
    fixes = [
        f"convert it with {plain} in the function that returns it" if plain else "",
        "teach the codec the type (pytest_clearstone.codec.register, or the "
        "pytest_clearstone_encode/decode hooks)",
        "mock the function under this one that returns a storable value (for a stream or a "
        "context manager: "
        + (f"the SDK method that makes the request, e.g. {sdk}, or {own})" if sdk else f"{own})"),
        "allow pickles (--clearstone-allow-pickle: dill can pickle it)" if pickles else "",
    ]
    fixes = [fix for fix in fixes if fix]
    text = ", ".join(fixes[:-1]) + ", or " + fixes[-1]
    return (
        f"only its repr could be stored, and a repr cannot be replayed. {text[0].upper()}{text[1:]}"
    )


def _sdk_under(type_name: str, target: str) -> str:
    """The SDK method to mock under a call to ``target`` that answered a ``type_name``, when
    either is an LLM SDK's or a library's built on one (pydantic-ai's request_stream, a
    context manager); ``""`` for another (a database row, a numpy value)."""
    names = {*type_name.split("."), *target.split(".")}
    if "anthropic" in names:
        return SDK_METHODS["anthropic"][1]
    tops = {type_name.partition(".")[0], target.partition(".")[0]}
    return SDK_METHODS["openai"][1] if "openai" in names or tops & _LLM_STACKS else ""


def restore_recorded_values(
    trace: Trace, recorded: Mapping[str, Span], *, allow_pickle: bool
) -> None:
    """Put back into ``trace``, read from the trace store (which never holds a pickle: it wrote
    placeholders saying so), the values of the recorded calls as their spans were ``recorded``
    (by span id): the pickles of their answers, for a golden that allows pickles; and for each
    argument only a pickle could store, the golden's placeholder (:data:`UNSTORED_ARGUMENT`):
    replay compares it by its type, a pickle's object would compare by identity."""
    for span in trace.spans:
        live = recorded.get(span.span_id)
        if live is None:
            continue
        out, given = live.recorded_output, live.recorded_input
        if allow_pickle and out is not None and tag_locations(out.encoded, "pickle"):
            span.set_recorded_output(out)
        if given is not None:
            placeholders = replace_pickles(given.encoded, UNSTORED_ARGUMENT)
            if placeholders is not given.encoded:
                span.set_recorded_input(Recorded(encoded=placeholders))


def refuse_unreplayable_outputs(trace: Trace, recorded: Mapping[str, Span]) -> None:
    """Raise :class:`SerializationError` naming the call, the place in its answer and the type
    when a mocked call's recorded answer holds a value stored only as its ``repr`` (nothing is
    written); ``recorded``: the calls' spans as they were recorded (by span id), which tell
    whether dill could pickle it."""
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
            live = recorded.get(span.span_id)
            answer = f"the answer of call #{number} to {target}"
            raise SerializationError(
                f"{answer}, at {format_path(where, 'answer')}" if where else answer,
                type_name,
                _repr_fixes(type_name, target, pickles=_pickled_at(live, where)),
                advice="",
            )


def _pickled_at(span: Span | None, where: list[Any]) -> bool:
    """Whether the answer of ``span``, as recorded (pickles allowed in memory), holds a pickle
    at ``where``: dill could pickle the value."""
    answer = None if span is None else span.recorded_output
    if answer is None:
        return False
    node: Any = answer.encoded
    for key in where:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return type(node) is dict and node.get(TAG) == "pickle"
