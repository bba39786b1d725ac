"""Small search problems (encoded data, folds, settings) for the search tests."""

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import KFold, StratifiedKFold

from tunelab.data import profile_dataset
from tunelab.entities import TaskType
from tunelab.preprocessing import recommend
from tunelab.search import SearchProblem, TrialData


def build_problem(
    task: TaskType = TaskType.BINARY, *, n_rows: int = 240, folds: int = 3, seed: int = 0
) -> tuple[TrialData, SearchProblem]:
    """Synthetic data with ``folds``-fold CV, recommended preprocessing and the default metric."""
    if task is TaskType.REGRESSION:
        X, y = make_regression(n_samples=n_rows, n_features=5, noise=5.0, random_state=seed)
        splitter = KFold(folds, shuffle=True, random_state=seed)
        metric, n_classes = "rmse", 0
    else:
        n_classes = 2 if task is TaskType.BINARY else 3
        X, y = make_classification(
            n_samples=n_rows,
            n_features=5,
            n_informative=3,
            n_classes=n_classes,
            random_state=seed,
        )
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        metric = "roc_auc" if task is TaskType.BINARY else "accuracy"
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    profile = profile_dataset(frame.assign(target=y), target="target", task=task)
    settings = recommend(profile, "target")
    split = tuple((np.asarray(t), np.asarray(v)) for t, v in splitter.split(X, y))
    data = TrialData(frame, np.asarray(y), split)
    problem = SearchProblem(task=task, metric=metric, n_classes=n_classes, settings=settings)
    return data, problem
