"""Post a batch of records to the Caucus API, safely enough to run again after any failure.

The batch is a JSON file (a list of objects) or a CSV file (a header row, then one record a
row; empty cells are left out, and a cell of a list field holds its items separated by `;`,
as the API's CSV export writes them). An item without an `id` is created with POST; one with
an `id` is updated with PATCH, guarded by If-Match with the item's `version` if it gives one
(the version you based the change on), or else with the record's ETag as read just before.

Each POST carries an Idempotency-Key made from the item itself, so running the same batch
again within 24 hours (the keys' lifetime) creates nothing twice. A connection error, a 409
(the same key still being handled), a 429 (after its Retry-After) or a 5xx is retried with
exponential backoff and jitter; any other 4xx is reported and the batch goes on.

    pip install httpx
    export CAUCUS_URL=https://caucus.example.org CAUCUS_TOKEN=<an API token with records:write>
    python secretariat_batch.py laws.json
    python secretariat_batch.py agreements.csv --collection agreements

It prints one line per item (created, replayed, updated, unchanged, conflict or failed) and
exits with 1 if any item was not applied.
"""

import argparse
import csv
import email.utils
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
ATTEMPTS = 6
RETRIED = {409, 429}


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a 429 or 503 asks us to wait: a number, or an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.isdigit():
        return float(value)
    return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, retried on what may pass: lost connections, 409, 429 and 5xx."""
    for attempt in range(ATTEMPTS - 1):
        wait = random.uniform(0, 0.5 * 2**attempt)  # noqa: S311 - jitter, not a secret
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            pass
        else:
            if response.status_code not in RETRIED and response.status_code < 500:
                return response
            asked = retry_after(response)
            wait = wait if asked is None else asked
        time.sleep(wait)
    return client.request(method, url, **kwargs)  # the last try: its answer or error is final


def failed(response: httpx.Response) -> str:
    """What the API's problem document says was wrong, field by field."""
    if "json" not in response.headers.get("Content-Type", ""):
        return f"failed {response.status_code} {response.text[:200]}"
    problem = response.json()
    errors = [
        f"{'.'.join(map(str, error['location']))}: {error['message'][:100]}"
        for error in problem.get("errors", [])
    ]
    return f"failed {response.status_code} {'; '.join([problem.get('detail', ''), *errors])}"


def idempotency_key(collection: str, item: dict[str, Any]) -> str:
    """The same item always gets the same key, and a different item another one."""
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{collection}-{hashlib.sha256(canonical.encode()).hexdigest()}"


def create(client: httpx.Client, collection: str, item: dict[str, Any]) -> str:
    headers = {"Idempotency-Key": idempotency_key(collection, item)}
    response = send(client, "POST", f"{API}/{collection}", json=item, headers=headers)
    if response.status_code != 201:
        return failed(response)
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    return f"{'replayed' if replayed else 'created'} {response.json()['id']}"


def same(now: Any, wanted: Any) -> bool:
    """Whether a field already holds what we send; the API keeps some lists in its own order."""
    if isinstance(now, list) and isinstance(wanted, list):
        return sorted(map(json.dumps, now)) == sorted(map(json.dumps, wanted))
    return bool(now == wanted)


def update(client: httpx.Client, collection: str, item: dict[str, Any]) -> str:
    url = f"{API}/{collection}/{item['id']}"
    changes = {name: value for name, value in item.items() if name not in ("id", "version")}
    if "version" in item:
        etag = f'"{item["version"]}"'
    else:
        current = send(client, "GET", url)
        if current.status_code != 200:
            return failed(current)
        etag = current.headers["ETag"]
    response = send(client, "PATCH", url, json=changes, headers={"If-Match": etag})
    if response.status_code == 412:
        # Changed since that version: by this batch's earlier run, or by someone else.
        now = send(client, "GET", url).json()
        if all(same(now.get(name), value) for name, value in changes.items()):
            return f"unchanged {item['id']}"
        return f"conflict {item['id']}: changed since version {etag}; read it and decide"
    if response.status_code != 200:
        return failed(response)
    changed = response.headers["ETag"] != etag
    return f"{'updated' if changed else 'unchanged'} {item['id']}"


def list_fields(client: httpx.Client, collection: str) -> set[str]:
    """The fields of `collection` that hold lists, as the API's OpenAPI document declares."""
    schema = send(client, "GET", "/openapi.json").json()
    body = schema["paths"][f"{API}/{collection}"]["post"]["requestBody"]["content"]
    name = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][name]["properties"]
    return {field for field, spec in properties.items() if spec.get("type") == "array"}


def read_batch(client: httpx.Client, path: Path, collection: str) -> list[dict[str, Any]]:
    if path.suffix.lower() != ".csv":
        items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return items
    lists = list_fields(client, collection)
    with path.open(newline="", encoding="utf-8-sig") as file:
        return [
            {
                field: value.split(";") if field in lists else value
                for field, value in row.items()
                if value != ""
            }
            for row in csv.DictReader(file)
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", type=Path, help="a .json or .csv file of records")
    parser.add_argument("--collection", default="laws", help="e.g. laws, agreements, activities")
    parser.add_argument("--url", default=os.environ.get("CAUCUS_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("CAUCUS_TOKEN"), help="or CAUCUS_TOKEN")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give an API token with --token or CAUCUS_TOKEN")
    headers = {"Authorization": f"Bearer {args.token}"}
    applied = True
    with httpx.Client(base_url=args.url, headers=headers, timeout=30) as client:
        try:
            for number, item in enumerate(read_batch(client, args.batch, args.collection), 1):
                write = update if "id" in item else create
                outcome = write(client, args.collection, item)
                applied &= not outcome.startswith(("failed", "conflict"))
                print(f"{number}: {outcome}")
        except httpx.TransportError as error:
            print(
                f"stopped, the API is out of reach ({error}): run the batch again", file=sys.stderr
            )
            return 1
    return 0 if applied else 1


if __name__ == "__main__":
    sys.exit(main())
