"""Reference implementations for lesson 08: local explanations.

Conventions shared by every attribution function in the lesson:

* ``model`` maps a batch of inputs, shape ``(batch, d)``, to logits ``(batch, classes)``;
* ``x`` (and ``baseline``) is ONE input, a 1-D float tensor of ``d`` features;
* ``target`` is the class whose logit ``f(x) = model(x)[target]`` is being explained;
* the result is a float tensor shaped like ``x``: one attribution per feature.
"""
import copy

import numpy as np
import torch


def logit(model, x, target):
    """f(x): the target logit for one input (a 0-d tensor, differentiable)."""
    return model(x.reshape(1, -1))[0, target]


def _gradients(model, points, target):
    """∇f at each row of ``points`` (shape (n, d)), in one batched backward pass."""
    points = points.detach().clone().requires_grad_(True)
    out = model(points)[:, target].sum()
    (grad,) = torch.autograd.grad(out, points)
    return grad


def saliency(model, x, target):
    """|∂f/∂x|: how strongly an infinitesimal change of each feature moves the target logit."""
    x = torch.as_tensor(x, dtype=torch.float32)
    return _gradients(model, x.reshape(1, -1), target)[0].abs().reshape(x.shape)


def gradient_times_input(model, x, target):
    """x ⊙ ∂f/∂x (signed): the first-order Taylor contribution of each feature relative to 0."""
    x = torch.as_tensor(x, dtype=torch.float32)
    return (x.reshape(-1) * _gradients(model, x.reshape(1, -1), target)[0]).reshape(x.shape)


def integrated_gradients(model, x, baseline, target, steps=50):
    """(x − x′) ⊙ mean of ∇f along the straight path, by the midpoint Riemann rule.

    The path points are x′ + α (x − x′) with α_k = (k + ½)/steps, k = 0 … steps − 1.
    """
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.as_tensor(baseline, dtype=torch.float32).reshape(-1)
    flat = x.reshape(-1)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    points = baseline + alphas[:, None] * (flat - baseline)
    grads = _gradients(model, points, target)
    return ((flat - baseline) * grads.mean(dim=0)).reshape(x.shape)


def integrated_gradients_gauss(model, x, baseline, target, nodes=8):
    """Integrated gradients with Gauss–Legendre quadrature on [0, 1].

    numpy's ``leggauss(nodes)`` gives points t and weights w on [−1, 1]; on [0, 1]
    the points are α = (t + 1)/2 and the weights w/2 (they sum to 1).
    """
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.as_tensor(baseline, dtype=torch.float32).reshape(-1)
    flat = x.reshape(-1)
    t, w = np.polynomial.legendre.leggauss(nodes)
    alphas = torch.tensor((t + 1) / 2, dtype=torch.float32)
    weights = torch.tensor(w / 2, dtype=torch.float32)
    points = baseline + alphas[:, None] * (flat - baseline)
    grads = _gradients(model, points, target)
    return ((flat - baseline) * (weights[:, None] * grads).sum(dim=0)).reshape(x.shape)


def occlusion_map(model, image, target, window=2, fill=0.0):
    """Occlusion with a sliding ``window × window`` patch, stride 1, over a 2-D image.

    For every window position that fits inside the image, set the patch to ``fill`` and
    record the drop f(image) − f(occluded). Each pixel's attribution is the mean drop over
    the windows that cover it. ``model`` takes flattened images, shape (batch, H·W).
    """
    image = torch.as_tensor(image, dtype=torch.float32)
    height, width = image.shape
    positions = [(r, c) for r in range(height - window + 1) for c in range(width - window + 1)]
    occluded = image.repeat(len(positions), 1, 1)
    for index, (r, c) in enumerate(positions):
        occluded[index, r:r + window, c:c + window] = fill
    with torch.no_grad():
        base = model(image.reshape(1, -1))[0, target]
        drops = base - model(occluded.reshape(len(positions), -1))[:, target]
    total = torch.zeros_like(image)
    count = torch.zeros_like(image)
    for drop, (r, c) in zip(drops, positions):
        total[r:r + window, c:c + window] += drop
        count[r:r + window, c:c + window] += 1
    return total / count.clamp(min=1)


def ranks(values):
    """Ranks 1 … n of a 1-D array, ties sharing the mean of their ranks (as Spearman needs)."""
    values = np.asarray(values, dtype=float).reshape(-1)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    result = np.empty(len(values))
    start = 0
    while start < len(values):
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        result[order[start:stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    return result


def spearman_correlation(a, b):
    """Spearman's rank correlation of two equally sized arrays (flattened): Pearson on tie-averaged ranks."""
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else 0.0


def _numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def randomization_correlations(method, model, random_model, images, targets):
    """For each image, the Spearman correlation between |method(model)| and |method(random_model)|.

    ``method(model, x, target)`` returns attributions shaped like x. Returns a float array, one per image.
    """
    return np.array([spearman_correlation(np.abs(_numpy(method(model, x, int(t)))),
                                          np.abs(_numpy(method(random_model, x, int(t)))))
                     for x, t in zip(images, targets)])


def randomized_copy(model, seed=0):
    """A copy of ``model`` with every layer re-initialised (PyTorch's default init), seeded; ``model`` is untouched."""
    clone = copy.deepcopy(model)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    for module in clone.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    torch.random.set_rng_state(generator_state)
    return clone
