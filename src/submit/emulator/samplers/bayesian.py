"""Bayesian sampling: a Gaussian-process surrogate with expected improvement, as Azure's `sampling_algorithm: bayesian`.

Azure does not document its surrogate (docs/semantics.md, "Sampling"), so this is our own choice, measured in bench/bayesmark:

- **Surrogate**: scikit-learn ``GaussianProcessRegressor`` with a Matern-5/2 ARD kernel plus a white-noise term, its
  hyperparameters fitted by marginal likelihood. A GP is the strongest well-kept surrogate for the 10-200 trials Azure
  sweeps run (TPE needs hundreds to shine; bench/README.md), and scikit-learn is already a runtime dependency.
- **Encoding**: every parameter lives in [0, 1]. ``uniform`` is linear in its bounds; ``quniform`` and numeric
  ``choice`` are ordinal (their sorted lattice spread over [0, 1], so "depth 5 lies between 3 and 7" is learnt);
  string or mixed ``choice`` is one-hot.
- **Targets**: the metric is turned into a loss (negated when maximizing), then Yeo-Johnson power-transformed before
  the GP sees it, so one diverged trial (a huge log-loss) does not flatten the model everywhere else.
- **Acquisition**: log expected improvement, maximised over a scrambled Sobol cloud plus Gaussian perturbations of
  the best trials, refined by two rounds of shrinking perturbations around the best candidates. Points are snapped to
  the lattice before they are scored, so the winner is what will run.
- **Start**: the first ``n_initial`` trials (and any trial before two results exist) come from a scrambled Sobol
  design, a pure function of the seed and the trial index.

Trials that are not finished (choices where Azure is silent):

- ``running``: pending. They enter the GP through a *constant liar* (Ginsbourger et al. 2010): each is told the
  mean finished loss, with the kernel fitted on finished trials only. The posterior's uncertainty collapses there, so
  concurrent proposals spread out; an exact repeat of any earlier or running point is also never proposed.
  A running trial's partial value is not used: an early value would mislead the model as if it were final.
- ``canceled`` with a value: its best-so-far value is used as if final. It is a pessimistic reading (the trial was
  cut short), which is the honest way to count the partial evidence of a cancellation.
- ``failed``, or ended without a finite primary metric (NaN and infinities are failed values, ``submit.spec.objective``):
  imputed with the worst loss seen among valid trials. Failures in tuning are usually deterministic (divergence, out
  of memory), so the model should steer away, but no further than to the worst real value, which keeps the GP's
  scale sane.
- Every trial so far, whatever its status, is excluded from being proposed again while an unseen point exists.

The sampler takes its whole history from ``observations`` (a resumed sweep passes the trials loaded from the store) and
draws its randomness from (seed, index), so the same seed and history give the same proposals. To stay well under a
second per proposal, the GP trains on at most ``max_train`` trials (the best half and the most recent rest), and its
kernel hyperparameters are re-fitted on a schedule (every proposal up to 30 finished trials, then at every 20 %
growth), warm-started from the previous fit; the one state kept between calls is that fitted kernel.

>>> from submit.spec.space import SearchSpace, Uniform, Choice
>>> s = BayesianSampler(SearchSpace({"x": Uniform(0, 1), "k": Choice(["a", "b"])}), seed=0)
>>> s.suggest(0, []) == BayesianSampler(s.space, seed=0).suggest(0, [])
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...spec.objective import as_loss, is_failed
from ...spec.space import SearchSpace
from .base import Observation, Sampler
from .encoding import OneHot, Ordinal, axis_of

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z * Phi(z)), stable far into the tail (Ament et al. 2023, "LogEI")."""
    from scipy.special import erfcx, log_ndtr

    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu**2 - _LOG_SQRT_2PI) + zu * np.exp(log_ndtr(zu)))
    zl = z[~upper]
    mid = zl > -1e4
    inner = np.empty_like(zl)
    # phi(z) * (1 - |z| * Phi(z) / phi(z)), with Phi/phi = sqrt(pi/2) * erfcx(-z / sqrt 2)
    inner[mid] = np.log1p(-np.abs(zl[mid]) * math.sqrt(math.pi / 2) * erfcx(-zl[mid] / math.sqrt(2)))
    inner[~mid] = -2 * np.log(np.abs(zl[~mid]))
    out[~upper] = -0.5 * zl**2 - _LOG_SQRT_2PI + inner
    return out


