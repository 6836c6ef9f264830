"""Checker contract for lesson 02: the reference passes, the stub is not attempted, mistakes fail."""

import numpy as np
import scipy.special
import torch

from checker_contract import contract_tests, hidden_failures
from course_utils import exercises
from course_utils.checking import PASSED, run_check
from course_utils.lessons.lesson02_gradient_descent import reference as ref

sigmoid = ref.sigmoid


# ---- losses

def bce_naive(z, y):  # textbook formula through probabilities: inf on confident mistakes
    p = 1 / (1 + np.exp(-np.asarray(z)))
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


def bce_clipped(z, y):  # the common "clip the probabilities" patch: finite but wrong
    p = np.clip(1 / (1 + np.exp(-np.asarray(z))), 1e-12, 1 - 1e-12)
    return float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))), (p - y) / len(z)


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


# ---- gradient checking

def flattened_gradient(f, x, eps=1e-5):
    return ref.numerical_gradient(f, x, eps).ravel()


# ---- gradient descent

def gd_without_start(grad, x0, lr, n_steps):
    return ref.gradient_descent(grad, x0, lr, n_steps)[1:]


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


# ---- regression

def linear_without_mean(X, y, lr, n_steps):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = 2 * (X @ w + b - y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def linear_bias_in_w(X, y, lr, n_steps):
    w, b = ref.linear_regression_gd(X, y, lr, n_steps)
    return np.append(w, b), b


def logistic_mse_gradient(X, y, lr, n_steps):  # squared error on σ(z): a different objective
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        p = sigmoid(X @ w + b)
        d = 2 * (p - y) * p * (1 - p) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


# ---- more mistakes learners make (issue 13 and the audit)

def softmax_ce_log_of_stable_softmax(logits, labels):  # shifts by the max, then log(softmax): log(0) = -inf
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = len(labels)
    grad = p.copy()
    grad[np.arange(n), labels] -= 1
    return float(-np.mean(np.log(p[np.arange(n), labels]))), grad / n


def gd_path_aliases_x(grad, x0, lr, n_steps):  # appends x, then updates it in place: every row is the last point
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(n_steps):
        x -= lr * np.asarray(grad(x))
        path.append(x)
    return np.array(path)


def gd_ignores_lr(grad, x0, lr, n_steps):
    return ref.gradient_descent(grad, x0, 0.1, n_steps)


def batches_array_split(n, batch_size, rng):  # batch_size chunks instead of chunks of batch_size
    return np.array_split(rng.permutation(n), batch_size)


def batches_fixed_size_without_remainder_fix(n, batch_size, rng):  # n // batch_size batches, remainder lost
    order = rng.permutation(n)
    return [order[i * batch_size:(i + 1) * batch_size] for i in range(max(n // batch_size, 1))]


def momentum_ignores_beta(w, v, grad, lr, beta):
    return ref.momentum_step(w, v, grad, lr, 0.9)


def adam_t_off_by_one(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):  # corrects with t + 1
    return ref.adam_step(w, m, v, grad, t + 1, lr, beta1, beta2, eps)


def adam_without_first_moment(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):  # RMSprop's step
    w_new, m_new, v_new = ref.adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)
    v_hat = v_new / (1 - beta2 ** t)
    return np.asarray(w, dtype=float) - lr * np.asarray(grad) / (np.sqrt(v_hat) + eps), m_new, v_new


def linear_ignores_lr(X, y, lr, n_steps):
    return ref.linear_regression_gd(X, y, 0.1, n_steps)


def linear_prediction_without_bias(X, y, lr, n_steps):  # b is updated but never used in ŷ
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = 2 * (X @ w - y) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def logistic_hard_predictions(X, y, lr, n_steps):  # the perceptron's step instead of σ
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        d = ((X @ w + b > 0).astype(float) - y) / len(y)
        w, b = w - lr * X.T @ d, b - lr * d.sum()
    return w, b


def logistic_sequential_update(X, y, lr, n_steps):  # updates b with the residual of the already-updated w
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        w = w - lr * X.T @ (sigmoid(X @ w + b) - y) / len(y)
        b = b - lr * float(np.sum(sigmoid(X @ w + b) - y)) / len(y)
    return w, b


MUTANTS = {
    "02.mse_loss": [
        lambda y_pred, y: (float(np.mean(np.abs(np.subtract(y_pred, y)))), 2 * np.subtract(y_pred, y) / np.size(y)),
        lambda y_pred, y: (float(np.mean(np.subtract(y_pred, y) ** 2)), 2 * np.subtract(y_pred, y) / np.size(y) ** 2),
        lambda y_pred, y: (float(np.mean(np.subtract(y_pred, y)) ** 2), 2 * np.subtract(y_pred, y) / np.size(y)),
    ],
    "02.binary_cross_entropy": [
        (bce_naive, "log1p"),
        (bce_clipped, "from z directly"),
        lambda z, y: (float(np.mean(np.logaddexp(0, z) + y * np.asarray(z))), (sigmoid(z) - y) / len(z)),
        lambda z, y: (float(np.mean(np.logaddexp(0, z) - y * np.asarray(z))), (np.asarray(z) - y) / len(z)),
        lambda z, y: (float(np.sum(np.logaddexp(0, z) - y * np.asarray(z)) / (len(z) - 1 or 1)),
                      (sigmoid(z) - y) / len(z)),
    ],
    "02.softmax_cross_entropy": [
        (softmax_ce_unstable, "maximum"),
        (softmax_ce_stable_loss_unstable_grad, "maximum"),
        (softmax_ce_log_of_stable_softmax, "log-sum-exp"),
        lambda logits, labels: (ref.softmax_cross_entropy(logits, labels)[0],
                                ref.softmax_cross_entropy(logits, labels)[1].T.T[:, ::-1]),
        lambda logits, labels: (float(np.mean(scipy.special.logsumexp(logits, axis=0))),
                                ref.softmax_cross_entropy(logits, labels)[1]),
    ],
    "02.numerical_gradient": [
        (flattened_gradient, "np.ndindex"),
        lambda f, x, eps=1e-5: ref.numerical_gradient(f, x, eps) / 2,
        lambda f, x, eps=1e-5: -ref.numerical_gradient(f, x, eps),
    ],
    "02.gradient_descent": [
        (gd_without_start, "starting point"),
        gd_one_step_too_many,
        gd_path_aliases_x,
        gd_ignores_lr,
        lambda grad, x0, lr, n_steps: ref.gradient_descent(grad, x0, lr, n_steps)[::-1],
    ],
    "02.largest_stable_lr": [
        lambda A: 2 / np.linalg.norm(A),
        lambda A: 2 / np.abs(A).sum(axis=1).max(),
        lambda A: 2 / np.linalg.eigvalsh(A).mean(),
    ],
    "02.minibatch_indices": [
        (batches_in_order, "rng.permutation"),
        (batches_drop_last, "keep the last"),
        (batches_with_replacement, "with replacement"),
        (batches_global_state, "global state"),
        (batches_fixed_seed, "rng argument"),
        batches_array_split,
        batches_fixed_size_without_remainder_fix,
        lambda n, batch_size, rng: [rng.permutation(n)],
    ],
    "02.momentum_step": [
        momentum_ignores_beta,
        lambda w, v, grad, lr, beta: (np.asarray(w) - lr * np.asarray(grad) - beta * np.asarray(v),
                                      beta * np.asarray(v) + np.asarray(grad)),
    ],
    "02.adam_step": [
        adam_t_off_by_one,
        adam_without_first_moment,
        lambda w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8: (
            2 * np.asarray(w, dtype=float) - ref.adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)[0],
            *ref.adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)[1:]),
    ],
    "02.linear_regression_gd": [
        (linear_without_mean, "1/n"),
        (linear_bias_in_w, "bias separately"),
        linear_ignores_lr,
        (linear_prediction_without_bias, "predict ŷ = Xw + b"),
        lambda X, y, lr, n_steps: ref.linear_regression_gd(X, y, lr, n_steps - 1),
    ],
    "02.logistic_regression_gd": [
        logistic_mse_gradient,
        logistic_hard_predictions,
        logistic_sequential_update,
        lambda X, y, lr, n_steps: ref.logistic_regression_gd(X, y, lr, min(n_steps, 20)),
    ],
}


# ---- correct answers written differently

def t64(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)


def mse_float32(y_pred, y):
    r = np.asarray(y_pred, dtype=np.float32) - np.asarray(y, dtype=np.float32)
    return np.mean(r ** 2), 2 * r / r.size


def mse_torch(y_pred, y):
    p = t64(y_pred).requires_grad_()
    loss = ((p - t64(y)) ** 2).mean()
    loss.backward()
    return loss.detach(), p.grad


def bce_logaddexp(z, y):
    z, y = np.asarray(z, dtype=float), np.asarray(y, dtype=float)
    return float(np.mean(np.logaddexp(0, z) - y * z)), (sigmoid(z) - y) / len(z)


def bce_torch(z, y):
    logits = t64(z).requires_grad_()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, t64(y))
    loss.backward()
    return loss.detach(), logits.grad


