"""Checkers for lesson 09: comparing representations (CCA, SVCCA, PWCCA, CKA).

Wherever a measure has a known property (invariance to a class of transforms, symmetry, a value of 1 on
identical inputs), the checker tests that property on random inputs as well as comparing with the reference.
"""

import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_equal, expect_true
from ...checking.formatting import to_numpy
from ...checking.tolerance import effective_tolerance
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("09", "comparing_representations", "Comparing representations", 90,
                    "CCA from scratch, SVCCA, PWCCA, linear, RBF and debiased CKA, which invariances each has, and "
                    "which layers correspond across seeds, in MLPs and in TinyGPT, and which layers finetuning "
                    "changes most")




def _data(seed, n, p, mean_shift=True):
    """Correlated columns with nonzero means: the kind of matrix a layer produces."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
    if mean_shift:
        X = X + rng.normal(scale=3.0, size=(1, p))
    return X


def _pair(seed, n, p, q, shared=3):
    """Two representations of the same n examples that share a few latent directions plus noise."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, shared))
    X = Z @ rng.normal(size=(shared, p)) + 0.7 * rng.normal(size=(n, p)) + rng.normal(size=(1, p))
    Y = Z @ rng.normal(size=(shared, q)) + 0.7 * rng.normal(size=(n, q)) + rng.normal(size=(1, q))
    return X, Y


def _shape_case(X, Y=None):
    return {"X shape": X.shape} if Y is None else {"X shape": X.shape, "Y shape": Y.shape}


def _standardise(X):
    Xc = ref.center(X)
    return Xc / Xc.std(axis=0, ddof=1)


def _in_precision(raw, value):
    """``value`` (worked out in float64 from the learner's answer ``raw``) held in ``raw``'s float precision.

    The tolerance policy follows the dtype of what it compares: a quantity derived from a float32 answer (a
    mean, or the Python float ``as_float`` returns) must be compared as float32.
    """
    dtype = getattr(raw, "dtype", None)
    if dtype is None:
        return value
    try:
        dtype = np.dtype(str(dtype).replace("torch.", ""))
    except TypeError:  # bfloat16: keep it a tensor
        import torch

        return torch.as_tensor(np.asarray(value, dtype=float)).to(raw.dtype)
    return np.asarray(value, dtype=dtype) if dtype.kind == "f" else value


def _float(raw, *, case=None, what="your function's result"):
    """``as_float`` that keeps the learner's float precision (a 0-d float32 array for a float32 answer)."""
    return _in_precision(raw, as_float(raw, case=case, what=what))


def expect_value(raw, want, *, rtol=1e-6, atol=1e-8, case=None, what="your function's result", **kwargs):
    """The hidden cases' comparison, as the public checks compare: shape, then closeness in the learner's precision."""
    want = np.asarray(want, dtype=float)
    got = _float(raw, case=case, what=what) if want.ndim == 0 else as_array(raw, shape=want.shape, case=case, what=what)
    expect_close(got, want, rtol=rtol, atol=atol, case=case, what=what, **kwargs)


def _unit_atol(raw, atol):
    """The absolute tolerance, in the learner's precision, for a quantity of size about 1."""
    return effective_tolerance(raw, np.ones(1), 0.0, atol)[1]


def _cross_products(Xw):
    Xw = np.asarray(to_numpy(Xw), dtype=float)
    return Xw.T @ Xw


