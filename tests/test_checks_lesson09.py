"""Checker contract for lesson 09: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np

from checker_contract import contract_tests
from course_utils.checks import lesson09_comparing_representations as checks
from course_utils.reference import lesson09_comparing_representations as ref

center = ref.center


# --- whiten ---------------------------------------------------------------------------------------
def whiten_standardise(X):
    Xc = center(X)
    return Xc / np.linalg.norm(Xc, axis=0)


def whiten_uncentred(X):
    return np.linalg.svd(np.asarray(X, dtype=float), full_matrices=False)[0]


def whiten_std_columns(X):
    Xc = center(X)
    return Xc / Xc.std(axis=0, ddof=1)


def whiten_covariance_identity(X):
    return ref.whiten(X) * np.sqrt(len(X) - 1)


# --- cca ------------------------------------------------------------------------------------------
def cca_without_whitening(X, Y):
    k = min(X.shape[1], Y.shape[1])
    return np.linalg.svd(center(X).T @ center(Y), compute_uv=False)[:k]


def cca_unit_columns(X, Y):
    Xc, Yc = center(X), center(Y)
    k = min(X.shape[1], Y.shape[1])
    return np.linalg.svd((Xc / np.linalg.norm(Xc, axis=0)).T @ (Yc / np.linalg.norm(Yc, axis=0)),
                         compute_uv=False)[:k]


def cca_squared(X, Y):
    return ref.cca(X, Y) ** 2


def cca_uncentred(X, Y):
    return np.linalg.svd(whiten_uncentred(X).T @ whiten_uncentred(Y), compute_uv=False)


# --- svcca ----------------------------------------------------------------------------------------
def svcca_fixed_ten(X, Y, keep=0.99):
    return checks._svcca_fixed(X, Y, 10)


def svcca_singular_values(X, Y, keep=0.99):
    return checks._svcca_singular_values(X, Y, keep)


def svcca_one_short(X, Y, keep=0.99):
    return checks._svcca_one_fewer(X, Y, keep)


# --- pwcca ----------------------------------------------------------------------------------------
def pwcca_uniform(X, Y):
    return ref.cca_mean(X, Y)


def pwcca_y_side(X, Y):
    return checks._pwcca_weighted_by(X, Y, "y")


def pwcca_signed(X, Y):
    return checks._pwcca_weighted_by(X, Y, "x", absolute=False)


# --- linear CKA -----------------------------------------------------------------------------------
def cka_uncentred(X, Y):
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def cka_one_norm(X, Y):
    Xc, Yc = center(X), center(Y)
    return np.linalg.norm(Yc.T @ Xc) ** 2 / np.linalg.norm(Xc.T @ Xc) ** 2


def cka_not_squared(X, Y):
    Xc, Yc = center(X), center(Y)
    return np.linalg.norm(Yc.T @ Xc) / np.sqrt(np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc))


def cka_whitened(X, Y):  # invariant to every invertible map: really a CCA
    return ref.linear_cka(ref.whiten(X), ref.whiten(Y))


# --- CKA from Gram matrices -----------------------------------------------------------------------
def gram_uncentred(K, L):
    return np.trace(K @ L) / np.sqrt(np.trace(K @ K) * np.trace(L @ L))


def gram_one_hsic(K, L):
    return ref.hsic(K, L) / ref.hsic(K, K)


def gram_centred_once(K, L):
    H = ref.centering_matrix(len(K))
    return np.trace(K @ H @ L) / np.sqrt(np.trace(K @ H @ K) * np.trace(L @ H @ L))


# --- RBF ------------------------------------------------------------------------------------------
def rbf_mean(X, fraction=1.0):
    D = ref.pairwise_distances(X)
    sigma = fraction * D[~np.eye(len(D), dtype=bool)].mean()
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def rbf_median_with_diagonal(X, fraction=1.0):
    D = ref.pairwise_distances(X)
    sigma = fraction * np.median(D)
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def rbf_no_two(X, fraction=1.0):
    D = ref.pairwise_distances(X)
    sigma = fraction * np.median(D[~np.eye(len(D), dtype=bool)])
    return np.exp(-D ** 2 / sigma ** 2)


# --- debiased CKA ---------------------------------------------------------------------------------
def debiased_keeps_diagonal(K, L):
    return checks._debiased_variant(K, L, zero_diagonal=False)


def debiased_sign(K, L):
    return checks._debiased_variant(K, L, sign=+1.0)


# --- invariance report ----------------------------------------------------------------------------
def _report(similarity, X, Y, seed, Q_maker, A_maker, equal):
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    base = similarity(X, Y)
    return {"orthogonal": bool(equal(similarity(X @ Q_maker(d, rng), Y), base)),
            "isotropic_scaling": bool(equal(similarity(3.7 * X, Y), base)),
            "invertible_linear": bool(equal(similarity(X @ A_maker(d, rng), Y), base)),
            "symmetric": bool(equal(similarity(Y, X), base)),
            "self_one": bool(equal(similarity(X, X), 1.0))}


def close(a, b):
    return np.isclose(a, b, rtol=1e-6, atol=1e-8)


def report_with_permutation(similarity, X, Y, seed=0):
    return _report(similarity, X, Y, seed, lambda d, rng: np.eye(d)[rng.permutation(d)],
                   lambda d, rng: rng.normal(size=(d, d)), close)


def report_with_diagonal(similarity, X, Y, seed=0):
    return _report(similarity, X, Y, seed, ref.random_orthogonal,
                   lambda d, rng: np.diag(rng.uniform(0.5, 2.0, size=d)), close)


def report_exact_equality(similarity, X, Y, seed=0):
    return _report(similarity, X, Y, seed, ref.random_orthogonal, lambda d, rng: rng.normal(size=(d, d)),
                   lambda a, b: a == b)


def report_strings(similarity, X, Y, seed=0):
    return {k: str(v) for k, v in ref.invariance_report(similarity, X, Y, seed).items()}


MUTANTS = {
    "09.whiten": [
        (whiten_standardise, "length 1"),
        (whiten_uncentred, "centre X first"),
        (whiten_std_columns, "standard deviation gives"),
        (whiten_covariance_identity, "not (n − 1) times"),
    ],
    "09.cca": [
        (cca_without_whitening, "whiten both sides"),
        (cca_unit_columns, "not whitening"),
        (cca_squared, "squared correlations"),
        (cca_uncentred, "centre X and Y"),
    ],
    "09.svcca": [
        (svcca_fixed_ten, "not a fixed number"),
        (svcca_singular_values, "S**2"),
        (svcca_one_short, "one short"),
        (lambda X, Y, keep=0.99: ref.cca_mean(X, Y), "mean canonical correlation of the reduced"),
    ],
    "09.pwcca": [
        (pwcca_uniform, "equal weights"),
        (pwcca_y_side, "not Y's"),
        (pwcca_signed, "absolute values"),
    ],
    "09.linear_cka": [
        (cka_uncentred, "centre X and Y"),
        (cka_one_norm, "both self-similarities"),
        (cka_not_squared, "squared Frobenius"),
        (cka_whitened, "whiten"),
    ],
    "09.cka_gram": [
        (gram_uncentred, "centre the Gram"),
        (gram_one_hsic, "geometric mean"),
        (gram_centred_once, "both sides"),
        (lambda K, L: ref.cka_gram(K, L) ** 2, None),
    ],
    "09.rbf_gram": [
        (rbf_mean, "not the mean"),
        (rbf_median_with_diagonal, "diagonal"),
        (rbf_no_two, "factor 2"),
    ],
    "09.debiased_cka": [
        (debiased_keeps_diagonal, "diagonals"),
        (lambda K, L: ref.cka_gram(K, L), "biased CKA"),
        (debiased_sign, "subtracted"),
    ],
    "09.invariance_report": [
        (report_with_permutation, "permutation"),
        (report_with_diagonal, "diagonal"),
        (report_exact_equality, "np.isclose"),
        (report_strings, "bool("),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))


def test_property_profiles_match_the_reference_report():
    X, Y = checks._pair(123, 50, 5, 4)
    for name, (similarity, truth) in checks.SIMILARITY_PROFILES.items():
        assert ref.invariance_report(similarity, X, Y, 0) == truth, name


def test_reference_agrees_across_forms():
    X, Y = checks._pair(1, 40, 5, 3)
    assert np.isclose(ref.cka_gram(ref.linear_gram(X), ref.linear_gram(Y)), ref.linear_cka(X, Y))
    assert np.isclose(ref.svcca(X, Y, keep=1.0), ref.cca_mean(X, Y))
    rho = ref.cca(X, Y)
    assert rho.shape == (3,) and np.all(np.diff(rho) <= 1e-12)
