"""Pure ASGI middleware: request ids and the request body limit."""

import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is echoed only when it is short and plain, so it cannot smuggle text into logs.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def current_client_address() -> str | None:
    """The caller's address as the server saw it (behind a trusted proxy, the forwarded one)."""
    return _client_address.get()


class RequestIdMiddleware:
    """Give every request an id, echo it in `X-Request-ID`, and expose it and the caller's address
    to logs, errors and the audit log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = sent if _ACCEPTABLE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        # Not reset afterwards: the error handler of Starlette's outermost middleware renders a 500
        # after this call has unwound, and still needs the id. Each request runs in its own task,
        # so the value dies with that task's context.
        _request_id.set(request_id)
        client = scope.get("client")
        _client_address.set(client[0] if client else None)

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_request_id)


class BodySizeLimitMiddleware:
    """Answer 413 once a request body passes the limit, whether or not it declared its length.

    The check sits in `receive`, so it counts what is actually read, chunked bodies included; the
    HTTPException it raises surfaces inside the endpoint and is rendered as a problem document.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        declared_too_large = (
            declared is not None and declared.isdigit() and (int(declared) > self.max_body_bytes)
        )
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared_too_large:
                raise self._too_large()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)

    def _too_large(self) -> HTTPException:
        return HTTPException(
            status_code=413,
            detail=f"The request body is larger than the limit of {self.max_body_bytes} bytes.",
        )
