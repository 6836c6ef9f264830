"""Checker contract for lesson 08: the reference passes, the stub is not attempted, mistakes fail."""
import copy

import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson08_local_explanations import reference as ref


def _grad(model, x, target, of="logit"):
    x = torch.as_tensor(x, dtype=torch.float32).detach().clone().reshape(1, -1).requires_grad_(True)
    out = model(x)
    value = {"logit": out[0, target], "probability": torch.softmax(out, 1)[0, target], "sum": out.sum()}[of]
    return torch.autograd.grad(value, x)[0][0]


# ---- saliency

def saliency_signed(model, x, target):
    return _grad(model, x, target)


def saliency_of_probability(model, x, target):
    return _grad(model, x, target, "probability").abs()


def saliency_of_all_logits(model, x, target):
    return _grad(model, x, target, "sum").abs()


def saliency_flattened_2d(model, x, target):  # returns shape (1, d)
    return _grad(model, x, target).abs().reshape(1, -1)


# ---- gradient × input

def gxi_gradient_only(model, x, target):
    return _grad(model, x, target)


def gxi_absolute(model, x, target):
    return (x * _grad(model, x, target)).abs()


def gxi_saliency_times_input(model, x, target):
    return x * _grad(model, x, target).abs()


# ---- integrated gradients

def _path(model, x, baseline, target, alphas, weights=None):
    x, baseline = torch.as_tensor(x).float(), torch.as_tensor(baseline).float()
    alphas = torch.as_tensor(np.asarray(alphas, dtype=np.float32))
    points = (baseline + alphas[:, None] * (x - baseline)).requires_grad_(True)
    grads = torch.autograd.grad(model(points)[:, target].sum(), points)[0]
    if weights is None:
        return grads.mean(0)
    return (torch.as_tensor(np.asarray(weights, dtype=np.float32))[:, None] * grads).sum(0)


def ig_without_difference(model, x, baseline, target, steps=50):
    return _path(model, x, baseline, target, (np.arange(steps) + 0.5) / steps)


def ig_times_input(model, x, baseline, target, steps=50):
    return x * _path(model, x, baseline, target, (np.arange(steps) + 0.5) / steps)


def ig_endpoint_double_counted(model, x, baseline, target, steps=50):
    return (x - baseline) * _path(model, x, baseline, target, np.linspace(0, 1, steps + 1))


def ig_linspace_endpoints(model, x, baseline, target, steps=50):
    return (x - baseline) * _path(model, x, baseline, target, np.linspace(0, 1, steps))


def ig_left_riemann(model, x, baseline, target, steps=50):
    return (x - baseline) * _path(model, x, baseline, target, np.arange(steps) / steps)


def ig_sum_not_mean(model, x, baseline, target, steps=50):
    return steps * (x - baseline) * _path(model, x, baseline, target, (np.arange(steps) + 0.5) / steps)


# ---- Gauss–Legendre

def gauss_unmapped_weights(model, x, baseline, target, nodes=8):
    t, w = np.polynomial.legendre.leggauss(nodes)
    return (x - baseline) * _path(model, x, baseline, target, (t + 1) / 2, w)


def gauss_unmapped_nodes(model, x, baseline, target, nodes=8):
    t, w = np.polynomial.legendre.leggauss(nodes)
    return (x - baseline) * _path(model, x, baseline, target, t, w / 2)


def gauss_equal_weights(model, x, baseline, target, nodes=8):
    t, _ = np.polynomial.legendre.leggauss(nodes)
    return (x - baseline) * _path(model, x, baseline, target, (t + 1) / 2)


def gauss_without_difference(model, x, baseline, target, nodes=8):
    t, w = np.polynomial.legendre.leggauss(nodes)
    return _path(model, x, baseline, target, (t + 1) / 2, w / 2)


# ---- occlusion

def _occlusion(model, image, target, window, fill, sign=1.0, last=True, average=True):
    image = torch.as_tensor(image).float()
    height, width = image.shape
    total, count = torch.zeros_like(image), torch.zeros_like(image)
    extra = 1 if last else 0
    with torch.no_grad():
        base = model(image.reshape(1, -1))[0, target]
        for r in range(height - window + extra):
            for c in range(width - window + extra):
                occluded = image.clone()
                occluded[r:r + window, c:c + window] = fill
                total[r:r + window, c:c + window] += sign * (base - model(occluded.reshape(1, -1))[0, target])
                count[r:r + window, c:c + window] += 1
    return total / count.clamp(min=1) if average else total


def occlusion_sign_flipped(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, sign=-1.0)


def occlusion_skips_last(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, last=False)


def occlusion_summed(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, average=False)


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


# ---- Spearman

