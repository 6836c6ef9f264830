"""Checker contract for lesson 06: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.reference import lesson06_probing as ref


# 06.residual_activations
def acts_off_by_one(model, tokens, layer):
    return ref.residual_activations(model, tokens, layer + 1) if layer < 2 else ref.residual_activations(model, tokens, 1)


def acts_without_positions(model, tokens, layer):
    if layer == 0:
        _, cache = model.run_with_cache(tokens, names=["hook_embed"])
        return cache["hook_embed"].reshape(-1, cache["hook_embed"].shape[-1]).numpy()
    return ref.residual_activations(model, tokens, layer)


def acts_position_major(model, tokens, layer):
    _, cache = model.run_with_cache(tokens, names=[ref.hook_name(layer)])
    acts = cache[ref.hook_name(layer)]
    return acts.transpose(0, 1).reshape(-1, acts.shape[-1]).numpy()


# 06.fit_probe
def probe_without_bias(X, y, n_classes, steps=150, lr=0.05, seed=0):
    W = torch.zeros(np.asarray(X).shape[1], n_classes, requires_grad=True)
    ref._train([W], lambda X: X @ W, X, y, steps, lr)
    return W.detach().numpy(), np.zeros(n_classes)


def probe_transposed(X, y, n_classes, steps=150, lr=0.05, seed=0):
    W, b = ref.fit_probe(X, y, n_classes, steps, lr, seed)
    return W.T, b


def probe_barely_trained(X, y, n_classes, steps=150, lr=0.05, seed=0):
    return ref.fit_probe(X, y, n_classes, steps=3, lr=0.001)


# 06.probe_accuracy
def accuracy_fit_on_everything(fit, X, y, is_test, n_classes):
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test, dtype=bool)
    predict = fit(X, y, n_classes)
    return float(np.mean(np.argmax(predict(X[is_test]), axis=1) == y[is_test]))


def accuracy_on_training_rows(fit, X, y, is_test, n_classes):
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test, dtype=bool)
    predict = fit(X[~is_test], y[~is_test], n_classes)
    return float(np.mean(np.argmax(predict(X[~is_test]), axis=1) == y[~is_test]))


def accuracy_same_split(fit, X, y, is_test, n_classes):
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test, dtype=bool)
    predict = fit(X[is_test], y[is_test], n_classes)
    return float(np.mean(np.argmax(predict(X[is_test]), axis=1) == y[is_test]))


# 06.control_task_labels
def control_per_token(types, labels, seed):
    return np.random.default_rng(seed).choice(np.asarray(labels), size=len(types))


def control_shuffled_labels(types, labels, seed):
    return np.random.default_rng(seed).permutation(np.asarray(labels))


def control_type_modulo(types, labels, seed):
    distinct = np.unique(labels)
    return distinct[np.asarray(types) % len(distinct)]


def control_uniform_over_range(types, labels, seed):
    distinct, inverse = np.unique(types, return_inverse=True)
    per_type = np.random.default_rng(seed).integers(0, np.max(labels) + 1, size=len(distinct))
    return per_type[inverse]


def control_uniform_over_classes(types, labels, seed):
    distinct, inverse = np.unique(types, return_inverse=True)
    per_type = np.random.default_rng(seed).choice(np.unique(labels), size=len(distinct))
    return per_type[inverse]


# 06.selectivity
def selectivity_flipped(task_accuracy, control_accuracy):
    return np.asarray(control_accuracy) - np.asarray(task_accuracy)


def selectivity_ratio(task_accuracy, control_accuracy):
    return np.asarray(task_accuracy) / np.asarray(control_accuracy)


def selectivity_absolute(task_accuracy, control_accuracy):
    return np.abs(np.asarray(task_accuracy) - np.asarray(control_accuracy))


# 06.fit_low_rank_probe
def low_rank_ignores_rank(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    return ref.fit_probe(X, y, n_classes, steps, lr)


def low_rank_first_features(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    W, b = ref.fit_probe(np.asarray(X)[:, :rank], y, n_classes, steps, lr)
    full = np.zeros((np.asarray(X).shape[1], n_classes), dtype=np.float32)
    full[:rank] = W
    return full, b


def low_rank_without_bias(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    generator = torch.Generator().manual_seed(seed)
    A = (0.1 * torch.randn(np.asarray(X).shape[1], rank, generator=generator)).requires_grad_()
    B = (0.1 * torch.randn(rank, n_classes, generator=generator)).requires_grad_()
    ref._train([A, B], lambda X: X @ A @ B, X, y, steps, lr)
    return (A @ B).detach().numpy(), np.zeros(n_classes)


# 06.ablate_direction
def ablate_unnormalised(acts, direction):
    acts, direction = torch.as_tensor(acts), torch.as_tensor(direction)
    return acts - (acts @ direction)[..., None] * direction


def ablate_divide_by_norm(acts, direction):
    acts, direction = torch.as_tensor(acts), torch.as_tensor(direction)
    return acts - (acts @ direction)[..., None] * direction / direction.norm()


def ablate_keeps_component(acts, direction):
    acts, direction = torch.as_tensor(acts), torch.as_tensor(direction)
    unit = direction / direction.norm()
    return (acts @ unit)[..., None] * unit


MUTANTS = {
    "06.residual_activations": [(acts_off_by_one, "off by one layer"), (acts_without_positions, "plus* position"),
                                (acts_position_major, "batch-major")],
    "06.fit_probe": [(probe_without_bias, "with a bias"), (probe_transposed, "W.T"), probe_barely_trained],
    "06.probe_accuracy": [(accuracy_fit_on_everything, "training rows only"),
                          (accuracy_on_training_rows, "measures memory"),
                          (accuracy_same_split, "measures memory")],
    "06.control_task_labels": [(control_per_token, "fixed per token *type*"),
                               (control_shuffled_labels, "fixed per token *type*"),
                               (control_type_modulo, "not random"),
                               (control_uniform_over_range, "not from range(k)"),
                               (control_uniform_over_classes, "empirical distribution")],
    "06.selectivity": [(selectivity_flipped, "other way"), (selectivity_ratio, "not a ratio"),
                       (selectivity_absolute, "keep the sign")],
    "06.fit_low_rank_probe": [(low_rank_ignores_rank, "A @ B"), (low_rank_first_features, "any* direction"),
                              (low_rank_without_bias, "keep the bias")],
    "06.ablate_direction": [(ablate_unnormalised, "unit"), (ablate_divide_by_norm, "unit"),
                            (ablate_keeps_component, "subtract")],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
