"""The recording half of a golden run: live calls recorded, the golden checkpoint written."""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import inspect
import operator
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..arguments import binder
from ..callables import Kind, kind_of
from ..codec.models import generic_origin
from ..codec.naming import is_mock_double, loaded_class, mro_paths, per_type
from ..codec.nesting import retried
from ..codec.tags import (
    LOCAL_CLASS,
    MOCK_DOUBLE,
    TAG,
    Encoder,
    StoredRepr,
    plain_conversion,
    readable_path,
    replace_pickles,
    tag_locations,
)
from ..errors import (
    CheckpointCorruptError,
    CheckpointVersionError,
    ClearstoneError,
    GoldenCaseTwinError,
    MutatedArgumentWarning,
    RefusedLiveCallError,
    SerializationError,
    UnfinishedCallError,
    UnmockedCallWarning,
    describe,
)
from ..tracing.span import TOO_LONG_MARK, Recorded, Span
from ..tracing.trace import Trace
from ..tracing.tracer import Tracer, current_span
from .changes import describe_changes, holds_but_span_times
from .checkpoint import RECORDED_BY_PLUGIN, Checkpoint, readable_version, recorded_test
from .context import DeterministicExecutionContext, derive_seed
from .files import refuse_link_as_file
from .identity import (
    derive_ids,
    keep_previous_span_times,
    previous_document,
    previous_identity,
    read_previous,
)
from .ignore import unwritten_places
from .manager import new_checkpoint_id
from .mocks import TARGET_ATTRIBUTE
from .ordering import in_call_order
from .outcome import RUNS_WITHOUT_OUTCOME, Outcome, outcome_mapping
from .paths import other_case
from .recorder import Recorder
from .responses import ReplayCall, Transform
from .secrets import leak_check
from .signing import resolve_key
from .spec import GoldenSpec
from .state import agent_class_of, agent_state, capture_state, state_method, state_value
from .streams import is_stream
from .target_errors import PYDANTIC_AI_SDK_METHODS, SDK_METHODS
from .targets import PatchStack, Target, resolve

