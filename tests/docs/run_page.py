"""Run the Python examples of one page in this process: ``python -m tests.docs.run_page PAGE``.

tests/docs/test_examples.py starts one process per page, so what an example changes for the whole
process (logging handlers, ``import instrumentation.auto``) stays out of the test run. Exit 1 with
the failing block's page, line and error.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from tests.docs.examples import PREAMBLE, blocks


def main(page: str) -> int:
    namespace: dict = {"__name__": "__docs_example__"}
    exec(PREAMBLE, namespace)
    ran = 0
    for block in blocks(Path(page).resolve()):
        if block.not_run:
            continue
        try:
            exec(compile(block.code, block.where, "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - the report names the block
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"the example at {block.where} fails: {detail}\n{block.code}", file=sys.stderr)
            return 1
        ran += 1
    print(f"{ran} example(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
