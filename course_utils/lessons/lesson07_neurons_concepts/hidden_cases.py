"""Hidden cases for lesson 07: neurons and concepts (top-k examples, polysemanticity, ablation, TCAV).

torch, sklearn and scipy are imported inside the generators only: the grader imports this module
when it grades any lesson.
"""
import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close
from ...grading.hidden_cases import CASES_PER_EXERCISE, equal_int_lists, hidden

CATEGORIES = ("capital", "vowel", "consonant", "space", "newline", "punctuation")


@hidden("07.top_k_examples", compare=equal_int_lists)
def _top_k(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        if index % 4 == 3:
            # tie-heavy and long enough (over 16 entries) that an unstable sort reorders the ties
            n = int(rng.integers(30, 60))
            activations = rng.choice(rng.normal(0, 1.5, size=4).round(2), size=n)
        elif index % 4 == 1:
            # near-ties: values a few thousandths apart, which rounding would merge
            n = int(rng.integers(6, 16))
            activations = rng.choice(rng.normal(0, 1.5, size=3).round(2), size=n) + 0.001 * rng.integers(1, 5, size=n)
        else:
            n = int(rng.integers(4, 16))
            # every other case on a coarse grid, so that exact ties occur (the notebook fixes their order)
            activations = rng.normal(0, 1.5, size=n).round(1 if index % 2 else 3)
        cases.append(((activations, int(rng.integers(1, n + 1))), {}))
    return cases


@hidden("07.polysemanticity")
def _polysemanticity(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n = int(rng.integers(3, 21))
        # from one category up to all six, with uneven frequencies
        used = rng.choice(CATEGORIES, size=1 + index % 6, replace=False)
        weights = rng.dirichlet(np.ones(len(used)))
        cases.append((([str(c) for c in rng.choice(used, size=n, p=weights)],), {}))
    return cases


def _ablation_compare(got, want):
    """As the checker: a torch tensor (a forward hook passes it on to the model), equal to the reference's."""
    import torch

    if not isinstance(got, torch.Tensor):
        raise CheckFailure("the ablated activation should be a torch tensor")
    expect_close(got.detach(), want, rtol=1e-6, atol=1e-7)


@hidden("07.ablate_neuron", compare=_ablation_compare)
def _ablate(rng):
    import torch

    cases = []
    for index in range(CASES_PER_EXERCISE):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(2, 6, size=ndim)) + (int(rng.integers(3, 9)),)
        activation = torch.tensor(rng.normal(size=shape), dtype=torch.float32)
        neuron = int(rng.integers(0, shape[-1]))
        if index % 3 == 0:  # the default value, 0
            cases.append(((activation, neuron), {}))
        else:
            cases.append(((activation, neuron, round(float(rng.normal(0, 2)), 3)), {}))
    return cases


def _cav_compare(got, want):
    """Any fit of the same classifier is right: direction within cosine 0.999 (as the checker), unit length."""
    want = np.asarray(want, dtype=float).reshape(-1)
    got = as_array(got).reshape(-1)
    if got.shape != want.shape:
        raise CheckFailure("the CAV has the wrong length")
    norm = float(np.linalg.norm(got))
    if not np.isfinite(norm) or abs(norm - 1) > 1e-6:
        raise CheckFailure("the CAV is not a unit vector")
    if float(got @ want) / norm <= 0.999:
        raise CheckFailure("the CAV is not the classifier's normal")


@hidden("07.concept_activation_vector", compare=_cav_compare)
def _cav(rng):
    # each case fits a logistic regression (a few ms, more on a busy machine): 6 cases. The clouds overlap
    # (a shift of norm 0.5 to 1): another classifier (an SVM, SGD on the hinge loss) then finds a visibly
    # different normal, while every solver of the same logistic regression agrees to a cosine above 0.9995
    cases = []
    for _ in range(6):
        d = int(rng.integers(3, 8))
        scales = rng.uniform(0.3, 3.0, size=d)
        shift = rng.normal(0, 1.0, size=d)
        shift *= rng.uniform(0.5, 1.0) / np.linalg.norm(shift)
        n_c, n_r = int(rng.integers(25, 45)), int(rng.integers(25, 45))
        # the random cloud centred at 0, as in the checker: a solver that penalises the intercept (liblinear)
        # then still finds the same direction
        concept = (rng.normal(size=(n_c, d)) * scales + shift).round(3)
        random = (rng.normal(size=(n_r, d)) * scales).round(3)
        cases.append(((concept, random), {}))
    return cases


@hidden("07.tcav_score")
def _tcav_score(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n, d = int(rng.integers(5, 20)), int(rng.integers(2, 7))
        cav = rng.normal(size=d)
        cav /= np.linalg.norm(cav)
        gradients = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + rng.normal(0, 0.7, size=d)
        # no dot product within rounding of 0, except rows of exact zeros (dot product exactly 0: not counted)
        small = np.abs(gradients @ cav) < 1e-3 * np.linalg.norm(gradients, axis=1)
        gradients[small] += cav
        if index % 2:
            gradients[rng.choice(n, size=int(rng.integers(1, 3)), replace=False)] = 0.0
        cases.append(((gradients, cav), {}))
    return cases


def _p_value_observe(function, args, kwargs):
    """The p-value with the two score lists it was computed from: Student's or Welch's p-value passes."""
    return {"p": function(*args, **kwargs), "scores": tuple(np.array(a, dtype=float) for a in args[:2])}


def _p_value_compare(got, want):
    from .checks import expect_p_value

    expect_p_value(as_float(got["p"]), *want["scores"])


@hidden("07.tcav_significance", compare=_p_value_compare, observe=_p_value_observe)
def _tcav_significance(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        groups = []
        for centre in (rng.uniform(0.2, 0.9), rng.uniform(0.3, 0.7)):
            size = int(rng.integers(3, 11))
            while True:
                scores = np.clip(rng.normal(centre, rng.uniform(0.02, 0.15), size=size), 0, 1).round(2)
                if np.ptp(scores) > 0.02:  # a t-test needs some spread in each group
                    break
            groups.append(scores)
        cases.append((tuple(groups), {}))
    return cases
