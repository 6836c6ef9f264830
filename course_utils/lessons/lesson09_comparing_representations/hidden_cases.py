"""Hidden cases for lesson 09: comparing representations (whitening, CCA, SVCCA, PWCCA, CKA).

The inputs are kept well conditioned: full column rank with a bounded condition number, canonical
correlations apart from each other (PWCCA's canonical directions are then well defined), SVCCA's
variance fraction away from every cumulative share, Gram matrices with positive self-HSIC.
"""
import numpy as np

from ...checking import CheckFailure, as_array, expect_close, expect_equal
from . import reference as ref
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden


def _pair(rng, n, p, q, shared, noise=0.7):
    """Two representations of the same n examples sharing ``shared`` latent directions, with column means."""
    Z = rng.normal(size=(n, shared))
    X = Z @ rng.normal(size=(shared, p)) + noise * rng.normal(size=(n, p)) + rng.normal(0, 2, size=(1, p))
    Y = Z @ rng.normal(size=(shared, q)) + noise * rng.normal(size=(n, q)) + rng.normal(0, 2, size=(1, q))
    return X * rng.uniform(0.3, 3.0, size=p), Y * rng.uniform(0.3, 3.0, size=q)


def _well_conditioned(*matrices, limit=1e3):
    for M in matrices:
        S = np.linalg.svd(ref.center(M), compute_uv=False)
        if S[-1] <= 0 or S[0] / S[-1] > limit:
            return False
    return True


def _good_pair(rng, n_range=(30, 80), width_range=(2, 7), shared_range=(1, 4)):
    while True:
        p, q = (int(v) for v in rng.integers(*width_range, size=2))
        n = int(rng.integers(*n_range))
        X, Y = _pair(rng, n, p, q, int(rng.integers(*shared_range)))
        if _well_conditioned(X, Y):
            return X, Y


# ------------------------------------------------------------------------------------------------- whiten
def _whiten_compare(got, want):
    """Any whitening of the centred columns is right (U, U Q for orthogonal Q, ZCA...): the public check's
    property test, in the learner's precision."""
    from .checks import expect_whitened

    expect_whitened(got, want)


@hidden("09.whiten", compare=_whiten_compare)
def _whiten(rng):
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        n, p = int(rng.integers(10, 60)), int(rng.integers(1, 8))
        if n < p + 5:
            continue
        X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) + rng.normal(0, 3, size=(1, p))
        if _well_conditioned(X):
            cases.append(((X,), {}))
    return cases


# ------------------------------------------------------------------------------------------------- CCA
def _close_1e6(got, want):
    """The checkers' tolerance for these similarity values (rtol 1e-6, atol 1e-8) in the learner's precision, with
    the shape checked, as the public checks compare."""
    from .checks import expect_value

    expect_value(got, want, rtol=1e-6, atol=1e-8)


@hidden("09.cca", compare=_close_1e6)
def _cca(rng):
    return [(_good_pair(rng), {}) for _ in range(CASES_PER_EXERCISE)]


@hidden("09.svcca", compare=_close_1e6)
def _svcca(rng):
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        n, p, q, rank = (int(v) for v in (rng.integers(40, 90), rng.integers(5, 13), rng.integers(5, 13),
                                           rng.integers(2, 5)))
        shared = rng.normal(size=(n, rank))
        X = shared @ rng.normal(size=(rank, p)) * rng.uniform(0.5, 3.0, size=p) + 0.2 * rng.normal(size=(n, p))
        Y = shared @ rng.normal(size=(rank, q)) + 0.2 * rng.normal(size=(n, q)) + rng.normal(0, 2, size=(1, q))
        keep = float(rng.choice([0.5, 0.6, 0.75, 0.8, 0.9, 0.95, 0.99]))
        clear = True
        for M in (X, Y):  # the number of directions kept must not hinge on rounding
            S = np.linalg.svd(ref.center(M), compute_uv=False)
            clear &= bool(np.abs(np.cumsum(S ** 2) / (S ** 2).sum() - keep).min() > 1e-4)
        if clear and _well_conditioned(X, Y, limit=1e4):
            cases.append(((X, Y, keep), {}) if len(cases) % 4 else ((X, Y), {"keep": keep}))
    return cases


@hidden("09.pwcca", compare=_close_1e6)
def _pwcca(rng):
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        X, Y = _good_pair(rng)
        rho = ref.cca(X, Y)
        if rho.size == 1 or np.diff(rho).max() < -1e-3:  # distinct canonical correlations
            cases.append(((X, Y), {}))
    return cases


# ------------------------------------------------------------------------------------------------- CKA
@hidden("09.linear_cka", compare=_close_1e6)
def _linear_cka(rng):
    return [(_good_pair(rng, n_range=(15, 60), width_range=(2, 10)), {}) for _ in range(CASES_PER_EXERCISE)]