def expect_whitened(raw, basis, *, case=None, mistaken=None):
    """Pass when ``raw`` is a whitening of the centred data whose reference whitening is ``basis``.

    Any whitening is right (U, U Q for an orthogonal Q, ZCA's U Vᵀ, a QR or Cholesky factor...): the checks
    are its properties (centred columns, Xwᵀ Xw = I, columns in the span of the centred X), with tolerances in
    the learner's precision. The public check and the hidden cases both use this function; ``mistaken`` holds the
    answers of the declared whitening mistakes on this X (the public check only).
    """
    basis = np.asarray(basis, dtype=float)
    n, p = basis.shape
    Xw = as_array(raw, shape=(n, p), case=case, what="the whitened data")
    atol = _unit_atol(raw, 1e-8)
    # each column has length 1, so its mean times √n is its cosine with the all-ones direction
    means = Xw.mean(axis=0)
    if not np.all(np.abs(means) * np.sqrt(n) <= atol):
        clearly = np.abs(means).max() * np.sqrt(n) > 1e-3
        raise CheckFailure("The whitened columns should have mean 0.", case=case, expected=np.zeros(p),
                           got=_in_precision(raw, means),
                           hint=("centre X first: subtract each column's mean before the SVD" if clearly else
                                 "the column means are small but not 0 to within rounding: compute the SVD of the "
                                 "centred data in float64 or float32, not in a lower precision"))
    expect_close(_in_precision(raw, Xw.T @ Xw), np.eye(p), case=case, rtol=0.0, atol=1e-6, what="Xw.T @ Xw",
                 mistakes=None if mistaken is None else mistaken.map(_cross_products),
                 hint="with Xc = U S Vᵀ (np.linalg.svd(Xc, full_matrices=False)), the columns of U are whitened")
    residual = Xw - basis @ (basis.T @ Xw)
    expect_true(np.abs(residual).max() < _unit_atol(raw, 1e-6),
                "the whitened columns are not linear combinations of the centred columns of X: whitening must "
                "only mix the neurons of X, never bring in anything new.", case=case,
                hint="return U from the SVD of the centred X (not of X itself, nor of a random matrix)")


# ---------------------------------------------------------------------------------------------------------
@exercise("09.whiten", points=1, reference=ref.whiten, title="centre and whiten a representation",
          mistakes=mistakes.WHITEN)
def check_whiten(whiten):
    for seed, (n, p) in enumerate([(30, 4), (50, 6), (20, 3)]):
        X = _data(seed, n, p)
        expect_whitened(whiten(X), ref.whiten(X), case=_shape_case(X), mistaken=mistakes.WHITEN.answers(X))


# ---------------------------------------------------------------------------------------------------------
@exercise("09.cca", points=2, reference=ref.cca, title="canonical correlations by whitening and an SVD",
          mistakes=mistakes.CCA)
def check_cca(cca):
    rng = np.random.default_rng(7)
    for seed, (n, p, q) in enumerate([(40, 4, 3), (60, 3, 5), (80, 6, 6)]):
        X, Y = _pair(seed, n, p, q)
        case = _shape_case(X, Y)
        k = min(p, q)
        want = ref.cca(X, Y)
        got = as_array(cca(X, Y), shape=(k,), case=case, what="the canonical correlations")
        expect_close(got, want, case=case, rtol=1e-6, atol=1e-8, what="the canonical correlations",
                     mistakes=mistakes.CCA.answers(X, Y),
                     hint="ρ = the singular values of whiten(X)ᵀ whiten(Y)")
        slack = _unit_atol(got, 1e-9)  # float32 rounding may put a correlation of 1 at 1.0000001
        expect_true(np.all(got >= -slack) and np.all(got <= 1 + slack),
                    "canonical correlations must lie between 0 and 1.", case=case, got=got)
        A = rng.normal(size=(p, p))
        B = rng.normal(size=(q, q))
        moved = as_array(cca(X @ A, Y @ B), shape=(k,), case="X @ A and Y @ B for random invertible A, B",
                         what="the canonical correlations")
        expect_close(moved, want, case="X @ A and Y @ B for random invertible A, B", rtol=1e-5, atol=1e-7,
                     what="the canonical correlations after invertible maps",
                     hint="CCA must not change when either side is multiplied by an invertible matrix")
    X = _data(11, 30, 3)
    same = as_array(cca(X, X @ rng.normal(size=(3, 3))), shape=(3,), case="X and X @ A",
                    what="the canonical correlations")
    expect_close(same, np.ones(3), case="X and X @ A (the same subspace)", atol=1e-6,
                 what="the canonical correlations", hint="two bases of the same subspace have all ρ = 1")


# ---------------------------------------------------------------------------------------------------------
def _low_rank(seed, n, p, rank, noise):
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 1.0, rank)
    return (rng.normal(size=(n, rank)) * scales) @ rng.normal(size=(rank, p)) + noise * rng.normal(size=(n, p))


