"""Hidden cases for lesson 06 (probing).

Trained probes differ between correct implementations (initialisation, float details of the
optimiser), and control labels are random, so those exercises have no unique answer: their
comparisons check properties, as the public checker does. A comparison sees only the two results,
never the case, so the data behind those cases is laid out canonically from what the results
reveal (their shapes, a probe's rank, the number of tokens): ``_probe_centres`` and
``_control_layout`` rebuild it, and only the noise, the sizes and the seeds come from the grading
seed. Every case of such an exercise has its own shape, so no one answer fits two of them.
What needs the case itself is observed next to the result, for the reference and the learner
alike: a probe's training cross-entropy (a probe must reach the reference's loss, and after a few
steps must not be far below it), the probe of the next seed, and the control labels of the same
seed again and of the next seed.

torch and the course's TinyGPT are imported inside the functions (the grader imports every
lesson's module, also when grading a torch-free lesson).
"""
import numpy as np

from ...checking import CheckFailure, as_array, expect_close, expect_true
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden

# --- activations ----------------------------------------------------------------------------------


def _random_model(rng, d_model):
    """A small TinyGPT, seeded from rng, whose blocks visibly change the residual stream (as in the checker)."""
    import torch

    from ...models.tinygpt import TinyGPT, TinyGPTConfig

    config = TinyGPTConfig(vocab_size=int(rng.integers(6, 16)), n_ctx=12, d_model=d_model,
                           n_heads=2, n_layers=int(rng.integers(1, 4)), d_mlp=16)
    model = TinyGPT(config, seed=int(rng.integers(2**31)))
    with torch.no_grad():
        for block in model.blocks:
            block.mlp.W_out.mul_(20.0)
            block.attn.W_O.mul_(20.0)
    return model.eval()


def _activations_compare(got, want):
    expect_close(got, want, rtol=1e-4, atol=1e-5)


@hidden("06.residual_activations", compare=_activations_compare)
def _residual_activations(rng):
    import torch

    cases, widths = [], rng.permutation([4, 6, 8, 12])   # one model per two cases, each of its own width
    for i in range(CASES_PER_EXERCISE):
        if i % 2 == 0:
            model = _random_model(rng, int(widths[i // 2]))
        batch, seq = int(rng.integers(1, 4)), int(rng.integers(2, model.config.n_ctx + 1))
        tokens = torch.tensor(rng.integers(0, model.config.vocab_size, size=(batch, seq)), dtype=torch.long)
        layer = int(rng.integers(0, model.config.n_layers + 1))
        cases.append(((model, tokens, layer), {}))
    return cases


# --- linear and low-rank probes -------------------------------------------------------------------

def _probe_centres(d, n_classes, rank=None):
    """Class centres (n_classes, d) of a probe case, a function of the shapes (and rank) only.

    Full probes (rank None): the corners of a regular polygon in a plane, off the origin. Low-rank
    probes: centres that span a rank-dimensional subspace: a line for rank 1, a regular polygon with
    too many corners to be told apart along one direction for rank 2.
    """
    rotation = np.linalg.qr(np.random.default_rng([d, n_classes, rank or 0]).normal(size=(d, d)))[0]
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    polygon = np.outer(np.cos(angles), rotation[:, 0]) + np.outer(np.sin(angles), rotation[:, 1])
    if rank is None:
        return 2.0 * polygon + 1.5 * rotation[:, 0] + 1.0 * rotation[:, 1]
    if rank == 1:
        return np.outer(3.0 * (np.arange(n_classes) - (n_classes - 1) / 2), rotation[:, 0]) + 2.0 * rotation[:, 1]
    return 3.0 * polygon + 2.0 * rotation[:, 2]


def _probe_data(rng, centres, noise):
    n_classes = len(centres)
    counts = rng.integers(15, 40, size=n_classes)
    y = np.repeat(np.arange(n_classes), counts)
    X = centres[y] + noise * rng.normal(size=(len(y), centres.shape[1]))
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order]


def _probe_parts(got, want):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure("the probe should be returned as a tuple (W, b)")
    W = as_array(got[0], shape=np.shape(want[0]), what="W")
    b = as_array(got[1], shape=np.shape(want[1]), what="b")
    expect_true(bool(np.all(np.isfinite(W)) and np.all(np.isfinite(b))), "the probe contains nan or inf")
    return W, b


def _cross_entropy(W, b, X, y):
    logits = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)
    logits = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(y)), np.asarray(y)]))


