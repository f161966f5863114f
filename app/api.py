"""Every domain router, mounted under /api/v1."""

from fastapi import APIRouter

from app.identity.router import auth_router

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(auth_router)
