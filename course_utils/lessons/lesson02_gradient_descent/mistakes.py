"""The mistakes learners make in lesson 02, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
Most of them get one part of an answer wrong and the other right, so that each names one mistake.
"""
import numpy as np

from ...checking import Mistakes
from . import reference as ref

# ---------------------------------------------------------------- losses


def _mse(loss_of, gradient_of):
    """An MSE whose loss and gradient are these formulas of the residual r = ŷ − y."""
    def mse_loss(y_pred, y):
        r = np.asarray(y_pred, dtype=float) - np.asarray(y, dtype=float)
        return float(loss_of(r)), gradient_of(r)
    return mse_loss


def _mean_square(r):
    return np.mean(r ** 2)


def _mse_gradient(r):
    return 2 * r / r.size


MSE_LOSS = Mistakes({
    "the loss is the mean of the squared errors, not their sum": _mse(lambda r: np.sum(r ** 2), _mse_gradient),
    "this is the mean squared error, without a square root":
        _mse(lambda r: np.sqrt(np.mean(r ** 2)), _mse_gradient),
    "the course's MSE has no factor ½: mean((ŷ − y)²)": _mse(lambda r: 0.5 * np.mean(r ** 2), _mse_gradient),
    "did you forget the 1/n that comes from the mean?": _mse(_mean_square, lambda r: 2 * r),
    "d/dŷ (ŷ − y)² = 2(ŷ − y): did you forget the factor 2?": _mse(_mean_square, lambda r: r / r.size),
    "sign error: the gradient with respect to y_pred is +2(ŷ − y)/n": _mse(_mean_square, lambda r: -2 * r / r.size),
    "n is the number of entries (y_pred.size), not len(y_pred)": _mse(_mean_square, lambda r: 2 * r / len(r)),
})


def _bce(loss_of, gradient_of):
    """A binary cross-entropy whose loss and gradient are these formulas of the logits z and labels y."""
    def binary_cross_entropy(z, y):
        z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
        return float(loss_of(z, y)), gradient_of(z, y)
    return binary_cross_entropy


def _bce_per_example(z, y):
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z


def _bce_mean(z, y):
    return np.mean(_bce_per_example(z, y))


def _bce_signs_flipped(z, y):
    p = 1 / (1 + np.exp(-z))
    return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_gradient(z, y):
    return (ref.sigmoid(z) - y) / z.size


BINARY_CROSS_ENTROPY = Mistakes({
    "the loss is the mean over examples, not the sum":
        _bce(lambda z, y: np.sum(_bce_per_example(z, y)), _bce_gradient),
    "cross-entropy is −y·log p − (1 − y)·log(1 − p); check the signs": _bce(_bce_signs_flipped, _bce_gradient),
    "did you forget the 1/n that comes from the mean?": _bce(_bce_mean, lambda z, y: ref.sigmoid(z) - y),
    "sign error: the gradient with respect to z is (σ(z) − y)/n": _bce(_bce_mean, lambda z, y: -_bce_gradient(z, y)),
    "the σ'(z) factor cancels: the gradient is simply (σ(z) − y)/n":
        _bce(_bce_mean, lambda z, y: _bce_gradient(z, y) * ref.sigmoid(z) * (1 - ref.sigmoid(z))),
})


def _softmax_cross_entropy(reduce=np.mean, gradient_of=lambda p, onehot, n: (p - onehot) / n, axis=-1):
    """A softmax cross-entropy with this reduction of the rows' losses, this gradient and softmax over ``axis``."""
    def softmax_cross_entropy(logits, labels):
        logits, labels = np.asarray(logits, dtype=float), np.asarray(labels).astype(int)
        log_p = ref.log_softmax(logits) if axis == -1 else ref.log_softmax(logits.T).T
        n = len(labels)
        onehot = np.eye(logits.shape[1])[labels]
        return float(-reduce(log_p[np.arange(n), labels])), gradient_of(np.exp(log_p), onehot, n)
    return softmax_cross_entropy