FEW_STEPS = 5


def _probe_and_loss(function, args, kwargs):
    """The probe, its training cross-entropy (a probe must minimise it) and the number of steps.

    A case of a few steps also records the probe that the next seed gives (None for the other cases).
    """
    probe = function(*args, **kwargs)
    try:
        loss = _cross_entropy(probe[0], probe[1], args[0], args[1])
    except Exception:  # noqa: BLE001 - a malformed probe fails in the comparison, with a sentence
        loss = float("nan")
    steps, other = kwargs["steps"], None
    if steps <= FEW_STEPS:
        other = function(*args, **{**kwargs, "seed": kwargs["seed"] + 1})
    return probe, loss, steps, other


# a correct probe's training loss is within 0.02 of the reference's after the same steps (whatever its
# initialisation); a softmax before the cross-entropy, a missing bias or a rank-1 probe is 0.1 to 1 above it
CROSS_ENTROPY_SLACK = 0.05


def _expect_loss(got_loss, want_loss):
    expect_true(bool(np.isfinite(got_loss)) and got_loss <= want_loss + CROSS_ENTROPY_SLACK,
                f"training cross-entropy {got_loss:.3f}, the reference reaches {want_loss:.3f}")


def _expect_few_steps(got_loss, want_loss):
    """After a few small steps (on data of a small scale), no initialisation gets within 0.12 of this floor."""
    expect_true(bool(np.isfinite(got_loss)) and got_loss >= want_loss - 0.35,
                f"training cross-entropy {got_loss:.3f} after a few steps: trained for longer than asked")


def _held_out_accuracy(W, b, centres, noise):
    """Accuracy on fresh points around the centres (a fixed draw: the same points for every probe)."""
    rng = np.random.default_rng(12345)
    y = np.repeat(np.arange(len(centres)), 40)
    X = centres[y] + noise * rng.normal(size=(len(y), centres.shape[1]))
    return float(np.mean(np.argmax(X @ W + b, axis=1) == y))


def _expect_accurate(W, b, want, centres, noise, floor):
    reference = _held_out_accuracy(np.asarray(want[0]), np.asarray(want[1]), centres, noise)
    accuracy = _held_out_accuracy(W, b, centres, noise)
    expect_true(accuracy >= min(floor, reference - 0.05),
                f"held-out accuracy {accuracy:.3f} (the reference reaches {reference:.3f})")


def _probe_compare(got, want):
    (got, got_loss, _, _), (want, want_loss, steps, _) = got, want
    W, b = _probe_parts(got, want)
    if steps <= FEW_STEPS:
        _expect_few_steps(got_loss, want_loss)
        return
    d, n_classes = W.shape
    _expect_accurate(W, b, want, _probe_centres(d, n_classes), 0.2, 0.9)
    _expect_loss(got_loss, want_loss)


def _few_steps_case(rng, d, n_classes, rank=None):
    """Separated classes at a small scale, 3 steps at lr 0.01: far from trained, whatever the initialisation."""
    X, y = _probe_data(rng, _probe_centres(d, n_classes, rank), 0.3)
    return (0.3 * X).astype(np.float32), y


@hidden("06.fit_probe", compare=_probe_compare, observe=_probe_and_loss)
def _fit_probe(rng):
    # every case has its own number of features, so no probe fits two cases; every other case has overlapping
    # classes (the cross-entropy then has a finite minimum, which a softmax before it misses)
    cases = []
    for i, d in enumerate(rng.permutation(np.arange(2, 2 + CASES_PER_EXERCISE))[:4]):   # 4 cases: each trains
        n_classes = int(rng.integers(2, 6))
        noise = float(rng.uniform(0.2, 0.5) if i % 2 else rng.uniform(1.0, 1.5))
        X, y = _probe_data(rng, _probe_centres(int(d), n_classes), noise)
        steps, lr = (100, 0.05) if i % 2 else (int(rng.integers(80, 120)), float(rng.choice([0.1, 0.15])))
        cases.append(((X, y, n_classes), {"steps": steps, "lr": lr, "seed": int(rng.integers(100))}))
    # a case of a few steps, with a number of features of its own
    X, y = _few_steps_case(rng, int(rng.integers(2 + CASES_PER_EXERCISE, 12 + CASES_PER_EXERCISE)),
                           int(rng.integers(2, 4)))
    cases.append(((X, y, len(np.unique(y))), {"steps": 3, "lr": 0.01, "seed": int(rng.integers(100))}))
    return cases


