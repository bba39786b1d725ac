"""The ``tunelab`` command line."""

from typing import NoReturn

# Commands after which the process ends at once (``os._exit``) once its output is flushed:
# their work is written and nothing is left running, so tearing down the interpreter
# (freeing every model, frame and module, atexit hooks) would only delay the exit that a
# time budget counts.
FAST_EXIT = frozenset({"automl", "predict"})


def main() -> None:
    """Entry point of the ``tunelab`` console script."""
    import sys

    if sys.argv[1:2] == ["predict"]:  # the plain form skips Typer (see cli._predict)
        from tunelab.cli._predict import fast_predict

        code = fast_predict(sys.argv[2:])
        if code is not None:
            _exit_now(code)

    from tunelab.cli._app import build_app

    try:
        build_app()()
    except SystemExit as done:
        command = sys.argv[1] if len(sys.argv) > 1 else ""
        if command not in FAST_EXIT or not isinstance(done.code, int | None):
            raise
        _exit_now(done.code or 0)


def _exit_now(code: int) -> NoReturn:
    """Flush the output and end the process at once (see FAST_EXIT)."""
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