@exercise("09.svcca", points=2, reference=ref.svcca, title="SVCCA: keep 99% of the variance, then CCA",
          mistakes=mistakes.SVCCA)
def check_svcca(svcca):
    cases = [(0, 60, 12, 10, 3, 0.99), (1, 80, 15, 8, 5, 0.99), (2, 70, 10, 14, 4, 0.9), (3, 50, 8, 8, 2, 0.5)]
    for seed, n, p, q, rank, keep in cases:
        rng = np.random.default_rng(100 + seed)
        shared = rng.normal(size=(n, rank))
        X = shared @ rng.normal(size=(rank, p)) * np.linspace(3, 1, p) + 0.1 * rng.normal(size=(n, p))
        Y = shared @ rng.normal(size=(rank, q)) + 0.1 * _low_rank(seed, n, q, rank, 1.0)
        case = {"X shape": X.shape, "Y shape": Y.shape, "keep": keep}
        want = ref.svcca(X, Y, keep)
        expect_close(_float(svcca(X, Y, keep), case=case, what="the SVCCA similarity"), want, case=case, rtol=1e-6,
                     what="the SVCCA similarity", mistakes=mistakes.SVCCA.answers(X, Y, keep),
                     hint="for each side: SVD of the centred data, keep the top k directions (U[:, :k] * S[:k]) with "
                          "k the smallest number reaching the fraction `keep` of Σ S², then the mean of cca(...)")


# ---------------------------------------------------------------------------------------------------------
@exercise("09.pwcca", points=2, reference=ref.pwcca, title="PWCCA: projection-weighted canonical correlations",
          mistakes=mistakes.PWCCA)
def check_pwcca(pwcca):
    for seed, (n, p, q) in enumerate([(60, 5, 4), (80, 4, 6), (50, 6, 6)]):
        X, Y = _pair(20 + seed, n, p, q, shared=2)
        X = X * np.linspace(4.0, 0.5, p)
        case = _shape_case(X, Y)
        want = ref.pwcca(X, Y)
        expect_close(_float(pwcca(X, Y), case=case, what="the PWCCA similarity"), want, case=case, rtol=1e-6,
                     what="the PWCCA similarity",
                     mistakes=mistakes.PWCCA.answers(X, Y),
                     hint="h_i = whiten(X) @ u_i with u_i the i-th left singular vector of whiten(X)ᵀ whiten(Y); "
                          "α_i = Σ_j |h_i · x_j| over centred columns x_j; return Σ α_i ρ_i / Σ α_i")
    X = _data(31, 40, 4)
    expect_close(_float(pwcca(X, X), case="X with itself", what="PWCCA(X, X)"), 1.0, case="X with itself",
                 atol=1e-6, what="PWCCA(X, X)", hint="every canonical correlation of X with itself is 1")


# ---------------------------------------------------------------------------------------------------------
@exercise("09.linear_cka", points=1, reference=ref.linear_cka, title="linear CKA in the feature form",
          mistakes=mistakes.LINEAR_CKA)
