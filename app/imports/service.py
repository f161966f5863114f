"""Bulk imports of agreements, laws, ratifications and parliamentarians from CSV.

A file reads like the collection's CSV export (`Accept: text/csv`), so an export imports back
unchanged. Every row is checked, against the schemas and through the domain's own rules, before
anything is kept: one error and nothing is written, every error is reported. A valid file is
written in one transaction, each record through the record lifecycle.

A row names its record by `id` (an export carries it), else by `external_ref`; a ratification by
country and instrument. A row whose cells read as the record's export does leaves it alone, and
a matching record is otherwise only written if something differs, so importing a file twice
changes nothing the second time.
"""

import csv
import io
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.agreements import service as agreements
from app.agreements.models import AgreementCreate, AgreementUpdate
from app.audit.service import Actor
from app.core.errors import ConflictError, DomainError, FieldError, InvalidInputError
from app.core.schemas import WriteModel
from app.countries.models import Country
from app.identity.service import Principal
from app.imports.models import ImportRowError, ImportSummary, ImportType
from app.laws import service as laws
from app.laws.models import LawCreate, LawUpdate
from app.members import service as members
from app.members.models import ContactPublic, ParliamentarianCreate, ParliamentarianUpdate
from app.records.export import LIST_SEPARATOR, PART_SEPARATOR, cell, uncell
from app.records.models import BOOKKEEPING_FIELDS, Record
from app.records.service import RecordKind
from app.treaties import service as treaties
from app.treaties.models import Instrument, Ratification, RatificationPut

# Past this many, more errors only make the answer longer: the file needs fixing either way.
MAX_ERRORS = 500
# Exports carry these; they are the service's to set, so an import reads past them.
IGNORED_COLUMNS = (BOOKKEEPING_FIELDS - {"id"}) | {"latest_score"}
_LOOKUP_CHUNK = 500


class ImportInvalidError(DomainError):
    """The file has errors, so nothing of it was written."""

    status = 422

    def __init__(self, errors: Sequence[ImportRowError]) -> None:
        super().__init__(
            f"The file has {len(errors)} error{'s' if len(errors) != 1 else ''} and nothing "
            "was imported."
        )
        self.errors = list(errors)

    def field_errors(self) -> list[FieldError]:
        return [
            FieldError(
                location=["body", *(part for part in (error.row, error.column) if part)],
                message=error.message,
                type="value_error",
            )
            for error in self.errors
        ]


class _CellError(ValueError):
    """A cell that cannot be read as its column's kind of value."""


# ---- cells ----------------------------------------------------------------------------------

Parse = Callable[[str], Any]


def _text(raw: str) -> str | None:
    return uncell(raw) or None


def _items(raw: str) -> list[str]:
    return [uncell(item) for item in raw.split(LIST_SEPARATOR)] if raw else []


def _parted(raw: str, names: Sequence[str], form: str) -> list[dict[str, str | None]]:
    rows = []
    for item in raw.split(LIST_SEPARATOR) if raw else []:
        parts = item.split(PART_SEPARATOR)
        if len(parts) != len(names):
            raise _CellError(f"write each as {form}, separated by {LIST_SEPARATOR}")
        rows.append({name: uncell(part) or None for name, part in zip(names, parts, strict=True)})
    return rows


def _parties(raw: str) -> list[dict[str, str | None]]:
    return _parted(raw, ("country", "role"), "COUNTRY:ROLE")


def _memberships(raw: str) -> list[dict[str, str | None]]:
    return _parted(raw, ("role", "started_on", "ended_on"), "ROLE:STARTED_ON:ENDED_ON")


CONTACT_PARTS = tuple(ContactPublic.model_fields)


def _contact(raw: str) -> dict[str, str | None] | None:
    if not raw:
        return None
    parts = raw.split(PART_SEPARATOR)
    if len(parts) < len(CONTACT_PARTS):
        raise _CellError(
            "write the contact as "
            + PART_SEPARATOR.join(name.upper() for name in CONTACT_PARTS)
            + " (parts may be empty)"
        )
    # Only the last part (notes) may hold the separator itself.
    last = len(CONTACT_PARTS) - 1
    parts = [*parts[:last], PART_SEPARATOR.join(parts[last:])]
    contact = {name: uncell(part) or None for name, part in zip(CONTACT_PARTS, parts, strict=True)}
    return contact if any(contact.values()) else None


