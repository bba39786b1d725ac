"""tunelab's benchmark harness: every system run the same way, as a black box.

Run it with ``uv run python benchmarks/run.py --help``; see docs/benchmarks/README.md.
"""
