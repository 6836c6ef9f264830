"""Checkers for lesson 02: gradient descent.

Most answers here are exact: a central difference is exact on a quadratic, gradient
descent on a quadratic has a closed form, and a full-batch training run started
from zeros is one deterministic trajectory. The checkers use that to be strict.
"""
import functools
import types
import warnings
from operator import itemgetter

import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_true
from ...checking.formatting import to_numpy
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("02", "gradient_descent", "Gradient descent", 75,
                    "losses and their gradients by hand, finite-difference gradient checks, learning rates and the "
                    "2/λ stability limit, local minima, mini-batch SGD, momentum and Adam, linear and logistic regression "
                    "by hand")

BCE_STABLE_HINT = ("with large logits exp overflows or log sees 0: compute the loss from z directly, "
                   "as max(z, 0) + log(1 + exp(−|z|)) − y·z (np.log1p helps)")
SOFTMAX_STABLE_HINT = ("with large logits exp overflows and log(softmax) sees 0: subtract each row's maximum m "
                       "and use log-sum-exp, log p = (row − m) − log Σ exp(row − m), instead of taking the log "
                       "of a softmax")


def _quiet(checker):
    """Run a checker with numpy's overflow warnings silenced (a learner's naive exp must not spill on stderr)."""
    @functools.wraps(checker)
    def run(function):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return checker(function)
    return run