if TYPE_CHECKING:
    from .shared_objects import SharedObject


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
        self._runs_made = 0  # replay.run() calls made so far
        self._run_numbers: list[int] = []  # the numbers of the runs of ``outcomes``
        self._without_outcome: list[int] = []  # the numbers of the runs that raised
        self.change = ""  # after save(): what changed against the previous golden
        self.first_agent: Any = None
        self.state_before: Recorded | None = None
        #: the objects at several places of the state before the first run, which a replay
        #: gives back as copies (:mod:`.shared_objects`)
        self._shared: list[SharedObject] = []
        self.context: DeterministicExecutionContext | None = None
        self.recorder: Recorder | None = None
        self.root_span_id: str | None = None
        self._stack: PatchStack | None = None
        #: the methods watched while recording (:meth:`_watch_alternatives`), each with the
        #: span type and path of the mock target whose request it makes
        self._watched: dict[str, tuple[str, str]] = {}
        #: those of them that send a request of their own beside the target's
        #: (:func:`~.aliases.side_requests`)
        self._beside: set[str] = set()
        self._other_models: set[str] = set()
        #: those watched as the sync or async twin of their target (:func:`~.aliases.twins`):
        #: "sync" or "async" (the target's calls do not make theirs)
        self._twins: dict[str, str] = {}

    @property
    def calls(self) -> list[ReplayCall]:
        return [] if self.recorder is None else list(self.recorder.calls)

    @property
    def changed_in_place(self) -> list[MutatedArgumentWarning]:
        """A warning for each recorded call that changed an argument in place."""
        return [] if self.recorder is None else list(self.recorder.changed_in_place)

    def unwritten_places(self, target: str, call: int) -> list[str]:
        """The places in the arguments of call ``call`` to ``target`` whose values the golden
        records only as a placeholder naming their type (:func:`~.ignore.unwritten_places`)."""
        if self.recorder is None:
            return []
        for recorded in self.recorder.calls:
            if recorded.target == target and recorded.call_number == call:
                span = self.recorder.spans.get(recorded.span_id or "")
                given = None if span is None else span.recorded_input
                return [] if given is None else unwritten_places(given.encoded)
        return []

    @property
    def replaced_test(self) -> str:
        """The node id of the test that recorded the golden this run records again (``""``:
        none, or its file does not say)."""
        return recorded_test(self.previous_doc)

    @property
    def refusal(self) -> ClearstoneError | Warning | None:
        """The first call the recording refused (raised to the agent at the call), or the first
        warning about a call a warnings filter made an error, or ``None``."""
        return None if self.recorder is None else self.recorder.refusal

    def start(self, root_span_id: str | None) -> None:
        """Enter the deterministic context and patch the targets with recording wrappers."""
        if self.tracer is None:
            raise ClearstoneError("record mode needs a tracer to record the calls")
        refuse_overwriting_newer(self.path, self.previous_doc)  # before any live call
        if self.previous_doc is None:  # (a file of JSON is no link)
            previous = self.previous_text
            refuse_link_as_file(self.path, None if previous is None else previous.encode())
        refuse_case_twin(self.path)
        self.root_span_id = root_span_id
        # the test's root span: the current one here, in the hook that opened it
        root = current_span()
        if root is not None and root.span_id != root_span_id:
            root = None
        targets = [(resolve(path), span_type) for span_type, path in self.pairs]
        for target, _ in targets:  # before any live call, and before any encoding warning
            refuse_unreplayable_target(target)
        ctx = DeterministicExecutionContext(self.started_at, seed=derive_seed(self.checkpoint_id))
        ctx.keeps_test_clock = True
        ctx.__enter__()
        stack = PatchStack()
        try:
            recorder = Recorder(
                self.tracer,
                ctx,
                transform=screening_unreplayable_answers(self.transform),
                ignore=self.spec.ignore,
                root=root,
                shown=self.spec.shown,
            )
            for target, span_type in targets:
                recorder.patch(target, span_type, stack)
            if self.strict:
                self._watch_alternatives(recorder, stack)
            recorder.run_started_tasks_live(stack)
        except BaseException:
            stack.undo()
            ctx.__exit__(None, None, None)
            raise
        self.context, self.recorder, self._stack = ctx, recorder, stack

    def _watch_alternatives(self, recorder: Recorder, stack: PatchStack) -> None:
        """Watch the other methods of each method target's class that make the same request
        without calling it (:func:`~.aliases.alternatives`: pydantic-ai's ``request_stream``
        for ``request``, an SDK's ``parse`` and ``stream`` for ``create``), which are not mock
        targets themselves: a call of one in which no mock target's call was recorded made its
        request live (:attr:`unmocked_calls`); those that send a request of their own beside
        it (:func:`~.aliases.side_requests`: a pydantic-ai model's ``count_tokens``); and its
        sync or async twin (:func:`~.aliases.twins`: LangChain's ``_stream`` for ``_astream``,
        ``invoke`` for ``ainvoke``, the SDK's ``AsyncCompletions.create`` for
        ``Completions.create``), which a sync node of a graph whose async nodes call the target
        calls instead."""
        from .aliases import alternatives, other_models, side_requests, twins  # (record only)

        mocked = {path for _, path in self.pairs}
        for span_type, path in self.pairs:
            try:
                others = alternatives(path)
                beside = side_requests(path)
                models = other_models(path)
                paired = twins(path)
            except ClearstoneError:  # (a bad path was reported when the test started)
                continue
            self._beside.update(beside)
            self._other_models.update(models)
            kinds = dict(paired)
            for other in [*others, *beside, *models, *kinds]:
                if other not in mocked and other not in self._watched:
                    self._watched[other] = (span_type, path)
                    if other in kinds:
                        self._twins[other] = kinds[other]
                    recorder.watch(resolve(other), stack)

    @property
    def unmocked_calls(self) -> list[UnmockedCallWarning]:
        """A warning for each watched method (:meth:`_watch_alternatives`) that made its
        request live."""
        if self.recorder is None:
            return []
        # a method whose target was called after it began may call it after it returned (an
        # SDK's stream helper: openai's manager sends by ``create`` when entered; anthropic's
        # does not, and a ``create`` called before it says nothing), and a pydantic-ai model's
        # ``request_stream`` sends by its SDK method, which may be mocked
        calls = self.recorder.calls
        warnings = []
        for called, since in self.recorder.unmocked.items():
            span_type, target = self._watched[called]
            # its own request, another provider's model's, or the target's twin's (a sync node
            # beside async ones): the target's calls say nothing
            own = called in self._beside
            other_model = not own and called in self._other_models
            twin = "" if own or other_model else self._twins.get(called, "")
            if own or other_model or twin:
                fix = _unmocked_fix(span_type, target, called, "")
                warning = UnmockedCallWarning(
                    self.node_id, called, target, fix, own=own, other_model=other_model, twin=twin
                )
                warnings.append(warning)
                continue
            sdk = _pydantic_ai_sdk_method(called)
            recorded = {call.target for call in calls[since:]}
            # (or by another mocked method of its own resource: openai's responses.stream(
            # response_id=...) resumes by ``retrieve``)
            owner = called.rpartition(".")[0]
            if (
                target in recorded
                or sdk in recorded
                or any(path.rpartition(".")[0] == owner for path in recorded)
            ):
                continue
            fix = _unmocked_fix(span_type, target, called, sdk)
            warnings.append(UnmockedCallWarning(self.node_id, called, target, fix))
        return warnings

    @property
    def called_instead(self) -> dict[str, str]:
        """Each watched method (:meth:`_watch_alternatives`) that was called and recorded no
        call, with the path of the target whose request it makes: the target's twin or another
        method of its class for the same request, not one that sends a request of its own
        beside the target's, nor another provider's model's."""
        if self.recorder is None:
            return {}
        return {
            called: self._watched[called][1]
            for called in self.recorder.unmocked
            if called not in self._beside and called not in self._other_models
        }

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
    def before_run(self, agent: Any) -> int:
        """Capture the agent's state before the first run (redacted now, before the recording
        is checked for secrets); returns the run's number (from 0, in the order the runs are
        made)."""
        number = self._runs_made
        self._runs_made += 1
        if not (self.outcomes or self.state_before is not None or agent is None):
            self.first_agent = agent
            self.state_before = self._state(agent, restored=True)
            # (given back as copies, and compared whole: ignore_state may leave them out)
            if state_method(agent, "load_state") is None and not self.spec.ignore_state:
                from .shared_objects import shared_objects

                self._shared = shared_objects(agent_state(agent))
        return number

    def after_run(self, agent: Any, name: str, result: Any, number: int) -> None:
        """Keep the outcome of run ``number``: its result and the agent's final state. The
        golden holds the outcomes in the order the runs were made, not the order they returned
        in (runs made at once, in threads or tasks, return as their live calls allow)."""
        if not self.outcomes and self.first_agent is None:
            self.first_agent = agent
        if self._shared:
            from .shared_objects import shared_object_problem

            problem = shared_object_problem(self.first_agent, self._shared)
            if problem is not None:
                raise ClearstoneError(problem)
        final = None if agent is None else self._state(agent)
        if self.transform is not None:
            result = self.transform(result, "result", self.node_id)
        if is_stream(result):
            # handed on to the caller, who reads it after the run: its items are recorded with
            # the call that returned it; the result is a placeholder compared by its class
            recorded = Recorded(encoded=Encoder(warn=False).encode(result))
        else:
            recorded = Recorded.of(result)
        place = bisect.bisect(self._run_numbers, number)
        self._run_numbers.insert(place, number)
        self.outcomes.insert(place, Outcome(name, recorded, final))

    def without_outcome(self, number: int) -> None:
        """Run ``number`` raised (or its generator was not read to its end): the golden holds
        no outcome for it, and names it (:data:`~.outcome.RUNS_WITHOUT_OUTCOME`), so that a
        replay tells such a run that now returns from one that returns another outcome."""
        self._without_outcome.append(number)

    def _state(self, agent: Any, *, restored: bool = False) -> Recorded:
        """The agent's state, snapshotted (a value that cannot be stored fails here, naming its
        path), then redacted; ``restored``: the state a replay gives the agent back
        (:func:`~.state.capture_state`)."""
        state = capture_state(agent, restored=restored)
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
                **(
                    {RUNS_WITHOUT_OUTCOME: sorted(self._without_outcome)}
                    if self._without_outcome
                    else {}
                ),
            },
            outcome=outcome_mapping(self.outcomes),
        )

    def save(self, trace: Trace, metadata: dict[str, Any] | None = None) -> Checkpoint:
        """Write the golden checkpoint atomically (directories created) and return it."""
        recorded = {} if self.recorder is None else self.recorder.spans
        restore_recorded_values(trace, recorded, allow_pickle=self.spec.allow_pickle)
        refuse_unreplayable_outputs(trace, recorded)
        checkpoint = self.build_checkpoint(trace)
        times_kept = False
        if self.previous_doc is not None:
            from .key_order import keep_previous_argument_order
            from .sorted_keys import sorted_throughout

            # (a formatter's order of keys is not kept: the file is written back as recorded)
            if not sorted_throughout(self.previous_doc):
                keep_previous_argument_order(checkpoint.trace, self.previous_doc)
            # (the order concurrent calls completed in matters where the outcome changed: the
            # same calls and answers giving the previous outcome replay by either times)
            ordered = (
                self.recorder.ordered_targets
                if self.recorder is not None
                and _outcome_changed(checkpoint.outcome, self.previous_doc)
                else ()
            )
            times_kept = keep_previous_span_times(checkpoint.trace, self.previous_doc, ordered)
        checkpoint.metadata.update(metadata or {})
        written: list[str] = []  # the text written, for the change line
        leaks = leak_check(self.path)

        def check(text: str) -> None:
            leaks(text)  # raises before anything is written
            written.append(text)

        kept: list[bool] = []  # whether the file was left as it was
        key = resolve_key()  # (what the checkpoint is signed with as it is written)

        def unchanged(path: Path, text: str) -> bool:
            kept.append(holds_but_span_times(path, text, key))
            return kept[-1]

        # (a re-record of unchanged behaviour leaves the file as it was: its spans' times only
        # would differ)
        checkpoint.write(
            self.path,
            allow_pickle=self.spec.allow_pickle,
            check=check,
            # (times a replay would go by otherwise are written: see keep_previous_span_times)
            unchanged=unchanged if self.previous_text is not None and times_kept else None,
        )
        self.change = describe_changes(
            self.previous_text,
            written[0],
            written_again=kept == [False],
            key=key,
            times_rewritten=self.previous_doc is not None and not times_kept,
        )
        return checkpoint


