"""A PyTorch (CPU) multi-layer perceptron as scikit-learn estimators.

:class:`TorchMLPClassifier` (binary and multiclass) and :class:`TorchMLPRegressor` share one
training loop: AdamW with L2 weight decay and an optional L1 penalty, a one-cycle, cosine or
constant learning-rate schedule, mini-batches, dropout, optional batch norm and early stopping
on validation data passed to ``fit`` (the best epoch's weights are kept). Inputs are
standardised and softly clipped inside the estimator (after RealMLP: ``x / sqrt(1 + (x/3)^2)``),
a regression target is standardised too. Columns named in ``categorical_features`` hold
integer category codes instead: each gets an ``nn.Embedding`` (or a one-hot block) whose
output joins the standardised numbers (see ``_torch_embed``). Training is deterministic for a given
``random_state`` and ``n_jobs`` (torch threads): seeded weights, dropout masks and batch
order, and CPU kernels that are deterministic at a fixed thread count.

torch is imported lazily, inside ``fit``/``predict``/``__setstate__``, so importing tunelab stays
fast without it. Fitted estimators pickle-free: ``__getstate__`` stores the weights as numpy
arrays next to plain parameters, ``__setstate__`` rebuilds the network — skops saves and loads
that through tunelab's trusted-type list.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from tunelab.entities import ConfigError
from tunelab.models._torch_embed import (
    categorical_config,
    category_indices,
    check_codes,
    embedding_network,
    input_width,
)

ACTIVATIONS = ("relu", "tanh", "silu", "selu", "gelu", "mish")
SCHEDULES = ("onecycle", "cosine", "constant")
_CLIP_SCALE = 3.0  # soft clipping of standardised inputs at about +-3 sd
_PREDICT_BATCH = 8192
_CHUNK_VALUES = 1 << 24  # at most this many first-layer inputs per forward pass outside training


def _input_width(net: Any) -> int:
    """Input width of the network's first linear layer (after embeddings or one-hot)."""
    for module in net.modules():
        if hasattr(module, "in_features"):
            return int(module.in_features)
    return 1


