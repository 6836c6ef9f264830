"""The mistakes learners make in lesson 08, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import numpy as np
import torch

from ...checking import Mistakes
from . import reference as ref


def _gradient(model, x, target, of="logit"):
    """∂/∂x of the target logit, the target's softmax probability, or the sum of all logits."""
    x = x.detach().clone().reshape(1, -1).requires_grad_(True)
    out = model(x)
    value = {"logit": out[0, target], "probability": torch.softmax(out, dim=1)[0, target], "sum": out.sum()}[of]
    (grad,) = torch.autograd.grad(value, x)
    return grad[0].detach()


SUM_OF_LOGITS_HINT = "differentiate only the target class's logit, not the sum of all logits"

SALIENCY = Mistakes({
    "saliency is the absolute value |∂f/∂x|: did you forget .abs()?": _gradient,
    "explain the target's logit f(x) = model(x)[target], not its softmax probability":
        lambda model, x, target: _gradient(model, x, target, "probability").abs(),
    SUM_OF_LOGITS_HINT: lambda model, x, target: _gradient(model, x, target, "sum").abs(),
})

GRADIENT_TIMES_INPUT = Mistakes({
    "multiply the gradient by the input, elementwise: x * ∂f/∂x": _gradient,
    "keep the sign: gradient × input is x * ∂f/∂x, not its absolute value":
        lambda model, x, target: (x * _gradient(model, x, target)).abs(),
    "use the signed gradient, not the saliency |∂f/∂x|":
        lambda model, x, target: x * _gradient(model, x, target).abs(),
    SUM_OF_LOGITS_HINT: lambda model, x, target: x * _gradient(model, x, target, "sum"),
})


def _path_average(model, x, baseline, target, alphas, weights=None):
    """The gradients at baseline + α (x − baseline), averaged (or summed with ``weights``)."""
    alphas = torch.as_tensor(np.asarray(alphas, dtype=np.float32))
    points = baseline + alphas[:, None] * (x - baseline)
    points.requires_grad_(True)
    (grads,) = torch.autograd.grad(model(points)[:, target].sum(), points)
    if weights is None:
        return grads.mean(dim=0)
    return (torch.as_tensor(np.asarray(weights, dtype=np.float32))[:, None] * grads).sum(dim=0)


def _midpoints(steps):
    return (np.arange(steps) + 0.5) / steps


def _ig(model, x, baseline, target, alphas):
    return (x - baseline) * _path_average(model, x, baseline, target, alphas)


def ig_without_difference(model, x, baseline, target, steps=50):
    return _path_average(model, x, baseline, target, _midpoints(steps))


def ig_times_input(model, x, baseline, target, steps=50):
    return x * _path_average(model, x, baseline, target, _midpoints(steps))


def ig_summed(model, x, baseline, target, steps=50):
    return steps * _ig(model, x, baseline, target, _midpoints(steps))


def ig_both_endpoints(model, x, baseline, target, steps=50):
    return _ig(model, x, baseline, target, np.linspace(0, 1, steps))


def ig_steps_plus_one_points(model, x, baseline, target, steps=50):
    return _ig(model, x, baseline, target, np.linspace(0, 1, steps + 1))


def ig_left_riemann(model, x, baseline, target, steps=50):
    return _ig(model, x, baseline, target, np.arange(steps) / steps)


def ig_right_riemann(model, x, baseline, target, steps=50):
    return _ig(model, x, baseline, target, np.arange(1, steps + 1) / steps)


def ig_gradient_at_input_only(model, x, baseline, target, steps=50):
    """(x − baseline) times the gradient at x alone: no path, gradient × input relative to the baseline."""
    return _ig(model, x, baseline, target, np.ones(1))


FACTOR_HINT = "multiply the averaged gradient by (x − baseline), elementwise"
ENDPOINT_HINT = ("use the midpoint rule α_k = (k + ½)/steps for k = 0 … steps − 1: exactly `steps` points, "
                 "neither endpoint counted (linspace(0, 1, …) puts points on the ends)")

INTEGRATED_GRADIENTS = Mistakes({
    FACTOR_HINT: ig_without_difference,
    "multiply by (x − baseline), not by x: the baseline matters": ig_times_input,
    ENDPOINT_HINT + " (here: both endpoints)": ig_both_endpoints,
    ENDPOINT_HINT + " (here: steps + 1 points, an endpoint counted twice)": ig_steps_plus_one_points,
    "that is the left Riemann rule α = k/steps; " + ENDPOINT_HINT: ig_left_riemann,
    "that is the right Riemann rule α = (k + 1)/steps; " + ENDPOINT_HINT: ig_right_riemann,
    "average the gradients over the path (divide their sum by steps)": ig_summed,
    "integrate along the path: average the gradient at the `steps` points baseline + α_k (x − baseline), not only "
    "at x (one gradient at x is gradient × input, which breaks the sensitivity axiom)": ig_gradient_at_input_only,
})


