"""Checkers for lesson 07: neurons and concepts.

Small synthetic cases built so that every likely mistake gives a different answer: ties and negative
activations for top-k, label sets with known entropies, a 3-D activation whose position axis is longer than
the neuron index, anisotropic clouds where a mean difference is not the classifier's normal, gradients exactly
orthogonal to the CAV, and score sets where a single random run or a one-sided test would disagree.
"""
import numpy as np
import torch

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_equal, expect_true
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("07", "neurons_concepts", "Neurons and concepts", 75,
                    "max-activating examples of TinyGPT's MLP neurons, a polysemanticity measure, neuron ablation, "
                    "concept activation vectors and TCAV with its significance test against random concepts")


def _indices(got, *, case, k):
    array = as_array(got, case=case, what="the positions")
    if array.ndim != 1:
        raise CheckFailure(f"the positions should be a 1-D array, but they have shape {array.shape}.", case=case,
                           show_values=False)
    if len(array) != k:
        raise CheckFailure(f"you should return k = {k} positions, but you returned {len(array)}.", case=case,
                           got=array, hint="take exactly the first k entries of the sorted order: [:k]")
    return array


def _int_list(positions):
    return [int(i) for i in positions]


@exercise("07.top_k_examples", points=1, reference=ref.top_k_examples,
          title="the positions where a neuron fires most", mistakes=mistakes.TOP_K_EXAMPLES)
def check_top_k_examples(top_k_examples):
    # tie-heavy: 40 positions on a grid of 4 values, with 12 tied values across the cut (a sort that is not
    # stable, such as np.argsort's default, orders them differently), and near-ties that rounding would merge
    tied = np.random.default_rng(2).choice([-1.0, 0.0, 0.5, 2.0], size=40, p=[0.2, 0.3, 0.2, 0.3])
    cases = [(np.array([0.5, -3.0, 2.0, 0.1, 2.0, -0.2, 1.0]), 3),
             (np.array([-1.0, -0.5, -2.0, -0.1]), 2),
             (np.array([0.3, 0.9, 0.3, 0.0, 0.3]), 4),
             (tied, 12),
             (np.array([0.301, 0.9, 0.304, 0.0, 0.302, 0.3004]), 5)]
    for activations, k in cases:
        case = {"activations": activations, "k": k}
        expected = ref.top_k_examples(activations, k)
        got = top_k_examples(activations.copy(), k)
        array = as_array(got, case=case, what="the positions")
        if array.ndim == 1 and len(array) != k:
            _indices(got, case=case, k=k)
        expect_equal(_int_list(_indices(got, case=case, k=k)), _int_list(expected), case=case,
                     what="the positions",
                     mistakes=mistakes.TOP_K_EXAMPLES.answers(activations, k).map(_int_list),
                     hint="np.argsort(-activations, kind='stable')[:k]: largest first, ties to the earlier position")


@exercise("07.polysemanticity", points=1, reference=ref.polysemanticity,
          title="category entropy of a neuron's top examples", mistakes=mistakes.POLYSEMANTICITY)
def check_polysemanticity(polysemanticity):
    # uneven frequencies first: there every mistake gives its own answer (with one category, 2^H = 1 = #categories)
    cases = [["capital", "vowel", "vowel", "vowel", "space", "space", "punctuation", "vowel"],
             ["vowel"] * 8,
             ["vowel", "space", "vowel", "space"],
             ["space", "newline", "capital", "vowel", "consonant", "punctuation", "space", "space", "space"]]
    for categories in cases:
        case = {"categories": categories}
        expected = ref.polysemanticity(categories)
        got = as_float(polysemanticity(list(categories)), case=case, what="the entropy")
        expect_close(got, expected, case=case, what="the entropy in bits", rtol=1e-6, atol=1e-9,
                     mistakes=mistakes.POLYSEMANTICITY.answers(categories),
                     hint="count each category, p_c = count / total, H = -Σ_c p_c log2 p_c")


@exercise("07.ablate_neuron", points=1, reference=ref.ablate_neuron,
          title="set one neuron to a fixed value at every position", mistakes=mistakes.ABLATE_NEURON)
