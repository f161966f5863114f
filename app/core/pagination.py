"""Keyset pagination: capped pages, always ordered, stable while rows are inserted.

A page is ordered by columns that are unique together and never change (e.g. created_at, id), so
a cursor, the key of the last row served, points to the same place however many rows arrive.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import sqlalchemy as sa
from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import InvalidInputError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class PageParams(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    cursor: str | None = Field(
        None, max_length=512, description="`next_cursor` of the previous page."
    )


PageParamsDep = Annotated[PageParams, Query()]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    column_type = column.property.columns[0].type
    # A TypeDecorator (UTCDateTime) reports `object`; the type it decorates knows better.
    return getattr(column_type, "impl", column_type).python_type  # type: ignore[no-any-return]


def _decode_value(raw: Any, python_type: type) -> Any:
    if python_type in (datetime, uuid.UUID):
        if not isinstance(raw, str):
            raise TypeError(f"expected {python_type.__name__} as a string")
        return datetime.fromisoformat(raw) if python_type is datetime else uuid.UUID(raw)
    if not isinstance(raw, python_type):
        raise TypeError(f"expected {python_type.__name__}")
    return raw


def encode_cursor(values: Sequence[Any]) -> str:
    payload = json.dumps([_encode_value(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    return decode_values(cursor, [_python_type(column) for column in key])


def decode_values(cursor: str, types: Sequence[type]) -> list[Any]:
    """The values a cursor holds, one of each of `types` (e.g. a score and an id)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong length")
        return [
            _decode_value(value, python_type) for value, python_type in zip(raw, types, strict=True)
        ]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInputError("The cursor is not valid; start again without it.") from exc


def keyset_page(
    session: Session,
    statement: SelectOfScalar[T],
    *,
    key: Sequence[InstrumentedAttribute[Any]],
    params: PageParams,
    descending: bool = False,
    seek: Sequence[InstrumentedAttribute[Any]] | None = None,
) -> Page[T]:
    """One page of `statement`, ordered by `key`, after the row `params.cursor` names.

    `seek`, when given, are columns of another table in the query holding the same values as
    `key` on every row it selects (a copy an index walks in this order): the page is ordered
    and sought by them instead, while its cursors still hold, and are read from, `key`.
    """
    walked = seek or key
    if params.cursor is not None:
        # Bound with each column's own type, so a timestamp is stored and compared alike.
        after = sa.tuple_(
            *(
                sa.literal(value, type_=column.property.columns[0].type)
                for value, column in zip(decode_cursor(params.cursor, key), walked, strict=True)
            )
        )
        position = sa.tuple_(*walked)
        statement = statement.where(position < after if descending else position > after)
    order = [column.desc() if descending else column.asc() for column in walked]
    rows = list(session.exec(statement.order_by(*order).limit(params.limit + 1)).all())
    items = rows[: params.limit]
    next_cursor = None
    if len(rows) > params.limit:
        last = items[-1]
        next_cursor = encode_cursor([getattr(last, column.key) for column in key])
    return Page(items=items, next_cursor=next_cursor)


def every_page(
    engine: sa.Engine,
    statement: SelectOfScalar[T],
    *,
    key: Sequence[InstrumentedAttribute[Any]],
    seek: Sequence[InstrumentedAttribute[Any]] | None = None,
) -> Iterator[tuple[Session, list[T]]]:
    """Every row of `statement` in `key` order (sought by `seek`, as in `keyset_page`), a page
    at a time, each page read in a short session of its own (yielded with it), so an export of
    any size holds neither memory nor a transaction."""
    params = PageParams(limit=MAX_LIMIT)
    while True:
        with Session(engine) as session:
            page = keyset_page(session, statement, key=key, params=params, seek=seek)
            yield session, page.items
        if page.next_cursor is None:
            return
        params = PageParams(limit=MAX_LIMIT, cursor=page.next_cursor)


def page_response(
    request: Request, response: Response, page: Page[Any], item_model: type[M]
) -> Page[M]:
    """The page as `item_model`s, with the next page advertised in a `Link` header too."""
    link_next(request, response, page.next_cursor)
    return Page[item_model].model_validate(page, from_attributes=True)  # type: ignore[valid-type]


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """Advertise the next page, if there is one, in a `Link` header."""
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
