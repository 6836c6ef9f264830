"""Checkers for lesson 06: probing.

Probes are trained with random initialisations and optimisers the learner chooses, so the checks on
training functions are properties (shapes, rank, held-out accuracy on data built so that a known mistake
fails). Everything deterministic (activations, accuracies under a given fitter, selectivity, ablation)
is compared with the reference on the same inputs, and the likely mistakes are computed and named.
"""

import numpy as np
import torch

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_true
from ...exercises import exercise
from ...threads import one_thread
from .. import LessonInfo
from ...models.tinygpt import TinyGPT, TinyGPTConfig
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("06", "probing", "Probing", 90,
                    "activations from forward hooks, linear probes layer by layer, control tasks and selectivity, "
                    "probe capacity (MLP vs low-rank), ablating and steering along a probe direction")


# ---------------------------------------------------------------------------------------------- helpers



def _small_model(d_model=8, n_layers=2, seed=6):
    config = TinyGPTConfig(vocab_size=11, n_ctx=16, d_model=d_model, n_heads=2, n_layers=n_layers, d_mlp=16)
    model = TinyGPT(config, seed=seed)
    with torch.no_grad():                       # make every part matter (a fresh init is almost an identity)
        for block in model.blocks:
            block.mlp.W_out.mul_(20.0)
            block.attn.W_O.mul_(20.0)
    model.eval()
    return model


def _accuracy(W, b, X, y):
    return float(np.mean(np.argmax(X @ W + b, axis=1) == y))


def _probe_parameters(answer, *, case, d, n_classes):
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise CheckFailure("the probe should be returned as a tuple (W, b).", case=case, got=answer,
                           show_values=False)
    W = as_array(answer[0], case=case, what="W")
    if W.shape == (n_classes, d) and d != n_classes:
        raise CheckFailure(f"W should have shape ({d}, {n_classes}) (features × classes), but it has shape "
                           f"{W.shape}.", case=case, show_values=False,
                           hint="logits = X @ W + b, so W has one row per feature and one column per class; "
                                "return W.T if you stored it the other way round")
    W = as_array(answer[0], shape=(d, n_classes), case=case, what="W")
    b = as_array(answer[1], shape=(n_classes,), case=case, what="the bias b")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise CheckFailure("the probe contains nan or inf.", case=case, show_values=False,
                           hint="lower the learning rate")
    return W, b


