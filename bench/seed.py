"""Seed a benchmark database with N agreements (two or three parties each) and N laws.

The schema, the reference data, the secretariat and the load generator's API tokens come from the
service's own commands and services (`caucus db upgrade`, `load-reference`, `create-admin`,
`create-token`); the records are then bulk-inserted (PostgreSQL COPY through psycopg, SQLite
executemany through SQLAlchemy Core) with their parties, instrument and agreement links, and
their search-index entries exactly as the service writes them. Revisions, audit entries and change
events of the seeded records are not written: reads never look at them.

    .venv/bin/python bench/seed.py --engine sqlite --n 10000

A database is seeded once per engine and N and reused while its description in bench/.data/
(`<engine>-<n>.json`, which also holds the tokens) says it is complete; `--force` seeds anew.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app.models  # noqa: E402, F401 - every table, for their column types
from app.agreements import service as agreements  # noqa: E402
from app.core.db import UTCDateTime  # noqa: E402
from app.identity import service as identity  # noqa: E402
from app.identity.models import OrganisationCreate  # noqa: E402
from app.laws import service as laws  # noqa: E402
from app.search.text import index_terms  # noqa: E402

DATA = ROOT / "bench" / ".data"
CAUCUS = ROOT / ".venv" / "bin" / "caucus"
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Known to the seeded tokens and to the server the harness starts; never a real deployment's.
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PARTNERS = (
    ("Bench Migrant Workers Network", "cso", "PH"),
    ("Bench Domestic Workers Union", "trade_union", "ID"),
    ("Bench Legal Aid Centre", "cso", "NP"),
    ("Bench Seafarers Federation", "trade_union", "MM"),
    ("Bench Research Institute", "research", "TH"),
)
READ_ORGANISATION = PARTNERS[0][0]
BATCH = 20_000
NOW = datetime(2026, 11, 30, tzinfo=UTC)
SPAN_DAYS = 8 * 365

# Topics and words of real agreements and laws on labour migration: a few frequent, most rare, as
# in real text, so that searches range from thousands of matches to a handful.
TOPICS = (
    "the Recruitment of Domestic Workers",
    "Labour Cooperation",
    "the Employment of Seasonal Agricultural Workers",
    "Skilled Workers in Construction",
    "Social Security for Migrant Workers",
    "the Protection of Fishers",
    "Care Workers and Nurses",
    "the Placement of Workers through the Employment Permit System",
    "Hospitality and Tourism Workers",
    "Seafarers' Recruitment and Repatriation",
)
COMMON = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "workers migrant recruitment employment protection wages contract rights labour agreement "
    "domestic employer government ministry country destination origin fees"
).split()
MEDIUM = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "grievance repatriation insurance passport housing overtime inspection training skills "
    "remittances health maternity dispute complaint mediation orientation pre-departure "
    "language welfare accommodation transport leave rest holidays minimum deduction broker "
    "agency licence sponsorship visa permit quota renewal termination compensation injury "
    "trafficking forced debt bondage confiscation detention deportation amnesty regularisation "
    "reintegration return family reunification children education pension gratuity"
).split()
RARE = [
    f"{stem}{suffix}"
    for stem in (
        "kafala",
        "tripartite",
        "ombud",
        "arbitra",
        "consul",
        "attache",
        "escrow",
        "portab",
        "accredit",
        "blacklist",
    )
    for suffix in ("", "tion", "ship", "ed", "ing", "ary", "ism", "ors", "ive", "ity")
]
STATUSES_AGREEMENT = (
    "signed",
    "in_force",
    "in_force",
    "in_force",
    "under_review",
    "expired",
    "under_negotiation",
    "draft",
    "suspended",
    "terminated",
)
SECTORS = (
    "domestic_work",
    "construction",
    "agriculture",
    "fishing",
    "manufacturing",
    "care",
    "hospitality",
    "seafaring",
    "general",
)
LAW_KINDS = (
    "act",
    "act",
    "act",
    "regulation",
    "regulation",
    "policy",
    "labour_code",
    "executive_order",
    "bill",
    "constitution",
)
LAW_STATUSES = ("in_force", "in_force", "in_force", "enacted", "amended", "repealed", "bill")
ORIGINAL_TITLES = (
    ("th", "พระราชบัญญัติคุ้มครองแรงงาน"),
    ("vi", "Luật Người lao động Việt Nam đi làm việc ở nước ngoài theo hợp đồng"),
    ("id", "Undang-Undang tentang Pelindungan Pekerja Migran Indonesia"),
    ("ne", "वैदेशिक रोजगार ऐन"),
    ("km", "ច្បាប់ស្តីពីការងារ"),
    ("fil", "Batas Kasambahay"),
    ("ms", "Akta Kerja"),
    ("zh", "外国人工作管理条例"),
)
INSTRUMENTS_PER_LAW = (0, 0, 1, 1, 2, 3)


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass(frozen=True)
class Target:
    engine: str
    n: int

    @property
    def name(self) -> str:
        return f"{self.engine}-{self.n}"

    @property
    def description(self) -> Path:
        return DATA / f"{self.name}.json"

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"{self.name}.db"

    @property
    def url(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        server = make_url(POSTGRES_SERVER)
        return server.set(database=f"caucus_bench_{self.n}").render_as_string(hide_password=False)


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "CAUCUS_DATABASE_URL": url,
        "CAUCUS_SECRET_KEY": SECRET_KEY,
        "CAUCUS_ENVIRONMENT": "production",
        "CAUCUS_LOG_LEVEL": "WARNING",
    }


def caucus(url: str, *args: str) -> str:
    done = subprocess.run(
        [str(CAUCUS), *args], env=environment(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"caucus {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def recreate(target: Target) -> None:
    # Holds the SQLite files and, for both engines, what was seeded and the tokens for it.
    DATA.mkdir(parents=True, exist_ok=True)
    if target.engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    database = make_url(target.url).database
    if database in (None, "test", "postgres") or not database.startswith("caucus_bench_"):
        raise SystemExit(f"refusing to recreate database {database!r}")
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()


# ---- generated records ---------------------------------------------------------------------


class Words:
    """Summaries from a skewed vocabulary, and their index tokens word by word.

    `index_terms` costs about 0.2 ms a text, minutes for millions; on words separated by spaces
    and full stops its tokens are those of each word in turn, which `check` confirms on samples.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocabulary = COMMON + MEDIUM + RARE
        weights = [40.0] * len(COMMON) + [6.0] * len(MEDIUM) + [0.5] * len(RARE)
        self.cumulative = list(_accumulate(weights))
        self.tokens: dict[str, str] = {}

    def summary(self) -> str:
        words = self.rng.choices(
            self.vocabulary, cum_weights=self.cumulative, k=self.rng.randint(15, 60)
        )
        return " ".join(words).capitalize() + "."

    def terms(self, *texts: str | None) -> str:
        tokens = []
        for text in texts:
            if not text:
                continue
            for word in text.split():
                if word.isdigit() and word.isascii():
                    # Each record's number is its own word: not worth a cache entry.
                    tokens.append(word)
                    continue
                found = self.tokens.get(word)
                if found is None:
                    found = self.tokens[word] = index_terms(word)
                if found:
                    tokens.append(found)
        return " ".join(tokens)

    def check(self, *texts: str | None) -> None:
        fast, exact = self.terms(*texts), index_terms(*texts)
        if fast != exact:
            raise SystemExit(f"search tokens differ from the service's:\n{fast}\n{exact}")


