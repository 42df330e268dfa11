"""The recording side of a stream (``golden/streams.py``): what the tap does to the live
stream it reads for the agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest

from pytest_clearstone.errors import DecodeError
from pytest_clearstone.golden.streams import RecordedStream, StreamTap, is_stream


def _step(advance: Any) -> Any:
    return advance()


class Tallied(openai.Stream[Any]):
    """An SDK stream subclass with its own ``__stream__``, which reads its base's events."""

    def __stream__(self) -> Iterator[Any]:
        yield from enumerate(super().__stream__(), 1)


def test_a_stream_the_agent_stops_reading_is_closed_and_records_what_was_read() -> None:
    closed: list[str] = []
    done: list[RecordedStream] = []

    def live() -> Iterator[int]:
        try:
            yield from range(5)
        finally:
            closed.append("live")  # (the connection the SDK holds is given back)

    tap = StreamTap(RecordedStream(), _step, lambda record, error: done.append(record))
    inner = live()  # (held: not closed by being dropped)
    stream = tap.sync(inner)
    assert [next(stream), next(stream)] == [0, 1]
    stream.close()
    assert closed == ["live"]
    assert done[0].items == [0, 1] and not done[0].complete


def test_an_async_stream_the_agent_stops_reading_is_closed_too() -> None:
    closed: list[str] = []
    done: list[RecordedStream] = []

    async def live() -> AsyncIterator[int]:
        try:
            for i in range(5):
                yield i
        finally:
            closed.append("live")

    async def read() -> None:
        tap = StreamTap(
            RecordedStream(is_async=True), _step, lambda record, error: done.append(record)
        )
        inner = live()  # (held: not closed by being dropped)
        stream = tap.asynchronous(inner)
        assert await stream.__anext__() == 0
        await stream.aclose()
        assert closed == ["live"]

    asyncio.run(read())
    assert closed == ["live"]
    assert done[0].items == [0] and not done[0].complete


def test_the_request_a_recorded_sdk_stream_answered_keeps_no_machine_headers() -> None:
    # (an SDK's own request headers, mixed case: User-Agent, X-Stainless-OS...)
    import httpx
    import openai

    from pytest_clearstone.golden.streams import tap

    request = httpx.Request(
        "POST",
        "https://api.openai.com/v1/chat/completions",
        headers={"User-Agent": "OpenAI/Python 1.0", "X-Stainless-OS": "Linux", "X-Trace": "t"},
    )
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, request=request)
    client = openai.OpenAI(api_key="sk-test", base_url="http://localhost")
    stream = openai.Stream(cast_to=object, response=response, client=client)
    _, stream_tap = tap(stream, _step, lambda record, error: None)
    assert stream_tap is not None
    sent = stream_tap.record.response.request
    names = [name.decode().lower() for name, _ in sent.headers.raw]
    assert "x-trace" in names
    assert "user-agent" not in names and "x-stainless-os" not in names


def test_a_recorded_stream_naming_a_class_that_is_no_sdk_stream_says_so() -> None:
    # (a KeyError naming the class's bare name, before stream classes were found by their bases)
    record = RecordedStream(items=[1], stream_class="collections:OrderedDict")
    with pytest.raises(DecodeError, match=r"'collections:OrderedDict' is not an SDK stream class"):
        record.replayed()


def test_a_streamed_response_is_recorded_as_read_with_its_own_headers_and_history() -> None:
    # (what a replay answers: the body the agent read, the headers the server sent, without
    # the Content-Length a response made of that body would add, and the redirect before it)
    import httpx

    from pytest_clearstone.golden.streams import tap

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(302, headers={"location": "/new"})
        return httpx.Response(200, headers={"x-served": "1"}, content=iter([b"hel", b"lo"]))

    done: list[Any] = []
    with httpx.Client(transport=httpx.MockTransport(answer), follow_redirects=True) as client:
        response = client.send(client.build_request("GET", "http://test/old"), stream=True)
        value, stream_tap = tap(response, _step, lambda record, error: done.append(record))
        assert value is response and stream_tap is not None
        assert response.read() == b"hello"
    recorded = done[0]
    assert recorded.content == b"hello"
    assert list(recorded.headers.items()) == list(response.headers.items())
    assert "content-length" not in recorded.headers
    assert [r.status_code for r in recorded.history] == [302]
    assert recorded.request.url == "http://test/new"