def check_linear_cka(linear_cka):
    rng = np.random.default_rng(5)
    for seed, (n, p, q) in enumerate([(40, 5, 3), (30, 4, 6), (60, 8, 8)]):
        X, Y = _pair(40 + seed, n, p, q)
        X = X * np.linspace(3.0, 0.5, p)
        case = _shape_case(X, Y)
        want = ref.linear_cka(X, Y)
        got = _float(linear_cka(X, Y), case=case, what="linear CKA")
        expect_close(got, want, case=case, rtol=1e-6, what="linear CKA",
                     mistakes=mistakes.LINEAR_CKA.answers(X, Y),
                     hint="CKA = ||Ycᵀ Xc||²_F / (||Xcᵀ Xc||_F ||Ycᵀ Yc||_F) with centred Xc, Yc")
        props = f"{case}, property"
        expect_close(_float(linear_cka(Y, X), case=case, what="CKA(Y, X)"), got, case=f"{props}: CKA(Y, X) = CKA(X, Y)",
                     rtol=1e-6, what="CKA(Y, X)", hint="CKA is symmetric")
        expect_close(_float(linear_cka(X, X), case=case, what="CKA(X, X)"), 1.0, case=f"{props}: CKA(X, X) = 1",
                     rtol=1e-6, what="CKA(X, X)")
        Q = ref.random_orthogonal(p, rng)
        expect_close(_float(linear_cka(X @ Q, Y), case=case, what="CKA(XQ, Y)"), got, rtol=1e-6,
                     case=f"{props}: CKA(X Q, Y) = CKA(X, Y) for a random orthogonal Q", what="CKA(X Q, Y)",
                     hint="rotating the neurons must not change CKA")
        c = float(rng.uniform(0.1, 10))
        expect_close(_float(linear_cka(c * X, Y), case=case, what="CKA(cX, Y)"), got, rtol=1e-6,
                     case=f"{props}: CKA(c X, Y) = CKA(X, Y) for c = {c:.3f}", what="CKA(c X, Y)",
                     hint="scaling all neurons by the same number must not change CKA")
        A = np.diag(np.linspace(0.2, 5.0, p)) @ ref.random_orthogonal(p, rng)
        expect_close(_float(linear_cka(X @ A, Y), case=case, what="CKA(XA, Y)"), ref.linear_cka(X @ A, Y), rtol=1e-6,
                     case=f"{props}: X A for an invertible, non-orthogonal A", what="CKA(X A, Y)",
                     mistakes=mistakes.LINEAR_CKA.answers(X @ A, Y),
                     hint="linear CKA changes when the neurons are stretched by different amounts")


# ---------------------------------------------------------------------------------------------------------
@exercise("09.cka_gram", points=2, reference=ref.cka_gram, title="CKA from Gram matrices (the HSIC form)",
          mistakes=mistakes.CKA_GRAM)
def check_cka_gram(cka_gram):
    for seed, (n, p, q, kind) in enumerate([(20, 4, 3, "linear"), (25, 5, 5, "rbf"), (15, 3, 6, "linear")]):
        X, Y = _pair(60 + seed, n, p, q)
        if kind == "linear":
            K, L = ref.linear_gram(X), ref.linear_gram(Y)
        else:
            K, L = ref.rbf_gram(X, 0.5), ref.rbf_gram(Y, 1.0)
        case = {"K": f"{kind} Gram matrix of X {X.shape}", "L": f"{kind} Gram matrix of Y {Y.shape}"}
        got = _float(cka_gram(K, L), case=case, what="CKA")
        expect_close(got, ref.cka_gram(K, L), case=case, rtol=1e-6, what="CKA",
                     mistakes=mistakes.CKA_GRAM.answers(K, L),
                     hint="CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)), HSIC(K, L) = tr(K H L H) / (n − 1)²")
        if kind == "linear":
            expect_close(got, ref.linear_cka(X, Y), case=f"{case}, property: equals the feature-form linear CKA",
                         rtol=1e-6, what="CKA of linear Gram matrices")
        expect_close(_float(cka_gram(L, K), case=case, what="CKA(L, K)"), got, rtol=1e-6,
                     case=f"{case}, property: CKA(L, K) = CKA(K, L)", what="CKA(L, K)", hint="CKA is symmetric")
        expect_close(_float(cka_gram(K, K), case=case, what="CKA(K, K)"), 1.0, rtol=1e-6,
                     case=f"{case}, property: CKA(K, K) = 1", what="CKA(K, K)")


# ---------------------------------------------------------------------------------------------------------
def _rbf_with_sigma(X, sigma):
    return np.exp(-ref.pairwise_distances(X) ** 2 / (2 * sigma ** 2))


