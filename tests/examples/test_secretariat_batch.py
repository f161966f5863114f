"""examples/secretariat_batch.py against a live server: a batch is applied once however often
it runs, updates are guarded by If-Match, and transient failures are retried, others not."""

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from app.identity.models import Organisation
from tests.examples.helpers import (
    BUSY,
    EXAMPLES,
    FORWARD_THEN_HANG_UP,
    TOO_MANY,
    UNAVAILABLE,
    Finished,
    Live,
    Seen,
    law,
    proxy_to,
    run,
)

BATCH = "secretariat_batch.py"


@pytest.fixture
def token(live: Live, secretariat: Organisation) -> str:
    return live.api_token(secretariat.id, ["records:read", "records:write"])


def outcomes(finished: Finished) -> list[list[str]]:
    """Each item's line as [outcome, id], or [outcome, ...] for a failure."""
    return [line.split(" ")[1:3] for line in finished.stdout.splitlines()]


def laws(live: Live) -> dict[str, dict[str, Any]]:
    items = live.admin.get("/laws", params={"limit": 200}).json()["items"]
    return {item["id"]: item for item in items}


def test_a_batch_is_created_once_however_often_it_runs(live: Live, token: str) -> None:
    batch = EXAMPLES / "laws.json"

    first = run(BATCH, str(batch), url=live.url, token=token)
    again = run(BATCH, str(batch), url=live.url, token=token)

    assert first.returncode == again.returncode == 0, first.stdout + again.stdout
    created = [record_id for outcome, record_id in outcomes(first) if outcome == "created"]
    assert len(created) == 2
    assert outcomes(again) == [["replayed", record_id] for record_id in created]
    titles = {record["title"] for record in json.loads(batch.read_text())}
    assert {record["title"] for record in laws(live).values()} == titles
    assert set(laws(live)) == set(created)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=sorted({name for row in rows for name in row}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_csv_batch_updates_with_if_match_and_refuses_to_overwrite_a_later_change(
    live: Live, token: str, tmp_path: Path
) -> None:
    guarded = live.create("laws", **law(title="Guarded by its version"))
    current = live.create("laws", **law(title="Read just before"))
    batch = write_csv(
        tmp_path / "laws.csv",
        [
            {
                "id": guarded["id"],
                "version": "1",
                "status": "amended",
                "instrument_codes": "C189;C143",
            },
            {"id": current["id"], "title": "Renamed"},
            {
                "country": "NP",
                "title": "Foreign Employment Act",
                "kind": "act",
                "status": "in_force",
                "instrument_codes": "C189;ICRMW",
            },
        ],
    )

    first = run(BATCH, str(batch), url=live.url, token=token)
    again = run(BATCH, str(batch), url=live.url, token=token)

    assert first.returncode == again.returncode == 0, first.stdout + again.stdout
    [created_id] = set(laws(live)) - {guarded["id"], current["id"]}
    assert outcomes(first) == [
        ["updated", guarded["id"]],
        ["updated", current["id"]],
        ["created", created_id],
    ]
    assert outcomes(again) == [
        ["unchanged", guarded["id"]],
        ["unchanged", current["id"]],
        ["replayed", created_id],
    ]
    now = laws(live)
    assert (now[guarded["id"]]["status"], now[guarded["id"]]["version"]) == ("amended", 2)
    assert now[guarded["id"]]["instrument_codes"] == ["C143", "C189"]
    assert (now[current["id"]]["title"], now[current["id"]]["version"]) == ("Renamed", 2)
    assert now[created_id]["instrument_codes"] == ["C189", "ICRMW"]

    repealed = live.admin.patch(f"/laws/{guarded['id']}", json={"status": "repealed"})
    assert repealed.status_code == 200, repealed.text
    late = run(BATCH, str(batch), url=live.url, token=token)

    assert late.returncode == 1
    assert outcomes(late)[0] == ["conflict", f"{guarded['id']}:"]
    assert laws(live)[guarded["id"]]["status"] == "repealed"


def test_transient_failures_are_retried_with_the_same_key_and_refusals_are_not(
    live: Live, token: str, tmp_path: Path
) -> None:
    batch = tmp_path / "laws.json"
    items = [law(title=f"Law {n}") for n in range(4)] + [law(country="XX")]
    batch.write_text(json.dumps(items))
    # By the number of the POST: the first is made but its answer lost; the next items'
    # first tries are refused as a server, a rate limit and a duplicate in flight would.
    faults = {0: FORWARD_THEN_HANG_UP, 2: UNAVAILABLE, 4: TOO_MANY, 6: BUSY}

    def fault(seen: Seen, before: list[Seen]) -> str | None:
        posts = [request for request in before if request.method == "POST"]
        return faults.get(len(posts)) if seen.method == "POST" else None

    with proxy_to(live.url, fault) as proxy:
        finished = run(BATCH, str(batch), url=proxy.url, token=token)

    assert finished.returncode == 1, finished.stderr
    lines = outcomes(finished)
    assert [outcome for outcome, _ in lines] == [
        "replayed",
        "created",
        "created",
        "created",
        "failed",
    ]
    assert set(laws(live)) == {record_id for _, record_id in lines[:4]}
    posts = [request for request in proxy.seen if request.method == "POST"]
    keys = [request.headers["idempotency-key"] for request in posts]
    assert len(keys) == 9  # two tries for each of the first four items, one for the refused
    assert keys[0::2][:4] == keys[1::2]
    assert len(set(keys)) == 5
    assert posts[5].at - posts[4].at >= 1  # the 429's Retry-After
