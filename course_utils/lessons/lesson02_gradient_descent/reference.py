"""Reference solutions for lesson 02 (gradient descent); checkers and fallbacks use them.

Conventions shared by every function here: losses are *means* over the n
examples, so their gradients carry a factor 1/n; a loss function returns the
pair ``(loss, gradient)`` with the gradient taken with respect to its first
argument (the predictions or logits) and shaped like it.
"""
import numpy as np


def sigmoid(z):
    """The logistic function, computed without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def mse_loss(y_pred, y):
    """Mean squared error mean((ŷ − y)²) and its gradient 2(ŷ − y)/n with respect to ŷ."""
    y_pred, y = np.asarray(y_pred, dtype=float), np.asarray(y, dtype=float)
    residual = y_pred - y
    return float(np.mean(residual ** 2)), 2.0 * residual / residual.size


def binary_cross_entropy(z, y):
    """Mean binary cross-entropy of logits z against labels y in {0, 1}, and its gradient (σ(z) − y)/n.

    Per example the loss is −y log σ(z) − (1 − y) log(1 − σ(z)) = log(1 + e^z) − y z, evaluated
    as max(z, 0) + log(1 + e^(−|z|)) − y z so that no exp overflows and no log sees 0.
    """
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(softplus - y * z)), (sigmoid(z) - y) / z.size


def log_softmax(logits):
    """log softmax along the last axis, stabilised by subtracting each row's maximum."""
    logits = np.asarray(logits, dtype=float)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, labels):
    """Mean multi-class cross-entropy of logits (n, k) against integer labels (n,), and its gradient.

    loss = mean_i [logsumexp(logits_i) − logits_i[labels_i]];  gradient = (softmax(logits) − onehot(labels))/n.
    """
    logits = np.asarray(logits, dtype=float)
    labels = np.asarray(labels).astype(int)
    n = logits.shape[0]
    log_p = log_softmax(logits)
    rows = np.arange(n)
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    return float(-log_p[rows, labels].mean()), grad / n


def numerical_gradient(f, x, eps=1e-5):
    """Central-difference estimate of the gradient of the scalar function f at x (any shape).

    Entry i is (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps); x itself is left unchanged.
    """
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = float(f(x))
        x[index] = original - eps
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def gradient_descent(grad, x0, lr, n_steps):
    """Iterates x_0, x_1, ..., x_n of x_{k+1} = x_k − lr·grad(x_k), stacked into shape (n_steps + 1, *x0.shape)."""
    x = np.array(x0, dtype=float)
    path = [x.copy()]
    for _ in range(n_steps):
        x = x - lr * np.asarray(grad(x), dtype=float)
        path.append(x.copy())
    return np.array(path)


def largest_stable_lr(A):
    """For f(x) = ½ xᵀAx with A symmetric positive definite: GD converges from every start iff lr < 2/λ_max(A)."""
    return float(2.0 / np.linalg.eigvalsh(np.asarray(A, dtype=float)).max())


def minibatch_indices(n, batch_size, rng):
    """One epoch of mini-batches: a permutation of range(n) from ``rng``, cut into consecutive chunks.

    Every chunk has ``batch_size`` indices except possibly the last, which holds the remainder.
    """
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def momentum_step(w, v, grad, lr, beta):
    """One step of SGD with (heavy-ball) momentum, in PyTorch's convention: v ← βv + g, w ← w − lr·v."""
    v_new = beta * np.asarray(v, dtype=float) + np.asarray(grad, dtype=float)
    return np.asarray(w, dtype=float) - lr * v_new, v_new


def linear_regression_gd(X, y, lr, n_steps):
    """Full-batch GD on mean((Xw + b − y)²) from w = 0, b = 0; returns (w, b)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        _, d_pred = mse_loss(X @ w + b, y)
        w, b = w - lr * (X.T @ d_pred), b - lr * float(d_pred.sum())
    return w, b


def logistic_regression_gd(X, y, lr, n_steps):
    """Full-batch GD on the mean binary cross-entropy of σ(Xw + b) against y in {0, 1}, from zeros; returns (w, b)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        _, d_logits = binary_cross_entropy(X @ w + b, y)
        w, b = w - lr * (X.T @ d_logits), b - lr * float(d_logits.sum())
    return w, b


def adam_step(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam (Kingma and Ba, 2015, Algorithm 1; the same as torch.optim.Adam).

    m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g² are running averages of the gradient and of its square;
    m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ) undo their bias towards the zeros they start from (t = 1 on the
    first step); then w ← w − lr·m̂/(√v̂ + ε). Returns (w_new, m_new, v_new), the uncorrected m and v.
    """
    w, m, v, grad = (np.asarray(a, dtype=float) for a in (w, m, v, grad))
    m_new = beta1 * m + (1.0 - beta1) * grad
    v_new = beta2 * v + (1.0 - beta2) * grad ** 2
    m_hat = m_new / (1.0 - beta1 ** t)
    v_hat = v_new / (1.0 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def gradient_error(analytic, numeric):
    """‖g − ĝ‖ / (‖g‖ + ‖ĝ‖), the norm-based relative error of a gradient check (0 when both are 0).

    Unlike the largest per-entry relative error, it is not thrown off by entries whose true value is 0,
    where a correct central difference still leaves a truncation error of order ε².
    """
    g, g_hat = np.ravel(np.asarray(analytic, dtype=float)), np.ravel(np.asarray(numeric, dtype=float))
    scale = np.linalg.norm(g) + np.linalg.norm(g_hat)
    return float(np.linalg.norm(g - g_hat) / scale) if scale > 0 else 0.0
