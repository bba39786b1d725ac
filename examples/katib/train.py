"""A fast Katib trial script: a noisy analytic "training" that prints metrics per epoch.

Accuracy peaks near lr=0.01, num_layers=4 and optimizer=adam, and rises with the epochs.
Every epoch prints ``epoch=N accuracy=... loss=...`` (StdOut collector); with
``--metrics-file`` the same values are also written there, as TEXT or as JSON lines with
string values (File collector).

    python train.py --lr=0.01 --num-layers=4 --optimizer=adam --epochs=5
"""

import argparse
import json
import math
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds per epoch")
    parser.add_argument("--metrics-file", default=None)
    parser.add_argument("--metrics-format", choices=("TEXT", "JSON"), default="TEXT")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    quality = math.exp(-((math.log10(args.lr) + 2.0) ** 2) / 1.5)
    quality *= math.exp(-((args.num_layers - 4) ** 2) / 18.0)
    quality *= {"adam": 1.0, "rmsprop": 0.95, "sgd": 0.85}.get(args.optimizer, 0.8)
    ceiling = 0.5 + 0.48 * quality
    for epoch in range(1, args.epochs + 1):
        progress = 1.0 - math.exp(-epoch / 2.0)
        accuracy = float(np.clip(ceiling * (0.6 + 0.4 * progress) + rng.normal(0, 0.005), 0, 1))
        loss = float(-math.log(max(accuracy, 1e-6)))
        print(f"epoch={epoch} accuracy={accuracy:.4f} loss={loss:.4f}", flush=True)  # noqa: T201
        if args.metrics_file:
            with open(args.metrics_file, "a", encoding="utf-8") as out:
                if args.metrics_format == "JSON":
                    record = {"epoch": epoch, "accuracy": f"{accuracy:.4f}", "loss": f"{loss:.4f}"}
                    out.write(json.dumps(record) + "\n")
                else:
                    out.write(f"accuracy={accuracy:.4f}\nloss={loss:.4f}\n")
        if args.sleep:
            time.sleep(args.sleep)


if __name__ == "__main__":
    main()