def _grams(rng, n_range=(10, 30)):
    X, Y = _good_pair(rng, n_range=n_range, width_range=(2, 9))
    if rng.random() < 0.5:
        return ref.linear_gram(X), ref.linear_gram(Y)
    return ref.rbf_gram(X, float(rng.uniform(0.5, 2.0))), ref.rbf_gram(Y, float(rng.uniform(0.5, 2.0)))


@hidden("09.cka_gram", compare=_close_1e6)
def _cka_gram(rng):
    return [(_grams(rng), {}) for _ in range(CASES_PER_EXERCISE)]


def _rbf_observe(function, args, kwargs):
    """The Gram matrix with the X and fraction it was built from: any allowed median convention passes."""
    X = np.array(args[0], dtype=float)
    fraction = args[1] if len(args) > 1 else kwargs.get("fraction", 1.0)
    return {"K": function(*args, **kwargs), "X": X, "fraction": float(fraction)}


def _rbf_compare(got, want):
    from .checks import expect_rbf_gram

    expect_rbf_gram(got["K"], want["X"], want["fraction"])


@hidden("09.rbf_gram", compare=_rbf_compare, observe=_rbf_observe)
def _rbf_gram(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n, p = int(rng.integers(6, 20)), int(rng.integers(1, 6))
        X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, size=p)
        X[: int(rng.integers(1, n // 2 + 1))] += rng.normal(0, 4, size=p)  # a cluster
        fraction = float(rng.choice([0.25, 0.5, 0.8, 1.0, 1.5, 3.0]))
        cases.append(((X, fraction), {}) if index % 4 else ((X,), {}))
    return cases


@hidden("09.debiased_cka", compare=_close_1e6)
def _debiased_cka(rng):
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        K, L = _grams(rng, n_range=(12, 35))
        if min(ref.unbiased_hsic(K, K), ref.unbiased_hsic(L, L)) > 1e-3 * max(ref.hsic(K, K), ref.hsic(L, L)):
            cases.append(((K, L), {}))
    return cases


# ------------------------------------------------------------------------------------------------- invariances
# Similarity measures to test, each with a different set of properties (see the comment after each):
# (orthogonal, isotropic_scaling, invertible_linear, symmetric, self_one)

def rbf_cka(X, Y):
    """CKA of RBF Gram matrices with the median bandwidth: (T, T, F, T, T)."""
    return ref.cka_gram(ref.rbf_gram(X), ref.rbf_gram(Y))


def first_neuron_correlation(X, Y):
    """|correlation| of the first neuron of X with the first neuron of Y: (F, T, F, T, T)."""
    a, b = ref.center(X)[:, 0], ref.center(Y)[:, 0]
    return float(abs(a @ b) / np.sqrt((a @ a) * (b @ b)))


def variance_ratio(X, Y):
    """Total variance of X over total variance of Y: (T, F, F, F, T)."""
    return float((ref.center(X) ** 2).sum() / (ref.center(Y) ** 2).sum())


def gram_distance(X, Y):
    """Frobenius distance between the centred linear Gram matrices: (T, F, F, T, F)."""
    Xc, Yc = ref.center(X), ref.center(Y)
    return float(np.linalg.norm(Xc @ Xc.T - Yc @ Yc.T))


def best_neuron_correlation(X, Y):
    """Mean over X's neurons of the largest |correlation| with a neuron of Y: (F, T, F, F, T)."""
    Xs, Ys = ref.center(X), ref.center(Y)
    Xs, Ys = Xs / np.linalg.norm(Xs, axis=0), Ys / np.linalg.norm(Ys, axis=0)
    return float(np.abs(Xs.T @ Ys).max(axis=1).mean())


SIMILARITIES = [ref.linear_cka, ref.cca_mean, ref.pwcca, rbf_cka, first_neuron_correlation, variance_ratio,
                gram_distance, best_neuron_correlation]


def _report_observe(function, args, kwargs):
    from .checks import invariance_observations

    return invariance_observations(function, *args, **kwargs)


def _report_compare(got, want):
    for flag, sentence in [("uses_arguments", "the report did not evaluate similarity(X, Y) on its arguments"),
                           ("reproducible", "the same seed drew different transforms"),
                           ("follows_seed", "another seed drew the same transforms")]:
        if not got[flag]:
            raise CheckFailure(sentence)
    got, want = got["report"], want["report"]
    if not isinstance(got, dict):
        raise CheckFailure("invariance_report should return a dict")
    for key in ref.INVARIANCE_KEYS:
        if key not in got or not isinstance(got[key], (bool, np.bool_)):
            raise CheckFailure(f"report[{key!r}] is missing or not a boolean")
        expect_equal(bool(got[key]), bool(want[key]))


@hidden("09.invariance_report", compare=_report_compare, observe=_report_observe)
def _invariance_report(rng):
    cases = []
    for similarity in rng.permutation(np.array(SIMILARITIES, dtype=object)):
        X, Y = _good_pair(rng, n_range=(30, 60), width_range=(3, 7), shared_range=(2, 4))
        cases.append(((similarity, X, Y, int(rng.integers(0, 1000))), {}))
    return cases
