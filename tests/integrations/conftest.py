from collections.abc import Iterator

import pytest

from tests.integrations.webhooks import Receiver, receiving


@pytest.fixture(autouse=True)
def countries_and_rubric(reference: None) -> None:
    """Laws, agreements and ratifications name countries; assessments use the default rubric."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, for the test's deliveries."""
    with receiving() as started:
        yield started
