"""Reference implementations for lesson 07: neurons and concepts (global explanations).

Six graded exercises (top_k_examples, polysemanticity, ablate_neuron, concept_activation_vector, tcav_score,
tcav_significance) plus the helpers the notebook uses to show text and to sort characters into categories.
"""
import html

import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression

CATEGORIES = ("capital", "vowel", "consonant", "space", "newline", "punctuation")


def char_category(char):
    """One of CATEGORIES for a single character."""
    if char == " ":
        return "space"
    if char == "\n":
        return "newline"
    if char.isalpha() and char.isupper():
        return "capital"
    if char in "aeiou":
        return "vowel"
    if char.isalpha():
        return "consonant"
    return "punctuation"


def top_k_examples(activations, k):
    """Positions of the k largest (signed) activations, largest first; ties go to the earlier position."""
    activations = np.asarray(activations, dtype=float).reshape(-1)
    return np.argsort(-activations, kind="stable")[:k]


def polysemanticity(categories):
    """Category entropy in bits: H = -Σ_c p_c log2 p_c over the categories of a neuron's top examples.

    0 bits means one category (monosemantic at this granularity); log2(C) means C categories equally often.
    """
    _, counts = np.unique(np.asarray(list(categories), dtype=object).astype(str), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum() + 0.0)


def ablate_neuron(activation, neuron, value=0.0):
    """A copy of ``activation`` (..., d_mlp) with neuron ``neuron`` set to ``value`` at every position."""
    ablated = activation.clone()
    ablated[..., neuron] = value
    return ablated


def concept_activation_vector(concept_acts, random_acts):
    """The unit normal of a logistic-regression boundary between concept (label 1) and random (label 0) rows."""
    concept_acts, random_acts = np.asarray(concept_acts, dtype=float), np.asarray(random_acts, dtype=float)
    X = np.concatenate([concept_acts, random_acts])
    y = np.concatenate([np.ones(len(concept_acts)), np.zeros(len(random_acts))])
    w = LogisticRegression(C=1.0, max_iter=1000).fit(X, y).coef_[0]
    return w / np.linalg.norm(w)


def tcav_score(gradients, cav):
    """The fraction of inputs whose class-logit gradient has a strictly positive dot product with the CAV."""
    gradients, cav = np.asarray(gradients, dtype=float), np.asarray(cav, dtype=float).reshape(-1)
    return float(np.mean(gradients @ cav > 0))


def tcav_significance(concept_scores, random_scores):
    """Two-sided p-value of Student's t-test (pooled variance): concept-CAV TCAV scores vs random-CAV TCAV scores.

    This is the course's convention, and tensorflow/tcav's (its ``utils.print_results`` calls
    ``scipy.stats.ttest_ind`` with the default ``equal_var=True``). Welch's test, :func:`tcav_significance_welch`,
    is just as valid and is accepted too.
    """
    return float(stats.ttest_ind(np.asarray(concept_scores, dtype=float),
                                 np.asarray(random_scores, dtype=float)).pvalue)


def tcav_significance_welch(concept_scores, random_scores):
    """Two-sided p-value of Welch's t-test (no equal-variance assumption): the accepted alternative convention."""
    return float(stats.ttest_ind(np.asarray(concept_scores, dtype=float),
                                 np.asarray(random_scores, dtype=float), equal_var=False).pvalue)


# ---------------------------------------------------------------------------------------------- display helpers

def window(text, index, before=20, after=8):
    """(left, char, right) around position ``index`` of ``text`` (newlines shown as ⏎)."""
    left = text[max(0, index - before):index]
    right = text[index + 1:index + 1 + after]
    return left.replace("\n", "⏎"), text[index].replace("\n", "⏎"), right.replace("\n", "⏎")


def highlight_text(text, index, before=20, after=8):
    """Plain-text view: the context with the activating character in «guillemets»."""
    left, char, right = window(text, index, before, after)
    return f"{left:>{before}}«{char}»{right}"


def highlight_html(text, activations, index, before=20, after=8, scale=None):
    """HTML view: every character of the window shaded by its activation (scale: the activation shown darkest)."""
    activations = np.asarray(activations, dtype=float)
    scale = float(np.max(activations)) if scale is None else float(scale)
    spans = []
    for position in range(max(0, index - before), min(len(text), index + 1 + after)):
        strength = 0.0 if scale <= 0 else float(np.clip(activations[position] / scale, 0, 1))
        char = html.escape(text[position].replace("\n", "⏎").replace(" ", "\u00a0"))
        border = "border-bottom:2px solid black;" if position == index else ""
        spans.append(f'<span style="background:rgba(230,90,20,{strength:.2f});{border}" '
                     f'title="{activations[position]:.3f}">{char}</span>')
    return '<span style="font-family:monospace">' + "".join(spans) + "</span>"


def layer_gradients(model, tokens, layer_name, target):
    """(activations, gradients) at hook ``layer_name`` for the logit of token ``target`` at every position.

    Use a layer after the last attention (such as ``blocks.1.hook_resid_mid``): then the logit at position t
    depends on the activation at position t only, and one backward pass of the summed logits gives every
    position's own gradient.
    """
    store = {}
    module = dict(model.named_modules())[layer_name]

    def keep(_module, _inputs, output):
        leaf = output.detach().requires_grad_(True)
        store["x"] = leaf
        return leaf

    handle = module.register_forward_hook(keep)
    try:
        logits = model(tokens)
    finally:
        handle.remove()
    logits[..., target].sum().backward()
    x = store["x"]
    return x.detach().reshape(-1, x.shape[-1]).numpy(), x.grad.reshape(-1, x.shape[-1]).numpy()
