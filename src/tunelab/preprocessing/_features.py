"""Numeric features built from datetime and free-text columns."""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

DATETIME_PARTS = ("year", "month", "day", "dayofweek", "hour", "dayofyear")
_ACCESSORS = ("year", "month", "day", "day_of_week", "hour", "day_of_year")


def _as_frame(X: Any) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)


class DatetimeExpander(TransformerMixin, BaseEstimator):
    """Datetime columns to numbers: calendar parts plus epoch seconds (NaT gives NaN).

    Args:
        expand: add year, month, day, dayofweek, hour and dayofyear; otherwise only the
            epoch seconds are produced.
    """

    def __init__(self, expand: bool = True) -> None:
        self.expand = expand

    def fit(self, X: Any, y: Any = None) -> "DatetimeExpander":
        frame = _as_frame(X)
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        frame = _as_frame(X)
        blocks = []
        for col in frame.columns:
            values = pd.to_datetime(frame[col], errors="coerce")
            missing = values.isna().to_numpy()
            parts = []
            if self.expand:
                parts = [
                    getattr(values.dt, p).to_numpy(dtype=float, na_value=np.nan)
                    for p in _ACCESSORS
                ]
            epoch = values.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9
            epoch = np.where(missing, np.nan, epoch)
            blocks.append(np.column_stack([*parts, epoch]))
        if not blocks:
            return np.empty((len(frame), 0))
        return np.hstack(blocks).astype(float)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_in_")
        suffixes = [*DATETIME_PARTS, "epoch"] if self.expand else ["epoch"]
        return np.array(
            [f"{c}_{s}" for c in self.feature_names_in_ for s in suffixes], dtype=object
        )


class TextFeatures(TransformerMixin, BaseEstimator):
    """Cheap statistics of free-text columns plus a small TF-IDF -> SVD embedding.

    Per column: character length and word count; when the column has at least
    ``min_documents`` non-empty texts and a vocabulary of at least 3 terms, also
    ``min(max_components, vocabulary - 1, documents - 1)`` SVD components of its TF-IDF.

    Args:
        max_components: upper bound of SVD components per column.
        min_documents: non-empty texts needed to fit the embedding.
        max_features: vocabulary size of the TF-IDF.
        random_state: seed of the SVD.
    """

    def __init__(
        self,
        max_components: int = 20,
        min_documents: int = 30,
        max_features: int = 5000,
        random_state: int = 0,
    ) -> None:
        self.max_components = max_components
        self.min_documents = min_documents
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "TextFeatures":
        frame = _as_frame(X)
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.embeddings_: list[tuple[TfidfVectorizer, TruncatedSVD] | None] = []
        for col in frame.columns:
            self.embeddings_.append(self._fit_embedding(_texts(frame[col])))
        return self

    def _fit_embedding(self, texts: np.ndarray) -> tuple[TfidfVectorizer, TruncatedSVD] | None:
        docs = texts[np.array([len(t) > 0 for t in texts], dtype=bool)]
        if len(docs) < self.min_documents:
            return None
        tfidf = TfidfVectorizer(max_features=self.max_features, min_df=2, sublinear_tf=True)
        try:
            matrix = tfidf.fit_transform(docs)
        except ValueError:  # empty vocabulary
            return None
        n_components = min(self.max_components, matrix.shape[1] - 1, len(docs) - 1)
        if n_components < 2:
            return None
        svd = TruncatedSVD(n_components=n_components, random_state=self.random_state)
        svd.fit(matrix)
        return tfidf, svd

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "embeddings_")
        frame = _as_frame(X)
        blocks = []
        for col, embedding in zip(frame.columns, self.embeddings_, strict=True):
            texts = _texts(frame[col])
            lengths = np.array([len(t) for t in texts], dtype=float)
            words = np.array([len(t.split()) for t in texts], dtype=float)
            blocks.append(np.column_stack([lengths, words]))
            if embedding is not None:
                tfidf, svd = embedding
                blocks.append(svd.transform(tfidf.transform(texts)))
        if not blocks:
            return np.empty((len(frame), 0))
        return np.hstack(blocks).astype(float)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "embeddings_")
        names: list[str] = []
        for col, embedding in zip(self.feature_names_in_, self.embeddings_, strict=True):
            names += [f"{col}_length", f"{col}_words"]
            if embedding is not None:
                names += [f"{col}_svd{i}" for i in range(embedding[1].n_components)]
        return np.array(names, dtype=object)


def _texts(values: pd.Series) -> np.ndarray:
    return np.array(["" if pd.isna(v) else str(v) for v in values.tolist()], dtype=object)
