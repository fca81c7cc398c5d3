"""Buffered log lines (OBSCODE_LOG_FLUSH_INTERVAL): late by at most the interval, never lost on close."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from pathlib import Path

import pytest

from instrumentation.config import ConfigError, InstrumentationConfig
from instrumentation.logs import StructuredFormatter, StructuredHandler


def handler_on(path: Path, interval: float) -> StructuredHandler:
    handler = StructuredHandler(open(path, "a", encoding="utf-8"), interval)  # noqa: SIM115
    handler.setFormatter(StructuredFormatter("json", service="api"))
    return handler


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_info_lines_wait_in_the_buffer_and_arrive_within_the_interval(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, 1.0)
    try:
        handler.write_line('{"n":1}')
        assert read(path) == ""  # the flusher's first turn is a second away
        deadline = time.monotonic() + 10
        while read(path) == "" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert read(path) == '{"n":1}\n'
    finally:
        handler.close()
        handler.stream.close()


def test_a_warning_flushes_itself_and_every_line_before_it(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, 60)
    logger = logging.getLogger("tests.flush")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("first")
        logger.warning("second")
        assert [line.split('"message":"')[1].split('"')[0] for line in read(path).splitlines()] == ["first", "second"]
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        handler.close()
        handler.stream.close()


def test_close_flushes_what_is_buffered(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, 60)
    handler.write_line('{"n":2}')
    handler.close()
    handler.stream.close()
    assert read(path) == '{"n":2}\n'


def test_every_line_is_flushed_by_default(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, InstrumentationConfig().log_flush_interval)
    try:
        handler.write_line('{"n":3}')
        assert read(path) == '{"n":3}\n'
    finally:
        handler.close()
        handler.stream.close()


@pytest.mark.parametrize("raw, message", [
    ("-1", "OBSCODE_LOG_FLUSH_INTERVAL=-1.0 must be between 0 and 60 seconds"),
    ("soon", "OBSCODE_LOG_FLUSH_INTERVAL='soon' is not a number"),
])
def test_bad_flush_interval_is_refused_with_a_clear_message(raw, message):
    with pytest.raises(ConfigError) as error:
        InstrumentationConfig.from_env({"OBSCODE_LOG_FLUSH_INTERVAL": raw})
    assert str(error.value) == message


def test_buffered_access_lines_of_an_app_are_all_written_on_uninstrument(serve, tmp_path):
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"message": "hello"}

    served = serve(app, log_flush_interval=60)
    for _ in range(5):
        served.client.get("/hello")
    served.handle.uninstrument()
    assert len(served.access_logs()) == 5


def test_lines_written_on_an_event_loop_are_flushed_together_at_the_end_of_its_pass(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, InstrumentationConfig().log_flush_interval)

    async def requests() -> tuple[str, str, str]:
        handler.write_line('{"n":1}')
        handler.write_line('{"n":2}')
        during = read(path)
        await asyncio.sleep(0)  # the loop's next pass starts with the flush
        after = read(path)
        handler.write_line('{"n":3}', logging.WARNING)
        return during, after, read(path)

    try:
        during, after, warned = asyncio.run(requests())
        assert during == ""
        assert after == '{"n":1}\n{"n":2}\n'
        assert warned == '{"n":1}\n{"n":2}\n{"n":3}\n'  # WARNING and above: at once
    finally:
        handler.close()
        handler.stream.close()


def test_a_loop_closed_before_its_pass_ended_does_not_hold_back_later_lines(tmp_path):
    path = tmp_path / "app.log"
    handler = handler_on(path, 0)
    loop = asyncio.new_event_loop()

    async def write(n: int) -> None:
        handler.write_line(f'{{"n":{n}}}')

    try:
        task = loop.create_task(write(1))
        loop.call_soon(loop.stop)
        loop.run_forever()  # runs the task, stops before the pass-end flush it scheduled
        assert task.done() and read(path) == ""
        loop.close()
        handler.write_line('{"n":2}')  # off-loop: flushed at once, with the line before it
        assert read(path) == '{"n":1}\n{"n":2}\n'
        asyncio.run(write(3))
        assert read(path) == '{"n":1}\n{"n":2}\n{"n":3}\n'
    finally:
        handler.close()
        handler.stream.close()


def test_access_lines_queued_on_a_loop_are_written_at_the_pass_end_in_order_and_as_formatted(tmp_path):
    """format_later: lines queued during a pass are formatted then, as the same text, between the lines around them."""
    path = tmp_path / "access.log"
    handler = handler_on(path, 0.0)
    formatter = handler.formatter
    access = [
        ("GET", "/items/{item_id}", 200, 1.25, "10.0.0.1",
         "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 1700000000.5),
        ("POST", "/items", 201, 0.5, None, None, None, 1700000001.25),
    ]

    async def one_pass() -> str:
        handler.write_line('{"n":1}')
        assert handler.format_later(formatter.json_access_line, access[0])
        handler.write_line('{"n":2}')
        assert handler.format_later(formatter.json_access_line, access[1])
        during = read(path)
        await asyncio.sleep(0)  # the pass ends; its flush runs
        assert during == ""
        return read(path)

    try:
        written = asyncio.run(one_pass())
        expected = ['{"n":1}', formatter.json_access_line(*access[0]), '{"n":2}',
                    formatter.json_access_line(*access[1])]
        assert written.splitlines() == expected
        assert json.loads(expected[1])["context"] == {
            "method": "GET", "path": "/items/{item_id}", "status": 200, "duration_ms": 1.25, "client": "10.0.0.1",
        }
        assert not handler.format_later(formatter.json_access_line, access[0])  # off the loop: the caller writes it
    finally:
        handler.close()
        handler.stream.close()


def test_queued_access_lines_are_written_on_close(tmp_path):
    path = tmp_path / "access.log"
    handler = handler_on(path, 0.0)
    fields = ("GET", "/", 200, 1.0, None, None, None, 1700000000.0)

    async def queue_and_close() -> None:
        assert handler.format_later(handler.formatter.json_access_line, fields)
        handler.close()  # before the pass ends, as at shutdown

    asyncio.run(queue_and_close())
    handler.stream.close()
    assert read(path) == handler.formatter.json_access_line(*fields) + "\n"


def test_an_entry_that_cannot_be_formatted_is_counted_and_the_others_are_written(tmp_path):
    from instrumentation import errors
    from instrumentation.catalog import INSTRUMENTATION_ERRORS
    from instrumentation.metrics import MetricsPipeline

    pipeline = MetricsPipeline()
    errors.register(pipeline, pipeline.instrument(INSTRUMENTATION_ERRORS))
    path = tmp_path / "access.log"
    handler = handler_on(path, 0.0)
    formatter = handler.formatter
    odd_client = ("GET", "/", 200, 1.0, ipaddress.ip_address("10.0.0.1"), None, None, 1700000000.0)
    broken = ("GET", "/", 200)  # too few arguments: raises

    async def one_pass() -> None:
        handler.write_line('{"n":1}')
        assert handler.format_later(formatter.json_access_line, odd_client)
        assert handler.format_later(formatter.json_access_line, broken)
        handler.write_line('{"n":2}')
        await asyncio.sleep(0)

    try:
        asyncio.run(one_pass())
        lines = read(path).splitlines()
        assert lines[0] == '{"n":1}' and lines[2] == '{"n":2}' and len(lines) == 3
        assert json.loads(lines[1])["context"]["client"] == "10.0.0.1"
        assert handler._pending == []
        assert 'component="log_sink"} 1.0' in pipeline.exposition().decode()
    finally:
        handler.close()
        handler.stream.close()


def test_nothing_is_queued_on_a_closed_handler(tmp_path):
    handler = handler_on(tmp_path / "access.log", 0.0)
    handler.close()
    fields = ("GET", "/", 200, 1.0, None, None, None, 1700000000.0)

    async def after_close() -> bool:
        return handler.format_later(handler.formatter.json_access_line, fields)

    assert asyncio.run(after_close()) is False
    handler.stream.close()


def test_a_loop_that_stopped_before_its_flush_queues_nothing_more_and_another_loop_takes_over(tmp_path):
    """The handler remembers the loop it last queued on (asking asyncio costs a system call):
    once that loop stops, lines written off-loop are written at once, and a new loop in the
    same thread gets a pass-end flush of its own, which writes everything waiting."""
    path = tmp_path / "app.log"
    handler = handler_on(path, 0.0)
    first = asyncio.new_event_loop()
    second = asyncio.new_event_loop()

    async def queue_then_stop(line: str) -> None:
        assert handler.write_later(line)
        asyncio.get_running_loop().stop()  # the loop exits before the pass-end flush runs

    async def queue_one(line: str) -> None:
        assert handler.write_later(line)

    try:
        task = first.create_task(queue_then_stop('{"n":1}'))
        first.run_forever()
        assert task.done() and read(path) == ""  # queued, its flush never ran
        assert not handler.write_later('{"n":2}')  # off the loop now: the caller writes it
        handler.write_line('{"n":2}')
        assert read(path).splitlines() == ['{"n":1}', '{"n":2}']
        second.run_until_complete(queue_one('{"n":3}'))
        assert read(path).splitlines() == ['{"n":1}', '{"n":2}', '{"n":3}']
    finally:
        first.close()
        second.close()
        handler.close()
        handler.stream.close()


def test_a_loop_handed_to_another_thread_is_not_used_for_lines_written_off_it(tmp_path):
    """A loop first run in this thread, then by another: this thread's lines are written at
    once, not queued on the other thread's loop; that loop's own lines flush at its pass end."""
    import threading

    path = tmp_path / "app.log"
    handler = handler_on(path, 0.0)
    loop = asyncio.new_event_loop()

    async def queue_one(line: str) -> None:
        assert handler.write_later(line)

    try:
        loop.run_until_complete(queue_one('{"n":1}'))
        runner = threading.Thread(target=loop.run_forever, daemon=True)
        runner.start()
        assert not handler.write_later('{"n":2}')  # this thread runs no loop now
        asyncio.run_coroutine_threadsafe(queue_one('{"n":3}'), loop).result(timeout=10)
        deadline = time.monotonic() + 10
        while len(read(path).splitlines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert read(path).splitlines() == ['{"n":1}', '{"n":3}']
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(timeout=10)
        loop.close()
        handler.close()
        handler.stream.close()


def test_a_child_forked_on_the_loop_writes_its_own_lines_and_not_the_parents_waiting_ones(tmp_path):
    """The child of a fork made inside a coroutine does not run the parent's loop: its lines are
    written at once, and lines the parent had queued for the pass end are left to the parent."""
    import os

    path = tmp_path / "app.log"
    handler = handler_on(path, 0.0)

    async def fork_with_a_line_waiting() -> int:
        assert handler.write_later('{"from":"parent, queued"}')
        pid = os.fork()
        if pid == 0:  # the child: write one line off any loop, then leave without cleanup
            code = 0 if not handler.write_later('{"from":"child"}') else 3
            handler.write_line('{"from":"child"}')
            os._exit(code)
        return pid

    try:
        pid = asyncio.run(fork_with_a_line_waiting())
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the child queued its line on the parent's loop"
        assert sorted(read(path).splitlines()) == ['{"from":"child"}', '{"from":"parent, queued"}']
    finally:
        handler.close()
        handler.stream.close()
