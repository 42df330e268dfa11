"""Run the guide's two-query research workflow, traced, and checkpoint it before query 2.

    python record.py            # writes research_traces.db and goldens/query_2.ckpt

The checkpoint is taken inside the ``query_2`` span, before the agent works on it (the guide's
"checkpoint before critical operations"), so it holds the agent's state after query 1. It is
saved once the workflow is done, with the finished trace, so that the file also carries the LLM
response recorded for query 2: the response a replay of the next step is answered with.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import TracerProvider

from research_app.agent import ResearchAgent

HERE = Path(__file__).parent


def main(db_path: str = str(HERE / "research_traces.db"),
         checkpoint_dir: str = str(HERE / "goldens")) -> Path:  # fmt: skip
    provider = TracerProvider(db_path=db_path)
    tracer = provider.get_tracer("research_agent")
    agent = ResearchAgent(tracer=tracer)
    manager = CheckpointManager(checkpoint_dir)

    with tracer.span("research_workflow") as root_span:
        trace_id = root_span.trace_id

        with tracer.span("query_1"):
            agent.research("What is AI safety?")

        with tracer.span("query_2") as span:
            trace_so_far = provider.trace_store.get_trace(trace_id)
            checkpoint = manager.create_checkpoint(
                agent, trace_so_far, span.span_id, metadata={"purpose": "before query 2"}
            )
            agent.research("What are the risks?")

    provider.shutdown()
    checkpoint.trace = provider.trace_store.get_trace(trace_id)  # with query 2's response
    path = manager.save_checkpoint(checkpoint, filename="query_2.ckpt")
    print(f"Checkpoint saved: {path}")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:])
