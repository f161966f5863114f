from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from app.core.db import SessionDep
from app.core.errors import UnsupportedMediaTypeError, problem_responses
from app.identity.dependencies import AdminPrincipal, AuthenticatedRoute
from app.imports import service
from app.imports.models import ImportSummary, ImportType
from app.records.export import CSV_MEDIA_TYPE

router = APIRouter(prefix="/imports", tags=["imports"], route_class=AuthenticatedRoute)

_EXAMPLE = (
    "country,instrument,action,ratified_on,status,sources,visibility\r\n"
    "PH,C189,ratification,2012-09-05,in_force,ILO NORMLEX,public\r\n"
)
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The CSV file, UTF-8, with a header row naming the columns of the type's "
        "export (`Accept: text/csv` on its collection); repeated values joined with `;`.",
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": _EXAMPLE}},
    }
}


async def csv_body(request: Request) -> bytes:
    """The request body, which must be CSV; the body-size limit applies as it is read."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != CSV_MEDIA_TYPE:
        raise UnsupportedMediaTypeError("Send the file as `Content-Type: text/csv`.")
    return await request.body()


@router.post(
    "",
    summary="Import records from CSV",
    response_model=ImportSummary,
    openapi_extra=CSV_BODY,
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422, 429),
)
def import_records(
    principal: AdminPrincipal,
    session: SessionDep,
    import_type: Annotated[
        ImportType, Query(alias="type", description="What the rows are.", examples=["laws"])
    ],
    content: Annotated[bytes, Depends(csv_body)],
    dry_run: Annotated[
        bool, Query(description="Check the file and count what it would do; write nothing.")
    ] = False,
) -> ImportSummary:
    """Check every row, then create or update the records in one transaction; 422 lists each
    error by row and column and writes nothing."""
    return service.import_csv(
        session,
        import_type=import_type,
        content=content,
        actor=principal.actor,
        principal=principal,
        dry_run=dry_run,
    )
