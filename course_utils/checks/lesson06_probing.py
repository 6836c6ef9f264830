"""Checkers for lesson 06: probing.

Probes are trained with random initialisations and optimisers the learner chooses, so the checks on
training functions are properties (shapes, rank, held-out accuracy on data built so that a known mistake
fails). Everything deterministic (activations, accuracies under a given fitter, selectivity, ablation)
is compared with the reference on the same inputs, and the likely mistakes are computed and named.
"""

import numpy as np
import torch

from ..checking import CheckFailure, as_array, as_float, expect_close, expect_true
from ..exercises import exercise
from ..threads import one_thread
from ..lessons import LessonInfo
from ..models.tinygpt import TinyGPT, TinyGPTConfig
from ..reference import lesson06_probing as ref

LESSON = LessonInfo("06", "probing", "Probing", 90,
                    "activations from forward hooks, linear probes layer by layer, control tasks and selectivity, "
                    "probe capacity (MLP vs low-rank), ablating and steering along a probe direction")


# ---------------------------------------------------------------------------------------------- helpers



def _small_model():
    config = TinyGPTConfig(vocab_size=11, n_ctx=16, d_model=8, n_heads=2, n_layers=2, d_mlp=16)
    model = TinyGPT(config, seed=6)
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
    """A deterministic probe that can memorise: one-hot least squares (minimum norm), with a bias column."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    solution = np.linalg.lstsq(X1, np.eye(n_classes)[y], rcond=None)[0]
    return lambda Z: np.hstack([np.asarray(Z), np.ones((len(Z), 1))]) @ solution


# ---------------------------------------------------------------------------------------------- exercises

@exercise("06.residual_activations", points=1, reference=ref.residual_activations,
          title="the residual stream after a layer, read with a forward hook")
def check_residual_activations(residual_activations):
    with one_thread():
        model = _small_model()
        tokens = torch.tensor([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 7, 0, 7, 9]])
        _, cache = model.run_with_cache(tokens)
    flat = lambda name: cache[name].reshape(-1, cache[name].shape[-1]).numpy()   # noqa: E731
    for layer in (0, 1, 2):
        case = {"tokens": tokens, "layer": layer}
        expected = flat(ref.hook_name(layer))
        with one_thread():
            got = residual_activations(model, tokens.clone(), layer)
        mistakes = {"flatten batch-major: row b * seq + p is position p of sequence b (reshape, no transpose)":
                    cache[ref.hook_name(layer)].transpose(0, 1).reshape(-1, 8).numpy()}
        if layer == 0:
            mistakes["layer 0 is what the first block reads: token embedding *plus* position embedding "
                     "(blocks.0.hook_resid_pre)"] = flat("hook_embed")
        if layer < 2:
            mistakes["off by one layer: layer l is the output of block l - 1 (layer 0 is the embedding)"] = \
                flat(ref.hook_name(layer + 1))
        if layer > 0:
            mistakes["read the block's output (hook_resid_post), not its middle (hook_resid_mid)"] = \
                flat(f"blocks.{layer - 1}.hook_resid_mid")
        expect_close(got, expected, case=case, what="the activations", rtol=1e-4, atol=1e-5, mistakes=mistakes,
                     hint="hook `blocks.0.hook_resid_pre` for layer 0 and `blocks.{layer-1}.hook_resid_post` "
                          "otherwise; return a (batch * seq, d_model) numpy array")


@exercise("06.fit_probe", points=1, reference=ref.fit_probe, title="a linear probe by logistic regression")
def check_fit_probe(fit_probe):
    X, y = _blobs_on_a_ray(0)
    X_test, y_test = _blobs_on_a_ray(1)
    case = {"X": "120 points in 3 classes at distances 1, 2, 3 along the first axis", "n_classes": 3,
            "steps": 100}
    with one_thread():
        answer = fit_probe(X, y, 3, steps=100)
    W, b = _probe_parameters(answer, case=case, d=2, n_classes=3)
    accuracy = _accuracy(W, b, X_test, y_test)
    expect_true(accuracy >= 0.9, f"Your probe's held-out accuracy is {accuracy:.3f}; it should be at least 0.9.",
                case=case, hint="all three classes lie on one ray from the origin, so only a probe *with a bias* "
                                "separates them: logits = X @ W + b, and train b too. Also check that you "
                                "run the requested number of steps")


@exercise("06.probe_accuracy", points=1, reference=ref.probe_accuracy,
          title="held-out accuracy: fit on the training rows, score on the test rows")
def check_probe_accuracy(probe_accuracy):
    rng = np.random.default_rng(6)
    # random labels with more features than training rows: a memorising probe is perfect on its training rows
    X = rng.normal(size=(80, 60))
    cases = [("random labels, 60 features, 40 training rows", X, rng.integers(0, 2, size=80), 2)]
    X2 = rng.normal(size=(90, 4))
    cases.append(("a learnable task: label = sign of the first feature", X2, (X2[:, 0] > 0).astype(int), 2))
    for description, X, y, n_classes in cases:
        is_test = np.arange(len(y)) % 2 == 1
        case = {"data": description, "is_test": "every second row", "fit": "one-hot least squares"}
        expected = ref.probe_accuracy(_least_squares_fit, X, y, is_test, n_classes)

        def score(train, test):
            predict = _least_squares_fit(X[train], y[train], n_classes)
            return float(np.mean(np.argmax(predict(X[test]), axis=1) == y[test]))

        everything = np.ones(len(y), dtype=bool)
        mistakes = {"fit the probe on the training rows only: fitting on every row lets it memorise the test "
                    "rows": score(everything, is_test),
                    "fit on the rows with is_test False and score on the rows with is_test True: accuracy on the "
                    "rows the probe was fitted on measures memory, not information": score(~is_test, ~is_test),
                    "`is_test` marks the rows to *score*; fit on the others (~is_test): accuracy on the rows the "
                    "probe was fitted on measures memory, not information": score(is_test, is_test)}
        mistakes = {hint: value for hint, value in mistakes.items() if abs(value - expected) > 1e-9}
        got = as_float(probe_accuracy(_least_squares_fit, X, y, is_test, n_classes), case=case,
                       what="the accuracy")
        expect_close(got, expected, case=case, what="the held-out accuracy", rtol=0, atol=1e-9, mistakes=mistakes,
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
    # the label distribution follows the task's: 90 % of tokens are class 0 here
    skewed = np.where(rng.random(2000) < 0.9, 0, 5)
    case = {"types": "2000 tokens of 200 types", "labels": "90 % zeros, 10 % fives", "seed": 0}
    got = as_array(control_task_labels(types, skewed, 0), shape=(2000,), case=case, what="the control labels")
    expect_true(set(np.unique(got)) <= {0, 5}, "Some control labels are not labels of the task.", case=case,
                got=sorted(set(np.unique(got)) - {0, 5}),
                hint="draw each type's label from the task's labels (e.g. rng.choice(labels)), not from range(k)")
    share = np.mean([got[types == t][0] == 0 for t in np.unique(types)])
    expect_true(0.75 <= share <= 0.99, f"{share:.0%} of the types got label 0, but the task gives label 0 to 90 % "
                "of its tokens.", case=case,
                hint="sample each type's label from the task's empirical distribution (rng.choice(labels)), "
                     "not uniformly from the distinct labels")


@exercise("06.selectivity", points=1, reference=ref.selectivity, title="selectivity, layer by layer")
def check_selectivity(selectivity):
    cases = [(np.array([0.65, 0.92, 0.98]), np.array([0.62, 0.66, 0.60])),
             (np.array([0.99]), np.array([0.96])),
             (np.array([0.5, 0.7]), np.array([0.8, 0.4]))]
    for task, control in cases:
        case = {"task_accuracy": task, "control_accuracy": control}
        got = selectivity(task, control)
        expect_close(got, task - control, case=case, what="the selectivity", rtol=0, atol=1e-9,
                     mistakes={"selectivity = task accuracy − control accuracy (you subtracted the other way)":
                               control - task,
                               "selectivity is a difference of accuracies, not a ratio": task / control,
                               "keep the sign: a negative selectivity says the probe memorises more than it reads":
                               np.abs(task - control)},
                     hint="subtract the control accuracy from the task accuracy, entry by entry")


@exercise("06.fit_low_rank_probe", points=1, reference=ref.fit_low_rank_probe,
          title="a low-rank linear probe W = A B")
def check_fit_low_rank_probe(fit_low_rank_probe):
    X, y = _signal_off_axis(0)
    X_test, y_test = _signal_off_axis(1)
    case = {"X": "150 points in 6-D; the classes differ only along (0, 0, 0, 0, 1, 1)/√2", "n_classes": 3,
            "rank": 1, "steps": 100}
    with one_thread():
        answer = fit_low_rank_probe(X, y, 3, 1, steps=100)
    W, b = _probe_parameters(answer, case=case, d=6, n_classes=3)
    singular = np.linalg.svd(W, compute_uv=False)
    expect_true(singular[1] <= 1e-4 * max(singular[0], 1e-12),
                f"W should have rank at most 1, but its singular values are {np.round(singular, 3).tolist()}.",
                case=case, hint="parametrise W = A @ B with A of shape (d, rank) and B of shape (rank, n_classes), "
                                "train A, B and b, and return A @ B")
    accuracy = _accuracy(W, b, X_test, y_test)
    expect_true(accuracy >= 0.85, f"Your probe's held-out accuracy is {accuracy:.3f}; it should be at least 0.85.",
                case=case, hint="a rank-1 probe may read *any* direction, not only the first `rank` features: learn "
                                "A (d × rank) freely. And keep the bias: the middle class needs it")


@exercise("06.ablate_direction", points=1, reference=ref.ablate_direction,
          title="remove the component of the activations along a direction")
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
        a, d = acts.numpy(), direction.numpy()
        mistakes = {"project on the *unit* vector u = direction / |direction|: x − (x·u) u (you used the direction "
                    "as if its length were 1)": a - (a @ d)[..., None] * d,
                    "the projection of x on d is (x·d / |d|²) d: divide by the squared norm (or use the unit "
                    "vector twice)": a - (a @ d)[..., None] * d / np.linalg.norm(d),
                    "subtract the component along the direction from x; you returned the component itself":
                        a - expected}
        expect_close(array, expected, case=case, what="the ablated activations", rtol=1e-4, atol=1e-5,
                     mistakes=mistakes, hint="u = direction / |direction|; return acts − (acts @ u)[..., None] * u")
        residue = np.abs(array @ (d / np.linalg.norm(d))).max()
        expect_true(residue < 1e-4, f"The result still has a component {residue:.3g} along the direction.",
                    case=case, hint="after ablation, (result @ direction) must be 0 for every row")