def _middle_values(values):
    """The lower and upper middle of the sorted values: every median convention lies between them
    (np.median takes their mean, torch.median the lower one, √(median of the squares) a value in between)."""
    ordered = np.sort(np.ravel(values))
    return float(ordered[(len(ordered) - 1) // 2]), float(ordered[len(ordered) // 2])


def rbf_bandwidths(X, fraction):
    """The σ intervals the docstring allows: fraction × a median distance over the pairs i ≠ j, or over all n²
    entries of the distance matrix, diagonal included (the CKA authors' code)."""
    D = ref.pairwise_distances(X)
    distinct = D[~np.eye(len(D), dtype=bool)]
    return [tuple(fraction * m for m in _middle_values(distinct)), tuple(fraction * m for m in _middle_values(D))]


def _implied_sigma(K, D):
    """The bandwidth σ an answer K = exp(−D² / (2σ²)) was built with (nan when K does not look like one)."""
    usable = (D > 0) & (K > 1e-3) & (K < 0.99)
    if not usable.any():
        return float("nan")
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.median(-D[usable] ** 2 / (2 * np.log(K[usable])))))


def expect_rbf_gram(raw, X, fraction, *, case=None, mistaken=None):
    """Pass when ``raw`` is the RBF Gram matrix of X with a bandwidth any allowed median convention gives.

    The expected matrix is built with the allowed σ closest to the one the answer implies, so a correct answer
    under any convention meets the usual tolerance, and a wrong one is shown next to the nearest right one.
    The public check and the hidden cases both use this function; ``mistaken`` holds the answers of the declared
    mistakes on this X (the public check only).
    """
    X = np.asarray(X, dtype=float)
    n = len(X)
    D = ref.pairwise_distances(X)
    got = as_array(raw, shape=(n, n), case=case, what="the RBF Gram matrix")
    sigma = _implied_sigma(np.asarray(got, dtype=float), D)
    allowed = [min(max(sigma, low), high) for low, high in rbf_bandwidths(X, fraction)] if np.isfinite(sigma) else []
    best = min(allowed, key=lambda s: abs(np.log(s / sigma))) if allowed else rbf_bandwidths(X, fraction)[0][0]
    expect_close(got, _rbf_with_sigma(X, best), case=case, rtol=1e-6, atol=1e-9, what="the RBF Gram matrix",
                 mistakes=mistaken,
                 hint="K_ij = exp(−||x_i − x_j||² / (2σ²)) with σ = fraction × median of ||x_i − x_j|| over i ≠ j")
    expect_close(np.diag(got), np.ones(n), case=f"{case}, property: K_ii = 1", what="the diagonal of K")


@exercise("09.rbf_gram", points=2, reference=ref.rbf_gram, title="an RBF Gram matrix with a median-distance bandwidth",
          mistakes=mistakes.RBF_GRAM)
