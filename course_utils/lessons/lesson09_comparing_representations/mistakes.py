"""The mistakes learners make in lesson 09, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import numpy as np

from ...checking import Mistakes
from . import reference as ref


def whiten_by_standard_deviation(X):
    Xc = ref.center(X)
    return Xc / Xc.std(axis=0, ddof=1)


def whiten_to_unit_columns(X):
    Xc = ref.center(X)
    return Xc / np.linalg.norm(Xc, axis=0)


WHITEN = Mistakes({
    "dividing each column by its standard deviation gives every neuron the same scale but leaves them correlated; "
    "whitening removes the correlations too (take the SVD Xc = U S Vᵀ and return U)": whiten_by_standard_deviation,
    "scaling each column to length 1 (like dividing by its standard deviation) leaves the neurons correlated; "
    "whitening removes the correlations too (take the SVD Xc = U S Vᵀ and return U)": whiten_to_unit_columns,
    "scale so that Xw.T @ Xw is the identity, not (n − 1) times it": lambda X: ref.whiten(X) * np.sqrt(len(X) - 1),
})


def _singular_values(A, count):
    return np.linalg.svd(A, compute_uv=False)[:count]


def cca_of_covariances(X, Y):
    return _singular_values(ref.center(X).T @ ref.center(Y), min(X.shape[1], Y.shape[1]))


def cca_of_unit_columns(X, Y):
    return _singular_values(whiten_to_unit_columns(X).T @ whiten_to_unit_columns(Y), min(X.shape[1], Y.shape[1]))


def cca_uncentred(X, Y):
    def basis(Z):
        return np.linalg.svd(Z, full_matrices=False)[0]
    return _singular_values(basis(X).T @ basis(Y), min(X.shape[1], Y.shape[1]))


CCA = Mistakes({
    "whiten both sides before the SVD: the singular values of Xcᵀ Yc are covariances, not correlations":
        cca_of_covariances,
    "scaling each neuron to unit length is not whitening: the neurons are still correlated with each other, so use "
    "the SVD of each centred matrix": cca_of_unit_columns,
    "centre X and Y (subtract column means) before whitening": cca_uncentred,
    "these are squared correlations ρ²; take the singular values themselves": lambda X, Y: ref.cca(X, Y) ** 2,
    "sort the correlations from largest to smallest": lambda X, Y: np.sort(ref.cca(X, Y)),
})


def _svcca(X, Y, count):
    """SVCCA keeping, on each side, the top ``count(S)`` directions of the centred data (S its singular values)."""
    def top(Z):
        U, S, _ = np.linalg.svd(ref.center(Z), full_matrices=False)
        k = count(S)
        return U[:, :k] * S[:k]
    return ref.cca_mean(top(X), top(Y))


def _reaching(shares, keep):
    """The smallest number of leading ``shares`` whose sum reaches the fraction ``keep`` of their total."""
    return int(np.searchsorted(np.cumsum(shares) / shares.sum(), keep - 1e-12) + 1)


FIXED_COUNT_HINT = ("keep as many directions as it takes to reach the fraction `keep` of the variance, not a "
                    "fixed number")

SVCCA = Mistakes({
    FIXED_COUNT_HINT: lambda X, Y, keep=0.99: _svcca(X, Y, lambda S: 10),
    "variance is the square of a singular value: accumulate S**2, not S":
        lambda X, Y, keep=0.99: _svcca(X, Y, lambda S: _reaching(S, keep)),
    "keep the smallest k whose directions explain at least `keep` of the variance (you stopped one short)":
        lambda X, Y, keep=0.99: _svcca(X, Y, lambda S: max(1, _reaching(S ** 2, keep) - 1)),
    "after choosing the directions, return the mean canonical correlation of the reduced data":
        lambda X, Y, keep=0.99: ref.cca_mean(X, Y),
    FIXED_COUNT_HINT + " (5)": lambda X, Y, keep=0.99: _svcca(X, Y, lambda S: 5),
})


def _pwcca(X, Y, side="x", absolute=True):
    """PWCCA with the weights taken from ``side``'s canonical variates and data, with or without absolute values."""
    Wx, Wy = ref.whiten(X), ref.whiten(Y)
    U, rho, Vt = np.linalg.svd(Wx.T @ Wy, full_matrices=False)
    if side == "x":
        variates, data = Wx @ U[:, :rho.size], ref.center(X)
    else:
        variates, data = Wy @ Vt.T[:, :rho.size], ref.center(Y)
    products = variates.T @ data
    alpha = (np.abs(products) if absolute else products).sum(axis=1)
    return float(alpha @ rho / alpha.sum())


PWCCA = Mistakes({
    "equal weights give the plain CCA mean; weight ρ_i by α_i = Σ_j |h_i · x_j|": ref.cca_mean,
    "weight by the canonical variates of X (the first argument) projected on X's own neurons, not Y's":
        lambda X, Y: _pwcca(X, Y, side="y"),
    "take absolute values: α_i = Σ_j |h_i · x_j| (a variate's sign is arbitrary)":
        lambda X, Y: _pwcca(X, Y, absolute=False),
})


