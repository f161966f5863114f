"""The `caucus` command: serve, migrate, create the first admin, load reference and demo data,
deliver webhooks."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlmodel import Session

from app.audit.service import Actor
from app.core import migrations
from app.core.config import Environment, Settings
from app.core.db import create_db_engine, writing_engine
from app.core.errors import DomainError
from app.core.logging import configure_logging, logging_config
from app.identity import service as identity
from app.identity.models import ApiTokenCreate, OrganisationKind
from app.imports import service as imports
from app.imports.models import ImportType
from app.integrations.webhooks import delivery as webhooks
from app.reference.demo import load_demo
from app.reference.loader import load_reference
from app.search import service as search

cli = typer.Typer(
    help="Caucus Oversight API: serve and administer the service.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


@contextmanager
def _session(settings: Settings, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A session on the configured database for one command, its engine closed afterwards."""
    engine = create_db_engine(settings)
    try:
        with Session(writing_engine(engine), expire_on_commit=expire_on_commit) as session:
            yield session
    finally:
        engine.dispose()


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes; one per core.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API with uvicorn (uvloop and httptools)."""
    settings = _settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        loop="uvloop",
        http="httptools",
        log_config=logging_config(settings),
        proxy_headers=True,
        server_header=False,
    )


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply schema migrations up to REVISION (the latest by default)."""
    settings = _settings()
    migrations.upgrade(settings.database_url, revision)
    typer.echo(f"Database at {revision}.")
    if revision == "head":
        # Records written before the search index existed are found once they are indexed.
        with _session(settings) as session:
            indexed = search.index_if_empty(session)
        if indexed:
            typer.echo(f"Records indexed for search: {indexed}")


@cli.command("create-admin")
def create_admin(
    email: Annotated[
        str | None, typer.Option(help="Defaults to CAUCUS_ADMIN_EMAIL.", show_default=False)
    ] = None,
    name: Annotated[str, typer.Option(help="Full name.")] = "Secretariat administrator",
    bootstrap: Annotated[
        bool,
        typer.Option(
            "--bootstrap",
            help="Only if the database has no users yet; otherwise do nothing (make run uses it).",
        ),
    ] = False,
) -> None:
    """Create an admin; password from CAUCUS_ADMIN_PASSWORD, or generated and shown once."""
    settings = _settings()
    email = email or settings.admin_email
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    try:
        with _session(settings, expire_on_commit=False) as session:
            if bootstrap:
                created = identity.ensure_bootstrap_admin(session, email=email, password=password)
            else:
                created = identity.create_admin(
                    session, email=email, full_name=name, password=password
                )
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    if created is None:
        typer.echo("Users exist already; no bootstrap admin created.")
        return
    typer.echo(f"Admin account: {created.user.email}")
    if created.generated_password is None:
        typer.echo("Password: the value of CAUCUS_ADMIN_PASSWORD.")
    else:
        typer.echo(f"One-time password: {created.generated_password}")
        typer.echo("It is shown only now: log in at /docs (Authorize) and keep it safe.")


@cli.command("create-token")
def create_token(
    organisation: Annotated[str, typer.Option(help="The organisation's id or exact name.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated, e.g. records:read,reports:write.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "script",
    days: Annotated[
        int | None, typer.Option(help="Lifetime in days; CAUCUS_API_TOKEN_LIFETIME_DAYS if unset.")
    ] = None,
) -> None:
    """Issue an API token for an organisation's scripts and print it (shown only once)."""
    settings = _settings()
    try:
        with _session(settings, expire_on_commit=False) as session:
            found = identity.find_organisation(session, id_or_name=organisation)
            data = ApiTokenCreate.model_validate(
                {
                    "name": name,
                    "organisation_id": found.id,
                    "scopes": [scope.strip() for scope in scopes.split(",") if scope.strip()],
                    "lifetime_days": days,
                }
            )
            issued = identity.issue_api_token(session, settings=settings, actor=None, data=data)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['msg']} ({exc.errors()[0]['loc']})", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(
        f"API token {issued.id} for {found.name}, scopes {' '.join(issued.scopes)}, "
        f"expires {issued.expires_at:%Y-%m-%d}:"
    )
    typer.echo(issued.token)


