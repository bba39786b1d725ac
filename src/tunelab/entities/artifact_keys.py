"""Where the platform keeps each artifact: every key and folder of the artifact store.

Jobs write these keys and the server reads them, so both name them from here. Keys are
``/``-separated paths relative to the artifact store's root.
"""

MANIFEST = "manifest.json"  # written last into a folder: its presence means complete


# -- datasets --------------------------------------------------------------------------
def dataset_prefix(dataset_id: str) -> str:
    """The folder of a dataset: its file, EDA figures and cached class counts."""
    return f"datasets/{dataset_id}"


def dataset_file_key(dataset_id: str, filename: str) -> str:
    """The stored table of a dataset, under its original file name."""
    return f"{dataset_prefix(dataset_id)}/{filename}"


def column_settings_undo_key(dataset_id: str) -> str:
    """The column settings a dataset had before a recommendation was applied (for undo)."""
    return f"{dataset_prefix(dataset_id)}/undo/column_settings.json"


def leakage_key(dataset_id: str, digest: str) -> str:
    """Cached leakage check of a dataset against one target (``digest`` names target, task)."""
    return f"{dataset_prefix(dataset_id)}/leakage/{digest}.json"


def class_counts_key(dataset_id: str, digest: str) -> str:
    """Cached class counts of a target column (``digest`` names column and settings)."""
    return f"{dataset_prefix(dataset_id)}/class_counts/{digest}.json"


def eda_prefix(dataset_id: str) -> str:
    """The EDA job's folder: one ``<plot>.json`` per table plot, ``variables/``, manifest."""
    return f"{dataset_prefix(dataset_id)}/eda"


def eda_manifest_key(dataset_id: str) -> str:
    return f"{eda_prefix(dataset_id)}/{MANIFEST}"


def eda_plot_key(dataset_id: str, plot: str) -> str:
    return f"{eda_prefix(dataset_id)}/{plot}.json"


def eda_variable_key(dataset_id: str, position: int) -> str:
    """The figures of the column at ``position`` (in the manifest's column order)."""
    return f"{eda_prefix(dataset_id)}/variables/{position:05d}.json"


def upload_prefix(upload_id: str) -> str:
    """The folder of a chunked upload in progress (its session and chunks)."""
    return f"uploads/{upload_id}"


# -- experiments and models ------------------------------------------------------------
def checkpoint_prefix(experiment_id: str) -> str:
    """The search checkpoint of a running AutoML experiment (resumed by any worker)."""
    return f"checkpoints/{experiment_id}"


def splits_prefix(experiment_id: str, run: int | None = None) -> str:
    """The rows of each part of run ``run``'s split: ``<part>.csv`` and ``summary.json``
    (``run=None``: the folder runs saved to before runs were kept apart)."""
    if run is None:
        return f"experiments/{experiment_id}/splits"
    return f"experiments/{experiment_id}/runs/{run}/splits"


def run_columns_key(experiment_id: str, run: int) -> str:
    """The dataset's per-column settings as run ``run`` started with them (JSON)."""
    return f"experiments/{experiment_id}/runs/{run}/column_settings.json"


def splits_summary_key(experiment_id: str, run: int | None = None) -> str:
    return f"{splits_prefix(experiment_id, run)}/summary.json"


def split_part_key(experiment_id: str, part: str, run: int | None = None) -> str:
    """The rows of one part (``train``, ``valid`` or ``test``) as CSV."""
    return f"{splits_prefix(experiment_id, run)}/{part}.csv"


def model_prefix(model_id: str) -> str:
    """The model bundle folder of a trained model."""
    return f"models/{model_id}"


def evaluation_prefix(model_id: str, dataset_id: str | None = None) -> str:
    """Artifact folder of a model's evaluation (on its experiment, or on one dataset)."""
    base = f"evaluations/{model_id}"
    return f"{base}/datasets/{dataset_id}" if dataset_id else base


def evaluation_key(model_id: str, dataset_id: str | None = None) -> str:
    return f"{evaluation_prefix(model_id, dataset_id)}/evaluation.json"


def evaluation_plots_prefix(model_id: str, dataset_id: str | None = None) -> str:
    return f"{evaluation_prefix(model_id, dataset_id)}/plots"


def evaluation_plot_key(model_id: str, dataset_id: str | None, name: str) -> str:
    return f"{evaluation_plots_prefix(model_id, dataset_id)}/{name}.json"


def pipeline_key(model_id: str) -> str:
    """The cached description of a model's pipeline (steps and hyperparameters)."""
    return f"{evaluation_prefix(model_id)}/pipeline.json"


def export_prefix(model_id: str) -> str:
    """The exports of a model to other formats (ONNX file, MLflow model zip)."""
    return f"exports/{model_id}"


def export_key(model_id: str, fmt: str) -> str:
    """The exported artifact: ``model.onnx`` or ``mlflow.zip`` (an MLflow model folder)."""
    name = "model.onnx" if fmt == "onnx" else f"{fmt}.zip"
    return f"{export_prefix(model_id)}/{name}"


def export_report_key(model_id: str, fmt: str) -> str:
    """What the export wrote and its parity figures (JSON)."""
    return f"{export_prefix(model_id)}/{fmt}.json"


# -- jobs ------------------------------------------------------------------------------
def predictions_key(job_id: str, fmt: str = "csv") -> str:
    """The output table of a batch prediction job (``csv`` or ``parquet``)."""
    return f"predictions/{job_id}.{fmt}"
