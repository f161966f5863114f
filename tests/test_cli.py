"""The `caucus` command, run in-process against databases of the engine under test."""

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pycountry
import pytest
import sqlalchemy as sa
from click.testing import Result
from fastapi.testclient import TestClient
from sqlmodel import SQLModel
from typer.testing import CliRunner

import app.models  # noqa: F401 - every table on the metadata
from app import cli as cli_module
from app.cli import cli
from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from tests import databases

# The instruments the caucus's founding statement names.
INSTRUMENT_CODES = {"C087", "C098", "C097", "C143", "C189", "ICRMW"}

TOKEN_PATH = "/api/v1/auth/token"


@pytest.fixture(autouse=True)
def _isolated_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No `.env` from the working directory, no CAUCUS_* from the shell, and logging restored.

    The commands configure logging for the process; its handler would outlive the runner's
    captured stderr.
    """
    monkeypatch.chdir(tmp_path)
    for name in ("CAUCUS_ADMIN_EMAIL", "CAUCUS_ADMIN_PASSWORD", "CAUCUS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def empty_database_url(tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A database of this test's own that no migration has touched."""
    if databases.ON_SQLITE:
        yield databases.sqlite_url(tmp_path / "empty.db")
        return
    name = f"{databases.worker_database_name(worker_id)}_cli"
    yield databases.recreate_postgres_database(name)
    databases.drop_postgres_database(name)


def run(database_url: str, *args: str, **env: str) -> Result:
    environment = {"CAUCUS_DATABASE_URL": database_url, "COLUMNS": "200", **env}
    return CliRunner().invoke(cli, list(args), env=environment, prog_name="caucus")


def _query(database_url: str, statement: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(statement))]
    finally:
        engine.dispose()


def user_emails(database_url: str) -> list[str]:
    return [str(email) for (email,) in _query(database_url, "SELECT email FROM users")]


def can_log_in(database_url: str, email: str, password: str) -> bool:
    app = create_app(Settings(_env_file=None, database_url=database_url))
    with TestClient(app) as client:
        response = client.post(TOKEN_PATH, data={"username": email, "password": password})
    app.state.engine.dispose()
    return response.status_code == 200 and bool(response.json()["access_token"])


def _value_after(label: str, output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(label)]
    assert len(lines) == 1, output
    return lines[0].removeprefix(label).strip()


def test_db_upgrade_migrates_an_empty_database(empty_database_url: str) -> None:
    result = run(empty_database_url, "db", "upgrade")

    assert result.exit_code == 0, result.output
    engine = sa.create_engine(empty_database_url, poolclass=sa.pool.NullPool)
    try:
        assert set(SQLModel.metadata.tables) <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert migrations.current_revisions(connection) == migrations.head_revisions()
    finally:
        engine.dispose()


def test_bootstrap_admin_gets_a_one_time_password_that_logs_in(database_url: str) -> None:
    result = run(database_url, "create-admin", "--bootstrap")

    assert result.exit_code == 0, result.output
    email = _value_after("Admin account:", result.stdout)
    password = _value_after("One-time password:", result.stdout)
    assert email == Settings(_env_file=None).admin_email
    assert len(password) >= 16
    assert user_emails(database_url) == [email]
    assert can_log_in(database_url, email, password)
    assert not can_log_in(database_url, email, password + "x")


def test_bootstrap_does_nothing_once_a_user_exists(database_url: str) -> None:
    first = run(database_url, "create-admin", "--bootstrap")
    assert first.exit_code == 0, first.output
    password = _value_after("One-time password:", first.stdout)

    second = run(database_url, "create-admin", "--bootstrap", "--email", "other@example.org")

    assert second.exit_code == 0, second.output
    assert "no bootstrap admin created" in second.stdout
    assert "password" not in second.stdout.lower()
    assert user_emails(database_url) == [Settings(_env_file=None).admin_email]
    assert can_log_in(database_url, Settings(_env_file=None).admin_email, password)


