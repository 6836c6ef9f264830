"""Checker contract for lesson 07: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression

from checker_contract import contract_tests
from course_utils.reference import lesson07_neurons_concepts as ref


# 07.top_k_examples
def top_k_absolute(activations, k):
    return np.argsort(-np.abs(activations), kind="stable")[:k]


def top_k_ascending(activations, k):
    return np.argsort(activations, kind="stable")[:k]


def top_k_one_too_many(activations, k):
    return np.argsort(-np.asarray(activations), kind="stable")[:k + 1]


def top_k_off_by_one(activations, k):
    return np.argsort(-np.asarray(activations), kind="stable")[1:k + 1]


# 07.polysemanticity
def _probabilities(categories):
    _, counts = np.unique(categories, return_counts=True)
    return counts / counts.sum()


def entropy_in_nats(categories):
    p = _probabilities(categories)
    return -(p * np.log(p)).sum()


def distinct_categories(categories):
    return len(set(categories))


def log_distinct_categories(categories):
    return np.log2(len(set(categories)))


def entropy_without_minus(categories):
    p = _probabilities(categories)
    return (p * np.log2(p)).sum()


# 07.ablate_neuron
def ablate_whole_layer(activation, neuron, value=0.0):
    return torch.full_like(activation, value)


def ablate_position_axis(activation, neuron, value=0.0):
    out = activation.clone()
    out[:, neuron] = value
    return out


def ablate_always_zero(activation, neuron, value=0.0):
    out = activation.clone()
    out[..., neuron] = 0.0
    return out


def ablate_returns_numpy(activation, neuron, value=0.0):
    out = activation.clone().numpy()
    out[..., neuron] = value
    return out


# 07.concept_activation_vector
def cav_sign_flipped(concept_acts, random_acts):
    return -ref.concept_activation_vector(concept_acts, random_acts)


def cav_unnormalised(concept_acts, random_acts):
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    return LogisticRegression(max_iter=1000).fit(X, y).coef_[0]


def cav_mean_difference(concept_acts, random_acts):
    d = np.mean(concept_acts, 0) - np.mean(random_acts, 0)
    return d / np.linalg.norm(d)


# 07.tcav_score
def tcav_counting_zero(gradients, cav):
    return np.mean(gradients @ cav >= 0)


def tcav_mean_derivative(gradients, cav):
    return np.mean(gradients @ cav)


def tcav_negative(gradients, cav):
    return np.mean(gradients @ cav < 0)


def tcav_count(gradients, cav):
    return int(np.sum(gradients @ cav > 0))


# 07.tcav_significance
def significance_single_random(concept_scores, random_scores):
    return stats.ttest_1samp(concept_scores, random_scores[0]).pvalue


def significance_against_half(concept_scores, random_scores):
    return stats.ttest_1samp(concept_scores, 0.5).pvalue


def significance_one_sided(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores, alternative="greater").pvalue


def significance_statistic(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores).statistic


MUTANTS = {
    "07.top_k_examples": [
        (top_k_absolute, "signed activation"),
        (top_k_ascending, "descending"),
        (top_k_one_too_many, "[:k]"),
        top_k_off_by_one,
    ],
    "07.polysemanticity": [
        (entropy_in_nats, "log2"),
        (distinct_categories, "number of distinct"),
        (log_distinct_categories, "frequencies"),
        (entropy_without_minus, "minus sign"),
    ],
    "07.ablate_neuron": [
        (ablate_whole_layer, "every neuron"),
        (ablate_position_axis, "last axis"),
        (ablate_always_zero, "mean ablation"),
        (ablate_returns_numpy, "activation.clone()"),
    ],
    "07.concept_activation_vector": [
        (cav_sign_flipped, "toward the concept"),
        (cav_unnormalised, "unit length"),
        (cav_mean_difference, "difference of the means"),
    ],
    "07.tcav_score": [
        (tcav_counting_zero, "strictly positive"),
        (tcav_mean_derivative, "how large"),
        (tcav_negative, "positive dot products"),
        (tcav_count, "fraction"),
    ],
    "07.tcav_significance": [
        (significance_single_random, "one random run"),
        (significance_against_half, "0.5"),
        (significance_one_sided, "two-sided"),
        (significance_statistic, "pvalue"),
    ],
}



def test_stored_reference_cavs_match_the_reference():
    from course_utils.checks import lesson07_neurons_concepts as checks
    for concept, random, expected in checks._cav_cases():
        assert np.allclose(ref.concept_activation_vector(concept, random), expected, atol=1e-6)


ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
