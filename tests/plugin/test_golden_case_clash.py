"""Two tests whose goldens differ only in case would record the same file on a file system that
folds case (macOS, Windows): a collection error naming both, on every platform."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.conftest import esc

LIVE = "def complete(prompt):\n    return 'answer to ' + prompt\n"


@pytest.mark.parametrize(
    ("tests", "first", "second", "golden", "fix"),
    [
        (
            """
            @pytest.mark.parametrize("model", ["gpt-4o", "GPT-4o"])
            @pytest.mark.replay(mock={"llm": "live.complete"})
            def test_model(replay, model):
                replay.run(live.complete, model)
            """,
            "test_case.py::test_model[gpt-4o]",
            "test_case.py::test_model[GPT-4o]",
            "test_model[gpt-4o].ckpt",
            # their paths are the default ones: leaving the path out is no fix
            "their default paths differ only in case or in characters a file name cannot hold: "
            "give them ids that differ otherwise (pytest.param(..., id=...)), or each its own "
            "path (@pytest.mark.replay(PATH, ...))",
        ),
        (
            """
            @pytest.mark.replay("g/shared.ckpt", mock={"llm": "live.complete"})
            def test_lower(replay):
                replay.run(live.complete, "lower")

            @pytest.mark.replay("g/Shared.ckpt", mock={"llm": "live.complete"})
            def test_upper(replay):
                replay.run(live.complete, "upper")
            """,
            "test_case.py::test_lower",
            "test_case.py::test_upper",
            "shared.ckpt",
            "give each test its own path (or leave the path out: one golden per test), or drop "
            "mock= from the tests that only read it",
        ),
    ],
    ids=["parametrize-ids", "explicit-paths"],
)
def test_goldens_differing_only_in_case_are_a_collection_error(
    pytester: pytest.Pytester, tests: str, first: str, second: str, golden: str, fix: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE, test_case="import pytest\nimport live\n" + textwrap.dedent(tests)
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [esc(f"*{first} and {second} would both record the golden *{golden}*: {fix}"), "*1 error*"]
    )
    assert not list(pytester.path.rglob("*.ckpt"))


UNICODE_IDS = """
import pytest
import live

@pytest.mark.parametrize("city", ["東京", "大阪", "ünï"])
@pytest.mark.replay(mock={"llm": "live.complete"})
def test_city(replay, city):
    replay.run(live.complete, city)
"""

#: the ini option that shows parameter ids unescaped (test_city[東京], not [\\u6771\\u4eac])
UNESCAPED = "disable_test_id_escaping_and_forfeit_all_rights_to_community_support"


@pytest.mark.parametrize("recorded_unescaped", [False, True], ids=["escaped", "unescaped"])
def test_non_ascii_ids_get_one_golden_each_whether_pytest_escapes_them_or_not(
    pytester: pytest.Pytester, recorded_unescaped: bool
) -> None:
    # Before the fix: with the ini option that leaves ids unescaped, every character of another
    # script became "_": test_city[東京] and test_city[大阪] both recorded test_city[__].ckpt,
    # a collection error, and goldens recorded with the option off went missing with it on
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_cities=UNICODE_IDS)
    ini = f"[pytest]\n{UNESCAPED} = true\n"
    if recorded_unescaped:
        pytester.makeini(ini)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    names = sorted(p.name for p in (pytester.path / "goldens" / "test_cities").iterdir())
    assert names == [
        "test_city[_u5927_u962a].ckpt",
        "test_city[_u6771_u4eac].ckpt",
        "test_city[_xfcn_xef].ckpt",
    ]
    pytester.makeini("[pytest]\n" if recorded_unescaped else ini)  # the option toggled
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["3 checkpoint(s) replayed, 0 recorded, 0 diverged"])


ONE_TEST = """
import pytest
import live

@pytest.mark.replay(mock={"llm": "live.complete"})
def test_one(replay):
    replay.run(live.complete, "one")
"""

TWO_CLASSES = """
import pytest
import live

class TestTrip:
    @pytest.mark.replay(mock={"llm": "live.complete"})
    def test_one(self, replay):
        replay.run(live.complete, "upper")

class Testtrip:
    @pytest.mark.replay(mock={"llm": "live.complete"})
    def test_one(self, replay):
        replay.run(live.complete, "lower")
"""

TWO_NAMES = """
import pytest
import live

@pytest.mark.replay(mock={"llm": "live.complete"})
def test_One(replay):
    replay.run(live.complete, "upper")

@pytest.mark.replay(mock={"llm": "live.complete"})
def test_one(replay):
    replay.run(live.complete, "lower")
