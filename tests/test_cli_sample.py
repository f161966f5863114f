"""`caucus load-reference --sample`: the sample ratifications recorded through the record
lifecycle as public records of the secretariat, once, never overwriting a record edited since."""

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

from app.cli import cli
from app.identity.models import Organisation, OrganisationKind
from app.records.models import ChangeEvent, Revision
from app.reference.loader import load_reference
from app.treaties.models import Ratification
from app.treaties.service import RATIFICATIONS_SAMPLE_FILE

RATIFICATIONS = "/api/v1/ratifications"
SAMPLE_ROWS = 10
SHARED_SAMPLE = Path("/work/shared/reference/ratifications-sample.csv")


@pytest.fixture(autouse=True)
def _isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No `.env` from the working directory, no CAUCUS_* from the shell, logging restored."""
    monkeypatch.chdir(tmp_path)
    for name in ("CAUCUS_ADMIN_EMAIL", "CAUCUS_ADMIN_PASSWORD", "CAUCUS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run(database_url: str, *args: str) -> Result:
    environment = {"CAUCUS_DATABASE_URL": database_url, "COLUMNS": "200"}
    return CliRunner().invoke(cli, list(args), env=environment, prog_name="caucus")


def query(database_url: str, statement: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(statement))]
    finally:
        engine.dispose()


def count(database_url: str, table: str, where: str = "") -> int:
    return int(query(database_url, f"SELECT count(*) FROM {table} {where}")[0][0])  # noqa: S608


def sample_file_rows() -> list[dict[str, str]]:
    with RATIFICATIONS_SAMPLE_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---- the file ----------------------------------------------------------------------------------


def test_the_project_ships_the_sample_file_with_ten_distinct_pairs() -> None:
    rows = sample_file_rows()

    assert len(rows) == SAMPLE_ROWS
    assert len({(row["country"], row["instrument"]) for row in rows}) == SAMPLE_ROWS
    assert all(row["source"] and row["as_of"] for row in rows)
    if SHARED_SAMPLE.exists():
        assert RATIFICATIONS_SAMPLE_FILE.read_bytes() == SHARED_SAMPLE.read_bytes()


# ---- the command -------------------------------------------------------------------------------


def test_load_reference_sample_records_the_ten_rows_as_the_secretariat(database_url: str) -> None:
    result = run(database_url, "load-reference", "--sample")

    assert result.exit_code == 0, result.output
    assert "ratifications: 10 rows" in result.stdout
    assert count(database_url, "ratifications") == SAMPLE_ROWS
    secretariats = query(
        database_url, "SELECT id, name FROM organisations WHERE kind = 'secretariat'"
    )
    assert [name for _, name in secretariats] == ["Migrant Forum in Asia"]
    owners = query(
        database_url,
        "SELECT DISTINCT organisation_id, visibility, created_by, version FROM ratifications",
    )
    assert len(owners) == 1
    owner, visibility, created_by, version = owners[0]
    assert str(owner).replace("-", "") == str(secretariats[0][0]).replace("-", "")
    assert (visibility, created_by, version) == ("public", "system", 1)
    # Through the lifecycle: a revision, an audit entry and a change event for each.
    kind = "WHERE record_type = 'ratification'"
    assert count(database_url, "record_revisions", kind) == SAMPLE_ROWS
    assert count(database_url, "change_events", kind) == SAMPLE_ROWS
    assert count(database_url, "audit_log", "WHERE action = 'ratification.created'") == (
        SAMPLE_ROWS
    )


def test_load_reference_sample_again_adds_nothing(database_url: str) -> None:
    assert run(database_url, "load-reference", "--sample").exit_code == 0

    again = run(database_url, "load-reference", "--sample")

    assert again.exit_code == 0, again.output
    assert "ratifications: 0 rows" in again.stdout
    assert count(database_url, "ratifications") == SAMPLE_ROWS
    assert count(database_url, "record_revisions") == SAMPLE_ROWS
    assert count(database_url, "organisations", "WHERE kind = 'secretariat'") == 1


def test_load_reference_without_sample_records_no_ratification(database_url: str) -> None:
    result = run(database_url, "load-reference")

    assert result.exit_code == 0, result.output
    assert "ratifications" not in result.stdout
    assert count(database_url, "ratifications") == 0
    assert count(database_url, "organisations") == 0


def test_the_bootstrap_admin_after_the_sample_joins_the_secretariat_that_owns_it(
    database_url: str,
) -> None:
    # The order of `make run`: load-reference first, then create-admin --bootstrap.
    assert run(database_url, "load-reference", "--sample").exit_code == 0

    result = run(database_url, "create-admin", "--bootstrap")

    assert result.exit_code == 0, result.output
    assert count(database_url, "organisations") == 1
    [(admin_organisation,)] = query(database_url, "SELECT organisation_id FROM users")
    [(owner,)] = query(database_url, "SELECT DISTINCT organisation_id FROM ratifications")
    assert str(admin_organisation).replace("-", "") == str(owner).replace("-", "")


def test_help_of_load_reference_offers_sample(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'unused.db'}", "load-reference", "--help")

    assert result.exit_code == 0, result.output
    assert "--sample" in result.stdout


# ---- what is recorded, and what a second load leaves alone ------------------------------------


def sample(session: Session) -> dict[str, int]:
    return {result.name: result.rows for result in load_reference(session, sample=True)}


def test_each_row_is_recorded_with_its_dates_source_and_notes(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    assert sample(session)["ratifications"] == SAMPLE_ROWS

    page = client.get(RATIFICATIONS, params={"limit": 200}, headers=admin_headers).json()
    by_pair = {(item["country"], item["instrument"]): item for item in page["items"]}
    assert set(by_pair) == {(row["country"], row["instrument"]) for row in sample_file_rows()}
    for row in sample_file_rows():
        item = by_pair[(row["country"], row["instrument"])]
        assert item["sources"] == [row["source"]]
        assert item["notes"] == (row["notes"] or None)
        for name in ("action", "signed_on", "ratified_on", "registered_on", "in_force_on"):
            assert item[name] == (row[name] or None), (row["country"], row["instrument"], name)
        assert (item["status"], item["as_of"], item["visibility"]) == (
            row["status"],
            row["as_of"],
            "public",
        )
    philippines = by_pair[("PH", "C189")]
    assert philippines["sources"] == ["ILO NORMLEX; Senate concurrence 6 Aug 2012"]
    assert philippines["notes"] == "first ratification in Asia"
    assert philippines["registered_on"] == "2012-09-05"


def test_an_existing_secretariat_owns_the_sample(
    session: Session, secretariat: Organisation
) -> None:
    sample(session)

    owners = set(session.exec(select(Ratification.organisation_id)).all())
    assert owners == {secretariat.id}
    secretariats = session.exec(
        select(Organisation).where(Organisation.kind == OrganisationKind.secretariat)
    ).all()
    assert [organisation.id for organisation in secretariats] == [secretariat.id]


def test_loading_again_never_overwrites_an_edited_or_deleted_record(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    sample(session)
    edited = client.put(
        f"{RATIFICATIONS}/PH/C189",
        json={"status": "denounced", "notes": "edited by the secretariat"},
        headers=admin_headers,
    )
    assert edited.status_code == 200, edited.text
    deleted = client.delete(f"{RATIFICATIONS}/KR/C087", headers=admin_headers)
    assert deleted.status_code == 204, deleted.text

    assert sample(session)["ratifications"] == 0

    assert client.get(f"{RATIFICATIONS}/PH/C189", headers=admin_headers).json() == edited.json()
    assert client.get(f"{RATIFICATIONS}/KR/C087", headers=admin_headers).status_code == 404
    assert len(session.exec(select(Ratification)).all()) == SAMPLE_ROWS


def test_loading_again_adds_a_pair_whose_record_is_missing(
    session: Session,
) -> None:
    sample(session)
    removed = session.exec(
        select(Ratification).where(Ratification.country == "VN", Ratification.instrument == "C098")
    ).one()
    # As if the pair had never been recorded (a database from before the sample grew).
    connection = session.connection()
    connection.execute(sa.delete(Revision).where(col(Revision.record_id) == removed.id))
    connection.execute(sa.delete(ChangeEvent).where(col(ChangeEvent.record_id) == removed.id))
    session.delete(removed)
    session.commit()

    assert sample(session)["ratifications"] == 1

    restored = session.exec(
        select(Ratification).where(Ratification.country == "VN", Ratification.instrument == "C098")
    ).one()
    assert (restored.status, restored.version) == ("in_force", 1)
    assert len(session.exec(select(Ratification)).all()) == SAMPLE_ROWS