def _accumulate(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


@dataclass
class Context:
    rng: random.Random
    words: Words
    origins: list[str]
    destinations: list[str]
    names: dict[str, str]
    organisations: list[uuid.UUID]
    secretariat: uuid.UUID
    secretariat_name: str
    instruments: list[str]
    agreement_ids: list[uuid.UUID]


def skewed(rng: random.Random, items: Sequence[str]) -> str:
    """A few countries hold most records (the Philippines, Indonesia, Nepal...), as in life."""
    return items[min(int(rng.paretovariate(1.2)) - 1, len(items) - 1)]


def bookkeeping(ctx: Context, index: int, n: int) -> dict[str, Any]:
    rng = ctx.rng
    # Created in order over eight years, as a record grows; a third changed since.
    created = NOW - timedelta(days=SPAN_DAYS * (1 - index / n), seconds=rng.random() * 3600)
    updated = created
    version = 1
    if rng.random() < 0.35:
        updated = min(NOW, created + timedelta(days=rng.random() * 400))
        version = rng.randint(2, 5)
    roll = rng.random()
    visibility = "partners" if roll < 0.7 else "public" if roll < 0.9 else "restricted"
    organisation = ctx.secretariat if rng.random() < 0.6 else rng.choice(ctx.organisations)
    actor = f"user:{ctx.secretariat}" if organisation == ctx.secretariat else "system"
    return {
        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "visibility": visibility,
        "organisation_id": organisation,
        "created_at": created,
        "created_by": actor,
        "updated_at": updated,
        "updated_by": actor,
        "version": version,
        "deleted_at": updated if rng.random() < 0.02 else None,
    }


def maybe_date(rng: random.Random, start: date, chance: float = 0.9) -> date | None:
    return start + timedelta(days=rng.randint(0, 3000)) if rng.random() < chance else None


def agreement_rows(
    ctx: Context, n: int
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]]:
    rng, words = ctx.rng, ctx.words
    for index in range(n):
        row = bookkeeping(ctx, index, n)
        origin = skewed(rng, ctx.origins)
        destination = skewed(rng, ctx.destinations)
        parties = [(origin, "origin"), (destination, "destination")]
        if rng.random() < 0.3:
            third = rng.choice(ctx.origins + ctx.destinations)
            if third not in (origin, destination):
                role = "origin" if third in ctx.origins else "destination"
                parties.append((third, role if rng.random() < 0.7 else "party"))
        kind = "mou" if rng.random() < 0.55 else "bilateral_agreement"
        if len(parties) == 3 and rng.random() < 0.5:
            kind = "multilateral_agreement"
        label = "Memorandum of Understanding" if kind == "mou" else "Agreement"
        title = (
            f"{label} on {rng.choice(TOPICS)} "
            f"({ctx.names[origin]} and {ctx.names[destination]}) {index + 1}"
        )
        signed = maybe_date(rng, date(2000, 1, 1))
        effective = signed + timedelta(days=rng.randint(0, 180)) if signed else None
        expires = (
            effective + timedelta(days=365 * rng.randint(2, 10))
            if effective and rng.random() < 0.6
            else None
        )
        summary = words.summary() if rng.random() < 0.9 else None
        row |= {
            "title": title,
            "kind": kind,
            "status": rng.choice(STATUSES_AGREEMENT),
            "signed_on": signed,
            "effective_on": effective,
            "expires_on": expires,
            "sectors": sorted(set(rng.sample(SECTORS, rng.randint(1, 2)))),
            "summary": summary,
            "text_url": f"https://example.org/agreements/{index + 1}"
            if rng.random() < 0.5
            else None,
            "language": "en",
            "sources": [f"https://example.org/sources/{index + 1}"] if rng.random() < 0.3 else [],
        }
        party_rows = [
            {
                "agreement_id": row["id"],
                "country": country,
                "role": role,
                "position": position,
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
            for position, (country, role) in enumerate(parties)
        ]
        entry = None
        if row["deleted_at"] is None:
            (part,) = agreements.KIND.search(SimpleNamespace(title=title, summary=summary))
            entry = search_entry(ctx, "agreement", row["id"], part, index)
        if len(ctx.agreement_ids) < 10_000:
            ctx.agreement_ids.append(row["id"])
        yield row, party_rows, entry


def law_rows(
    ctx: Context, n: int
) -> Iterator[
    tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]
]:
    rng, words = ctx.rng, ctx.words
    countries = ctx.origins + ctx.destinations
    for index in range(n):
        row = bookkeeping(ctx, index, n)
        country = skewed(rng, countries)
        kind = rng.choice(LAW_KINDS)
        original = rng.choice(ORIGINAL_TITLES) if rng.random() < 0.2 else None
        label = kind.replace("_", " ").title()
        title = f"{ctx.names[country]} {label} on {rng.choice(TOPICS)} {index + 1}"
        reference = (
            f"No. {rng.randint(1, 500)} of {rng.randint(1990, 2026)}"
            if rng.random() < 0.7
            else None
        )
        enacted = maybe_date(rng, date(1990, 1, 1))
        summary = words.summary() if rng.random() < 0.85 else None
        row |= {
            "country": country,
            "title": title,
            "title_original": original[1] if original else None,
            "language": original[0] if original else "en",
            "kind": kind,
            "reference": reference,
            "status": "bill" if kind == "bill" else rng.choice(LAW_STATUSES),
            "enacted_on": enacted,
            "effective_on": enacted + timedelta(days=rng.randint(0, 365)) if enacted else None,
            "summary": summary,
            "url": f"https://example.org/laws/{index + 1}" if rng.random() < 0.6 else None,
            "sources": [],
        }
        codes = sorted(set(rng.sample(ctx.instruments, rng.choice(INSTRUMENTS_PER_LAW))))
        links = [{"law_id": row["id"], "instrument": code} for code in codes]
        implements = []
        if ctx.agreement_ids and rng.random() < 0.1:
            implements = [{"law_id": row["id"], "agreement_id": rng.choice(ctx.agreement_ids)}]
        entry = None
        if row["deleted_at"] is None:
            (part,) = laws.KIND.search(
                SimpleNamespace(
                    title=title,
                    title_original=row["title_original"],
                    reference=reference,
                    summary=summary,
                )
            )
            entry = search_entry(ctx, "law", row["id"], part, index)
        yield row, links, implements, entry


