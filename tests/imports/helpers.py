"""Files of each import type, and what tests of imports count before and after."""

import csv
import io

from sqlmodel import Session, func, select

from app.audit.models import AuditEntry
from app.imports.models import ImportType
from app.records.models import ChangeEvent, Revision

IMPORTS = "/api/v1/imports"
COLLECTIONS = {
    ImportType.agreements: "/api/v1/agreements",
    ImportType.laws: "/api/v1/laws",
    ImportType.ratifications: "/api/v1/ratifications",
    ImportType.parliamentarians: "/api/v1/parliamentarians",
}


def csv_text(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# Two rows of each type, with repeated values, child rows and a formula-like cell (a phone
# number, a summary) that an export writes with a leading apostrophe.
FILES: dict[ImportType, list[dict[str, str]]] = {
    ImportType.agreements: [
        {
            "external_ref": "AGR-1",
            "title": "MOU on the Recruitment of Domestic Workers",
            "kind": "mou",
            "status": "in_force",
            "signed_on": "2013-05-19",
            "effective_on": "2013-06-01",
            "expires_on": "",
            "sectors": "domestic_work;care",
            "summary": "-5% recruitment fees, line one.\nLine two, with a comma.",
            "sources": "Ministry of Labour;https://example.org/mou",
            "parties": "PH:origin;SA:destination",
            "visibility": "public",
        },
        {
            "external_ref": "AGR-2",
            "title": "Bilateral Agreement on Seasonal Workers",
            "kind": "bilateral_agreement",
            "status": "signed",
            "signed_on": "2019-02-01",
            "effective_on": "",
            "expires_on": "2024-02-01",
            "sectors": "",
            "summary": "",
            "sources": "",
            "parties": "NP:origin;KR:destination",
            "visibility": "partners",
        },
    ],
    ImportType.laws: [
        {
            "external_ref": "LAW-1",
            "country": "PH",
            "title": "Domestic Workers Act (Batas Kasambahay)",
            "title_original": "Batas Kasambahay",
            "language": "fil",
            "kind": "act",
            "reference": "Republic Act No. 10361",
            "status": "in_force",
            "enacted_on": "2013-01-18",
            "effective_on": "2013-06-04",
            "url": "https://example.org/ra10361",
            "sources": "Official Gazette",
            "instrument_codes": "C189;C087",
            "visibility": "public",
        },
        {
            "external_ref": "LAW-2",
            "country": "TH",
            "title": "Royal Ordinance on Managing the Employment of Migrant Workers",
            "title_original": "",
            "language": "",
            "kind": "regulation",
            "reference": "",
            "status": "amended",
            "enacted_on": "2017-06-22",
            "effective_on": "",
            "url": "",
            "sources": "",
            "instrument_codes": "",
            "visibility": "partners",
        },
    ],
    ImportType.ratifications: [
        {
            "country": "PH",
            "instrument": "C189",
            "action": "ratification",
            "ratified_on": "2012-09-05",
            "registered_on": "2012-09-05",
            "in_force_on": "2013-09-05",
            "status": "in_force",
            "sources": "ILO NORMLEX",
            "as_of": "2026-11-01",
            "visibility": "public",
        },
        {
            "country": "ID",
            "instrument": "ICRMW",
            "action": "ratification",
            "ratified_on": "2012-05-31",
            "registered_on": "",
            "in_force_on": "",
            "status": "in_force",
            "sources": "UN Treaty Collection;Ministry of Foreign Affairs",
            "as_of": "",
            "visibility": "partners",
        },
    ],
    ImportType.parliamentarians: [
        {
            "external_ref": "MP-1",
            "name": "Maria Santos",
            "other_names": "Maria C. Santos",
            "country": "PH",
            "parliament": "House of Representatives of the Philippines",
            "chamber": "lower_house",
            "party": "",
            "gender": "woman",
            "links": "https://example.org/santos",
            "memberships": "member:2019-06-01:2021-05-31;convenor:2021-06-01:",
            "contact": "maria@example.org:+63 2 8931 5001::",
            "visibility": "partners",
        },
        {
            "external_ref": "MP-2",
            "name": "Wei Ling Tan",
            "other_names": "",
            "country": "MY",
            "parliament": "Dewan Rakyat",
            "chamber": "",
            "party": "",
            "gender": "",
            "links": "",
            "memberships": "",
            "contact": "",
            "visibility": "restricted",
        },
    ],
}


def file_of(import_type: ImportType) -> str:
    return csv_text(FILES[import_type])


def counts(session: Session) -> dict[str, int]:
    """What every write through the record lifecycle adds to."""
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()  # type: ignore[attr-defined]
        for model in (Revision, ChangeEvent, AuditEntry)
    }