def spearman_pearson_on_values(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def spearman_ordinal_ranks(a, b):
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable")
    return float(np.corrcoef(ra, rb)[0, 1])


def spearman_textbook_formula(a, b):  # 1 − 6 Σd² / (n(n² − 1)) is exact only without ties
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable")
    n = len(ra)
    return float(1 - 6 * np.sum((ra - rb) ** 2) / (n * (n ** 2 - 1)))


# ---- randomization

def _abs(a):
    return np.abs(a.detach().numpy() if hasattr(a, "detach") else np.asarray(a))


def randomization_model_with_itself(method, model, random_model, images, targets):
    return np.array([ref.spearman_correlation(_abs(method(model, x, t)), _abs(method(model, x, t)))
                     for x, t in zip(images, targets)])


def randomization_signed(method, model, random_model, images, targets):
    return np.array([ref.spearman_correlation(method(model, x, t).detach().numpy(),
                                              method(random_model, x, t).detach().numpy())
                     for x, t in zip(images, targets)])


def randomization_pearson(method, model, random_model, images, targets):
    return np.array([spearman_pearson_on_values(_abs(method(model, x, t)), _abs(method(random_model, x, t)))
                     for x, t in zip(images, targets)])


def randomization_in_place(method, model, random_model, images, targets):
    model.load_state_dict(copy.deepcopy(random_model.state_dict()))  # "randomizes" the model it should keep
    return randomization_model_with_itself(method, model, random_model, images, targets)


MUTANTS = {
    "08.saliency": [(saliency_signed, "forget .abs()"), (saliency_of_probability, "softmax probability"),
                    (saliency_of_all_logits, "sum of all logits"), saliency_flattened_2d],
    "08.gradient_times_input": [(gxi_gradient_only, "multiply the gradient by the input"),
                                (gxi_absolute, "keep the sign"), (gxi_saliency_times_input, "signed gradient")],
    "08.integrated_gradients": [(ig_without_difference, "(x − baseline), elementwise"),
                                (ig_times_input, "not by x"),
                                (ig_endpoint_double_counted, "an endpoint counted twice"),
                                (ig_linspace_endpoints, "both endpoints"),
                                (ig_left_riemann, "left Riemann rule"),
                                (ig_sum_not_mean, "divide their sum by steps")],
    "08.integrated_gradients_gauss": [(gauss_unmapped_weights, "they are w/2"),
                                      (gauss_unmapped_nodes, "map the nodes"),
                                      (gauss_equal_weights, "Gauss–Legendre weight"),
                                      (gauss_without_difference, "(x − baseline), elementwise")],
    "08.occlusion_map": [(occlusion_sign_flipped, "the drop f(image) − f(occluded)"),
                         (occlusion_skips_last, "range(H − window + 1)"),
                         (occlusion_summed, "MEAN drop"), occlusion_non_overlapping],
    "08.spearman_correlation": [(spearman_pearson_on_values, "not the values themselves"),
                                (spearman_ordinal_ranks, "average of their ranks"),
                                spearman_textbook_formula],
    "08.randomization_correlations": [(randomization_model_with_itself, "not with themselves"),
                                      (randomization_signed, "absolute attributions"),
                                      (randomization_pearson, "not Pearson"),
                                      (randomization_in_place, "changed the weights of `model` in place")],
}

ALTERNATIVES = {}
UNVARIED = {}


# ---- audit (issue 13): more correct answers written differently, and more plausible mistakes

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


def saliency_of_log_probability(model, x, target):
    x = torch.as_tensor(x).float().detach().clone().reshape(1, -1).requires_grad_(True)
    return torch.autograd.grad(torch.log_softmax(model(x), 1)[0, target], x)[0][0].abs()


def ig_interior_linspace(model, x, baseline, target, steps=50):  # α = k/(steps + 1): interior, but not midpoints
    return (x - baseline) * _path(model, x, baseline, target, np.linspace(0, 1, steps + 2)[1:-1])


def occlusion_divided_by_window_area(model, image, target, window=2, fill=0.0):
    return _occlusion(model, image, target, window, fill, average=False) / window ** 2


def spearman_dense_ranks(a, b):  # ties get consecutive ranks 1, 2, 2, 3 (np.unique), not their average
    ra = np.unique(np.ravel(a), return_inverse=True)[1].astype(float)
    rb = np.unique(np.ravel(b), return_inverse=True)[1].astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def randomization_abs_one_side(method, model, random_model, images, targets):
    return np.array([ref.spearman_correlation(_abs(method(model, x, t)), method(random_model, x, t).detach().numpy())
                     for x, t in zip(images, targets)])


def randomization_mean(method, model, random_model, images, targets):  # one number, not one per image
    return float(ref.randomization_correlations(method, model, random_model, images, targets).mean())


MUTANTS["08.saliency"].append((saliency_of_log_probability, None))
MUTANTS["08.integrated_gradients"].append((ig_interior_linspace, None))
MUTANTS["08.occlusion_map"].append((occlusion_divided_by_window_area, "not by the window's area"))
MUTANTS["08.spearman_correlation"].append((spearman_dense_ranks, "dense ranks"))
MUTANTS["08.randomization_correlations"] += [(randomization_abs_one_side, None),
                                             (randomization_mean, "should have shape (")]
ALTERNATIVES.update({
    "08.saliency": [saliency_as_list, saliency_by_jacobian],
    "08.gradient_times_input": [gxi_numpy_float64],
    "08.integrated_gradients": [ig_loop],
    "08.integrated_gradients_gauss": [gauss_as_list],
    "08.occlusion_map": [occlusion_numpy],
    "08.spearman_correlation": [spearman_scipy, spearman_argsort_ranks_averaged, spearman_torch_float32],
    "08.randomization_correlations": [randomization_scipy_list],
})

globals().update(contract_tests("08", MUTANTS, ALTERNATIVES, UNVARIED))

