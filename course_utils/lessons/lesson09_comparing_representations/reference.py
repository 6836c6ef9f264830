"""Reference solutions for lesson 09 (comparing representations); checkers and fallbacks use them.

Every function takes representations as arrays of shape (n_examples, n_features): the same n
examples, seen by two networks or two layers, one row per example.
"""
import numpy as np

INVARIANCE_KEYS = ("orthogonal", "isotropic_scaling", "invertible_linear", "symmetric", "self_one")


def _matrix(X):
    X = np.asarray(X, dtype=float)
    return X.reshape(-1, 1) if X.ndim == 1 else X


def center(X):
    """Subtract each column's mean."""
    X = _matrix(X)
    return X - X.mean(axis=0, keepdims=True)


# singular values below this fraction of the largest count as zero: the reference then whitens the column space
# of a rank-deficient X (dead units), which the exercise's inputs (full column rank) never need
RANK_TOLERANCE = 1e-10


def whiten(X):
    """Centred, whitened data spanning the same column space: Xw.T @ Xw = I (the left singular vectors)."""
    U, S, _ = np.linalg.svd(center(X), full_matrices=False)
    keep = S > RANK_TOLERANCE * max(S[0], 1e-300) if S.size else S > 0
    return U[:, keep]


def cca(X, Y):
    """Canonical correlations of X and Y, sorted from largest to smallest (min of the two ranks of them)."""
    return np.linalg.svd(whiten(X).T @ whiten(Y), compute_uv=False).clip(0.0, 1.0)


def cca_mean(X, Y):
    """The mean canonical correlation: the similarity index called "CCA mean" (ρ̄)."""
    return float(np.mean(cca(X, Y)))


def svd_reduce(X, keep=0.99):
    """The top singular directions of centred X that together explain at least ``keep`` of its variance."""
    U, S, _ = np.linalg.svd(center(X), full_matrices=False)
    variance = S ** 2
    k = int(np.searchsorted(np.cumsum(variance) / variance.sum(), keep - 1e-12) + 1)
    k = min(k, S.size)
    return U[:, :k] * S[:k]


def svcca(X, Y, keep=0.99):
    """SVCCA: reduce each side to the directions explaining ``keep`` of its variance, then the mean CCA."""
    return cca_mean(svd_reduce(X, keep), svd_reduce(Y, keep))


def pwcca(X, Y):
    """Projection-weighted CCA: canonical correlations weighted by how much of X each canonical variate accounts for.

    The i-th canonical variate of X is h_i = Wx @ u_i (unit length); its weight is α_i = Σ_j |h_i · x_j| over
    the centred columns x_j of X, normalised to sum to 1.
    """
    Xc = center(X)
    Wx, Wy = whiten(X), whiten(Y)
    U, rho, _ = np.linalg.svd(Wx.T @ Wy, full_matrices=False)
    rho = rho.clip(0.0, 1.0)
    variates = Wx @ U[:, :rho.size]
    alpha = np.abs(variates.T @ Xc).sum(axis=1)
    alpha = alpha / alpha.sum()
    return float(alpha @ rho)


def linear_cka(X, Y):
    """Linear CKA in the feature form: ||Yᵀ X||²_F / (||Xᵀ X||_F ||Yᵀ Y||_F) on centred X and Y."""
    Xc, Yc = center(X), center(Y)
    cross = np.linalg.norm(Yc.T @ Xc) ** 2
    return float(cross / (np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc)))


def centering_matrix(n):
    return np.eye(n) - np.ones((n, n)) / n


def hsic(K, L):
    """The biased HSIC estimator tr(K H L H) / (n − 1)²."""
    K, L = np.asarray(K, dtype=float), np.asarray(L, dtype=float)
    n = K.shape[0]
    H = centering_matrix(n)
    return float(np.trace(K @ H @ L @ H) / (n - 1) ** 2)


def cka_gram(K, L):
    """CKA from two Gram matrices: HSIC(K, L) / sqrt(HSIC(K, K) · HSIC(L, L))."""
    return float(hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L)))


