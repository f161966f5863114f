import pytest


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """Parties refer to countries, so every agreement test needs the reference data."""
