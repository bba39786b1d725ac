"""The Gaussian copula synthesizer: marginals, a correlation, determinism, bad inputs."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from tunelab.entities import DataError
from tunelab.synthetic import (
    GaussianCopulaSynthesizer,
    allocate,
    column_distances,
    discriminator_auc,
)


@pytest.fixture(scope="module")
def toy() -> pd.DataFrame:
    """Skewed, correlated, integer, categorical, boolean and date columns, some missing."""
    rng = np.random.default_rng(0)
    n = 800
    a = rng.normal(size=n)
    b = np.exp(0.8 * a + 0.6 * rng.normal(size=n))  # skewed, rank correlation ~0.8 with a
    frame = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "count": rng.poisson(3, n).astype(np.int64),
            "color": rng.choice(["red", "green", "blue"], size=n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) < 0.25,
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
        }
    )
    frame.loc[::10, "b"] = np.nan
    return frame


@pytest.fixture(scope="module")
def drawn(toy: pd.DataFrame) -> pd.DataFrame:
    return GaussianCopulaSynthesizer(random_state=1).fit(toy).sample(4000)


def test_marginals_are_kept(toy: pd.DataFrame, drawn: pd.DataFrame) -> None:
    distances = {d["column"]: d for d in column_distances(toy, drawn)}
    assert {d["distance"] for d in distances.values()} == {"ks", "tv"}
    assert distances["color"]["distance"] == "tv"
    assert distances["b"]["distance"] == "ks"
    assert all(d["value"] < 0.05 for d in distances.values()), distances
    # observed ranges, categories and dtypes are kept
    assert toy["b"].min() <= drawn["b"].min()
    assert drawn["b"].max() <= toy["b"].max()
    assert set(drawn["color"]) == {"red", "green", "blue"}
    assert drawn["count"].dtype == np.int64
    assert drawn["flag"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(drawn["day"])
    assert abs(drawn["b"].isna().mean() - toy["b"].isna().mean()) < 0.03
    assert abs(drawn["color"].eq("blue").mean() - toy["color"].eq("blue").mean()) < 0.03


def test_a_correlation_is_kept(toy: pd.DataFrame, drawn: pd.DataFrame) -> None:
    real = spearmanr(toy["a"], toy["b"], nan_policy="omit")[0]
    synthetic = spearmanr(drawn["a"], drawn["b"], nan_policy="omit")[0]
    assert real > 0.7
    assert abs(real - synthetic) < 0.1
    # and an independent pair stays independent
    assert abs(spearmanr(drawn["a"], drawn["count"])[0]) < 0.1


def test_same_seed_same_rows_other_seed_other_rows(toy: pd.DataFrame) -> None:
    first = GaussianCopulaSynthesizer(random_state=5).fit(toy).sample(50)
    again = GaussianCopulaSynthesizer(random_state=5).fit(toy).sample(50)
    other = GaussianCopulaSynthesizer(random_state=6).fit(toy).sample(50)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    model = GaussianCopulaSynthesizer(random_state=5).fit(toy)
    pd.testing.assert_frame_equal(model.sample(20, random_state=9), model.sample(20, 9))


def test_the_discriminator_tells_shifted_rows_but_not_copula_rows(
    toy: pd.DataFrame, drawn: pd.DataFrame
) -> None:
    numbers = toy[["a", "count"]]
    shifted = numbers.assign(a=numbers["a"] + 2.0)
    assert discriminator_auc(numbers, shifted, seed=0) > 0.9
    assert discriminator_auc(numbers, drawn[["a", "count"]], seed=0) < 0.6


def test_an_all_constant_column_stays_constant() -> None:
    frame = pd.DataFrame({"x": np.arange(20.0), "k": 7, "s": "same"})
    drawn = GaussianCopulaSynthesizer().fit(frame).sample(30)
    assert (drawn["k"] == 7).all()
    assert (drawn["s"] == "same").all()
    assert drawn["x"].between(0, 19).all()


def test_a_single_row_gives_copies_of_it() -> None:
    row = pd.DataFrame({"x": [1.5], "c": ["a"], "n": [3]})
    drawn = GaussianCopulaSynthesizer().fit(row).sample(4)
    assert len(drawn) == 4
    assert (drawn["x"] == 1.5).all()
    assert (drawn["c"] == "a").all()
    assert (drawn["n"] == 3).all()


@pytest.mark.parametrize("n_rows", [0, -3])
def test_a_sample_size_below_one_is_refused(toy: pd.DataFrame, n_rows: int) -> None:
    model = GaussianCopulaSynthesizer().fit(toy)
    with pytest.raises(DataError, match="positive"):
        model.sample(n_rows)


def test_no_rows_and_no_fit_are_refused() -> None:
    with pytest.raises(DataError, match="at least one row"):
        GaussianCopulaSynthesizer().fit(pd.DataFrame({"x": []}))
    with pytest.raises(DataError, match="not fitted"):
        GaussianCopulaSynthesizer().sample(3)


def test_allocation_follows_the_counts() -> None:
    assert allocate(np.array([3, 1]), 8).tolist() == [6, 2]
    assert allocate(np.array([1, 1, 1]), 4).sum() == 4
    assert allocate(np.array([5, 5]), 0).tolist() == [0, 0]
