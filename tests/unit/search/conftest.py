"""Fixtures of the search tests."""

import pytest
from search_problems import build_problem

from tunelab.entities import TaskType
from tunelab.search import SearchProblem, TrialData


@pytest.fixture(scope="module")
def binary_problem() -> tuple[TrialData, SearchProblem]:
    return build_problem(TaskType.BINARY)
