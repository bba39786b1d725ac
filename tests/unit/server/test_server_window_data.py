"""The labelled-window dataset of a retrain: the champion's original rows are only added
for a user who may see that dataset."""

from pathlib import Path

import pytest

from tunelab.artifacts import ArtifactStore
from tunelab.entities.auth import Principal, Role, acting_user
from tunelab.server.errors import FieldError
from tunelab.server.monitoring.window_data import window_dataset
from tunelab.tracking import MetadataStore


def test_original_rows_need_access_to_the_dataset(tmp_path: Path) -> None:
    with MetadataStore(f"sqlite:///{tmp_path / 'meta.db'}") as store:
        artifacts = ArtifactStore(str(tmp_path / "artifacts"))
        users = {n: store.create_user(n, Role.EDITOR) for n in ("owner", "outsider")}
        principals = {n: Principal(u.id, u.name, u.role) for n, u in users.items()}
        mark = acting_user.set(principals["owner"])
        try:
            dataset = store.add_dataset(
                name="d", source="upload", uri="k", size_bytes=1, sha256="x"
            )
            experiment = store.create_experiment(dataset_id=dataset.id, target="y")
            model = store.add_model(name="m", uri="nowhere", experiment_id=experiment.id)
            deployment = store.create_deployment(model.id).id
        finally:
            acting_user.reset(mark)
        for who, expected in (("outsider", "not shared with you"), ("owner", "0 labelled")):
            mark = acting_user.set(principals[who])
            try:
                with pytest.raises(FieldError, match=expected):
                    window_dataset(
                        store, artifacts, deployment, dataset.id, "y", None, None,
                        include_training_data=True,
                    )  # fmt: skip
            finally:
                acting_user.reset(mark)