def _columns(*, text: Iterable[str], lists: Iterable[str], **other: Parse) -> dict[str, Parse]:
    return {
        **dict.fromkeys(text, _text),
        **dict.fromkeys(lists, _items),
        **other,
    }


# ---- the types ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Writer:
    actor: Actor
    principal: Principal | None


@dataclass(frozen=True, slots=True)
class _Target:
    """How a type's CSV rows become records: their columns, schemas and domain writes."""

    kind: RecordKind[Any]
    noun: str
    # Column -> how its cell becomes the value of the field of the same name.
    columns: dict[str, Parse]
    create_model: type[WriteModel]
    # None where a write replaces the record whole (a ratification), from the create model.
    update_model: type[WriteModel] | None
    write: Callable[[Session, _Writer, Any, Any], Record]
    # The columns naming a record of this type, besides `id`.
    key_columns: tuple[str, ...] = ("external_ref",)
    required_columns: tuple[str, ...] = ()


def _write_agreement(session: Session, writer: _Writer, record: Any, data: Any) -> Record:
    if record is None:
        return agreements.create_agreement(session, actor=writer.actor, data=data, commit=False)
    return agreements.update_agreement(
        session, actor=writer.actor, agreement=record, data=data, if_match=None, commit=False
    )


def _write_law(session: Session, writer: _Writer, record: Any, data: Any) -> Record:
    if record is None:
        return laws.create_law(
            session, actor=writer.actor, principal=writer.principal, data=data, commit=False
        )
    return laws.update_law(
        session,
        actor=writer.actor,
        principal=writer.principal,
        law=record,
        data=data,
        if_match=None,
        commit=False,
    )


def _write_parliamentarian(session: Session, writer: _Writer, record: Any, data: Any) -> Record:
    if record is None:
        return members.create_parliamentarian(
            session, actor=writer.actor, principal=writer.principal, data=data, commit=False
        )
    return members.update_parliamentarian(
        session,
        actor=writer.actor,
        principal=writer.principal,
        parliamentarian=record,
        data=data,
        if_match=None,
        commit=False,
    )


def _write_ratification(session: Session, writer: _Writer, record: Any, data: Any) -> Record:
    country, instrument, put = data
    row, _ = treaties.put_ratification(
        session,
        actor=writer.actor,
        principal=writer.principal,
        country=country,
        instrument=instrument,
        data=put,
        if_match=None,
        commit=False,
    )
    return row


TARGETS: dict[ImportType, _Target] = {
    ImportType.agreements: _Target(
        kind=agreements.KIND,
        noun="agreement",
        columns=_columns(
            text=(
                "title",
                "kind",
                "status",
                "signed_on",
                "effective_on",
                "expires_on",
                "summary",
                "text_url",
                "language",
                "external_ref",
                "visibility",
            ),
            lists=("sectors", "sources"),
            parties=_parties,
        ),
        create_model=AgreementCreate,
        update_model=AgreementUpdate,
        write=_write_agreement,
    ),
    ImportType.laws: _Target(
        kind=laws.KIND,
        noun="law",
        columns=_columns(
            text=(
                "country",
                "title",
                "title_original",
                "language",
                "kind",
                "reference",
                "status",
                "enacted_on",
                "effective_on",
                "summary",
                "url",
                "external_ref",
                "visibility",
            ),
            lists=("sources", "instrument_codes", "agreement_ids"),
        ),
        create_model=LawCreate,
        update_model=LawUpdate,
        write=_write_law,
    ),
    ImportType.parliamentarians: _Target(
        kind=members.KIND,
        noun="parliamentarian",
        columns=_columns(
            text=(
                "name",
                "country",
                "parliament",
                "chamber",
                "party",
                "constituency",
                "gender",
                "external_ref",
                "visibility",
            ),
            lists=("other_names", "links"),
            memberships=_memberships,
            contact=_contact,
        ),
        create_model=ParliamentarianCreate,
        update_model=ParliamentarianUpdate,
        write=_write_parliamentarian,
    ),
    ImportType.ratifications: _Target(
        kind=treaties.RATIFICATION,
        noun="ratification",
        columns=_columns(
            text=(
                "country",
                "instrument",
                "action",
                "signed_on",
                "ratified_on",
                "registered_on",
                "in_force_on",
                "status",
                "declarations",
                "as_of",
                "notes",
                "visibility",
            ),
            lists=("sources",),
        ),
        create_model=RatificationPut,
        update_model=None,
        write=_write_ratification,
        key_columns=("country", "instrument"),
        required_columns=("country", "instrument"),
    ),
}


