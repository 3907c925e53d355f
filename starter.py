"""The redress API and webhook server.

python starter.py         # listens on REDRESS_API_PORT (8000)
"""

from __future__ import annotations

import uvicorn

from redress.api.app import create_app
from redress.config import Settings
from redress.logs import configure_logging


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
