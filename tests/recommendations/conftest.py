import pytest


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """Reports and recommendations refer to countries and instruments."""
