import pytest


@pytest.fixture(autouse=True)
def rubric_and_countries(reference: None) -> None:
    """The default rubric is reference data, and the laws and agreements assessed name countries."""
