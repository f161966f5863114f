"""Rubrics and assessments: the reference rubric, versions that never change once used, and
assessments of agreements and laws whose score is derived from their ratings.

An assessment is found only by those who can see its subject (an id is itself a finding). The
score of the latest published assessment of each agreement or law is part of how those records
are presented, computed here for a page of them at a time.
"""

import csv
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

# These two present their records with the scores computed here, and this module checks links
# to their records: each only uses the other's names inside functions, so either may load first.
from app.agreements import service as agreements
from app.assessments.models import (
    DEFAULT_RUBRIC_ID,
    DEFAULT_RUBRIC_NAME,
    POINTS,
    Assessment,
    AssessmentCreate,
    AssessmentFilters,
    AssessmentPublic,
    AssessmentStatus,
    AssessmentUpdate,
    Criterion,
    LatestScore,
    Rating,
    RatingValue,
    Rubric,
    RubricCreate,
    RubricFilters,
    RubricUpdate,
    RubricVersionCreate,
    SubjectType,
)
from app.audit import service as audit
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.errors import ConflictError, InvalidInputError, NotFoundError, TransitionError
from app.identity.service import Principal
from app.laws import service as laws
from app.records import links
from app.records import service as records
from app.records.changes import refuse_nulls, save_changes
from app.records.models import RecordAction
from app.records.service import RecordKind

RUBRIC_FILE = Path(__file__).resolve().parents[1] / "reference" / "rubric.csv"

# ---- rubrics --------------------------------------------------------------------------------

RUBRIC_ORDER = (Rubric.name, Rubric.version)


def load_default_rubric(session: Session) -> int:
    """Add version 1 of the `default` rubric from rubric.csv if missing; returns rows added.

    Once there it is left alone: it may be in use, and then it never changes.
    """
    exists = session.exec(
        select(Rubric.id).where(Rubric.name == DEFAULT_RUBRIC_NAME, Rubric.version == 1)
    ).first()
    if exists is not None:
        return 0
    with RUBRIC_FILE.open(encoding="utf-8", newline="") as handle:
        criteria = [Criterion.model_validate(row) for row in csv.DictReader(handle)]
    session.add(
        Rubric(
            id=DEFAULT_RUBRIC_ID,
            name=DEFAULT_RUBRIC_NAME,
            version=1,
            title="Rights-based review of labour migration agreements and laws",
            description="Criteria drawn from ILO standards and the UN Network on Migration's "
            "guidance on bilateral labour migration agreements; each criterion's `basis` names "
            "its sources.",
            criteria=_criteria_json(criteria),
            created_by="system",
        )
    )
    return 1


def _criteria_json(criteria: list[Criterion]) -> list[dict[str, Any]]:
    repeated = sorted(key for key, n in Counter(c.key for c in criteria).items() if n > 1)
    if repeated:
        raise InvalidInputError(
            f"Each criterion key is used once in a rubric; repeated: {', '.join(repeated)}.",
            field="criteria",
        )
    return [criterion.model_dump(mode="json") for criterion in criteria]


def select_rubrics(filters: RubricFilters) -> SelectOfScalar[Rubric]:
    statement = select(Rubric)
    if filters.name is not None:
        statement = statement.where(Rubric.name == filters.name)
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(func.lower(Rubric.title).contains(needle, autoescape=True))
    if filters.updated_since is not None:
        statement = statement.where(col(Rubric.updated_at) >= filters.updated_since)
    return statement


def get_rubric(session: Session, *, rubric_id: uuid.UUID) -> Rubric:
    rubric = session.get(Rubric, rubric_id)
    if rubric is None:
        raise NotFoundError("No rubric with this id.")
    return rubric


def _audit_created(session: Session, rubric: Rubric, actor: Actor) -> None:
    audit.record(
        session,
        action="rubric.created",
        actor=actor,
        subject_type="rubric",
        subject_id=str(rubric.id),
        details={"name": rubric.name, "version": rubric.version},
    )