def torch_available() -> bool:
    """True when PyTorch can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the torch_mlp model needs PyTorch: pip install 'tunelab[torch]' "
            "(or `make setup`, which installs the CPU build)"
        ) from exc
    return torch


def preload_torch() -> None:
    """Import torch and what its optimizers import on first use (``torch._dynamo``).

    Building an estimator calls this, so a search that builds every family in its parent
    before forking trials (``preload``) pays the imports (seconds) once, not in every trial.
    Importing starts no thread pool, so forking afterwards is safe.
    """
    import importlib

    _import_torch()
    importlib.import_module("torch._dynamo")


def _as_tuple(value: Any, n: int, name: str) -> tuple[Any, ...]:
    """One value per hidden layer: a scalar repeated, or a sequence of exactly ``n`` values."""
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ConfigError(f"{name} has {len(value)} entries for {n} hidden layers")
        return tuple(value)
    return (value,) * n


@contextlib.contextmanager
def _torch_runtime(torch: Any, n_jobs: int | None) -> Iterator[None]:
    """``n_jobs`` intra-op threads, restored afterwards.

    The CPU kernels used here (linear, dropout, batch norm, AdamW) are deterministic for a
    fixed thread count, so ``torch.use_deterministic_algorithms`` is not switched on: it
    imports torch's compiler stack (inductor) on top of what training needs.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, n_jobs) if n_jobs and n_jobs > 0 else threads)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _TorchMLPBase(BaseEstimator):
    """Shared parameters, training loop and pickle-free state of the two estimators.

    Args:
        n_layers, width: ``n_layers`` hidden layers of ``width`` units (ignored when
            ``hidden_sizes`` is given).
        hidden_sizes: explicit widths of the hidden layers, e.g. ``(128, 64, 32)``.
        activation: one name of ``ACTIVATIONS`` or one per hidden layer.
        dropout: dropout rate after each hidden layer, or one rate per hidden layer.
        batch_norm: batch normalisation before each activation.
        learning_rate: peak learning rate of AdamW.
        lr_schedule: ``"onecycle"``, ``"cosine"`` (to zero over ``max_epochs``) or
            ``"constant"``.
        weight_decay: decoupled L2 weight decay (AdamW).
        l1: L1 penalty on the weights of the linear layers, added to the loss.
        batch_size: rows per step (the last partial batch is kept).
        max_epochs: epochs to train; with validation data, the most.
        patience: epochs without a better validation loss before stopping.
        standardize: standardise and softly clip the inputs with statistics of the training
            rows (turn off when the inputs are already scaled).
        categorical_features: indices of the columns holding integer category codes
            (``0..k-1``, negative = not seen at fit time, NaN = missing); None: none. The
            ``"embed"`` preprocessing flavor sets it.
        cat_encoding: ``"embedding"`` (a learned ``nn.Embedding`` per column), ``"onehot"``
            (one-hot inside the network) or ``"auto"`` (one-hot up to ``onehot_max_levels``
            levels, embeddings above).
        embedding_max_dim: the most dimensions of an embedding.
        onehot_max_levels: the ``"auto"`` switch point (levels counting missing).
        random_state: seed of the weights, the dropout masks and the batch order.
        n_jobs: torch intra-op threads during fit and predict (None or <= 0: leave as is).
    """

    def __init__(
        self,
        n_layers: int = 3,
        width: int = 256,
        hidden_sizes: tuple[int, ...] | None = None,
        activation: str | tuple[str, ...] = "silu",
        dropout: float | tuple[float, ...] = 0.15,
        batch_norm: bool = False,
        learning_rate: float = 2e-3,
        lr_schedule: str = "onecycle",
        weight_decay: float = 1e-4,
        l1: float = 0.0,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int = 16,
        standardize: bool = True,
        categorical_features: tuple[int, ...] | None = None,
        cat_encoding: str = "auto",
        embedding_max_dim: int = 16,
        onehot_max_levels: int = 16384,
        random_state: int | None = 0,
        n_jobs: int | None = 1,
    ) -> None:
        self.n_layers = n_layers
        self.width = width
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.l1 = l1
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.standardize = standardize
        self.categorical_features = categorical_features
        self.cat_encoding = cat_encoding
        self.embedding_max_dim = embedding_max_dim
        self.onehot_max_levels = onehot_max_levels
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ---- what the subclasses define -----------------------------------------------------
    def _encode_target(self, y: Any) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _loss(self, torch: Any) -> Any:
        raise NotImplementedError

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        raise NotImplementedError

    # ---- architecture -------------------------------------------------------------------
    def _layer_sizes(self) -> tuple[int, ...]:
        if self.hidden_sizes is not None:
            sizes = tuple(int(s) for s in self.hidden_sizes)
        else:
            if int(self.n_layers) < 0 or int(self.width) < 1:
                raise ConfigError(
                    f"n_layers must be >= 0 and width >= 1, got {self.n_layers}, {self.width}"
                )
            sizes = (int(self.width),) * int(self.n_layers)
        if any(s < 1 for s in sizes):
            raise ConfigError(f"hidden layer sizes must be >= 1, got {sizes}")
        return sizes

    def _config(self, n_in: int, n_out: int) -> dict[str, Any]:
        sizes = self._layer_sizes()
        acts = _as_tuple(self.activation, len(sizes), "activation")
        drops = _as_tuple(self.dropout, len(sizes), "dropout")
        for act in acts:
            if act not in ACTIVATIONS:
                raise ConfigError(f"activation {act!r} is not one of {', '.join(ACTIVATIONS)}")
        for rate in drops:
            if not 0.0 <= float(rate) < 1.0:
                raise ConfigError(f"dropout must be in [0, 1), got {rate}")
        return {
            "n_in": int(n_in),
            "n_out": int(n_out),
            "sizes": [int(s) for s in sizes],
            "activations": [str(a) for a in acts],
            "dropouts": [float(d) for d in drops],
            "batch_norm": bool(self.batch_norm),
        }

    @staticmethod
    def _network(torch: Any, config: dict[str, Any]) -> Any:
        cat = config.get("categorical")
        if cat is None:
            return _TorchMLPBase._mlp(torch, config)
        n_numeric = config["n_in"] - len(cat["columns"])
        mlp = _TorchMLPBase._mlp(torch, {**config, "n_in": input_width(n_numeric, cat)})
        return embedding_network(torch, n_numeric, cat, mlp)

    @staticmethod
    def _mlp(torch: Any, config: dict[str, Any]) -> Any:
        nn = torch.nn
        make_act = {
            "relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU, "selu": nn.SELU,
            "gelu": nn.GELU, "mish": nn.Mish,
        }  # fmt: skip
        layers: list[Any] = []
        n_in = config["n_in"]
        for size, act, drop in zip(
            config["sizes"], config["activations"], config["dropouts"], strict=True
        ):
            layers.append(nn.Linear(n_in, size))
            if config["batch_norm"]:
                layers.append(nn.BatchNorm1d(size))
            layers.append(make_act[act]())
            if drop > 0:
                layers.append(nn.Dropout(drop))
            n_in = size
        layers.append(nn.Linear(n_in, config["n_out"]))
        return nn.Sequential(*layers)

    def _check_settings(self) -> None:
        if self.lr_schedule not in SCHEDULES:
            raise ConfigError(
                f"lr_schedule {self.lr_schedule!r} is not one of {', '.join(SCHEDULES)}"
            )
        for name in ("batch_size", "max_epochs", "patience"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("learning_rate",):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("weight_decay", "l1"):
            if float(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")

    # ---- inputs -------------------------------------------------------------------------
    def _cat_columns(self, n_features: int) -> list[int]:
        if self.categorical_features is None:
            return []
        columns = sorted({int(j) for j in self.categorical_features})
        if len(columns) != len(self.categorical_features) or any(
            not 0 <= j < n_features for j in columns
        ):
            raise ConfigError(
                f"categorical_features must be distinct indices below {n_features}, "
                f"got {self.categorical_features}"
            )
        return columns

    def _validated(self, X: Any, *, reset: bool) -> np.ndarray:
        """Float matrix; NaN allowed in category columns only (missing category)."""
        if not self.categorical_features:
            return validate_data(self, X, dtype=np.float64, reset=reset)
        X = validate_data(self, X, dtype=np.float64, reset=reset, ensure_all_finite=False)
        cats = self._cat_columns(X.shape[1])
        numeric = np.delete(X, cats, axis=1)
        if not np.isfinite(numeric).all():
            raise ValueError("Input X contains NaN or infinity outside the categorical features")
        check_codes(X, cats)
        return X

    def _scale(self, X: np.ndarray, cat: dict[str, Any] | None) -> np.ndarray:
        """Standardised numbers (softly clipped), then the category table rows."""
        numeric = X if cat is None else np.delete(X, cat["columns"], axis=1)
        if self.standardize:
            z = (numeric - self.x_mean_) / self.x_scale_
            numeric = z / np.sqrt(1.0 + (z / _CLIP_SCALE) ** 2)
        numeric = numeric.astype(np.float32)
        if cat is None:
            return numeric
        return np.hstack([numeric, category_indices(X, cat)])

    # ---- fitting ------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        X_valid: Any = None,
        y_valid: Any = None,
        deadline: float | None = None,
    ) -> Any:
        """Train on ``X, y``; with ``X_valid, y_valid``, stop early and keep the best epoch.

        ``deadline`` (a ``time.monotonic()`` instant) ends training after the current epoch.
        """
        self._check_settings()
        if (X_valid is None) != (y_valid is None):
            raise ConfigError("fit needs both X_valid and y_valid, or neither")
        if self.categorical_features:
            X, y = validate_data(
                self, X, y, dtype=np.float64, y_numeric=False, ensure_all_finite=False
            )
            X = self._validated(X, reset=False)
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        cats = self._cat_columns(X.shape[1])
        cat = None
        if cats:
            cat = categorical_config(
                X,
                cats,
                self.cat_encoding,
                int(self.embedding_max_dim),
                int(self.onehot_max_levels),
            )
        y_enc, n_out = self._encode_target(y)
        if self.standardize:
            numeric = np.delete(X, cats, axis=1)
            self.x_mean_ = numeric.mean(axis=0)
            scale = numeric.std(axis=0)
            self.x_scale_ = np.where(scale > 0, scale, 1.0)
        Xs = self._scale(X, cat)
        valid = None
        if X_valid is not None:
            Xv = self._validated(X_valid, reset=False)
            valid = (self._scale(Xv, cat), self._encode_valid(y_valid))
        torch = _import_torch()
        config = self._config(X.shape[1], n_out)
        if cat is not None:
            config["categorical"] = cat
        with _torch_runtime(torch, self.n_jobs):
            self._train(torch, config, Xs, y_enc, valid, deadline)
        self.config_ = config
        return self

    def _encode_valid(self, y_valid: Any) -> np.ndarray:
        raise NotImplementedError

    def _train(
        self,
        torch: Any,
        config: dict[str, Any],
        X: np.ndarray,
        y: np.ndarray,
        valid: tuple[np.ndarray, np.ndarray] | None,
        deadline: float | None,
    ) -> None:
        seed = 0 if self.random_state is None else int(self.random_state)
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        net = self._network(torch, config)
        Xt, yt = torch.from_numpy(X), self._target_tensor(torch, y)
        n = len(Xt)
        batch = min(int(self.batch_size), n)
        # BatchNorm cannot train on a batch of one row: drop such a trailing batch.
        steps_per_epoch = max(1, n // batch if config["batch_norm"] else math.ceil(n / batch))
        epochs = int(self.max_epochs)
        optimizer = torch.optim.AdamW(
            net.parameters(), lr=float(self.learning_rate), weight_decay=float(self.weight_decay)
        )
        scheduler = self._scheduler(torch, optimizer, epochs * steps_per_epoch)
        loss_fn = self._loss(torch)
        linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
        best_loss, best_epoch, best_state = math.inf, 0, None
        self.train_loss_: list[float] = []
        self.valid_loss_: list[float] = []
        waited = 0
        for epoch in range(1, epochs + 1):
            net.train()
            order = torch.randperm(n, generator=generator)
            total = 0.0
            for step in range(steps_per_epoch):
                idx = order[step * batch : (step + 1) * batch]
                optimizer.zero_grad()
                loss = loss_fn(net(Xt[idx]), yt[idx])
                if self.l1 > 0:
                    loss = loss + float(self.l1) * sum(m.weight.abs().sum() for m in linears)
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += float(loss.detach()) * len(idx)
            self.train_loss_.append(total / max(1, min(n, steps_per_epoch * batch)))
            if valid is not None:
                current = self._valid_loss(torch, net, loss_fn, valid)
                self.valid_loss_.append(current)
                if current < best_loss - 1e-7:
                    best_loss, best_epoch, waited = current, epoch, 0
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                else:
                    waited += 1
                    if waited >= int(self.patience):
                        break
            if deadline is not None and time.monotonic() >= deadline:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.best_epoch_ = best_epoch if valid is not None else len(self.train_loss_)
        self.n_epochs_ = len(self.train_loss_)
        net.eval()
        self.module_ = net

    def _scheduler(self, torch: Any, optimizer: Any, total_steps: int) -> Any:
        sched = torch.optim.lr_scheduler
        if self.lr_schedule == "onecycle" and total_steps > 1:
            return sched.OneCycleLR(
                optimizer, max_lr=float(self.learning_rate), total_steps=total_steps + 1
            )
        if self.lr_schedule == "cosine":
            return sched.CosineAnnealingLR(optimizer, T_max=max(1, total_steps))
        return sched.LambdaLR(optimizer, lambda _step: 1.0)

    def _valid_loss(
        self, torch: Any, net: Any, loss_fn: Any, valid: tuple[np.ndarray, np.ndarray]
    ) -> float:
        net.eval()
        with torch.no_grad():
            out = self._outputs(torch, net, valid[0], self._chunk_rows(_input_width(net)))
            return float(loss_fn(out, self._target_tensor(torch, valid[1])))

    @staticmethod
    def _outputs(torch: Any, net: Any, X: np.ndarray, rows: int) -> Any:
        """Network outputs for ``X`` in chunks of ``rows`` (wide one-hot inputs stay small)."""
        parts = [net(torch.from_numpy(X[i : i + rows])) for i in range(0, len(X), rows)]
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    @staticmethod
    def _chunk_rows(width: int) -> int:
        return max(64, min(_PREDICT_BATCH, _CHUNK_VALUES // max(1, width)))

    # ---- predicting ---------------------------------------------------------------------
    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "config_")
        Xs = self._scale(self._validated(X, reset=False), self.config_.get("categorical"))
        torch = _import_torch()
        if len(Xs) == 0:
            return np.zeros((0, self.config_["n_out"]))
        rows = self._chunk_rows(_input_width(self.module_))
        with _torch_runtime(torch, self.n_jobs), torch.no_grad():
            out = self._outputs(torch, self.module_, Xs, rows)
        return np.asarray(out.numpy(), dtype=np.float64)

    # ---- pickle-free state --------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        module = state.pop("module_", None)
        if module is not None:
            state["weights_"] = {
                name: tensor.detach().cpu().numpy().copy()
                for name, tensor in module.state_dict().items()
            }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.pop("weights_", None)
        self.__dict__.update(state)
        if weights is not None:
            torch = _import_torch()
            net = self._network(torch, state["config_"])
            net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
            net.eval()
            self.module_ = net


class TorchMLPClassifier(ClassifierMixin, _TorchMLPBase):
    """PyTorch MLP classifier (cross-entropy, optional label smoothing)."""

    def __init__(
        self,
        n_layers: int = 3,
        width: int = 256,
        hidden_sizes: tuple[int, ...] | None = None,
        activation: str | tuple[str, ...] = "silu",
        dropout: float | tuple[float, ...] = 0.15,
        batch_norm: bool = False,
        learning_rate: float = 2e-3,
        lr_schedule: str = "onecycle",
        weight_decay: float = 1e-4,
        l1: float = 0.0,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int = 16,
        standardize: bool = True,
        categorical_features: tuple[int, ...] | None = None,
        cat_encoding: str = "auto",
        embedding_max_dim: int = 16,
        onehot_max_levels: int = 16384,
        label_smoothing: float = 0.0,
        random_state: int | None = 0,
        n_jobs: int | None = 1,
    ) -> None:
        super().__init__(
            n_layers=n_layers, width=width, hidden_sizes=hidden_sizes, activation=activation,
            dropout=dropout, batch_norm=batch_norm, learning_rate=learning_rate,
            lr_schedule=lr_schedule, weight_decay=weight_decay, l1=l1, batch_size=batch_size,
            max_epochs=max_epochs, patience=patience, standardize=standardize,
            categorical_features=categorical_features, cat_encoding=cat_encoding,
            embedding_max_dim=embedding_max_dim, onehot_max_levels=onehot_max_levels,
            random_state=random_state, n_jobs=n_jobs,
        )  # fmt: skip
        self.label_smoothing = label_smoothing

    def _encode_target(self, y: Any) -> tuple[np.ndarray, int]:
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("TorchMLPClassifier needs at least 2 classes in y, got 1 class")
        return encoded.astype(np.int64), len(self.classes_)

    def _encode_valid(self, y_valid: Any) -> np.ndarray:
        y_valid = np.asarray(y_valid).ravel()
        index = {label: i for i, label in enumerate(self.classes_.tolist())}
        unknown = sorted({str(v) for v in y_valid.tolist() if v not in index})
        if unknown:
            raise ConfigError(f"y_valid has classes not seen in y: {', '.join(unknown[:5])}")
        return np.array([index[v] for v in y_valid.tolist()], dtype=np.int64)

    def _loss(self, torch: Any) -> Any:
        if not 0.0 <= float(self.label_smoothing) < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        return torch.nn.CrossEntropyLoss(label_smoothing=float(self.label_smoothing))

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        return torch.from_numpy(np.asarray(y, dtype=np.int64))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        expo = np.exp(logits)
        proba: np.ndarray = expo / expo.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        result: np.ndarray = self.classes_[np.argmax(proba, axis=1)]
        return result


class TorchMLPRegressor(RegressorMixin, _TorchMLPBase):
    """PyTorch MLP regressor (mean squared error on the standardised target)."""

    def _encode_target(self, y: Any) -> tuple[np.ndarray, int]:
        y = np.asarray(y, dtype=np.float64).ravel()
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        return ((y - self.y_mean_) / self.y_scale_).astype(np.float32), 1

    def _encode_valid(self, y_valid: Any) -> np.ndarray:
        y_valid = np.asarray(y_valid, dtype=np.float64).ravel()
        return ((y_valid - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _loss(self, torch: Any) -> Any:
        return torch.nn.MSELoss()

    def _target_tensor(self, torch: Any, y: np.ndarray) -> Any:
        return torch.from_numpy(np.asarray(y, dtype=np.float32)).reshape(-1, 1)

    def predict(self, X: Any) -> np.ndarray:
        result: np.ndarray = self._forward(X)[:, 0] * self.y_scale_ + self.y_mean_
        return result