SOFTMAX_CROSS_ENTROPY = Mistakes({
    "the loss is the mean over examples, not the sum": _softmax_cross_entropy(reduce=np.sum),
    "softmax normalises each row (over classes, axis=-1), not each column": _softmax_cross_entropy(axis=0),
    "did you forget the 1/n that comes from the mean?":
        _softmax_cross_entropy(gradient_of=lambda p, onehot, n: p - onehot),
    "sign error: the gradient is (softmax − onehot)/n":
        _softmax_cross_entropy(gradient_of=lambda p, onehot, n: (onehot - p) / n),
    "subtract the one-hot labels: the gradient is (softmax − onehot)/n":
        _softmax_cross_entropy(gradient_of=lambda p, onehot, n: p / n),
})

# ---------------------------------------------------------------- gradient checking


def one_sided_differences(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad, f0 = np.zeros_like(x), f(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += eps
        grad[index] = (f(shifted) - f0) / eps
    return grad


def never_restores_x(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = f(x)
        x[index] -= 2 * eps
        grad[index] = (f_plus - f(x)) / (2 * eps)
    return grad


NUMERICAL_GRADIENT = Mistakes({
    "use central differences (f(x + ε) − f(x − ε)) / 2ε; one-sided ones are off by O(ε)": one_sided_differences,
    "the central difference divides by 2ε, not ε": lambda f, x, eps=1e-5: 2 * ref.numerical_gradient(f, x, eps),
    "put x[i] back after each perturbation, or later entries are computed at a moved point": never_restores_x,
    "use the eps you are given, not a fixed step": lambda f, x, eps=1e-5: ref.numerical_gradient(f, x),
})

# ---------------------------------------------------------------- gradient descent


def gradient_ascent(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(n_steps):
        x = x + lr * np.asarray(grad(x))
        path.append(x)
    return np.array(path)


def gradient_at_the_start_only(grad, x0, lr, n_steps):
    x = np.array(x0, dtype=float)
    g = np.asarray(grad(x))
    path = [x]
    for _ in range(n_steps):
        x = x - lr * g
        path.append(x)
    return np.array(path)


GRADIENT_DESCENT = Mistakes({
    "gradient descent steps against the gradient: x ← x − lr·grad(x)": gradient_ascent,
    "evaluate the gradient at the current point in every step, not at x0": gradient_at_the_start_only,
})

LARGEST_STABLE_LR = Mistakes({
    "GD still converges up to 2/λ_max, not just 1/λ_max": lambda A: 1 / np.linalg.eigvalsh(A).max(),
    "the steepest direction sets the limit: use the largest eigenvalue": lambda A: 2 / np.linalg.eigvalsh(A).min(),
    "curvatures are the eigenvalues of A, not its diagonal entries": lambda A: 2 / np.diag(A).max(),
    "use the largest eigenvalue, not the trace (the sum of all of them)": lambda A: 2 / np.trace(A),
})

# ---------------------------------------------------------------- SGD and momentum


def _momentum(velocity_of, weights_of=lambda w, v, v_new, lr: w - lr * v_new):
    """A momentum step with these formulas for the new velocity and the new weights."""
    def momentum_step(w, v, grad, lr, beta):
        w, v, grad = (np.asarray(a, dtype=float) for a in (w, v, grad))
        v_new = velocity_of(v, grad, lr, beta)
        return weights_of(w, v, v_new, lr), v_new
    return momentum_step


def _velocity(v, grad, lr, beta):
    return beta * v + grad


MOMENTUM_STEP = Mistakes({
    "the velocity remembers past gradients: v ← β·v + grad": _momentum(lambda v, grad, lr, beta: grad),
    "PyTorch's convention has no (1 − β): v ← β·v + grad":
        _momentum(lambda v, grad, lr, beta: beta * v + (1 - beta) * grad),
    "in this convention the velocity is β·v + grad; lr enters only the weight update":
        _momentum(lambda v, grad, lr, beta: beta * v + lr * grad, lambda w, v, v_new, lr: w - v_new),
    "in this convention the velocity is β·v + grad (no lr, no minus sign); lr enters only the weight update":
        _momentum(lambda v, grad, lr, beta: beta * v - lr * grad, lambda w, v, v_new, lr: w + v_new),
    "step with the new velocity: w ← w − lr·(β·v + grad)": _momentum(_velocity, lambda w, v, v_new, lr: w - lr * v),
    "move against the velocity: w ← w − lr·v": _momentum(_velocity, lambda w, v, v_new, lr: w + lr * v_new),
})


def _adam(first=None, second=None, correct_m=True, correct_v=True, denominator=None, return_corrected=False):
    """An Adam step with one part changed: the moment updates, which bias corrections, the denominator."""
    def adam_step(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        w, m, v, grad = (np.asarray(a, dtype=float) for a in (w, m, v, grad))
        m_new = first(m, grad, beta1) if first else beta1 * m + (1 - beta1) * grad
        v_new = second(v, grad, beta2) if second else beta2 * v + (1 - beta2) * grad ** 2
        m_hat = m_new / (1 - beta1 ** t) if correct_m else m_new
        v_hat = v_new / (1 - beta2 ** t) if correct_v else v_new
        denom = denominator(v_hat, eps) if denominator else np.sqrt(v_hat) + eps
        w_new = w - lr * m_hat / denom
        return (w_new, m_hat, v_hat) if return_corrected else (w_new, m_new, v_new)
    return adam_step


ADAM_STEP = Mistakes({
    "m and v start at 0, so early averages are too small: divide them by (1 − β₁ᵗ) and (1 − β₂ᵗ) "
    "before the step (bias correction)": _adam(correct_m=False, correct_v=False),
    "correct the second moment too: v̂ = v/(1 − β₂ᵗ), not only m̂ = m/(1 − β₁ᵗ)": _adam(correct_v=False),
    "the first moment averages the gradient itself, m ← β₁·m + (1 − β₁)·g; only v averages its square":
        _adam(first=lambda m, g, beta1: beta1 * m + (1 - beta1) * g ** 2),
    "Adam's moments are averages with weights (1 − β): m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g² "
    "(unlike PyTorch's momentum)":
        _adam(first=lambda m, g, beta1: beta1 * m + g, second=lambda v, g, beta2: beta2 * v + g ** 2),
    "return the running averages m and v as the new state; the corrected m̂ and v̂ are only used for the step":
        _adam(return_corrected=True),
    "ε goes outside the square root: divide by √v̂ + ε, not √(v̂ + ε)":
        _adam(denominator=lambda v_hat, eps: np.sqrt(v_hat + eps)),
    "divide by the square root of v̂: the step is m̂/(√v̂ + ε), so each coordinate moves about lr":
        _adam(denominator=lambda v_hat, eps: v_hat + eps),
})

# ---------------------------------------------------------------- regression by hand


def _linear_regression(factor=2.0, use_bias=True):
    """Full-batch GD on the squared error with this factor in its gradient, with or without a bias."""
    def linear_regression_gd(X, y, lr, n_steps):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(n_steps):
            d = factor * (X @ w + b - y) / len(y)
            w, b = w - lr * X.T @ d, (b - lr * d.sum()) if use_bias else 0.0
        return w, b
    return linear_regression_gd


LINEAR_REGRESSION_GD = Mistakes({
    "the gradient of (ŷ − y)² carries a factor 2: 2(ŷ − y)/n": _linear_regression(factor=1.0),
    "the bias is part of the model: predict ŷ = Xw + b, and update it too, b ← b − lr·Σ 2(ŷ − y)/n":
        _linear_regression(use_bias=False),
})


def _logistic_regression(sign=1.0, use_bias=True, mean=True):
    """Full-batch GD on the cross-entropy with this sign of the step, with or without a bias and the 1/n."""
    def logistic_regression_gd(X, y, lr, n_steps):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(n_steps):
            d = sign * (ref.sigmoid(X @ w + b) - y) / (len(y) if mean else 1)
            w, b = w - lr * X.T @ d, (b - lr * d.sum()) if use_bias else 0.0
        return w, b
    return logistic_regression_gd


LOGISTIC_REGRESSION_GD = Mistakes({
    "step against the gradient: w ← w − lr·Xᵀ(σ(Xw + b) − y)/n": _logistic_regression(sign=-1.0),
    "the bias is part of the model: predict σ(Xw + b), and update it too, b ← b − lr·Σ(σ(Xw + b) − y)/n":
        _logistic_regression(use_bias=False),
    "did you forget the 1/n that comes from the mean?": _logistic_regression(mean=False),
})