def _outcome_changed(outcome: dict[str, Any] | None, previous: Any) -> bool:
    """Whether the golden ``outcome`` of a re-record (the checkpoint's) differs from the one
    of the ``previous`` golden's document (``True`` where that cannot be told: the outcomes of
    a test's later runs, held as values)."""
    before = previous.get("outcome") if type(previous) is dict else None
    if outcome is None or before is None:
        return outcome is not None or before is not None
    now = {}
    for key, value in outcome.items():
        if isinstance(value, Recorded):
            now[key] = value.encoded
        elif value is None or type(value) in (str, int, float, bool):  # (the function's name)
            now[key] = value
        else:
            return True
    # (compared with room to recurse where a value nests deep: == on nested dicts)
    return bool(retried(functools.partial(operator.ne, now, before)))


def run_arguments(
    target: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The arguments a test gives ``replay.run(target, *args, **kwargs)``, by parameter name
    (those a ``functools.partial`` target holds too), as a recorded call's are bound: what
    the redaction rules look at to note the secrets among them."""
    while isinstance(target, functools.partial):
        args, kwargs = (*target.args, *args), {**target.keywords, **kwargs}
        target = target.func
    return binder(target, skip_first=False).bind(args, kwargs)


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


def refuse_case_twin(path: Path) -> None:
    """Raise :class:`GoldenCaseTwinError` when the golden at ``path`` is new and a file whose
    path differs only in case exists (:func:`~pytest_clearstone.golden.paths.other_case`)."""
    if os.path.lexists(path):
        return
    twin = other_case(path)
    if twin is not None:
        raise GoldenCaseTwinError(path, twin)


#: what a golden's placeholder for an argument only a pickle could store says (the trace
#: store's say that it never holds pickles)
UNSTORED_ARGUMENT = "not stored (no readable form); compared by type"

#: the raw responses of the Stainless-generated SDKs (openai, anthropic, ...), and the wrapper
#: through which a method answers one; an SDK with no ``_legacy_response`` module (anthropic
#: 2.x) answers its ``APIResponse`` through either wrapper (:func:`_raw_response_wrapper`)
_RAW_RESPONSE_TYPES = {
    "._legacy_response.LegacyAPIResponse": ".with_raw_response",
    "._response.APIResponse": ".with_streaming_response",
    "._response.AsyncAPIResponse": ".with_streaming_response",
}
_EITHER_WRAPPER = ".with_raw_response (or .with_streaming_response)"


def _raw_response_wrapper(type_name: str, wrapper: str) -> str:
    """The wrapper through which a method answers the raw response ``type_name``: ``wrapper``,
    or either one where the SDK has no legacy response for ``.with_raw_response``."""
    if wrapper == ".with_raw_response":
        return wrapper
    sdk = type_name.partition("._response.")[0]
    legacy = loaded_class(f"{sdk}._legacy_response.LegacyAPIResponse")
    return wrapper if legacy is not None else _EITHER_WRAPPER


def _http_send_fix(type_name: str, target: str) -> str:
    """``", or mock httpx2.Client.send under the SDK ..."``: the HTTP client's ``send`` under
    the SDK that answered the raw response ``type_name`` to a call of ``target`` (async when
    either is), which records the HTTP exchange and replays the agent as it is; ``""`` when the
    SDK has none."""
    from ..codec.clients import http_send_of  # (imported when a golden is refused)

    is_async = "._response.Async" in type_name or any(
        part.startswith("Async") for part in target.split(".")
    )
    send = http_send_of(type_name.partition(".")[0], is_async)
    if send is None:
        return ""
    return (
        f", or mock {send} under the SDK, with no change to the agent (the golden holds each "
        f"HTTP request and response, and the raw response is read from it on replay)"
    )


#: the SDKs' polling helpers, which read their polls through ``.with_raw_response.retrieve``
#: (openai's vector store files and file batches, threads' runs, videos)
_POLL_HELPERS = ("create_and_poll", "upload_and_poll", "poll", "submit_tool_outputs_and_poll")


def _poll_helper_fix(target: str) -> str:
    """``"; openai's polling helpers read Files.retrieve this way ..."``: when ``target`` is the
    ``retrieve`` of an SDK resource that has polling helpers, which call it through
    ``.with_raw_response`` though the agent does not, those to mock in its place; else ``""``."""
    owner, _, method = target.rpartition(".")
    cls = loaded_class(owner) if method == "retrieve" else None
    helpers = [name for name in _POLL_HELPERS if cls is not None and hasattr(cls, name)]
    if not helpers:
        return ""
    return (
        f"; {owner.partition('.')[0]}'s polling helpers read {owner.rpartition('.')[2]}.retrieve "
        f"this way ({', '.join(helpers)}): mock the one the agent calls instead (e.g. "
        f"{owner}.{helpers[0]}), which records and replays"
    )


#: their binary responses (the answers of downloads: openai's audio.speech.create, files.content)
_BINARY_RESPONSE_TYPES = (
    "._legacy_response.HttpxBinaryResponseContent",
    "._response.BinaryAPIResponse",
    "._response.AsyncBinaryAPIResponse",
    "._response.StreamedBinaryAPIResponse",
    "._response.AsyncStreamedBinaryAPIResponse",
)
#: the SDKs' responses that hold the live HTTP exchange (raw and binary)
_SDK_RESPONSE_TYPES = (*_RAW_RESPONSE_TYPES, *_BINARY_RESPONSE_TYPES)
_OWN_FUNCTION = "Mock a function of your own that makes this call and returns what the agent reads"
#: the raw response's fix under the OpenAI Agents SDK, whose Responses model streams through it
_OPENAI_AGENTS_STREAM_FIX = (
    "; under the OpenAI Agents SDK, whose Responses model streams this way (Runner.run_streamed), "
    "mock agents.models.openai_responses.OpenAIResponsesModel.stream_response"
)
#: the LangChain chat model built on each SDK, whose method a raw response's fix names (by the
#: SDK's top-level package)
_LANGCHAIN_CHAT_MODELS = {
    "openai": "langchain_openai.ChatOpenAI.invoke",
    "anthropic": "langchain_anthropic.ChatAnthropic.invoke",
}


def _langchain_chat_model(type_name: str) -> str:
    """The method of the LangChain chat model built on the SDK of ``type_name`` (openai's when
    it is another)."""
    sdk = type_name.partition(".")[0]
    return _LANGCHAIN_CHAT_MODELS.get(sdk, _LANGCHAIN_CHAT_MODELS["openai"])


#: packages built on the SDKs of SDK_METHODS: their answers' fix is the SDK method under them
_LLM_STACKS = frozenset(
    {"pydantic_ai", "langchain", "langchain_core", "langchain_openai", "langgraph"}
)


class HelperAnswer(NamedTuple):
    """What an SDK helper method answers that holds the live request, which a golden cannot
    replay (a stream helper's manager, a tool runner), and the fixes that work for it."""

    sdk: str  # "openai", "anthropic"
    call: str  # the helper as the agent calls it: "chat.completions.stream(...)"
    runner: bool  # a tool runner (it sends its requests as it runs), not a stream's manager
    #: the SDK method the helper sends its requests through (mocking it keeps the helper), or
    #: "" when it sends them itself (anthropic's stream helper)
    through: str
    create: str  # the SDK method that streams with create(..., stream=True)
    final: str  # what a function of one's own returns: "stream.get_final_completion()"
    #: the SDK method the helper resumes a stream through when given an id (openai's
    #: ``responses.stream(response_id=...)``), or ""
    resumes: str = ""

    def fixes(self) -> str:
        """Why it refuses the golden and what to do, the simplest fix first."""
        own = (
            f"or mock a function of your own that runs it and returns what the agent uses "
            f"({self.final})"
            if self.runner
            else f"or mock a function of your own that enters it, reads the stream and returns "
            f"what the agent uses (the text, {self.final})"
        )
        if self.runner:
            what = (
                f"the tool runner that {self.sdk}'s helper {self.call} returns, which sends its "
                f"requests as it runs"
            )
        else:
            what = f"the manager that {self.sdk}'s stream helper {self.call} returns, which sends "
            what += "the request " + ("when entered" if self.through else "itself when entered")
        if self.through:
            sends = "them" if self.runner else "the request"
            through = self.through
            if self.resumes:
                resumed = self.call.replace("(...)", "(response_id=...)")
                through += f" (and {self.resumes}, through which {resumed} resumes a response)"
            if " and " in self.through:  # (a helper sending by several methods)
                return (
                    f"it is {what} and cannot be replayed. Keep the helper and mock the SDK "
                    f"methods it sends its requests through instead, {through}, which record "
                    f"and replay; {own}"
                )
            return (
                f"it is {what} and cannot be replayed. Keep the helper and mock the SDK method "
                f"it sends {sends} through instead, {through}, which records and replays; {own}"
            )
        calls = self.call.removesuffix("(...)").rpartition(".")[0]  # "beta.messages"
        return (
            f"it is {what} (not through {self.create}) and cannot be replayed. Stream with "
            f"client.{calls}.create(..., stream=True) instead and mock {self.create}, which "
            f"records and replays; {own}"
        )


_OPENAI_CHAT = "openai.resources.chat.completions.{}Completions.create"
_OPENAI_RESPONSES = "openai.resources.responses.responses.{}Responses.create"
#: the helpers that resume a stream by its id through another SDK method than ``through``
_RESUMES = {
    ("openai", "ResponseStreamManager"): "openai.resources.responses.responses.{}Responses.retrieve"
}
_ANTHROPIC = "anthropic.resources.messages.{}Messages.create"
_ANTHROPIC_BETA = "anthropic.resources.beta.messages.{}Messages.create"
_RUNNER = ("beta.messages.tool_runner(...)", True, _ANTHROPIC_BETA, _ANTHROPIC_BETA)
_OPENAI_SESSIONS = "openai.resources.beta.agents.sessions"
#: what openai's sessions.stream(...) sends by when entered: it reads the session, subscribes
#: to its events (a Stream) and submits the input
_OPENAI_SESSION_STREAM = (
    f"{_OPENAI_SESSIONS}.sessions.{{0}}Sessions.retrieve, "
    f"{_OPENAI_SESSIONS}.events.{{0}}Events.stream and {_OPENAI_SESSIONS}.events.{{0}}Events.create"
)
#: the helpers' answers, by SDK and class name ("Async" left out): the helper, whether a
#: runner, the method it sends through, the create to stream with, what the agent reads
_HELPER_ANSWERS: dict[tuple[str, str], tuple[str, bool, str, str, str]] = {
    ("openai", "ChatCompletionStreamManager"): (
        "chat.completions.stream(...)",
        False,
        _OPENAI_CHAT,
        _OPENAI_CHAT,
        "stream.get_final_completion()",
    ),
    ("openai", "ResponseStreamManager"): (
        "responses.stream(...)",
        False,
        _OPENAI_RESPONSES,
        _OPENAI_RESPONSES,
        "stream.get_final_response()",
    ),
    ("openai", "AgentSessionStream"): (
        "beta.agents.sessions.stream(...)",
        False,
        _OPENAI_SESSION_STREAM,
        _OPENAI_SESSION_STREAM,
        "stream.get_final_result()",
    ),
    ("anthropic", "MessageStreamManager"): (
        "messages.stream(...)",
        False,
        "",
        _ANTHROPIC,
        "stream.get_final_message()",
    ),
    ("anthropic", "BetaMessageStreamManager"): (
        "beta.messages.stream(...)",
        False,
        "",
        _ANTHROPIC_BETA,
        "stream.get_final_message()",
    ),
    ("anthropic", "ThreadMessageStreamManager"): (
        "beta.messages.thread(...).stream(...)",
        False,
        _ANTHROPIC_BETA,
        _ANTHROPIC_BETA,
        "stream.get_final_message()",
    ),
    ("anthropic", "BetaToolRunner"): (*_RUNNER, "runner.until_done()"),
    ("anthropic", "BetaStreamingToolRunner"): (*_RUNNER, "runner.until_done()"),
    # the turns of openai's Responses tool runner, each holding the run that sends the next
    # request when the loop goes on
    ("openai", "ResponsesRunnerTurn"): (
        "ResponsesToolRunner(...).iterate(...)",
        True,
        _OPENAI_RESPONSES,
        _OPENAI_RESPONSES,
        "runner.run(client, params)",
    ),
}
#: the helper methods (by SDK, ``.beta.`` in their module or not, and qualified name, "Async"
#: left out) and the class of their answer
_HELPER_METHODS = {
    ("openai", False, "Completions.stream"): "ChatCompletionStreamManager",
    ("openai", False, "Responses.stream"): "ResponseStreamManager",
    ("openai", True, "Sessions.stream"): "AgentSessionStream",
    ("anthropic", False, "Messages.stream"): "MessageStreamManager",
    ("anthropic", True, "Messages.stream"): "BetaMessageStreamManager",
    ("anthropic", True, "Messages.tool_runner"): "BetaToolRunner",
    ("openai", False, "ResponsesToolRunner.iterate"): "ResponsesRunnerTurn",
    ("anthropic", False, "BetaMessageThread.stream"): "ThreadMessageStreamManager",
}


#: the bases of the SDKs' pages (the answers of their list methods: ``SyncPage``,
#: ``SyncCursorPage``, ``SyncPageCursor``...) and of the paginator an async client's list
#: method answers, which is awaited to a page or iterated through every page
_PAGE_BASES = frozenset(
    f"{sdk}._base_client:{name}"
    for sdk in ("openai", "anthropic")
    for name in ("BasePage", "AsyncPaginator")
)
#: why a page cannot be recorded, and the fix that works
_PAGE_FIXES = (
    "it is a page of an SDK list method's results, which holds its client and request and "
    "fetches the next page as it is iterated, and cannot be replayed. Mock a function of your "
    "own that reads the page and returns what the agent uses instead (the items, or the fields "
    "it reads of them: [item.id for item in page])"
)


#: the bases of openai's WebSocket connections (what ``client.responses.connect()`` and
#: ``client.realtime.connect(...)`` give when entered); their managers, the connections of its
#: older and helper modules, and the helpers' sessions that own one (``TranslationSession``,
#: ``ResponsesWebSocketSession`` and its lanes) have no common base: known by their names
_WEBSOCKET_BASES = frozenset(
    f"openai._websocket_connection:{name}"
    for name in ("WebSocketConnectionBase", "AsyncWebSocketConnectionBase")
)
#: why a WebSocket connection cannot be recorded, and the fix that works
_WEBSOCKET_FIXES = (
    "it is a WebSocket connection of the SDK (or the manager that opens one when entered), whose "
    "events go over the open socket, not through calls a mock can answer, and cannot be "
    "replayed. Mock a function of your own that opens the connection, sends what the agent "
    "sends and returns what it uses instead (the events it reads, the final response)"
)


def is_websocket(cls: Any) -> bool:
    """Whether ``cls`` is the class of an openai WebSocket connection or of its manager."""
    return isinstance(cls, type) and _is_websocket_class(cls)


@per_type
def _is_websocket_class(t: type) -> bool:
    if not _WEBSOCKET_BASES.isdisjoint(mro_paths(t)):
        return True
    return t.__module__.startswith(("openai.resources.", "openai.lib.")) and t.__name__.endswith(
        ("Connection", "ConnectionManager", "Session", "WebSocketLane")
    )


def is_page(cls: Any) -> bool:
    """Whether ``cls`` is the class of an openai/anthropic page or async paginator."""
    return isinstance(cls, type) and _is_page_class(cls)


@per_type
def _is_page_class(t: type) -> bool:
    return not _PAGE_BASES.isdisjoint(mro_paths(t))


def _answer_class(function: Any) -> Any:
    """The class that ``function``'s return annotation names (its origin for a generic,
    ``SyncPage[Model]`` -> ``SyncPage``), the annotation's text read in the function's module
    (nothing is imported); ``None`` when there is none or it cannot be found."""
    annotations = getattr(function, "__annotations__", None)
    annotation = annotations.get("return") if isinstance(annotations, dict) else None
    if not isinstance(annotation, str):
        # (a parametrised pydantic generic, SyncPage[Model], is a class of the annotating
        # module: the SDK's class is its origin)
        return generic_origin(annotation) or getattr(annotation, "__origin__", annotation)
    try:
        namespace = getattr(inspect.unwrap(function), "__globals__", {})
    except ValueError:  # (a cycle of __wrapped__)
        return None
    names = annotation.partition("[")[0].strip().split(".")
    found = namespace.get(names[0]) if isinstance(namespace, dict) else None
    for name in names[1:]:
        found = getattr(found, name, None)
    return found


def helper_answer(type_name: str) -> HelperAnswer | None:
    """The :class:`HelperAnswer` of an answer of type ``type_name`` (its dotted path), or
    ``None`` when it is not an SDK helper's."""
    sdk = type_name.partition(".")[0]
    name = type_name.rpartition(".")[2].partition("[")[0]  # (a generic's parameters left out)
    key = (sdk, name.replace("Async", "", 1))
    known = _HELPER_ANSWERS.get(key)
    if known is None:
        return None
    call, runner, through, create, final = known
    is_async = "Async" in name
    prefix = "Async" if is_async else ""
    return HelperAnswer(
        sdk,
        call,
        runner,
        through.format(prefix),
        create.format(prefix),
        f"await {final}" if is_async else final,
        _RESUMES.get(key, "").format(prefix),
    )


def refuse_unreplayable_target(target: Target) -> None:
    """Raise :class:`SerializationError` when ``target`` is an SDK helper method whose every
    answer holds the live request (:data:`_HELPER_METHODS`), or a function annotated to
    return a page (an SDK list method, :func:`is_page`) or a WebSocket connection or its
    manager (:func:`is_websocket`): refused before the test runs, with
    the fix, rather than after a live run (or, under ``-W error``, behind the warning of an
    argument or an answer the codec could store only as its repr)."""
    function = target.function
    answer_class = _answer_class(function)
    for known, fixes in ((is_page, _PAGE_FIXES), (is_websocket, _WEBSOCKET_FIXES)):
        if known(answer_class):
            sdk = answer_class.__module__.partition(".")[0]
            raise SerializationError(
                f"the answers of {target.path}",
                f"{sdk} {answer_class.__name__}",
                fixes,
                advice="",
            )
    module = getattr(function, "__module__", None) or ""
    qualname = getattr(function, "__qualname__", "")
    sdk = module.partition(".")[0]
    answer = _HELPER_METHODS.get((sdk, ".beta." in module, qualname.replace("Async", "", 1)))
    if answer is None:
        return
    if "Async" in qualname:
        answer = "BetaAsync" + answer[4:] if answer.startswith("Beta") else "Async" + answer
    helper = helper_answer(f"{sdk}.{answer}")
    assert helper is not None  # (every answer of _HELPER_METHODS is one of _HELPER_ANSWERS)
    raise SerializationError(
        f"the answers of {target.path}", f"{sdk} {answer}", helper.fixes(), advice=""
    )


#: an object's address in its repr, which differs on every run
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def screening_unreplayable_answers(transform: Transform | None) -> Transform:
    """``transform`` (the redaction of the recorded values), with a call's answer that is an SDK
    helper's (:func:`helper_answer`), an SDK's raw or binary response (whose request's URL, a
    file's id in it, the secret scan would otherwise name first), a page (:func:`is_page`) or a
    WebSocket connection (:func:`is_websocket`) put as the placeholder of a
    value stored as its repr, which the codec stores without a warning or a pickle (the answer
    of a function of one's own that returns it, for which :func:`refuse_unreplayable_target`
    cannot know it up front): :func:`refuse_unreplayable_outputs` then refuses the golden with
    the fix, which under ``-W error`` the codec's warning about the repr would have pre-empted,
    and whose pickle would hold the client with its key."""

    def screen(value: Any, where: str, target: str) -> Any:
        if where == "output" and (
            helper_answer(type_name := describe(value)) is not None
            or type_name.endswith(_SDK_RESPONSE_TYPES)
            or is_page(type(value))
            or is_websocket(type(value))
        ):
            return StoredRepr(type_name, _ADDRESS.sub("", repr(value)))
        return value if transform is None else transform(value, where, target)

    return screen


def _repr_fixes(type_name: str, target: str, *, pickles: bool) -> str:
    """Why an answer of type ``type_name`` of a call to ``target`` stored as its repr refuses
    the golden, and what to do; ``pickles``: whether dill can pickle it."""
    helper = helper_answer(type_name)
    if helper is not None:  # a stream helper's manager, a tool runner
        return helper.fixes()
    double = loaded_class(type_name)
    if double is not None and is_mock_double(double):
        return (
            f"{MOCK_DOUBLE}: a double that is given no return_value answers with a new "
            f"MagicMock. Give the double that answered {target} (mock.patch, mocker.patch) a "
            f"return_value or side_effect of what the real call returns (plain data, or the "
            f"SDK's own model, such as openai's ChatCompletion)"
        )
    if "<locals>" in type_name:  # (a structured output's class made in the test function)
        return LOCAL_CLASS + (
            ", or allow pickles (--clearstone-allow-pickle: dill can pickle it)" if pickles else ""
        )
    if is_page(loaded_class(type_name.partition("[")[0])):
        return _PAGE_FIXES
    if is_websocket(loaded_class(type_name)):
        return _WEBSOCKET_FIXES
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
                f"{_raw_response_wrapper(type_name, wrapper)}; it holds the live HTTP exchange "
                f"and cannot be replayed. "
                f"{_OWN_FUNCTION} (the parsed answer, the headers it uses)"
                f"{_http_send_fix(type_name, target)}{_poll_helper_fix(target)}; under LangChain, "
                f"whose chat models call the SDK this way, mock the chat model's invoke, "
                f"ainvoke or stream (e.g. {_langchain_chat_model(type_name)})"
                f"{_OPENAI_AGENTS_STREAM_FIX if type_name.startswith('openai.') else ''}"
            )
    cls = loaded_class(type_name)
    if type_name == "coroutine" or (cls is not None and issubclass(cls, Awaitable)):
        return (
            f"{target} is a plain function that returns an awaitable (of an async function it "
            f"calls without awaiting it), and the awaitable cannot be stored, only what "
            f"awaiting it gives. Make {target} an async def that awaits the call and returns "
            f"its answer, or mock the async function it calls"
        )
    plain = "" if cls is None else plain_conversion(cls)
    database = "" if cls is None else _database_fix(cls, target)
    own = "a function of your own that reads it and returns what the agent uses"
    sdk = _sdk_under(type_name, target)
    teach = (
        "teach the codec the type (pytest_clearstone.codec.register, or the "
        "pytest_clearstone_encode/decode hooks)"
    )
    fixes = [
        f"convert it with {plain} in the function that returns it" if plain else "",
        teach,
        "mock the function under this one that returns a storable value (for a stream or a "
        "context manager: "
        + (f"the SDK method that makes the request, e.g. {sdk}, or {own})" if sdk else f"{own})"),
        "allow pickles (--clearstone-allow-pickle: dill can pickle it)" if pickles else "",
    ]
    if database:  # (under the function are the driver's methods, which no mock can patch)
        fixes = [database, teach, fixes[-1]]
    fixes = [fix for fix in fixes if fix]
    text = ", ".join(fixes[:-1]) + ", or " + fixes[-1]
    return (
        f"only its repr could be stored, and a repr cannot be replayed. {text[0].upper()}{text[1:]}"
    )


def _database_fix(cls: type, target: str) -> str:
    """How to return plain data in place of a database driver's object of class ``cls`` (a
    DB-API cursor or connection, sqlite3's ``Row``, SQLAlchemy's rows, results and ORM
    objects, Django's model instances and querysets), where it is made; ``""`` for another
    class. The methods under the mocked function (``Cursor.fetchall``) are the driver's, often
    of a C type no mock can patch, or SQLAlchemy's ``Session.execute`` (Django's
    ``QuerySet.first``), whose ``Result`` cannot be replayed either: a fix is in
    the agent's function, or, when ``target`` is SQLAlchemy's (or Django's) own method, a
    function of the agent's own to mock in its place."""
    if cls.__module__ == "sqlite3" and cls.__name__ == "Row":
        return "convert each row where it is made (dict(row) or tuple(row))"
    for library, fix_of, plain in (
        (
            "sqlalchemy",
            _sqlalchemy_fix,
            "its rows as plain data ([row._asdict() for row in result])",
        ),
        ("django", _django_fix, "plain data (list(queryset.values(...)))"),
    ):
        fix = fix_of(cls)
        if fix and target.partition(".")[0] == library:
            return (
                f"mock a function of your own in place of {target}: one that runs the query and "
                f"returns {plain}"
            )
        if fix:
            return fix
    if all(callable(getattr(cls, name, None)) for name in ("execute", "fetchall")):
        return (
            "read its rows where it is made (return cursor.fetchall(), with rows of plain "
            "tuples or dicts)"
        )
    if all(callable(getattr(cls, name, None)) for name in ("cursor", "commit")):
        return (
            "mock the functions that run the queries and return their rows (a connection "
            "cannot be replayed), not the one that opens the connection"
        )
    return ""


#: how to convert SQLAlchemy's values where they are made, by the name of a class of theirs
_SQLALCHEMY_FIXES = {
    "Row": "convert each row where it is made (row._asdict() or tuple(row))",
    "RowMapping": "convert each row where it is made (dict(row))",
    "Result": "read its rows where it is made (return [row._asdict() for row in result])",
}


def _sqlalchemy_fix(cls: type) -> str:
    """:func:`_database_fix` for a SQLAlchemy row, mapping or result (by the names of its
    classes: nothing is imported) or an ORM-mapped object (its class instrumented by
    SQLAlchemy, whatever module defines it)."""
    for base in cls.__mro__:
        if base.__module__.partition(".")[0] == "sqlalchemy" and base.__name__ in (
            _SQLALCHEMY_FIXES
        ):
            return _SQLALCHEMY_FIXES[base.__name__]
    if "_sa_class_manager" in dir(cls):
        return (
            "convert each ORM object where it is made to plain data (a dict or a dataclass of "
            "the columns the agent reads)"
        )
    return ""


#: how to convert the Django ORM's values where they are made, by the name of a class of theirs
#: and its module
_DJANGO_FIXES = {
    ("django.db.models.base", "Model"): (
        "convert each model instance where it is made to plain data "
        "(django.forms.models.model_to_dict(obj), or a dict of the fields the agent reads)"
    ),
    ("django.db.models.query", "QuerySet"): (
        "evaluate the QuerySet where it is made into plain data (return "
        "list(queryset.values(...)) or list(queryset.values_list(...)): a QuerySet runs its "
        "query when read)"
    ),
    ("django.db.models.query", "RawQuerySet"): (
        "evaluate the RawQuerySet where it is made into plain data (a list of dicts of the "
        "columns the agent reads): it runs its query when read"
    ),
}


def _django_fix(cls: type) -> str:
    """:func:`_database_fix` for a Django model instance or a (lazy) ``QuerySet``, by the names
    of Django's classes in ``cls``'s MRO (nothing is imported)."""
    for base in cls.__mro__:
        fix = _DJANGO_FIXES.get((base.__module__, base.__name__))
        if fix:
            return fix
    return ""


def _sdk_under(type_name: str, target: str) -> str:
    """The SDK method to mock under a call to ``target`` that answered a ``type_name``, when
    either is an LLM SDK's or a library's built on one (pydantic-ai's request_stream, a
    context manager); ``""`` for another (a database row, a numpy value)."""
    names = {*type_name.split("."), *target.split(".")}
    tops = {type_name.partition(".")[0], target.partition(".")[0]}
    if "pydantic_ai" in tops:
        for model, method in PYDANTIC_AI_SDK_METHODS.items():
            if model in names:
                return method
    # an SDK's own value or method: sync or async as its class is; pydantic-ai's calls are
    # async (request_stream); a LangChain or LangGraph method as its name is (ainvoke, _astream)
    if tops & _LLM_STACKS and "pydantic_ai" not in tops:
        is_async = target.rpartition(".")[2].lstrip("_").startswith("a")
    else:
        is_async = tops.isdisjoint(SDK_METHODS)
    is_async = is_async or any(name.startswith("Async") for name in names)
    if "anthropic" in names:
        return SDK_METHODS["anthropic"][is_async]
    return SDK_METHODS["openai"][is_async] if "openai" in names or tops & _LLM_STACKS else ""


def _pydantic_ai_sdk_method(path: str) -> str:
    """The SDK method a pydantic-ai model's method at ``path`` sends its requests by (``""``
    for another method)."""
    return _sdk_under("", path) if path.partition(".")[0] == "pydantic_ai" else ""


def _unmocked_fix(span_type: str, target: str, called: str, sdk: str) -> str:
    """How to record the calls of ``called``, a method that made the request of the mock
    target ``target`` (of span type ``span_type``) live: a pydantic-ai model's through the SDK
    method it sends by, ``sdk`` (which records its other requests too); openai's stream helper
    resuming a response by its id through the method it resumes by; another stream helper's
    through a function of the agent's own; another by mocking it too (a LangChain model's
    ``astream``: its ``_astream`` for ``astream_events``)."""
    from .aliases import (  # (only when one made its request live)
        events_note,
        is_stream_helper,
        resumed_through,
    )

    if sdk:
        return (
            f"Mock {sdk!r} instead (mock={{{span_type!r}: {sdk!r}}}), the SDK method it sends "
            "its requests by: it records them all, streamed or not"
        )
    resumes = resumed_through(called)  # (entered, openai's sends by the target: not warned)
    if resumes:
        return (
            f"It resumes a response by its id (response_id=) through {resumes!r}: mock it too "
            f"(mock={{{span_type!r}: [{target!r}, {resumes!r}]}})"
        )
    if is_stream_helper(called):
        return (
            "Its answer (a stream helper) cannot be replayed: mock a function of your own that "
            "reads the stream and returns what the agent uses"
        )
    fix = f"Mock it too (mock={{{span_type!r}: [{target!r}, {called!r}]}})"
    note = events_note(called)  # (a LangChain model's astream, which astream_events calls)
    return f"{fix}; {note}" if note else fix


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
    when a mocked call's recorded answer holds a value stored only as its ``repr``, or it raised
    an exception a replay would not raise again, :class:`RefusedLiveCallError` when it raised a
    network blocker's refusal, and :class:`UnfinishedCallError` when it was still running
    (nothing is written); ``recorded``: the calls' spans as they were recorded
    (by span id), which tell whether dill could pickle it."""
    numbers: dict[str, int] = {}
    for span in trace.spans:
        target = span.attributes.get(TARGET_ATTRIBUTE)
        if not isinstance(target, str):
            continue
        number = numbers[target] = numbers.get(target, 0) + 1
        if span.end_time_ns is None:  # (a thread or task the test did not wait for)
            kind = kind_of(resolve(target).function)
            raise UnfinishedCallError(
                target,
                number,
                generator=kind in (Kind.GEN, Kind.ASYNCGEN),
                asynchronous=kind is Kind.ASYNCGEN,
            )
        if span.error is not None:
            _refuse_unraisable_error(span.error, f"the error of call #{number} to {target}")
            _refuse_a_refusal(span.error, f"call #{number} to {target}")
        _refuse_too_long(span, f"call #{number} to {target}")
        encoded = None if span.recorded_output is None else span.recorded_output.encoded
        found = [] if encoded is None else tag_locations(encoded, "repr")
        if found:
            # (a page inside the answer, whose request holds a function: the page is named)
            where, type_name = _page_around(encoded, found[0][0]) or found[0]
            live = recorded.get(span.span_id)
            answer = f"the answer of call #{number} to {target}"
            raise SerializationError(
                f"{answer}, at {readable_path(encoded, where, 'answer')}" if where else answer,
                type_name,
                (_long_integer_fixes(encoded, where) if type_name == "int" else "")
                or _repr_fixes(type_name, target, pickles=_pickled_at(live, where)),
                advice="",
            )


def _long_integer_fixes(encoded: Any, where: list[Any]) -> str:
    """Why an answer holding, at ``where``, the trace store's placeholder of an integer longer
    than Python writes as text refuses the golden, and the fixes; ``""`` for another ``int``
    placeholder."""
    from .long_integers import long_integer_at, too_long  # (only when an answer held one)

    digits = long_integer_at(encoded, where)
    return too_long(digits) if digits else ""


def _refuse_too_long(span: Span, call: str) -> None:
    """Raise :class:`SerializationError` for ``call`` when the trace store, through which a
    recording goes, held its arguments or its answer as the placeholder of a value longer than
    SQLite stores: a golden holding it would replay the placeholder."""
    for part, recorded in (("arguments", span.recorded_input), ("answer", span.recorded_output)):
        tree = None if recorded is None else recorded.encoded
        if type(tree) is dict and tree.get(TAG) == "repr":
            text = str(tree.get("v"))
            if TOO_LONG_MARK in text:
                raise SerializationError(
                    f"the {part} of {call}",
                    str(tree.get("type")),
                    f"the recording could not keep it: {text.strip('<>')}",
                    advice=(
                        "Mock a function of your own that takes or returns what the agent uses "
                        "of it (a file's path, its size, the part it reads)."
                    ),
                )


def _refuse_unraisable_error(error: dict[str, Any], where: str) -> None:
    """Raise :class:`SerializationError` for ``where``, a mocked call's recorded exception
    ``error``, when a replay would not raise it again (a ``KeyboardInterrupt`` the agent
    caught: raised again where the agent no longer catches it, it would end the test run)."""
    from .recorded_errors import CATCH_IT_YOURSELF, not_raised_again  # (only when one raised)

    why = not_raised_again(error)
    if why is not None:
        raise SerializationError(where, str(error.get("type")), why, advice=CATCH_IT_YOURSELF)


def _refuse_a_refusal(error: dict[str, Any], call: str) -> None:
    """Raise :class:`RefusedLiveCallError` for ``call`` when its recorded exception ``error``
    is (or was raised from) the refusal of a tool keeping tests off the network: the call
    never reached the service."""
    from .recorded_errors import refusal  # (only when one raised)

    refused = refusal(error)
    if refused is not None:
        raise RefusedLiveCallError(call, *refused)


def _page_around(tree: Any, where: list[Any]) -> tuple[list[Any], str] | None:
    """The place and type name of the outermost page (:func:`is_page`) stored in ``tree`` on
    the way to ``where``, ``None`` when there is none."""
    node = tree
    for depth in range(len(where) + 1):
        if type(node) is dict and node.get(TAG) == "pydantic":
            type_name = str(node.get("cls", "")).replace(":", ".")
            if is_page(loaded_class(type_name)):
                return where[:depth], type_name
        if depth == len(where):
            break
        try:
            node = node[where[depth]]
        except (KeyError, IndexError, TypeError):
            break
    return None


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
