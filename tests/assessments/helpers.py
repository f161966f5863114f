"""What the assessment tests share: paths, valid bodies, and records to assess."""

from typing import Any

from fastapi.testclient import TestClient

from app.assessments.models import DEFAULT_RUBRIC_ID
from tests.activities.helpers import create_agreement, create_law, record_law
from tests.api import RecordCollection, ok
from tests.api import assert_invalid as assert_invalid
from tests.api import assert_problem as assert_problem
from tests.api import counting_statements as counting_statements

__all__ = ["create_agreement", "create_law", "record_law"]

ASSESSMENTS = "/api/v1/assessments"
RUBRICS = "/api/v1/rubrics"
LAWS = "/api/v1/laws"
AGREEMENTS = "/api/v1/agreements"
DEFAULT_RUBRIC = str(DEFAULT_RUBRIC_ID)
MISSING = "5d70e6d8-033e-452a-a1bf-f36a6c165897"
# The default rubric's criteria, in order (app/reference/rubric.csv).
CRITERIA_COUNT = 14

_COLLECTION = RecordCollection(ASSESSMENTS)
read = _COLLECTION.read
patch = _COLLECTION.patch
revisions = _COLLECTION.revisions
listed = _COLLECTION.listed
listed_ids = _COLLECTION.listed_ids
csv_rows = _COLLECTION.csv_rows

Headers = dict[str, str]

# 2 met, 1 partially met, 1 not met, 1 not applicable, 1 unknown: 5 of 8 points, 62.5.
WORKED_RATINGS = [
    {"criterion": "transparency", "rating": "met"},
    {"criterion": "normative_anchoring", "rating": "met"},
    {
        "criterion": "fair_recruitment",
        "rating": "partially_met",
        "evidence": [
            {
                "clause": "Art. 5(2)",
                "quote": "Workers shall not be charged placement fees.",
                "source_url": "https://example.org/mou.pdf",
            }
        ],
        "notes": "Fees are banned, but the ban is not enforced.",
    },
    {"criterion": "employment_contract", "rating": "not_met"},
]
NOT_SCORED = [
    {"criterion": "transparency", "rating": "not_applicable"},
    {"criterion": "fair_recruitment", "rating": "unknown"},
]


def body(subject_id: str, subject_type: str = "law", **overrides: Any) -> dict[str, Any]:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "rubric_id": DEFAULT_RUBRIC,
        "assessor": "Migrant Forum in Asia, policy team",
        "assessed_on": "2026-11-30",
        "ratings": WORKED_RATINGS[:1],
        **overrides,
    }


def create(client: TestClient, headers: Headers, subject_id: str, **overrides: Any) -> Any:
    return ok(client.post(ASSESSMENTS, json=body(subject_id, **overrides), headers=headers), 201)


def publish(client: TestClient, headers: Headers, assessment_id: str) -> Any:
    return ok(client.post(f"{ASSESSMENTS}/{assessment_id}/publish", headers=headers))


def published(client: TestClient, headers: Headers, subject_id: str, **overrides: Any) -> Any:
    return publish(client, headers, create(client, headers, subject_id, **overrides)["id"])
