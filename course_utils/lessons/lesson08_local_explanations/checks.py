"""Checkers for lesson 08: local explanations.

Every attribution method is checked on small, seeded networks where the answer is
known: against the reference on the same inputs, and by properties that hold
whatever the implementation (a linear model's integrated gradients are exact for
any number of steps; completeness; Sundararajan et al.'s sensitivity and implementation invariance; a rank
correlation ignores monotone maps).
The likely mistakes are computed and named.
"""
import copy

import numpy as np
import torch

from ...checking import as_array, expect_close, expect_true
from ...exercises import exercise
from .. import LessonInfo
from ...models.mlp import MLP
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("08", "local_explanations", "Local explanations", 90,
                    "saliency, gradient × input, integrated gradients with its completeness check, occlusion, the "
                    "model-randomization sanity check, cross-checked against Captum, on digits and on TinyGPT; "
                    "attention as explanation and its limits")

RTOL, ATOL = 1e-4, 1e-5


def _model(sizes, activation, seed):
    """A small seeded MLP (the global random state is left as it was)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = MLP(sizes, activation)
    model.eval()
    return model


def _linear(d, classes, seed, bias=True):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = torch.nn.Linear(d, classes, bias=bias)
    return model


def _vector(d, seed, low=-1.0, high=1.0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(low, high, size=d).round(2), dtype=torch.float32)


def _attribution(got, x, case, what="the attributions"):
    """The learner's answer as an array shaped like x, or a sentence about its shape."""
    if isinstance(got, torch.Tensor) and got.requires_grad:
        got = got.detach()
    return as_array(got, shape=tuple(x.shape), case=case, what=what)


def _plain(tensor):
    """A tensor as a short nested list of 2-decimal numbers (for the case line)."""
    return np.round(tensor.detach().numpy().astype(float), 2).tolist()


def _describe(name, x, target, **extra):
    parts = [f"model = {name}", f"x = {_plain(x)}", f"target = {target}"]
    parts += [f"{key} = {value}" for key, value in extra.items()]
    return ", ".join(parts)


# ---------------------------------------------------------------- gradients

def _gradient_cases():
    return [("a tanh MLP 6→5→3", _model([6, 5, 3], "tanh", 1), _vector(6, 1), 0),
            ("a ReLU MLP 6→8→4", _model([6, 8, 4], "relu", 2), _vector(6, 2, 0.0, 1.0), 2),
            ("a linear layer 5→3", _linear(5, 3, 3), _vector(5, 3), 1)]


@exercise("08.saliency", points=1, reference=ref.saliency, title="a saliency map, |∂f/∂x|",
          mistakes=mistakes.SALIENCY)
def check_saliency(saliency):
    for name, model, x, target in _gradient_cases():
        case = _describe(name, x, target)
        got = _attribution(saliency(model, x, target), x, case, "the saliency map")
        expect_close(got, ref.saliency(model, x, target), case=case, what="the saliency map", rtol=RTOL, atol=ATOL,
                     mistakes=mistakes.SALIENCY.answers(model, x, target),
                     hint="compute f = model(x.reshape(1, -1))[0, target], then torch.autograd.grad(f, x), "
                          "with x.requires_grad_(True), and take the absolute value")


@exercise("08.gradient_times_input", points=1, reference=ref.gradient_times_input,
          title="gradient × input", mistakes=mistakes.GRADIENT_TIMES_INPUT)
def check_gradient_times_input(gradient_times_input):
    for name, model, x, target in _gradient_cases():
        case = _describe(name, x, target)
        got = _attribution(gradient_times_input(model, x, target), x, case)
        expect_close(got, ref.gradient_times_input(model, x, target), case=case, rtol=RTOL, atol=ATOL,
                     mistakes=mistakes.GRADIENT_TIMES_INPUT.answers(model, x, target),
                     hint="gradient × input = x * ∂f/∂x, with f the target logit")
    model, x, target = _linear(5, 3, 4, bias=False), _vector(5, 4), 2
    got = _attribution(gradient_times_input(model, x, target), x, _describe("a linear layer without bias", x, target))
    with torch.no_grad():
        f = float(model(x.reshape(1, -1))[0, target])
    expect_true(abs(got.sum() - f) < 1e-4,
                "for a linear model without bias, gradient × input should add up to f(x) exactly.",
                case=_describe("a linear layer 5→3 without bias", x, target), expected=f, got=float(got.sum()))


