"""``tunelab export``: a model bundle as an ONNX file or an MLflow model folder."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    onnx = "onnx"
    mlflow = "mlflow"


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    model_dir: Annotated[Path, typer.Argument(help="a model bundle folder")],
    fmt: Annotated[Format, typer.Option("--format", help="onnx or mlflow")],
    out: Annotated[Path, typer.Option("--out", help="the .onnx file or MLflow model folder")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="held-back rows (.csv/.parquet) to check ONNX parity on "
            "(default: rows drawn from the bundle's reference statistics)",
        ),
    ] = None,
    quantize: Annotated[
        bool,
        typer.Option(
            "--quantize",
            help="ONNX only: int8 dynamic quantisation of the matrix products (MLP, linear "
            "models); reports the size and accuracy change",
        ),
    ] = False,
) -> None:
    """Export MODEL_DIR to ONNX (one graph on the raw columns, checked against the bundle)
    or to an MLflow model folder (mlflow.pyfunc.load_model loads it)."""
    from tunelab.entities import TunelabError

    try:
        if fmt is Format.mlflow:
            from tunelab.bundles import export_mlflow

            if data is not None or quantize:
                raise typer.BadParameter("--data and --quantize apply to --format onnx only")
            folder = export_mlflow(model_dir, out)
            typer.echo(f"wrote MLflow model {folder} (mlflow.pyfunc.load_model loads it)")
            return
        from tunelab.bundles import export_onnx
        from tunelab.data import read_table

        rows = read_table(data) if data is not None else None
        result = export_onnx(model_dir, out, rows=rows, quantize=quantize)
    except TunelabError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    agreement = (
        "" if result.label_agreement is None else f", labels agree {result.label_agreement:.2%}"
    )
    typer.echo(
        f"wrote ONNX model {result.path} ({result.size_bytes} bytes); parity on "
        f"{result.rows_checked} {result.rows_source}: max difference "
        f"{result.max_difference:.2g}{agreement}"
    )
    if result.quantized is not None:
        q = result.quantized
        line = (
            f"quantised: {q['size_bytes_before']} -> {q['size_bytes_after']} bytes; "
            f"max difference to the bundle {q['max_difference']:.2g}"
        )
        if q.get("label_agreement") is not None:
            line += f", labels agree {q['label_agreement']:.2%}"
        if "score" in q:
            line += f"; {q['score']} {q['score_before']:.4f} -> {q['score_after']:.4f}"
        typer.echo(line)