def _rank(W, tolerance=1e-3):
    singular = np.linalg.svd(np.asarray(W, dtype=float), compute_uv=False)
    return int(np.sum(singular > tolerance * max(singular[0], 1e-12))), singular


def _low_rank_compare(got, want):
    (got, got_loss, _, got_other), (want, want_loss, steps, _) = got, want
    W, b = _probe_parts(got, want)
    rank, _ = _rank(want[0])
    _, singular = _rank(W)
    expect_true(bool(np.all(singular[rank:] <= 1e-4 * max(singular[0], 1e-12))),
                f"W should have rank at most {rank}")
    if steps <= FEW_STEPS:   # the initialisation follows the seed; and no more training than asked
        other, _ = _probe_parts(got_other, want)
        expect_true(not np.array_equal(W, other), "two seeds gave the same probe")
        _expect_few_steps(got_loss, want_loss)
        return
    d, n_classes = W.shape
    _expect_accurate(W, b, want, _probe_centres(d, n_classes, rank), 0.3, 0.85)
    _expect_loss(got_loss, want_loss)


@hidden("06.fit_low_rank_probe", compare=_low_rank_compare, observe=_probe_and_loss)
def _fit_low_rank_probe(rng):
    cases, ranks = [], rng.permutation([1, 1, 2, 2])   # 4 cases: each trains a probe
    three_on_a_line = True
    for d, rank in zip(rng.permutation(np.arange(3, 3 + CASES_PER_EXERCISE)), ranks):
        rank = int(rank)
        # rank 1: one case of three classes on a line (the middle one needs the bias); rank 2: enough classes
        # around a circle that no single direction separates them
        if rank == 1:
            n_classes, three_on_a_line = (3 if three_on_a_line else int(rng.integers(2, 4))), False
        else:
            n_classes = int(rng.integers(6, 9))
        # overlapping classes: the cross-entropy has a finite minimum, which a softmax before it misses
        X, y = _probe_data(rng, _probe_centres(int(d), n_classes, rank), float(rng.uniform(0.9, 1.4)))
        cases.append(((X, y, n_classes, rank), {"steps": int(rng.integers(90, 130)),
                                                "lr": float(rng.choice([0.05, 0.1])), "seed": int(rng.integers(100))}))
    # a case of a few steps (rank 1, a number of features of its own): the seed must matter
    X, y = _few_steps_case(rng, int(rng.integers(3 + CASES_PER_EXERCISE, 12 + CASES_PER_EXERCISE)), 2, 1)
    cases.append(((X, y, 2, 1), {"steps": 3, "lr": 0.01, "seed": int(rng.integers(100))}))
    return cases


# --- held-out accuracy ----------------------------------------------------------------------------

