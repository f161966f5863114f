import pytest


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """A parliamentarian's country refers to the countries table."""