def check_ablate_neuron(ablate_neuron):
    generator = torch.Generator().manual_seed(7)
    cases = [(torch.randn(2, 6, 4, generator=generator), 2, 0.0),
             (torch.randn(2, 6, 5, generator=generator), 1, 0.75),
             (torch.randn(5, 3, generator=generator), 0, -0.5)]
    for activation, neuron, value in cases:
        case = {"activation": f"a tensor of shape {tuple(activation.shape)}", "neuron": neuron, "value": value}
        expected = ref.ablate_neuron(activation, neuron, value)
        got = ablate_neuron(activation.clone(), neuron, value)
        if not isinstance(got, torch.Tensor):
            raise CheckFailure("your function should return a torch tensor (a forward hook passes its result on "
                               "to the rest of the model).", case=case, got=got, show_values=False,
                               hint="start from activation.clone() and assign to one neuron")
        expect_close(got.detach(), expected, case=case, what="the ablated activation", rtol=1e-6, atol=1e-7,
                     mistakes=mistakes.ABLATE_NEURON.answers(activation, neuron, value),
                     hint="ablated = activation.clone(); ablated[..., neuron] = value")


def _concept_case(seed, shift, scales):
    rng = np.random.default_rng(seed)
    d = len(scales)
    concept = rng.normal(size=(40, d)) * scales + shift
    random = rng.normal(size=(40, d)) * scales
    return concept, random


# The reference CAVs of the cases, stored so that a check fits only the learner's classifier (a logistic-regression
# fit takes ~0.1 s on a busy laptop); tests/lessons/test_lesson07_neurons_concepts.py recomputes them.
CAV_CASE_PARAMETERS = [(0, (1.0, 1.0, 0.0, 0.0, 0.0), (0.2, 3.0, 1.0, 1.0, 1.0)),
                       (1, (0.0, -1.5, 0.5, 0.0), (1.0, 0.3, 2.5, 1.0)),
                       # overlapping clouds: another classifier (an SGD-trained hinge loss, as in the tcav package)
                       # finds a visibly different normal (cosine below 0.99 with it)
                       (3, (0.04, 1.44, -0.19, -0.19, -0.3), (2.56, 2.17, 0.88, 0.64, 1.31))]
CAV_CASE_EXPECTED = [np.array([0.9955950514834425, 0.01720314837154143, 0.07370708095253013, 0.05472810619365932,
                               -0.00816368530143137]),
                     np.array([-0.01459051113866891, -0.9995214748477746, 0.02680108982172706, 0.00506358442305074]),
                     np.array([0.09786264541801723, 0.5046479434225547, -0.2785141948716935, -0.8066197632924658,
                               -0.08687782543406773])]
# Every fit of the classifier the docstring names agrees on the direction to far better than this (lbfgs,
# liblinear, float32 inputs: cosine above 0.9999); another classifier does not
CAV_MIN_COSINE = 0.999


def _cav_cases():
    for (seed, shift, scales), expected in zip(CAV_CASE_PARAMETERS, CAV_CASE_EXPECTED):
        concept, random = _concept_case(seed, np.array(shift), np.array(scales))
        yield concept, random, expected


def _parallel_mistake(got, mistaken):
    """The hint of the first mistake whose answer lies along ``got`` (a direction: any length, either sign)."""
    for hint, answer in mistaken.items():
        answer = np.asarray(answer, dtype=float).reshape(-1)
        if answer.shape == got.shape and abs(_cosine(got, answer)) > CAV_MIN_COSINE:
            return hint
    return None


def _cosine(a, b):
    return float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))


@exercise("07.concept_activation_vector", points=2, reference=ref.concept_activation_vector,
          title="a concept activation vector from a linear classifier", mistakes=mistakes.CONCEPT_ACTIVATION_VECTOR)
def check_concept_activation_vector(concept_activation_vector):
    for concept, random, expected in _cav_cases():
        case = {"concept_acts": f"{concept.shape} array", "random_acts": f"{random.shape} array"}
        got = as_array(concept_activation_vector(concept, random), case=case, what="the CAV").reshape(-1)
        if got.shape != expected.shape:
            raise CheckFailure(f"the CAV should have {len(expected)} entries (one per activation dimension), but "
                               f"it has {len(got)}.", case=case, show_values=False,
                               hint="return clf.coef_[0] / its norm, a 1-D vector")
        norm = float(np.linalg.norm(got))
        if not np.isfinite(norm) or norm == 0:
            raise CheckFailure("the CAV has no direction (zero, nan or inf).", case=case, got=got)
        cosine = float(got @ expected) / norm
        expect_true(cosine > -0.99, "your CAV points away from the concept.", case=case, expected=expected, got=got,
                    hint="label the concept examples 1 and the random ones 0, so that the normal points toward "
                         "the concept")
        if cosine <= CAV_MIN_COSINE:
            raise CheckFailure(f"your CAV is not the classifier's normal (cosine {cosine:.4f} with it).", case=case,
                               expected=expected, got=got / norm,
                               hint=_parallel_mistake(got, mistakes.CONCEPT_ACTIVATION_VECTOR.answers(concept, random))
                               or "fit sklearn's LogisticRegression(max_iter=1000) (default C=1, not another "
                                  "classifier such as SGDClassifier or an SVM) on the stacked rows with labels 1 / 0 "
                                  "and use coef_[0]")
        expect_true(abs(norm - 1) < 1e-6, f"your CAV has length {norm:.4f}.", case=case,
                    hint="a CAV has unit length: divide the normal by np.linalg.norm")


