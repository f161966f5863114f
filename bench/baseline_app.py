"""The yardstick: a bare FastAPI app answering a constant JSON, served as `caucus serve` serves
the API (same uvicorn loop, HTTP parser, logging and options), so that the harness can report
each endpoint's throughput as a share of what FastAPI alone manages on the same machine.

    .venv/bin/python bench/baseline_app.py --port 8100 --workers 1
"""

import argparse

import uvicorn
from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging import logging_config

app = FastAPI()


@app.get("/")
async def constant() -> dict[str, str]:
    """FastAPI's first example: an `async def` endpoint, no thread hop."""
    return {"status": "ok"}


@app.get("/sync")
def constant_in_threadpool() -> dict[str, str]:
    """The same from a plain `def`, run in the threadpool as the API's endpoints are."""
    return {"status": "ok"}


def serve(app_path: str, *, factory: bool = False) -> None:
    """Serve the app at `app_path` (with `factory`, the function that makes it) as `caucus serve`
    serves the API (mirrors app/cli.py)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        app_path,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_config=logging_config(Settings()),
        proxy_headers=True,
        server_header=False,
        factory=factory,
    )


if __name__ == "__main__":
    serve("bench.baseline_app:app")