def search_entry(
    ctx: Context, record_type: str, record_id: uuid.UUID, part: Any, index: int
) -> dict[str, Any]:
    """The row `app.search.index.write` makes of the part."""
    names = [text for text in part.names if text]
    texts = [text for text in part.texts if text]
    if index % 5000 == 0 or (record_type == "law" and names[1:2] and index % 97 == 0):
        ctx.words.check(*names)
        ctx.words.check(*texts)
    return {
        "record_type": record_type,
        "record_id": record_id,
        "part": part.part,
        "audience": part.audience.value,
        "title": part.title,
        "names": "\n".join(names),
        "texts": "\n".join(texts),
        "name_terms": terms_of(ctx.words, names),
        "text_terms": terms_of(ctx.words, texts),
    }


def terms_of(words: Words, texts: list[str]) -> str:
    # Titles in other scripts are few and fixed: their tokens come from the service itself.
    return " ".join(
        words.terms(text) if text.isascii() else index_terms(text) for text in texts
    ).strip()


# ---- bulk loading --------------------------------------------------------------------------


class Loader:
    """Bulk inserts into the tables it is given, with their secondary indexes dropped meanwhile
    and made again afterwards from their own definitions."""

    def __init__(self, engine: sa.Engine, tables: Sequence[str]) -> None:
        self.engine = engine
        self.tables = tables
        # The service's own column types: timestamps, ids and JSON bound as the service binds them.
        self.columns = {table: SQLModel.metadata.tables[table] for table in tables}
        self.counts = dict.fromkeys(tables, 0)

    def drop_indexes(self) -> list[str]:
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                found = connection.execute(
                    sa.text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                        "JOIN pg_class c ON c.relname = i.indexname "
                        "JOIN pg_index x ON x.indexrelid = c.oid "
                        "WHERE i.tablename = ANY(:tables) AND NOT x.indisprimary "
                        "AND NOT x.indisunique"
                    ),
                    {"tables": list(self.tables)},
                ).all()
            else:
                found = connection.execute(
                    sa.text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND sql IS NOT NULL AND tbl_name IN :tables"
                    ).bindparams(sa.bindparam("tables", expanding=True)),
                    {"tables": list(self.tables)},
                ).all()
            for name, _ in found:
                connection.execute(sa.text(f'DROP INDEX "{name}"'))
        return [definition for _, definition in found]

    def create_indexes(self, definitions: list[str]) -> None:
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(sa.text("SET maintenance_work_mem = '512MB'"))
            for definition in definitions:
                connection.execute(sa.text(definition))

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self.counts[table] += len(rows)
        if self.engine.dialect.name == "postgresql":
            self._copy(table, rows)
        else:
            with self.engine.begin() as connection:
                connection.execute(self.columns[table].insert(), rows)

    def _copy(self, table: str, rows: list[dict[str, Any]]) -> None:
        columns = list(rows[0])
        as_json = {c.name for c in self.columns[table].columns if isinstance(c.type, sa.JSON)}
        raw = self.engine.raw_connection()
        try:
            with raw.cursor() as cursor:  # type: ignore[attr-defined]
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(
                            [
                                json.dumps(row[column]) if column in as_json else row[column]
                                for column in columns
                            ]
                        )
            raw.commit()
        finally:
            raw.close()


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_records(engine: sa.Engine, ctx: Context, n: int) -> dict[str, int]:
    tables = (
        "agreements",
        "agreement_parties",
        "laws",
        "law_instruments",
        "law_agreements",
        "search_entries",
    )
    loader = Loader(engine, tables)
    definitions = loader.drop_indexes()
    log(f"dropped {len(definitions)} secondary indexes for the load")
    started = time.monotonic()
    for batch in batched(agreement_rows(ctx, n), BATCH):
        loader.insert("agreements", [row for row, _, _ in batch])
        loader.insert("agreement_parties", [p for _, parties, _ in batch for p in parties])
        loader.insert("search_entries", [e for _, _, e in batch if e is not None])
        progress("agreements", loader.counts["agreements"], n, started)
    started = time.monotonic()
    for batch in batched(law_rows(ctx, n), BATCH):
        loader.insert("laws", [row for row, _, _, _ in batch])
        loader.insert("law_instruments", [link for _, links, _, _ in batch for link in links])
        loader.insert("law_agreements", [link for _, _, links, _ in batch for link in links])
        loader.insert("search_entries", [e for _, _, _, e in batch if e is not None])
        progress("laws", loader.counts["laws"], n, started)
    log("making the indexes again")
    loader.create_indexes(definitions)
    # On PostgreSQL VACUUM too, as autovacuum would soon after: it sets the visibility map,
    # without which no index-only scan skips the table's rows.
    statistics = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(statistics))
    return loader.counts


