"""The record lifecycle over HTTP: ETags, If-Match, Idempotency-Key, CSV, and the routes every
record type has (read, delete, restore, revisions), declared once for all of them."""

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request, Response, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session
from starlette import types as asgi
from starlette.datastructures import URLPath

from app.core.db import SessionDep
from app.core.errors import ConflictError, InvalidInputError, problem_responses
from app.core.pagination import (
    Page,
    PageParams,
    PageParamsDep,
    every_page,
    keyset_page,
    link_next,
    page_response,
)
from app.core.schemas import Timestamp
from app.identity.dependencies import (
    AuthenticatedRoute,
    ReadPrincipal,
    authenticate_request,
    require_scopes,
)
from app.identity.models import Scope
from app.identity.service import Principal
from app.records import export, idempotency, service
from app.records.models import IdempotencyKey, Record, RevisionPublic
from app.records.service import RecordKind

IfMatch = Annotated[
    str | None,
    Header(
        description="The `ETag` you read. If the record changed since, the write is refused "
        "with 412 and nothing changes.",
        examples=['"3"'],
    ),
]
UpdatedSince = Annotated[
    Timestamp | None,
    Query(description="Only records changed at or after this time (RFC 3339)."),
]
IncludeDeleted = Annotated[
    bool, Query(description="Also list deleted records (secretariat admins only).")
]

_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"

logger = logging.getLogger(__name__)


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            pattern=_KEY_PATTERN,
            description="Any unique string, e.g. a UUID. A retry with the same key and body "
            "gets the first response and creates nothing; kept 24 hours, per caller.",
            examples=["7f1e4b0a-2f4c-4c59-9d1e-3b1c6f0e9a21"],
        ),
    ] = None,
) -> str | None:
    """Declares the header; `RecordRoute` does the work, since it needs the response."""
    return key


IdempotencyKeyDep = Annotated[str | None, Depends(idempotency_key)]


def _honours_idempotency(dependant: Dependant) -> bool:
    return any(
        sub.call is idempotency_key or _honours_idempotency(sub) for sub in dependant.dependencies
    )


class RecordRoute(AuthenticatedRoute):
    """Authenticates before the body is read, and replays POSTs made with an Idempotency-Key."""

    # The record type the routes answer with, so that a replay is shown as the caller may read
    # the record now (see `record_route`).
    kind: RecordKind[Any] | None = None

    def admitted_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().admitted_handler()
        if not _honours_idempotency(self.dependant):
            return handler

        async def handle_once(request: Request) -> Response:
            key = request.headers.get(idempotency.HEADER)
            if key is None or len(key) > 255:
                return await handler(request)  # a key too long is refused by validation
            principal = await authenticate_request(request)
            engine = request.app.state.engine
            # Claims, stores and releases write: on SQLite they must take the write lock up
            # front, or one that reads first fails when another writer commits meanwhile.
            keys_engine = request.app.state.writing_engine
            fingerprint = idempotency.fingerprint(
                request.method, request.url.path, await request.body()
            )
            outcome, stored = await run_in_threadpool(
                idempotency.claim,
                keys_engine,
                caller=principal.key,
                key=key,
                fingerprint=fingerprint,
            )
            if outcome is idempotency.Claim.mismatch:
                raise InvalidInputError(
                    "This Idempotency-Key was used for a different request; use a new key."
                )
            if outcome is idempotency.Claim.written and self.kind is not None:
                return await run_in_threadpool(
                    self._replay_written, request, engine, principal, stored
                )
            if outcome in (idempotency.Claim.in_progress, idempotency.Claim.written):
                raise ConflictError(
                    "A request with this Idempotency-Key is still being handled; retry shortly."
                )
            if outcome is idempotency.Claim.replay:
                assert stored.status_code is not None  # noqa: S101 - a replay has its response
                content = stored.response_body
                if self.kind is not None and content:
                    content = await run_in_threadpool(
                        _as_readable_now, engine, principal, self.kind, content
                    )
                return Response(
                    content=content,
                    status_code=stored.status_code,
                    headers={**stored.response_headers, idempotency.REPLAY_HEADER: "true"},
                )
            # A refused request frees its key, but only once the endpoint's session is closed:
            # until then it may hold a transaction (on SQLite, the write lock) the release
            # would wait on. FastAPI closes that session before this request-wide stack.
            after_endpoint = request.scope["fastapi_inner_astack"]
            release = partial(run_in_threadpool, idempotency.release, keys_engine, claimed=stored)
            try:
                with idempotency.attempting(stored, self.kind.name if self.kind else ""):
                    response = await handler(request)
            except BaseException:
                after_endpoint.push_async_callback(release)
                raise
            if not 200 <= response.status_code < 300:
                after_endpoint.push_async_callback(release)
                return response
            kept = {
                name: value
                for name, value in response.headers.items()
                if name in idempotency.KEPT_HEADERS
            }

            async def remember() -> None:
                try:
                    await run_in_threadpool(
                        idempotency.remember,
                        keys_engine,
                        caller=principal.key,
                        key=key,
                        status_code=response.status_code,
                        body=bytes(response.body),
                        headers=kept,
                    )
                except sa.exc.SQLAlchemyError:
                    # The write is committed and its key names the record: a retry is answered
                    # from it, so the response is not withheld for want of a stored copy.
                    logger.warning("idempotent response not stored", exc_info=True)

            return _RememberedBeforeSent(response, remember)

        return handle_once

    def _replay_written(
        self, request: Request, engine: sa.Engine, principal: Principal, claimed: IdempotencyKey
    ) -> Response:
        """The answer to a retry of a request that wrote its record but died before its
        response was stored: the record as the caller may read it now."""
        assert self.kind is not None  # noqa: S101 - only record routes hold records
        assert claimed.record_id is not None  # noqa: S101 - a written claim names its record
        kind = self.kind
        with Session(engine) as session:
            row = service.find(
                session, kind, principal, service.record_id_is(kind, claimed.record_id)
            )
            [readable] = kind.present(session, principal, [kind.snapshot(row)])
        headers = {"ETag": service.etag(row), idempotency.REPLAY_HEADER: "true"}
        if self.status_code == status.HTTP_201_CREATED:
            headers["Location"] = url_of(request, f"read_{kind.name}", record_id=row.id)
        return JSONResponse(readable, status_code=self.status_code or 200, headers=headers)


