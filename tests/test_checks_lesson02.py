"""Checker contract for lesson 02: the reference passes, the stub is not attempted, mistakes fail."""

import numpy as np

from checker_contract import contract_tests
from course_utils import exercises
from course_utils.checking import PASSED, run_check
from course_utils.reference import lesson02_gradient_descent as ref

sigmoid = ref.sigmoid


# ---- losses

def mse_without_mean_in_grad(y_pred, y):
    r = np.asarray(y_pred) - np.asarray(y)
    return float(np.mean(r ** 2)), 2 * r


def mse_without_two(y_pred, y):
    r = np.asarray(y_pred) - np.asarray(y)
    return float(np.mean(r ** 2)), r / r.size


def mse_sign_flipped(y_pred, y):
    r = np.asarray(y_pred) - np.asarray(y)
    return float(np.mean(r ** 2)), 2 * (np.asarray(y) - np.asarray(y_pred)) / r.size


def mse_divides_by_len(y_pred, y):
    r = np.asarray(y_pred) - np.asarray(y)
    return float(np.mean(r ** 2)), 2 * r / len(r)


def mse_sum_loss(y_pred, y):
    r = np.asarray(y_pred) - np.asarray(y)
    return float(np.sum(r ** 2)), 2 * r / r.size


def bce_naive(z, y):  # textbook formula through probabilities: inf on confident mistakes
    p = 1 / (1 + np.exp(-np.asarray(z)))
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


def bce_clipped(z, y):  # the common "clip the probabilities" patch: finite but wrong
    p = np.clip(1 / (1 + np.exp(-np.asarray(z))), 1e-12, 1 - 1e-12)
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


def bce_grad_sign(z, y):
    loss, grad = ref.binary_cross_entropy(z, y)
    return loss, -grad


def bce_grad_without_mean(z, y):
    loss, _ = ref.binary_cross_entropy(z, y)
    return loss, sigmoid(z) - y


def bce_grad_with_sigmoid_prime(z, y):
    loss, grad = ref.binary_cross_entropy(z, y)
    s = sigmoid(z)
    return loss, grad * s * (1 - s)


def softmax_ce_unstable(logits, labels):
    e = np.exp(np.asarray(logits))
    p = e / e.sum(axis=1, keepdims=True)
    n = len(labels)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.mean(np.log(p[np.arange(n), labels]))), grad / n


def softmax_ce_stable_loss_unstable_grad(logits, labels):
    loss, _ = ref.softmax_cross_entropy(logits, labels)
    e = np.exp(np.asarray(logits, dtype=float))
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(labels)), labels] -= 1
    return loss, grad / len(labels)


def softmax_ce_no_mean_in_grad(logits, labels):
    loss, grad = ref.softmax_cross_entropy(logits, labels)
    return loss, grad * len(labels)


def softmax_ce_wrong_axis(logits, labels):
    logits = np.asarray(logits, dtype=float)
    p = np.exp(ref.log_softmax(logits.T)).T
    n = len(labels)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.mean(np.log(p[np.arange(n), labels]))), grad / n


def softmax_ce_forgets_onehot(logits, labels):
    loss, _ = ref.softmax_cross_entropy(logits, labels)
    return loss, np.exp(ref.log_softmax(logits)) / len(labels)


# ---- gradient checking