def _gauss(model, x, baseline, target, nodes, map_nodes=True, map_weights=True, weighted=True, difference=True):
    """Gauss–Legendre IG, with each of its steps done or left out."""
    t, w = np.polynomial.legendre.leggauss(nodes)
    alphas = (t + 1) / 2 if map_nodes else t
    weights = None if not weighted else w / 2 if map_weights else w
    average = _path_average(model, x, baseline, target, alphas, weights)
    return (x - baseline) * average if difference else average


def gauss_without_difference(model, x, baseline, target, nodes=8):
    return _gauss(model, x, baseline, target, nodes, difference=False)


def gauss_unmapped_weights(model, x, baseline, target, nodes=8):
    return _gauss(model, x, baseline, target, nodes, map_weights=False)


def gauss_unmapped_nodes(model, x, baseline, target, nodes=8):
    return _gauss(model, x, baseline, target, nodes, map_nodes=False)


def gauss_equal_weights(model, x, baseline, target, nodes=8):
    return _gauss(model, x, baseline, target, nodes, weighted=False)


INTEGRATED_GRADIENTS_GAUSS = Mistakes({
    FACTOR_HINT: gauss_without_difference,
    "the weights must be mapped too: on [0, 1] they are w/2 (they should sum to 1)": gauss_unmapped_weights,
    "map the nodes from [−1, 1] to [0, 1]: α = (t + 1)/2": gauss_unmapped_nodes,
    "weight each gradient by its Gauss–Legendre weight, not equally": gauss_equal_weights,
})


def _occlusion(model, image, target, window, fill, sign=1.0, last=True, average=True):
    """Occlusion with the sign of the drop, the last window position and the averaging each optional."""
    height, width = image.shape
    extra = 1 if last else 0
    total, count = torch.zeros_like(image), torch.zeros_like(image)
    with torch.no_grad():
        base = model(image.reshape(1, -1))[0, target]
        for r in range(height - window + extra):
            for c in range(width - window + extra):
                occluded = image.clone()
                occluded[r:r + window, c:c + window] = fill
                drop = sign * (base - model(occluded.reshape(1, -1))[0, target])
                total[r:r + window, c:c + window] += drop
                count[r:r + window, c:c + window] += 1
    return total / count.clamp(min=1) if average else total


def occlusion_rise(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, sign=-1.0)


def occlusion_skipping_the_last_position(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, last=False)


def occlusion_summed(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, average=False)


def occlusion_over_window_area(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, average=False) / window ** 2


MEAN_DROP_HINT = "each pixel gets the MEAN drop over the windows covering it: divide the sum by "

OCCLUSION_MAP = Mistakes({
    "sign: the attribution is the drop f(image) − f(occluded), so a patch the prediction relies on scores positive":
        occlusion_rise,
    "slide the window over every position that fits: range(H − window + 1), so the last row and column are "
    "occluded too": occlusion_skipping_the_last_position,
    MEAN_DROP_HINT + "their count": occlusion_summed,
    MEAN_DROP_HINT + "how many windows cover that pixel (fewer near the edges), not by the window's area":
        occlusion_over_window_area,
})


def pearson(a, b):
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a ** 2).sum() * (b ** 2).sum()))


def _ordinal_ranks(values):
    values = np.asarray(values, dtype=float).ravel()
    result = np.empty(len(values))
    result[np.argsort(values, kind="stable")] = np.arange(1, len(values) + 1)
    return result


def _dense_ranks(values):
    return np.unique(np.asarray(values, dtype=float).ravel(), return_inverse=True)[1].astype(float)


SPEARMAN_TIES_HINT = "tied values must share the average of their ranks (1, 2.5, 2.5, 4, …), as scipy's rankdata does"

SPEARMAN_CORRELATION = Mistakes({
    SPEARMAN_TIES_HINT: lambda a, b: pearson(_ordinal_ranks(a), _ordinal_ranks(b)),
    SPEARMAN_TIES_HINT + " (here: dense ranks 1, 2, 2, 3)": lambda a, b: pearson(_dense_ranks(a), _dense_ranks(b)),
    "Spearman correlates the RANKS of the values, not the values themselves": pearson,
})


def _correlations(method, model, second_model, images, targets, transform=np.abs,
                  correlation=ref.spearman_correlation):
    """For each (x, t), the correlation of transform(method(...)) on ``model`` and on ``second_model``."""
    return np.array([correlation(transform(method(model, x, t).detach().numpy()),
                                 transform(method(second_model, x, t).detach().numpy()))
                     for x, t in zip(images, targets)])


def randomization_model_with_itself(method, model, random_model, images, targets):
    return _correlations(method, model, model, images, targets)


def randomization_signed(method, model, random_model, images, targets):
    return _correlations(method, model, random_model, images, targets, transform=np.asarray)


def randomization_pearson(method, model, random_model, images, targets):
    return _correlations(method, model, random_model, images, targets, correlation=pearson)


RANDOMIZATION_CORRELATIONS = Mistakes({
    "compare the trained model's attributions with the RANDOMIZED model's, not with themselves (that always gives 1)":
        randomization_model_with_itself,
    "compare absolute attributions, |method(...)|, as Adebayo et al. do": randomization_signed,
    "use the rank (Spearman) correlation, not Pearson's on the raw values": randomization_pearson,
})
