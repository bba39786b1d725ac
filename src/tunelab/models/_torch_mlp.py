"""PyTorch MLP family ``torch_mlp`` (CPU): opt-in, not in the default search list.

Preprocessing flavor ``"embed"``: numbers arrive imputed and standardised (the estimator
standardises and softly clips again, which is harmless), categories as integer codes that the
network one-hot encodes (up to ``onehot_max_levels`` levels, 16,384 by default) or turns into
a learned embedding per column (larger columns; the search tries 1, 8 and 64 levels too, 1 =
embed every column). With whole-table preprocessing steps the flavor falls back to
``"linear"``'s one-hot/target encoding. Defaults
follow RealMLP-TD (Holzmüller et al., 2024) where it carries over without its special layers:
3 x 256 units, dropout 0.15, SiLU, AdamW with a one-cycle schedule, batch size 256, label
smoothing 0.1 for classification. Early stopping uses the fold's validation rows; a refit on all
rows trains the mean best epoch count (``rounds_param = "max_epochs"``). Needs PyTorch
(``pip install 'tunelab[torch]'``); it is imported only when a model is built.
"""

from __future__ import annotations

from typing import Any

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator

from tunelab.entities import TaskType
from tunelab.models._base import (
    ALL_TASKS,
    ModelContext,
    ModelSpec,
    Params,
    Space,
    check_valid_pair,
)

MAX_EPOCHS = 200


class TorchMLPSpec(ModelSpec):
    """TorchMLPClassifier / TorchMLPRegressor with early stopping on the validation rows."""

    rounds_param = "max_epochs"

    def _build(self, params: Params, ctx: ModelContext) -> BaseEstimator:
        from tunelab.models._torch_net import (
            TorchMLPClassifier,
            TorchMLPRegressor,
            preload_torch,
        )

        preload_torch()  # a clear error without torch; imports paid once before trials fork
        params = dict(params)
        runtime = {"random_state": ctx.random_state, "n_jobs": ctx.n_jobs}
        if ctx.task is TaskType.REGRESSION:
            params.pop("label_smoothing", None)
            return TorchMLPRegressor(**{**params, **runtime})
        return TorchMLPClassifier(**{**params, **runtime})

    def search_space(self, ctx: ModelContext) -> Space:
        space: Space = {
            "n_layers": IntDistribution(1, 4),
            "width": IntDistribution(32, 512, log=True),
            "dropout": FloatDistribution(0.0, 0.5),
            "learning_rate": FloatDistribution(3e-4, 1e-2, log=True),
            "weight_decay": FloatDistribution(1e-6, 1e-1, log=True),
            "l1": CategoricalDistribution((0.0, 1e-6, 1e-5, 1e-4)),
            "batch_norm": CategoricalDistribution((False, True)),
            "activation": CategoricalDistribution(("silu", "relu", "selu", "mish")),
            "lr_schedule": CategoricalDistribution(("onecycle", "cosine")),
            "batch_size": CategoricalDistribution(self._batch_sizes(ctx)),
            # 1: embed every category column; 16384: one-hot all but huge ones
            "onehot_max_levels": CategoricalDistribution((1, 8, 64, 16384)),
        }
        if ctx.task.is_classification:
            space["label_smoothing"] = FloatDistribution(0.0, 0.2)
        return space

    @staticmethod
    def _batch_sizes(ctx: ModelContext) -> tuple[int, ...]:
        sizes = tuple(b for b in (64, 128, 256, 512) if b <= max(64, ctx.n_rows // 4))
        return sizes or (64,)

    def default_params(self, ctx: ModelContext) -> Params:
        params: Params = {
            "n_layers": 3,
            "width": 256,
            "activation": "silu",
            "dropout": 0.15,
            "batch_norm": False,
            "learning_rate": 2e-3,
            "lr_schedule": "onecycle",
            "weight_decay": 1e-4,
            "l1": 0.0,
            "cat_encoding": "auto",
            # measured: embeddings lost to one-hot on three tables (docs/benchmarks)
            "onehot_max_levels": 16384,
            "embedding_max_dim": 16,
            # small data: smaller batches give more steps per epoch
            "batch_size": 256 if ctx.n_rows >= 4096 else 64,
            "max_epochs": MAX_EPOCHS,
            "patience": 16,
        }
        if ctx.task.is_classification:
            params["label_smoothing"] = 0.1
        return params

    def cheap_params(self, ctx: ModelContext) -> Params:
        return {"n_layers": 2, "width": 64, "max_epochs": 30, "patience": 6}

    def portfolio(self, ctx: ModelContext) -> list[Params]:
        return [
            {"n_layers": 2, "width": 512, "dropout": 0.3, "lr_schedule": "cosine"},
            {"n_layers": 4, "width": 128, "batch_norm": True, "learning_rate": 1e-3},
        ]

    def fit(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        X_valid: Any = None,
        y_valid: Any = None,
        *,
        deadline: float | None = None,
    ) -> Any:
        check_valid_pair(X_valid, y_valid)
        return estimator.fit(X, y, X_valid=X_valid, y_valid=y_valid, deadline=deadline)

    def best_iteration(self, estimator: Any) -> int | None:
        best = getattr(estimator, "best_epoch_", None)
        return int(best) if best else None


TORCH_MLP = TorchMLPSpec(
    name="torch_mlp", label="PyTorch MLP", tasks=ALL_TASKS, flavor="embed", cost=6.0
)
