"""`caucus import TYPE FILE [--dry-run] [--organisation ...]`: the same import as the API's,
for the secretariat's scripts, owned by a secretariat organisation."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.identity.models import Organisation
from app.imports.models import ImportType
from app.imports.service import TARGETS
from tests.api import CSV
from tests.imports.helpers import COLLECTIONS, FILES, counts, csv_text, file_of
from tests.test_cli_sample import _isolated_cli, query, run

__all__ = ["_isolated_cli"]  # the autouse fixture, shared with the sample's tests

pytestmark = pytest.mark.usefixtures("reference")


def written(tmp_path: Path, text: str, name: str = "file.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return str(path)


@pytest.mark.parametrize("import_type", list(ImportType))
def test_import_then_again_then_its_export_changes_nothing_the_second_time(
    database_url: str,
    tmp_path: Path,
    client: TestClient,
    session: Session,
    secretariat: Organisation,
    admin_headers: dict[str, str],
    import_type: ImportType,
) -> None:
    path = written(tmp_path, file_of(import_type))

    first = run(database_url, "import", import_type.value, path)
    after_first = counts(session)
    again = run(database_url, "import", import_type.value, path)
    response = client.get(COLLECTIONS[import_type], headers={**admin_headers, **CSV})
    exported = written(tmp_path, response.content.decode("utf-8"), "export.csv")
    round_trip = run(database_url, "import", import_type.value, exported)

    assert first.exit_code == 0, first.output
    assert first.stdout == f"{import_type.value}: 2 created, 0 updated, 0 unchanged\n"
    for result in (again, round_trip):
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{import_type.value}: 0 created, 0 updated, 2 unchanged\n"
    assert counts(session) == after_first
    model = TARGETS[import_type].kind.model
    owners = session.exec(select(model.organisation_id, model.created_by, model.version)).all()
    assert set(owners) == {(secretariat.id, "system", 1)}


@pytest.mark.usefixtures("secretariat")
def test_a_dry_run_says_what_it_would_do_and_writes_nothing(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    before = counts(session)

    result = run(
        database_url,
        "import",
        "parliamentarians",
        written(tmp_path, file_of(ImportType.parliamentarians)),
        "--dry-run",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "parliamentarians: 2 would be created, 0 would be updated, 0 unchanged "
        "(dry run: nothing written)\n"
    )
    assert counts(session) == before
    assert query(database_url, "SELECT count(*) FROM parliamentarians") == [(0,)]


@pytest.mark.usefixtures("secretariat")
def test_errors_are_listed_by_row_and_column_and_nothing_is_written(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    rows = [dict(row) for row in FILES[ImportType.laws]]
    rows[0]["status"] = "passed"
    rows[1]["effective_on"] = "2000-01-01"  # before enacted_on
    before = counts(session)

    result = run(database_url, "import", "laws", written(tmp_path, csv_text(rows)))

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("row 1, column status: Input should be ")
    assert lines[1] == "row 2, column effective_on: effective_on cannot be before enacted_on."
    assert lines[2] == "The file has 2 errors and nothing was imported."
    assert result.stdout == ""
    assert counts(session) == before


def test_new_records_belong_to_the_secretariat_named(
    database_url: str,
    tmp_path: Path,
    session: Session,
    secretariat: Organisation,
    partner_organisation: Organisation,
) -> None:
    path = written(tmp_path, file_of(ImportType.ratifications))

    refused = run(
        database_url, "import", "ratifications", path, "--organisation", partner_organisation.name
    )
    unknown = run(database_url, "import", "ratifications", path, "--organisation", "Nobody")
    named = run(database_url, "import", "ratifications", path, "--organisation", secretariat.name)

    assert refused.exit_code == 1
    assert refused.stderr == "error: imports act for a secretariat organisation.\n"
    assert unknown.exit_code == 1
    assert "No organisation" in unknown.stderr
    assert named.exit_code == 0, named.output
    assert query(database_url, "SELECT count(*) FROM ratifications") == [(2,)]


def test_with_no_secretariat_yet_nothing_is_imported(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    before = counts(session)

    result = run(database_url, "import", "laws", written(tmp_path, file_of(ImportType.laws)))

    assert result.exit_code == 1
    assert "no secretariat organisation yet" in result.stderr
    assert counts(session) == before
    assert query(database_url, "SELECT count(*) FROM organisations") == [(0,)]
