"""The mistakes learners make in lesson 07, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import numpy as np
import torch
from scipy import stats

from ...checking import Mistakes

TOP_K_EXAMPLES = Mistakes({
    "rank by the signed activation: a large negative value is the neuron being off, not firing":
        lambda activations, k: np.argsort(-np.abs(activations), kind="stable")[:k],
    "ties must go to the earlier position: np.argsort's default sort is not stable, pass kind='stable'":
        lambda activations, k: np.argsort(-activations)[:k],
    "rank the exact values: rounding first merges values that differ":
        lambda activations, k: np.argsort(-np.round(activations, 2), kind="stable")[:k],
    "largest first: sort in descending order": lambda activations, k: np.argsort(activations, kind="stable")[:k],
    "return the largest k in descending order (reverse the ascending tail)":
        lambda activations, k: np.argsort(activations, kind="stable")[::-1][:k],
})


def _entropy(categories, log):
    _, counts = np.unique(categories, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * log(p)).sum())


POLYSEMANTICITY = Mistakes({
    "measure entropy in bits: use log2, not the natural log": lambda categories: _entropy(categories, np.log),
    "weight categories by how often they occur: the entropy of the frequencies, not log2 of the number of "
    "distinct categories": lambda categories: float(np.log2(len(set(categories)))),
    "this is the entropy, not the number of distinct categories": lambda categories: len(set(categories)),
    "H = -Σ p log2 p has a minus sign: entropy is never negative": lambda categories: -_entropy(categories, np.log2),
    "this is the effective number of categories 2^H; return H itself":
        lambda categories: 2 ** _entropy(categories, np.log2),
})


def ablate_position_axis(activation, neuron, value=0.0):
    ablated = activation.clone()
    ablated[:, neuron] = value
    return ablated


def ablate_to_zero(activation, neuron, value=0.0):
    ablated = activation.clone()
    ablated[..., neuron] = 0.0
    return ablated


ABLATE_NEURON = Mistakes({
    "only the chosen neuron changes: you replaced every neuron in the layer":
        lambda activation, neuron, value=0.0: torch.full_like(activation, value),
    "neurons are the last axis: index activation[..., neuron], not activation[:, neuron] (that is a position)":
        ablate_position_axis,
    "set the neuron to `value` (for mean ablation it is the neuron's mean), not always to 0": ablate_to_zero,
})


def mean_difference(concept_acts, random_acts):
    difference = np.mean(concept_acts, axis=0) - np.mean(random_acts, axis=0)
    return difference / np.linalg.norm(difference)


CONCEPT_ACTIVATION_VECTOR = Mistakes({
    "the difference of the means ignores how the data spread; fit LogisticRegression() on concept (1) vs "
    "random (0) and take coef_[0]": mean_difference,
})

TCAV_SCORE = Mistakes({
    "count strictly positive directional derivatives: a gradient orthogonal to the CAV (dot product 0) does not "
    "count": lambda gradients, cav: float(np.mean(gradients @ cav >= 0)),
    "the score counts how many inputs have a positive directional derivative, not how large the derivatives are":
        lambda gradients, cav: float(np.mean(gradients @ cav)),
    "count the positive dot products, the inputs the concept pushes toward the class":
        lambda gradients, cav: float(np.mean(gradients @ cav < 0)),
    "return a fraction between 0 and 1, not a count": lambda gradients, cav: int(np.sum(gradients @ cav > 0)),
})

def significance_against_one_run(concept_scores, random_scores):
    return stats.ttest_1samp(concept_scores, random_scores[0]).pvalue


def significance_against_half(concept_scores, random_scores):
    return stats.ttest_1samp(concept_scores, 0.5).pvalue


def significance_greater(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores, alternative="greater").pvalue


def significance_less(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores, alternative="less").pvalue


TCAV_SIGNIFICANCE = Mistakes({
    "compare with the whole set of random scores, not with one random run (one run is noise)":
        significance_against_one_run,
    "compare with the random CAVs' scores, not with the ideal 0.5 (random CAVs do not score exactly 0.5)":
        significance_against_half,
    "the test is two-sided: a concept can matter by pushing the class down as well as up": significance_greater,
    "the test is two-sided: a concept can matter by pushing the class up as well as down": significance_less,
})
