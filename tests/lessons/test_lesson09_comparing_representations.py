"""Checker contract for lesson 09: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson09_comparing_representations import checks as checks
from course_utils.lessons.lesson09_comparing_representations import reference as ref

center = ref.center


# ---- wrong implementations no hint names (the named ones are declared in the lesson's mistakes.py)

def whiten_uncentred(X):
    return np.linalg.svd(np.asarray(X, dtype=float), full_matrices=False)[0]


def whiten_slightly_uncentred(X):  # means of 1e-6: beyond rounding, but not "forgot to centre" (the hint's regression)
    return ref.whiten(X) + 1e-6


def whiten_principal_scores(X):  # U S: decorrelated but not unit scale
    U, S, _ = np.linalg.svd(center(X), full_matrices=False)
    return U * S


def whiten_row_centred(X):  # subtracts each ROW's mean
    X = np.asarray(X, dtype=float)
    return np.linalg.svd(X - X.mean(axis=1, keepdims=True), full_matrices=False)[0]


def cca_one_side_whitened(X, Y):
    k = min(X.shape[1], Y.shape[1])
    return np.linalg.svd(ref.whiten(X).T @ center(Y), compute_uv=False)[:k]


def cca_top_only(X, Y):
    return ref.cca(X, Y)[:1]


def cka_centre_x_only(X, Y):
    Xc, Y = center(X), np.asarray(Y, dtype=float)
    return np.linalg.norm(Y.T @ Xc) ** 2 / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Y.T @ Y))


def rbf_distance_not_squared(X, fraction=1.0):
    D = ref.pairwise_distances(X)
    sigma = fraction * np.median(D[~np.eye(len(D), dtype=bool)])
    return np.exp(-D / (2 * sigma ** 2))


def rbf_sigma_is_median_squared(X, fraction=1.0):  # σ = f·median(d²): a squared length used as a length
    D = ref.pairwise_distances(X)
    sigma = fraction * np.median(D[~np.eye(len(D), dtype=bool)] ** 2)
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def debiased_in_place(K, L):  # zeroes the caller's diagonals
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    return ref.debiased_cka(K, L)


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


def report_global_random_state(similarity, X, Y, seed=0):  # np.random.* ignores `seed`
    return _report(similarity, X, Y, seed, lambda d, _: ref.random_orthogonal(d, np.random.default_rng()),
                   lambda d, _: np.random.normal(size=(d, d)), close)


NOTEBOOK_X, NOTEBOOK_Y = checks._pair(123, 50, 5, 4)


def report_notebook_arrays(similarity, X, Y, seed=0):  # uses arrays from the notebook instead of its arguments
    return ref.invariance_report(similarity, NOTEBOOK_X, NOTEBOOK_Y, seed)


def report_self_one_against_base(similarity, X, Y, seed=0):
    report = ref.invariance_report(similarity, X, Y, seed)
    report["self_one"] = bool(close(similarity(X, X), similarity(X, Y)))
    return report


MUTANTS = {
    "09.whiten": [(whiten_uncentred, "centre X first"), (whiten_principal_scores, "the columns of U are whitened"),
                  (whiten_row_centred, "centre X first"), (whiten_slightly_uncentred, "not 0 to within rounding")],
    "09.cca": [(cca_one_side_whitened, None), (cca_top_only, "should have shape (")],
    "09.linear_cka": [(cka_centre_x_only, None)],
    "09.cka_gram": [(lambda K, L: ref.cka_gram(K, L) ** 2, None)],
    "09.rbf_gram": [(rbf_distance_not_squared, None), (rbf_sigma_is_median_squared, None)],
    "09.debiased_cka": [(debiased_in_place, "changed its input `K` in place")],
    "09.invariance_report": [
        (report_with_permutation, "permutation"),
        (report_with_diagonal, "diagonal"),
        (report_exact_equality, "np.isclose"),
        (report_strings, "bool("),
        (report_global_random_state, "np.random.default_rng(seed)"),
        (report_notebook_arrays, "never evaluated similarity(X, Y)"),
        (report_self_one_against_base, "compare similarity(X, X) with 1"),
    ],
}


# ---- correct answers written differently

def _f32(X):
    return np.asarray(X, dtype=np.float32)


def whiten_float32(X):  # a float32 answer: its column means are 0 only to float32 rounding (e.g. -3e-9)
    Xc = _f32(X) - _f32(X).mean(axis=0)
    return np.linalg.svd(Xc, full_matrices=False)[0]


def whiten_torch_float32(X):
    X = torch.tensor(X, dtype=torch.float32)
    return torch.linalg.svd(X - X.mean(dim=0), full_matrices=False)[0]


def whiten_zca(X):  # U Vᵀ = Xc V S⁻¹ Vᵀ: another whitening of the same columns
    U, _, Vt = np.linalg.svd(center(X), full_matrices=False)
    return U @ Vt


def whiten_qr(X):
    return np.linalg.qr(center(X))[0]


def whiten_cholesky(X):
    Xc = center(X)
    return np.linalg.solve(np.linalg.cholesky(Xc.T @ Xc), Xc.T).T


def cca_float32(X, Y):
    return np.linalg.svd(whiten_float32(X).T @ whiten_float32(Y), compute_uv=False)


def cca_torch_float32(X, Y):  # its smallest correlation (about 0.0099 in the check) is off by ~2e-8
    return torch.linalg.svdvals(whiten_torch_float32(X).T @ whiten_torch_float32(Y))


def cca_covariance_formula(X, Y):  # the textbook form: Σxx^(-1/2) Σxy Σyy^(-1/2), by Cholesky, as a list
    Xc, Yc = center(X), center(Y)
    Lx, Ly = np.linalg.cholesky(Xc.T @ Xc), np.linalg.cholesky(Yc.T @ Yc)
    M = np.linalg.solve(Lx, Xc.T @ Yc) @ np.linalg.inv(Ly).T
    return np.linalg.svd(M, compute_uv=False).tolist()


def svcca_float32(X, Y, keep=0.99):
    return np.float32(ref.svcca(_f32(X).astype(float), _f32(Y).astype(float), keep))


def pwcca_torch(X, Y):
    return torch.tensor(ref.pwcca(X, Y), dtype=torch.float32)


def cka_trace_form(X, Y):  # the Gram form of linear CKA, in float32
    Xc, Yc = _f32(center(X)), _f32(center(Y))
    K, L = Xc @ Xc.T, Yc @ Yc.T
    return np.sum(K * L) / np.sqrt(np.sum(K * K) * np.sum(L * L))


def gram_elementwise_centring(K, L):  # H K H by subtracting row, column and grand means; 1/n² instead of 1/(n−1)²
    def centred(A):
        return A - A.mean(axis=0) - A.mean(axis=1)[:, None] + A.mean()
    Kc, Lc = centred(np.asarray(K, dtype=float)), centred(np.asarray(L, dtype=float))
    return float(np.sum(Kc * Lc) / (np.linalg.norm(Kc) * np.linalg.norm(Lc)))


def debiased_without_normaliser(K, L):  # the 1/(n(n − 3)) cancels in the ratio
    n = len(K)
    ones = np.ones(n)

    def h(A, B):
        A, B = np.array(A, dtype=float), np.array(B, dtype=float)
        np.fill_diagonal(A, 0)
        np.fill_diagonal(B, 0)
        return np.trace(A @ B) + (ones @ A @ ones) * (ones @ B @ ones) / ((n - 1) * (n - 2)) \
            - 2 / (n - 2) * (ones @ A @ B @ ones)
    return h(K, L) / np.sqrt(h(K, K) * h(L, L))


# RBF bandwidth conventions: each is allowed (see the docstring)
def rbf_median_with_diagonal(X, fraction=1.0):  # the median of all n² distances: allowed (an alternative)
    D = ref.pairwise_distances(X)
    sigma = fraction * np.median(D)
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def rbf_kornblith_demo(X, fraction=1.0):  # the CKA authors' Demo: median of d² over all n² entries, σ² = f²·median
    X = np.asarray(X, dtype=float)
    dot = X @ X.T
    sq_norms = np.diag(dot)
    sq_distances = -2 * dot + sq_norms[:, None] + sq_norms[None, :]
    return np.exp(-sq_distances / (2 * fraction ** 2 * np.median(sq_distances)))


def rbf_sqrt_median_squared(X, fraction=1.0):  # σ = f·√(median d²) over i ≠ j: differs when the pair count is even
    D = ref.pairwise_distances(X)
    sigma = fraction * np.sqrt(np.median(D[~np.eye(len(D), dtype=bool)] ** 2))
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def rbf_torch_median(X, fraction=1.0):  # torch.median returns the lower middle value, over pairs i < j, float32
    X = torch.tensor(X, dtype=torch.float32)
    D = torch.cdist(X, X)
    i, j = torch.triu_indices(len(X), len(X), offset=1)
    sigma = fraction * torch.median(D[i, j])
    return torch.exp(-D ** 2 / (2 * sigma ** 2))


def rbf_pairs_pdist(X, fraction=1.0):  # the reference's convention (median distance over pairs i != j), via scipy
    from scipy.spatial.distance import pdist, squareform
    pairs = pdist(np.asarray(X, dtype=float))
    return np.exp(-squareform(pairs) ** 2 / (2 * (fraction * np.median(pairs)) ** 2))


def rbf_upper_middle(X, fraction=1.0):  # sorted(...)[m // 2]: the upper middle value
    D = ref.pairwise_distances(X)
    pairs = np.sort(D[np.triu_indices(len(D), k=1)])
    return np.exp(-D ** 2 / (2 * (fraction * pairs[len(pairs) // 2]) ** 2))


# invariance report: other valid ways to draw the transforms
def report_qr_without_sign_fix(similarity, X, Y, seed=0):  # the notebook's solution: np.linalg.qr as it comes
    rng = np.random.default_rng(seed)
    return _report(similarity, X, Y, seed, lambda d, _: np.linalg.qr(rng.normal(size=(d, d)))[0],
                   lambda d, _: rng.normal(size=(d, d)), close)


def report_other_order_and_scale(similarity, X, Y, seed=0):  # A first, then Q; c from [0.5, 2]; np.bool_ values
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    A = rng.normal(size=(d, d))
    Q = ref.random_orthogonal(d, rng)
    c = rng.uniform(0.5, 2.0)
    base = similarity(X, Y)
    return {"orthogonal": np.isclose(similarity(X @ Q, Y), base, rtol=1e-6, atol=1e-8),
            "isotropic_scaling": np.isclose(similarity(c * X, Y), base, rtol=1e-6, atol=1e-8),
            "invertible_linear": np.isclose(similarity(X @ A, Y), base, rtol=1e-6, atol=1e-8),
            "symmetric": np.isclose(similarity(Y, X), base, rtol=1e-6, atol=1e-8),
            "self_one": np.isclose(similarity(X, X), 1.0, rtol=1e-6, atol=1e-8)}


ALTERNATIVES = {
    "09.whiten": [whiten_float32, whiten_torch_float32, whiten_zca, whiten_qr, whiten_cholesky],
    "09.cca": [cca_float32, cca_torch_float32, cca_covariance_formula],
    "09.svcca": [svcca_float32],
    "09.pwcca": [pwcca_torch],
    "09.linear_cka": [cka_trace_form],
    "09.cka_gram": [gram_elementwise_centring],
    "09.debiased_cka": [debiased_without_normaliser],
    # the bandwidth conventions the docstring allows (issues 13, 17): the course's (median distance over the pairs
    # i != j, here via scipy's pdist), the authors' Demo code (median of d² over all n² entries, diagonal included,
    # σ² = fraction² · median), the median over all n² distances, √(median d²), torch.median's lower middle
    "09.rbf_gram": [rbf_pairs_pdist, rbf_kornblith_demo, rbf_median_with_diagonal, rbf_sqrt_median_squared,
                    rbf_torch_median, rbf_upper_middle],
    "09.invariance_report": [report_qr_without_sign_fix, report_other_order_and_scale],
}
UNVARIED = {}

globals().update(contract_tests("09", MUTANTS, ALTERNATIVES, UNVARIED))


def test_property_profiles_match_the_reference_report():
    for X, Y in (checks._pair(123, 50, 5, 4), checks._pair(124, 40, 3, 6)):
        for name, (similarity, truth) in checks.SIMILARITY_PROFILES.items():
            assert ref.invariance_report(similarity, X, Y, 0) == truth, name
            assert ref.invariance_report(similarity, X, Y, 7) == truth, name


def test_whiten_reference_has_the_notebook_signature():
    # the exercise is whiten(X): the reference's rank cut-off is a constant, not a parameter the check cannot vary
    import inspect

    assert list(inspect.signature(ref.whiten).parameters) == ["X"]


def test_float32_whitening_is_not_told_to_centre():
    from course_utils import exercises
    from course_utils.checking import PASSED, run_check

    verdict = run_check(exercises.get("09.whiten"), whiten_float32)
    assert verdict.status == PASSED and "centre X first" not in verdict.text(), verdict.text()


def test_rbf_conventions_differ_on_the_public_cases():
    # the alternatives really exercise the conventions: on the public X with n = 12 each gives another matrix
    rng = np.random.default_rng(80)
    X = rng.normal(size=(12, 3)) * np.linspace(1, 3, 3)
    X[:4] += 4.0
    matrices = [np.asarray(f(X), dtype=float) for f in (ref.rbf_gram, rbf_kornblith_demo, rbf_sqrt_median_squared,
                                                        rbf_upper_middle)]
    for index, K in enumerate(matrices[1:], start=1):
        assert not np.allclose(K, matrices[0], rtol=1e-6, atol=1e-9), index


def test_reference_agrees_across_forms():
    X, Y = checks._pair(1, 40, 5, 3)
    assert np.isclose(ref.cka_gram(ref.linear_gram(X), ref.linear_gram(Y)), ref.linear_cka(X, Y))
    assert np.isclose(ref.svcca(X, Y, keep=1.0), ref.cca_mean(X, Y))
    rho = ref.cca(X, Y)
    assert rho.shape == (3,) and np.all(np.diff(rho) <= 1e-12)
