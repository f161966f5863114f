"""examples/partner_sync.py against a live server: the copy holds what the partner may see,
follows updates and deletions, and a run killed midway loses and repeats nothing."""

import json
import sqlite3
import subprocess
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from app.identity.models import Organisation
from tests.examples.helpers import (
    API,
    HANG_UP,
    Live,
    Seen,
    law,
    proxy_to,
    run,
    script,
)

SYNC = "partner_sync.py"
AGREEMENT = {
    "title": "Memorandum of Understanding on the Recruitment of Domestic Workers",
    "kind": "mou",
    "status": "in_force",
    "parties": [{"country": "PH", "role": "origin"}, {"country": "SA", "role": "destination"}],
}

Copy = dict[tuple[str, str], tuple[str | None, Any]]


def local_copy(db: Path) -> Copy:
    """(type, id) of each record the copy holds as present: its ETag and body."""
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute("SELECT type, id, etag, body FROM records WHERE NOT deleted")
        return {(kind, id_): (etag, json.loads(body)) for kind, id_, etag, body in rows}


def gone(db: Path) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as connection:
        return set(connection.execute("SELECT type, id FROM records WHERE deleted").fetchall())


def cursor(db: Path) -> int:
    with closing(sqlite3.connect(db)) as connection:
        [(after,)] = connection.execute("SELECT after FROM cursor").fetchall()
        return int(after)


def as_the_api_shows(live: Live, token: str) -> Copy:
    """Every law and agreement the token's holder may read, as it reads them one by one."""
    shown: Copy = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live.url + API, headers=headers) as partner:
        for collection, kind in (("laws", "law"), ("agreements", "agreement")):
            for item in partner.get(f"/{collection}", params={"limit": 200}).json()["items"]:
                read = partner.get(f"/{collection}/{item['id']}")
                shown[(kind, item["id"])] = (read.headers["ETag"], read.json())
    return shown


def sync(live: Live, token: str, db: Path, *args: str) -> dict[str, Any]:
    finished = run(SYNC, "--db", str(db), *args, url=live.url, token=token)
    assert finished.returncode == 0, finished.stderr
    summary: dict[str, Any] = json.loads(finished.stdout)
    return summary


def last_seq(live: Live, token: str) -> int:
    """The number of the last change the token's holder may learn of."""
    headers = {"Authorization": f"Bearer {token}"}
    page = httpx.get(f"{live.url}{API}/changes", params={"limit": 200}, headers=headers).json()
    seq: int = page["items"][-1]["seq"]
    return seq


def test_the_copy_holds_what_the_partner_may_see_and_no_restricted_record_of_another(
    live: Live, partner_organisation: Organisation, tmp_path: Path
) -> None:
    public = live.create("laws", **law(title="Public law", visibility="public"))
    shared = live.create("agreements", **AGREEMENT, visibility="partners")
    restricted = live.create("laws", **law(title="Secretariat only", visibility="restricted"))
    token = live.api_token(partner_organisation.id, ["records:read"])
    db = tmp_path / "copy.db"

    summary = sync(live, token, db)

    copy = local_copy(db)
    assert set(copy) == {("law", public["id"]), ("agreement", shared["id"])}
    assert copy == as_the_api_shows(live, token)
    assert ("law", restricted["id"]) not in gone(db)
    assert summary == {"stored": 2, "gone": 0, "after": last_seq(live, token)}


def test_the_next_run_picks_up_an_update_and_a_deletion(
    live: Live, partner_organisation: Organisation, tmp_path: Path
) -> None:
    kept, deleted, untouched = (live.create("laws", **law(title=f"Law {n}")) for n in range(3))
    token = live.api_token(partner_organisation.id, ["records:read"])
    db = tmp_path / "copy.db"
    sync(live, token, db, "--types", "law")

    etag = f'"{kept["version"]}"'
    patched = live.admin.patch(
        f"/laws/{kept['id']}", json={"status": "amended"}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    assert live.admin.delete(f"/laws/{deleted['id']}").status_code == 204
    summary = sync(live, token, db, "--types", "law")

    copy = local_copy(db)
    assert copy == as_the_api_shows(live, token)
    assert set(copy) == {("law", kept["id"]), ("law", untouched["id"])}
    assert copy[("law", kept["id"])] == ('"2"', patched.json())
    assert gone(db) == {("law", deleted["id"])}
    assert summary == {"stored": 1, "gone": 1, "after": last_seq(live, token)}


def test_a_record_made_restricted_is_marked_gone_on_the_next_run(
    live: Live, partner_organisation: Organisation, tmp_path: Path
) -> None:
    hidden = live.create("laws", **law(visibility="partners"))
    token = live.api_token(partner_organisation.id, ["records:read"])
    db = tmp_path / "copy.db"
    sync(live, token, db)

    restricted = live.admin.patch(f"/laws/{hidden['id']}", json={"visibility": "restricted"})
    assert restricted.status_code == 200, restricted.text
    sync(live, token, db)

    assert local_copy(db) == as_the_api_shows(live, token) == {}
    assert gone(db) == {("law", hidden["id"])}


def test_a_run_killed_midway_resumes_after_the_last_page_it_stored(
    live: Live, partner_organisation: Organisation, tmp_path: Path
) -> None:
    laws = [live.create("laws", **law(title=f"Law {n}")) for n in range(7)]
    token = live.api_token(partner_organisation.id, ["records:read"])
    db = tmp_path / "copy.db"
    running: list[subprocess.Popen[str]] = []
    started = threading.Event()

    def kill_at_the_fifth_record(seen: Seen, before: list[Seen]) -> str | None:
        """Pages hold 3 changes: the fifth read is the second of the second page."""
        reads = [request for request in [*before, seen] if "/laws/" in request.path]
        if len(reads) < 5:
            return None
        assert started.wait(timeout=10)
        running[0].kill()
        running[0].wait()
        return HANG_UP

    with proxy_to(live.url, kill_at_the_fifth_record) as proxy:
        process = script(SYNC, "--db", str(db), "--limit", "3", url=proxy.url, token=token)
        running.append(process)
        started.set()
        process.communicate(timeout=60)

    assert process.returncode == -9
    first_page = live.admin.get("/changes", params={"limit": 3}).json()["next_after"]
    assert cursor(db) == first_page
    assert {id_ for _, id_ in local_copy(db)} == {made["id"] for made in laws[:3]}

    summary = sync(live, token, db, "--limit", "3")

    assert local_copy(db) == as_the_api_shows(live, token)
    assert len(local_copy(db)) == 7
    assert summary == {"stored": 4, "gone": 0, "after": last_seq(live, token)}
