"""The replaying half of a golden run: recorded answers patched in, the outcome compared."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import Any

from .. import codec
from ..codec.nesting import retried
from ..commands import record_command, rename_command
from ..equality import same_state
from ..errors import (
    CheckpointCorruptError,
    CheckpointNotFoundError,
    GoldenMismatchError,
    ReplayError,
    reader_fix,
    unmatched_paths,
)
from ..tracing.span import Recorded
from .checkpoint import Checkpoint
from .context import DeterministicExecutionContext
from .engine import ReplayEngine
from .files import link_to_nothing
from .outcome import Outcome, read_outcomes, runs_without_outcome
from .paths import other_case
from .responses import Matcher, ReplayCall, ReplaySession, for_message, in_effect
from .self_fields import final_state_hint
from .spec import GoldenSpec
from .state import (
    agent_state,
    kept_attributes_hint,
    load_state,
    state_method,
    without_one_sided_cached_values,
)
from .threads import name_run


class ReplayingRun:
    """Answers the mock targets from the golden under its frozen clock and seeds, loads the
    recorded state into the agent before its first run, and compares each run's result and
    final state with the golden outcome."""

    def __init__(self, spec: GoldenSpec, *, matcher: Matcher | None) -> None:
        self.spec = spec
        self.path, self.pairs, self.node_id = spec.path, spec.pairs, spec.node_id
        self.transform, self.strict, self.allow_pickle = (
            spec.transform,
            spec.strict,
            spec.allow_pickle,
        )
        self.matcher = matcher
        self.context: DeterministicExecutionContext | None = None
        self.runs = 0  # replay.run() calls checked so far
        self._runs_made = 0  # replay.run() calls made so far
        self._without_outcome: list[int] = []  # the numbers of the runs that raised
        self._state_given = False  # whether a run's agent was given the recorded state
        #: keep :attr:`found_state` (record-diverged's replay attempt, see Replay.attempt)
        self.keep_found_state = False
        #: the agent given the recorded state, and the state it held before (its own objects)
        self.found_state: tuple[Any, Any] | None = None
        #: the agent's attributes the recorded state, given to it, has not (see load_state)
        self._kept: Set[str] = frozenset()
        self._checkpoint: Checkpoint | None = None
        self._engine: ReplayEngine | None = None
        self._outcomes: list[Outcome] | None = None

    @property
    def checkpoint(self) -> Checkpoint:
        if self._checkpoint is None:
            self._checkpoint = load_golden(
                self.path,
                self.node_id,
                allow_pickle=self.allow_pickle,
                reads_only=self.spec.reads_only,
            )
        return self._checkpoint

    @property
    def engine(self) -> ReplayEngine:
        if self._engine is None:
            self._engine = ReplayEngine(
                self.checkpoint,
                strict=self.strict,
                matcher=self.matcher,
                allow_pickle=self.allow_pickle,
            )
        return self._engine

    @property
    def outcomes(self) -> list[Outcome]:
        if self._outcomes is None:
            self._outcomes = read_outcomes(self.checkpoint.outcome)
        return self._outcomes

    @property
    def calls(self) -> list[ReplayCall]:
        return [] if self.context is None else list(self.context.session.calls)

    def start(self) -> None:
        """Enter the golden's deterministic context with its recorded answers patched in."""
        targets = self.engine.mock_targets_of(self.pairs)
        if self.strict and self.checkpoint.recorded_by_plugin:
            # the plugin records every call's arguments: a strict replay compares them, and
            # one without them (deleted by hand) would compare nothing
            for path, responses in targets.items():
                for number, call in enumerate(responses.calls, 1):
                    if call.input is None:
                        raise CheckpointCorruptError(
                            self.path,
                            f"call #{number} to {path} has no recorded arguments (its span's "
                            "'input' is missing)",
                            node_id=self.node_id,
                        )
        ctx = DeterministicExecutionContext(
            self.checkpoint,
            targets,
            strict=self.strict,
            matcher=self.matcher,
            transform=self.transform,
            ignore=self.spec.ignore,
        )
        ctx.keeps_test_clock = True  # (a clock the test set before the call: the agent's)
        ctx.session.node_id = self.node_id  # (named by the errors: the test to re-record)
        ctx.session.mock_given_by = self.spec.mock_given_by
        ctx.session.shown = self.spec.shown  # (how the errors show the values they hold)
        ctx.session.completion = self.engine.completion_of(targets)
        ctx.session.spans = self.checkpoint.trace.spans  # (read only when a replay fails)
        ctx.session.golden = self.path  # (read again only when a replay fails)
        ctx.__enter__()
        name_run(self.node_id)  # (named by a call a task this test leaves running makes later)
        self.context = ctx

    def stop(self) -> None:
        """Undo every patch and unfreeze the clock (always called, also after a failure)."""
        if self.context is not None and self.context.active:
            self.context.session.note_displaced()  # (a double the test's body put in place)
            self.context.__exit__(None, None, None)

    def check(self) -> None:
        """Raise the replay errors the agent may have swallowed, (strict) fail on recorded
        responses left unused, and on runs the golden recorded but the test did not make."""
        __tracebackhide__ = True
        if self.context is None:
            return
        # a marker without mock only reads its golden: it answers no call to leave out
        strict_mocks = self.strict and not self.spec.reads_only
        self.context.session.raise_errors(
            strict=self.strict,
            checkpoint=str(self.path),
            unmocked=self.engine.unmocked_of(self.pairs) if strict_mocks else None,
        )
        recorded = len(self.outcomes)
        # a test that never calls run() only inspects the golden: nothing to compare; one whose
        # run raised where the golden holds that run's outcome (the test expected the error)
        # compared nothing of it
        if self._runs_made and self.runs < recorded:
            made = f"this test made {self.runs}"
            raised = len(self._without_outcome)
            if raised:
                made += (
                    f" that returned (and {raised} that raised: a run that raised has no outcome)"
                )
            raise self._mismatch(
                "call", f"the golden recorded {recorded} replay.run() call(s); {made}"
            )

    def calls_not_made_before(self, failure: BaseException) -> ReplayError | None:
        """Strict, when the test failed with ``failure`` (no replay error) on a recorded answer
        — the error a replayed call raised as recorded, or one made from its answer — with
        recorded calls left unmade: the :class:`UnusedResponsesError` naming them and that
        answer. The agent gave up where the recording went on (a retry layer that stops
        sooner), which ``failure`` alone tells as if the service had failed on replay."""
        if self.context is None or not self.strict or self.spec.reads_only:
            return None
        session = self.context.session
        if session.errors or not session.unused():
            return None
        gave_up = session.answer_in(failure)
        if gave_up is None:
            return None
        return session.unused_error(
            checkpoint=str(self.path),
            unmocked=self.engine.unmocked_of(self.pairs),
            gave_up=gave_up,
        )

    def uncalled_callbacks(self) -> str:
        """(When the test failed on its own, with no replay error.) What the calls the replay
        answered were given and it did not call (LangChain callback handlers: the events
        ``astream_events`` gives; a function), and the fix, which the test's own assertion
        on what they collect does not tell; ``""``: none."""
        if self.context is None:
            return ""
        from .callback_handlers import uncalled_callbacks_hint  # (only when a test failed)

        session = self.context.session
        return uncalled_callbacks_hint(
            session.calls, session.session_callbacks, session.in_contexts()
        )

    # -- each replay.run() ---------------------------------------------------------------------
    def before_run(self, agent: Any) -> int:
        """Give the agent the recorded state before the run whose state the recording took:
        the first made with an agent before any run had returned (the runs made before it
        raised); returns the run's number (from 0, in the order the runs are made). Once only:
        a run after one that raised goes on from what that run left, as when recorded, and a
        new agent keeps its own state."""
        number = self._runs_made
        self._runs_made += 1
        # (as the recording takes it: RecordingRun.before_run)
        first = not (self.runs or self._state_given or agent is None)
        if first and self.checkpoint.agent_module is not None:
            self._state_given = True
            if self.context is not None and state_method(agent, "load_state") is not None:
                # (what it draws moves the seeded streams: named where only random ids differ)
                self.context.session.state_loader = f"{type(agent).__qualname__}.load_state"
            if self.keep_found_state:
                self.found_state = (agent, agent_state(agent))
            self._kept = load_state(
                agent, self.checkpoint.restore_state(), f"the golden {self.path}"
            )
        return number

    def note_raised(self, agent: Any, error: Exception, number: int) -> None:
        """Run ``number`` of ``agent`` raised ``error`` while replaying: when it did not raise
        when recorded and the agent's state holds a text naming the recording's ``tmp_path``
        (it worked in the recording's directory: a database there that cannot be opened),
        ``error`` gets a note naming it and the fix (Python 3.11+, where exceptions take
        notes). A run that raised when recorded too raises as the test expects: nothing is
        looked for."""
        add_note = getattr(error, "add_note", None)
        if agent is None or add_note is None:
            return
        raised = runs_without_outcome(self.checkpoint.metadata)
        if raised is not None and number in raised:
            return
        from .tmp_path_texts import recorded_tmp_path_hint  # (only when a run raised)

        try:
            state = agent_state(agent)
        except Exception:  # (its get_state() raises too: the run's own error tells more)
            return
        hint = recorded_tmp_path_hint(state)
        if hint:
            add_note(hint)

    def without_outcome(self, number: int) -> None:
        """Run ``number`` raised (or its generator was not read to its end): it has no outcome
        in the golden either, and the runs made after it compare with the outcomes from its
        place on."""
        self._without_outcome.append(number)

    def after_run(self, agent: Any, name: str, result: Any, number: int) -> None:
        """Compare the run's result and the agent's final state with the golden outcome; a
        replay error the agent swallowed during the run fails it first (what it changed in the
        result or the state is only its consequence), and so, in a strict replay, do the
        recorded calls the test's last recorded run did not make, with the deltas of both."""
        __tracebackhide__ = True
        self.runs += 1
        # its outcome in the golden, which holds them in the order the runs were made (runs
        # made at once, in threads or tasks, return as the replay answers them), without those
        # of the runs that raised when recorded (named by the golden) or, for a golden of an
        # earlier version, that raised now
        raised = runs_without_outcome(self.checkpoint.metadata)
        before = self._without_outcome if raised is None else raised
        place = number - sum(1 for other in before if other < number) + 1
        if self.context is not None and self.context.session.errors:
            raise self.context.session.first_error()
        if raised is not None and number in raised:
            raise self._mismatch(
                "call",
                f"replay.run() #{number + 1} ({name!r}) raised when it was recorded (or, a "
                "generator, was not read to its end: such a run keeps no outcome), and now it "
                "returned",
            )
        outcomes = self.outcomes
        if not outcomes:
            # a golden the plugin recorded for a test calling replay.run() holds its outcome
            # (a run that raised when recorded, which keeps none: an agent that now catches
            # the error its test expected; recorded without one, or edited by hand)
            if self.checkpoint.recorded_by_plugin:
                raise self._mismatch(
                    "call",
                    f"the golden holds no outcome for replay.run() ({name!r}): when it was "
                    "recorded, it raised (a run that raises keeps no outcome), and now it "
                    "returned; or it was recorded without replay.run(), or its 'outcome' was "
                    "removed",
                )
            return  # a checkpoint made by application code: no golden outcome to compare with
        if place > len(outcomes):
            raise self._mismatch(
                "call",
                f"the golden recorded {len(outcomes)} replay.run() call(s); this test makes "
                f"call #{place} ({name!r})",
            )
        outcome = outcomes[place - 1]
        if outcome.function not in (None, name):
            raise self._mismatch(
                "call", f"the golden recorded {outcome.function!r}, this test runs {name!r}"
            )
        # compared as they are (redacted like the recording), not through a codec round trip:
        # the golden side was decoded from the file, so tuples, sets, datetimes... match
        # a golden of several runs names the run that differed
        run = f" of replay.run() #{place} ({name})" if len(outcomes) > 1 else ""
        differences: list[tuple[str, str]] = []
        causes: list[str] = []  # (of each difference: what gives it without a change, or "")
        delta, cause = self._delta(
            "result", outcome.result, self._observed(result, "result"), "result"
        )
        if delta:
            differences.append((f"result{run}", delta))
            causes.append(cause)
        if agent is not None and outcome.final_state is None and self.checkpoint.recorded_by_plugin:
            differences.append(
                (
                    f"final state{run}",
                    "the golden holds no final state of the agent (recorded for a plain "
                    "function, or its 'final_state' was removed)",
                )
            )
        if agent is not None and outcome.final_state is not None:
            actual = self._observed(agent_state(agent), "state")
            delta, cause = self._delta("final_state", outcome.final_state, actual, "state")
            trimmed = (
                without_one_sided_cached_values(outcome.final_state.value, actual, agent)
                if delta
                else None
            )
            if trimmed is not None:
                golden, actual = trimmed
                delta, cause = self._delta("final_state", Recorded.of(golden), actual, "state")
            if delta:
                differences.append((f"final state{run}", delta))
                causes.append(cause)
        if not differences:
            return
        if place == len(outcomes):
            self._raise_calls_not_made(differences)
        (what, delta), *more = differences
        cause = next((c for c in causes if c), "")  # (items reordered, random ids, clocks)
        states = [text for part, text in differences if part.startswith("final state")]
        # (a changed result is the agent's own: the hint is for final states only)
        if (
            not cause
            and agent is not None
            and self.context is not None
            and len(states) == len(differences)
        ):
            cause = final_state_hint(agent_state(agent), self.context.session.calls, states)
        if not cause and agent is not None:
            cause = kept_attributes_hint(agent, self._kept, states)
        if not cause and agent is not None:
            from .tmp_path_texts import recorded_tmp_path_hint  # (only when it differs)

            cause = recorded_tmp_path_hint(agent_state(agent))
        if not cause and self.context is not None:
            from .callback_handlers import uncalled_callbacks_hint  # (only when it differs)

            session = self.context.session
            cause = uncalled_callbacks_hint(
                session.calls, session.session_callbacks, session.in_contexts()
            )
        told = unmatched_paths(  # (a typo in a path: what it was meant to leave out differs)
            "ignore_state",
            self.spec.ignore_state.surely_unmatched(),
            "the outcome compared",
            str(self.path),
        )
        cause = f"{cause} {told}".strip()
        raise self._mismatch(what, delta, more=more, cause=cause)

    def _mismatch(
        self,
        what: str,
        delta: str,
        *,
        more: list[tuple[str, str]] | None = None,
        cause: str = "",
    ) -> GoldenMismatchError:
        """The error of a run whose outcome differs from the golden's: it names the command
        that records the golden again: the test's own, or, for a test that only reads its
        golden, the test the golden says recorded it (:func:`reader_fix`)."""
        hint = ""
        if self.spec.reads_only:
            from ..printable import printable  # (text from the file: escaped for a terminal)

            recorded_by = self.checkpoint.metadata.get("test")
            owner = recorded_by if isinstance(recorded_by, str) else ""
            hint = reader_fix("" if owner == self.node_id else printable(owner))
        return GoldenMismatchError(
            what,
            delta,
            checkpoint=str(self.path),
            more=more or (),
            node_id=self.node_id,
            reader_hint=hint,
            cause=cause,
        )

    def _raise_calls_not_made(self, differences: list[tuple[str, str]]) -> None:
        """Strict, after the test's last recorded run, whose outcome differs: raise the
        :class:`UnusedResponsesError` of the recorded calls the test did not make, with their
        consequence, ``differences``, told after them (nothing when it made them all). Not after
        an earlier run: the golden does not tell which of its runs made which call."""
        __tracebackhide__ = True
        if self.context is None or not self.strict or self.spec.reads_only:
            return
        error = self.context.session.unused_error(
            checkpoint=str(self.path),
            unmocked=self.engine.unmocked_of(self.pairs),
            differences=differences,
        )
        if error is not None:
            raise error

    def _delta(self, root: str, recorded: Recorded, actual: Any, where: str) -> tuple[str, str]:
        """What differs between a recorded outcome part and the actual value (``""``: they
        match), and what gives such a difference where the agent did not change (:func:`_told`);
        with ``ignore_state`` paths, compared by their stored forms without them. The actual
        value is shown as a failure message shows it (``where``: ``"result"`` or ``"state"``;
        :func:`~.responses.for_message`)."""
        ignore = self.spec.ignore_state
        if not ignore:
            if same_state(recorded.value, actual):
                return "", ""
            # compared as stored: a client by its reference (in a dataclass too), what only
            # its repr could store by its type
            if codec.same_stored_form(actual, recorded.value, recorded.encoded):
                return "", ""
            shown = for_message(self.spec.shown, actual, where, self.node_id)
            # (what the comparison took as alike, a secret redacted, is no difference to show)
            shown = retried(lambda: codec.placeholders_kept(recorded.value, shown))
            delta, cause = _told(recorded.value, shown, self._session())
            # (a difference the delta cannot show is one still: never a silent pass)
            return delta or _UNSHOWN, self._with_golden_cause(cause)
        wanted = ignore.prune({root: recorded.encoded}).get(root)
        observed = ignore.prune({root: codec.encode(actual)}).get(root)
        if codec.same_tree(observed, wanted):
            return "", ""
        shown = for_message(self.spec.shown, observed, where, self.node_id)
        delta, cause = _told(wanted, shown, self._session())
        return delta or _UNSHOWN, self._with_golden_cause(cause)

    def _with_golden_cause(self, cause: str) -> str:
        """``cause``, with what the golden tells of it: a formatter that sorted its keys, the
        live calls that put other threads on the real clock when recorded
        (:meth:`~.responses.ReplaySession.with_golden_cause`)."""
        if self.context is None:
            return cause
        return self.context.session.with_golden_cause(cause)

    def _session(self) -> ReplaySession | None:
        """What this replay knows of itself (``None``: no context): the agent's ``load_state``
        it called, the real clocks' readings when it began, its golden
        (:class:`~.responses.ReplaySession`)."""
        return None if self.context is None else self.context.session

    def _observed(self, value: Any, where: str) -> Any:
        transform = in_effect(self.transform)
        return value if transform is None else transform(value, where, self.node_id)