def progress(what: str, done: int, n: int, started: float) -> None:
    if done == n or done % (BATCH * 10) == 0:
        rate = done / max(time.monotonic() - started, 1e-9)
        log(f"{what}: {done}/{n} ({rate:,.0f}/s)")


# ---- the database ------------------------------------------------------------------------


def seed(target: Target, *, rng_seed: int = 8) -> dict[str, Any]:
    started = time.monotonic()
    recreate(target)
    url = target.url
    log(f"schema and reference data on {make_url(url).render_as_string(hide_password=True)}")
    caucus(url, "db", "upgrade")
    caucus(url, "load-reference")
    caucus(url, "create-admin", "--bootstrap", "--email", "bench-admin@example.org")

    engine = sa.create_engine(url)
    try:
        ctx = context(engine, random.Random(rng_seed))
        counts = load_records(engine, ctx, target.n)
    finally:
        engine.dispose()
    read_token = issued(
        caucus(
            url,
            "create-token",
            "--organisation",
            READ_ORGANISATION,
            "--scopes",
            "records:read",
            "--name",
            "bench reads",
        )
    )
    write_token = issued(
        caucus(
            url,
            "create-token",
            "--organisation",
            ctx.secretariat_name,
            "--scopes",
            "records:read,records:write",
            "--name",
            "bench writes",
        )
    )
    description = {
        "engine": target.engine,
        "n": target.n,
        "url": url,
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed_seconds": round(time.monotonic() - started, 1),
        "rows": counts,
        "history": False,
        "tokens": {"read": read_token, "write": write_token},
        "read_organisation": READ_ORGANISATION,
        "secret_key": SECRET_KEY,
    }
    target.description.write_text(json.dumps(description, indent=2) + "\n")
    log(f"seeded {target.name} in {description['seed_seconds']} s: {counts}")
    return description