def check_rbf_gram(rbf_gram):
    # n = 12: an even number of pairs (66) and of entries (144), so the median conventions differ;
    # n = 10: 45 pairs, 100 entries; n = 15: odd counts, where np.median and torch.median agree
    for seed, (n, p, fraction) in enumerate([(12, 3, 1.0), (10, 4, 0.5), (15, 2, 2.0)]):
        rng = np.random.default_rng(80 + seed)
        X = rng.normal(size=(n, p)) * np.linspace(1, 3, p)
        X[: n // 3] += 4.0  # a cluster, so that mean and median distances differ clearly
        case = {"X shape": X.shape, "fraction": fraction}
        expect_rbf_gram(rbf_gram(X, fraction), X, fraction, case=case,
                        mistaken=mistakes.RBF_GRAM.answers(X, fraction))
    X = np.random.default_rng(83).normal(size=(9, 3))
    expect_rbf_gram(rbf_gram(X), X, 1.0, case={"X shape": X.shape, "fraction": "not given (the default, 1.0)"},
                    mistaken=mistakes.RBF_GRAM.answers(X))


# ---------------------------------------------------------------------------------------------------------
@exercise("09.debiased_cka", points=2, reference=ref.debiased_cka, title="debiased CKA from the unbiased HSIC",
          mistakes=mistakes.DEBIASED_CKA)
def check_debiased_cka(debiased_cka):
    for seed, (n, p, q, kind) in enumerate([(20, 6, 5, "linear"), (30, 10, 8, "rbf"), (16, 4, 4, "linear")]):
        X, Y = _pair(90 + seed, n, p, q, shared=2)
        K, L = (ref.linear_gram(X), ref.linear_gram(Y)) if kind == "linear" else (ref.rbf_gram(X), ref.rbf_gram(Y))
        case = {"K": f"{kind} Gram matrix of X {X.shape}", "L": f"{kind} Gram matrix of Y {Y.shape}"}
        got = _float(debiased_cka(K, L), case=case, what="debiased CKA")
        expect_close(got, ref.debiased_cka(K, L), case=case, rtol=1e-6, what="debiased CKA",
                     mistakes=mistakes.DEBIASED_CKA.answers(K, L),
                     hint="HSIC_u = [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)), K̃, L̃ "
                          "with zero diagonals; debiased CKA = HSIC_u(K, L) / sqrt(HSIC_u(K, K) HSIC_u(L, L))")
        expect_close(_float(debiased_cka(L, K), case=case, what="debiased CKA(L, K)"), got, rtol=1e-6,
                     case=f"{case}, property: symmetric", what="debiased CKA(L, K)")


# ---------------------------------------------------------------------------------------------------------
def neuron_match(X, Y):
    """Mean over X's neurons of the largest |correlation| with any neuron of Y (a neuron-by-neuron measure)."""
    Xs, Ys = _standardise(X), _standardise(Y)
    corr = Xs.T @ Ys / (len(Xs) - 1)
    return float(np.abs(corr).max(axis=1).mean())


def inner_product(X, Y):
    """||Ycᵀ Xc||²_F: the unnormalised numerator of linear CKA."""
    return float(np.linalg.norm(ref.center(Y).T @ ref.center(X)) ** 2)


SIMILARITY_PROFILES = {  # name -> (function, the true properties)
    "linear CKA": (ref.linear_cka, dict(orthogonal=True, isotropic_scaling=True, invertible_linear=False,
                                        symmetric=True, self_one=True)),
    "CCA mean": (ref.cca_mean, dict(orthogonal=True, isotropic_scaling=True, invertible_linear=True,
                                    symmetric=True, self_one=True)),
    "best-neuron correlation": (neuron_match, dict(orthogonal=False, isotropic_scaling=True,
                                                   invertible_linear=False, symmetric=False, self_one=True)),
    "unnormalised inner product": (inner_product, dict(orthogonal=True, isotropic_scaling=False,
                                                       invertible_linear=False, symmetric=True, self_one=False)),
    "PWCCA": (ref.pwcca, dict(orthogonal=False, isotropic_scaling=True, invertible_linear=False,
                              symmetric=False, self_one=True)),
}

_PROPERTY_HINTS = {
    "orthogonal": "draw a random orthogonal Q (QR of a Gaussian matrix); a permutation is orthogonal too, but a "
                  "measure can ignore permutations and still notice rotations",
    "isotropic_scaling": "multiply all of X by one positive number c and compare",
    "invertible_linear": "use a dense random matrix A (np.random.default_rng(seed).normal(size=(d, d))): a diagonal "
                         "matrix only rescales neurons one by one, which some measures ignore",
    "symmetric": "compare similarity(Y, X) with similarity(X, Y)",
    "self_one": "compare similarity(X, X) with 1",
}


def _recording(similarity, calls):
    """``similarity``, noting the arguments of every call (a plain function: the runner's deep copy keeps it)."""
    def recorded(A, B):
        calls.append((np.array(to_numpy(A), dtype=float), np.array(to_numpy(B), dtype=float)))
        return similarity(A, B)

    return recorded


def _same_array(A, B):
    return A.shape == B.shape and np.allclose(A, B, rtol=1e-5, atol=1e-8)


def _transformed_inputs(calls, X, Y):
    """The first arguments of the calls similarity(X', Y) with X' a transform of X (neither X nor Y itself)."""
    return [A for A, B in calls if _same_array(B, Y) and not _same_array(A, X) and not _same_array(A, Y)]


def _report_for(invariance_report, similarity, name, X, Y, seed):
    """Call the learner's report with a recording similarity; check its form and its five values."""
    case = {"similarity": name, "X shape": X.shape, "Y shape": Y.shape, "seed": seed}
    calls = []
    report = invariance_report(_recording(similarity, calls), X.copy(), Y.copy(), seed)
    if not isinstance(report, dict):
        raise CheckFailure("invariance_report should return a dict of five booleans.", case=case, got=report,
                           show_values=False)
    missing = [key for key in ref.INVARIANCE_KEYS if key not in report]
    expect_true(not missing, f"the report is missing the keys {missing}.", case=case,
                hint=f"return a dict with exactly the keys {list(ref.INVARIANCE_KEYS)}")
    for key in ref.INVARIANCE_KEYS:
        if not isinstance(report[key], (bool, np.bool_)):
            raise CheckFailure(f"report[{key!r}] should be True or False, but it is {report[key]!r}.", case=case,
                               show_values=False, hint="wrap comparisons in bool(...)")
    expect_true(any(_same_array(A, X) and _same_array(B, Y) for A, B in calls),
                "the report never evaluated similarity(X, Y) on the X and Y it was given.", case=case,
                hint="work with the arguments X and Y (not arrays from elsewhere in the notebook): the base value "
                     "is similarity(X, Y)")
    return report, calls, case


@exercise("09.invariance_report", points=2, reference=ref.invariance_report,
          title="test a similarity measure's invariances on random transforms")
def check_invariance_report(invariance_report):
    X, Y = _pair(123, 50, 5, 4)
    X2, Y2 = _pair(124, 40, 3, 6)
    for data, seed, names in [((X, Y), 0, list(SIMILARITY_PROFILES)),
                              ((X2, Y2), 7, ["best-neuron correlation", "unnormalised inner product", "PWCCA"])]:
        for name in names:
            similarity, truth = SIMILARITY_PROFILES[name]
            report, _, case = _report_for(invariance_report, similarity, name, *data, seed)
            for key in ref.INVARIANCE_KEYS:
                expect_equal(bool(report[key]), truth[key], case=case, what=f"report[{key!r}]",
                             hint=(_PROPERTY_HINTS[key] + ("; compare with np.isclose(a, b, rtol=1e-6, atol=1e-8), "
                                                            "not ==, since rounding differs in the last digits"
                                                            if truth[key] else "")))
    # the random transforms come from `seed`: the same seed draws the same ones, another seed others
    drawn = {}
    for seed in (3, 3, 11):
        _, calls, case = _report_for(invariance_report, ref.linear_cka, "linear CKA", X, Y, seed)
        drawn.setdefault(seed, []).append(_transformed_inputs(calls, X, Y))
    same_seed = len(drawn[3][0]) == len(drawn[3][1]) and all(map(_same_array, drawn[3][0], drawn[3][1]))
    expect_true(same_seed, "two reports with the same seed (3) transformed X differently.",
                case="similarity = linear CKA, seed = 3, twice",
                hint="draw Q, c and A from rng = np.random.default_rng(seed), not from np.random or a global rng")
    other_seed = len(drawn[11][0]) != len(drawn[3][0]) or not all(map(_same_array, drawn[11][0], drawn[3][0]))
    expect_true(other_seed, "the reports with seed = 3 and seed = 11 used the same random transforms of X.",
                case="similarity = linear CKA, seeds 3 and 11",
                hint="draw Q, c and A from rng = np.random.default_rng(seed), with the `seed` argument")


def invariance_observations(invariance_report, similarity, X, Y, seed):
    """What the hidden cases observe of a report, as the public check does: the report itself, whether it used
    the X and Y it was given, and whether its random transforms follow ``seed`` (same seed, same transforms;
    another seed, others)."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    runs = []
    for s in (seed, seed, seed + 1):
        calls = []
        report = invariance_report(_recording(similarity, calls), X.copy(), Y.copy(), s)
        runs.append((report, calls))
    first, again, other = (_transformed_inputs(calls, X, Y) for _, calls in runs)

    def same(a, b):
        return len(a) == len(b) and all(map(_same_array, a, b))

    return {"report": runs[0][0],
            "uses_arguments": any(_same_array(A, X) and _same_array(B, Y) for A, B in runs[0][1]),
            "reproducible": same(first, again),
            "follows_seed": not same(first, other)}