#: the delta of values that differ where the delta shows nothing (an attribute deepdiff does
#: not compare: a name starting with "__")
_UNSHOWN = "(they differ in their stored forms)"


def _told(recorded: Any, shown: Any, session: ReplaySession | None) -> tuple[str, str]:
    """The delta of an outcome part that differs (``""``: none to show), and, where an unchanged
    agent gives such a difference (items in another order, random ids, real clock readings),
    what gives it and what fixes it (:func:`~pytest_clearstone.diff.unstable_cause`; ``""``:
    none of these), with what ``session`` knows of the replay (the agent's ``load_state`` it
    called, the real clocks' readings when it began, its golden)."""
    from ..diff import StateDelta, unstable_cause  # (imported only when something differs)

    delta = StateDelta(recorded, shown)
    if not delta:
        return "", ""
    if session is None:
        return str(delta), unstable_cause(delta)
    cause = unstable_cause(
        delta, session.state_loader, session.clocks_at_start, session.recorded_text
    )
    return str(delta), cause


def load_golden(
    path: Path, node_id: str, *, allow_pickle: bool = False, reads_only: bool = False
) -> Checkpoint:
    """Read a test's golden (pickles only when allowed); a missing one names how it is recorded:
    the command recording the test (its node id quoted for a shell), or, for a test that only
    reads it (``reads_only``: its marker has no ``mock=``, so it never records), the tests that
    can."""
    try:
        return Checkpoint.read(path, allow_pickle=allow_pickle)
    except CheckpointNotFoundError:
        pass  # raised below, outside the handler: no "during handling" chain in the report
    except CheckpointCorruptError as exc:
        if reads_only:  # (it never records)
            raise
        raise exc.for_test(node_id) from None  # its re-record command names the test
    if reads_only:
        fix = reader_fix()
        hint = fix[0].upper() + fix[1:]
    else:
        hint = f"Record it first with: {record_command(node_id)}"
    dangling = link_to_nothing(path)
    if dangling is not None:  # (a folder of goldens linked to a checkout that is missing)
        hint = dangling
    renamed = None if dangling is not None else other_case(path)
    if renamed is not None:  # (a test or module renamed in case only, on macOS or Windows)
        hint = (
            f"{renamed} exists, its name differing only in case (macOS and Windows read one for "
            f"the other): if it is this test's golden, rename it: "
            f"{rename_command(Path(renamed), Path(path))}; or {hint[0].lower()}{hint[1:]}"
        )
    raise CheckpointNotFoundError([path], hint=hint)