def _pair(answer, case, description):
    """The learner's answer as a pair, or a sentence saying what was expected."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise CheckFailure(f"the function should return a pair {description}.", case=case, got=answer,
                           show_values=False)
    return answer


# ---------------------------------------------------------------- losses

@exercise("02.mse_loss", points=1, reference=ref.mse_loss, title="mean squared error and its gradient",
          mistakes=mistakes.MSE_LOSS)
@_quiet
def check_mse_loss(mse_loss):
    rng = np.random.default_rng(2)
    for shape in [(4,), (6,), (2, 3), (1,)]:
        y_pred, y = rng.normal(size=shape).round(2), rng.normal(size=shape).round(2)
        case = {"y_pred": y_pred, "y": y}
        loss, grad = _pair(mse_loss(y_pred, y), case, "(loss, gradient)")
        want_loss, want_grad = ref.mse_loss(y_pred, y)
        mistaken = mistakes.MSE_LOSS.answers(y_pred, y)
        expect_close(as_float(loss, case=case, what="the loss"), want_loss, case=case, what="the loss",
                     mistakes=mistaken.map(itemgetter(0)), hint="loss = mean((y_pred − y)²) over every entry")
        expect_close(grad, want_grad, case=case, what="the gradient", mistakes=mistaken.map(itemgetter(1)),
                     hint="the gradient of mean((ŷ − y)²) with respect to ŷ is 2(ŷ − y)/n, shaped like y_pred")


@exercise("02.binary_cross_entropy", points=2, reference=ref.binary_cross_entropy,
          title="binary cross-entropy from logits, stable, with its gradient", mistakes=mistakes.BINARY_CROSS_ENTROPY)
@_quiet
def check_binary_cross_entropy(binary_cross_entropy):
    cases = [([0.5, -1.2, 2.0, 0.0], [1, 0, 0, 1]),
             ([3.0, -4.0, 1.5, -0.3, 0.7, -2.0], [1, 0, 1, 1, 0, 0]),
             ([40.0, -40.0, 800.0, -800.0], [1, 0, 0, 1])]
    for z, y in cases:
        z, y = np.array(z), np.array(y, dtype=float)
        case = {"z": z, "y": y}
        loss, grad = _pair(binary_cross_entropy(z, y), case, "(loss, gradient)")
        want_loss, want_grad = ref.binary_cross_entropy(z, y)
        mistaken = mistakes.BINARY_CROSS_ENTROPY.answers(z, y)
        large = np.abs(z).max() > 30
        expect_close(as_float(loss, case=case, what="the loss"), want_loss, case=case, what="the loss", rtol=1e-6,
                     mistakes=mistaken.map(itemgetter(0)),
                     hint=BCE_STABLE_HINT if large else "loss = mean(−y·log σ(z) − (1 − y)·log(1 − σ(z)))")
        expect_close(grad, want_grad, case=case, what="the gradient", rtol=1e-6,
                     mistakes=mistaken.map(itemgetter(1)),
                     hint="the gradient with respect to the logits is (σ(z) − y)/n")


@exercise("02.softmax_cross_entropy", points=2, reference=ref.softmax_cross_entropy,
          title="multi-class cross-entropy with log-sum-exp, and its gradient",
          mistakes=mistakes.SOFTMAX_CROSS_ENTROPY)
@_quiet
def check_softmax_cross_entropy(softmax_cross_entropy):
    rng = np.random.default_rng(3)
    cases = [(rng.normal(size=(3, 4)).round(2), np.array([0, 3, 1])),
             (rng.normal(scale=2.0, size=(5, 3)).round(2), np.array([2, 2, 0, 1, 0])),
             (np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 990.0], [-500.0, -500.0, -500.0]]), np.array([0, 2, 1])),
             (np.array([[1000.0, 0.0, -1000.0]]), np.array([2]))]  # the label's probability underflows to 0
    for logits, labels in cases:
        case = {"logits": logits, "labels": labels}
        loss, grad = _pair(softmax_cross_entropy(logits, labels), case, "(loss, gradient)")
        want_loss, want_grad = ref.softmax_cross_entropy(logits, labels)
        mistaken = mistakes.SOFTMAX_CROSS_ENTROPY.answers(logits, labels)
        large = np.abs(logits).max() > 30
        expect_close(as_float(loss, case=case, what="the loss"), want_loss, case=case, what="the loss", rtol=1e-6,
                     mistakes=mistaken.map(itemgetter(0)),
                     hint=SOFTMAX_STABLE_HINT if large else "loss = mean over rows of logsumexp(row) − row[label]")
        expect_close(grad, want_grad, case=case, what="the gradient", rtol=1e-6,
                     mistakes=mistaken.map(itemgetter(1)),
                     hint=SOFTMAX_STABLE_HINT if large else
                     "the gradient with respect to the logits is (softmax(logits) − onehot(labels))/n")


# ---------------------------------------------------------------- gradient checking

@exercise("02.numerical_gradient", points=2, reference=ref.numerical_gradient,
          title="a central-difference gradient", mistakes=mistakes.NUMERICAL_GRADIENT)
@_quiet
def check_numerical_gradient(numerical_gradient):
    A = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.5, 0.0, 1.0]])
    c = np.array([0.5, -1.0, 2.0])

    def quadratic(x):
        return float(0.5 * x @ A @ x + c @ x)

    W = np.array([[1.0, -2.0, 0.5], [0.3, 1.5, -1.0]])

    def wavy(x):
        return float(np.sum(W * np.sin(x)) + np.sum(x ** 2))

    cases = [(quadratic, np.array([1.0, -2.0, 0.5]), 1e-3, lambda x: 0.5 * (A + A.T) @ x + c,
              "f(x) = ½ xᵀAx + c·x, a quadratic (central differences are exact on it)"),
             (wavy, np.array([[0.3, -1.2, 2.0], [0.0, 0.7, -0.4]]), 1e-5, lambda x: W * np.cos(x) + 2 * x,
              "f(x) = Σ W·sin(x) + Σ x², x of shape (2, 3)"),
             # a large eps: the central difference is then about ε²/6 times the third derivative off the
             # true gradient, and the answer is that central difference
             (wavy, np.array([[0.3, -1.2, 2.0], [0.0, 0.7, -0.4]]), 0.2,
              lambda x: ref.numerical_gradient(wavy, x, 0.2), "the same f with a large ε = 0.2")]
    for f, x, eps, exact, label in cases:
        case = {"f": label, "x": x, "eps": eps}
        got = numerical_gradient(f, x.copy(), eps=eps)
        if np.shape(to_plain(got)) == (x.size,) and x.ndim > 1:
            raise CheckFailure(f"the gradient should have the shape of x, {x.shape}, but it is flat.", case=case,
                               show_values=False, hint="loop over np.ndindex(x.shape), or reshape at the end")
        expect_close(got, exact(x), case=case, what="the numerical gradient", rtol=1e-6, atol=1e-7,
                     mistakes=mistakes.NUMERICAL_GRADIENT.answers(f, x, eps=eps),
                     hint="for each entry i: (f(x + ε·e_i) − f(x − ε·e_i)) / (2ε), changing only entry i")


def to_plain(value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return np.asarray(0.0)


# ---------------------------------------------------------------- gradient descent

@exercise("02.gradient_descent", points=2, reference=ref.gradient_descent, title="plain gradient descent",
          mistakes=mistakes.GRADIENT_DESCENT)
@_quiet
def check_gradient_descent(gradient_descent):
    A2 = np.array([[3.0, 1.0], [1.0, 2.0]])
    limit = ref.largest_stable_lr(A2)
    cases = [(np.array([[4.0]]), np.array([1.5]), 0.1, 5, "f(x) = 2x², converging"),
             (A2, np.array([1.0, -2.0]), 0.2, 8, "f(x) = ½ xᵀAx, A = [[3, 1], [1, 2]], converging"),
             (A2, np.array([1.0, -2.0]), round(1.2 * limit, 4), 6, "the same f with lr above 2/λ_max: diverging")]
    for A, x0, lr, n_steps, label in cases:
        case = {"f": label, "x0": x0, "lr": lr, "n_steps": n_steps}
        path = gradient_descent(lambda x, A=A: A @ x, x0.copy(), lr, n_steps)
        _path(path, x0, n_steps, case)
        step_matrix = np.eye(len(x0)) - lr * A
        exact = np.array([np.linalg.matrix_power(step_matrix, k) @ x0 for k in range(n_steps + 1)])
        expect_close(path, exact, case=case, what="the iterates", rtol=1e-6, atol=1e-9,
                     mistakes=mistakes.GRADIENT_DESCENT.answers(lambda x, A=A: A @ x, x0, lr, n_steps),
                     hint="on a quadratic the iterates are exactly x_k = (I − lr·A)^k x0")
    x0 = np.array([1.0, -0.5])
    case = {"f": "f(x) = Σ x⁴/4 (gradient x³)", "x0": x0, "lr": 0.1, "n_steps": 10}
    path = gradient_descent(lambda x: x ** 3, x0.copy(), 0.1, 10)
    _path(path, x0, 10, case)
    expect_close(path, ref.gradient_descent(lambda x: x ** 3, x0, 0.1, 10), case=case, what="the iterates",
                 rtol=1e-6, atol=1e-9)


def _path(answer, x0, n_steps, case):
    path = as_array(answer, case=case, what="the iterates")
    if path.shape == (n_steps, *x0.shape):
        raise CheckFailure(f"the iterates should have shape {(n_steps + 1, *x0.shape)}, but they have {path.shape}.",
                           case=case, show_values=False,
                           hint="include the starting point x0 as the first row: n_steps steps give n_steps + 1 points")
    if path.shape != (n_steps + 1, *x0.shape):
        raise CheckFailure(f"the iterates should have shape {(n_steps + 1, *x0.shape)} (one row per point, "
                           f"x0 first), but they have {path.shape}.", case=case, show_values=False)
    return path


@exercise("02.largest_stable_lr", points=1, reference=ref.largest_stable_lr,
          title="the largest learning rate that converges on a quadratic", mistakes=mistakes.LARGEST_STABLE_LR)
@_quiet
def check_largest_stable_lr(largest_stable_lr):
    rng = np.random.default_rng(4)
    M = rng.normal(size=(3, 3)).round(1)
    cases = [np.array([[2.0]]), np.diag([1.0, 10.0]), np.array([[3.0, 1.0], [1.0, 2.0]]),
             M @ M.T + np.eye(3), np.array([[2.0, 1.9], [1.9, 2.0]])]
    for A in cases:
        case = {"A": A}
        expect_close(as_float(largest_stable_lr(A.copy()), case=case, what="the learning rate"),
                     ref.largest_stable_lr(A), case=case, what="the learning rate", rtol=1e-6,
                     mistakes=mistakes.LARGEST_STABLE_LR.answers(A),
                     hint="along each eigenvector GD multiplies the error by (1 − lr·λ); "
                          "all of them need |1 − lr·λ| < 1")


# ---------------------------------------------------------------- SGD and momentum

@exercise("02.minibatch_indices", points=1, reference=ref.minibatch_indices,
          title="shuffled mini-batches for one epoch")
@_quiet
def check_minibatch_indices(minibatch_indices):
    for n, batch_size, seed in [(10, 3, 0), (20, 5, 1), (4, 8, 2), (7, 7, 3)]:
        case = {"n": n, "batch_size": batch_size, "rng": f"np.random.default_rng({seed})"}
        batches = _batches(minibatch_indices(n, batch_size, np.random.default_rng(seed)), case)
        sizes = [len(b) for b in batches]
        want_sizes = [len(b) for b in ref.minibatch_indices(n, batch_size, np.random.default_rng(seed))]
        everything = np.concatenate(batches) if batches else np.array([])
        expect_true(sorted(everything.tolist()) == list(range(n)),
                    "in one epoch every index 0..n−1 should appear in exactly one batch.", case=case,
                    expected=list(range(n)), got=sorted(everything.tolist()),
                    hint=("keep the last, smaller batch: every example is used once per epoch"
                          if len(everything) < n else
                          "draw a permutation (rng.permutation(n)), not independent indices with replacement"))
        expect_true(sizes == want_sizes, f"the batches should have sizes {want_sizes}.", case=case,
                    expected=want_sizes, got=sizes,
                    hint="cut the shuffled indices into consecutive chunks of batch_size; only the last may be smaller")
        if n >= 10:
            expect_true(not np.array_equal(everything, np.arange(n)),
                        "the indices come out in order 0, 1, 2, ...: SGD should visit the examples in a random order.",
                        case=case, hint="shuffle with the rng you are given: rng.permutation(n)")
    rng = np.random.default_rng(5)
    case = {"n": 20, "batch_size": 4, "rng": "the same np.random.default_rng(5), passed twice"}
    first = np.concatenate(_batches(minibatch_indices(20, 4, rng), case))
    second = np.concatenate(_batches(minibatch_indices(20, 4, rng), case))
    expect_true(np.array_equal(first, second), "the same rng state should give the same batches.", case=case,
                expected=first, got=second,
                hint="use the rng argument (rng.permutation), not np.random's global state, so runs are reproducible")
    case = {"n": 20, "batch_size": 4, "rng": "default_rng(6), then default_rng(7)"}
    first = np.concatenate(_batches(minibatch_indices(20, 4, np.random.default_rng(6)), case))
    second = np.concatenate(_batches(minibatch_indices(20, 4, np.random.default_rng(7)), case))
    expect_true(not np.array_equal(first, second), "two different random generators gave the same order.", case=case,
                hint="draw the permutation from the rng argument rather than a generator you create yourself")


def _batches(answer, case):
    if isinstance(answer, types.GeneratorType):
        answer = list(answer)
    if not isinstance(answer, (list, tuple)):
        raise CheckFailure("minibatch_indices should return a list of index arrays.", case=case, got=answer,
                           show_values=False)
    batches = []
    for batch in answer:
        array = as_array(batch, case=case, what="each batch")
        if array.ndim != 1 or not np.all(array == np.round(array)):
            raise CheckFailure("each batch should be a 1-D array of integer indices.", case=case, got=batch,
                               show_values=False)
        batches.append(array.astype(int))
    return batches


@exercise("02.momentum_step", points=2, reference=ref.momentum_step, title="one step of SGD with momentum",
          mistakes=mistakes.MOMENTUM_STEP)
@_quiet
def check_momentum_step(momentum_step):
    w, v, g = np.array([1.0, -2.0]), np.array([0.5, 0.1]), np.array([0.2, -0.4])
    # lr ≠ 1 − β, so that β·v + lr·grad and β·v + (1 − β)·grad (two different mistakes) differ
    for lr, beta in [(0.1, 0.8), (0.3, 0.5), (0.1, 0.0)]:
        case = {"w": w, "v": v, "grad": g, "lr": lr, "beta": beta}
        new_w, new_v = _pair(momentum_step(w.copy(), v.copy(), g.copy(), lr, beta), case, "(new_w, new_v)")
        want_w, want_v = ref.momentum_step(w, v, g, lr, beta)
        mistaken = mistakes.MOMENTUM_STEP.answers(w, v, g, lr, beta)
        expect_close(new_v, want_v, case=case, what="the new velocity", mistakes=mistaken.map(itemgetter(1)))
        expect_close(new_w, want_w, case=case, what="the new weights", mistakes=mistaken.map(itemgetter(0)))
    A = np.diag([1.0, 10.0])
    w_ref = w_got = np.array([1.0, 1.0])
    v_ref = v_got = np.zeros(2)
    for step in range(30):
        case = f"30 steps on f(w) = ½ wᵀ diag(1, 10) w from w = (1, 1), v = 0, lr = 0.05, beta = 0.9; step {step + 1}"
        # the learner's own values go back in, in the learner's dtype, and are compared in it
        w_got, v_got = _pair(momentum_step(w_got, v_got, A @ np.asarray(to_numpy(w_got)), 0.05, 0.9), case,
                             "(new_w, new_v)")
        as_array(w_got, shape=(2,), case=case, what="the new weights")
        as_array(v_got, shape=(2,), case=case, what="the new velocity")
        w_ref, v_ref = ref.momentum_step(w_ref, v_ref, A @ w_ref, 0.05, 0.9)
        expect_close(w_got, w_ref, case=case, what="the weights", rtol=1e-5, atol=1e-8)


@exercise("02.adam_step", points=2, reference=ref.adam_step, title="one step of Adam, with bias correction",
          mistakes=mistakes.ADAM_STEP)
@_quiet
def check_adam_step(adam_step):
    w = np.array([1.0, -2.0, 0.5])
    # a state in mid-training first (m ≠ 0, so that the uncorrected and the corrected moments differ),
    # then the first step from zeros, then a case where ε is not negligible against √v̂
    cases = [(np.array([0.05, -0.1, 0.02]), np.array([0.01, 0.04, 0.001]), np.array([0.3, -0.1, -0.2]),
              5, 0.01, 0.8, 0.99, 1e-8),
             (np.zeros(3), np.zeros(3), np.array([0.2, -0.4, 0.0]), 1, 0.1, 0.9, 0.999, 1e-8),
             (np.array([0.01, -0.02, 0.005]), np.array([2e-4, 1e-4, 5e-5]), np.array([0.02, 0.01, -0.03]),
              3, 0.05, 0.5, 0.9, 0.01)]
    for m, v, g, t, lr, beta1, beta2, eps in cases:
        case = {"w": w, "m": m, "v": v, "grad": g, "t": t, "lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps}
        answer = adam_step(w.copy(), m.copy(), v.copy(), g.copy(), t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            raise CheckFailure("the function should return a triple (w_new, m_new, v_new).", case=case, got=answer,
                               show_values=False)
        new_w, new_m, new_v = answer
        want_w, want_m, want_v = ref.adam_step(w, m, v, g, t, lr, beta1, beta2, eps)
        mistaken = mistakes.ADAM_STEP.answers(w, m, v, g, t, lr, beta1, beta2, eps)
        expect_close(new_m, want_m, case=case, what="the new first moment m", mistakes=mistaken.map(itemgetter(1)),
                     hint="m ← β₁·m + (1 − β₁)·grad, the running average of the gradient")
        expect_close(new_v, want_v, case=case, what="the new second moment v", mistakes=mistaken.map(itemgetter(2)),
                     hint="v ← β₂·v + (1 − β₂)·grad², the running average of the squared gradient")
        expect_close(new_w, want_w, case=case, what="the new weights", mistakes=mistaken.map(itemgetter(0)),
                     hint="w ← w − lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)")
    A = np.diag([1.0, 10.0])
    w_ref = w_got = np.array([1.0, 1.0])
    m_ref = m_got = v_ref = v_got = np.zeros(2)
    for step in range(1, 31):
        case = (f"30 steps on f(w) = ½ wᵀ diag(1, 10) w from w = (1, 1), m = v = 0, lr = 0.05, default betas and "
                f"eps; t = {step}")
        # the learner's own values go back in, in the learner's dtype, and are compared in it
        answer = adam_step(w_got, m_got, v_got, A @ np.asarray(to_numpy(w_got)), step, lr=0.05)
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            raise CheckFailure("the function should return a triple (w_new, m_new, v_new).", case=case, got=answer,
                               show_values=False)
        w_got, m_got, v_got = answer
        for value, what in ((w_got, "the new weights"), (m_got, "the new m"), (v_got, "the new v")):
            as_array(value, shape=(2,), case=case, what=what)
        w_ref, m_ref, v_ref = ref.adam_step(w_ref, m_ref, v_ref, A @ w_ref, step, lr=0.05)
        # atol 1e-6 of the starting scale: near the minimum float32 rounding (about 1e-7) dominates
        expect_close(w_got, w_ref, case=case, what="the weights", rtol=1e-5, atol=1e-6,
                     hint="t counts the steps from 1; the bias corrections use β₁ᵗ and β₂ᵗ of the current step")


# ---------------------------------------------------------------- regression by hand

def _regression_data(seed, n=30, true_w=(1.5, -2.0, 0.5), bias=3.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(true_w))).round(3)
    y = X @ np.array(true_w) + bias + rng.normal(scale=0.1, size=n).round(3)
    return X, y


def _weights(w, d, case):
    array = as_array(w, case=case, what="the weights w")
    if array.shape == (d + 1,):
        raise CheckFailure(f"w should have shape ({d},), one weight per column of X, but it has shape ({d + 1},).",
                           case=case, show_values=False, hint="return the bias separately, as the pair (w, b)")
    return as_array(w, shape=(d,), case=case, what="the weights w")


@exercise("02.linear_regression_gd", points=2, reference=ref.linear_regression_gd,
          title="linear regression trained by gradient descent", mistakes=mistakes.LINEAR_REGRESSION_GD)
@_quiet
def check_linear_regression_gd(linear_regression_gd):
    X, y = _regression_data(5)
    X2, y2 = _regression_data(8, n=12, true_w=(-1.0, 2.5), bias=-0.5)
    first = {"X": "a (30, 3) array (seed 5)", "y": "Xw* + 3 + small noise, w* = (1.5, −2, 0.5)"}
    second = {"X": "a (12, 2) array (seed 8)", "y": "Xw* − 0.5 + small noise, w* = (−1, 2.5)"}
    for X, y, data, lr, n_steps in [(X, y, first, 0.1, 10), (X2, y2, second, 0.05, 25), (X, y, first, 0.1, 500)]:
        case = dict(data, lr=lr, n_steps=n_steps)
        d = X.shape[1]
        w, b = _pair(linear_regression_gd(X.copy(), y.copy(), lr, n_steps), case, "(w, b)")
        _weights(w, d, case)
        as_float(b, case=case, what="b")
        if n_steps < 100:
            want_w, want_b = ref.linear_regression_gd(X, y, lr, n_steps)
            expect_close(w, want_w, case=case, what=f"w after {n_steps} steps", rtol=1e-6,
                         mistakes=mistakes.LINEAR_REGRESSION_GD.answers(X, y, lr, n_steps).map(itemgetter(0)),
                         hint=("start from w = 0, b = 0 and take n_steps full-batch steps on mean((Xw + b − y)²); "
                               "if the numbers blow up, check the 1/n in the gradient"))
            expect_close(b, want_b, case=case, what=f"b after {n_steps} steps", rtol=1e-6)
        else:
            design = np.hstack([X, np.ones((len(X), 1))])
            exact = np.linalg.lstsq(design, y, rcond=None)[0]
            expect_close(np.append(as_array(w, case=case, what="w"), as_float(b, case=case, what="b")), exact,
                         case=case, what=f"(w, b) after {n_steps} steps", rtol=1e-5, atol=1e-6,
                         hint="after many steps GD should agree with the normal equations' solution")


@exercise("02.logistic_regression_gd", points=2, reference=ref.logistic_regression_gd,
          title="logistic regression trained by gradient descent", mistakes=mistakes.LOGISTIC_REGRESSION_GD)
@_quiet
def check_logistic_regression_gd(logistic_regression_gd):
    rng = np.random.default_rng(6)
    X = np.vstack([rng.normal([-1.0, 0.5], 1.0, size=(20, 2)), rng.normal([1.0, -0.5], 1.0, size=(20, 2))]).round(3)
    y = np.array([0.0] * 20 + [1.0] * 20)
    rng = np.random.default_rng(9)
    X3 = rng.normal(size=(15, 3)).round(3)
    y3 = (X3 @ np.array([1.0, -1.0, 0.5]) + rng.normal(scale=0.8, size=15) > 0).astype(float)
    clouds = {"X": "two overlapping 2-D clouds, (40, 2) (seed 6)", "y": "20 zeros then 20 ones"}
    others = {"X": "a (15, 3) array (seed 9)", "y": f"{y3.astype(int).tolist()}"}
    for X_, y_, data, lr, n_steps in [(X, y, clouds, 0.5, 20), (X3, y3, others, 1.5, 12)]:
        case = dict(data, lr=lr, n_steps=n_steps)
        w, b = _pair(logistic_regression_gd(X_.copy(), y_.copy(), lr, n_steps), case, "(w, b)")
        _weights(w, X_.shape[1], case)
        as_float(b, case=case, what="b")
        want_w, want_b = ref.logistic_regression_gd(X_, y_, lr, n_steps)
        expect_close(w, want_w, case=case, what=f"w after {n_steps} steps", rtol=1e-6,
                     mistakes=mistakes.LOGISTIC_REGRESSION_GD.answers(X_, y_, lr, n_steps).map(itemgetter(0)),
                     hint=("start from zeros; each step uses the gradient of the mean binary cross-entropy, "
                           "Xᵀ(σ(Xw + b) − y)/n"))
        expect_close(b, want_b, case=case, what=f"b after {n_steps} steps", rtol=1e-6)
    case = dict(clouds, lr=0.5, n_steps=3000)
    w, b = _pair(logistic_regression_gd(X.copy(), y.copy(), 0.5, 3000), case, "(w, b)")
    w, b = _weights(w, 2, case), as_float(b, case=case, what="b")
    residual = ref.sigmoid(X @ w + b) - y
    gradient_norm = float(np.linalg.norm(np.append(X.T @ residual, residual.sum()) / len(y)))
    expect_true(gradient_norm < 1e-6, "after 3000 steps the loss gradient at your (w, b) should be about 0.",
                case=case, expected="gradient norm < 1e-6", got=f"{gradient_norm:.3g}",
                hint="the classes overlap and [X, 1] has full column rank, so the loss has one minimum and GD should "
                     "reach it")
