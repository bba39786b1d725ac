"""Katib trial of the gender recipe: the lab's ``gender_train.py`` with its defects fixed.

Reads the training users' feature table, runs grouped 5-fold CV (by user) with the 13 lab
parameters given as kebab-case flags, and prints the metrics in Katib's StdOut format:
``Valid-macroF1=``, ``Valid-accuracy=``, ``PR-AUC=`` and ``Used-threshold=``. Fixed here: the
"tuned" strategy really tunes the threshold (on folds other than the one it is scored on) and
"prod" uses the fixed threshold; the test users are never in the input.

    python -u train_trial.py --input-path=train_features.csv --penalty=l2 --C=1.0 ...
"""

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from tunelab.entities import TunelabError
from tunelab.recipes.gender._models import LabParams, cross_validate


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, LabParams, int, int]:
    """Reads the flags (unknown flags are ignored, like the lab's parse_known_args)."""
    defaults = LabParams()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-path", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    for name, value in defaults.as_dict().items():
        flags = [f"--{name.replace('_', '-')}"]
        if name == "C":
            flags.append("--c")
        parser.add_argument(*flags, dest=name, default=value, type=type(value))
    args, _unknown = parser.parse_known_args(argv)
    values = {name: getattr(args, name) for name in defaults.as_dict()}
    return args.input_path, LabParams.from_mapping(values), args.seed, args.folds


def main(argv: Sequence[str] | None = None) -> int:
    try:
        path, params, seed, folds = parse_args(argv)
        frame = pd.read_csv(path, dtype={"session_id": str, "user_id": str, "gender": str})
        result = cross_validate(frame, params, folds=folds, seed=seed)
    except (TunelabError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Valid-macroF1={result.macro_f1:.6f}")
    print(f"Valid-accuracy={result.accuracy:.6f}")
    print(f"PR-AUC={result.pr_auc:.6f}")
    print(f"Used-threshold={result.threshold:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