def _blobs_on_a_ray(seed):
    """Three classes at distances 1, 2, 3 along the first axis: a probe needs its bias to tell them apart."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 40)
    X = np.stack([1.0 + y + 0.08 * rng.normal(size=len(y)), 0.08 * rng.normal(size=len(y))], axis=1)
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def _signal_off_axis(seed, d=6):
    """Three classes separated along (0, ..., 0, 1, 1)/√2 only: the first coordinates are pure noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 50)
    direction = np.zeros(d)
    direction[-2:] = 1 / np.sqrt(2)
    X = rng.normal(size=(len(y), d)) + np.outer(3.0 * (y - 1), direction)
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def _least_squares_fit(X, y, n_classes):
    """one-hot least squares: a deterministic probe that can memorise (minimum norm, with a bias column)."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    solution = np.linalg.lstsq(X1, np.eye(n_classes)[y], rcond=None)[0]
    return lambda Z: np.hstack([np.asarray(Z), np.ones((len(Z), 1))]) @ solution


def _centroid_fit(X, y, n_classes):
    """the nearest class mean: a deterministic fitter (score = minus the squared distance to each class mean)."""
    means = np.stack([X[y == k].mean(axis=0) if np.any(y == k) else np.full(X.shape[1], np.inf)
                      for k in range(n_classes)])
    return lambda Z: -((np.asarray(Z)[:, None, :] - means[None]) ** 2).sum(axis=-1)


# ---------------------------------------------------------------------------------------------- exercises

@exercise("06.residual_activations", points=1, reference=ref.residual_activations,
          title="the residual stream after a layer, read with a forward hook", mistakes=mistakes.RESIDUAL_ACTIVATIONS)
def check_residual_activations(residual_activations):
    with one_thread():
        models = [_small_model(), _small_model(d_model=6, n_layers=3, seed=16)]
    cases = [(0, torch.tensor([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 7, 0, 7, 9]]), (0, 1, 2)),
             (1, torch.tensor([[10, 3, 3, 8, 0, 1, 2], [4, 4, 6, 9, 2, 2, 5]]), (3, 0))]
    for model_index, tokens, layers in cases:
        model = models[model_index]
        with one_thread():
            _, cache = model.run_with_cache(tokens)
        d_model, n_layers = model.config.d_model, model.config.n_layers
        for layer in layers:
            case = {"model": f"a TinyGPT with {n_layers} blocks, d_model {d_model}", "tokens": tokens,
                    "layer": layer}
            expected = cache[ref.hook_name(layer)].reshape(-1, d_model).numpy()
            with one_thread():
                got = residual_activations(model, tokens.clone(), layer)
            expect_close(got, expected, case=case, what="the activations", rtol=1e-4, atol=1e-5,
                         mistakes=mistakes.RESIDUAL_ACTIVATIONS.answers(model, tokens, layer),
                         hint="hook `blocks.0.hook_resid_pre` for layer 0 and `blocks.{layer-1}.hook_resid_post` "
                              "otherwise; return a (batch * seq, d_model) numpy array")


def _few_steps_data():
    """16 points in 3-D, two well-separated classes: a probe trained for long reaches a loss near 0."""
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(2), 8)
    X = np.where(y[:, None] == 1, 1.0, -1.0) * np.array([0.6, -0.4, 0.3]) + 0.3 * rng.normal(size=(16, 3))
    return X.astype(np.float32), y


def _overlapping_classes(seed, d=3, n_classes=4, per_class=30):
    """Classes whose clouds overlap: the cross-entropy has a finite minimum that a trained probe must reach."""
    rng = np.random.default_rng(seed)
    centres = 1.5 * rng.normal(size=(n_classes, d)) + 1.0
    y = np.repeat(np.arange(n_classes), per_class)
    X = centres[y] + rng.normal(size=(len(y), d))
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def _cross_entropy(W, b, X, y):
    """The mean cross-entropy of logits X @ W + b, in float64."""
    logits = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)
    logits = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(logits).sum(axis=1))
    return float(np.mean(log_z - logits[np.arange(len(y)), np.asarray(y)]))


def _minimum_cross_entropy(X, y, n_classes):
    """The smallest cross-entropy any linear probe reaches on (X, y) (a convex problem, solved by L-BFGS)."""
    from scipy.optimize import minimize

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    d, one_hot = X.shape[1], np.eye(n_classes)[y]

    def loss_and_gradient(theta):
        W, b = theta[:d * n_classes].reshape(d, n_classes), theta[d * n_classes:]
        logits = X @ W + b
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.sum(one_hot * np.log(np.maximum(p, 1e-300)), axis=1))
        g = (p - one_hot) / len(y)
        return loss, np.concatenate([(X.T @ g).reshape(-1), g.sum(axis=0)])

    result = minimize(loss_and_gradient, np.zeros(d * n_classes + n_classes), jac=True, method="L-BFGS-B",
                      options={"maxiter": 500, "gtol": 1e-10})
    return float(result.fun)


# the minimum of the cross-entropy on _overlapping_classes(2), stored so that a check trains only the learner's
# probe (tests/lessons/test_lesson06_probing.py recomputes it with _minimum_cross_entropy)
OVERLAPPING_MINIMUM = 0.5544208745896597
# the reference low-rank probe's cross-entropy on _polygon_classes(2) (rank 2, 150 steps, lr 0.1, seed 2); any
# initialisation ends within 0.01 of it, a rank-1 probe near 0.8
POLYGON_REFERENCE_LOSS = 0.1332622907991222

# a probe that trained for `steps` steps of Adam (lr) must not be far above the minimum when that is enough,
# nor far below what so few steps can reach
CROSS_ENTROPY_SLACK = 0.05


def _probe_untrained_hint(W):
    if np.all(W == 0):
        return ("W never changed, so no gradient reached it: compute the loss from the tensors you train "
                "(no .item(), .detach(), numpy round trip or torch.no_grad() in the loss), call loss.backward() "
                "and optimizer.step() at every step")
    return None


def _expect_not_overtrained(loss, floor, *, case, steps, lr):
    expect_true(loss >= floor, f"After {steps} steps of Adam at lr {lr}, your probe's training cross-entropy is "
                f"{loss:.3f}, lower than so few steps can reach (at least {floor:.2f}).", case=case,
                hint="run exactly `steps` optimiser steps with torch.optim.Adam(..., lr=lr): use the arguments, "
                     "not fixed numbers")


def _expect_minimises_cross_entropy(loss, minimum, *, case, W):
    expect_true(loss <= minimum + CROSS_ENTROPY_SLACK,
                f"Your probe's training cross-entropy is {loss:.3f}, but a linear probe reaches {minimum:.3f} here "
                "(and the reference does within these steps).", case=case,
                hint=_probe_untrained_hint(W) or
                "the probe must minimise the cross-entropy of logits = X @ W + b: pass the raw logits to "
                "F.cross_entropy (it applies log-softmax itself; a softmax before it trains a different, "
                "saturating loss), train W and b, and use the given steps and lr")


@exercise("06.fit_probe", points=1, reference=ref.fit_probe, title="a linear probe by logistic regression")
def check_fit_probe(fit_probe):
    # 1. a few steps: only shapes, and that no more training happened than 3 steps of Adam at lr 0.01 allow
    X, y = _few_steps_data()
    case = {"X": "16 points in 3-D, 2 well-separated classes", "n_classes": 2, "steps": 3, "lr": 0.01}
    with one_thread():
        answer = fit_probe(X, y, 2, steps=3, lr=0.01, seed=0)
    W, b = _probe_parameters(answer, case=case, d=3, n_classes=2)
    # from any small initialisation (even torch.nn.Linear's), 3 steps leave the loss above 0.35; 150 reach 0.1
    _expect_not_overtrained(_cross_entropy(W, b, X, y), 0.25, case=case, steps=3, lr=0.01)

    # 2. classes on a ray: a probe without a bias cannot separate them
    X, y = _blobs_on_a_ray(0)
    X_test, y_test = _blobs_on_a_ray(1)
    case = {"X": "120 points in 3 classes at distances 1, 2, 3 along the first axis", "n_classes": 3,
            "steps": 100, "lr": 0.05}
    with one_thread():
        answer = fit_probe(X, y, 3, steps=100, lr=0.05, seed=0)
    W, b = _probe_parameters(answer, case=case, d=2, n_classes=3)
    accuracy = _accuracy(W, b, X_test, y_test)
    expect_true(accuracy >= 0.9, f"Your probe's held-out accuracy is {accuracy:.3f}; it should be at least 0.9.",
                case=case, hint=_probe_untrained_hint(W) or
                "all three classes lie on one ray from the origin, so only a probe *with a bias* "
                "separates them: logits = X @ W + b, and train b too. Also check that you "
                "run the requested number of steps")

    # 3. overlapping classes: the cross-entropy has a finite minimum, which 150 steps at lr 0.1 reach
    X, y = _overlapping_classes(2)
    case = {"X": "120 points in 3-D, 4 overlapping classes", "n_classes": 4, "steps": 150, "lr": 0.1, "seed": 1}
    with one_thread():
        answer = fit_probe(X, y, 4, steps=150, lr=0.1, seed=1)
    W, b = _probe_parameters(answer, case=case, d=3, n_classes=4)
    _expect_minimises_cross_entropy(_cross_entropy(W, b, X, y), OVERLAPPING_MINIMUM, case=case, W=W)


@exercise("06.probe_accuracy", points=1, reference=ref.probe_accuracy,
          title="held-out accuracy: fit on the training rows, score on the test rows", mistakes=mistakes.PROBE_ACCURACY)
def check_probe_accuracy(probe_accuracy):
    rng = np.random.default_rng(6)
    # random labels with more features than training rows: a memorising probe is perfect on its training rows
    X = rng.normal(size=(80, 60))
    cases = [("random labels, 60 features, 40 training rows", X, rng.integers(0, 2, size=80), 2)]
    X2 = rng.normal(size=(90, 4))
    cases.append(("a learnable task: label = sign of the first feature", X2, (X2[:, 0] > 0).astype(int), 2,
                  _least_squares_fit))
    cases[0] += (_least_squares_fit,)
    # three classes, another fitter: the nearest class mean (which the stretched noise misleads)
    y3 = np.resize(np.arange(3), 75)[rng.permutation(75)]
    X3 = rng.normal(size=(75, 5)) * np.array([3.0, 1.0, 1.0, 0.3, 0.3]) + 0.8 * rng.normal(size=(3, 5))[y3]
    cases.append(("3 classes around 3 random centres in 5-D, stretched noise", X3, y3, 3, _centroid_fit))
    checked = []
    for description, X, y, n_classes, fitter in cases:
        is_test = np.arange(len(y)) % 2 == 1
        case = {"data": description, "n_classes": n_classes, "is_test": "every second row",
                "fit": fitter.__doc__.split(":")[0]}
        got = as_float(probe_accuracy(fitter, X, y, is_test, n_classes), case=case, what="the accuracy")
        checked.append((case, got, ref.probe_accuracy(fitter, X, y, is_test, n_classes),
                        mistakes.PROBE_ACCURACY.answers(fitter, X, y, is_test, n_classes)))
    # a mistake is named only when it gives every one of the learner's accuracies: on the first two cases,
    # scoring the training rows and fitting on the test rows give the same accuracy
    explaining = [hint for hint in mistakes.PROBE_ACCURACY.hints
                  if all(hint in mistaken and abs(mistaken[hint] - got) <= 1e-6 for _, got, _, mistaken in checked)]
    for case, got, expected, mistaken in checked:
        expect_close(got, expected, case=case, what="the held-out accuracy", rtol=1e-6, atol=1e-9,
                     mistakes=mistaken.only(explaining),
                     hint="predict = fit(X[~is_test], y[~is_test], n_classes); accuracy = mean of "
                          "argmax(predict(X[is_test])) == y[is_test]")


@exercise("06.control_task_labels", points=1, reference=ref.control_task_labels,
          title="a control task: one random label per token type")
def check_control_task_labels(control_task_labels):
    rng = np.random.default_rng(7)
    types = rng.integers(0, 200, size=2000)
    task = (types * 7 + 3) % 4                         # the task is a function of the type
    case = {"types": "2000 tokens of 200 types", "labels": "4 classes, a function of the type", "seed": 0}
    got = as_array(control_task_labels(types, task, 0), shape=(2000,), case=case, what="the control labels")
    expect_true(set(np.unique(got)) <= set(np.unique(task)),
                "Some control labels are not labels of the task.", case=case,
                got=sorted(set(np.unique(got)) - set(np.unique(task))),
                hint="draw each type's label from the task's labels (e.g. rng.choice(labels)), not from range(k)")
    for t in np.unique(types):
        values = np.unique(got[types == t])
        expect_true(len(values) == 1, f"Tokens of the same type {t} got different control labels {values}.",
                    case=case, hint="the label must be fixed per token *type*: draw one label per distinct type, "
                                    "then give it to every token of that type")
    again = as_array(control_task_labels(types, task, 0), shape=(2000,), case=case, what="the control labels")
    expect_true(np.array_equal(got, again), "Two calls with the same seed gave different labels.", case=case,
                hint="use np.random.default_rng(seed) for every random draw")
    others = [as_array(control_task_labels(types, task, seed), shape=(2000,), case=case, what="the control labels")
              for seed in (1, 2)]
    expect_true(any(not np.array_equal(got, other) for other in others),
                "Seeds 0, 1 and 2 gave the same labels: a control task's labels must be random.",
                case={**case, "seed": "0, 1 and 2"},
                hint="draw the labels with np.random.default_rng(seed); a fixed rule (type % k) is not random")
    first = {t: got[types == t][0] for t in np.unique(types)}
    agreement = np.mean([first[t] == task[types == t][0] for t in first])
    expect_true(agreement < 0.6, f"Your control labels agree with the task on {agreement:.0%} of the types.",
                case=case, hint="the control labels must be random, not the task's own labels")
    # the label distribution follows the task's: 90 % of tokens are class 0 here; other token ids, scattered
    types = rng.choice(rng.choice(5000, size=150, replace=False), size=1500)
    skewed = np.where(rng.random(1500) < 0.9, 0, 5)
    case = {"types": "1500 tokens of 150 types (ids up to 5000)", "labels": "90 % zeros, 10 % fives", "seed": 3}
    got = as_array(control_task_labels(types, skewed, 3), shape=(1500,), case=case, what="the control labels")
    expect_true(set(np.unique(got)) <= {0, 5}, "Some control labels are not labels of the task.", case=case,
                got=sorted(set(np.unique(got)) - {0, 5}),
                hint="draw each type's label from the task's labels (e.g. rng.choice(labels)), not from range(k)")
    for t in np.unique(types):
        values = np.unique(got[types == t])
        expect_true(len(values) == 1, f"Tokens of the same type {t} got different control labels {values}.",
                    case=case, hint="the label must be fixed per token *type*: draw one label per distinct type, "
                                    "then give it to every token of that type")
    share = np.mean([got[types == t][0] == 0 for t in np.unique(types)])
    expect_true(0.75 <= share <= 0.99, f"{share:.0%} of the types got label 0, but the task gives label 0 to 90 % "
                "of its tokens.", case=case,
                hint="sample each type's label from the task's empirical distribution (rng.choice(labels)), "
                     "not uniformly from the distinct labels")


@exercise("06.selectivity", points=1, reference=ref.selectivity, title="selectivity, layer by layer",
          mistakes=mistakes.SELECTIVITY)
def check_selectivity(selectivity):
    cases = [(np.array([0.65, 0.92, 0.98]), np.array([0.62, 0.66, 0.60])),
             (np.array([0.99]), np.array([0.96])),
             (np.array([0.5, 0.7]), np.array([0.8, 0.4]))]
    for task, control in cases:
        case = {"task_accuracy": task, "control_accuracy": control}
        got = selectivity(task, control)
        # accuracies are fractions: a difference computed in float32 (and returned as a list) is off by ~1e-7
        expect_close(got, task - control, case=case, what="the selectivity", rtol=1e-6, atol=1e-6,
                     mistakes=mistakes.SELECTIVITY.answers(task, control),
                     hint="subtract the control accuracy from the task accuracy, entry by entry")


def _polygon_classes(seed, d=5, n_classes=6, per_class=25, noise=0.8):
    """Six classes around a circle in a plane of 5-D space: a rank-2 probe separates them, no rank-1 probe does."""
    rng = np.random.default_rng(seed)
    rotation = np.linalg.qr(np.random.default_rng([d, n_classes, 2]).normal(size=(d, d)))[0]
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 3.0 * (np.outer(np.cos(angles), rotation[:, 0]) + np.outer(np.sin(angles), rotation[:, 1])) \
        + 2.0 * rotation[:, 2]
    y = np.repeat(np.arange(n_classes), per_class)
    X = centres[y] + noise * rng.normal(size=(len(y), d))
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def _expect_rank(W, rank, *, case):
    singular = np.linalg.svd(W, compute_uv=False)
    expect_true(bool(np.all(singular[rank:] <= 1e-4 * max(singular[0], 1e-12))),
                f"W should have rank at most {rank}, but its singular values are "
                f"{np.round(singular, 3).tolist()}.",
                case=case, hint="parametrise W = A @ B with A of shape (d, rank) and B of shape (rank, n_classes), "
                                "train A, B and b, and return A @ B")


@exercise("06.fit_low_rank_probe", points=1, reference=ref.fit_low_rank_probe,
          title="a low-rank linear probe W = A B")
def check_fit_low_rank_probe(fit_low_rank_probe):
    # 1. a few steps: shapes, rank, the seed (same seed, same probe; another seed, another probe), no overtraining
    X, y = _few_steps_data()
    case = {"X": "16 points in 3-D, 2 well-separated classes", "n_classes": 2, "rank": 1, "steps": 3, "lr": 0.01,
            "seed": 0}
    with one_thread():
        first = fit_low_rank_probe(X, y, 2, 1, steps=3, lr=0.01, seed=0)
    W, b = _probe_parameters(first, case=case, d=3, n_classes=2)
    _expect_rank(W, 1, case=case)
    _expect_not_overtrained(_cross_entropy(W, b, X, y), 0.25, case=case, steps=3, lr=0.01)
    seed_case, first_probe = case, (W, b)

    # 2. rank 1, the signal along a direction that is not a coordinate axis
    X, y = _signal_off_axis(0)
    X_test, y_test = _signal_off_axis(1)
    case = {"X": "150 points in 6-D; the classes differ only along (0, 0, 0, 0, 1, 1)/√2", "n_classes": 3,
            "rank": 1, "steps": 100, "lr": 0.05, "seed": 0}
    with one_thread():
        answer = fit_low_rank_probe(X, y, 3, 1, steps=100, lr=0.05, seed=0)
    W, b = _probe_parameters(answer, case=case, d=6, n_classes=3)
    _expect_rank(W, 1, case=case)
    accuracy = _accuracy(W, b, X_test, y_test)
    expect_true(accuracy >= 0.85, f"Your probe's held-out accuracy is {accuracy:.3f}; it should be at least 0.85.",
                case=case, hint=_probe_untrained_hint(W) or
                "a rank-1 probe may read *any* direction, not only the first `rank` features: learn "
                "A (d × rank) freely. And keep the bias: the middle class needs it")

    # 3. rank 2: six classes around a circle, which no single direction separates
    X, y = _polygon_classes(2)
    case = {"X": "150 points in 5-D, 6 classes around a circle in a plane", "n_classes": 6, "rank": 2,
            "steps": 150, "lr": 0.1, "seed": 2}
    with one_thread():
        answer = fit_low_rank_probe(X, y, 6, 2, steps=150, lr=0.1, seed=2)
    W, b = _probe_parameters(answer, case=case, d=5, n_classes=6)
    reference = POLYGON_REFERENCE_LOSS
    _expect_rank(W, 2, case=case)
    loss = _cross_entropy(W, b, X, y)
    expect_true(loss <= reference + CROSS_ENTROPY_SLACK,
                f"Your probe's training cross-entropy is {loss:.3f}, but the reference reaches {reference:.3f} with "
                "the same rank, steps and learning rate.", case=case,
                hint=_probe_untrained_hint(W) or
                "train logits = X @ A @ B + b on the cross-entropy of the raw logits (F.cross_entropy applies "
                "log-softmax itself), with A of shape (d, rank), and use the given rank, steps and lr")

    # 4. the seed: the same seed gives the same probe, another seed another one (the few-steps case again)
    X, y = _few_steps_data()
    case, (W, b) = seed_case, first_probe
    with one_thread():
        again = _probe_parameters(fit_low_rank_probe(X, y, 2, 1, steps=3, lr=0.01, seed=0), case=case, d=3,
                                  n_classes=2)
        other = _probe_parameters(fit_low_rank_probe(X, y, 2, 1, steps=3, lr=0.01, seed=1), case=case, d=3,
                                  n_classes=2)
    expect_true(np.array_equal(W, again[0]) and np.array_equal(b, again[1]),
                "Two calls with the same seed gave different probes.", case=case,
                hint="draw A and B from torch.Generator().manual_seed(seed) (pass generator= to torch.randn)")
    expect_true(not np.array_equal(W, other[0]), "Seeds 0 and 1 gave the same probe.",
                case={**case, "seed": "0 and 1"},
                hint="initialise A and B with 0.1 * torch.randn(..., generator=torch.Generator().manual_seed(seed))")


@exercise("06.ablate_direction", points=1, reference=ref.ablate_direction,
          title="remove the component of the activations along a direction", mistakes=mistakes.ABLATE_DIRECTION)
def check_ablate_direction(ablate_direction):
    generator = torch.Generator().manual_seed(6)
    cases = [(torch.randn(5, 4, generator=generator), torch.tensor([3.0, 0.0, 4.0, 0.0])),      # norm 5
             (torch.randn(2, 3, 4, generator=generator), torch.tensor([0.2, -0.1, 0.0, 0.2])),  # norm 0.3
             (torch.randn(6, 4, generator=generator), torch.tensor([0.0, 1.0, 0.0, 0.0]))]      # a unit vector
    for acts, direction in cases:
        case = {"acts": acts, "direction": direction}
        with one_thread():
            got = ablate_direction(acts.clone(), direction.clone())
        expected = ref.ablate_direction(acts, direction).numpy()
        array = as_array(got, case=case, what="the ablated activations")
        if array.shape != tuple(acts.shape):
            raise CheckFailure(f"the ablated activations should have the shape of `acts`, {tuple(acts.shape)}, "
                               f"but they have shape {array.shape}.", case=case, show_values=False)
        expect_close(array, expected, case=case, what="the ablated activations", rtol=1e-4, atol=1e-5,
                     mistakes=mistakes.ABLATE_DIRECTION.answers(acts, direction),
                     hint="u = direction / |direction|; return acts − (acts @ u)[..., None] * u")
        d = direction.numpy()
        residue = np.abs(array @ (d / np.linalg.norm(d))).max()
        expect_true(residue < 1e-4, f"The result still has a component {residue:.3g} along the direction.",
                    case=case, hint="after ablation, (result @ direction) must be 0 for every row")
