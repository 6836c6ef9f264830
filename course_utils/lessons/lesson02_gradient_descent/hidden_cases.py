"""Hidden cases for lesson 02 (gradient descent).

Functions passed as arguments (the ``f`` of a gradient check, the ``grad`` of gradient descent) are
``functools.partial`` objects of module-level functions, so that the cases deep-copy like plain data.
Comparisons use the public checker's tolerance for each exercise.
"""
import copy
import functools

import numpy as np

from ...checking import CheckFailure, as_array, expect_equal
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden


def _round(array, decimals=2):
    return np.asarray(array, dtype=float).round(decimals)


# ---------------------------------------------------------------- losses

@hidden("02.mse_loss", compare=close_within(1e-5, 1e-8))
def _mse(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        shape = (int(rng.integers(1, 9)),) if rng.random() < 0.6 else tuple(int(s) for s in rng.integers(1, 5, size=2))
        cases.append(((_round(rng.normal(0, 2, size=shape)), _round(rng.normal(0, 2, size=shape))), {}))
    return cases


@hidden("02.binary_cross_entropy", compare=close_within(1e-6, 1e-8))
def _bce(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 9))
        z = _round(rng.normal(0, 2.5, size=n))
        if index % 3 == 2:  # some large logits: the loss must stay finite and exact
            big = rng.random(n) < 0.5
            z[big] = _round(rng.choice([-1.0, 1.0], size=int(big.sum())) * rng.uniform(35, 900, size=int(big.sum())))
        cases.append(((z, rng.integers(0, 2, size=n).astype(float)), {}))
    return cases


