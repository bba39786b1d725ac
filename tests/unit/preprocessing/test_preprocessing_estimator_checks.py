"""sklearn's estimator checks on the numeric-only custom transformers.

FrameCoercer, CategoricalEncoder, DatetimeExpander and TextFeatures are not checked here:
they take typed DataFrame columns (strings, datetimes, free text) rather than the numeric
arrays the common checks generate; their behaviour is tested in the other files.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from tunelab.preprocessing import (
    BorutaSelector,
    CappedPolynomial,
    ModelImputer,
    NumericTransform,
    Projection,
    UnivariateSelector,
    VarianceFilter,
)
from tunelab.preprocessing._numeric import TRANSFORM_METHODS
from tunelab.preprocessing._project import PROJECTIONS

# one configuration of each cheap transformer runs in every test run ...
FAST = [
    NumericTransform(method="log"),
    ModelImputer(method="knn"),
    UnivariateSelector(mode="fwe"),
    Projection(method="pca"),
    CappedPolynomial(),
    VarianceFilter(),
]
# ... the remaining configurations (forests, power transforms, ICA) only with `make bench`
SLOW = [
    *(NumericTransform(method=m) for m in TRANSFORM_METHODS if m != "log"),
    ModelImputer(method="iterative"),
    UnivariateSelector(mode="percentile"),
    UnivariateSelector(mode="kbest"),
    BorutaSelector(n_estimators=10, max_iter=4),
    *(Projection(method=m) for m in PROJECTIONS if m != "pca"),
]


@parametrize_with_checks(FAST)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(SLOW)
def test_sklearn_compatible_slow(estimator, check):
    check(estimator)