def record_route(kind: RecordKind[Any]) -> type[RecordRoute]:
    """The route class of a record type's router."""
    return type(f"{kind.name.title().replace('_', '')}Route", (RecordRoute,), {"kind": kind})


def _as_readable_now(
    engine: sa.Engine, principal: Principal, kind: RecordKind[Any], body: bytes
) -> bytes:
    """A stored response's record as the caller may read it now: what it may no longer see
    (a testimony whose consent was withdrawn since) is not replayed."""
    record = json.loads(body)
    if not isinstance(record, dict) or "id" not in record:
        return body
    with Session(engine) as session:
        [readable] = kind.present(session, principal, [record])
    # Rendered as the first response was, so a replay of an unchanged record is the same bytes.
    return bytes(JSONResponse(readable).body)


class _RememberedBeforeSent(Response):
    """A response stored for replays just before it is sent.

    Not earlier: until FastAPI closes the endpoint's session, after this route's handler
    returns, that session may still hold a transaction (on SQLite, the write lock) that the
    store would wait on. Not later: a client retrying as soon as it has the response must find
    it stored, not still in progress.
    """

    def __init__(self, response: Response, remember: Callable[[], Awaitable[None]]) -> None:
        self.__dict__.update(response.__dict__)
        self._remember = remember

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await self._remember()
        await super().__call__(scope, receive, send)


def answer(
    content: dict[str, Any], response: Response, status_code: int = status.HTTP_200_OK
) -> Response:
    """`content`, the JSON form of a model dumped once validated, as the JSON answer, with
    the headers set on `response`.

    The route still declares the model (for the OpenAPI), but FastAPI does not validate and
    serialise it again, a second pass over every record it holds.
    """
    answered = Response(to_json(content), status_code, media_type="application/json")
    # After the body's own headers, where FastAPI puts those of `response`.
    answered.headers.raw.extend(response.headers.raw)
    return answered


def present(
    response: Response,
    session: Session,
    principal: Principal,
    kind: RecordKind[Any],
    row: Record,
    *,
    new: bool = False,
) -> dict[str, Any]:
    """One record as the caller may read it, its version sent as the ETag; a `new` one was
    created by this request."""
    response.headers["ETag"] = service.etag(row)
    return kind.present(session, principal, [kind.snapshot(row)], new=new)[0]


# The path of each route named (with a slot for each path parameter) that a Location was made
# for, kept in the app's state: `url_for` finds the route by walking every route of the app,
# about a tenth of a create's time.
_ROUTE_PATHS = "located_route_paths"


