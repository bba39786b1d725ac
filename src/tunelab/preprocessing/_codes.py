"""Where the integer category codes of a fitted ``"embed"`` preprocessor sit in its output."""

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from tunelab.preprocessing._encode import CategoricalEncoder


def categorical_code_columns(preprocessor: Pipeline) -> list[int]:
    """Output column indices holding ordinal category codes (0..k-1, -1 unseen, NaN missing).

    Only a pipeline made of ``coerce`` and ``columns`` keeps the codes intact: with any
    later step the answer is empty. Within a categorical branch the encoder stacks one-hot,
    ordinal and target blocks in that order; only the ordinal block is returned.
    """
    names = [name for name, _ in preprocessor.steps]
    if names != ["coerce", "columns"]:
        return []
    columns: ColumnTransformer = preprocessor.named_steps["columns"]
    indices: list[int] = []
    for name, branch, _cols in columns.transformers_:
        encoder = _encoder_of(branch)
        if encoder is None or encoder.ordinal_ is None:
            continue
        start = columns.output_indices_[name].start
        if encoder.onehot_ is not None:
            start += len(encoder.onehot_.get_feature_names_out())
        indices += range(start, start + len(encoder.plan_["ordinal"]))
    return sorted(indices)


def _encoder_of(branch: Any) -> CategoricalEncoder | None:
    if isinstance(branch, Pipeline) and isinstance(branch.steps[-1][1], CategoricalEncoder):
        return branch.steps[-1][1]
    return None