def _least_squares_fit(X, y, n_classes):
    """A deterministic fitter: one-hot least squares with a bias column."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    solution = np.linalg.lstsq(X1, np.eye(n_classes)[y], rcond=None)[0]
    return lambda Z: np.hstack([np.asarray(Z), np.ones((len(Z), 1))]) @ solution


def _centroid_fit(X, y, n_classes):
    """A deterministic fitter: the nearest class mean (score = minus the squared distance)."""
    means = np.stack([X[y == k].mean(axis=0) for k in range(n_classes)])
    return lambda Z: -((np.asarray(Z)[:, None, :] - means[None]) ** 2).sum(axis=-1)


@hidden("06.probe_accuracy")
def _probe_accuracy(rng):
    cases = []
    for i in range(CASES_PER_EXERCISE):
        n_classes = int(rng.integers(2, 5))
        n, d = int(rng.integers(30, 90)), int(rng.integers(2, 40))
        y = np.resize(np.arange(n_classes), n)[rng.permutation(n)]   # every class, also among training rows
        X = rng.normal(size=(n, d)) + (rng.normal(0, float(rng.uniform(0, 2)), size=(n_classes, d)))[y]
        is_test = np.zeros(n, dtype=bool)
        is_test[rng.choice(n, size=int(rng.integers(n // 4, n // 2)), replace=False)] = True
        while any(not np.any(y[~is_test] == k) for k in range(n_classes)):
            is_test[np.flatnonzero(is_test)[0]] = False
        fit = _centroid_fit if i % 2 else _least_squares_fit
        cases.append(((fit, X, y, is_test, n_classes), {}))
    return cases


# --- control tasks and selectivity ----------------------------------------------------------------

def _control_layout(n):
    """Token types (n,) and task labels (a function of the type) of a control-task case of n tokens.

    At least 60 types, and one label that covers 80 to 90 % of the types: a control task that draws labels
    uniformly from the distinct labels (not from the task's distribution) gives it to far fewer types.
    """
    rng = np.random.default_rng([n, 6])
    n_types = int(rng.integers(max(60, n // 12), max(61, n // 5)))
    types = rng.integers(0, n_types, size=n)
    values = rng.choice([0, 1, 2, 3, 4, 5, 7, 9], size=int(rng.integers(3, 6)), replace=False)
    major = rng.uniform(0.8, 0.9)
    p = np.concatenate([[major], np.full(len(values) - 1, (1 - major) / (len(values) - 1))])
    per_type = rng.choice(values, size=n_types, p=p)
    return types, per_type[types]


def _control_three_calls(function, args, kwargs):
    """The labels for the case's seed, for the same seed again, and for another seed."""
    types, labels, seed = args
    return (function(types, labels, seed), function(types, labels, seed), function(types, labels, seed + 1))


def _control_compare(got, want):
    n = len(np.asarray(want[0]))
    types, labels = _control_layout(n)
    first, again, other = (as_array(g, shape=(n,), what="the control labels") for g in got)
    expect_true(set(np.unique(first)) <= set(np.unique(labels).tolist()), "labels that are not the task's")
    for t in np.unique(types):
        expect_true(len(np.unique(first[types == t])) == 1, "tokens of one type got different labels")
    expect_true(np.array_equal(first, again), "the same seed gave different labels")
    expect_true(not np.array_equal(first, other), "two seeds gave the same labels")
    # the share of types with the task's most common label follows the task's token distribution
    values, counts = np.unique(labels, return_counts=True)
    major, p = values[np.argmax(counts)], counts.max() / n
    distinct = np.unique(types)
    share = np.mean([first[types == t][0] == major for t in distinct])
    expect_true(abs(share - p) <= 5 * np.sqrt(p * (1 - p) / len(distinct)) + 0.02,
                "the labels do not follow the task's label distribution")


@hidden("06.control_task_labels", compare=_control_compare, observe=_control_three_calls)
def _control_task_labels(rng):
    # the number of tokens fixes the layout (the comparison rebuilds it); the type ids are renamed at random
    cases = []
    for n in rng.choice(np.arange(400, 1500), size=CASES_PER_EXERCISE, replace=False):
        types, labels = _control_layout(int(n))
        n_ids = int(types.max()) + 1
        names = rng.choice(10 * n_ids, size=n_ids, replace=False) + int(rng.integers(0, 50))
        cases.append(((names[types], labels, int(rng.integers(2**31))), {}))
    return cases


def _selectivity_compare(got, want):
    expect_close(got, want, rtol=1e-6, atol=1e-6)   # as the checker


@hidden("06.selectivity", compare=_selectivity_compare)
def _selectivity(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 7))
        cases.append(((rng.uniform(0.3, 1.0, n).round(3), rng.uniform(0.2, 1.0, n).round(3)), {}))
    return cases


# --- ablation -------------------------------------------------------------------------------------

def _ablation_compare(got, want):
    expect_close(as_array(got, shape=tuple(want.shape), what="the ablated activations"), want, rtol=1e-4, atol=1e-5)


@hidden("06.ablate_direction", compare=_ablation_compare)
def _ablate_direction(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        d = int(rng.integers(2, 9))
        lead = [(int(rng.integers(1, 7)),), (int(rng.integers(1, 4)), int(rng.integers(1, 5)))][i % 2]
        acts = torch.tensor(rng.normal(size=lead + (d,)), dtype=torch.float32)
        direction = rng.normal(size=d) * float(rng.choice([0.2, 1.0, 5.0]))
        direction *= max(1.0, 0.1 / np.linalg.norm(direction))
        cases.append(((acts, torch.tensor(direction, dtype=torch.float32)), {}))
    return cases
