"""Buffered log lines (OBSCODE_LOG_FLUSH_INTERVAL): late by at most the interval, never lost on close."""

from __future__ import annotations

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
    import asyncio

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
    import asyncio

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
