import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.assessments import service
from app.assessments.models import (
    DEFAULT_RUBRIC_ID,
    AssessmentCreate,
    AssessmentFilters,
    AssessmentPublic,
    AssessmentUpdate,
    Rubric,
    RubricCreate,
    RubricFilters,
    RubricPublic,
    RubricUpdate,
    RubricVersionCreate,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParamsDep
from app.identity.dependencies import (
    AdminPrincipal,
    AuthenticatedRoute,
    ReadPrincipal,
    WritePrincipal,
)
from app.identity.models import Scope
from app.records import service as records
from app.records.export import CSV_RESPONSE
from app.records.http import (
    IdempotencyKeyDep,
    IfMatch,
    add_lifecycle_routes,
    collection,
    created,
    listing,
    present,
    record_route,
)

rubrics_router = APIRouter(prefix="/rubrics", tags=["rubrics"], route_class=AuthenticatedRoute)
assessments_router = APIRouter(
    prefix="/assessments", tags=["assessments"], route_class=record_route(service.KIND)
)

# ---- rubrics --------------------------------------------------------------------------------


def rubric_by_id(
    session: SessionDep,
    rubric_id: Annotated[
        uuid.UUID,
        Path(description="The rubric version's id.", examples=[str(DEFAULT_RUBRIC_ID)]),
    ],
) -> Rubric:
    return service.get_rubric(session, rubric_id=rubric_id)


RubricDep = Annotated[Rubric, Depends(rubric_by_id)]


@rubrics_router.get(
    "",
    summary="List rubrics",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_rubrics(
    _: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[RubricFilters, Query()],
) -> Page[RubricPublic]:
    """Every version of every rubric, by name then version; `default` is the shipped one."""
    return listing(  # type: ignore[no-any-return]
        request,
        response,
        session,
        service.select_rubrics(filters),
        page,
        key=service.RUBRIC_ORDER,  # type: ignore[arg-type]
        public_model=RubricPublic,
        name="rubrics",
    )


@rubrics_router.post(
    "",
    summary="Add a rubric",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_rubric(
    principal: AdminPrincipal, session: SessionDep, data: RubricCreate
) -> RubricPublic:
    """Version 1 of a new rubric (admin); a name already used gets a new version instead."""
    rubric = service.create_rubric(session, actor=principal.actor, data=data)
    return RubricPublic.model_validate(rubric)


@rubrics_router.get(
    "/{rubric_id}", summary="Read a rubric", responses=problem_responses(401, 403, 404, 422, 429)
)
def read_rubric(_: ReadPrincipal, rubric: RubricDep) -> RubricPublic:
    """One version of a rubric, its criteria in order."""
    return RubricPublic.model_validate(rubric)


@rubrics_router.patch(
    "/{rubric_id}",
    summary="Update a rubric version no assessment uses",
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def update_rubric(
    principal: AdminPrincipal, session: SessionDep, rubric: RubricDep, data: RubricUpdate
) -> RubricPublic:
    """Correct a version no assessment uses yet (admin); one in use is refused with 409: make a
    new version of it instead."""
    updated = service.update_rubric(session, actor=principal.actor, rubric=rubric, data=data)
    return RubricPublic.model_validate(updated)


@rubrics_router.post(
    "/{rubric_id}/versions",
    summary="Make a new version of a rubric",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
def create_rubric_version(
    principal: AdminPrincipal, session: SessionDep, rubric: RubricDep, data: RubricVersionCreate
) -> RubricPublic:
    """The next version of the rubric's name (admin), copying from this version what the body
    leaves out; every earlier version is kept as it was."""
    version = service.create_version(session, actor=principal.actor, rubric=rubric, data=data)
    return RubricPublic.model_validate(version)


# ---- assessments ----------------------------------------------------------------------------

RecordId = Annotated[
    uuid.UUID,
    Path(description="The assessment's id.", examples=["8c2f1e0a-4b3d-4f6e-9a7b-1c2d3e4f5a6b"]),
]
STEP_PROBLEMS = problem_responses(401, 403, 404, 409, 412, 422, 429)


def assessment_named(record_id: RecordId) -> sa.ColumnElement[bool]:
    return records.record_id_is(service.KIND, record_id)


@assessments_router.get(
    "",
    summary="List assessments",
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 422, 429)},
)
def list_assessments(
    principal: ReadPrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageParamsDep,
    filters: Annotated[AssessmentFilters, Query()],
) -> Page[AssessmentPublic]:
    """Assessments of the agreements and laws you can see, oldest recorded first: filter by
    `subject_type` and `subject_id` for one subject's over time."""
    statement = service.select_assessments(principal, filters)
    return collection(request, response, session, principal, service.KIND, statement, page)  # type: ignore[no-any-return]


@assessments_router.post(
    "",
    summary="Record an assessment",
    response_model=AssessmentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422, 429),
)
def create_assessment(
    principal: WritePrincipal,
    session: SessionDep,
    request: Request,
    response: Response,
    data: AssessmentCreate,
    _: IdempotencyKeyDep,
) -> Response:
    """A draft assessment of an agreement or law against a rubric version; its score is
    derived from the ratings."""
    assessment = service.create_assessment(
        session, actor=principal.actor, principal=principal, data=data
    )
    return created(
        request, response, session, principal, service.KIND, assessment, record_id=assessment.id
    )


@assessments_router.patch(
    "/{record_id}",
    summary="Update or correct an assessment",
    response_model=AssessmentPublic,
    responses=STEP_PROBLEMS,
)
def update_assessment(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    data: AssessmentUpdate,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change a draft, or correct a published assessment (it stays published; the revision
    keeps what it said before). `ratings` is replaced whole."""
    assessment = records.find(session, service.KIND, principal, assessment_named(record_id))
    updated = service.update_assessment(
        session, actor=principal.actor, assessment=assessment, data=data, if_match=if_match
    )
    return present(response, session, principal, service.KIND, updated)


@assessments_router.post(
    "/{record_id}/publish",
    summary="Publish an assessment",
    response_model=AssessmentPublic,
    responses=STEP_PROBLEMS,
)
def publish_assessment(
    principal: WritePrincipal,
    session: SessionDep,
    record_id: RecordId,
    response: Response,
    _: IdempotencyKeyDep,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """A draft with a score becomes published; the subject shows the latest one's score."""
    assessment = records.find(session, service.KIND, principal, assessment_named(record_id))
    published = service.publish(
        session, actor=principal.actor, assessment=assessment, if_match=if_match
    )
    return present(response, session, principal, service.KIND, published)


add_lifecycle_routes(
    assessments_router,
    service.KIND,
    locate=assessment_named,
    write_scopes=[Scope.records_read, Scope.records_write],
    noun="an assessment",
)
