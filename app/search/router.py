import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Field, SQLModel

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep, link_next
from app.core.schemas import CommaSeparated, SearchText
from app.identity.dependencies import AuthenticatedRoute, ReadPrincipal
from app.records.http import answer, url_of
from app.search import service
from app.search.models import SearchHit, SearchType

router = APIRouter(prefix="/search", tags=["search"], route_class=AuthenticatedRoute)


class SearchQuery(SQLModel):
    q: SearchText = Field(
        description="Words to find. Each finds words that start with it (`worker` finds "
        "`workers`), with or without diacritics; Thai, Khmer, Lao, Myanmar, Chinese or "
        "Japanese text is found anywhere in a run of it. A record must hold them all.",
        schema_extra={"examples": ["domestic workers"]},
    )
    types: Annotated[list[SearchType], CommaSeparated] = Field(
        default_factory=list,
        max_length=len(SearchType),
        description="Only records of these types (repeat the parameter, or separate them by "
        "commas); all six when not given.",
        schema_extra={"examples": [["law", "agreement"]]},
    )


# Stands for a record's id in the link of each type, made once a page.
_ID_SLOT = str(uuid.UUID(int=0))


def _links(request: Request) -> Callable[[SearchType, uuid.UUID], str]:
    """Where to read a record of each type, as `url_of` says, for one request."""
    templates: dict[SearchType, str] = {}

    def link(record_type: SearchType, record_id: uuid.UUID) -> str:
        template = templates.get(record_type)
        if template is None:
            name = f"read_{record_type.value}"
            template = templates[record_type] = url_of(request, name, record_id=_ID_SLOT)
        return template.replace(_ID_SLOT, str(record_id))

    return link


@router.get(
    "",
    summary="Search the records",
    response_model=Page[SearchHit],
    responses=problem_responses(401, 403, 422, 429),
)
def search(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    query: Annotated[SearchQuery, Query()],
) -> Response:
    """Agreements, laws, field-visit reports, activities, recommendations and parliamentarians
    that hold the words: those whose names hold them all first, then the rest, each the most
    recently written first; each with the words around its first match."""
    hits = service.search(session, principal=principal, q=query.q, types=query.types, params=page)
    # Each hit is of plain values already, as `SearchHit`'s JSON has them: validating a page of
    # them (twice, as the page and as the response) cost as much as finding them.
    link = _links(request)
    items = [
        {
            "type": hit.type,
            "id": hit.id,
            "title": hit.title,
            "snippet": hit.snippet,
            "link": link(hit.type, hit.id),
        }
        for hit in hits.items
    ]
    link_next(request, response, hits.next_cursor)
    return answer({"items": items, "next_cursor": hits.next_cursor}, response)