"""


@pytest.mark.parametrize(
    ("modules", "first", "second", "golden", "fix"),
    [
        (
            {"test_Trip": ONE_TEST, "test_trip": ONE_TEST},
            "test_Trip.py::test_one",
            "test_trip.py::test_one",
            "test_Trip/test_one.ckpt",
            "the names of their test modules (test_Trip.py, test_trip.py) differ only in case or "
            "in characters a file name cannot hold: rename one of them, or give each test its "
            "own path (@pytest.mark.replay(PATH, ...))",
        ),
        (
            {"test_trip": TWO_CLASSES},
            "test_trip.py::TestTrip::test_one",
            "test_trip.py::Testtrip::test_one",
            "TestTrip.test_one.ckpt",
            "the names of their classes (TestTrip, Testtrip) differ only in case or in characters "
            "a file name cannot hold: rename one of them, or give each test its own path "
            "(@pytest.mark.replay(PATH, ...))",
        ),
        (
            {"test_trip": TWO_NAMES},
            "test_trip.py::test_One",
            "test_trip.py::test_one",
            "test_One.ckpt",
            "the names of the tests (test_One, test_one) differ only in case or in characters a "
            "file name cannot hold: rename one of them, or give each test its own path "
            "(@pytest.mark.replay(PATH, ...))",
        ),
    ],
    ids=["modules", "classes", "test-names"],
)
def test_a_clash_of_default_paths_names_the_part_to_rename(
    pytester: pytest.Pytester,
    modules: dict[str, str],
    first: str,
    second: str,
    golden: str,
    fix: str,
) -> None:
    # Before the fix each said "give them ids that differ otherwise (pytest.param(..., id=...))":
    # these tests are not parametrized; their modules', classes' or own names clash
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, **{k: textwrap.dedent(v) for k, v in modules.items()})
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [esc(f"*{first} and {second} would both record the golden *{golden}: {fix}")]
    )
    assert not list(pytester.path.rglob("*.ckpt"))


def test_a_golden_missing_whose_name_differs_only_in_case_is_named(
    pytester: pytest.Pytester,
) -> None:
    # A test renamed in case only on macOS or Windows (test_One -> test_one) still reads its
    # golden there (the file system ignores case); on Linux CI it was "checkpoint not found ...
    # Record it first with: pytest --clearstone-record ...", which CI cannot do and which would
    # leave two files differing in case. The file is named, with the rename.
    pytester.syspathinsert()
    test = textwrap.dedent(
        """
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_One(replay):
            replay.run(live.complete, "one")

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_two(replay):
            replay.run(live.complete, "two")
        """
    )
    pytester.makepyfile(live=LIVE, test_trip=test)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = pytester.path / "goldens"
    (pytester.path / "test_trip.py").write_text(test.replace("def test_One", "def test_one"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    old = goldens / "test_trip" / "test_One.ckpt"
    new = goldens / "test_trip" / "test_one.ckpt"
    result.stdout.fnmatch_lines(
        [
            esc(
                f"*checkpoint not found; tried: {new}. {old} exists, its name differing only in "
                f"case (macOS and Windows read one for the other): if it is this test's golden, "
                f"rename it: mv {old} {new}; or record it first with: pytest "
                f"--clearstone-record test_trip.py::test_one"
            )
        ]
    )


@pytest.mark.parametrize("mode", ["record", "record-missing"])
def test_recording_a_golden_beside_one_differing_only_in_case_is_refused(
    pytester: pytest.Pytester, mode: str
) -> None:
    # Before the fix, on Linux, the recording wrote test_one.ckpt beside test_One.ckpt: two
    # files a checkout on macOS or Windows cannot hold side by side (git writes one over the
    # other there, and the suite replays whichever came last).
    pytester.syspathinsert()
    test = "import pytest\nimport live\n\n@pytest.mark.replay(mock={'llm': 'live.complete'})\n"
    test += "def test_One(replay):\n    replay.run(live.complete, 'one')\n"
    pytester.makepyfile(live=LIVE, test_trip=test)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    old = pytester.path / "goldens" / "test_trip" / "test_One.ckpt"
    before = old.read_bytes()
    (pytester.path / "test_trip.py").write_text(test.replace("def test_One", "def test_one"))
    result = pytester.runpytest(f"--clearstone-mode={mode}")
    result.assert_outcomes(failed=1)
    new = old.with_name("test_one.ckpt")
    result.stdout.fnmatch_lines(
        [
            esc(
                f"*{new} would be written beside {old}, whose name differs only in case: a "
                f"checkout on macOS or Windows cannot hold both. If it is this test's golden, "
                f"rename it first: mv {old} {new}; else delete it, or give the test another "
                f"name or path"
            )
        ]
    )
    assert sorted(p.name for p in old.parent.iterdir()) == ["test_One.ckpt"]
    assert old.read_bytes() == before


def test_a_golden_whose_test_was_renamed_in_case_only_is_never_pruned(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix a whole-suite run on Linux listed test_One.ckpt among the goldens no
    # collected test uses, and --clearstone-prune-unused deleted it: the file the replay's
    # message says to rename (mv), and the one macOS and Windows replay test_one from
    pytester.syspathinsert()
    test = "import pytest\nimport live\n\n@pytest.mark.replay(mock={'llm': 'live.complete'})\n"
    test += "def test_One(replay):\n    replay.run(live.complete, 'one')\n"
    pytester.makepyfile(live=LIVE, test_trip=test)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    old = pytester.path / "goldens" / "test_trip" / "test_One.ckpt"
    (pytester.path / "test_trip.py").write_text(test.replace("def test_One", "def test_one"))
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*rename it: mv *"])
    result.stdout.no_fnmatch_line("*no collected test uses*")
    result.stdout.no_fnmatch_line("*deleted*")
    assert old.is_file()


SAFE_NAME_TWINS = """
import pytest
import live