# ---------------------------------------------------------------- integrated gradients

def _ig_cases():
    return [("a tanh MLP 6→5→3", _model([6, 5, 3], "tanh", 5), _vector(6, 5), torch.zeros(6), 1, 4),
            ("a tanh MLP 6→5→3", _model([6, 5, 3], "tanh", 6), _vector(6, 6), _vector(6, 7, -0.5, 0.5), 0, 3),
            ("a ReLU MLP 6→8→4", _model([6, 8, 4], "relu", 7), _vector(6, 8), _vector(6, 9, -0.5, 0.5), 3, 1),
            ("a tanh MLP 6→5→3", _model([6, 5, 3], "tanh", 8), _vector(6, 10), _vector(6, 11), 2, 16)]


class _OneMinusReLU(torch.nn.Module):
    """f(x) = 1 − ReLU(1 − x), one feature and one logit: Sundararajan et al.'s example for sensitivity."""

    def forward(self, batch):
        return 1 - torch.relu(1 - batch)


def _equivalent_twin(model, seed):
    """A copy of a one-hidden-layer tanh MLP with the same function and other weights: hidden units permuted and
    every second one sign-flipped (tanh(−z) = −tanh(z))."""
    twin = copy.deepcopy(model)
    first, last = twin.linears
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        order = torch.randperm(first.out_features)
    sign = torch.where(torch.arange(first.out_features) % 2 == 0, 1.0, -1.0)
    with torch.no_grad():
        first.weight.copy_(sign[:, None] * first.weight[order])
        first.bias.copy_(sign * first.bias[order])
        last.weight.copy_(last.weight[:, order] * sign)
    return twin


def _expect_sensitivity(attribute, count_name, count):
    """Sensitivity(a): x and the baseline differ in one feature and f(x) ≠ f(baseline), so that feature's attribution
    is not 0. Here f goes from 0 to 1 and is flat at x, so the gradient at x is 0; the path integral is exactly 1."""
    model, x, baseline = _OneMinusReLU(), torch.tensor([2.0]), torch.tensor([0.0])
    case = f"model = f(x) = 1 − ReLU(1 − x) (one feature, one logit), x = [2.0], target = 0, baseline = [0.0], " \
           f"{count_name} = {count}"
    got = _attribution(attribute(model, x, baseline, 0, count), x, case)
    expect_close(got, [1.0], case=case, rtol=RTOL, atol=ATOL,
                 hint="sensitivity (Sundararajan et al., 2017): f goes from 0 at the baseline to 1 at x, so the one "
                      "feature that differs must get a non-zero attribution, here exactly f(x) − f(baseline) = 1. "
                      "The gradient at x is 0 (f is flat there): integrate it along the whole path")


def _expect_implementation_invariance(attribute, count_name, count):
    """Two networks with the same function and different weights must get the same attributions."""
    model = _model([6, 5, 3], "tanh", 14)
    twin = _equivalent_twin(model, 15)
    x, baseline, target = _vector(6, 14), _vector(6, 15, -0.5, 0.5), 2
    case = _describe("a tanh MLP 6→5→3 and a copy with its hidden units permuted and sign-flipped (the same "
                     "function, other weights)", x, target, baseline=_plain(baseline), **{count_name: count})
    first = _attribution(attribute(model, x, baseline, target, count), x, case)
    second = _attribution(attribute(twin, x, baseline, target, count), x, case)
    expect_close(second, first, case=case, what="the attributions for the copy", rtol=RTOL, atol=ATOL,
                 hint="implementation invariance (Sundararajan et al., 2017): two networks that compute the same "
                      "function must get the same attributions. Compute IG from the model's outputs and their "
                      "gradients only, never from its weights")


@exercise("08.integrated_gradients", points=2, reference=ref.integrated_gradients,
          title="integrated gradients by the midpoint Riemann rule", mistakes=mistakes.INTEGRATED_GRADIENTS)
