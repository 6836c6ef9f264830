"""Checker contract for lesson 08: the reference passes, the stub is not attempted, mistakes fail."""
import copy

import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson08_local_explanations import reference as ref
from course_utils.lessons.lesson08_local_explanations.mistakes import randomization_model_with_itself


def _grad(model, x, target):
    x = torch.as_tensor(x, dtype=torch.float32).detach().clone().reshape(1, -1).requires_grad_(True)
    return torch.autograd.grad(model(x)[0, target], x)[0][0]


def _path(model, x, baseline, target, alphas, weights=None):
    x, baseline = torch.as_tensor(x).float(), torch.as_tensor(baseline).float()
    alphas = torch.as_tensor(np.asarray(alphas, dtype=np.float32))
    points = (baseline + alphas[:, None] * (x - baseline)).requires_grad_(True)
    grads = torch.autograd.grad(model(points)[:, target].sum(), points)[0]
    if weights is None:
        return grads.mean(0)
    return (torch.as_tensor(np.asarray(weights, dtype=np.float32))[:, None] * grads).sum(0)


def _occlusion(model, image, target, window, fill):
    image = torch.as_tensor(image).float()
    height, width = image.shape
    total, count = torch.zeros_like(image), torch.zeros_like(image)
    with torch.no_grad():
        base = model(image.reshape(1, -1))[0, target]
        for r in range(height - window + 1):
            for c in range(width - window + 1):
                occluded = image.clone()
                occluded[r:r + window, c:c + window] = fill
                total[r:r + window, c:c + window] += base - model(occluded.reshape(1, -1))[0, target]
                count[r:r + window, c:c + window] += 1
    return total / count.clamp(min=1)


def _abs(a):
    return np.abs(a.detach().numpy() if hasattr(a, "detach") else np.asarray(a))


# ---- wrong implementations no hint names (the named ones are declared in the lesson's mistakes.py)

def saliency_flattened_2d(model, x, target):  # returns shape (1, d)
    return _grad(model, x, target).abs().reshape(1, -1)


def saliency_of_log_probability(model, x, target):
    x = torch.as_tensor(x).float().detach().clone().reshape(1, -1).requires_grad_(True)
    return torch.autograd.grad(torch.log_softmax(model(x), 1)[0, target], x)[0][0].abs()


def ig_interior_linspace(model, x, baseline, target, steps=50):  # α = k/(steps + 1): interior, but not midpoints
    return (x - baseline) * _path(model, x, baseline, target, np.linspace(0, 1, steps + 2)[1:-1])


def occlusion_non_overlapping(model, image, target, window=2, fill=0.0):  # stride = window
    image = torch.as_tensor(image).float()
    result = torch.zeros_like(image)
    with torch.no_grad():
        base = model(image.reshape(1, -1))[0, target]
        for r in range(0, image.shape[0], window):
            for c in range(0, image.shape[1], window):
                occluded = image.clone()
                occluded[r:r + window, c:c + window] = fill
                result[r:r + window, c:c + window] = base - model(occluded.reshape(1, -1))[0, target]
    return result


def spearman_textbook_formula(a, b):  # 1 − 6 Σd² / (n(n² − 1)) is exact only without ties
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable")
    n = len(ra)
    return float(1 - 6 * np.sum((ra - rb) ** 2) / (n * (n ** 2 - 1)))


def randomization_in_place(method, model, random_model, images, targets):
    model.load_state_dict(copy.deepcopy(random_model.state_dict()))  # "randomizes" the model it should keep
    return randomization_model_with_itself(method, model, random_model, images, targets)


def randomization_abs_one_side(method, model, random_model, images, targets):
    return np.array([ref.spearman_correlation(_abs(method(model, x, t)), method(random_model, x, t).detach().numpy())
                     for x, t in zip(images, targets)])


def randomization_mean(method, model, random_model, images, targets):  # one number, not one per image
    return float(ref.randomization_correlations(method, model, random_model, images, targets).mean())


MUTANTS = {
    "08.saliency": [saliency_flattened_2d, saliency_of_log_probability],
    "08.integrated_gradients": [ig_interior_linspace],
    "08.occlusion_map": [occlusion_non_overlapping],
    "08.spearman_correlation": [spearman_textbook_formula],
    "08.randomization_correlations": [(randomization_in_place, "changed the weights of `model` in place"),
                                      randomization_abs_one_side, (randomization_mean, "should have shape (")],
}


# ---- correct answers written differently

def saliency_as_list(model, x, target):  # a plain list of floats
    return _grad(model, x, target).abs().tolist()


def saliency_by_jacobian(model, x, target):  # the full Jacobian, then one row
    jac = torch.autograd.functional.jacobian(lambda v: model(v.reshape(1, -1))[0], torch.as_tensor(x).float())
    return jac[target].abs().numpy()


def gxi_numpy_float64(model, x, target):
    return np.asarray(x, dtype=float) * _grad(model, x, target).numpy().astype(float)


def ig_loop(model, x, baseline, target, steps=50):  # one backward pass per point, summed in a Python loop
    total = torch.zeros_like(x)
    for k in range(steps):
        point = (baseline + (k + 0.5) / steps * (x - baseline)).detach().requires_grad_(True)
        total += torch.autograd.grad(model(point.reshape(1, -1))[0, target], point)[0]
    return ((x - baseline) * total / steps).detach().numpy()


def gauss_as_list(model, x, baseline, target, nodes=8):
    t, w = np.polynomial.legendre.leggauss(nodes)
    return ((x - baseline) * _path(model, x, baseline, target, (t + 1) / 2, w / 2)).tolist()


def occlusion_numpy(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill).numpy().astype(np.float64)


def spearman_scipy(a, b):
    from scipy.stats import spearmanr

    return spearmanr(np.ravel(a), np.ravel(b))[0]


def spearman_argsort_ranks_averaged(a, b):  # np.corrcoef of tie-averaged ranks built with np.unique
    def ranks(v):
        v = np.ravel(v)
        order = np.argsort(v, kind="stable")
        ordinal = np.empty(len(v))
        ordinal[order] = np.arange(1, len(v) + 1)
        _, inverse = np.unique(v, return_inverse=True)
        sums = np.bincount(inverse, weights=ordinal)
        counts = np.bincount(inverse)
        return (sums / counts)[inverse]
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def spearman_torch_float32(a, b):  # ranks and correlation in float32: within float32 rounding of the answer
    def ranks(v):
        v = torch.as_tensor(np.ravel(v), dtype=torch.float32)
        return torch.tensor(ref.ranks(v.numpy()), dtype=torch.float32)
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return (ra * rb).sum() / torch.sqrt((ra ** 2).sum() * (rb ** 2).sum())


def randomization_scipy_list(method, model, random_model, images, targets):
    from scipy.stats import spearmanr

    return [float(spearmanr(method(model, x, t).abs().detach().numpy().ravel(),
                            method(random_model, x, t).abs().detach().numpy().ravel())[0])
            for x, t in zip(images, targets)]


ALTERNATIVES = {
    "08.saliency": [saliency_as_list, saliency_by_jacobian],
    "08.gradient_times_input": [gxi_numpy_float64],
    "08.integrated_gradients": [ig_loop],
    "08.integrated_gradients_gauss": [gauss_as_list],
    "08.occlusion_map": [occlusion_numpy],
    "08.spearman_correlation": [spearman_scipy, spearman_argsort_ranks_averaged, spearman_torch_float32],
    "08.randomization_correlations": [randomization_scipy_list],
}
UNVARIED = {}

globals().update(contract_tests("08", MUTANTS, ALTERNATIVES, UNVARIED))

