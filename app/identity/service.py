"""Accounts and authentication: they return models and raise domain errors, never HTTP ones."""

import secrets
from dataclasses import dataclass

from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, func, select

from app.core.errors import AuthenticationError, ConflictError, InvalidInputError
from app.core.security import hash_password, verify_password
from app.identity.models import Role, User

GENERATED_PASSWORD_BYTES = 18
_email_adapter: TypeAdapter[str] = TypeAdapter(EmailStr)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str) -> str:
    try:
        return normalise_email(_email_adapter.validate_python(email))
    except PydanticValidationError as exc:
        raise InvalidInputError("Not a valid e-mail address.") from exc


def get_user_by_email(session: Session, *, email: str) -> User | None:
    if "\x00" in email:  # no account has one, and PostgreSQL refuses it in a query
        return None
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def authenticate(session: Session, *, email: str, password: str) -> User:
    """Return the active user these credentials belong to.

    Every failure, unknown e-mail, wrong password or deactivated account, says the same thing and
    costs one password verification, so neither the message nor the timing tells them apart.
    """
    user = get_user_by_email(session, email=email)
    password_ok = verify_password(password, user.password_hash if user else None)
    if user is None or not password_ok or not user.is_active:
        raise AuthenticationError("Incorrect e-mail or password.")
    return user


def create_user(session: Session, *, email: str, full_name: str, password: str, role: Role) -> User:
    email = _valid_email(email)
    if get_user_by_email(session, email=email) is not None:
        raise ConflictError("A user with this e-mail already exists.")
    user = User(
        email=email,
        full_name=full_name,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.commit()
    return user


@dataclass(frozen=True)
class NewAdmin:
    user: User
    generated_password: str | None


def create_admin(session: Session, *, email: str, full_name: str, password: str | None) -> NewAdmin:
    """Create an admin; without a password one is generated and returned, to be shown once."""
    generated: str | None = None
    if password is None:
        password = generated = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    user = create_user(
        session, email=email, full_name=full_name, password=password, role=Role.admin
    )
    return NewAdmin(user=user, generated_password=generated)


def ensure_bootstrap_admin(
    session: Session, *, email: str, password: str | None
) -> NewAdmin | None:
    """On a database with no users, create the first admin; otherwise do nothing."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return None
    return create_admin(
        session, email=email, full_name="Secretariat administrator", password=password
    )