def create_rubric(session: Session, *, actor: Actor, data: RubricCreate) -> Rubric:
    """Version 1 of a new rubric."""
    taken = session.exec(select(Rubric.id).where(Rubric.name == data.name)).first()
    if taken is not None:
        raise ConflictError(
            f"A rubric named `{data.name}` exists: make a new version of it with "
            f"POST /api/v1/rubrics/{taken}/versions."
        )
    rubric = Rubric(
        name=data.name,
        version=1,
        title=data.title,
        description=data.description,
        criteria=_criteria_json(data.criteria),
        created_by=actor.key,
    )
    session.add(rubric)
    _audit_created(session, rubric, actor)
    _commit_rubric(session)
    return rubric


def create_version(
    session: Session, *, actor: Actor, rubric: Rubric, data: RubricVersionCreate
) -> Rubric:
    """The next version of `rubric`'s name, with what `data` changes from `rubric`."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "title", "criteria")
    latest = session.exec(select(func.max(Rubric.version)).where(Rubric.name == rubric.name)).one()
    version = Rubric(
        name=rubric.name,
        version=(latest or 0) + 1,
        title=changes.get("title", rubric.title),
        description=changes.get("description", rubric.description),
        criteria=_criteria_json(data.criteria)
        if data.criteria is not None
        else list(rubric.criteria),
        created_by=actor.key,
    )
    session.add(version)
    _audit_created(session, version, actor)
    _commit_rubric(session)
    return version


def _commit_rubric(session: Session) -> None:
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise ConflictError(
            "Another version of this rubric was made meanwhile; read the rubric's versions "
            "and retry."
        ) from exc


def in_use(session: Session, rubric: Rubric) -> bool:
    """Whether any assessment uses the rubric, deleted ones too (they can be restored)."""
    used = select(Assessment.id).where(Assessment.rubric_id == rubric.id).limit(1)
    return session.exec(used).first() is not None


def update_rubric(session: Session, *, actor: Actor, rubric: Rubric, data: RubricUpdate) -> Rubric:
    """Change a version no assessment uses; one in use is refused, naming how to make a new one."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "title", "criteria")
    if in_use(session, rubric):
        raise ConflictError(
            f"Version {rubric.version} of the rubric `{rubric.name}` is used by assessments, so "
            "it never changes. Make a new version instead: POST "
            f"/api/v1/rubrics/{rubric.id}/versions with the changes."
        )
    if data.criteria is not None:
        changes["criteria"] = _criteria_json(data.criteria)
    save_changes(session, rubric, changes, actor=actor, kind="rubric", subject_id=rubric.id)
    return rubric


# ---- assessments: who finds them -------------------------------------------------------------


def _subject_kind(subject_type: SubjectType) -> RecordKind[Any]:
    return agreements.KIND if subject_type is SubjectType.agreement else laws.KIND


def _subject_findable(principal: Principal) -> sa.ColumnElement[bool]:
    """An assessment is found only by those who can see what it assesses."""
    if principal.is_secretariat:
        return sa.true()
    return or_(
        *(
            sa.and_(
                col(Assessment.subject_type) == subject_type,
                col(Assessment.subject_id).in_(
                    select(kind.model.id).where(kind.visible(principal))
                ),
            )
            for subject_type, kind in (
                (SubjectType.agreement, agreements.KIND),
                (SubjectType.law, laws.KIND),
            )
        )
    )


KIND = RecordKind(
    name="assessment",
    model=Assessment,
    public_model=AssessmentPublic,
    restrict=_subject_findable,
)


def select_assessments(
    principal: Principal, filters: AssessmentFilters
) -> SelectOfScalar[Assessment]:
    statement = records.select_visible(KIND, principal, filters)
    if filters.subject_type is not None:
        statement = statement.where(Assessment.subject_type == filters.subject_type)
    if filters.subject_id is not None:
        statement = statement.where(Assessment.subject_id == filters.subject_id)
    if filters.rubric_id is not None:
        statement = statement.where(Assessment.rubric_id == filters.rubric_id)
    if filters.status is not None:
        statement = statement.where(Assessment.status == filters.status)
    if filters.q:
        needle = filters.q.lower()
        statement = statement.where(
            or_(
                func.lower(Assessment.assessor).contains(needle, autoescape=True),
                func.lower(col(Assessment.summary)).contains(needle, autoescape=True),
            )
        )
    return statement