@hidden("02.softmax_cross_entropy", compare=close_within(1e-6, 1e-8))
def _softmax_ce(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n, k = int(rng.integers(1, 7)), int(rng.integers(2, 6))
        logits = _round(rng.normal(0, 2.0, size=(n, k)))
        if index % 3 == 2:  # large logits: log-sum-exp needed, and some labels' probabilities underflow
            logits = _round(logits * rng.uniform(100, 400))
            labels = np.argmin(logits, axis=1)
            cases.append(((logits, labels), {}))
            continue
        cases.append(((logits, rng.integers(0, k, size=n)), {}))
    return cases


# ---------------------------------------------------------------- gradient checking

def _quadratic(x, A, c):
    x = np.asarray(x, dtype=float).reshape(-1)
    return float(0.5 * x @ A @ x + c @ x)


def _wavy(x, W, k):
    x = np.asarray(x, dtype=float)
    return float(np.sum(W * np.sin(x)) + k * np.sum(x ** 2))


def _softplus_sum(x, M):
    x = np.asarray(x, dtype=float).reshape(-1)
    return float(np.sum(np.logaddexp(0.0, M @ x)))


@hidden("02.numerical_gradient", compare=close_within(1e-6, 1e-7))
def _numerical_gradient(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        kind = index % 3
        if kind == 0:  # a quadratic (central differences are exact on it), not necessarily symmetric
            d = int(rng.integers(1, 5))
            f = functools.partial(_quadratic, A=_round(rng.normal(size=(d, d)), 1), c=_round(rng.normal(size=d), 1))
            x = _round(rng.normal(size=d))
        elif kind == 1:  # smooth, x of shape (r, s)
            shape = tuple(int(s) for s in rng.integers(1, 4, size=2))
            f = functools.partial(_wavy, W=_round(rng.normal(size=shape), 1), k=round(float(rng.uniform(0.1, 1.0)), 2))
            x = _round(rng.normal(size=shape))
        else:
            d = int(rng.integers(2, 5))
            f = functools.partial(_softplus_sum, M=_round(rng.normal(size=(3, d)), 1))
            x = _round(rng.normal(size=d))
        # eps varies, often large (a function that ignores it is then off on the non-quadratic functions)
        kwargs = {} if rng.random() < 0.25 else {"eps": float(rng.choice([1e-1, 1e-1, 1e-2, 1e-2, 1e-3, 1e-4, 1e-6]))}
        cases.append(((f, x), kwargs))
    return cases


# ---------------------------------------------------------------- gradient descent

def _linear_gradient(x, A, c):
    return A @ np.asarray(x, dtype=float) + c


def _quartic_gradient(x, s):
    return s * np.asarray(x, dtype=float) ** 3


def _logcosh_gradient(x, m):
    return np.tanh(np.asarray(x, dtype=float) - m)


def _spd(rng, d, low=0.5, high=4.0):
    """A symmetric positive definite matrix with eigenvalues in [low, high], exactly symmetric."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    A = (q * rng.uniform(low, high, size=d)) @ q.T
    A = _round((A + A.T) / 2, 3)
    return (A + A.T) / 2


@hidden("02.gradient_descent", compare=close_within(1e-6, 1e-9))
def _gradient_descent(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        kind = index % 4
        if kind in (0, 1):  # a quadratic, converging (or, once, just above the limit: diverging)
            d = int(rng.integers(1, 4))
            A = _spd(rng, d)
            limit = 2.0 / np.linalg.eigvalsh(A).max()
            lr = round(float(limit * (rng.uniform(0.2, 0.9) if kind == 0 else rng.uniform(1.05, 1.3))), 4)
            grad = functools.partial(_linear_gradient, A=A, c=_round(rng.normal(size=d)))
        elif kind == 2:
            d = int(rng.integers(1, 4))
            grad = functools.partial(_quartic_gradient, s=round(float(rng.uniform(0.5, 2.0)), 2))
            lr = round(float(rng.uniform(0.02, 0.1)), 3)
        else:
            d = int(rng.integers(1, 4))
            grad = functools.partial(_logcosh_gradient, m=_round(rng.normal(size=d)))
            lr = round(float(rng.uniform(0.1, 1.5)), 3)
        x0 = _round(rng.uniform(-1.5, 1.5, size=d))
        cases.append(((grad, x0, lr, int(rng.integers(1, 16))), {}))
    return cases


@hidden("02.largest_stable_lr", compare=close_within(1e-6, 1e-8))
def _largest_stable_lr(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        d = int(rng.integers(1, 6))
        cases.append(((_spd(rng, d, low=0.2, high=float(rng.uniform(1.0, 30.0))),), {}))
    return cases


# ---------------------------------------------------------------- SGD and momentum

def _batch_compare(got, want):
    """Any shuffle drawn from the rng is right: check the batch sizes and that every index appears once."""
    if not isinstance(got, (list, tuple)):
        got = list(got)  # a generator of batches
    batches = [as_array(batch) for batch in got]
    if any(batch.ndim != 1 or not np.all(batch == np.round(batch)) for batch in batches):
        raise CheckFailure("each batch should be a 1-D array of integer indices")
    expect_equal([len(batch) for batch in batches], [len(batch) for batch in want])
    n = sum(len(batch) for batch in want)
    everything = np.concatenate(batches).astype(int) if batches else np.zeros(0, dtype=int)
    expect_equal(sorted(everything.tolist()), list(range(n)))
    if n >= 10 and np.array_equal(everything, np.arange(n)):
        raise CheckFailure("the indices were not shuffled")


def _observe_batches(function, args, kwargs):
    """The batches, and the two properties the public check also tests: the rng decides the order.

    Called again with a copy of the same generator, the function must give the same batches (not np.random's
    global state); called with another generator, another order (not a generator it seeds itself).
    """
    n, batch_size, rng = args
    batches = function(n, batch_size, copy.deepcopy(rng))
    if not isinstance(batches, (list, tuple)):
        batches = list(batches)  # a generator of batches
    again = function(n, batch_size, copy.deepcopy(rng))
    other = function(n, batch_size, np.random.default_rng(copy.deepcopy(rng).integers(2 ** 31) + 1))
    return batches, _order(again) == _order(batches), _order(other) != _order(batches)


def _order(batches):
    try:
        return [int(i) for batch in batches for i in as_array(batch).reshape(-1)]
    except Exception:  # noqa: BLE001 - a malformed answer: the comparison of the batches reports it
        return None


def _batches_and_rng_use(got, want):
    batches, same_again, other_differs = got
    _batch_compare(batches, want[0])
    if not same_again:
        raise CheckFailure("the same rng state gave different batches")
    if not other_differs:
        raise CheckFailure("two different generators gave the same order")


@hidden("02.minibatch_indices", compare=_batches_and_rng_use, observe=_observe_batches)
def _minibatch_indices(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(10, 60))
        batch_size = int(rng.integers(1, n + 4))
        cases.append(((n, batch_size, np.random.default_rng(int(rng.integers(2 ** 31)))), {}))
    return cases


@hidden("02.momentum_step", compare=close_within(1e-5, 1e-8))
def _momentum(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        d = int(rng.integers(1, 6))
        cases.append(((_round(rng.normal(size=d)), _round(rng.normal(size=d)), _round(rng.normal(size=d)),
                       round(float(rng.uniform(0.01, 0.5)), 3), round(float(rng.uniform(0.0, 0.99)), 2)), {}))
    return cases


@hidden("02.adam_step", compare=close_within(1e-5, 1e-8))
def _adam(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        d = int(rng.integers(1, 6))
        t = 1 if index % 4 == 0 else int(rng.integers(2, 60))
        first = index % 4 == 0  # the first step, from m = v = 0
        m = np.zeros(d) if first else _round(rng.normal(0, 0.1, size=d), 3)
        v = np.zeros(d) if first else _round(rng.uniform(1e-3, 0.05, size=d), 4)
        eps = float(rng.choice([1e-8, 1e-3, 0.05]))
        cases.append(((_round(rng.normal(size=d)), m, v, _round(rng.normal(0, 0.3, size=d), 3), t),
                      {"lr": round(float(rng.uniform(0.001, 0.2)), 4), "beta1": round(float(rng.uniform(0.5, 0.95)), 2),
                       "beta2": round(float(rng.uniform(0.9, 0.9999)), 4), "eps": eps}))
    return cases


# ---------------------------------------------------------------- regression by hand

@hidden("02.linear_regression_gd", compare=close_within(1e-6, 1e-8))
def _linear_regression(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n, d = int(rng.integers(8, 40)), int(rng.integers(1, 5))
        X = _round(rng.normal(size=(n, d)), 3)
        y = _round(X @ rng.normal(0, 2, size=d) + rng.normal(0, 2) + rng.normal(0, 0.3, size=n), 3)
        design = np.hstack([X, np.ones((n, 1))])
        curvature = np.linalg.eigvalsh(2.0 * design.T @ design / n).max()
        lr = round(float(rng.uniform(0.2, 0.9) / curvature), 4)  # stable: rounding errors shrink, never grow
        cases.append(((X, y, lr, int(rng.integers(1, 60))), {}))
    return cases


@hidden("02.logistic_regression_gd", compare=close_within(1e-6, 1e-8))
def _logistic_regression(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n, d = int(rng.integers(10, 40)), int(rng.integers(1, 4))
        X = _round(rng.normal(size=(n, d)) + rng.normal(0, 1.0, size=d), 3)
        logits = X @ rng.normal(0, 1.5, size=d) + rng.normal(0, 0.5)
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logits))).astype(float)
        design = np.hstack([X, np.ones((n, 1))])
        curvature = np.linalg.eigvalsh(design.T @ design / (4.0 * n)).max()  # bounds the loss's curvature
        lr = round(float(rng.uniform(0.2, 1.5) / curvature), 4)
        cases.append(((X, y, lr, int(rng.integers(1, 60))), {}))
    return cases
