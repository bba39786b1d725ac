"""The ``tunelab`` command line."""


def main() -> None:
    """Entry point of the ``tunelab`` console script."""
    from tunelab.cli._app import build_app

    build_app()()