def check_integrated_gradients(integrated_gradients):
    for name, model, x, baseline, target, steps in _ig_cases():
        case = _describe(name, x, target, baseline=_plain(baseline), steps=steps)
        got = _attribution(integrated_gradients(model, x, baseline, target, steps), x, case)
        expected = ref.integrated_gradients(model, x, baseline, target, steps)
        expect_close(got, expected, case=case, rtol=RTOL, atol=ATOL,
                     mistakes=mistakes.INTEGRATED_GRADIENTS.answers(model, x, baseline, target, steps),
                     hint="IG = (x − baseline) * mean over k of ∇f(baseline + α_k (x − baseline)), "
                          "α_k = (k + ½)/steps")
    # a linear model: the gradient is constant, so IG is exact for any number of steps
    model, x, baseline, target = _linear(5, 3, 12), _vector(5, 12), _vector(5, 13), 1
    case = _describe("a linear layer 5→3", x, target, baseline=_plain(baseline), steps=7)
    got = _attribution(integrated_gradients(model, x, baseline, target, 7), x, case)
    expect_close(got, (x - baseline) * model.weight[target].detach(), case=case, rtol=RTOL, atol=ATOL,
                 hint="for a linear model IG is (x − baseline) * w[target] for any number of steps")
    # Sundararajan et al.'s axioms, checked as properties
    _expect_sensitivity(integrated_gradients, "steps", 4)
    _expect_implementation_invariance(integrated_gradients, "steps", 6)


@exercise("08.integrated_gradients_gauss", points=2, reference=ref.integrated_gradients_gauss,
          title="integrated gradients by Gauss–Legendre quadrature", mistakes=mistakes.INTEGRATED_GRADIENTS_GAUSS)
def check_integrated_gradients_gauss(integrated_gradients_gauss):
    for name, model, x, baseline, target, nodes in _ig_cases():
        case = _describe(name, x, target, baseline=_plain(baseline), nodes=nodes)
        got = _attribution(integrated_gradients_gauss(model, x, baseline, target, nodes), x, case)
        expected = ref.integrated_gradients_gauss(model, x, baseline, target, nodes)
        expect_close(got, expected, case=case, rtol=RTOL, atol=ATOL,
                     mistakes=mistakes.INTEGRATED_GRADIENTS_GAUSS.answers(model, x, baseline, target, nodes),
                     hint="t, w = np.polynomial.legendre.leggauss(nodes); α = (t + 1)/2; "
                          "IG = (x − baseline) * Σ_k (w_k/2) ∇f(baseline + α_k (x − baseline))")
    name, model, x, baseline, target, _ = _ig_cases()[0]
    case = _describe(name, x, target, baseline=_plain(baseline), nodes=8)
    got = _attribution(integrated_gradients_gauss(model, x, baseline, target, 8), x, case)
    with torch.no_grad():
        gap = float(ref.logit(model, x, target) - ref.logit(model, baseline, target))
    expect_true(abs(got.sum() - gap) < 1e-4,
                "with 8 nodes on this smooth model the attributions should add up to f(x) − f(baseline) "
                "(completeness) within 1e-4.", case=case, expected=gap, got=float(got.sum()))
    _expect_sensitivity(integrated_gradients_gauss, "nodes", 4)
    _expect_implementation_invariance(integrated_gradients_gauss, "nodes", 6)


# ---------------------------------------------------------------- occlusion

def _image(shape, seed):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.uniform(0, 1, size=shape).round(2), dtype=torch.float32)


@exercise("08.occlusion_map", points=2, reference=ref.occlusion_map, title="occlusion with a sliding window",
          mistakes=mistakes.OCCLUSION_MAP)
