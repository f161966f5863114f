"""ISO 3166-1 alpha-2 country codes, from pycountry."""

from enum import StrEnum

import pycountry

# An enum rather than a pattern, so the schema says exactly which codes exist: "AA" fits
# [A-Z]{2} but is no country.
CountryCode = StrEnum(  # type: ignore[misc]
    "CountryCode", {country.alpha_2: country.alpha_2 for country in pycountry.countries}
)
