"""What the application does as it starts and stops serving."""

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_what_the_app_was_built_of_is_out_of_full_collections_only_while_it_serves(
    app: FastAPI,
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        # Its routes, schemas and settings among them: a full collection walks none of them.
        assert gc.get_freeze_count() > len(app.routes)
    assert gc.get_freeze_count() == 0
