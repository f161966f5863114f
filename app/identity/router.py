from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.security import create_token
from app.identity import service
from app.identity.dependencies import CurrentPrincipal
from app.identity.models import AccessToken, UserPublic

auth_router = APIRouter(prefix="/auth", tags=["auth"])


@auth_router.post(
    "/token",
    summary="Log in with e-mail and password",
    responses=problem_responses(401, 422),
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> AccessToken:
    """Exchange e-mail (as `username`) and password for a short-lived bearer token."""
    user = service.authenticate(session, email=form.username, password=form.password)
    lifetime = timedelta(minutes=settings.access_token_lifetime_minutes)
    token = create_token(settings, subject=str(user.id), lifetime=lifetime)
    return AccessToken(access_token=token, expires_in=int(lifetime.total_seconds()))


@auth_router.get("/me", summary="Who am I", responses=problem_responses(401))
def read_me(principal: CurrentPrincipal) -> UserPublic:
    """The account the bearer token belongs to."""
    return UserPublic.model_validate(principal)
