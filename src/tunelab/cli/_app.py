"""Builds the Typer application from the command modules (each imports heavy code lazily)."""

import typer


def build_app() -> typer.Typer:
    from tunelab.cli import (
        auth_cmd,
        automl_cmd,
        demo_cmd,
        export_cmd,
        platform_cmd,
        registry_cmd,
        tune_cmd,
    )

    app = typer.Typer(
        name="tunelab",
        help="tunelab: AutoML and MLOps lab for tabular data.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain click help: importing rich's help renderer costs ~0.2 s
    )
    for module in (
        automl_cmd,
        tune_cmd,
        demo_cmd,
        platform_cmd,
        registry_cmd,
        export_cmd,
        auth_cmd,
    ):
        module.register(app)
    return app
