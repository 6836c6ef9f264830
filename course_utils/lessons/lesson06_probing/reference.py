"""Reference solutions for lesson 06: probing."""
import numpy as np
import torch
from torch.nn import functional as F


def hook_name(layer):
    """The residual stream after ``layer`` blocks: 0 is the embedding (token + position)."""
    return "blocks.0.hook_resid_pre" if layer == 0 else f"blocks.{layer - 1}.hook_resid_post"


def residual_activations(model, tokens, layer):
    store = []
    module = model.get_submodule(hook_name(layer))
    handle = module.register_forward_hook(lambda _module, _inputs, output: store.append(output.detach()))
    try:
        with torch.no_grad():
            model(tokens)
    finally:
        handle.remove()
    acts = store[0]
    return acts.reshape(-1, acts.shape[-1]).numpy()


def _train(parameters, logits_of, X, y, steps, lr):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    optimizer = torch.optim.Adam(parameters, lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(logits_of(X), y).backward()
        optimizer.step()


def fit_probe(X, y, n_classes, steps=150, lr=0.05, seed=0):
    d = np.asarray(X).shape[1]
    W = torch.zeros(d, n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=True)
    _train([W, b], lambda X: X @ W + b, X, y, steps, lr)
    return W.detach().numpy(), b.detach().numpy()


def probe_accuracy(fit, X, y, is_test, n_classes):
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test, dtype=bool)
    predict = fit(X[~is_test], y[~is_test], n_classes)
    return float(np.mean(np.argmax(predict(X[is_test]), axis=1) == y[is_test]))


def control_task_labels(types, labels, seed):
    types, labels = np.asarray(types), np.asarray(labels)
    rng = np.random.default_rng(seed)
    distinct, inverse = np.unique(types, return_inverse=True)
    per_type = rng.choice(labels, size=len(distinct))    # drawn from the task's own label distribution
    return per_type[inverse.reshape(-1)]


def selectivity(task_accuracy, control_accuracy):
    return np.asarray(task_accuracy, dtype=float) - np.asarray(control_accuracy, dtype=float)


def fit_low_rank_probe(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    d = np.asarray(X).shape[1]
    generator = torch.Generator().manual_seed(seed)
    A = (0.1 * torch.randn(d, rank, generator=generator)).requires_grad_()
    B = (0.1 * torch.randn(rank, n_classes, generator=generator)).requires_grad_()
    b = torch.zeros(n_classes, requires_grad=True)
    _train([A, B, b], lambda X: X @ A @ B + b, X, y, steps, lr)
    return (A @ B).detach().numpy(), b.detach().numpy()


def ablate_direction(acts, direction):
    acts = torch.as_tensor(acts, dtype=torch.float32)
    unit = torch.as_tensor(direction, dtype=torch.float32)
    unit = unit / unit.norm()
    return acts - (acts @ unit)[..., None] * unit
