"""Checker contract for lesson 07: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression

from checker_contract import contract_tests
from course_utils.lessons.lesson07_neurons_concepts import reference as ref


# Wrong implementations no hint names (the named ones are declared in the lesson's mistakes.py)

# 07.top_k_examples
def top_k_one_too_many(activations, k):
    return np.argsort(-np.asarray(activations), kind="stable")[:k + 1]


def top_k_off_by_one(activations, k):
    return np.argsort(-np.asarray(activations), kind="stable")[1:k + 1]


def top_k_unique_values(activations, k):
    activations = np.asarray(activations)
    values = np.unique(activations)[::-1]                      # distinct values: a tie is counted once
    positions = [int(np.flatnonzero(activations == v)[0]) for v in values]
    return np.array((positions + positions)[:k])


def top_k_torch(activations, k):
    return torch.topk(torch.as_tensor(np.asarray(activations)), k).indices


# 07.polysemanticity
def _probabilities(categories):
    _, counts = np.unique(categories, return_counts=True)
    return counts / counts.sum()


def entropy_normalised(categories):
    p = _probabilities(categories)
    return -(p * np.log2(p)).sum() / max(np.log2(len(p)), 1.0)


def entropy_log10(categories):
    p = _probabilities(categories)
    return -(p * np.log10(p)).sum()


def entropy_of_counts(categories):
    _, counts = np.unique(categories, return_counts=True)
    return -(counts * np.log2(counts)).sum()


# 07.ablate_neuron
def ablate_returns_numpy(activation, neuron, value=0.0):
    out = activation.clone().numpy()
    out[..., neuron] = value
    return out


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


# 07.concept_activation_vector
def cav_sign_flipped(concept_acts, random_acts):
    return -ref.concept_activation_vector(concept_acts, random_acts)


def cav_unnormalised(concept_acts, random_acts):
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    return LogisticRegression(max_iter=1000).fit(X, y).coef_[0]


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


# 07.tcav_score
def tcav_elementwise(gradients, cav):
    return np.mean(np.asarray(gradients) * np.asarray(cav) > 0)


def tcav_mean_sign(gradients, cav):
    return np.mean(np.sign(np.asarray(gradients) @ np.asarray(cav)))


def tcav_summed_gradient(gradients, cav):
    return float(np.asarray(gradients).sum(axis=0) @ np.asarray(cav) > 0)


# 07.tcav_significance
def significance_statistic(concept_scores, random_scores):
    return stats.ttest_ind(concept_scores, random_scores).statistic


def significance_mann_whitney(concept_scores, random_scores):
    return stats.mannwhitneyu(concept_scores, random_scores).pvalue


MUTANTS = {
    "07.top_k_examples": [(top_k_one_too_many, "[:k]"), top_k_off_by_one, top_k_unique_values, top_k_torch],
    "07.polysemanticity": [entropy_normalised, (entropy_log10, "log2"), entropy_of_counts],
    "07.ablate_neuron": [(ablate_returns_numpy, "activation.clone()"), (ablate_in_place, "in place"),
                         ablate_next_neuron, ablate_first_axis],
    "07.concept_activation_vector": [(cav_sign_flipped, "toward the concept"), (cav_unnormalised, "unit length"),
                                     (cav_sgd_tcav, "SGDClassifier"), (cav_linear_svm, "not the classifier"),
                                     (cav_weak_regularisation, "not the classifier")],
    "07.tcav_score": [tcav_elementwise, tcav_mean_sign, tcav_summed_gradient],
    "07.tcav_significance": [(significance_statistic, "pvalue"), significance_mann_whitney],
}


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


def significance_welch(concept_scores, random_scores):  # Welch's t-test: a valid convention, accepted
    return stats.ttest_ind(concept_scores, random_scores, equal_var=False).pvalue


def significance_welch_by_hand(concept_scores, random_scores):  # Welch-Satterthwaite degrees of freedom
    a, b = np.asarray(concept_scores, dtype=float), np.asarray(random_scores, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return 2 * stats.t.sf(abs(t), dof)


def significance_lists(concept_scores, random_scores):
    return stats.ttest_ind(list(concept_scores), list(random_scores)).pvalue.item()


ALTERNATIVES = {
    "07.top_k_examples": [top_k_sorted_list, top_k_heapq, top_k_lexsort, top_k_torch_stable],
    "07.polysemanticity": [entropy_counter, entropy_scipy, entropy_float32],
    "07.ablate_neuron": [ablate_where, ablate_index_fill, ablate_mask_product],
    "07.concept_activation_vector": [cav_liblinear, cav_float32, cav_labels_swapped_back],
    "07.tcav_score": [tcav_einsum, tcav_sum, tcav_loop, tcav_row_dot, tcav_torch32],
    "07.tcav_significance": [significance_swapped, significance_by_hand, significance_lists, significance_welch,
                             significance_welch_by_hand],
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


def test_public_cases_tell_student_from_welch():
    """Both conventions are accepted: on the public case they differ, so the Welch alternatives test something."""
    concept, random = np.array([0.81, 0.77, 0.85, 0.79, 0.83, 0.80]), np.array([0.72, 0.50, 0.40, 0.61, 0.45, 0.55, 0.70])
    assert abs(ref.tcav_significance(concept, random) - ref.tcav_significance_welch(concept, random)) > 1e-4


UNVARIED = {}

globals().update(contract_tests("07", MUTANTS, ALTERNATIVES, UNVARIED))
