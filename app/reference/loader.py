"""Load the shipped reference data, idempotently.

Each loader takes a session, inserts or updates what its files describe and returns how many rows
it touched; all of them commit together. The sample ratifications, asked for with `sample`, come
after them: they are records, each written through the record lifecycle in its own transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from app.assessments.service import load_default_rubric
from app.countries.service import load_countries
from app.treaties.service import load_instruments, load_sample_ratifications

Loader = Callable[[Session], int]

LOADERS: dict[str, Loader] = {
    "countries": load_countries,
    "instruments": load_instruments,
    "rubrics": load_default_rubric,
}


@dataclass(frozen=True)
class LoadResult:
    name: str
    rows: int


def load_reference(session: Session, *, sample: bool = False) -> list[LoadResult]:
    results = [LoadResult(name=name, rows=load(session)) for name, load in LOADERS.items()]
    session.commit()
    if sample:
        results.append(LoadResult(name="ratifications", rows=load_sample_ratifications(session)))
    return results
