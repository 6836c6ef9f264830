"""Hidden cases for lesson 08: local explanations (saliency, gradient × input, integrated gradients,
occlusion, Spearman's correlation and the model-randomization test).

Models are small MLPs built inside the generators with torch seeded from the case rng (the global torch
random state is left as it was). torch is imported inside the functions only: the grader imports this
module when it grades any lesson.
"""
import numpy as np

from ...checking import as_array, expect_close
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden

# a ReLU pre-activation closer than this to 0 could flip with float rounding: such inputs are redrawn
KINK_MARGIN = 1e-3


def _mlp(rng, sizes, activation):
    import torch

    from ...models.mlp import MLP

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2 ** 31)))
        model = MLP(sizes, activation)
    model.eval()
    return model


def _tensor(values):
    import torch

    return torch.tensor(np.asarray(values, dtype=float).round(2), dtype=torch.float32)


def _clear_of_kinks(model, points):
    """True when no hidden ReLU pre-activation at any row of ``points`` is within KINK_MARGIN of 0."""
    import torch

    if model.activation_name != "relu":
        return True
    with torch.no_grad():
        acts = model.activations(points.reshape(-1, model.sizes[0]))
    return all(float(acts[f"linear{i}"].abs().min()) > KINK_MARGIN for i in range(len(model.linears) - 1))


def _random_model(rng, activations=("relu", "tanh", "sigmoid", "gelu")):
    d, classes = int(rng.integers(3, 9)), int(rng.integers(2, 6))
    hidden_layers = [int(h) for h in rng.integers(3, 11, size=int(rng.integers(1, 3)))]
    return _mlp(rng, [d, *hidden_layers, classes], str(rng.choice(activations))), d, classes


def _attribution_compare(got, want):
    """float32 gradients: the checker's tolerances (rtol 1e-4, atol 1e-5), on a result shaped like x."""
    expected = np.asarray(want.detach().numpy() if hasattr(want, "detach") else want, dtype=float)
    expect_close(as_array(got, shape=expected.shape), expected, rtol=1e-4, atol=1e-5)


def _gradient_cases(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        model, d, classes = _random_model(rng)
        for _attempt in range(20):
            x = _tensor(rng.uniform(-1.5, 1.5, size=d))
            if _clear_of_kinks(model, x):
                break
        else:  # no kink-free input found: the same shape with a smooth activation
            model = _mlp(rng, model.sizes, "tanh")
        cases.append(((model, x, int(rng.integers(0, classes))), {}))
    return cases


@hidden("08.saliency", compare=_attribution_compare)
def _saliency(rng):
    return _gradient_cases(rng)


@hidden("08.gradient_times_input", compare=_attribution_compare)
def _gradient_times_input(rng):
    return _gradient_cases(rng)


def _path_cases(rng, alphas_for, counts, default):
    """(model, x, baseline, target[, count]) with every path point clear of ReLU kinks; the count is left out
    (the function's default) when it equals ``default``."""
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        model, d, classes = _random_model(rng)
        count = int(rng.choice(counts))
        for _attempt in range(20):
            x = _tensor(rng.uniform(-1.5, 1.5, size=d))
            baseline = torch.zeros(d) if index % 3 == 0 else _tensor(rng.uniform(-0.5, 0.5, size=d))
            alphas = torch.tensor(alphas_for(count), dtype=torch.float32)
            if _clear_of_kinks(model, baseline + alphas[:, None] * (x - baseline)):
                break
        else:  # no kink-free path found: the same shape with a smooth activation
            model = _mlp(rng, model.sizes, "tanh")
        target = int(rng.integers(0, classes))
        cases.append(((model, x, baseline, target) + (() if count == default else (count,)), {}))
    return cases


def _midpoints(steps):
    return (np.arange(steps) + 0.5) / steps


def _gauss_nodes(nodes):
    return (np.polynomial.legendre.leggauss(nodes)[0] + 1) / 2


@hidden("08.integrated_gradients", compare=_attribution_compare)
def _integrated_gradients(rng):
    return _path_cases(rng, _midpoints, [1, 2, 5, 7, 10, 20, 32, 50], default=50)


@hidden("08.integrated_gradients_gauss", compare=_attribution_compare)
def _integrated_gradients_gauss(rng):
    return _path_cases(rng, _gauss_nodes, [1, 2, 3, 5, 6, 8, 12], default=8)


@hidden("08.occlusion_map", compare=_attribution_compare)
def _occlusion(rng):
    # the model's output is continuous in the image, so ReLU kinks do not matter here
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        height, width = (int(s) for s in rng.integers(2, 7, size=2))
        classes = int(rng.integers(2, 5))
        model = _mlp(rng, [height * width, int(rng.integers(3, 10)), classes],
                     str(rng.choice(["relu", "tanh", "gelu"])))
        image = _tensor(rng.uniform(0, 1, size=(height, width)))
        window = int(rng.integers(1, min(height, width) + 1))
        fill = float(rng.choice([0.0, 0.5, 1.0, round(float(rng.uniform(-1, 1)), 2)]))
        cases.append(((model, image, int(rng.integers(0, classes)), window, fill), {}))
    return cases


@hidden("08.spearman_correlation")
def _spearman(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        shape = (int(rng.integers(6, 20)),) if index % 2 == 0 else tuple(int(s) for s in rng.integers(2, 5, size=2))
        a = rng.normal(size=shape)
        b = float(rng.normal(0, 1.5)) * a + rng.normal(size=shape)
        if index % 4 >= 2:  # a coarse grid: exact ties, which share their average rank
            a, b = a.round(0), b.round(0)
        else:
            a, b = a.round(3), b.round(3)
        if np.ptp(a) == 0:
            a.flat[0] += 1.0
        if np.ptp(b) == 0:
            b.flat[0] += 1.0
        cases.append(((a, b), {}))
    return cases


def integrated_gradients_from_zero(model, x, target):
    """An attribution method for the randomization test: 16-step integrated gradients from the zero baseline."""
    import torch

    from .reference import integrated_gradients

    return integrated_gradients(model, x, torch.zeros_like(x), target, 16)


def _correlations_compare(got, want):
    want = np.asarray(want, dtype=float)
    expect_close(as_array(got, shape=want.shape), want, rtol=1e-5, atol=1e-6)


@hidden("08.randomization_correlations", compare=_correlations_compare)
def _randomization(rng):
    from . import reference as ref

    methods = [ref.saliency, ref.gradient_times_input, integrated_gradients_from_zero]
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        model, d, classes = _random_model(rng, ("relu", "tanh"))
        random_model = ref.randomized_copy(model, int(rng.integers(2 ** 31)))
        method = methods[len(cases) % len(methods)]
        images, targets = [], []
        for _ in range(int(rng.integers(2, 6))):
            x = _tensor(rng.uniform(0, 1, size=d))
            if rng.random() < 0.3:
                x[:int(rng.integers(1, d - 1))] = 0.0   # exact ties at 0 for gradient × input
            images.append(x)
            targets.append(int(rng.integers(0, classes)))
        # a constant attribution has no ranking (the correlation is undefined): such a case is drawn again
        # (a ReLU network with every hidden unit off has a zero gradient; an input of zeros, zero IG)
        if not all(
                np.ptp(np.abs(method(m, x, t).detach().numpy())) > 1e-6
                for x, t in zip(images, targets) for m in (model, random_model)):
            continue
        cases.append(((method, model, random_model, images, targets), {}))
    return cases