def test_a_streamed_response_closed_unread_is_recorded_unread() -> None:
    import httpx

    from pytest_clearstone.golden.streams import tap

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"hel", b"lo"]))

    done: list[Any] = []
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        response = client.send(client.build_request("GET", "http://test/"), stream=True)
        tap(response, _step, lambda record, error: done.append(record))
        response.close()
    assert len(done) == 1 and done[0] is response


def test_a_streamed_redirect_not_followed_is_recorded_with_its_next_request_and_reason() -> None:
    import httpx

    from pytest_clearstone.golden.streams import tap

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            302,
            headers={"location": "/new"},
            content=iter([b"moved"]),
            extensions={"http_version": b"HTTP/2", "reason_phrase": b"Moved Here"},
        )

    done: list[Any] = []
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        response = client.send(client.build_request("GET", "http://test/old"), stream=True)
        tap(response, _step, lambda record, error: done.append(record))
        assert response.read() == b"moved"
    recorded = done[0]
    assert recorded.content == b"moved"
    assert recorded.next_request.url == "http://test/new"
    assert (recorded.http_version, recorded.reason_phrase) == ("HTTP/2", "Moved Here")


def test_a_stream_read_to_its_end_is_handed_over_once_also_when_the_test_ends() -> None:
    # (the test's end finishes every tap still held: one read to its end is already done,
    # and its call's span, closed then, is not closed again later)
    done: list[RecordedStream] = []
    tap = StreamTap(RecordedStream(), _step, lambda record, error: done.append(record))
    assert list(tap.sync(iter([1, 2]))) == [1, 2]
    tap.finish()
    assert len(done) == 1 and done[0].items == [1, 2] and done[0].complete


# -- the replaying side ------------------------------------------------------------------------
def test_a_replayed_stream_read_past_its_items_raises_what_end_gives_for_their_number() -> None:
    told: list[int] = []

    def end(items: int) -> BaseException:
        told.append(items)
        return LookupError("read past the recording")

    stream = RecordedStream(items=["a", "b"]).replayed(end)
    assert [next(stream), next(stream)] == ["a", "b"]
    with pytest.raises(LookupError, match="read past the recording"):
        next(stream)
    assert told == [2]


def test_an_async_replayed_stream_waits_to_be_cancelled_before_it_raises_past_its_items() -> None:
    told: list[Any] = []

    def end(items: int) -> BaseException:
        told.append(items)
        return LookupError("read past the recording")

    async def wait() -> None:
        told.append("waited")

    async def read() -> list[Any]:
        stream = RecordedStream(items=["a"], is_async=True).replayed(end, wait)
        items = []
        with pytest.raises(LookupError, match="read past the recording"):
            async for item in stream:
                items.append(item)
        return items

    assert asyncio.run(read()) == ["a"]
    assert told == ["waited", 1]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_replayed_sdk_stream_read_to_its_end_closes_its_response(is_async: bool) -> None:
    import httpx
    import openai

    from pytest_clearstone.codec.naming import class_path

    async def body() -> AsyncIterator[bytes]:
        yield b""

    # (a body still to be read: the response is open until the stream closes it)
    content = body() if is_async else iter([b""])
    response = httpx.Response(200, headers={"x-request-id": "r1"}, content=content)
    assert not response.is_closed
    stream_class = class_path(openai.AsyncStream if is_async else openai.Stream)
    record = RecordedStream(["a"], is_async, stream_class, response, complete=True)
    stream = record.replayed()
    assert type(stream) is (openai.AsyncStream if is_async else openai.Stream)
    assert stream.response.headers["x-request-id"] == "r1"

    async def read_async() -> list[Any]:
        return [item async for item in stream]

    assert (asyncio.run(read_async()) if is_async else list(stream)) == ["a"]
    assert response.is_closed


