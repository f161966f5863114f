"""Who is calling: the bearer token turned into a principal, for endpoints to depend on."""

import uuid
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.errors import AuthenticationError
from app.core.security import InvalidTokenError, decode_token
from app.identity.models import User

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_current_principal(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if token is None:
        raise AuthenticationError("Not authenticated: send a bearer token.")
    try:
        claims = decode_token(settings, token)
        user_id = uuid.UUID(claims.subject)
    except (InvalidTokenError, ValueError) as exc:
        raise AuthenticationError("The token is invalid or has expired.") from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("The token is invalid or has expired.")
    return user


CurrentPrincipal = Annotated[User, Depends(get_current_principal)]
