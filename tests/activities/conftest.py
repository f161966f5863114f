import pytest


@pytest.fixture(autouse=True)
def countries_and_instruments(reference: None) -> None:
    """An activity's country and instrument codes refer to the reference tables."""