def forward_differences(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad, f0 = np.zeros_like(x), f(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += eps
        grad[index] = (f(shifted) - f0) / eps
    return grad


def central_over_eps(f, x, eps=1e-5):
    return 2 * ref.numerical_gradient(f, x, eps)


def never_restores_x(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = f(x)
        x[index] -= 2 * eps
        grad[index] = (f_plus - f(x)) / (2 * eps)
    return grad


def flattened_gradient(f, x, eps=1e-5):
    return ref.numerical_gradient(f, x, eps).ravel()


# ---- gradient descent

def gradient_ascent(grad, x0, lr, n_steps):
    return ref.gradient_descent(lambda x: -np.asarray(grad(x)), x0, lr, n_steps)


def gd_without_start(grad, x0, lr, n_steps):
    return ref.gradient_descent(grad, x0, lr, n_steps)[1:]


def gd_gradient_at_start(grad, x0, lr, n_steps):
    x0 = np.asarray(x0, dtype=float)
    g0 = np.asarray(grad(x0.copy()))
    return np.array([x0 - k * lr * g0 for k in range(n_steps + 1)])


def gd_one_step_too_many(grad, x0, lr, n_steps):
    return ref.gradient_descent(grad, x0, lr, n_steps + 1)


# ---- SGD and momentum

def batches_in_order(n, batch_size, rng):
    order = np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_drop_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)] or [order]


def batches_with_replacement(n, batch_size, rng):
    order = rng.integers(0, n, size=n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_global_state(n, batch_size, rng):
    order = np.random.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_fixed_seed(n, batch_size, rng):
    order = np.random.default_rng(0).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def momentum_forgets_velocity(w, v, grad, lr, beta):
    return np.asarray(w) - lr * np.asarray(grad), np.asarray(grad)


def momentum_old_velocity(w, v, grad, lr, beta):
    return np.asarray(w) - lr * np.asarray(v), beta * np.asarray(v) + np.asarray(grad)


def momentum_ema(w, v, grad, lr, beta):
    v_new = beta * np.asarray(v) + (1 - beta) * np.asarray(grad)
    return np.asarray(w) - lr * v_new, v_new


def momentum_sign(w, v, grad, lr, beta):
    v_new = beta * np.asarray(v) + np.asarray(grad)
    return np.asarray(w) + lr * v_new, v_new


# ---- regression

def linear_without_two(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = (X @ w + b - y) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def linear_without_bias(X, y, lr, n_steps):
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        d = 2 * (X @ w - y) / len(y)
        w = w - lr * X.T @ d
    return w, 0.0


def linear_without_mean(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = 2 * (X @ w + b - y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def linear_bias_in_w(X, y, lr, n_steps):
    w, b = ref.linear_regression_gd(X, y, lr, n_steps)
    return np.append(w, b), b


def logistic_ascent(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = (y - sigmoid(X @ w + b)) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def logistic_without_bias(X, y, lr, n_steps):
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - lr * X.T @ (sigmoid(X @ w) - y) / len(y)
    return w, 0.0


def logistic_without_mean(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = sigmoid(X @ w + b) - y
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def logistic_mse_gradient(X, y, lr, n_steps):  # squared error on σ(z): a different objective
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        p = sigmoid(X @ w + b)
        d = 2 * (p - y) * p * (1 - p) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


MUTANTS = {
    "02.mse_loss": [
        (mse_without_mean_in_grad, "1/n"),
        (mse_without_two, "factor 2"),
        (mse_sign_flipped, "sign error"),
        (mse_divides_by_len, "y_pred.size"),
        (mse_sum_loss, "not their sum"),
    ],
    "02.binary_cross_entropy": [
        (bce_naive, "log1p"),
        (bce_clipped, "from z directly"),
        (bce_grad_sign, "sign error"),
        (bce_grad_without_mean, "1/n"),
        (bce_grad_with_sigmoid_prime, "cancels"),
    ],
    "02.softmax_cross_entropy": [
        (softmax_ce_unstable, "maximum"),
        (softmax_ce_stable_loss_unstable_grad, "maximum"),
        (softmax_ce_no_mean_in_grad, "1/n"),
        (softmax_ce_wrong_axis, "each row"),
        (softmax_ce_forgets_onehot, "one-hot"),
    ],
    "02.numerical_gradient": [
        (forward_differences, "central differences"),
        (central_over_eps, "2ε"),
        (never_restores_x, "put x[i] back"),
        (flattened_gradient, "np.ndindex"),
    ],
    "02.gradient_descent": [
        (gradient_ascent, "against the gradient"),
        (gd_without_start, "starting point"),
        (gd_gradient_at_start, "current point"),
        gd_one_step_too_many,
    ],
    "02.largest_stable_lr": [
        (lambda A: 1 / np.linalg.eigvalsh(A).max(), "not just 1/λ_max"),
        (lambda A: 2 / np.linalg.eigvalsh(A).min(), "largest eigenvalue"),
        (lambda A: 2 / np.diag(A).max(), "not its diagonal"),
    ],
    "02.minibatch_indices": [
        (batches_in_order, "rng.permutation"),
        (batches_drop_last, "keep the last"),
        (batches_with_replacement, "with replacement"),
        (batches_global_state, "global state"),
        (batches_fixed_seed, "rng argument"),
    ],
    "02.momentum_step": [
        (momentum_forgets_velocity, "remembers past gradients"),
        (momentum_old_velocity, "new velocity"),
        (momentum_ema, "no (1 − β)"),
        (momentum_sign, "against the velocity"),
    ],
    "02.linear_regression_gd": [
        (linear_without_two, "factor 2"),
        (linear_without_bias, "bias learns too"),
        (linear_without_mean, "1/n"),
        (linear_bias_in_w, "bias separately"),
    ],
    "02.logistic_regression_gd": [
        (logistic_ascent, "step against the gradient"),
        (logistic_without_bias, "bias learns too"),
        (logistic_without_mean, "1/n"),
        logistic_mse_gradient,
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))


def test_every_lesson02_exercise_has_mutants():
    assert {e.id for e in exercises.for_lesson("02")} == set(MUTANTS)


def test_checkers_accept_plain_lists_and_torch_style_answers():
    """Lists instead of arrays are fine; a wrong-shaped answer gets a sentence, not a traceback."""
    exercise = exercises.get("02.mse_loss")
    as_lists = run_check(exercise, lambda y_pred, y: tuple(x.tolist() if hasattr(x, "tolist") else x
                                                          for x in ref.mse_loss(y_pred, y)))
    assert as_lists.status == PASSED, as_lists.text()
    only_loss = run_check(exercise, lambda y_pred, y: ref.mse_loss(y_pred, y)[0])
    assert only_loss.status == "failed" and "pair" in only_loss.text()


def test_naive_cross_entropy_prints_no_warning(capfd):
    run_check(exercises.get("02.binary_cross_entropy"), bce_naive)
    run_check(exercises.get("02.softmax_cross_entropy"), softmax_ce_unstable)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_minibatch_generator_is_accepted():
    def as_generator(n, batch_size, rng):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]

    verdict = run_check(exercises.get("02.minibatch_indices"), as_generator)
    assert verdict.status == PASSED, verdict.text()


def test_stable_alternatives_pass():
    """Other correct formulations (np.logaddexp, a max-shift by hand) are accepted."""
    def bce_logaddexp(z, y):
        z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
        return float(np.mean(np.logaddexp(0, z) - y * z)), (sigmoid(z) - y) / len(z)

    verdict = run_check(exercises.get("02.binary_cross_entropy"), bce_logaddexp)
    assert verdict.status == PASSED, verdict.text()
