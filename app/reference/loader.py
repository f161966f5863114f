"""Load the shipped reference data, idempotently.

Each loader takes a session, inserts or updates what its files describe and returns how many rows
it touched. Domains add their loader to LOADERS as their tables arrive: countries and instruments
with the oversight records, the rubric with assessments.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

Loader = Callable[[Session], int]

LOADERS: dict[str, Loader] = {}


@dataclass(frozen=True)
class LoadResult:
    name: str
    rows: int


def load_reference(session: Session) -> list[LoadResult]:
    results = [LoadResult(name=name, rows=load(session)) for name, load in LOADERS.items()]
    session.commit()
    return results
