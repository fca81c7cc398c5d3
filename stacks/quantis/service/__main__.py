"""``python -m stacks.quantis.service``: run the demo service with uvicorn (settings from env)."""

from __future__ import annotations

import uvicorn

from stacks.quantis.service.app import create_app
from stacks.quantis.service.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings.from_env()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_config=None, access_log=False, lifespan="on")


if __name__ == "__main__":
    main()