def _cka_norms(X, Y, centre=True):
    """||YᵀX||_F, ||XᵀX||_F and ||YᵀY||_F, on the centred data unless ``centre`` is False."""
    if centre:
        X, Y = ref.center(X), ref.center(Y)
    return np.linalg.norm(Y.T @ X), np.linalg.norm(X.T @ X), np.linalg.norm(Y.T @ Y)


def cka_uncentred(X, Y):
    cross, xx, yy = _cka_norms(X, Y, centre=False)
    return cross ** 2 / (xx * yy)


def cka_normalised_by_x_only(X, Y):
    cross, xx, _ = _cka_norms(X, Y)
    return cross ** 2 / xx ** 2


def cka_not_squared(X, Y):
    cross, xx, yy = _cka_norms(X, Y)
    return cross / np.sqrt(xx * yy)


WHITENED_CKA_HINT = ("CKA is not invariant to every invertible map: did you whiten the data? (that turns CKA "
                     "into a CCA-like measure)")

LINEAR_CKA = Mistakes({
    "centre X and Y (subtract column means) before anything else": cka_uncentred,
    "normalise by both self-similarities, ||XᵀX||_F · ||YᵀY||_F": cka_normalised_by_x_only,
    "the numerator is the squared Frobenius norm ||YᵀX||²_F": cka_not_squared,
    WHITENED_CKA_HINT: lambda X, Y: ref.linear_cka(ref.whiten(X), ref.whiten(Y)),
})


def gram_cka_uncentred(K, L):
    return np.trace(K @ L) / np.sqrt(np.trace(K @ K) * np.trace(L @ L))


def gram_cka_centred_on_one_side(K, L):
    H = ref.centering_matrix(len(K))
    return np.trace(K @ H @ L) / np.sqrt(np.trace(K @ H @ K) * np.trace(L @ H @ L))


CKA_GRAM = Mistakes({
    "centre the Gram matrices: HSIC(K, L) = tr(K H L H) / (n − 1)² with H = I − 11ᵀ/n": gram_cka_uncentred,
    "centre on both sides: tr(K H L H), not tr(K H L)": gram_cka_centred_on_one_side,
    "divide by the geometric mean sqrt(HSIC(K, K) · HSIC(L, L)), not by one HSIC":
        lambda K, L: ref.hsic(K, L) / ref.hsic(K, K),
})


def _rbf(X, sigma):
    return np.exp(-ref.pairwise_distances(X) ** 2 / (2 * sigma ** 2))


def _pair_distances(X):
    D = ref.pairwise_distances(X)
    return D[~np.eye(len(D), dtype=bool)]


def rbf_with_mean_distance(X, fraction=1.0):
    return _rbf(X, fraction * _pair_distances(X).mean())


def rbf_with_diagonal_in_triangle(X, fraction=1.0):
    D = ref.pairwise_distances(X)
    return _rbf(X, fraction * np.median(D[np.triu_indices(len(D))]))


def rbf_with_fraction_of_squared_median(X, fraction=1.0):
    return _rbf(X, np.sqrt(fraction * np.median(_pair_distances(X) ** 2)))


def rbf_without_the_two(X, fraction=1.0):
    return np.exp(-ref.pairwise_distances(X) ** 2 / (fraction * np.median(_pair_distances(X))) ** 2)


RBF_GRAM = Mistakes({
    "σ comes from the median distance, not the mean": rbf_with_mean_distance,
    "the upper triangle np.triu_indices(n) includes the diagonal's zeros, which pull the median down: use "
    "np.triu_indices(n, k=1) (pairs i < j)": rbf_with_diagonal_in_triangle,
    "σ is a fraction of the median distance, so σ² = fraction² × the median squared distance, not fraction × it":
        rbf_with_fraction_of_squared_median,
    "the exponent is −d² / (2σ²): check the factor 2 and the square": rbf_without_the_two,
})


def _unbiased_hsic(K, L, zero_diagonal=True, sign=-1.0):
    """The unbiased HSIC, with the diagonals zeroed or not and its last term added with ``sign``."""
    K, L = np.array(K, dtype=float), np.array(L, dtype=float)
    n = K.shape[0]
    if zero_diagonal:
        np.fill_diagonal(K, 0.0)
        np.fill_diagonal(L, 0.0)
    ones = np.ones(n)
    term = np.trace(K @ L) + (ones @ K @ ones) * (ones @ L @ ones) / ((n - 1) * (n - 2)) \
        + sign * 2.0 / (n - 2) * (ones @ K @ L @ ones)
    return term / (n * (n - 3))


def _debiased_cka(K, L, **variant):
    def hsic(A, B):
        return _unbiased_hsic(A, B, **variant)
    return float(hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L)))


DEBIASED_CKA = Mistakes({
    "set the diagonals of K and L to zero first (copies; do not change the inputs)":
        lambda K, L: _debiased_cka(K, L, zero_diagonal=False),
    "this is the biased CKA: use the unbiased HSIC estimator instead": ref.cka_gram,
    "the last term of the unbiased HSIC is subtracted: − 2/(n − 2) · 1ᵀ K̃ L̃ 1":
        lambda K, L: _debiased_cka(K, L, sign=+1.0),
})