@cli.command("load-reference")
def load_reference_command(
    sample: Annotated[
        bool,
        typer.Option(
            "--sample",
            help="Also record the sample ratifications (app/reference/ratifications-sample.csv) "
            "as the secretariat, which is created if need be; pairs already recorded are left "
            "as they are.",
        ),
    ] = False,
) -> None:
    """Load the shipped reference data (countries, instruments, rubric); safe to run again."""
    settings = _settings()
    with _session(settings) as session:
        results = load_reference(session, sample=sample)
    if not results:
        typer.echo("No reference tables in this schema yet; nothing to load.")
    for result in results:
        typer.echo(f"{result.name}: {result.rows} rows loaded or updated")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the caucus meetings of its founding statement and a small set of fictional records
    (named `[DEMO] ...`) to explore the API with; safe to run again. Refused in production."""
    settings = _settings()
    if settings.environment is Environment.production:
        typer.echo("Refusing to load demo data in production.", err=True)
        raise typer.Exit(code=1)
    with _session(settings) as session:
        load_reference(session)
        results = load_demo(session)
    for result in results:
        typer.echo(f"{result.name}: {result.records} records added")


@cli.command("import")
def import_command(
    import_type: Annotated[ImportType, typer.Argument(metavar="TYPE", help="What the rows are.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            exists=True,
            dir_okay=False,
            help="A CSV file laid out like the type's export.",
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the file and count what it would do; write nothing."),
    ] = False,
    organisation: Annotated[
        str | None,
        typer.Option(
            help="The secretariat organisation (id or exact name) that owns new records; "
            "the first one by default."
        ),
    ] = None,
) -> None:
    """Import agreements, laws, ratifications or parliamentarians from CSV: every row is checked
    first, then all are written in one transaction; importing the same file again changes
    nothing."""
    settings = _settings()
    content = file.read_bytes()
    try:
        with _session(settings) as session:
            # Found, never made here: a dry run, or a file refused, writes nothing at all.
            owner = (
                identity.first_secretariat(session)
                if organisation is None
                else identity.find_organisation(session, id_or_name=organisation)
            )
            if owner is None:
                typer.echo(
                    "error: there is no secretariat organisation yet; "
                    "`caucus create-admin` makes it.",
                    err=True,
                )
                raise typer.Exit(code=1)
            if owner.kind is not OrganisationKind.secretariat:
                typer.echo("error: imports act for a secretariat organisation.", err=True)
                raise typer.Exit(code=1)
            summary = imports.import_csv(
                session,
                import_type=import_type,
                content=content,
                actor=Actor(organisation_id=owner.id),
                principal=None,
                dry_run=dry_run,
            )
    except imports.ImportInvalidError as exc:
        for error in exc.errors:
            where = ", ".join(
                part
                for part in (
                    f"row {error.row}" if error.row is not None else "",
                    f"column {error.column}" if error.column else "",
                )
                if part
            )
            typer.echo(f"{where or 'file'}: {error.message}", err=True)
        typer.echo(exc.detail, err=True)
        raise typer.Exit(code=1) from exc
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    would = "would be " if dry_run else ""
    typer.echo(
        f"{import_type.value}: {summary.created} {would}created, {summary.updated} {would}updated, "
        f"{summary.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )


@cli.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the records: after restoring the records from a backup, or
    to index records written before the index existed; safe to run again."""
    settings = _settings()
    with _session(settings) as session:
        indexed = search.reindex(session)
    typer.echo(f"Records indexed for search: {indexed}")


@cli.command()
def worker(
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Queue every new event, attempt each delivery due now once, and exit."
        ),
    ] = False,
) -> None:
    """Deliver webhooks until stopped (SIGTERM or Ctrl-C); run as many as needed on PostgreSQL,
    no delivery is sent by two at once."""
    settings = _settings()
    stop = threading.Event()
    if not once:
        for stopping in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stopping, lambda *_: stop.set())
    engine = create_db_engine(settings)
    try:
        webhooks.work(engine, settings=settings, once=once, stop=stop)
    finally:
        engine.dispose()


def main() -> None:
    cli()
