"""The peer samplers of B1, each driven by ask-and-tell over the same task and budget as ours.

- ``tpe``: Optuna's ``TPESampler(seed)``, defaults (10 random start-up trials; multivariate and constant liar in 5.x).
- ``optuna_gp``: Optuna's ``GPSampler(seed)``, defaults (Matern-5/2 ARD with priors, log EI, 10 random start-up
  trials, ``deterministic_objective=False``). Needs torch: ``pip install torch==2.13.0`` takes the CPU build.
- ``skopt_gp``: scikit-optimize's ``Optimizer(base_estimator="GP", random_state=seed)``, defaults (10 random initial
  points, the ``gp_hedge`` portfolio of EI/PI/LCB, Matern-5/2 ARD over one-hot categoricals; a Hamming kernel only when
  every dimension is categorical).

Every peer sees the space as its own library would spell it: ``uniform`` as a float range, ``quniform`` as an integer
lattice, ``choice`` as a categorical (Optuna and skopt do not assume an order in a list of options, and neither does a
user who writes ``choice``). The time spent in ask and tell is the proposing time.
"""

from __future__ import annotations

import time
import warnings

from submit.spec.space import Choice, QUniform, Uniform

from .tasks import Task


def optuna_distributions(space):
    import optuna

    out = {}
    for name, d in space.items():
        if isinstance(d, Choice):
            out[name] = optuna.distributions.CategoricalDistribution(d.values)
        elif isinstance(d, QUniform):
            if isinstance(d.q, int):
                out[name] = optuna.distributions.IntDistribution(int(d.min_value), int(d.max_value), step=d.q)
            else:
                out[name] = optuna.distributions.FloatDistribution(d.min_value, d.max_value, step=d.q)
        elif isinstance(d, Uniform):
            out[name] = optuna.distributions.FloatDistribution(d.min_value, d.max_value)
        else:
            raise ValueError(f"{name}: {d.type} has no Optuna counterpart here")
    return out


def run_optuna(task: Task, sampler: str, seed: int, trials: int) -> tuple[list[float], float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler == "optuna_gp":
        import torch

        torch.set_num_threads(1)  # every arm on one thread, as ours holds BLAS to one (and the cores are shared)
    make = {"tpe": optuna.samplers.TPESampler, "optuna_gp": optuna.samplers.GPSampler}[sampler]
    study = optuna.create_study(direction="minimize", sampler=make(seed=seed))
    dists = optuna_distributions(task.space)
    losses, proposing = [], 0.0
    for _ in range(trials):
        t = time.perf_counter()
        trial = study.ask(dists)
        params = dict(trial.params)
        proposing += time.perf_counter() - t
        loss = task.loss(params)
        t = time.perf_counter()
        study.tell(trial, loss)
        proposing += time.perf_counter() - t
        losses.append(loss)
    return losses, proposing


def _skopt_dimensions(space):
    """skopt dimensions, and for each parameter how to turn skopt's value back into the task's."""
    from skopt.space import Categorical, Integer, Real

    dims, back = [], []
    for d in space.values():
        if isinstance(d, Choice):
            dims.append(Categorical(list(range(len(d.values)))))  # indices: skopt compares options by equality
            back.append(lambda i, values=d.values: values[int(i)])
        elif isinstance(d, QUniform):
            lo, hi = round(d.min_value / d.q), round(d.max_value / d.q)
            dims.append(Integer(lo, hi))
            integral = isinstance(d.q, int)
            back.append(lambda k, q=d.q, integral=integral: int(k) * q if integral else round(int(k) * q, 12))
        elif isinstance(d, Uniform):
            dims.append(Real(d.min_value, d.max_value))
            back.append(float)
        else:
            raise ValueError(f"{d.type} has no skopt counterpart here")
    return dims, back


def run_skopt(task: Task, seed: int, trials: int) -> tuple[list[float], float]:
    from skopt import Optimizer

    dims, back = _skopt_dimensions(task.space)
    names = list(task.space)
    opt = Optimizer(dims, base_estimator="GP", random_state=seed)
    losses, proposing = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skopt warns about repeated points and sklearn convergence; not ours
        for _ in range(trials):
            t = time.perf_counter()
            x = opt.ask()
            proposing += time.perf_counter() - t
            loss = task.loss({n: f(v) for n, f, v in zip(names, back, x, strict=True)})
            t = time.perf_counter()
            opt.tell(x, loss)
            proposing += time.perf_counter() - t
            losses.append(loss)
    return losses, proposing