def test_a_class_named_as_an_sdk_stream_without_its_methods_is_no_stream() -> None:
    class Stream:  # (the agent's own, named as the SDKs' are)
        def __init__(self) -> None:
            self.response = "r"

    assert not is_stream(Stream())
    assert not is_stream(openai.Stream.__new__(openai.Stream))  # (made, not given a response)


def test_an_sdk_jsonl_decoder_is_recorded_as_the_lines_read_and_replayed_as_one() -> None:
    import httpx2
    from anthropic._decoders.jsonl import JSONLDecoder

    from pytest_clearstone.golden.streams import tap

    lines = iter([b'{"n": 1}\n', b'{"n": 2}\n'])
    decoder = JSONLDecoder(raw_iterator=lines, line_type=object, http_response=httpx2.Response(200))
    done: list[RecordedStream] = []
    value, _ = tap(decoder, _step, lambda record, error: done.append(record))
    assert value is decoder and list(decoder) == [{"n": 1}, {"n": 2}]
    assert done[0].items == [{"n": 1}, {"n": 2}] and done[0].complete
    replayed = done[0].replayed()
    assert type(replayed) is JSONLDecoder and list(replayed) == [{"n": 1}, {"n": 2}]


def test_an_sdk_stream_subclass_with_its_own_stream_method_runs_it_on_the_replayed_events() -> None:
    import httpx

    from pytest_clearstone.codec.naming import class_path

    record = RecordedStream(["a", "b"], False, class_path(Tallied), httpx.Response(200), True)
    stream = record.replayed()
    assert isinstance(stream, Tallied)
    assert list(stream) == [(1, "a"), (2, "b")]


def test_a_stream_that_raises_while_read_hands_over_the_items_read_and_the_error() -> None:
    done: list[tuple[RecordedStream, BaseException | None]] = []

    def live() -> Iterator[int]:
        yield 1
        raise ConnectionError("dropped")

    tap = StreamTap(RecordedStream(), _step, lambda record, error: done.append((record, error)))
    with pytest.raises(ConnectionError):
        list(tap.sync(live()))
    record, error = done[0]
    assert record.items == [1] and not record.complete
    assert isinstance(error, ConnectionError)


def test_an_async_stream_read_to_its_end_or_cancelled_while_read_is_recorded_so() -> None:
    done: list[tuple[RecordedStream, BaseException | None]] = []

    async def live(cancelled: bool) -> AsyncIterator[int]:
        yield 1
        if cancelled:
            raise asyncio.CancelledError  # (the agent's timeout, while it waits for the next)

    async def read(cancelled: bool) -> None:
        tap = StreamTap(
            RecordedStream(is_async=True), _step, lambda record, error: done.append((record, error))
        )
        async for _ in tap.asynchronous(live(cancelled)):
            pass

    asyncio.run(read(cancelled=False))
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(read(cancelled=True))
    (ended, no_error), (cut, error) = done
    assert ended.items == [1] and ended.complete and no_error is None
    assert cut.items == [1] and not cut.complete and isinstance(error, asyncio.CancelledError)


def test_an_sdk_stream_whose_response_has_no_request_is_recorded_without_one() -> None:
    import httpx

    from pytest_clearstone.golden.streams import tap

    response = httpx.Response(200, headers={"content-type": "text/event-stream"})
    client = openai.OpenAI(api_key="sk-test", base_url="http://localhost")
    stream = openai.Stream(cast_to=object, response=response, client=client)
    _, stream_tap = tap(stream, _step, lambda record, error: None)
    assert stream_tap is not None
    assert stream_tap.record.response.status_code == 200