def test_bootstrap_uses_admin_email_and_password_from_the_environment(database_url: str) -> None:
    result = run(
        database_url,
        "create-admin",
        "--bootstrap",
        CAUCUS_ADMIN_EMAIL="Secretariat@Example.org",
        CAUCUS_ADMIN_PASSWORD="a chosen passphrase of some length",
    )

    assert result.exit_code == 0, result.output
    assert _value_after("Admin account:", result.stdout) == "secretariat@example.org"
    assert "One-time password" not in result.stdout
    assert "a chosen passphrase of some length" not in result.output
    assert user_emails(database_url) == ["secretariat@example.org"]
    assert can_log_in(database_url, "secretariat@example.org", "a chosen passphrase of some length")


def test_create_admin_refuses_an_email_that_has_an_account(database_url: str) -> None:
    first = run(database_url, "create-admin", "--email", "x@example.org")
    assert first.exit_code == 0, first.output

    second = run(database_url, "create-admin", "--email", "X@example.org")

    assert second.exit_code != 0
    assert "already exists" in second.stderr
    assert "Traceback" not in second.output
    assert user_emails(database_url) == ["x@example.org"]


def test_create_admin_refuses_an_invalid_email(database_url: str) -> None:
    result = run(database_url, "create-admin", "--email", "not-an-address")

    assert result.exit_code != 0
    assert "Not a valid e-mail address" in result.stderr
    assert user_emails(database_url) == []


def _row_counts(database_url: str) -> dict[str, int]:
    return {
        table: int(_query(database_url, f'SELECT count(*) FROM "{table}"')[0][0])  # noqa: S608
        for table in SQLModel.metadata.tables
    }


def test_load_reference_succeeds_and_running_it_again_changes_nothing(database_url: str) -> None:
    first = run(database_url, "load-reference")
    assert first.exit_code == 0, first.output
    after_first = _row_counts(database_url)

    second = run(database_url, "load-reference")

    assert second.exit_code == 0, second.output
    assert _row_counts(database_url) == after_first
    assert f"countries: {len(pycountry.countries)} rows" in first.stdout
    assert f"instruments: {len(INSTRUMENT_CODES)} rows" in first.stdout
    assert "countries: 0 rows" in second.stdout
    assert "instruments: 0 rows" in second.stdout
    assert "rubrics: 1 rows" in first.stdout
    assert "rubrics: 0 rows" in second.stdout


def test_load_reference_loads_every_country_and_the_six_instruments(database_url: str) -> None:
    assert run(database_url, "load-reference").exit_code == 0

    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            codes = set(connection.execute(sa.text("SELECT code FROM instruments")).scalars())
            rows = connection.execute(sa.text("SELECT code, region FROM countries")).all()
    finally:
        engine.dispose()
    regions = dict(rows)
    assert codes == INSTRUMENT_CODES
    assert len(regions) == len(pycountry.countries)
    assert regions["PH"] == "south_east_asia"
    assert regions["NP"] == "south_asia"
    assert regions["SA"] == "west_asia"
    assert regions["KZ"] == "central_asia"
    assert regions["KR"] == "east_asia"
    assert regions["FR"] == "other"


@pytest.mark.parametrize(
    ("args", "command", "options"),
    [
        (["serve"], cli_module.serve, ["--host", "--port", "--workers", "--reload"]),
        (["db", "upgrade"], cli_module.db_upgrade, ["revision"]),
        (["create-admin"], cli_module.create_admin, ["--email", "--name", "--bootstrap"]),
        (["load-reference"], cli_module.load_reference_command, []),
        (
            ["create-token"],
            cli_module.create_token,
            ["--organisation", "--scopes", "--name", "--days"],
        ),
    ],
    ids=["serve", "db upgrade", "create-admin", "load-reference", "create-token"],
)
def test_help_of_each_command_describes_it(
    tmp_path: Path, args: list[str], command: Callable[..., None], options: list[str]
) -> None:
    result = run(databases.sqlite_url(tmp_path / "unused.db"), *args, "--help")

    assert result.exit_code == 0, result.output
    assert command.__doc__
    summary = " ".join(command.__doc__.split())
    assert summary in " ".join(result.stdout.split())
    assert f"caucus {' '.join(args)}" in result.stdout
    for option in options:
        assert option in result.stdout