@pytest.mark.parametrize("route", ["a/b", "a_b"], ids=["a/b", "a_b"])
@pytest.mark.replay(mock={"llm": "live.complete"})
def test_route(replay, route):
    replay.run(live.complete, route)
"""


def test_a_recording_refuses_the_golden_of_a_test_whose_id_differs_only_where_made_safe(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: recorded one at a time (together, collection names the clash), the second
    # wrote over the first's golden, test_route[a_b].ckpt, silently; replaying, test_route[a/b]
    # then failed with a delta of the other test's answers
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_routes=SAFE_NAME_TWINS)
    pytester.runpytest("--clearstone-record", "test_routes.py::test_route[a/b]").assert_outcomes(
        passed=1
    )
    golden = pytester.path / "goldens" / "test_routes" / "test_route[a_b].ckpt"
    recorded = golden.read_bytes()
    result = pytester.runpytest("--clearstone-record", "test_routes.py::test_route[a_b]")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                f"*test_routes.py::test_route[a_b]: {golden} was recorded by "
                "test_routes.py::test_route[a/b], whose golden path is this test's: their "
                "default paths differ only in case or in characters a file name cannot hold: "
                "give them ids that differ otherwise (pytest.param(..., id=...)), or each its "
                "own path (@pytest.mark.replay(PATH, ...)). If test_routes.py::test_route[a/b] "
                "is this test before a rename, delete the golden and record again"
            )
        ]
    )
    assert golden.read_bytes() == recorded  # (kept as it was)
    # a golden the other test wrote over before the fix: the replay's divergence says whose
    replayed = pytester.runpytest("test_routes.py::test_route[a_b]")
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(
        [
            "*Captured clearstone call*",
            esc(
                f"test_routes.py::test_route[a_b] replayed {golden}, which "
                "test_routes.py::test_route[a/b] recorded, whose golden path is this test's: "
                "their default paths differ only in case or in characters a file name cannot "
                "hold: give them ids that differ otherwise (pytest.param(..., id=...)), or each "
                "its own path (@pytest.mark.replay(PATH, ...)). Then record each again."
            ),
        ]
    )
    pytester.runpytest("test_routes.py::test_route[a/b]").assert_outcomes(passed=1)  # (its own)
    # the test that recorded it records it again, under another rootdir's node id too
    again = pytester.runpytest("--clearstone-record", "test_routes.py::test_route[a/b]")
    again.assert_outcomes(passed=1)
    above = f"--rootdir={pytester.path.parent}"
    again = pytester.runpytest("--clearstone-record", above, "test_routes.py::test_route[a/b]")
    again.assert_outcomes(passed=1)


def test_a_recording_at_a_path_given_to_tests_apart_only_where_made_safe_is_not_refused(
    pytester: pytest.Pytester,
) -> None:
    # (mutation round 29, m7: the refusal is for default paths only; a path given to both is
    # the user's choice, told at collection when both are collected)
    pytester.syspathinsert()
    given = SAFE_NAME_TWINS.replace("replay(mock=", 'replay("goldens/route.ckpt", mock=')
    pytester.makepyfile(live=LIVE, test_routes=given)
    pytester.runpytest("--clearstone-record", "test_routes.py::test_route[a/b]").assert_outcomes(
        passed=1
    )
    again = pytester.runpytest("--clearstone-record", "test_routes.py::test_route[a_b]")
    again.assert_outcomes(passed=1)