def check_occlusion_map(occlusion_map):
    cases = [("a ReLU MLP 20→8→3 on 4×5 images", _model([20, 8, 3], "relu", 20), _image((4, 5), 20), 1, 2, 0.0),
             ("a tanh MLP 25→6→2 on 5×5 images", _model([25, 6, 2], "tanh", 21), _image((5, 5), 21), 0, 3, 0.5),
             ("a tanh MLP 12→5→3 on 3×4 images", _model([12, 5, 3], "tanh", 22), _image((3, 4), 22), 2, 1, 0.0)]
    for name, model, image, target, window, fill in cases:
        case = (f"model = {name}, image = {_plain(image)}, target = {target}, "
                f"window = {window}, fill = {fill}")
        got = as_array(occlusion_map(model, image, target, window, fill), shape=tuple(image.shape), case=case,
                       what="the occlusion map")
        expected = ref.occlusion_map(model, image, target, window, fill)
        expect_close(got, expected, case=case, what="the occlusion map", rtol=RTOL, atol=ATOL,
                     mistakes=mistakes.OCCLUSION_MAP.answers(model, image, target, window, fill),
                     hint="for each (r, c) in range(H − window + 1) × range(W − window + 1): set "
                          "image[r:r+window, c:c+window] = fill, drop = f(image) − f(occluded); average the drops "
                          "per pixel")


# ---------------------------------------------------------------- rank correlation and the randomization test

@exercise("08.spearman_correlation", points=1, reference=ref.spearman_correlation,
          title="Spearman's rank correlation, with ties", mistakes=mistakes.SPEARMAN_CORRELATION)
def check_spearman_correlation(spearman_correlation):
    rng = np.random.default_rng(30)
    a = rng.normal(size=12).round(2)
    cases = [(a, a ** 3 + 0.1 * a), (a, np.exp(-a)), (a, rng.normal(size=12).round(2)),
             (np.array([[0.0, 0.0, 0.3], [0.0, 0.7, 0.7]]), np.array([[0.0, 0.2, 0.0], [0.1, 0.9, 0.4]])),
             (np.array([0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 3.0]), np.array([0.5, 0.0, 0.0, 0.1, 2.0, 0.0, 3.0, 4.0]))]
    for x, y in cases:
        case = {"a": x, "b": y}
        got = spearman_correlation(x, y)  # compared as it is, so that a float32 answer gets float32 tolerances
        as_array(got, shape=(), case=case, what="the correlation")
        expect_close(got, ref.spearman_correlation(x, y), case=case, what="the correlation", rtol=1e-6, atol=1e-9,
                     mistakes=mistakes.SPEARMAN_CORRELATION.answers(x, y),
                     hint="rank each flattened array (ties get their average rank), then take the Pearson "
                          "correlation of the two rank vectors")


def _random_model(model, seed):
    return ref.randomized_copy(model, seed)


def _randomization_cases():
    """Two trained/re-initialised model pairs with their own inputs and targets (every argument varies)."""
    model = _model([6, 8, 3], "relu", 40)
    images = [_vector(6, 40 + i, 0.0, 1.0) for i in range(4)]
    images[1][:3] = 0.0  # exact ties at 0 for gradient × input
    other = _model([6, 5, 4], "tanh", 44)
    other_images = [_vector(6, 50 + i, 0.0, 1.0) for i in range(3)]
    return [(ref.gradient_times_input, "gradient × input", "a ReLU MLP 6→8→3 and a re-initialised copy",
             model, _random_model(model, 41), images, [0, 2, 1, 0]),
            (ref.saliency, "saliency", "a ReLU MLP 6→8→3 and a re-initialised copy",
             model, _random_model(model, 41), images, [0, 2, 1, 0]),
            (ref.saliency, "saliency", "a tanh MLP 6→5→4 and a re-initialised copy",
             other, _random_model(other, 45), other_images, [3, 1, 2])]


@exercise("08.randomization_correlations", points=2, reference=ref.randomization_correlations,
          title="the model-randomization sanity check", mistakes=mistakes.RANDOMIZATION_CORRELATIONS)
def check_randomization_correlations(randomization_correlations):
    for method, label, models, model, random_model, images, targets in _randomization_cases():
        case = f"method = {label}, {models}, {len(images)} inputs, targets = {targets}"
        got = randomization_correlations(method, model, random_model, images, targets)
        got = as_array(got, shape=(len(images),), case=case, what="the correlations")
        expected = ref.randomization_correlations(method, model, random_model, images, targets)
        expect_close(got, expected, case=case, what="the correlations", rtol=1e-5, atol=1e-6,
                     mistakes=mistakes.RANDOMIZATION_CORRELATIONS.answers(method, model, random_model, images,
                                                                           targets),
                     hint="for each (x, t): spearman(|method(model, x, t)|, |method(random_model, x, t)|)")
