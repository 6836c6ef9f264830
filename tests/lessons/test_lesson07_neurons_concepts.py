"""Checker contract for lesson 07: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression

from checker_contract import contract_tests
from course_utils.lessons.lesson07_neurons_concepts import reference as ref


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



# ---- audit (issue 13): more plausible mistakes
def top_k_default_argsort(activations, k):
    return np.argsort(-np.asarray(activations))[:k]           # quicksort: ties in no fixed order


def top_k_rounded(activations, k):
    return np.argsort(-np.round(np.asarray(activations), 2), kind="stable")[:k]


def top_k_unique_values(activations, k):
    activations = np.asarray(activations)
    values = np.unique(activations)[::-1]                      # distinct values: a tie is counted once
    positions = [int(np.flatnonzero(activations == v)[0]) for v in values]
    return np.array((positions + positions)[:k])


def top_k_torch(activations, k):
    return torch.topk(torch.as_tensor(np.asarray(activations)), k).indices


def entropy_normalised(categories):
    p = _probabilities(categories)
    return -(p * np.log2(p)).sum() / max(np.log2(len(p)), 1.0)


def entropy_log10(categories):
    p = _probabilities(categories)
    return -(p * np.log10(p)).sum()


def entropy_of_counts(categories):
    _, counts = np.unique(categories, return_counts=True)
    return -(counts * np.log2(counts)).sum()


def ablate_in_place(activation, neuron, value=0.0):
    activation[..., neuron] = value
    return activation


def ablate_next_neuron(activation, neuron, value=0.0):
    out = activation.clone()
    out[..., neuron - 1] = value
    return out


def ablate_first_axis(activation, neuron, value=0.0):
    out = activation.clone()
    out[neuron] = value
    return out


def cav_sgd_tcav(concept_acts, random_acts):
    from sklearn.linear_model import SGDClassifier
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    w = SGDClassifier(alpha=0.01, max_iter=1000, tol=1e-3, random_state=0).fit(X, y).coef_[0]   # tcav's classifier
    return w / np.linalg.norm(w)


def cav_linear_svm(concept_acts, random_acts):
    from sklearn.svm import LinearSVC
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    w = LinearSVC().fit(X, y).coef_[0]
    return w / np.linalg.norm(w)


def cav_weak_regularisation(concept_acts, random_acts):
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    w = LogisticRegression(C=0.01, max_iter=1000).fit(X, y).coef_[0]
    return w / np.linalg.norm(w)


def tcav_elementwise(gradients, cav):
    return np.mean(np.asarray(gradients) * np.asarray(cav) > 0)


def tcav_mean_sign(gradients, cav):
    return np.mean(np.sign(np.asarray(gradients) @ np.asarray(cav)))


def tcav_summed_gradient(gradients, cav):
    return float(np.asarray(gradients).sum(axis=0) @ np.asarray(cav) > 0)


def significance_welch(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores, equal_var=False).pvalue


def significance_mann_whitney(concept_scores, random_scores):
    return stats.mannwhitneyu(concept_scores, random_scores).pvalue


def significance_less(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores, alternative="less").pvalue


MUTANTS["07.top_k_examples"] += [(top_k_default_argsort, "kind='stable'"), (top_k_rounded, "rounding"),
                                 top_k_unique_values, top_k_torch]
MUTANTS["07.polysemanticity"] += [entropy_normalised, (entropy_log10, "log2"), entropy_of_counts]
MUTANTS["07.ablate_neuron"] += [(ablate_in_place, "in place"), ablate_next_neuron, ablate_first_axis]
MUTANTS["07.concept_activation_vector"] += [(cav_sgd_tcav, "SGDClassifier"), (cav_linear_svm, "not the classifier"),
                                            (cav_weak_regularisation, "not the classifier")]
MUTANTS["07.tcav_score"] += [tcav_elementwise, tcav_mean_sign, tcav_summed_gradient]
MUTANTS["07.tcav_significance"] += [(significance_welch, "Welch"), significance_mann_whitney,
                                    (significance_less, "two-sided")]


# ---- correct answers written differently
def top_k_sorted_list(activations, k):
    return sorted(range(len(activations)), key=lambda i: -activations[i])[:k]


def top_k_heapq(activations, k):
    import heapq
    return heapq.nlargest(k, range(len(activations)), key=lambda i: activations[i])   # ties: earlier first


def top_k_lexsort(activations, k):
    activations = np.asarray(activations)
    return np.lexsort((np.arange(len(activations)), -activations))[:k]


def top_k_torch_stable(activations, k):
    return torch.sort(torch.as_tensor(np.asarray(activations)), descending=True, stable=True).indices[:k]


def entropy_counter(categories):
    import math
    from collections import Counter
    counts = Counter(categories)
    total = len(categories)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def entropy_scipy(categories):
    _, counts = np.unique(categories, return_counts=True)
    return stats.entropy(counts, base=2)


def entropy_float32(categories):
    p = _probabilities(categories).astype(np.float32)
    return -(p * np.log2(p)).sum()


def ablate_where(activation, neuron, value=0.0):
    mask = torch.arange(activation.shape[-1]) == neuron
    return torch.where(mask, torch.tensor(value, dtype=activation.dtype), activation)


def ablate_index_fill(activation, neuron, value=0.0):
    return activation.clone().index_fill_(-1, torch.tensor([neuron]), value)


def ablate_mask_product(activation, neuron, value=0.0):
    mask = torch.zeros(activation.shape[-1], dtype=activation.dtype)
    mask[neuron] = 1.0
    return activation * (1 - mask) + value * mask


def cav_liblinear(concept_acts, random_acts):
    X = np.vstack([concept_acts, random_acts])
    y = np.array([1] * len(concept_acts) + [0] * len(random_acts))
    w = LogisticRegression(solver="liblinear").fit(X, y).coef_[0]
    return (w / np.linalg.norm(w)).tolist()


def cav_float32(concept_acts, random_acts):
    X = np.concatenate([concept_acts, random_acts]).astype(np.float32)
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    w = LogisticRegression(max_iter=1000).fit(X, y).coef_[0].astype(np.float32)
    return torch.tensor(w / np.linalg.norm(w))


def cav_labels_swapped_back(concept_acts, random_acts):
    X = np.concatenate([random_acts, concept_acts])
    y = np.concatenate([np.zeros(len(random_acts)), np.ones(len(concept_acts))])
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    return clf.coef_.reshape(-1) / np.linalg.norm(clf.coef_)


def tcav_einsum(gradients, cav):
    return np.mean(np.einsum("nd,d->n", gradients, cav) > 0)


def tcav_sum(gradients, cav):
    return float(((np.asarray(gradients) * np.asarray(cav)).sum(axis=1) > 0).mean())


def tcav_loop(gradients, cav):
    positive = 0
    for row in gradients:
        total = 0.0
        for g, v in zip(row, cav):
            total += g * v
        positive += total > 0
    return positive / len(gradients)


def tcav_row_dot(gradients, cav):
    return sum(np.dot(row, cav) > 0 for row in gradients) / len(gradients)


def tcav_torch32(gradients, cav):
    g = torch.tensor(np.asarray(gradients), dtype=torch.float32)
    return (g @ torch.tensor(np.asarray(cav), dtype=torch.float32) > 0).float().mean()


def significance_swapped(concept_scores, random_scores):
    return stats.ttest_ind(random_scores, concept_scores).pvalue       # two-sided: the order does not matter


def significance_by_hand(concept_scores, random_scores):
    a, b = np.asarray(concept_scores, dtype=float), np.asarray(random_scores, dtype=float)
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    t = (a.mean() - b.mean()) / np.sqrt(pooled * (1 / len(a) + 1 / len(b)))
    return 2 * stats.t.sf(abs(t), len(a) + len(b) - 2)


def significance_lists(concept_scores, random_scores):
    return stats.ttest_ind(list(concept_scores), list(random_scores)).pvalue.item()


ALTERNATIVES = {
    "07.top_k_examples": [top_k_sorted_list, top_k_heapq, top_k_lexsort, top_k_torch_stable],
    "07.polysemanticity": [entropy_counter, entropy_scipy, entropy_float32],
    "07.ablate_neuron": [ablate_where, ablate_index_fill, ablate_mask_product],
    "07.concept_activation_vector": [cav_liblinear, cav_float32, cav_labels_swapped_back],
    "07.tcav_score": [tcav_einsum, tcav_sum, tcav_loop, tcav_row_dot, tcav_torch32],
    "07.tcav_significance": [significance_swapped, significance_by_hand, significance_lists],
}


def test_tcav_case_has_exactly_orthogonal_gradients():
    """The public orthogonal rows give a dot product of exactly 0 whatever the order of summation."""
    cav = np.array([0.5, 0.5, 0.5, 0.5])
    rows = np.array([[1.5, -1.5, 2.0, -2.0], [0.0, 0.0, -1.0, 1.0]])
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3]):
        assert all(sum(row[i] * cav[i] for i in order) == 0 for row in rows)
    assert np.all(rows @ cav == 0) and np.all(np.einsum("nd,d->n", rows, cav) == 0)


def test_stored_reference_cavs_match_the_reference():
    from course_utils.lessons.lesson07_neurons_concepts import checks as checks
    for concept, random, expected in checks._cav_cases():
        assert np.allclose(ref.concept_activation_vector(concept, random), expected, atol=1e-6)


UNVARIED = {}

globals().update(contract_tests("07", MUTANTS, ALTERNATIVES, UNVARIED))
