"""The ``tunelab`` command line."""

# Commands after which the process ends at once (``os._exit``) once its output is flushed:
# their work is written and nothing is left running, so tearing down the interpreter
# (freeing every model, frame and module, atexit hooks) would only delay the exit that a
# time budget counts.
FAST_EXIT = frozenset({"automl", "predict"})


def main() -> None:
    """Entry point of the ``tunelab`` console script."""
    import sys

    from tunelab.cli._app import build_app

    try:
        build_app()()
    except SystemExit as done:
        command = sys.argv[1] if len(sys.argv) > 1 else ""
        if command not in FAST_EXIT or not isinstance(done.code, int | None):
            raise
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(done.code or 0)