def pairwise_distances(X):
    """Euclidean distances between every pair of rows."""
    X = _matrix(X)
    squared = (X ** 2).sum(axis=1)
    d2 = np.maximum(squared[:, None] + squared[None, :] - 2 * X @ X.T, 0.0)
    np.fill_diagonal(d2, 0.0)
    return np.sqrt(d2)


def rbf_gram(X, fraction=1.0):
    """RBF Gram matrix exp(−||x_i − x_j||² / (2σ²)) with σ = fraction × the median distance between rows.

    The median is taken over the pairs i ≠ j here. Every usual convention is accepted: the median over all n²
    entries of the distance matrix, diagonal included (the CKA authors' code, which takes σ² = fraction² × the
    median squared distance); the square root of the median squared distance instead of the median distance;
    and, for an even number of values, either middle value or their mean (``torch.median`` returns the lower one,
    ``np.median`` the mean). They give nearly the same σ; the checkers accept any σ between the two middle
    values of either set of distances (times ``fraction``).
    """
    D = pairwise_distances(X)
    n = D.shape[0]
    sigma = fraction * np.median(D[~np.eye(n, dtype=bool)])
    return np.exp(-D ** 2 / (2 * sigma ** 2))


def linear_gram(X):
    X = _matrix(X)
    return X @ X.T


def unbiased_hsic(K, L):
    """The unbiased HSIC estimator (Song et al., 2012) on Gram matrices with their diagonals set to zero."""
    K, L = np.array(K, dtype=float), np.array(L, dtype=float)
    n = K.shape[0]
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    ones = np.ones(n)
    term = np.trace(K @ L) + (ones @ K @ ones) * (ones @ L @ ones) / ((n - 1) * (n - 2)) \
        - 2.0 / (n - 2) * (ones @ K @ L @ ones)
    return float(term / (n * (n - 3)))


def debiased_cka(K, L):
    """Debiased CKA: CKA built from the unbiased HSIC estimator."""
    return float(unbiased_hsic(K, L) / np.sqrt(unbiased_hsic(K, K) * unbiased_hsic(L, L)))


def random_orthogonal(d, rng):
    """A random d × d orthogonal matrix (QR of a Gaussian matrix, signs fixed so it is uniformly distributed)."""
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


def invariance_report(similarity, X, Y, seed=0):
    """Which properties ``similarity(X, Y)`` has on these inputs, as a dict of five booleans.

    orthogonal: s(X Q, Y) = s(X, Y) for a random orthogonal Q;
    isotropic_scaling: s(c X, Y) = s(X, Y) for a random c > 0;
    invertible_linear: s(X A, Y) = s(X, Y) for a random (Gaussian) invertible A;
    symmetric: s(Y, X) = s(X, Y);  self_one: s(X, X) = 1.
    "=" means np.isclose(a, b, rtol=1e-6, atol=1e-8).
    """
    X, Y = _matrix(X), _matrix(Y)
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    base = float(similarity(X, Y))

    def same(value, target):
        return bool(np.isclose(float(value), target, rtol=1e-6, atol=1e-8))

    Q = random_orthogonal(d, rng)
    c = float(rng.uniform(0.1, 10.0))
    A = rng.normal(size=(d, d))
    return {"orthogonal": same(similarity(X @ Q, Y), base),
            "isotropic_scaling": same(similarity(c * X, Y), base),
            "invertible_linear": same(similarity(X @ A, Y), base),
            "symmetric": same(similarity(Y, X), base),
            "self_one": same(similarity(X, X), 1.0)}


# ---------------------------------------------------------------------------------------------
# Helpers the notebook uses (not exercises).

def similarity_matrix(similarity, layers_a, layers_b):
    """S[i, j] = similarity(layers_a[i], layers_b[j])."""
    return np.array([[similarity(a, b) for b in layers_b] for a in layers_a])


def match_fraction(S):
    """The fraction of rows i whose most similar column is j = i (the layer-correspondence test)."""
    S = np.asarray(S)
    return float(np.mean(np.argmax(S, axis=1) == np.arange(S.shape[0])))


def drop_constant_columns(X, tol=1e-8):
    """Remove features that never change on these examples (dead ReLU units)."""
    X = _matrix(X)
    return X[:, X.std(axis=0) > tol]