def bce_float32(z, y):
    z, y = np.asarray(z, dtype=np.float32), np.asarray(y, dtype=np.float32)
    loss = np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z)
    return loss, (scipy.special.expit(z) - y) / np.float32(len(z))


def softmax_ce_logsumexp(logits, labels):
    logits = np.asarray(logits, dtype=float)
    log_p = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    n = len(labels)
    onehot = np.eye(logits.shape[1])[labels]
    return -np.mean(log_p[np.arange(n), labels]), (np.exp(log_p) - onehot) / n


def softmax_ce_torch(logits, labels):
    x = t64(logits).requires_grad_()
    loss = torch.nn.functional.cross_entropy(x, torch.as_tensor(np.asarray(labels), dtype=torch.long))
    loss.backward()
    return loss.detach(), x.grad


def softmax_ce_float32(logits, labels):
    logits = np.asarray(logits, dtype=np.float32)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(len(labels)), labels] -= 1
    return -log_p[np.arange(len(labels)), labels].mean(), grad / np.float32(len(labels))


def numerical_gradient_basis_vectors(f, x, eps=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.zeros(x.size)
    for i, e in enumerate(np.eye(x.size)):
        e = e.reshape(x.shape) * eps
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad.reshape(x.shape)


def numerical_gradient_flat_view(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    flat, grad = x.reshape(-1), np.zeros(x.size)
    for i in range(x.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = f(x)
        flat[i] = keep - eps
        down = f(x)
        flat[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad.reshape(x.shape).tolist()


def gd_float32(grad, x0, lr, n_steps):
    x = np.asarray(x0, dtype=np.float32)
    path = [x]
    for _ in range(n_steps):
        x = x - np.float32(lr) * np.asarray(grad(x), dtype=np.float32)
        path.append(x)
    return np.stack(path)


def gd_list_of_lists(grad, x0, lr, n_steps):
    return [list(map(float, row)) for row in ref.gradient_descent(grad, x0, lr, n_steps)]


def gd_torch(grad, x0, lr, n_steps):
    return torch.tensor(ref.gradient_descent(grad, x0, lr, n_steps))


def largest_lr_power_iteration(A):
    A = np.asarray(A, dtype=float)
    v = np.ones(len(A))
    for _ in range(500):
        v = A @ v
        v /= np.linalg.norm(v)
    return 2 / float(v @ A @ v)


def batches_shuffle_split(n, batch_size, rng):
    order = np.arange(n)
    rng.shuffle(order)
    return np.split(order, range(batch_size, n, batch_size))


def batches_choice_lists(n, batch_size, rng):
    order = rng.choice(n, size=n, replace=False).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def batches_torch(n, batch_size, rng):
    order = torch.as_tensor(rng.permutation(n))
    return list(torch.split(order, batch_size))


def momentum_float32(w, v, grad, lr, beta):
    f = np.float32
    v_new = f(beta) * np.asarray(v, f) + np.asarray(grad, f)
    return np.asarray(w, f) - f(lr) * v_new, v_new


def momentum_torch(w, v, grad, lr, beta):
    v_new = beta * torch.as_tensor(np.asarray(v, dtype=float)) + torch.as_tensor(np.asarray(grad, dtype=float))
    return torch.as_tensor(np.asarray(w, dtype=float)) - lr * v_new, v_new


def momentum_copies_then_in_place(w, v, grad, lr, beta):
    w, v = np.array(w, dtype=float), np.array(v, dtype=float)
    v *= beta
    v += grad
    w -= lr * v
    return w, v


def adam_float32(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    f = np.float32
    w, m, v, grad = (np.asarray(a, f) for a in (w, m, v, grad))
    m_new = f(beta1) * m + f(1 - beta1) * grad
    v_new = f(beta2) * v + f(1 - beta2) * grad * grad
    m_hat, v_hat = m_new / f(1 - beta1 ** t), v_new / f(1 - beta2 ** t)
    return w - f(lr) * m_hat / (np.sqrt(v_hat) + f(eps)), m_new, v_new


def adam_torch_optimizer(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """torch.optim.Adam itself, given the state of step t − 1."""
    p = torch.tensor(np.asarray(w, dtype=float), requires_grad=True)
    optimizer = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(np.asarray(m, dtype=float)),
                          "exp_avg_sq": torch.tensor(np.asarray(v, dtype=float))}
    p.grad = torch.tensor(np.asarray(grad, dtype=float))
    optimizer.step()
    state = optimizer.state[p]
    return p.detach(), state["exp_avg"], state["exp_avg_sq"]


def adam_efficient_form(w, m, v, grad, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma and Ba's Section 2 form: a corrected step size α_t and ε̂ = ε·√(1 − β₂ᵗ), the same step."""
    w, m, v, grad = (np.asarray(a, dtype=float) for a in (w, m, v, grad))
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    alpha_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return (w - alpha_t * m / (np.sqrt(v) + eps * np.sqrt(1 - beta2 ** t))).tolist(), m.tolist(), v.tolist()


def linear_augmented(X, y, lr, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    design = np.hstack([X, np.ones((len(X), 1))])
    theta = np.zeros(design.shape[1])
    for _ in range(n_steps):
        theta = theta - lr * 2 * design.T @ (design @ theta - y) / len(y)
    return theta[:-1], theta[-1]


def linear_torch_autograd(X, y, lr, n_steps):
    X, y = t64(X), t64(y)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for _ in range(n_steps):
        loss = ((X @ w + b - y) ** 2).mean()
        gw, gb = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
    return w.detach(), b.detach()


def linear_float32(X, y, lr, n_steps):
    X, y = np.asarray(X, np.float32), np.asarray(y, np.float32)
    w, b = np.zeros(X.shape[1], np.float32), np.float32(0)
    for _ in range(n_steps):
        d = np.float32(2) * (X @ w + b - y) / np.float32(len(y))
        w, b = w - np.float32(lr) * X.T @ d, b - np.float32(lr) * d.sum()
    return w, b


def logistic_torch_autograd(X, y, lr, n_steps):
    X, y = t64(X), t64(y)
    w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for _ in range(n_steps):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
        gw, gb = torch.autograd.grad(loss, [w, b])
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
    return w.detach(), float(b)


def logistic_augmented(X, y, lr, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    design = np.hstack([np.ones((len(X), 1)), X])
    theta = np.zeros(design.shape[1])
    for _ in range(n_steps):
        theta -= lr * design.T @ (scipy.special.expit(design @ theta) - y) / len(y)
    return theta[1:].tolist(), theta[0]


def logistic_float32(X, y, lr, n_steps):
    X, y = np.asarray(X, np.float32), np.asarray(y, np.float32)
    w, b = np.zeros(X.shape[1], np.float32), np.float32(0)
    for _ in range(n_steps):
        d = (scipy.special.expit(X @ w + b) - y) / np.float32(len(y))
        w, b = w - np.float32(lr) * X.T @ d, b - np.float32(lr) * d.sum()
    return w, b


ALTERNATIVES = {
    "02.mse_loss": [mse_float32, mse_torch,
                    lambda y_pred, y: (np.einsum("i,i->", np.ravel(np.subtract(y_pred, y)), np.ravel(np.subtract(y_pred, y)))
                                       / np.size(y), (2 * np.subtract(y_pred, y) / np.size(y)).tolist())],
    "02.binary_cross_entropy": [bce_logaddexp, bce_torch, bce_float32],
    "02.softmax_cross_entropy": [softmax_ce_logsumexp, softmax_ce_torch, softmax_ce_float32],
    "02.numerical_gradient": [numerical_gradient_basis_vectors, numerical_gradient_flat_view,
                              lambda f, x, eps=1e-5: torch.tensor(ref.numerical_gradient(f, x, eps))],
    "02.gradient_descent": [gd_float32, gd_list_of_lists, gd_torch],
    "02.largest_stable_lr": [largest_lr_power_iteration,
                             lambda A: 2 / np.max(np.real(np.linalg.eigvals(A))),
                             lambda A: 2 / torch.linalg.eigvalsh(torch.tensor(A, dtype=torch.float32)).max()],
    "02.minibatch_indices": [batches_shuffle_split, batches_choice_lists, batches_torch],
    "02.momentum_step": [momentum_float32, momentum_torch, momentum_copies_then_in_place],
    "02.adam_step": [adam_float32, adam_torch_optimizer, adam_efficient_form],
    "02.linear_regression_gd": [linear_augmented, linear_torch_autograd, linear_float32],
    "02.logistic_regression_gd": [logistic_torch_autograd, logistic_augmented, logistic_float32],
}
UNVARIED = {}

globals().update(contract_tests("02", MUTANTS, ALTERNATIVES, UNVARIED))


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


def test_unstable_log_softmax_is_caught_with_a_log_sum_exp_hint():
    """Regression (issue 13): log of a (max-shifted) softmax is inf on [[1000, 0, -1000]] with label 2."""
    verdict = run_check(exercises.get("02.softmax_cross_entropy"), softmax_ce_log_of_stable_softmax)
    assert verdict.status == "failed" and "log-sum-exp" in verdict.text(), verdict.text()
    assert hidden_failures("02.softmax_cross_entropy", softmax_ce_log_of_stable_softmax) > 0


def test_float32_iterates_pass_gradient_descent_and_momentum():
    """Regression (issue 13): rtol 1e-8 rejected correct float32 answers."""
    for exercise_id, function in (("02.gradient_descent", gd_float32), ("02.momentum_step", momentum_float32)):
        assert run_check(exercises.get(exercise_id), function).status == PASSED
        assert hidden_failures(exercise_id, function) == 0


def test_minibatches_from_global_state_or_a_fixed_seed_fail_hidden_cases():
    """Regression (issue 13): these passed every hidden case."""
    assert hidden_failures("02.minibatch_indices", batches_global_state) > 0
    assert hidden_failures("02.minibatch_indices", batches_fixed_seed) > 0
