import pytest


@pytest.fixture(autouse=True)
def countries(reference: None) -> None:
    """Records refer to countries and instruments."""
