"""Interoperability: traces and checkpoints from other tools, and traces out to them.

- :mod:`pytest_clearstone.interop.clearstone_sdk` reads the ``traces.db`` and ``.ckpt`` files of
  the original clearstone-sdk and converts them to pytest-clearstone checkpoints.
- :mod:`pytest_clearstone.interop.otel` imports OpenTelemetry spans (in memory or OTLP/JSON
  files, GenAI and OpenInference conventions) as a :class:`~pytest_clearstone.tracing.Trace`
  and exports a trace through any OpenTelemetry span exporter. It needs the ``otel`` extra
  (``pip install pytest-clearstone[otel]``) only for in-memory spans and exporting.

Nothing here is imported by the plugin: import the submodule you need.
"""