def columns_of(import_type: ImportType) -> list[str]:
    """The columns a file of this type may have, besides `id` and the export's bookkeeping."""
    return list(TARGETS[import_type].columns)


# ---- reading the file -----------------------------------------------------------------------


def _file_error(message: str) -> ImportInvalidError:
    return ImportInvalidError([ImportRowError(row=None, column=None, message=message)])


def _read(target: _Target, content: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows; a file that is no CSV of this type is refused whole."""
    try:
        # Spreadsheets often save UTF-8 with a byte order mark.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error("The file is not UTF-8 text.") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise _file_error(
            f"The file is not CSV that can be read (near line {reader.line_num})."
        ) from exc
    if not lines or not any(lines[0]):
        raise _file_error("The file has no header row.")
    header, *rows = lines
    header = [name.strip() for name in header]
    errors = []
    for name, times in Counter(header).items():
        if times > 1:
            errors.append(ImportRowError(row=None, column=name, message="The column is repeated."))
    known = {"id", *target.columns, *IGNORED_COLUMNS}
    errors.extend(
        ImportRowError(
            row=None,
            column=name,
            message="No such column; the columns are those of the export: "
            + ", ".join(["id", *target.columns]),
        )
        for name in dict.fromkeys(header)
        if name not in known
    )
    errors.extend(
        ImportRowError(row=None, column=name, message="The file needs this column.")
        for name in target.required_columns
        if name not in header
    )
    if errors:
        raise ImportInvalidError(errors)
    return header, rows


# ---- planning: what each row would do -------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    row: int
    record: Any  # None for a new record
    data: Any = None
    # Columns whose cells differ from the record's export; none: the row leaves it as it is.
    changed: list[str] = field(default_factory=list)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _LOOKUP_CHUNK):
        yield values[start : start + _LOOKUP_CHUNK]


def _records_by(
    session: Session, target: _Target, column: str, values: Iterable[Any]
) -> dict[Any, Any]:
    """Records of the type whose `column` is one of `values`, deleted ones included."""
    model = target.kind.model
    wanted = list(dict.fromkeys(values))
    found: dict[Any, Any] = {}
    for chunk in _chunks(wanted):
        for record in session.exec(select(model).where(col(getattr(model, column)).in_(chunk))):
            found[getattr(record, column)] = record
    return found


def _ratifications_of(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[Any, Any]:
    wanted = list(dict.fromkeys(pairs))
    found: dict[Any, Any] = {}
    for chunk in _chunks(wanted):
        condition = sa.or_(*(treaties.ratification_of(c, i) for c, i in chunk))
        for record in session.exec(select(Ratification).where(condition)):
            found[(record.country, record.instrument)] = record
    return found


def _validation_errors(row: int, exc: ValidationError) -> list[ImportRowError]:
    # Where and why only: like the API's 422, never the value itself.
    errors = []
    for error in exc.errors():
        column, *path = error["loc"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)
        message = f"{column}{where}: {error['msg']}" if where else error["msg"]
        errors.append(ImportRowError(row=row, column=str(column), message=message))
    return errors


class _Planner:
    """Reads every row into what it would write, collecting every error on the way."""

    def __init__(self, session: Session, target: _Target, header: list[str]) -> None:
        self.session = session
        self.target = target
        self.header = header
        self.errors: list[ImportRowError] = []
        # Which row first named each record (or new record), to refuse a second.
        self.claimed: dict[Any, int] = {}

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append(ImportRowError(row=row, column=column, message=message))

    def plan(self, rows: list[list[str]]) -> list[_Plan]:
        cells_of: dict[int, dict[str, str]] = {}
        for number, cells in enumerate(rows, start=1):
            if not any(text.strip() for text in cells):
                continue  # a blank line, e.g. at the end of the file
            if len(cells) != len(self.header):
                self.error(
                    number,
                    None,
                    f"The row has {len(cells)} cells; the header has {len(self.header)} columns.",
                )
                continue
            cells_of[number] = dict(zip(self.header, cells, strict=True))
        matches = self._matches(cells_of)
        plans = []
        for number, named in cells_of.items():
            if number not in matches:
                continue
            plan = self._plan_row(number, named, matches[number])
            if plan is not None:
                plans.append(plan)
        return plans

    def _matches(self, cells_of: dict[int, dict[str, str]]) -> dict[int, Any]:
        """The record each row names (None: a new one), for the rows that name one rightly."""
        if self.target.update_model is None:
            return self._ratification_matches(cells_of)
        ids: dict[int, uuid.UUID] = {}
        for number, cells in cells_of.items():
            if cells.get("id", "").strip():
                try:
                    ids[number] = uuid.UUID(cells["id"].strip())
                except ValueError:
                    self.error(number, "id", "Not an id (a UUID).")
        refs = {
            number: ref
            for number, cells in cells_of.items()
            if (ref := _text(cells.get("external_ref", "")))
        }
        by_id = _records_by(self.session, self.target, "id", ids.values())
        by_ref = _records_by(
            self.session,
            self.target,
            "external_ref",
            (ref for number, ref in refs.items() if ids.get(number) not in by_id),
        )
        matches: dict[int, Any] = {}
        for number in cells_of:
            if "id" in cells_of[number] and cells_of[number]["id"].strip() and number not in ids:
                continue  # an id that is no UUID, reported above
            record = by_id.get(ids.get(number)) or by_ref.get(refs.get(number))
            if record is None and number in ids and number not in refs:
                self.error(
                    number,
                    "id",
                    f"No {self.target.noun} has this id. To add one, leave the id empty "
                    "(and give an external_ref to find it by when importing again).",
                )
                continue
            column = "id" if number in ids and record is by_id.get(ids[number]) else "external_ref"
            if record is not None and not self._claim(number, column, record.id):
                continue
            if record is None and number in refs and not self._claim(number, column, refs[number]):
                continue
            if record is not None and record.deleted_at is not None:
                self.error(
                    number,
                    column,
                    f"This {self.target.noun} was deleted; restore it first "
                    "(POST .../restore), then import it.",
                )
                continue
            matches[number] = record
        return matches

    def _ratification_matches(self, cells_of: dict[int, dict[str, str]]) -> dict[int, Any]:
        pairs: dict[int, tuple[str, str]] = {}
        for number, cells in cells_of.items():
            country, instrument = _pair(cells)
            ok = True
            if self.session.get(Country, country) is None:
                self.error(number, "country", "No country with this ISO 3166-1 alpha-2 code.")
                ok = False
            if self.session.get(Instrument, instrument) is None:
                self.error(number, "instrument", "No instrument with this code.")
                ok = False
            if ok:
                pairs[number] = (country, instrument)
        recorded = _ratifications_of(self.session, pairs.values())
        matches: dict[int, Any] = {}
        for number, pair in pairs.items():
            if not self._claim(number, "instrument", pair):
                continue
            record = recorded.get(pair)
            if record is not None and record.deleted_at is not None:
                self.error(
                    number,
                    "instrument",
                    "The record of this country and instrument was deleted; restore it first "
                    "(POST .../restore), then import it.",
                )
                continue
            matches[number] = record
        return matches

    def _claim(self, number: int, column: str, key: Any) -> bool:
        first = self.claimed.setdefault(key, number)
        if first != number:
            self.error(number, column, f"Row {first} already names this {self.target.noun}.")
            return False
        return True

    def _plan_row(self, number: int, cells: dict[str, str], record: Any) -> _Plan | None:
        target = self.target
        present = [name for name in cells if name in target.columns]
        if record is not None:
            stored = target.kind.snapshot(record)
            present = [name for name in present if cells[name] != cell(stored.get(name))]
            if not present:
                return _Plan(row=number, record=record)
        values: dict[str, Any] = {}
        unreadable: set[str] = set()
        for name in present:
            try:
                values[name] = target.columns[name](cells[name])
            except _CellError as exc:
                self.error(number, name, f"Cannot be read: {exc}.")
                unreadable.add(name)
        try:
            data = self._data(record, values, cells)
        except ValidationError as exc:
            # The other cells are checked too; an unreadable one is not reported twice.
            self.errors.extend(
                error for error in _validation_errors(number, exc) if error.column not in unreadable
            )
            return None
        if unreadable:
            return None
        return _Plan(row=number, record=record, data=data, changed=present)

    def _data(self, record: Any, values: dict[str, Any], cells: dict[str, str]) -> Any:
        target = self.target
        if target.update_model is None:
            # A ratification is written whole: what the row leaves out stays as recorded.
            kept = (
                {}
                if record is None
                else {
                    name: value
                    for name, value in target.kind.snapshot(record).items()
                    if name in target.create_model.model_fields
                }
            )
            values.pop("country", None)
            values.pop("instrument", None)
            given = {**kept, **values} if record is not None else _without_nulls(values)
            return (*_pair(cells), target.create_model.model_validate(given))
        if record is None:
            return target.create_model.model_validate(_without_nulls(values))
        return target.update_model.model_validate(values)


def _pair(cells: dict[str, str]) -> tuple[str, str]:
    """The country and instrument a ratification's row names, as codes are stored."""
    return (
        (_text(cells["country"]) or "").strip().upper(),
        (_text(cells["instrument"]) or "").strip().upper(),
    )


def _without_nulls(values: dict[str, Any]) -> dict[str, Any]:
    # An empty cell of a new record is a field left out: it gets its default.
    return {name: value for name, value in values.items() if value is not None}


# ---- importing ------------------------------------------------------------------------------


def import_csv(
    session: Session,
    *,
    import_type: ImportType,
    content: bytes,
    actor: Actor,
    principal: Principal | None,
    dry_run: bool = False,
) -> ImportSummary:
    """Check every row of a CSV file, then write it all in one transaction (none with
    `dry_run`); a file with any error is refused whole with `ImportInvalidError`.

    `principal` None is a script acting for the secretariat; `actor` owns the new records.
    """
    target = TARGETS[import_type]
    header, rows = _read(target, content)
    planner = _Planner(session, target, header)
    plans = planner.plan(rows)
    errors = planner.errors
    writer = _Writer(actor=actor, principal=principal)
    counts: Counter[str] = Counter()
    for plan in plans:
        if plan.data is None:
            counts["unchanged"] += 1
            continue
        version = None if plan.record is None else plan.record.version
        try:
            written = target.write(session, writer, plan.record, plan.data)
        except ConflictError as exc:
            # Found when writing (a unique value taken, a record changed meanwhile): the
            # lifecycle rolled the transaction back, so later rows cannot be tried in it.
            session.rollback()
            column = None
            if "external_ref" in plan.changed:
                column, detail = "external_ref", f"Another {target.noun} has this external_ref."
            else:
                detail = exc.detail
            errors.append(
                ImportRowError(
                    row=plan.row,
                    column=column,
                    message=f"{detail} The rows after this one were not checked.",
                )
            )
            break
        except DomainError as exc:
            column = exc.field if isinstance(exc, InvalidInputError) else None
            errors.append(ImportRowError(row=plan.row, column=column, message=exc.detail))
            continue
        if version is None:
            counts["created"] += 1
        elif written.version != version:
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if errors:
        session.rollback()
        position = {name: index for index, name in enumerate(header)}
        errors.sort(key=lambda error: (error.row or 0, position.get(error.column or "", -1)))
        if len(errors) > MAX_ERRORS:
            left_out = len(errors) - MAX_ERRORS
            errors = [
                *errors[:MAX_ERRORS],
                ImportRowError(row=None, column=None, message=f"And {left_out} more errors."),
            ]
        raise ImportInvalidError(errors)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return ImportSummary(
        type=import_type,
        dry_run=dry_run,
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
    )
