"""Write load on the service as users run it, with faults, and a check of every acknowledged write.

    python bench/write_load.py --engine sqlite|postgresql --writers 32 --seconds 60 \
        [--fault none|sigkill|pg-restart]

It builds its own database (a SQLite file under bench/.data/, or the PostgreSQL database
`caucus_load`), migrates it, loads the reference data, issues an API token, starts `caucus serve`
and lets concurrent writers create laws and update their own ones (PATCH with If-Match), each
POST with an Idempotency-Key. Every write acknowledged with a 2xx is remembered; afterwards the
database itself is read to check that each is there with what was sent, with its revision, audit
entry and change event, and that no create was made twice. The server's resident memory is
sampled every second. See bench/WRITE_LOAD.md for what each check means.

Exit status 0 when every check holds, 1 otherwise; the result is written to
bench/results/write-load-<engine>[-<fault>]-<date>.json.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results"
CAUCUS = str(Path(sys.executable).with_name("caucus"))
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "caucus_load"  # never `test`: the test suite's own
ORGANISATION = "Migrant Forum in Asia"  # the secretariat `caucus create-admin` makes
LAWS = "/api/v1/laws"
# Growth of resident memory, first 10 s against last 10 s of the load, that fails the run.
MAX_RSS_GROWTH = 0.20
# Seconds from PostgreSQL answering again to the first acknowledged write, that fails the run.
MAX_RECOVERY_SECONDS = 10.0
# How long a writer keeps retrying one request while the server or database is away.
RETRY_FOR_SECONDS = 45.0
# How long a retried POST waits out "409: still being handled" before the writer moves on: a
# key claimed by a server killed mid-request stays claimed (see WRITE_LOAD.md).
IN_PROGRESS_PATIENCE = 5.0


@dataclass
class Write:
    """A write the server acknowledged: what was sent, and the version it answered with."""

    record_id: str
    version: int
    title: str
    summary: str
    action: str  # created or updated


@dataclass
class Attempt:
    """A write sent whose outcome is unknown (the connection broke before an answer)."""

    marker: str
    record_id: str | None
    title: str


@dataclass
class Stats:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"POST": [], "PATCH": []})
    acknowledged: list[Write] = field(default_factory=list)
    in_doubt: list[Attempt] = field(default_factory=list)
    connection_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    five_xx_outside_fault: int = 0
    five_xx_not_problem: int = 0
    gave_up: list[str] = field(default_factory=list)
    markers_sent: set[str] = field(default_factory=set)
    first_2xx_after: dict[str, float] = field(default_factory=dict)


class Server:
    """`caucus serve` in its own process group, as an operator starts it."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env, self.port, self.workers, self.log = env, port, workers, log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    CAUCUS,
                    "serve",
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                    *("--workers", str(self.workers)),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def wait_ready(self, timeout: float = 30.0) -> float:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise SystemExit(f"server exited with {code}; see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
        raise SystemExit(f"server not ready within {timeout} s; see {self.log}")

    def kill(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def rss_kib(self) -> int | None:
        """Resident memory of the server and every process under it (workers), in KiB."""
        if self.process is None or self.process.poll() is not None:
            return None
        total, pending = 0, [self.process.pid]
        while pending:
            pid = pending.pop()
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(c) for c in (task / "children").read_text().split()]
        return total


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def fresh_database(engine_name: str) -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    if engine_name == "sqlite":
        path = DATA / "write-load.db"
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {POSTGRES_DATABASE}")
    admin.dispose()
    return f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"


def prepare(database_url: str) -> tuple[dict[str, str], str]:
    """Migrate, load reference data, make the secretariat and issue a write token."""
    env = {
        **os.environ,
        "CAUCUS_DATABASE_URL": database_url,
        "CAUCUS_ADMIN_PASSWORD": uuid.uuid4().hex,
        # One caller makes every request here; a per-second window keeps the limiter's memory
        # (one timestamp per hit in the window) from growing over the run and skewing RSS.
        "CAUCUS_RATE_LIMIT_PER_PRINCIPAL": "100000/second",
        "CAUCUS_LOG_LEVEL": "WARNING",
    }
    run([CAUCUS, "db", "upgrade"], env)
    run([CAUCUS, "load-reference"], env)
    run([CAUCUS, "create-admin", "--bootstrap"], env)
    issued = run(
        [
            CAUCUS,
            "create-token",
            *("--organisation", ORGANISATION, "--name", "write-load"),
            *("--scopes", "records:read,records:write"),
        ],
        env,
    )
    return env, issued.strip().splitlines()[-1]


class Load:
    def __init__(self, args: argparse.Namespace, server: Server, token: str) -> None:
        self.args, self.server = args, server
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stats = Stats()
        self.run_id = uuid.uuid4().hex[:8]
        self.deadline = 0.0
        # While set, the server or database is away on purpose: failures are expected.
        self.fault_window = False
        self.fault_started: float | None = None
        self.database_back_at: float | None = None
        self.first_2xx_after_back: float | None = None
        self.database_away_seconds: float | None = None
        self.last_503_at: float | None = None
        self.statuses_during_fault: Counter[str] = Counter()
        self.rss: list[tuple[float, int, int]] = []  # (seconds into the load, KiB, server start)

    async def request(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        body: dict[str, Any],
        **headers: str,
    ) -> tuple[httpx.Response | None, bool]:
        """Send until answered with something other than a transient failure (None if never),
        and whether it took more than one try."""
        give_up_at = time.monotonic() + RETRY_FOR_SECONDS
        tried_before = False
        answered_at: float | None = None
        while True:
            started = time.monotonic()
            try:
                response = await client.request(
                    method, path, json=body, headers={**self.headers, **headers}
                )
            except httpx.TransportError:
                self.stats.connection_errors += 1
                if not self.fault_window:
                    self.stats.unexpected.append(f"connection error outside a fault: {method}")
                tried_before = True
                if time.monotonic() > give_up_at:
                    return None, tried_before
                await asyncio.sleep(0.2)
                continue
            answered_at = answered_at or time.monotonic()
            self.stats.latencies[method].append(time.monotonic() - started)
            status = response.status_code
            self.stats.statuses[str(status)] += 1
            if self.fault_window:
                self.statuses_during_fault[str(status)] += 1
            if status >= 500:
                if not response.headers.get("content-type", "").startswith(
                    "application/problem+json"
                ) or (status == 503 and "retry-after" not in response.headers):
                    self.stats.five_xx_not_problem += 1
                if not (status == 503 and self.fault_window and self.args.fault == "pg-restart"):
                    self.stats.five_xx_outside_fault += 1
                if status == 503:
                    self.last_503_at = time.monotonic()
                if status == 503 and time.monotonic() < give_up_at:
                    tried_before = True
                    await asyncio.sleep(min(float(response.headers.get("retry-after", 1)), 0.5))
                    continue
                return response, tried_before
            # A retried POST whose first try was cut off: its key may still be marked as in
            # progress (by a server since killed). Shortly retrying is what the problem says.
            if (
                status == 409
                and tried_before
                and method == "POST"
                and time.monotonic() < min(give_up_at, answered_at + IN_PROGRESS_PATIENCE)
            ):
                await asyncio.sleep(0.5)
                continue
            if 200 <= status < 300 and self.database_back_at and self.first_2xx_after_back is None:
                self.first_2xx_after_back = time.monotonic() - self.database_back_at
            return response, tried_before

    async def writer(self, number: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(f"{self.run_id}-{number}")
        own: list[dict[str, Any]] = []  # records this writer made: id, version, title
        sequence = 0
        while time.monotonic() < self.deadline:
            sequence += 1
            marker = f"load-{self.run_id}-{number}-{sequence}"
            summary = f"written by writer {number}, write {sequence}"
            if own and rng.random() < 0.5:
                record = rng.choice(own)
                title = f"{marker} (update of {record['marker']})"
                body: dict[str, Any] = {"title": title, "summary": summary}
                response, retried = await self.request(
                    client,
                    "PATCH",
                    f"{LAWS}/{record['id']}",
                    body,
                    **{"If-Match": f'"{record["version"]}"'},
                )
                if response is None:
                    self.stats.in_doubt.append(Attempt(marker, record["id"], title))
                    self.stats.gave_up.append(f"PATCH {record['id']}")
                    continue
                if response.status_code == 412 and retried:
                    # An update cut off by the kill may have landed: read the record again.
                    self.stats.in_doubt.append(Attempt(marker, record["id"], title))
                    current = await client.get(f"{LAWS}/{record['id']}", headers=self.headers)
                    if current.status_code == 200:
                        record["version"] = current.json()["version"]
                        continue
                if response.status_code != 200:
                    self.stats.unexpected.append(
                        f"PATCH {response.status_code} {response.text[-300:]}"
                    )
                    continue
                answered = response.json()
                if (
                    answered["title"] != title
                    or response.headers.get("etag") != f'"{answered["version"]}"'
                ):
                    self.stats.unexpected.append(f"PATCH answered {answered['title']!r}")
                record["version"] = answered["version"]
                self.stats.acknowledged.append(
                    Write(record["id"], answered["version"], title, summary, "updated")
                )
                continue
            body = {
                "country": "PH",
                "title": marker,
                "kind": "act",
                "status": "enacted",
                "reference": marker,
                "summary": summary,
                "instrument_codes": ["C189"],
                "sources": ["https://example.org/write-load"],
            }
            self.stats.markers_sent.add(marker)
            response, retried = await self.request(
                client, "POST", LAWS, body, **{"Idempotency-Key": marker}
            )
            if response is None or (response.status_code == 409 and retried):
                self.stats.in_doubt.append(Attempt(marker, None, marker))
                self.stats.gave_up.append(
                    f"POST {marker}: "
                    + ("no answer" if response is None else "409 key in progress")
                )
                continue
            if response.status_code != 201:
                self.stats.unexpected.append(f"POST {response.status_code} {response.text[-300:]}")
                continue
            answered = response.json()
            if answered["title"] != marker or answered["version"] != 1:
                self.stats.unexpected.append(
                    f"POST answered {answered['title']!r} v{answered['version']}"
                )
            own.append({"id": answered["id"], "version": 1, "marker": marker})
            self.stats.acknowledged.append(Write(answered["id"], 1, marker, summary, "created"))

    async def sample_memory(self, started: float) -> None:
        while time.monotonic() < self.deadline:
            kib = self.server.rss_kib()
            if kib:
                self.rss.append((round(time.monotonic() - started, 1), kib, self.server.starts))
            await asyncio.sleep(1.0)

    async def fault(self, started: float) -> None:
        if self.args.fault == "none":
            return
        await asyncio.sleep(self.args.seconds / 3)
        self.fault_window = True
        self.fault_started = time.monotonic() - started
        loop = asyncio.get_running_loop()
        if self.args.fault == "sigkill":
            self.server.kill()
            await asyncio.sleep(0.5)  # writers meet a dead port, as after a crash
            self.server.start()
            self.restart_seconds = await loop.run_in_executor(None, self.server.wait_ready)
        else:
            version = sorted(
                os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")]
            )[-1]
            restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
            restarting = time.monotonic()
            await loop.run_in_executor(
                None,
                # A fixed command, found on PATH as an operator runs it.
                lambda: subprocess.run(restart, check=True),
            )
            await loop.run_in_executor(None, wait_for_postgres)
            self.database_back_at = time.monotonic()
            self.database_away_seconds = self.database_back_at - restarting
        # Requests already in flight when the fault ended may still fail because of it.
        await asyncio.sleep(2.0)
        self.fault_window = False
        self.fault_ended = time.monotonic() - started

    async def run(self) -> float:
        limits = httpx.Limits(
            max_connections=self.args.writers, max_keepalive_connections=self.args.writers
        )
        async with httpx.AsyncClient(base_url=self.server.url, limits=limits, timeout=60) as client:
            started = time.monotonic()
            self.deadline = started + self.args.seconds
            await asyncio.gather(
                self.sample_memory(started),
                self.fault(started),
                *(self.writer(number, client) for number in range(self.args.writers)),
            )
            return time.monotonic() - started


def wait_for_postgres(timeout: float = 60.0) -> None:
    engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", poolclass=sa.NullPool)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return
        except sa.exc.OperationalError:
            time.sleep(0.1)
    raise SystemExit("PostgreSQL did not come back")


def verify(database_url: str, load: Load) -> dict[str, Any]:
    """Read the database itself: is every acknowledged write there, once, as it was sent?"""
    stats = load.stats
    problems: list[str] = []
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    prefix = f"load-{load.run_id}-%"
    with engine.connect() as connection:
        laws = {
            str(row.id): row
            for row in connection.execute(
                sa.text(
                    "SELECT id, title, summary, reference, version FROM laws "
                    "WHERE reference LIKE :p"
                ),
                {"p": prefix},
            )
        }
        revisions = {
            (str(row.record_id), row.version): json.loads(row.snapshot)
            if isinstance(row.snapshot, str)
            else row.snapshot
            for row in connection.execute(
                sa.text(
                    "SELECT record_id, version, snapshot FROM record_revisions "
                    "WHERE record_type = 'law'"
                )
            )
        }
        events = Counter(
            str(row.record_id)
            for row in connection.execute(
                sa.text("SELECT record_id FROM change_events WHERE record_type = 'law'")
            )
        )
        audits = Counter(
            str(row.subject_id)
            for row in connection.execute(
                sa.text("SELECT subject_id FROM audit_log WHERE subject_type = 'law'")
            )
        )
        in_progress = connection.execute(
            sa.text("SELECT count(*) FROM idempotency_keys WHERE status_code IS NULL")
        ).scalar()
        if in_progress and load.args.fault == "none":
            problems.append(f"{in_progress} idempotency keys left in progress with no fault")
        integrity = None
        if engine.dialect.name == "sqlite":
            integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
    engine.dispose()

    def normal(record_id: str) -> str:
        return str(uuid.UUID(record_id))

    laws = {normal(key): row for key, row in laws.items()}
    revisions = {(normal(key), version): snapshot for (key, version), snapshot in revisions.items()}
    events = Counter({normal(key): n for key, n in events.items()})
    audits = Counter({normal(key): n for key, n in audits.items()})

    latest: dict[str, Write] = {}
    for write in stats.acknowledged:
        record_id = normal(write.record_id)
        if record_id not in laws:
            problems.append(f"lost: acknowledged {write.action} of {record_id} not in the table")
            continue
        snapshot = revisions.get((record_id, write.version))
        if snapshot is None:
            problems.append(f"lost: no revision {write.version} of {record_id}")
        elif (snapshot["title"], snapshot["summary"]) != (write.title, write.summary):
            problems.append(
                f"wrong: revision {write.version} of {record_id} is {snapshot['title']!r}"
            )
        if write.version >= latest.get(record_id, write).version:
            latest[record_id] = write
    doubtful = {normal(a.record_id) for a in stats.in_doubt if a.record_id}
    for record_id, write in latest.items():
        row = laws.get(record_id)
        if row is None:
            continue
        if row.version < write.version:
            problems.append(
                f"lost: {record_id} at version {row.version}, acknowledged {write.version}"
            )
        elif row.version > write.version and record_id not in doubtful:
            problems.append(
                f"extra: {record_id} at version {row.version}, acknowledged {write.version}"
            )
        elif row.version == write.version and row.title != write.title:
            problems.append(f"wrong: {record_id} holds {row.title!r}, acknowledged {write.title!r}")
    # The lifecycle: each version of each record has its revision, audit entry and change event.
    for record_id, row in laws.items():
        kept = sum(1 for version in range(1, row.version + 1) if (record_id, version) in revisions)
        if not kept == events[record_id] == audits[record_id] == row.version:
            problems.append(
                f"lifecycle: {record_id} v{row.version} has {kept} revisions, "
                f"{events[record_id]} events, {audits[record_id]} audit entries"
            )
    markers = Counter(row.reference for row in laws.values())
    duplicates = sorted(marker for marker, n in markers.items() if n > 1)
    if duplicates:
        problems.append(
            f"duplicates: {len(duplicates)} markers created twice, e.g. {duplicates[0]}"
        )
    strangers = set(markers) - stats.markers_sent
    if strangers:
        problems.append(f"unknown: {len(strangers)} laws never sent")
    created = {normal(w.record_id) for w in stats.acknowledged if w.action == "created"}
    created_in_doubt = {a.marker for a in stats.in_doubt if a.record_id is None}
    unacknowledged = {key for key, row in laws.items() if key not in created}
    unexplained = {key for key in unacknowledged if laws[key].reference not in created_in_doubt}
    if unexplained:
        problems.append(
            f"extra: {len(unexplained)} laws created without an acknowledgement or a doubt"
        )
    return {
        "laws_in_database": len(laws),
        "creates_acknowledged": len(created),
        "creates_landed_unacknowledged": len(unacknowledged),
        "writes_acknowledged": len(stats.acknowledged),
        "writes_in_doubt": len(stats.in_doubt),
        "keys_left_in_progress": in_progress,
        "sqlite_integrity_check": integrity,
        "problems": problems[:50],
        "problem_count": len(problems),
    }


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def memory_summary(load: Load, fault: str) -> dict[str, Any]:
    # Only samples of one server process compare: after a kill the new one starts afresh.
    last_start = max((start for _, _, start in load.rss), default=1)
    samples = [
        (t, kib) for t, kib, start in load.rss if start == (1 if fault == "sigkill" else last_start)
    ]
    if fault == "sigkill":
        samples = [(t, kib) for t, kib in samples if t < (load.fault_started or 0)]
    if len(samples) < 20:
        return {"samples": len(samples), "checked": False}
    first = statistics.median(kib for _, kib in samples[:10])
    last = statistics.median(kib for _, kib in samples[-10:])
    return {
        "samples": len(samples),
        "first_10s_median_mib": round(first / 1024, 1),
        "last_10s_median_mib": round(last / 1024, 1),
        "peak_mib": round(max(kib for _, kib in samples) / 1024, 1),
        "growth_percent": round((last - first) / first * 100, 1),
        "checked": fault != "sigkill",
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault", choices=["none", "sigkill", "pg-restart"], default="none")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes.")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--output", type=Path, help="Where the JSON result goes.")
    args = parser.parse_args()
    if args.fault == "pg-restart" and args.engine != "postgresql":
        parser.error("--fault pg-restart needs --engine postgresql")

    database_url = fresh_database(args.engine)
    env, token = prepare(database_url)
    log = DATA / f"server-{args.engine}-{args.fault}.log"
    log.unlink(missing_ok=True)
    server = Server(env, args.port, args.workers, log)
    server.start()
    load = Load(args, server, token)
    try:
        server.wait_ready()
        elapsed = asyncio.run(load.run())
        ready_after = httpx.get(f"{server.url}/readyz", timeout=10).status_code
    finally:
        server.stop()
    checked = verify(database_url, load)
    stats = load.stats
    memory = memory_summary(load, args.fault)
    requests = sum(stats.statuses.values())
    by_class = Counter(f"{status[0]}xx" for status in stats.statuses.elements())
    failures = list(checked["problems"])
    failures += stats.unexpected[:20]
    if stats.five_xx_outside_fault:
        failures.append(
            f"{stats.five_xx_outside_fault} 5xx responses outside the allowed fault window"
        )
    if stats.five_xx_not_problem:
        failures.append(
            f"{stats.five_xx_not_problem} 5xx responses not problem+json (503: with Retry-After)"
        )
    if ready_after != 200:
        failures.append(f"/readyz answered {ready_after} after the run")
    if memory["checked"] and memory["growth_percent"] > MAX_RSS_GROWTH * 100:
        failures.append(f"resident memory grew {memory['growth_percent']}%")
    result: dict[str, Any] = {
        "engine": args.engine,
        "fault": args.fault,
        "writers": args.writers,
        "seconds": round(elapsed, 1),
        "server_workers": args.workers,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "statuses": dict(sorted(stats.statuses.items())),
        "by_class": dict(sorted(by_class.items())),
        "connection_errors": stats.connection_errors,
        "latency_ms": {
            method: {
                "p50": percentile(values, 0.5),
                "p99": percentile(values, 0.99),
                "n": len(values),
            }
            for method, values in stats.latencies.items()
        },
        "memory": memory,
        "verification": checked,
        "gave_up": stats.gave_up[:20],
        "gave_up_count": len(stats.gave_up),
        "failures": failures,
        "ok": not failures,
    }
    if args.fault != "none":
        result["fault_window_seconds"] = [load.fault_started, getattr(load, "fault_ended", None)]
        result["statuses_during_fault"] = dict(load.statuses_during_fault)
    if args.fault == "sigkill":
        result["server_starts"] = server.starts
        result["restart_ready_seconds"] = round(getattr(load, "restart_seconds", 0), 2)
    if args.fault == "pg-restart":
        recovery = load.first_2xx_after_back
        result["recovery_seconds"] = None if recovery is None else round(recovery, 2)
        away, back, last_503 = load.database_away_seconds, load.database_back_at, load.last_503_at
        result["database_away_seconds"] = None if away is None else round(away, 2)
        result["last_503_after_back_seconds"] = (
            None if back is None or last_503 is None else round(last_503 - back, 2)
        )
        if recovery is None or recovery > MAX_RECOVERY_SECONDS:
            failures.append(
                f"no acknowledged write within {MAX_RECOVERY_SECONDS} s of PostgreSQL back"
            )
            result["ok"] = False
        if not load.statuses_during_fault.get("503"):
            result["note"] = "no 503 seen during the restart (it was quicker than any request)"
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"write-load-{args.engine}" + ("" if args.fault == "none" else f"-{args.fault}")
    output = args.output or RESULTS / f"{name}-{datetime.now(UTC):%Y-%m-%d}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("gave_up",)}, indent=2))
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    print(f"{'OK' if result['ok'] else 'FAILED'}: {shown}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
