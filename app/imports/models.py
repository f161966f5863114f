"""Bulk imports: CSV files of records, checked whole, then written in one transaction."""

from enum import StrEnum

from sqlmodel import Field, SQLModel


class ImportType(StrEnum):
    agreements = "agreements"
    laws = "laws"
    ratifications = "ratifications"
    parliamentarians = "parliamentarians"


ROW_DESCRIPTION = (
    "The data row, counted from 1 for the first row after the header (a spreadsheet's row 2); "
    "null for the file as a whole, e.g. its header."
)


class ImportRowError(SQLModel):
    """What is wrong with one cell, one row or the file; it never repeats the cell's value."""

    row: int | None = Field(description=ROW_DESCRIPTION, schema_extra={"examples": [3]})
    column: str | None = Field(
        description="The column, by its header; null for the row as a whole.",
        schema_extra={"examples": ["signed_on"]},
    )
    message: str = Field(schema_extra={"examples": ["expires_on cannot be before signed_on."]})


class ImportSummary(SQLModel):
    """What an import did, or with `dry_run` would do: rows that create a record, change one,
    or leave one as it is."""

    type: ImportType
    dry_run: bool
    created: int = Field(schema_extra={"examples": [12]})
    updated: int = Field(schema_extra={"examples": [3]})
    unchanged: int = Field(schema_extra={"examples": [40]})
    errors: list[ImportRowError] = Field(
        default_factory=list, description="Empty: a file with errors is refused whole (422)."
    )