def _slot(parameter: str) -> str:
    return "{" + parameter + "}"


def url_of(request: Request, name: str, **path_params: Any) -> str:
    """`request.url_for(name, **path_params)` as a string, the named route found once."""
    router = request.scope.get("router") or request.scope["app"]
    paths: dict[tuple[Any, ...], URLPath] | None = getattr(request.app.state, _ROUTE_PATHS, None)
    if paths is None:
        paths = {}
        setattr(request.app.state, _ROUTE_PATHS, paths)
    key = (id(router), name, *sorted(path_params))
    template = paths.get(key)
    if template is None:
        # Each value is a slot in the path, which the values fill below as the route's string
        # convertors would (`str`).
        slots = {parameter: _slot(parameter) for parameter in path_params}
        template = paths[key] = router.url_path_for(name, **slots)
    path = str(template)
    for parameter, value in path_params.items():
        path = path.replace(_slot(parameter), str(value))
    located = URLPath(path, protocol=template.protocol, host=template.host)
    return str(located.make_absolute_url(base_url=request.base_url))


def created(
    request: Request,
    response: Response,
    session: Session,
    principal: Principal,
    kind: RecordKind[Any],
    row: Record,
    **path_params: Any,
) -> Response:
    """A new record as the caller may read it (201), with its ETag and the Location it can be
    read at; answered as in `answer`, which spares FastAPI's validation a thread hop."""
    response.headers["Location"] = url_of(request, f"read_{kind.name}", **path_params)
    readable = present(response, session, principal, kind, row, new=True)
    return answer(readable, response, status.HTTP_201_CREATED)


Presenter = Callable[[Session, list[Any]], list[dict[str, Any]]]


def listing(
    request: Request,
    response: Response,
    session: Session,
    statement: Any,
    params: PageParams,
    *,
    key: Sequence[InstrumentedAttribute[Any]],
    public_model: type[BaseModel],
    name: str,
    presenter: Presenter | None = None,
    seek: Sequence[InstrumentedAttribute[Any]] | None = None,
) -> Any:
    """A page of `statement` as JSON, or every row as `<name>.csv` if the caller asked for it.

    `presenter` turns a page of rows into what the caller may read; by default, `public_model`.
    `seek` is what the pages are sought by instead of `key` (see `keyset_page`).
    """

    def as_public(page_session: Session, rows: list[Any]) -> list[dict[str, Any]]:
        return [public_model.model_validate(row).model_dump(mode="json") for row in rows]

    present_rows = presenter or as_public
    if export.wants_csv(request):
        # The export reads in sessions of its own while the response streams; the request's
        # session lets its connection go now, so one export never holds two of the pool's.
        session.close()
        columns = list(public_model.model_fields)
        rows = (
            item
            for page_session, batch in every_page(
                request.app.state.engine, statement, key=key, seek=seek
            )
            for item in present_rows(page_session, batch)
        )
        return export.csv_response(columns, rows, filename=name)
    page = keyset_page(session, statement, key=key, params=params, seek=seek)
    items = present_rows(session, page.items)
    link_next(request, response, page.next_cursor)
    # The items are in the public model's JSON form already, dumped from it once validated:
    # validating the page of them again cost as much as reading their parties.
    return answer({"items": items, "next_cursor": page.next_cursor}, response)


def collection(
    request: Request,
    response: Response,
    session: Session,
    principal: Principal,
    kind: RecordKind[Any],
    statement: Any,
    params: PageParams,
    *,
    seek: Sequence[InstrumentedAttribute[Any]] | None = None,
) -> Any:
    """A page of records as JSON, or every one of them as CSV, as the caller may read them;
    `seek` as in `keyset_page`, for a statement that can walk a copy of the record key."""

    def presenter(page_session: Session, rows: list[Any]) -> list[dict[str, Any]]:
        if kind.read_related is not None:
            snapshots = kind.snapshots_of_rows(page_session, rows)
        else:
            snapshots = [kind.snapshot(row) for row in rows]
        return kind.present(page_session, principal, snapshots)

    return listing(
        request,
        response,
        session,
        service.as_rows(kind, statement) if kind.read_related is not None else statement,
        params,
        key=kind.key(),
        public_model=kind.public_model,
        name=kind.plural or kind.name + "s",
        presenter=presenter,
        seek=seek,
    )


