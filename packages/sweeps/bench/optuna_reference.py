"""Optuna's TPESampler and RandomSampler on the same test functions and protocol as bench/samplers.ts, for the
comparison in docs/performance.md. Needs Debian's python3-optuna (3.1): /usr/bin/python3 bench/optuna_reference.py.
Prints one JSON object: per function and sampler, the best true value found in each seed's run."""
import json
import math
import sys

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def run(name, sampler_name, seed):
    noise = np.random.default_rng(seed)
    sampler = optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe" else optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(sampler=sampler)
    best = math.inf

    def objective(trial):
        nonlocal best
        if name == "hartmann6":
            true = hartmann6([trial.suggest_float(f"x{i + 1}", 0, 1) for i in range(6)])
        else:
            true = branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))
        best = min(best, true)
        return true + noise.normal() if name == "noisy-branin" else true

    study.optimize(objective, n_trials=TRIALS)
    return best


print(json.dumps({"optuna": optuna.__version__, "results": {f: {s: [run(f, s, seed) for seed in range(SEEDS)] for s in ("tpe", "random")} for f in ("branin", "hartmann6", "noisy-branin")}}))
