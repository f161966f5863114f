import pytest


@pytest.fixture(autouse=True)
def countries_and_rubric(reference: None) -> None:
    """Laws, agreements and ratifications name countries; assessments use the default rubric."""
