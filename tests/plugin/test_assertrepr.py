"""Assertion messages for comparisons involving checkpoints and state deltas."""

from __future__ import annotations


def test_checkpoint_comparison_reads_as_a_state_delta(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        MOCK = {"llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]}

        @pytest.mark.replay("goldens/one.ckpt", mock=MOCK)
        def test_one(replay):
            replay.run(Agent().handle, "first")

        @pytest.mark.replay("goldens/two.ckpt", mock=MOCK)
        def test_two(replay):
            agent = Agent()
            agent.total_cost = 1.5
            replay.run(agent.handle, "second")
        """
    )
    project.record().assert_outcomes(passed=2)
    pytester.makepyfile(
        test_compare="""
        from pytest_clearstone.debugging import CheckpointManager
        from pytest_clearstone.diff import StateDelta

        def test_checkpoints():
            manager = CheckpointManager("goldens")
            assert manager.load_checkpoint("one") == manager.load_checkpoint("two")

        def test_delta():
            assert StateDelta({"cost": 1}, {"cost": 2}) == []
        """
    )
    result = pytester.runpytest("test_compare.py")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*checkpoint states differ (left -> right):",
            "*root[[]'total_cost'[]]: 0.0 -> 1.5",
        ]
    )
    result.stdout.fnmatch_lines(["*state delta (before -> after):", "*root[[]'cost'[]]: 1 -> 2"])
