"""The production entry point: each request runs in a traced span; a failure saves a checkpoint.

This is the guide's conditional checkpointing: only a request that raises costs a checkpoint,
and that checkpoint (agent state, the trace with every recorded LLM and payment response, the
failing span) is what a regression test replays.
"""

from __future__ import annotations

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import TracerProvider

from refund_app.agent import RefundAgent
from refund_app.clients import LLMClient, PaymentsClient


def handle_refund_request(
    order_id: str, message: str, *, provider: TracerProvider, manager: CheckpointManager
) -> str:
    """Run one refund request; on an exception save ``incident_{order_id}.ckpt`` and re-raise."""
    tracer = provider.get_tracer("refund_service", "1.4.0")
    agent = RefundAgent(LLMClient(tracer), PaymentsClient(tracer))
    with tracer.span("refund_request", attributes={"order_id": order_id}) as span:
        try:
            return agent.process_refund(order_id, message)
        except Exception as exc:
            span.set_status("ERROR", f"{type(exc).__name__}: {exc}")

            provider.shutdown()
            trace = provider.trace_store.get_trace(span.trace_id)

            checkpoint = manager.create_checkpoint(
                agent, trace, span.span_id, metadata={"incident": order_id, "error": repr(exc)}
            )
            checkpoint_path = manager.save_checkpoint(
                checkpoint, filename=f"incident_{order_id}.ckpt"
            )
            print(f"Error checkpoint saved: {checkpoint_path}")
            raise
