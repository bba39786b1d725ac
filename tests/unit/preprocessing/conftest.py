"""Fixtures of the preprocessing tests."""

import numpy as np
import pandas as pd
import pytest
from preprocessing_frames import mixed_frame, mixed_target


@pytest.fixture
def frame() -> pd.DataFrame:
    return mixed_frame()


@pytest.fixture
def target(frame: pd.DataFrame) -> np.ndarray:
    return mixed_target(frame)
