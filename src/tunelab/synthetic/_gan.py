"""A CTGAN-style synthesizer on PyTorch (CPU): a conditional-free tabular WGAN-GP.

After CTGAN (Xu et al., 2019): a residual generator, a packed discriminator (PacGAN,
``pac`` rows judged together) trained with the Wasserstein loss and gradient penalty, and
Gumbel-softmax outputs for categorical columns. Two simplifications, stated: numbers are
quantile-normalised (their normal scores, as in the copula) instead of CTGAN's
mode-specific normalisation with a Gaussian mixture per column, and there is no
conditional vector — classes are handled by one synthesizer per class
(``synthesize_rows``). Deterministic for a given ``random_state``: seeded weights, noise
and batch order, one torch thread, a fixed number of steps.

A ``deadline`` (a ``time.monotonic()`` instant: the time a search gives the synthesizer)
ends training early, after at least ``MIN_STEPS`` steps; ``steps_done_`` and ``cut_`` say
what was cut. Rows are then reproducible only for the same number of steps done.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from sklearn.base import BaseEstimator

from tunelab.entities import ConfigError, DataError
from tunelab.synthetic._marginals import (
    CategoricalMarginal,
    Marginal,
    NumericMarginal,
    fit_marginal,
    sampling_seed,
)

NOISE_DIM = 64
WIDTH = 128
GRADIENT_PENALTY = 10.0
GUMBEL_TAU = 0.2
MIN_STEPS = 20  # steps trained even past the deadline (fewer leave the generator unusable)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "the 'ctgan' synthesizer needs PyTorch (`make setup` installs the CPU build)"
        ) from exc
    return torch


class TabularGANSynthesizer(BaseEstimator):
    """Draw rows from a CTGAN-style GAN trained on ``X`` (see the module docstring).

    ``steps`` generator updates (each after one discriminator update) on batches of at
    most ``batch_size`` rows. Fewer than ``pac`` rows are copied rather than learnt.
    ``deadline`` (``time.monotonic()`` seconds, None: none) stops training once reached,
    after at least ``MIN_STEPS`` steps.

    Fitted: ``steps_done_`` (steps trained), ``cut_`` (True when the deadline ended
    training before ``steps``), ``fit_seconds_``.
    """

    def __init__(
        self,
        steps: int = 600,
        batch_size: int = 200,
        pac: int = 10,
        learning_rate: float = 1e-3,
        random_state: int = 0,
        deadline: float | None = None,
    ) -> None:
        self.steps = steps
        self.batch_size = batch_size
        self.pac = pac
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.deadline = deadline

    # -- encoding ------------------------------------------------------------------------
    def _encode(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        blocks = []
        for column, marginal in zip(frame.columns, self.marginals_, strict=True):
            if isinstance(marginal, NumericMarginal):
                z = marginal.to_normal(frame[column], rng)
                missing = frame[column].isna().to_numpy(dtype=np.float64)
                blocks.append(np.column_stack([z / 3.0, missing]))
            else:
                index = {c: i for i, c in enumerate(marginal.categories)}
                codes = [index.get(None if pd.isna(v) else v, 0) for v in frame[column]]
                blocks.append(np.eye(len(marginal.categories))[codes])
        return np.hstack(blocks).astype(np.float32)

    def _spans(self) -> list[tuple[int, int, bool]]:
        spans, at = [], 0
        for marginal in self.marginals_:
            width = 2 if isinstance(marginal, NumericMarginal) else len(marginal.categories)
            spans.append((at, at + width, isinstance(marginal, NumericMarginal)))
            at += width
        return spans

    def _activate(self, torch: Any, raw: Any, hard: bool) -> Any:
        functional = torch.nn.functional
        parts = []
        for start, end, numeric in self._spans():
            if numeric:
                parts.append(torch.tanh(raw[:, start : start + 1]))
                parts.append(torch.sigmoid(raw[:, start + 1 : end]))
            else:
                parts.append(
                    functional.gumbel_softmax(raw[:, start:end], tau=GUMBEL_TAU, hard=hard)
                )
        return torch.cat(parts, dim=1)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None) -> TabularGANSynthesizer:
        frame = pd.DataFrame(X)
        if len(frame) == 0 or frame.shape[1] == 0:
            raise DataError("the synthesizer needs at least one row and one column")
        self.columns_: list[Any] = list(frame.columns)
        self.marginals_: list[Marginal] = [fit_marginal(frame[c]) for c in frame.columns]
        self._rows = frame.reset_index(drop=True)
        self._generator_state: dict[str, np.ndarray] | None = None
        self.steps_done_ = 0
        self.cut_ = False
        self.fit_seconds_ = 0.0
        if len(frame) < max(2, self.pac):
            return self  # too few rows to learn from: sample copies them
        began = time.monotonic()
        torch = _torch()
        rng = np.random.default_rng(self.random_state)
        data = self._encode(frame, rng)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            torch.manual_seed(self.random_state)
            self._generator_state = self._train(torch, data, rng)
        finally:
            torch.set_num_threads(threads)
        self.cut_ = self.steps_done_ < self.steps
        self.fit_seconds_ = time.monotonic() - began
        return self

    def _networks(self, torch: Any, width: int) -> tuple[Any, Any]:
        nn = torch.nn
        generator = nn.Sequential(
            nn.Linear(NOISE_DIM, WIDTH),
            nn.BatchNorm1d(WIDTH),
            nn.ReLU(),
            nn.Linear(WIDTH, WIDTH),
            nn.BatchNorm1d(WIDTH),
            nn.ReLU(),
            nn.Linear(WIDTH, width),
        )
        discriminator = nn.Sequential(
            nn.Linear(width * self.pac, WIDTH),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.5),
            nn.Linear(WIDTH, WIDTH),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.5),
            nn.Linear(WIDTH, 1),
        )
        return generator, discriminator

    def _train(self, torch: Any, data: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
        n, width = data.shape
        pac = self.pac
        batch = max(pac, min(self.batch_size, n) // pac * pac)
        generator, discriminator = self._networks(torch, width)
        betas = (0.5, 0.9)
        opt_g = torch.optim.Adam(
            generator.parameters(), lr=self.learning_rate, betas=betas, weight_decay=1e-6
        )
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=self.learning_rate, betas=betas)
        real_all = torch.from_numpy(data)
        for step in range(self.steps):
            if self._past_deadline(step):
                break
            real = real_all[torch.from_numpy(rng.integers(0, n, batch))]
            fake = self._activate(torch, generator(torch.randn(batch, NOISE_DIM)), hard=False)
            d_real = discriminator(real.reshape(-1, width * pac)).mean()
            d_fake = discriminator(fake.detach().reshape(-1, width * pac)).mean()
            alpha = torch.rand(batch // pac, 1, 1).expand(batch // pac, pac, width)
            alpha = alpha.reshape(batch, width)
            mixed = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
            (grad,) = torch.autograd.grad(
                discriminator(mixed.reshape(-1, width * pac)).sum(), mixed, create_graph=True
            )
            penalty = ((grad.reshape(-1, width * pac).norm(2, dim=1) - 1) ** 2).mean()
            loss_d = d_fake - d_real + GRADIENT_PENALTY * penalty
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            fake = self._activate(torch, generator(torch.randn(batch, NOISE_DIM)), hard=False)
            loss_g = -discriminator(fake.reshape(-1, width * pac)).mean()
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            self.steps_done_ = step + 1
        generator.eval()
        return {k: v.detach().numpy().copy() for k, v in generator.state_dict().items()}

    def _past_deadline(self, step: int) -> bool:
        """True once the deadline is reached and at least ``MIN_STEPS`` steps are done."""
        if self.deadline is None or step < min(MIN_STEPS, self.steps):
            return False
        return time.monotonic() >= self.deadline

    # -- sampling --------------------------------------------------------------------------
    def sample(self, n_rows: int, random_state: int | None = None) -> pd.DataFrame:
        """``n_rows`` synthetic rows with the fitted columns and dtypes."""
        seed = sampling_seed(self, n_rows, random_state)
        rng = np.random.default_rng(seed)
        if self._generator_state is None:
            picks = rng.integers(0, len(self._rows), int(n_rows))
            return self._rows.iloc[picks].reset_index(drop=True)
        torch = _torch()
        generator, _ = self._networks(torch, sum(e - s for s, e, _ in self._spans()))
        generator.load_state_dict(
            {k: torch.from_numpy(v) for k, v in self._generator_state.items()}
        )
        generator.eval()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            torch.manual_seed(seed)
            with torch.no_grad():
                noise = torch.from_numpy(
                    rng.standard_normal((int(n_rows), NOISE_DIM)).astype(np.float32)
                )
                out = self._activate(torch, generator(noise), hard=True).numpy()
        finally:
            torch.set_num_threads(threads)
        columns = {}
        for (start, end, numeric), column, marginal in zip(
            self._spans(), self.columns_, self.marginals_, strict=True
        ):
            if numeric:
                assert isinstance(marginal, NumericMarginal)
                u = ndtr(np.clip(out[:, start] * 3.0, -8, 8))
                values = marginal.from_uniform(u, rng, with_missing=False)
                missing = (out[:, start + 1] > 0.5) & (marginal.missing_rate > 0)
                if missing.any():
                    values = values.astype(np.float64) if values.dtype.kind in "iub" else values
                    values = values.mask(missing)
                columns[column] = values
            else:
                assert isinstance(marginal, CategoricalMarginal)
                codes = out[:, start:end].argmax(axis=1)
                upper = marginal.upper
                lower = np.concatenate([[0.0], upper[:-1]])
                u = (lower[codes] + upper[codes]) / 2  # the middle of the category's interval
                columns[column] = marginal.from_uniform(u, rng)
        return pd.DataFrame(columns)
