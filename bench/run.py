"""Benchmark the API as users run it, against a bare FastAPI endpoint measured in the same run.

For one engine and N: seed the database if it is not cached (bench/seed.py), serve the baseline
app and measure it, serve the API with `caucus serve`, harvest real pages (cursors, ids) through
the API, drive each scenario with wrk for a bounded time, measure the baseline once more, and
write bench/results/<date>-<engine>-<n>.json and the results table of bench/README.md.

    .venv/bin/python bench/run.py --engine postgresql --n 100000 --duration 10
"""

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
README = BENCH / "README.md"
WRK = BENCH / "wrk"
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"
API = "/api/v1"
# The default of 600 a minute would refuse the load after a few hundred requests; a limit per
# second keeps the limiter's own cost (one moving window per caller) as it is in production.
RATE_LIMIT = "1000000/second"
PAGES_PER_COUNTRY = 4
PAGE_SIZE = 50
# The changes a syncing partner asks for: as many at every size (what changed in a week is a
# count of writes, not a share of the record), so that a page at 10k asks as much as at 1M.
CHANGES_SINCE_SYNC = 5_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    script: str
    args: tuple[str, ...]
    connections: int
    server: str = "app"


# ---- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"server not up at {url} after {deadline_seconds} s")


@contextmanager
def serving(
    command: list[str], env: dict[str, str], ready_path: str, log_path: Path
) -> Iterator["Server"]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(base + ready_path, process, 60)
            yield Server(base, process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the server has used (user and system), its worker processes included.

        Divided by the requests it answered, this is what a request costs whatever else the
        machine is doing, which throughput on a shared machine is not.
        """
        return sum(_cpu_seconds(pid) for pid in [self.pid, *_children(self.pid)])


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # ended meanwhile
        return 0.0
    # utime and stime, the 14th and 15th fields; the first two (pid, name) are cut off above.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def app_environment(description: dict[str, Any]) -> dict[str, str]:
    return seed.environment(description["url"]) | {
        "CAUCUS_RATE_LIMIT_PER_PRINCIPAL": RATE_LIMIT,
        # Access logs as in production (INFO), written to the server's log file.
        "CAUCUS_LOG_LEVEL": "INFO",
    }


# ---- what the load asks for ----------------------------------------------------------------


def get_json(base: str, path: str, token: str, attempts: int = 3) -> Any:
    """A page, asked again after a pause if it failed (the database restarting under the
    harvest must not end the run; the measurements themselves count every failure)."""
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - http, loopback
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                return json.load(answer)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            if attempt == attempts:
                raise
            log(f"harvest: {path} failed ({error}); asking again")
            time.sleep(5)
    raise AssertionError("unreachable")


def walk(base: str, path: str, token: str, pages: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The path of each of the first `pages` pages of a list, and the page."""
    for _ in range(pages):
        page = get_json(base, path, token)
        yield path, page
        if not page["next_cursor"]:
            return
        path = with_query(path, cursor=page["next_cursor"])


def full(page: dict[str, Any]) -> bool:
    """Whether a page shows as many records as a page can. Only full pages are asked for: a
    small country's last page at 10k is less work than any page at 1M, and the comparison of
    sizes would measure that instead of the size."""
    return len(page["items"]) == PAGE_SIZE


def with_query(path: str, **values: str) -> str:
    parts = urllib.parse.urlsplit(path)
    query = dict(urllib.parse.parse_qsl(parts.query)) | values
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def harvest(base: str, description: dict[str, Any], work: Path) -> dict[str, Path]:
    """Files of request paths per scenario, from real pages the read token is served."""
    token = description["tokens"]["read"]
    engine = sa.create_engine(description["url"])
    try:
        with engine.connect() as connection:
            agreement_countries = list(
                connection.scalars(
                    sa.text("SELECT DISTINCT country FROM agreement_parties ORDER BY country")
                )
            )
            law_countries = list(
                connection.scalars(sa.text("SELECT DISTINCT country FROM laws ORDER BY country"))
            )
            # A time the last CHANGES_SINCE_SYNC changes were made after.
            since = connection.scalar(
                sa.text(
                    "SELECT updated_at FROM agreements "
                    "ORDER BY updated_at DESC LIMIT 1 OFFSET :skip"
                ),
                {"skip": min(CHANGES_SINCE_SYNC, description["n"] // 2)},
            )
    finally:
        engine.dispose()
    since_at = datetime.fromisoformat(str(since))
    since_text = (since_at.replace(tzinfo=UTC) if since_at.tzinfo is None else since_at).isoformat()
    lists: list[str] = []
    ids: list[str] = []
    for country in agreement_countries:
        for query in ({"country": country}, {"country": country, "updated_since": since_text}):
            start = f"{API}/agreements?" + urllib.parse.urlencode({**query, "limit": PAGE_SIZE})
            for path, page in walk(base, start, token, PAGES_PER_COUNTRY):
                if full(page):
                    lists.append(path)
                ids += [item["id"] for item in page["items"]]
    law_lists: list[str] = []
    for country in law_countries:
        start = f"{API}/laws?" + urllib.parse.urlencode({"country": country, "limit": PAGE_SIZE})
        law_lists += [
            path for path, page in walk(base, start, token, PAGES_PER_COUNTRY) if full(page)
        ]
    rng = random.Random(8)
    terms = (
        rng.sample(seed.COMMON, 6)
        + rng.sample(seed.MEDIUM, 12)
        + rng.sample(seed.RARE, 12)
        + [
            "domestic workers",
            "recruitment fees",
            "kafala",
            "Batas Kasambahay",
            "Philippines",
            "grievance mediation",
            "Nepal construction",
            "พระราชบัญญัติ",
            "lao dong",
        ]
    )
    searches = [f"{API}/search?" + urllib.parse.urlencode({"q": term}) for term in terms]
    unique_ids = sorted(set(ids))
    rng.shuffle(unique_ids)
    gets = [f"{API}/agreements/{record_id}" for record_id in unique_ids[:5000]]
    files = {
        "list_agreements": lists,
        "get_agreement": gets,
        "list_laws": law_lists,
        "search": searches,
        "countries": law_countries,
    }
    work.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, lines in files.items():
        path = work / f"{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        written[name] = path
    log(
        f"harvested {len(lists)} agreement pages over {len(agreement_countries)} countries, "
        f"{len(gets)} ids, {len(law_lists)} law pages, {len(searches)} searches"
    )
    return written


def scenarios(
    files: dict[str, Path], description: dict[str, Any], args: argparse.Namespace
) -> list[Scenario]:
    read, write = description["tokens"]["read"], description["tokens"]["write"]
    paths = str(WRK / "paths.lua")
    reads = args.read_connections
    # Search last: where it is slower than the run, its requests outlive it unseen (they log
    # nothing until they end) and would hold the connections and cores the next one needs.
    return [
        Scenario(
            "list_agreements",
            "GET /agreements?country=..&limit=50 (first and cursor pages; half with updated_since)",
            paths,
            (str(files["list_agreements"]), read),
            reads,
        ),
        Scenario(
            "get_agreement",
            "GET /agreements/{id}, ids from the pages",
            paths,
            (str(files["get_agreement"]), read),
            reads,
        ),
        Scenario(
            "list_laws",
            "GET /laws?country=..&limit=50 (first and cursor pages)",
            paths,
            (str(files["list_laws"]), read),
            reads,
        ),
        Scenario(
            "create_law",
            "POST /laws: record, revision, audit entry, change event, search entry",
            str(WRK / "create_law.lua"),
            (str(files["countries"]), write),
            args.write_connections,
        ),
        Scenario(
            "search",
            "GET /search?q=.. (frequent, rare, multi-word, Thai terms)",
            paths,
            (str(files["search"]), read),
            reads,
        ),
    ]


# ---- driving -------------------------------------------------------------------------------


def wrk(base: str, scenario: Scenario, seconds: float) -> dict[str, Any]:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(scenario.connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "--latency",
        "--script",
        scenario.script,
        base,
        "--",
        *scenario.args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((out for out in done.stdout.splitlines() if out.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed for {scenario.name}:\n{done.stdout}{done.stderr}")
    raw: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    return raw


def measured(raw: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    errors = raw["errors"]
    ok = sum(count for status, count in raw["statuses"].items() if status.startswith("2"))
    return {
        "what": scenario.what,
        "connections": scenario.connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1),
        "ok": ok,
        "statuses": raw["statuses"],
        "socket_errors": {k: v for k, v in errors.items() if k != "status" and v},
        "latency_ms": {
            key: round(value / 1000, 2) for key, value in latency.items() if key != "stdev"
        },
    }


def settle(server_log: Path, raw: dict[str, Any], deadline_seconds: float = 120) -> None:
    """Wait for the requests wrk left in flight when it stopped: they finish (and are logged)
    before the next measurement, which they would otherwise slow down or block. Quiet means no
    answer logged for twice the slowest answer seen (none seen: 30 s), within the deadline."""
    slowest = raw["latency_us"]["max"] / 1e6 if raw["requests"] else 30.0
    quiet_seconds = min(max(1.0, 2 * slowest), 30.0)
    deadline = time.monotonic() + deadline_seconds
    size, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_size = server_log.stat().st_size
        if now_size != size:
            size, quiet_since = now_size, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.1)
    log(f"server still busy {deadline_seconds} s after the load stopped")


def run_scenario(
    server: Server, scenario: Scenario, args: argparse.Namespace, server_log: Path
) -> dict[str, Any]:
    if args.warmup > 0:
        settle(server_log, wrk(server.base, scenario, args.warmup))
    logged_before = server_log.stat().st_size
    cpu_before = server.cpu_seconds()
    raw = wrk(server.base, scenario, args.duration)
    settle(server_log, raw)
    cpu_used = server.cpu_seconds() - cpu_before
    seen = answered(server_log, logged_before)
    answers = sum(seen["statuses"].values())
    seen["cpu_ms_per_request"] = round(1000 * cpu_used / answers, 2) if answers else None
    result = measured(raw, scenario) | {"server": seen}
    lat = result["latency_ms"]
    log(
        f"{scenario.name:16} {result['rps']:8.1f} req/s  p50 {lat['p50']:7.2f} ms  "
        f"p99 {lat['p99']:7.2f} ms  statuses {result['statuses']} {result['socket_errors'] or ''}"
        f" server {result['server']}"
    )
    return result


ACCESS_LINE = re.compile(r'uvicorn\.access: .*" (\d{3})\s*$')


def answered(server_log: Path, offset: int) -> dict[str, Any]:
    """What the server logged from the start of a measurement until it settled: its answers by
    status (including those to requests wrk gave up on when it stopped) and unhandled errors."""
    with server_log.open("rb") as lines:
        lines.seek(offset)
        text = lines.read().decode(errors="replace")
    statuses: dict[str, int] = {}
    for line in text.splitlines():
        if found := ACCESS_LINE.search(line):
            statuses[found[1]] = statuses.get(found[1], 0) + 1
    return {
        "statuses": dict(sorted(statuses.items())),
        "unhandled_errors": text.count("app.core.errors: unhandled error"),
    }


def baseline(args: argparse.Namespace, logs: Path, *, with_sync: bool) -> dict[str, dict[str, Any]]:
    command = [
        str(ROOT / ".venv" / "bin" / "python"),
        "-m",
        "bench.baseline_app",
        "--workers",
        str(args.workers),
    ]
    env = os.environ | {"CAUCUS_LOG_LEVEL": "INFO"}
    paths = logs / "baseline-paths.txt"
    paths.write_text("/\n")
    sync_paths = logs / "baseline-sync-paths.txt"
    sync_paths.write_text("/sync\n")
    measured_here = {}
    with serving(command, env, "/", logs / "baseline.log") as server:
        plain = Scenario(
            "baseline",
            "GET / of a bare FastAPI app: async def, constant JSON",
            str(WRK / "paths.lua"),
            (str(paths),),
            args.read_connections,
            "baseline",
        )
        measured_here["baseline"] = run_scenario(server, plain, args, logs / "baseline.log")
        if with_sync:
            sync = Scenario(
                "baseline_sync",
                "GET /sync of the bare app: plain def (threadpool)",
                str(WRK / "paths.lua"),
                (str(sync_paths),),
                args.read_connections,
                "baseline",
            )
            measured_here["baseline_sync"] = run_scenario(server, sync, args, logs / "baseline.log")
    return measured_here


def floor(
    args: argparse.Namespace, description: dict[str, Any], files: dict[str, Path], logs: Path
) -> dict[str, dict[str, Any]]:
    """The ids the API was asked for, asked of `bench/floor_app.py`: what this stack answers a
    GET by id with at all, in one statement and in the three an authenticated one needs."""
    ids = [path.rpartition("/")[2] for path in files["get_agreement"].read_text().split()]
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.floor_app"]
    command += ["--workers", str(args.workers)]
    measured_here = {}
    with serving(command, app_environment(description), "/docs", logs / "floor.log") as server:
        for name, what, prefix, token in (
            ("floor_get", "GET /record/{id} of the floor app: one statement", "/record", None),
            (
                "floor_get_authenticated",
                "GET /authenticated/{id} of the floor app: token, record, parties",
                "/authenticated",
                description["tokens"]["read"],
            ),
        ):
            paths = logs / f"{name}-paths.txt"
            paths.write_text("".join(f"{prefix}/{record_id}\n" for record_id in ids))
            scenario = Scenario(
                name,
                what,
                str(WRK / "paths.lua"),
                (str(paths),) + ((token,) if token else ()),
                args.read_connections,
                "floor",
            )
            measured_here[name] = run_scenario(server, scenario, args, logs / "floor.log")
    return measured_here


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": [round(value, 2) for value in load],
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        .stdout.splitlines()[0]
        .strip(),
    }


def cancel_leftover_queries(url: str) -> None:
    """End what the stopped server left running in PostgreSQL (a search can outlive its client
    by minutes), so that it does not load the baseline measured next."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            ended = connection.scalar(
                sa.text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()
    if ended:
        log(f"ended {ended} queries the server left running")


def postgres_version(url: str) -> str | None:
    if not url.startswith("postgresql"):
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            version: str = connection.scalar(sa.text("SHOW server_version"))
            return version
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> Path:
    ensure_wrk()
    target = seed.Target(args.engine, args.n)
    description = seed.ensure(target)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = seed.DATA / "runs" / f"{stamp}-{target.name}"
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    info = machine()

    results: dict[str, dict[str, Any]] = {}
    log(f"{target.name}: baseline, {args.duration} s per scenario after {args.warmup} s warm-up")
    first = baseline(args, work, with_sync=True)
    results.update(first)

    command = [str(ROOT / ".venv" / "bin" / "caucus"), "serve", "--workers", str(args.workers)]
    with serving(command, app_environment(description), "/healthz", work / "app.log") as server:
        files = harvest(server.base, description, work)
        for scenario in scenarios(files, description, args):
            if args.only and scenario.name not in args.only:
                continue
            results[scenario.name] = run_scenario(server, scenario, args, work / "app.log")
    cancel_leftover_queries(description["url"])
    if not args.only or "get_agreement" in args.only:
        results.update(floor(args, description, files, work))

    again = baseline(args, work, with_sync=False)["baseline"]
    results["baseline_again"] = again
    reference = statistics.mean([first["baseline"]["rps"], again["rps"]])
    for result in results.values():
        result["ratio"] = round(result["rps"] / reference, 4)

    report = {
        "date": started.isoformat(timespec="seconds"),
        "engine": args.engine,
        "n": args.n,
        "postgres": postgres_version(description["url"]),
        "workers": args.workers,
        "duration_seconds": args.duration,
        "warmup_seconds": args.warmup,
        "wrk_threads": 1,
        "baseline_rps": round(reference, 1),
        "machine": info | {"load_average_after": [round(v, 2) for v in os.getloadavg()]},
        "seed": {key: description[key] for key in ("seeded_at", "seed_seconds", "rows", "history")},
        "note": args.note,
        "only": args.only or None,
        "scenarios": results,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}-{args.engine}-{args.n}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {path.relative_to(ROOT)}")
    update_readme()
    return path


# ---- the table ------------------------------------------------------------------------------


SHOWN = (
    "baseline",
    "baseline_sync",
    "floor_get",
    "floor_get_authenticated",
    "list_agreements",
    "get_agreement",
    "list_laws",
    "search",
    "create_law",
    "baseline_again",
)


def latest_reports() -> list[dict[str, Any]]:
    """The newest report of each engine and N that ran every scenario."""
    newest: dict[tuple[str, int], dict[str, Any]] = {}
    # Named by the time they were made; the write load's results (write-load-*) live beside them.
    for path in sorted(RESULTS.glob("[0-9]*.json")):
        report = json.loads(path.read_text())
        if report.get("only"):
            continue
        report["file"] = path.name
        newest[(report["engine"], report["n"])] = report
    return [newest[key] for key in sorted(newest)]


def targets(reports: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, each against the reports that can tell."""
    by = {(r["engine"], r["n"]): r["scenarios"] for r in reports}
    lines = []
    for (engine, n), found in sorted(by.items()):

        def has(name: str) -> dict[str, Any] | None:
            return found.get(name)  # noqa: B023 - used at once

        if (s := has("list_agreements")) and n >= 1_000_000:
            lines.append(
                verdict(
                    f"list of 50 agreements at {n:,} ({engine}) >= 10% of baseline",
                    s["ratio"] >= 0.10,
                    f"{s['ratio']:.1%}",
                )
            )
        if s := has("get_agreement"):
            lines.append(
                verdict(
                    f"get by id at {n:,} ({engine}) >= 25% of baseline",
                    s["ratio"] >= 0.25,
                    f"{s['ratio']:.1%}",
                )
            )
        if (s := has("search")) and n >= 100_000:
            lines.append(
                verdict(
                    f"search p99 at {n:,} ({engine}), 8 clients < 100 ms",
                    answered_at_all(s) and s["latency_ms"]["p99"] < 100,
                    p99(s),
                )
            )
        if (s := has("create_law")) and engine == "postgresql":
            lines.append(
                verdict(
                    f"create p99 at {n:,} (postgresql), 32 writers < 250 ms",
                    answered_at_all(s) and s["latency_ms"]["p99"] < 250,
                    p99(s),
                )
            )
        if (s := has("create_law")) and engine == "sqlite":
            failed = sum(failures(s).values())
            lines.append(
                verdict(
                    f"create at {n:,} (sqlite), 32 writers without errors",
                    answered_at_all(s) and not failed,
                    f"{failed} failed",
                )
            )
    for engine in ("sqlite", "postgresql"):
        small, big = by.get((engine, 10_000)), by.get((engine, 1_000_000))
        if small and big and "list_agreements" in small and "list_agreements" in big:
            ratio = (
                big["list_agreements"]["latency_ms"]["p50"]
                / small["list_agreements"]["latency_ms"]["p50"]
            )
            lines.append(
                verdict(
                    f"list p50 at 1M within 1.5x of 10k ({engine})", ratio <= 1.5, f"{ratio:.2f}x"
                )
            )
    return lines


def answered_at_all(s: dict[str, Any]) -> bool:
    return bool(s["requests"])


def p99(s: dict[str, Any]) -> str:
    return f"{s['latency_ms']['p99']} ms" if s["requests"] else "no answer in the run"


def failures(s: dict[str, Any]) -> dict[str, int]:
    """Answers that were not 2xx, as wrk saw them and as the server logged them (including
    answers to requests wrk had given up on), socket errors and unhandled errors."""
    found = {k: v for k, v in s["statuses"].items() if not k.startswith("2")}
    found |= s["socket_errors"]
    server = s.get("server", {})
    found |= {
        f"server {k}": v for k, v in server.get("statuses", {}).items() if not k.startswith("2")
    }
    if server.get("unhandled_errors"):
        found["unhandled errors"] = server["unhandled_errors"]
    return found


def verdict(target: str, met: bool, value: str) -> str:
    return f"| {target} | {value} | {'met' if met else '**missed**'} |"


def table(reports: list[dict[str, Any]]) -> str:
    lines = []
    for report in reports:
        m = report["machine"]
        lines += [
            f"**{report['engine']}, N = {report['n']:,}** ({report['file']}): {report['date']}, "
            f"{m['cpus']} cores, load {m['load_average_before'][0]} before, "
            f"{report['workers']} worker(s), {report['duration_seconds']} s per scenario"
            + (f"; {report['note']}" if report.get("note") else ""),
            "",
            "| scenario | conns | req/s | vs baseline | p50 ms | p99 ms | CPU ms/req "
            "| non-2xx / errors |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name in SHOWN:
            s = report["scenarios"].get(name)
            if s is None:
                continue
            bad = failures(s)
            p50, p99_ = (
                (s["latency_ms"]["p50"], s["latency_ms"]["p99"]) if s["requests"] else ("-", "-")
            )
            cpu = s.get("server", {}).get("cpu_ms_per_request") or "-"
            lines.append(
                f"| {name} | {s['connections']} | {s['rps']:,.0f} | {s['ratio']:.1%} | "
                f"{p50} | {p99_} | {cpu} | "
                f"{', '.join(f'{k}: {v}' for k, v in bad.items()) or '-'} |"
            )
        lines.append("")
    checked = targets(reports)
    if checked:
        lines += ["| target (issue 8) | measured | |", "|---|---:|---|", *checked, ""]
    return "\n".join(lines)


def update_readme() -> None:
    text = README.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    body = table(latest_reports())
    README.write_text(text[: start + len(TABLE_START)] + "\n" + body + "\n" + text[end:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each scenario")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (ratios: 1)")
    parser.add_argument("--read-connections", type=int, default=8)
    parser.add_argument("--write-connections", type=int, default=32)
    parser.add_argument("--only", nargs="*", help="run only these scenarios (and the baseline)")
    parser.add_argument("--note", default="", help="recorded with the results")
    parser.add_argument("--table", action="store_true", help="only rewrite the README table")
    args = parser.parse_args(argv)
    if args.table:
        update_readme()
        return
    run(args)


if __name__ == "__main__":
    main()