def context(engine: sa.Engine, rng: random.Random) -> Context:
    """Partner organisations through the service, and what the records refer to."""
    with Session(engine) as session:
        secretariat = identity.secretariat(session)
        organisations = [
            identity.create_organisation(
                session,
                actor=None,
                data=OrganisationCreate.model_validate(
                    {"name": name, "kind": kind, "country": country}
                ),
            ).id
            for name, kind, country in PARTNERS
        ]
        secretariat_id, secretariat_name = secretariat.id, secretariat.name
    with engine.connect() as connection:
        countries = connection.execute(
            sa.text("SELECT code, name, region FROM countries ORDER BY code")
        ).all()
        instruments = list(connection.scalars(sa.text("SELECT code FROM instruments")))
    regions = {code: region for code, _, region in countries}
    # Sending countries first by how many workers they send, then the rest of their regions.
    first_origins = ["PH", "ID", "NP", "BD", "IN", "LK", "PK", "VN", "MM", "KH"]
    first_destinations = ["SA", "AE", "MY", "QA", "KW", "SG", "HK", "JP", "KR", "TW", "BH", "OM"]
    origins = first_origins + sorted(
        code
        for code, region in regions.items()
        if region in ("south_asia", "south_east_asia", "central_asia")
        and code not in first_origins + first_destinations
    )
    destinations = first_destinations + sorted(
        code
        for code, region in regions.items()
        if region in ("west_asia", "east_asia") and code not in first_origins + first_destinations
    )
    names = {code: name for code, name, _ in countries}
    missing = [code for code in origins + destinations if code not in names]
    if missing:
        raise SystemExit(f"countries missing from the reference data: {missing}")
    return Context(
        rng=rng,
        words=Words(rng),
        origins=origins,
        destinations=destinations,
        names=names,
        organisations=[*organisations],
        secretariat=secretariat_id,
        secretariat_name=secretariat_name,
        instruments=instruments,
        agreement_ids=[],
    )


