"""Keep a local SQLite copy of the Caucus records your organisation may see.

Each run reads the change feed (GET /api/v1/changes) from where the last run stopped, re-reads
every changed record at the `link` its change carries, and stores it. A record that answers 404
there was deleted, or is no longer shown to you: it is marked gone. Each page of changes is
stored in one transaction with the cursor, so a run that crashes or is killed loses nothing:
the next run starts again after the last page it stored.

Run it as often as you like (from cron, say); it needs Python 3.11 or newer and httpx:

    pip install httpx
    export CAUCUS_URL=https://caucus.example.org CAUCUS_TOKEN=<your API token>
    python partner_sync.py --db caucus-copy.db --types law,agreement

Then read your copy with any SQLite client:

    sqlite3 caucus-copy.db "SELECT json_extract(body, '$.title') FROM records
                            WHERE type = 'law' AND NOT deleted"
"""

import argparse
import json
import os
import random
import sqlite3
import sys
import time

import httpx

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    etag TEXT,
    body TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (type, id)
);
CREATE TABLE IF NOT EXISTS cursor (
    types TEXT PRIMARY KEY,  -- the feed read: one cursor per choice of --types
    after INTEGER NOT NULL
);
"""


def get(
    client: httpx.Client, url: str, params: dict[str, str | int] | None = None
) -> httpx.Response:
    """GET, waiting out rate limits (429) and retrying server errors and lost connections."""
    for attempt in range(5):
        try:
            response = client.get(url, params=params)
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", 1)))
                continue
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            pass
        time.sleep(random.uniform(0, 0.5 * 2**attempt))  # noqa: S311 - jitter, not a secret
    return client.get(url, params=params)  # the last try: what goes wrong now stops the run


def sync(client: httpx.Client, db: sqlite3.Connection, types: str, limit: int) -> None:
    row = db.execute("SELECT after FROM cursor WHERE types = ?", (types,)).fetchone()
    after = row[0] if row else 0
    stored = gone = 0
    while True:
        params = {"after": after, "limit": limit, **({"types": types} if types else {})}
        response = get(client, "/api/v1/changes", params)
        response.raise_for_status()
        page = response.json()
        if not page["items"]:
            break
        # Several changes to one record in a page need one read: it answers as it is now.
        links = {(change["type"], change["id"]): change["link"] for change in page["items"]}
        reads = {key: get(client, link) for key, link in links.items()}
        with db:  # the page's records and the cursor past them commit together, or neither
            for (record_type, record_id), record in reads.items():
                if record.status_code == 404:
                    gone += 1
                    db.execute(
                        "UPDATE records SET deleted = 1 WHERE type = ? AND id = ?",
                        (record_type, record_id),
                    )
                    continue
                record.raise_for_status()
                stored += 1
                db.execute(
                    "INSERT INTO records (type, id, etag, body, deleted) VALUES (?, ?, ?, ?, 0)"
                    " ON CONFLICT (type, id) DO UPDATE"
                    " SET etag = excluded.etag, body = excluded.body, deleted = 0",
                    (record_type, record_id, record.headers.get("ETag"), record.text),
                )
            db.execute(
                "INSERT INTO cursor (types, after) VALUES (?, ?)"
                " ON CONFLICT (types) DO UPDATE SET after = excluded.after",
                (types, page["next_after"]),
            )
        after = page["next_after"]
    print(json.dumps({"stored": stored, "gone": gone, "after": after}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("CAUCUS_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("CAUCUS_TOKEN"), help="or CAUCUS_TOKEN")
    parser.add_argument("--db", default="caucus-copy.db", help="the local SQLite copy")
    parser.add_argument("--types", default="", help="e.g. law,agreement (default: every type)")
    parser.add_argument("--limit", type=int, default=200, help="changes per page, 1 to 200")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give an API token with --token or CAUCUS_TOKEN")
    db = sqlite3.connect(args.db)
    db.executescript(SCHEMA)
    headers = {"Authorization": f"Bearer {args.token}"}
    try:
        with httpx.Client(base_url=args.url, headers=headers, timeout=30) as client:
            sync(client, db, args.types, args.limit)
    except httpx.HTTPError as error:
        # What was stored is kept: the next run goes on from there.
        print(f"sync stopped: {error}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