@exercise("07.tcav_score", points=1, reference=ref.tcav_score,
          title="the TCAV score: a fraction of positive directional derivatives", mistakes=mistakes.TCAV_SCORE)
def check_tcav_score(tcav_score):
    rng = np.random.default_rng(3)
    cav = np.array([0.5, 0.5, 0.5, 0.5])
    gradients = rng.normal(size=(12, 4)) * np.array([1.0, 1.0, 5.0, 1.0])
    # exactly orthogonal to the CAV: every product and partial sum is exact in binary floating point, so the dot
    # product is 0 whatever the order of summation (@, einsum, a loop, float32)
    gradients[:3] = np.array([[1.5, -1.5, 2.0, -2.0], [0.0, 0.0, -1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    gradients[3:5] *= 40.0                                                          # a few very large gradients
    cases = [(gradients, cav), (rng.normal(size=(7, 2)) + np.array([1.0, 0.0]), np.array([1.0, 0.0]))]
    for gradients, cav in cases:
        case = {"gradients": gradients, "cav": cav}
        expected = ref.tcav_score(gradients, cav)
        got = as_float(tcav_score(gradients, cav), case=case, what="the TCAV score")
        expect_close(got, expected, case=case, what="the TCAV score", rtol=1e-6, atol=1e-9,
                     mistakes=mistakes.TCAV_SCORE.answers(gradients, cav),
                     hint="np.mean(gradients @ cav > 0)")


@exercise("07.tcav_significance", points=2, reference=ref.tcav_significance,
          title="is a concept's TCAV score different from random CAVs?", mistakes=mistakes.TCAV_SIGNIFICANCE)
def check_tcav_significance(tcav_significance):
    cases = [(np.array([0.81, 0.77, 0.85, 0.79, 0.83, 0.80]), np.array([0.72, 0.50, 0.40, 0.61, 0.45, 0.55, 0.70])),
             (np.array([0.42, 0.38, 0.50, 0.47, 0.41]), np.array([0.55, 0.49, 0.62, 0.51, 0.58, 0.47])),
             (np.array([0.52, 0.61, 0.47, 0.55]), np.array([0.50, 0.58, 0.44, 0.62, 0.49]))]
    for concept_scores, random_scores in cases:
        case = {"concept_scores": concept_scores, "random_scores": random_scores}
        got = as_float(tcav_significance(concept_scores, random_scores), case=case, what="the p-value")
        expect_true(0 <= got <= 1, f"a p-value lies between 0 and 1, but you returned {got:.4g}.", case=case,
                    hint="return ttest_ind(...).pvalue, not the t statistic")
        expect_p_value(got, concept_scores, random_scores, case=case,
                       mistaken=mistakes.TCAV_SIGNIFICANCE.answers(concept_scores, random_scores))


def expect_p_value(got, concept_scores, random_scores, *, case=None, mistaken=None):
    """Pass when ``got`` is the two-sided p-value of Student's t-test (the course's convention) or of Welch's."""
    try:
        expect_close(got, ref.tcav_significance_welch(concept_scores, random_scores), case=case,
                     what="the p-value", rtol=1e-6, atol=1e-12)
        return
    except CheckFailure:
        pass
    expect_close(got, ref.tcav_significance(concept_scores, random_scores), case=case, what="the p-value",
                 rtol=1e-6, atol=1e-12, mistakes=mistaken,
                 hint="scipy.stats.ttest_ind(concept_scores, random_scores).pvalue (Student's t-test; Welch's, "
                      "equal_var=False, is accepted too)")
