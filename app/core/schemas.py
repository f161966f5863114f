"""What request bodies share: unknown fields and NUL characters refused, URLs checked."""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    field_validator,
)
from pydantic.json_schema import WithJsonSchema
from sqlmodel import SQLModel

# PostgreSQL cannot store NUL in text, and no honest input contains one.
NO_NUL = r"^[^\x00]*$"

_http_url: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _normalised_http_url(value: str) -> str:
    # The schema promises an RFC 3986 URI, which is ASCII; an IRI is refused, not rewritten.
    if not value.isascii():
        raise ValueError(
            "write the URL in ASCII: the host in punycode, other characters percent-encoded"
        )
    return str(_http_url.validate_python(value))


# An http(s) URL, checked and normalised, kept as a plain string so tables can store it.
HttpUrlStr = Annotated[
    str,
    StringConstraints(max_length=2048),
    AfterValidator(_normalised_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048}),
]


def _offer_no_null(schema: dict[str, Any]) -> None:
    variants = [variant for variant in schema.pop("anyOf", []) if variant.get("type") != "null"]
    if len(variants) == 1:
        schema.update(variants[0])
    elif variants:
        schema["anyOf"] = variants
    schema.pop("default", None)


# For an update body's field that may be left out but not set to null:
# `title: Annotated[str | None, NotNull] = None`. The schema offers no null, and
# `refuse_nulls` refuses one sent anyway.
NotNull = Field(json_schema_extra=_offer_no_null)

# BCP 47, e.g. en, fil, th, zh-Hant.
LanguageTag = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35),
    Field(description="BCP 47 language tag of the text, e.g. `en`, `th`, `zh-Hant`."),
]
# A citation or a link a record rests on.
Source = Annotated[str, StringConstraints(min_length=1, max_length=1000)]

# Free text in a query parameter, e.g. `q`.
SearchText = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]


def _rfc3339_only(value: Any) -> Any:
    # Pydantic would read "0" or "1700000000" as a Unix time; the schema promises RFC 3339.
    if isinstance(value, str) and not _RFC3339_START.match(value):
        raise ValueError("expected an RFC 3339 date-time such as 2026-01-31T12:00:00Z")
    return value


_RFC3339_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: Any) -> Any:
    # Pydantic would read 0, or "0" in a query string, as 1970-01-01; a date in this API is
    # written YYYY-MM-DD.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


def _not_a_boolean(value: Any) -> Any:
    # JSON Schema's integers are numbers with no fraction (2.0 is one); pydantic would also
    # take `true` for 1.
    if isinstance(value, bool):
        raise ValueError("expected an integer, not true or false")
    return value


# Marks an integer in a body; put after its bounds, or the schema loses them.
NotBoolean = BeforeValidator(_not_a_boolean)

# A calendar date (signed_on, adopted_on, ...), given as YYYY-MM-DD.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

# A point in time in a query parameter: RFC 3339 with its offset, so it is never ambiguous.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_only)]


def _split_commas(value: object) -> object:
    if isinstance(value, list):
        return [part for item in value for part in str(item).split(",") if part]
    return value


# Marks a list in a query parameter, taken repeated (`types=law&types=agreement`) as well as
# separated by commas (`types=law,agreement`).
CommaSeparated = BeforeValidator(_split_commas)


def _document_no_nul(schema: dict[str, Any]) -> None:
    """Say in the schema what the validator below enforces, for clients and fuzzers alike."""
    for field_schema in schema.get("properties", {}).values():
        for variant in [field_schema, *field_schema.get("anyOf", [])]:
            # A list of strings (e.g. sources) is free text item by item.
            for candidate in (variant, variant.get("items", {})):
                free_text = candidate.get("type") == "string" and not (
                    {"pattern", "format", "enum", "const"} & candidate.keys()
                )
                if free_text:
                    candidate["pattern"] = NO_NUL


class WriteModel(SQLModel):
    # Refusing unknown fields is what stops mass assignment: a body cannot smuggle in `id`,
    # `role` or a timestamp that the schema does not offer.
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", json_schema_extra=_document_no_nul
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        strings = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in strings):
            raise ValueError("must not contain NUL characters")
        return value