def issued(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def complete(target: Target) -> dict[str, Any] | None:
    """The description of the seeded database, if it is there and whole."""
    if not target.description.exists():
        return None
    description: dict[str, Any] = json.loads(target.description.read_text())
    if target.engine == "sqlite" and not target.sqlite_path.exists():
        return None
    engine = sa.create_engine(target.url)
    try:
        with engine.connect() as connection:
            seeded = connection.scalar(sa.text("SELECT count(*) FROM laws"))
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    return description if seeded is not None and seeded >= target.n else None


# What the bench's writes leave after seeding: the laws `create_law` makes (seeded records are
# all created before `seeded_at`), their links and search entries, their revisions and change
# events. Not their audit entries: the audit log is append-only (its trigger refuses a DELETE),
# and no scenario reads it. Children first, for the foreign keys.
_WRITTEN_SINCE = (
    "DELETE FROM law_instruments WHERE law_id IN (SELECT id FROM laws WHERE created_at > :at)",
    "DELETE FROM law_agreements WHERE law_id IN (SELECT id FROM laws WHERE created_at > :at)",
    "DELETE FROM search_entries WHERE record_type = 'law'"
    " AND record_id IN (SELECT id FROM laws WHERE created_at > :at)",
    "DELETE FROM laws WHERE created_at > :at",
    "DELETE FROM record_revisions WHERE occurred_at > :at",
    "DELETE FROM change_events WHERE occurred_at > :at",
)


def restore(engine: sa.Engine, seeded_at: datetime) -> int:
    """Take the database back to what was seeded at `seeded_at`, undoing later writes; the
    laws removed.

    Each run's `create_law` adds a few thousand laws, all of them the newest records: kept, a
    cached database drifted from run to run, and what reads the newest entries first (search)
    got slower run by run (PostgreSQL 100k, nine runs adding 24,688 laws: search p99 101 ->
    168 ms; restored before each, four runs: 75-81 ms).
    """
    # Bound as the service binds its timestamps: naive UTC text on SQLite.
    at = sa.bindparam("at", seeded_at, type_=UTCDateTime)
    with engine.begin() as connection:
        removed = connection.scalar(
            sa.text("SELECT count(*) FROM laws WHERE created_at > :at").bindparams(at)
        )
        if not removed:
            return 0
        for statement in _WRITTEN_SINCE:
            connection.execute(sa.text(statement).bindparams(at))
    if engine.dialect.name == "postgresql":
        # As after seeding: dead rows vacuumed, the visibility map set again.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    return int(removed)


def ensure(target: Target, *, force: bool = False) -> dict[str, Any]:
    """The seeded database as it was seeded, seeding it first if it is not there."""
    if not force:
        found = complete(target)
        if found is not None:
            engine = sa.create_engine(target.url)
            try:
                removed = restore(engine, datetime.fromisoformat(found["seeded_at"]))
            finally:
                engine.dispose()
            log(
                f"{target.name}: seeded already ({found['seeded_at']})"
                + (f", {removed:,} laws of earlier runs removed" if removed else "")
            )
            return found
    return seed(target)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=10_000, help="agreements, and as many laws")
    parser.add_argument("--force", action="store_true", help="seed anew even if seeded already")
    args = parser.parse_args(argv)
    if shutil.which(str(CAUCUS)) is None:
        raise SystemExit(f"{CAUCUS} not found: run `make install` first")
    ensure(Target(args.engine, args.n), force=args.force)


if __name__ == "__main__":
    main()
