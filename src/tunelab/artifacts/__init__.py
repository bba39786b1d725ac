"""Artifact store over fsspec: a local folder by default, ``s3://bucket/prefix`` for teams."""

from tunelab.artifacts._store import ArtifactInfo, ArtifactStore, ArtifactWriter

__all__ = ["ArtifactInfo", "ArtifactStore", "ArtifactWriter"]