def _on_event_loop(
    build: Callable[..., sa.ColumnElement[bool]],
) -> Callable[..., Coroutine[Any, Any, sa.ColumnElement[bool]]]:
    """`build` as a dependency FastAPI calls on the event loop: a plain `def` would cost every
    request a thread hop (about a tenth of a GET by id) for building a condition."""

    async def dependency(**path_params: Any) -> sa.ColumnElement[bool]:
        return build(**path_params)

    # FastAPI reads the path parameters from the signature.
    dependency.__signature__ = inspect.signature(build)  # type: ignore[attr-defined]
    dependency.__name__ = build.__name__
    return dependency


LIFECYCLE_PROBLEMS = (401, 403, 404, 422, 429)


def add_lifecycle_routes(
    router: APIRouter,
    kind: RecordKind[Any],
    *,
    locate: Callable[..., sa.ColumnElement[bool]],
    write_scopes: list[Scope],
    noun: str,
    path: str = "/{record_id}",
) -> None:
    """Read one, delete, restore and revisions for a record type at `path`.

    `locate` takes the path parameters and returns the condition that picks the record, without
    I/O; a caller needs `write_scopes` to delete or restore it.
    """
    where_dep = Annotated[sa.ColumnElement[bool], Depends(_on_event_loop(locate))]
    writer = Annotated[Principal, Security(require_scopes, scopes=write_scopes)]

    @router.get(
        path,
        summary=f"Read {noun}",
        response_model=kind.public_model,
        name=f"read_{kind.name}",
        responses=problem_responses(*LIFECYCLE_PROBLEMS),
    )
    def read_record(
        principal: ReadPrincipal, session: SessionDep, where: where_dep, response: Response
    ) -> Any:
        """One record, with its version as the `ETag` to send back in `If-Match`."""
        snapshot = service.find_snapshot(session, kind, principal, where)
        response.headers["ETag"] = service.version_tag(snapshot["version"])
        [readable] = kind.present(session, principal, [snapshot])
        return answer(readable, response)

    @router.delete(
        path,
        summary=f"Delete {noun}",
        status_code=status.HTTP_204_NO_CONTENT,
        responses=problem_responses(*LIFECYCLE_PROBLEMS, 409, 412),
    )
    def delete_record(
        principal: writer,
        session: SessionDep,
        where: where_dep,
        if_match: IfMatch = None,
    ) -> Response:
        """Soft-delete: hidden from every list and read, kept with its history, restorable."""
        row = service.find(session, kind, principal, where)
        service.delete(session, kind, row, actor=principal.actor, if_match=if_match)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        path + "/restore",
        summary=f"Restore {noun}",
        response_model=kind.public_model,
        responses=problem_responses(*LIFECYCLE_PROBLEMS, 409, 412),
    )
    def restore_record(
        principal: writer,
        session: SessionDep,
        where: where_dep,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        """Bring a deleted record back, as it was when deleted."""
        row = service.find(session, kind, principal, where, deleted=True)
        restored = service.restore(session, kind, row, actor=principal.actor, if_match=if_match)
        return present(response, session, principal, kind, restored)

    @router.get(
        path + "/revisions",
        summary=f"Revisions of {noun}",
        response_model=Page[RevisionPublic],
        responses=problem_responses(*LIFECYCLE_PROBLEMS),
    )
    def list_revisions(
        principal: ReadPrincipal,
        session: SessionDep,
        where: where_dep,
        request: Request,
        response: Response,
        page: PageParamsDep,
    ) -> Any:
        """Every version of the record, newest first: who wrote it, when, and what changed."""
        row = service.find(session, kind, principal, where)
        result = service.revisions(session, kind, row, page)
        if kind.revision_shown is not None:
            # A page may then hold fewer than `limit`; its cursor still leads on.
            shown = [item for item in result.items if kind.revision_shown(principal, item.snapshot)]
            result = Page(items=shown, next_cursor=result.next_cursor)
        snapshots = kind.present(session, principal, [item.snapshot for item in result.items])
        revisions = [
            RevisionPublic.model_validate(
                item,
                update={
                    "snapshot": snapshot,
                    # A change to what the caller may not read is not named either.
                    "changed_fields": [
                        name
                        for name in item.changed_fields
                        if snapshot.get(name) == item.snapshot.get(name)
                    ],
                },
            )
            for item, snapshot in zip(result.items, snapshots, strict=True)
        ]
        presented: Page[RevisionPublic] = Page(items=revisions, next_cursor=result.next_cursor)
        return page_response(request, response, presented, RevisionPublic)