# Published scores, latest first, built once: for the records of a page being shown, building
# the statement and its cache key cost as much as running it.
_PUBLISHED_SCORES = (
    sa.select(
        col(Assessment.subject_id),
        col(Assessment.id),
        col(Assessment.score),
        col(Assessment.assessed_on),
    )
    .where(
        col(Assessment.subject_type) == sa.bindparam("subject_type"),
        col(Assessment.subject_id).in_(sa.bindparam("ids", expanding=True)),
        col(Assessment.status) == AssessmentStatus.published,
        col(Assessment.deleted_at).is_(None),
    )
    .order_by(
        col(Assessment.assessed_on).desc(),
        col(Assessment.published_at).desc(),
        col(Assessment.id).desc(),
    )
)
_PUBLISHED_SCORES_OPEN_OR_OWNED = _PUBLISHED_SCORES.where(
    records.open_or_owned(Assessment, sa.bindparam("organisation_id"))
)


def latest_published_scores(
    session: Session,
    principal: Principal | None,
    subject_type: SubjectType,
    subject_ids: set[uuid.UUID],
    *,
    subjects_shown: bool = False,
) -> dict[uuid.UUID, LatestScore]:
    """For each of `subject_ids` with one, the latest published assessment `principal` can see
    (with no caller, as for a script: any not deleted), in one query however many there are.

    The latest is the one assessed last; of one day, the one published last. `subjects_shown`
    says the subjects are records the caller is being shown, so the assessments' own
    visibility is all that is left to check.
    """
    if not subject_ids:
        return {}
    params: dict[str, Any] = {"subject_type": subject_type, "ids": list(subject_ids)}
    if principal is None or (subjects_shown and principal.is_secretariat):
        statement = _PUBLISHED_SCORES
    elif subjects_shown:
        # Only the assessments' own visibility: checking the subjects again costs a read (of
        # agreements or laws) nearly half its time, for records just read through that check.
        statement = _PUBLISHED_SCORES_OPEN_OR_OWNED
        params["organisation_id"] = principal.organisation.id
    else:
        # Whole visibility, its subject's included, so a caller naming ids it was never shown
        # learns nothing of them.
        statement = _PUBLISHED_SCORES.where(KIND.visible(principal))
    rows = session.execute(statement, params)
    latest: dict[uuid.UUID, LatestScore] = {}
    for subject_id, assessment_id, score, assessed_on in rows:
        if subject_id not in latest and score is not None:
            latest[subject_id] = LatestScore(
                assessment_id=assessment_id, score=score, assessed_on=assessed_on
            )
    return latest