class BayesianSampler(Sampler):
    """GP-EI over choice/uniform/quniform; aware of running trials; see the module docstring for every choice."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        n_initial: int | None = None,
        max_train: int = 100,
        n_candidates: int = 2048,
        **kwargs,
    ):
        super().__init__(space, **kwargs)
        self._axes = [axis_of(d) for d in space.values()]
        self._names = list(space)
        self._width = sum(a.width for a in self._axes)
        # one Sobol point per parameter dimension plus one, at least 5 and at most 10: enough to fit length scales
        self.n_initial = n_initial if n_initial is not None else min(max(len(self._axes) + 1, 5), 10)
        self.max_train, self.n_candidates = max_train, n_candidates
        # no seed (Azure's bayesian takes none): one entropy draw per sampler, still deterministic within it
        self._seed = self.seed if self.seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self._sobol: np.ndarray | None = None
        self._finite = math.prod(a.size() for a in self._axes)
        self._kernel, self._kernel_n = None, 0  # the last fitted GP kernel, and how many finished trials it saw

    # -- encoding ----------------------------------------------------------------------------------------------------

    def _encode(self, params: dict[str, Any]) -> np.ndarray | None:
        parts = []
        for name, axis in zip(self._names, self._axes, strict=False):
            if name not in params:
                return None
            part = axis.encode(params[name])
            if part is None:
                return None
            parts.append(part)
        return np.concatenate(parts)

    def _decode(self, x: np.ndarray) -> dict[str, Any]:
        params, pos = {}, 0
        for name, axis in zip(self._names, self._axes, strict=False):
            params[name] = axis.decode(x[pos : pos + axis.width])
            pos += axis.width
        return params

    def _snap(self, X: np.ndarray) -> np.ndarray:
        out, pos = np.empty_like(X), 0
        for axis in self._axes:
            out[:, pos : pos + axis.width] = axis.snap(X[:, pos : pos + axis.width])
            pos += axis.width
        return out

    def _random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.hstack([a.random(rng, n) for a in self._axes])

    def _from_unit(self, u: np.ndarray) -> np.ndarray:
        """A point of the (one column per parameter) unit cube, in our encoding: one-hot picks the option like Azure."""
        parts = []
        for axis, ui in zip(self._axes, u, strict=False):
            if isinstance(axis, OneHot):
                parts.append(np.eye(axis.width)[min(int(ui * axis.width), axis.width - 1)])
            elif isinstance(axis, Ordinal):
                parts.append(np.array([min(int(ui * axis.n), axis.n - 1) / max(axis.n - 1, 1)]))
            else:
                parts.append(np.array([ui]))
        return self._snap(np.concatenate(parts)[None, :])[0]

    # -- proposal ----------------------------------------------------------------------------------------------------

    def suggest(self, index: int, observations: Sequence[Observation]) -> dict[str, Any]:
        rng = np.random.default_rng([self._seed, index])

        seen, X, y, pending, failed = [], [], [], [], []
        for obs in observations:
            x = self._encode(obs.params)
            if x is None:
                continue  # not a point of this space (edited spec on resume): no evidence about it
            seen.append(x)
            if obs.status == "running":
                pending.append(x)
            elif obs.status in ("completed", "canceled") and not is_failed(obs.value):
                X.append(x)
                y.append(as_loss(obs.value, self.goal))
            else:
                failed.append(x)

        if index < self.n_initial or len(X) < 2 or np.ptp(y) == 0:
            x = self._initial(index, seen, rng)
        else:
            if failed:
                X, y = X + failed, y + [max(y)] * len(failed)
            x = self._acquire(np.array(X), np.array(y), np.array(pending).reshape(-1, self._width), seen, rng)
        return self._decode(x)

    def _initial(self, index: int, seen: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
        if self._sobol is None or index >= len(self._sobol):
            from scipy.stats import qmc

            m = max(math.ceil(math.log2(index + 1)), 6)
            self._sobol = qmc.Sobol(len(self._axes), scramble=True, seed=self._seed).random_base2(m)
        x = self._from_unit(self._sobol[index])
        if _is_new(x, seen) or not self._has_unseen(seen):
            return x
        for _ in range(1000):  # a coarse discrete space revisits lattice points; draw until an unseen one
            x = self._snap(self._random(rng, 1))[0]
            if _is_new(x, seen):
                return x
        return x

    def _has_unseen(self, seen: list[np.ndarray]) -> bool:
        return self._finite > len({tuple(np.round(s, 9)) for s in seen})

    def _acquire(self, X, y, pending, seen, rng) -> np.ndarray:
        n_finished = len(X)
        X, y = self._cap(X, y, rng)
        y_t = _power_transform(y)
        gp = self._fit(X, y_t, n_finished, rng)
        if len(pending):
            # constant liar (Ginsbourger et al. 2010): pending trials "returned" the mean finished loss, a neutral lie;
            # the kernel keeps its fitted hyperparameters, so the lie moves the posterior, not the length scales
            from sklearn.gaussian_process import GaussianProcessRegressor

            lie = np.full(len(pending), float(np.mean(y_t)))
            gp = GaussianProcessRegressor(kernel=gp.kernel_, optimizer=None, normalize_y=False)
            gp.fit(np.vstack([X, pending]), np.concatenate([y_t, lie]))
        best = float(np.min(y_t))

        def score(C):
            mu, sd = gp.predict(C, return_std=True)
            sd = np.maximum(sd, 1e-9)
            return _log_h((best - mu) / sd) + np.log(sd)

        candidates = self._candidates(X, y, rng)
        s = score(candidates)
        # refine: shrinking perturbations around the current best candidates (acquisition surfaces are multimodal)
        for scale in (0.05, 0.01):
            top = candidates[np.argsort(-s)[:8]]
            local = self._perturb(top, 64, scale, rng)
            candidates, s = np.vstack([candidates, local]), np.concatenate([s, score(local)])

        seen_keys = {tuple(np.round(v, 9)) for v in seen}
        for i in np.argsort(-s, kind="stable"):
            if tuple(np.round(candidates[i], 9)) not in seen_keys:
                return candidates[i]
        return candidates[int(np.argmax(s))]  # every candidate already tried: the space is (nearly) exhausted

    def _cap(self, X, y, rng):
        if len(X) <= self.max_train:
            return X, y
        order = np.argsort(y, kind="stable")
        keep = set(order[: self.max_train // 2].tolist())
        rest = [i for i in range(len(X)) if i not in keep]
        keep |= set(rest[-(self.max_train - len(keep)) :])
        idx = np.array(sorted(keep))
        return X[idx], y[idx]

    def _fit(self, X, y, n, rng):
        """The GP on (X, y); its kernel hyperparameters are re-fitted on a schedule, not at every proposal.

        The marginal-likelihood fit is nearly all of a proposal's cost (0.5-2 s at 100 points under load). Up to
        ``_REFIT_ALWAYS`` finished trials the hyperparameters are fitted every time (they move a lot while data are
        few), later when the finished trials have grown by ``_REFIT_GROWTH`` since the last fit, warm-started from it
        (Spearmint and BoTorch loops do the same). In between, the last fitted kernel is reused as is.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        from threadpoolctl import threadpool_limits

        refit = self._kernel is None or n <= _REFIT_ALWAYS or n >= self._kernel_n * _REFIT_GROWTH
        if refit:
            kernel = self._kernel or ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
                length_scale=np.full(self._width, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5
            ) + WhiteKernel(1e-3, (1e-6, 1e-1))
            gp = GaussianProcessRegressor(
                kernel=kernel,
                normalize_y=False,
                optimizer=_lbfgs_capped,
                # one random restart while the likelihood is multimodal (few points); later the warm start suffices
                n_restarts_optimizer=1 if len(X) <= 40 else 0,
                random_state=int(rng.integers(2**31)),
            )
        else:
            gp = GaussianProcessRegressor(kernel=self._kernel, optimizer=None, normalize_y=False)
        # 100x100 matrices: BLAS threads cost more than they save, and they fight concurrent trials for the cores
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(X, y)
        if refit:
            self._kernel, self._kernel_n = gp.kernel_, n
        return gp

    def _candidates(self, X, y, rng) -> np.ndarray:
        if self._finite <= self.n_candidates:
            return self._enumerate()
        from scipy.stats import qmc

        cloud = qmc.Sobol(self._width, scramble=True, seed=rng).random(self.n_candidates)
        cloud = self._snap(cloud)  # argmax over a one-hot block's uniform columns picks each option equally often
        best = X[np.argsort(y, kind="stable")[:5]]
        near = np.vstack([self._perturb(best, 100, scale, rng) for scale in (0.2, 0.05)])
        return np.vstack([cloud, near])

    def _perturb(self, centres: np.ndarray, n: int, scale: float, rng: np.random.Generator) -> np.ndarray:
        X = np.repeat(centres, n, axis=0)
        X = X + rng.normal(0.0, scale, X.shape)
        pos = 0
        for axis in self._axes:
            if isinstance(axis, OneHot):
                block = np.repeat(centres[:, pos : pos + axis.width], n, axis=0)
                flip = rng.random(len(X)) < max(scale * 2, 0.1)
                block[flip] = axis.random(rng, int(flip.sum()))
                X[:, pos : pos + axis.width] = block
            pos += axis.width
        return self._snap(X)

    def _enumerate(self) -> np.ndarray:
        import itertools

        columns = []
        for axis in self._axes:
            if isinstance(axis, OneHot):
                columns.append(list(np.eye(axis.width)))
            else:
                columns.append(
                    [np.array([i / max(axis.n - 1, 1)]) if axis.n > 1 else np.array([0.5]) for i in range(axis.n)]
                )
        return np.array([np.concatenate(c) for c in itertools.product(*columns)])


_FIT_ITERATIONS = 50
_REFIT_ALWAYS = 30
_REFIT_GROWTH = 1.2


def _lbfgs_capped(obj_func, initial_theta, bounds):
    from scipy.optimize import minimize

    result = minimize(
        obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds, options={"maxiter": _FIT_ITERATIONS}
    )
    return result.x, result.fun


def _is_new(x: np.ndarray, seen: list[np.ndarray]) -> bool:
    return not any(np.allclose(x, s, atol=1e-9) for s in seen)


def _power_transform(y: np.ndarray) -> np.ndarray:
    """Yeo-Johnson then standardise; falls back to plain standardising when the fit is degenerate."""
    from sklearn.preprocessing import PowerTransformer

    z = (y - y.mean()) / (y.std() or 1.0)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            t = PowerTransformer(method="yeo-johnson", standardize=True).fit_transform(z[:, None])[:, 0]
        if np.all(np.isfinite(t)) and t.std() > 0:
            return t
    except (ValueError, FloatingPointError):
        pass
    return z
