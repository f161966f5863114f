from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.core.errors import problem_responses
from app.health import service

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = Field(default="ok", examples=["ok"])


@router.get("/healthz", summary="Liveness")
def healthz() -> Health:
    """The process is up and serving requests."""
    return Health()


@router.get("/readyz", summary="Readiness", responses=problem_responses(503))
def readyz(request: Request) -> Health:
    """The database answers and its schema is at the latest migration."""
    service.check_ready(request.app.state.engine)
    return Health()