def with_latest_scores(
    session: Session,
    principal: Principal,
    subject_type: SubjectType,
    subjects: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Agreements or laws (in JSON form), which the caller is being shown, with the
    `latest_score` it may see."""
    ids = {uuid.UUID(str(subject["id"])) for subject in subjects}
    scores = latest_published_scores(session, principal, subject_type, ids, subjects_shown=True)

    def shown(subject_id: Any) -> dict[str, Any] | None:
        score = scores.get(uuid.UUID(str(subject_id)))
        return score.model_dump(mode="json") if score is not None else None

    return [{**subject, "latest_score": shown(subject["id"])} for subject in subjects]


def unscored(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agreements or laws (in JSON form) just created: no assessment can have scored them."""
    return [{**subject, "latest_score": None} for subject in subjects]


# ---- assessments: the workflow ---------------------------------------------------------------


def allowed_next(assessment: Assessment) -> list[str]:
    """The steps a writer may take with the assessment as it stands: a draft is published once
    it has a score."""
    if assessment.status is AssessmentStatus.published:
        return ["correct"]
    return ["edit", "publish"] if assessment.score is not None else ["edit"]


def _refuse(detail: str, assessment: Assessment) -> TransitionError:
    steps = allowed_next(assessment)
    return TransitionError(f"{detail} You may now: {', '.join(steps)}.", allowed_next=steps)


def _scored(rubric: Rubric, ratings: list[Rating]) -> dict[str, Any]:
    """The ratings to store, in the rubric's order, with the score and counts they make."""
    keys = rubric.criterion_keys
    for index, rating in enumerate(ratings):
        if rating.criterion not in keys:
            raise InvalidInputError(
                f"ratings[{index}]: `{rating.criterion}` is not a criterion of version "
                f"{rubric.version} of the rubric `{rubric.name}`; its criteria are "
                f"{', '.join(keys)}.",
                field="ratings",
            )
    repeated = sorted(key for key, n in Counter(r.criterion for r in ratings).items() if n > 1)
    if repeated:
        raise InvalidInputError(
            f"Each criterion is rated at most once; rated more than once: {', '.join(repeated)}.",
            field="ratings",
        )
    by_key = {rating.criterion: rating for rating in ratings}
    counted = [POINTS[r.rating] for r in ratings if r.rating in POINTS]
    given = Counter(rating.rating for rating in ratings)
    return {
        "ratings": [by_key[key].model_dump(mode="json") for key in keys if key in by_key],
        "score": round(100 * sum(counted) / (2 * len(counted)), 2) if counted else None,
        "not_applicable_count": given[RatingValue.not_applicable],
        "unknown_count": given[RatingValue.unknown] + len(keys) - len(ratings),
    }


def _unscored(rubric: Rubric) -> str:
    return (
        "A published assessment has a score: rate at least one of the rubric's criteria "
        f"({', '.join(rubric.criterion_keys)}) met, partially_met or not_met."
    )


def _rubric_of(session: Session, rubric_id: uuid.UUID) -> Rubric:
    rubric = session.get(Rubric, rubric_id)
    if rubric is None:
        raise InvalidInputError("No rubric with this id; see /api/v1/rubrics.", field="rubric_id")
    return rubric


def create_assessment(
    session: Session,
    *,
    actor: Actor,
    principal: Principal | None = None,
    data: AssessmentCreate,
) -> Assessment:
    """Record a draft assessment of an agreement or law `principal` can see."""
    links.links(
        session,
        _subject_kind(data.subject_type),
        principal,
        [data.subject_id],
        field="subject_id",
    )
    rubric = _rubric_of(session, data.rubric_id)
    assessment = Assessment(
        **data.model_dump(exclude={"ratings"}),
        **_scored(rubric, data.ratings),
        status=AssessmentStatus.draft,
    )
    return records.create(session, KIND, assessment, actor=actor)


def update_assessment(
    session: Session,
    *,
    actor: Actor,
    assessment: Assessment,
    data: AssessmentUpdate,
    if_match: str | None,
) -> Assessment:
    """Change the fields sent; `ratings` is replaced whole and the score derived again. A
    change to a published assessment is a correction: it stays published, and must keep a
    score."""
    changes = data.model_dump(exclude_unset=True)
    refuse_nulls(changes, "assessor", "assessed_on", "ratings", "visibility")
    if data.ratings is not None:
        rubric = _rubric_of(session, assessment.rubric_id)
        changes.update(_scored(rubric, data.ratings))
        if assessment.status is AssessmentStatus.published and changes["score"] is None:
            raise InvalidInputError(_unscored(rubric), field="ratings")
    return records.update(session, KIND, assessment, changes, actor=actor, if_match=if_match)


def publish(
    session: Session, *, actor: Actor, assessment: Assessment, if_match: str | None
) -> Assessment:
    """Publish a draft: its score becomes the subject's latest score, if it is the latest."""
    if assessment.status is not AssessmentStatus.draft:
        raise _refuse(
            "The assessment is already published: correct it with PATCH, or make a new one.",
            assessment,
        )
    if assessment.score is None:
        raise _refuse(_unscored(_rubric_of(session, assessment.rubric_id)), assessment)
    changes = {"status": AssessmentStatus.published, "published_at": utcnow()}
    return records.update(
        session,
        KIND,
        assessment,
        changes,
        actor=actor,
        if_match=if_match,
        action=RecordAction.published,
    )
