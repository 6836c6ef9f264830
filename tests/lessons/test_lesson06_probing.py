"""Checker contract for lesson 06: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch
from torch.nn import functional as F

from checker_contract import contract_tests
from course_utils.lessons.lesson06_probing import reference as ref
from course_utils.lessons.lesson06_probing.mistakes import probe_accuracy_with


# --- mistakes no hint names (the named ones are declared in the lesson's mistakes.py) ------------------

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


# audit (issue 13): more plausible mistakes
def acts_hook_left_on(model, tokens, layer):
    store = []
    model.get_submodule(ref.hook_name(layer)).register_forward_hook(lambda m, i, output: store.append(output.detach()))
    with torch.no_grad():
        model(tokens)
    return store[0].reshape(-1, store[0].shape[-1]).numpy()


def acts_resid_pre_everywhere(model, tokens, layer):
    _, cache = model.run_with_cache(tokens, names=[f"blocks.{layer}.hook_resid_pre"])   # none after the last block
    acts = cache[f"blocks.{layer}.hook_resid_pre"]
    return acts.reshape(-1, acts.shape[-1]).numpy()


def acts_not_flattened(model, tokens, layer):
    _, cache = model.run_with_cache(tokens, names=[ref.hook_name(layer)])
    return cache[ref.hook_name(layer)].numpy()


def _train_probe(X, y, n_classes, steps, lr, loss_of):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    W = torch.zeros(X.shape[1], n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=True)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(X, y, W, b).backward()
        optimizer.step()
    return W.detach().numpy(), b.detach().numpy()


def probe_softmax_first(X, y, n_classes, steps=150, lr=0.05, seed=0):
    return _train_probe(X, y, n_classes, steps, lr,
                        lambda X, y, W, b: F.cross_entropy(torch.softmax(X @ W + b, dim=1), y))


def probe_loss_item(X, y, n_classes, steps=150, lr=0.05, seed=0):
    return _train_probe(X, y, n_classes, steps, lr,
                        lambda X, y, W, b: torch.tensor(F.cross_entropy(X @ W + b, y).item(), requires_grad=True))


def probe_detached_weights(X, y, n_classes, steps=150, lr=0.05, seed=0):
    return _train_probe(X, y, n_classes, steps, lr, lambda X, y, W, b: F.cross_entropy(X @ W.detach() + b, y))


def probe_ignores_steps(X, y, n_classes, steps=150, lr=0.05, seed=0):
    return ref.fit_probe(X, y, n_classes, 150, lr, seed)


def accuracy_as_percentage(fit, X, y, is_test, n_classes):
    return 100 * ref.probe_accuracy(fit, X, y, is_test, n_classes)


def accuracy_on_all_rows(fit, X, y, is_test, n_classes):
    return probe_accuracy_with(fit, X, y, is_test, n_classes, score_rows=np.ones_like)


def accuracy_count(fit, X, y, is_test, n_classes):
    return probe_accuracy_with(fit, X, y, is_test, n_classes, summary=lambda hits: int(np.sum(hits)))


def control_one_rng_per_type(types, labels, seed):
    types, labels = np.asarray(types), np.asarray(labels)
    per_type = {t: np.random.default_rng(seed).choice(labels) for t in np.unique(types)}   # the same draw each time
    return np.array([per_type[t] for t in types])


def control_indexed_by_id(types, labels, seed):
    types, labels = np.asarray(types), np.asarray(labels)
    per_type = np.random.default_rng(seed).choice(labels, size=len(np.unique(types)))
    return per_type[types]                                     # assumes the ids are 0 .. n_types - 1


def control_unseeded(types, labels, seed):
    return ref.control_task_labels(types, labels, int(np.random.default_rng().integers(2**31)))


def selectivity_mean(task_accuracy, control_accuracy):
    return float(np.mean(np.asarray(task_accuracy) - np.asarray(control_accuracy)))


def selectivity_relative(task_accuracy, control_accuracy):
    task = np.asarray(task_accuracy)
    return (task - np.asarray(control_accuracy)) / task


def selectivity_percent(task_accuracy, control_accuracy):
    return 100 * (np.asarray(task_accuracy) - np.asarray(control_accuracy))


def _train_low_rank(X, y, n_classes, rank, steps, lr, generator, logits_of=None):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    A = (0.1 * torch.randn(X.shape[1], rank, generator=generator)).requires_grad_()
    B = (0.1 * torch.randn(rank, n_classes, generator=generator)).requires_grad_()
    b = torch.zeros(n_classes, requires_grad=True)
    optimizer = torch.optim.Adam([A, B, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        logits = X @ A @ B + b
        F.cross_entropy(logits if logits_of is None else logits_of(logits), y).backward()
        optimizer.step()
    return (A @ B).detach().numpy(), b.detach().numpy()


def low_rank_softmax_first(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    return _train_low_rank(X, y, n_classes, rank, steps, lr, torch.Generator().manual_seed(seed),
                           lambda logits: torch.softmax(logits, dim=1))


def low_rank_ignores_seed(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    return _train_low_rank(X, y, n_classes, rank, steps, lr, torch.Generator().manual_seed(0))


def low_rank_rank_one(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    return ref.fit_low_rank_probe(X, y, n_classes, 1, steps, lr, seed)


def low_rank_returns_factors(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    W, b = ref.fit_low_rank_probe(X, y, n_classes, rank, steps, lr, seed)
    return np.linalg.svd(W)[0][:, :rank], b                    # A alone, shape (d, rank)


def ablate_in_place(acts, direction):
    unit = direction / direction.norm()
    acts -= (acts @ unit)[..., None] * unit
    return acts


def ablate_first_coordinate(acts, direction):
    out = torch.as_tensor(acts).clone()
    out[..., int(torch.argmax(torch.as_tensor(direction).abs()))] = 0.0     # zero the largest coordinate
    return out


def ablate_wrong_axis(acts, direction):
    acts, direction = torch.as_tensor(acts), torch.as_tensor(direction)
    unit = direction / direction.norm()
    return acts - (acts @ unit).sum() / acts[..., 0].numel() * unit          # one mean projection for every row


MUTANTS = {
    "06.residual_activations": [(acts_hook_left_on, "hook"), acts_resid_pre_everywhere,
                                (acts_not_flattened, "shape")],
    "06.fit_probe": [(probe_without_bias, "with a bias"), (probe_transposed, "W.T"), probe_barely_trained,
                     (probe_softmax_first, "softmax"), (probe_loss_item, ".item()"),
                     (probe_detached_weights, ".detach()"), (probe_ignores_steps, "not fixed numbers")],
    "06.probe_accuracy": [accuracy_as_percentage, accuracy_on_all_rows, accuracy_count],
    "06.control_task_labels": [(control_per_token, "fixed per token *type*"),
                               (control_shuffled_labels, "fixed per token *type*"),
                               (control_type_modulo, "not random"),
                               (control_uniform_over_range, "not from range(k)"),
                               (control_uniform_over_classes, "empirical distribution"),
                               control_one_rng_per_type, control_indexed_by_id, (control_unseeded, "same seed")],
    "06.selectivity": [selectivity_mean, selectivity_relative, selectivity_percent],
    "06.fit_low_rank_probe": [(low_rank_ignores_rank, "A @ B"), (low_rank_first_features, "any* direction"),
                              (low_rank_without_bias, "keep the bias"), (low_rank_softmax_first, "softmax"),
                              (low_rank_ignores_seed, "Seeds 0 and 1"), low_rank_rank_one, low_rank_returns_factors],
    "06.ablate_direction": [(ablate_in_place, "in place"), ablate_first_coordinate, ablate_wrong_axis],
}


# ---- correct answers written differently
def acts_run_with_cache(model, tokens, layer):
    name = "blocks.0.hook_resid_pre" if layer == 0 else f"blocks.{layer - 1}.hook_resid_post"
    _, cache = model.run_with_cache(tokens, names=[name])
    return cache[name].flatten(0, 1)                           # a tensor, not an array


def acts_next_block_input(model, tokens, layer):
    store = {}
    if layer < len(model.blocks):                              # the input of block `layer` ...
        module = model.blocks[layer]
        handle = module.register_forward_pre_hook(lambda m, inputs: store.setdefault("x", inputs[0].clone()))
    else:                                                      # ... or the output of the last block
        module = model.blocks[layer - 1]
        handle = module.register_forward_hook(lambda m, inputs, output: store.setdefault("x", output.clone()))
    try:
        with torch.no_grad():
            model(tokens)
    finally:
        handle.remove()
    return store["x"].reshape(-1, store["x"].shape[-1]).double().numpy()


def acts_list(model, tokens, layer):
    return ref.residual_activations(model, tokens, layer).tolist()


def probe_linear_module(X, y, n_classes, steps=150, lr=0.05, seed=0):
    torch.manual_seed(seed)
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    probe = torch.nn.Linear(X.shape[1], n_classes)            # its own random initialisation
    optimizer = torch.optim.Adam(probe.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(probe(X), y).backward()
        optimizer.step()
    return probe.weight.detach().T, probe.bias.detach()       # tensors


def probe_float64_nll(X, y, n_classes, steps=150, lr=0.05, seed=0):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    W = (0.01 * torch.randn(X.shape[1], n_classes, generator=generator, dtype=torch.float64)).requires_grad_()
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.nll_loss(F.log_softmax(X @ W + b, dim=1), y).backward()
        optimizer.step()
    return W.detach().numpy().tolist(), b.detach().numpy().tolist()


def probe_manual_loss(X, y, n_classes, steps=150, lr=0.05, seed=0):
    def loss_of(X, y, W, b):
        logits = X @ W + b
        return (torch.logsumexp(logits, dim=1) - logits[torch.arange(len(y)), y]).mean()
    return _train_probe(X, y, n_classes, steps, lr, loss_of)


def accuracy_predict_everything(fit, X, y, is_test, n_classes):
    X, y, is_test = np.asarray(X), np.asarray(y), np.asarray(is_test) == 1
    predict = fit(X[~is_test], y[~is_test], n_classes)
    return np.float32((np.argmax(predict(X), axis=1) == y)[is_test].mean())


def accuracy_loop(fit, X, y, is_test, n_classes):
    train = [i for i in range(len(y)) if not is_test[i]]
    test = [i for i in range(len(y)) if is_test[i]]
    predict = fit(np.asarray(X)[train], np.asarray(y)[train], n_classes)
    scores = predict(np.asarray(X)[test])
    return sum(int(np.argmax(s) == y[i]) for s, i in zip(scores, test)) / len(test)


def accuracy_torch(fit, X, y, is_test, n_classes):
    mask = torch.as_tensor(np.asarray(is_test, dtype=bool))
    X, y = np.asarray(X), np.asarray(y)
    predict = fit(X[~mask.numpy()], y[~mask.numpy()], n_classes)
    return (torch.as_tensor(predict(X[mask.numpy()])).argmax(dim=1) == torch.as_tensor(y[mask.numpy()])).float().mean()


def control_dictionary(types, labels, seed):
    rng = np.random.default_rng(seed)
    per_type = {}
    for t in types:                                           # types in order of first appearance
        if t not in per_type:
            per_type[t] = rng.choice(labels)
    return [per_type[t] for t in types]                       # a list


def control_legacy_rng(types, labels, seed):
    types, labels = np.asarray(types), np.asarray(labels)
    distinct, inverse = np.unique(types, return_inverse=True)
    per_type = labels[np.random.RandomState(seed).randint(0, len(labels), size=len(distinct))]
    return per_type[inverse]


def control_torch(types, labels, seed):
    types, labels = torch.as_tensor(np.asarray(types)), torch.as_tensor(np.asarray(labels))
    distinct, inverse = torch.unique(types, return_inverse=True)
    generator = torch.Generator().manual_seed(seed)
    return labels[torch.randint(len(labels), (len(distinct),), generator=generator)][inverse]


def selectivity_float32_list(task_accuracy, control_accuracy):
    difference = np.asarray(task_accuracy, dtype=np.float32) - np.asarray(control_accuracy, dtype=np.float32)
    return difference.tolist()


def selectivity_torch32(task_accuracy, control_accuracy):
    return torch.tensor(list(task_accuracy)) - torch.tensor(list(control_accuracy))


def selectivity_loop(task_accuracy, control_accuracy):
    return [float(t) - float(c) for t, c in zip(task_accuracy, control_accuracy)]


def low_rank_module(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    A = torch.nn.Parameter(0.1 * torch.randn(X.shape[1], rank, generator=generator).double())
    B = torch.nn.Parameter(0.1 * torch.randn(rank, n_classes, generator=generator).double())
    b = torch.nn.Parameter(torch.zeros(n_classes, dtype=torch.float64))
    optimizer = torch.optim.Adam([A, B, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.nll_loss(F.log_softmax(X @ (A @ B) + b, dim=1), y).backward()
        optimizer.step()
    return (A @ B).detach(), b.detach()


def low_rank_b_first(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    generator = torch.Generator().manual_seed(seed)           # B drawn before A: another valid initialisation
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    B = (0.1 * torch.randn(rank, n_classes, generator=generator)).requires_grad_()
    A = (0.1 * torch.randn(X.shape[1], rank, generator=generator)).requires_grad_()
    b = torch.zeros(n_classes, requires_grad=True)
    optimizer = torch.optim.Adam([A, B, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy((X @ A) @ B + b, y).backward()
        optimizer.step()
    return (A @ B).detach().numpy(), b.detach().numpy()


def low_rank_tuple_of_lists(X, y, n_classes, rank, steps=150, lr=0.05, seed=0):
    W, b = ref.fit_low_rank_probe(X, y, n_classes, rank, steps, lr, seed)
    return [W.tolist(), b.tolist()]


def ablate_numpy(acts, direction):
    a, d = np.asarray(acts, dtype=np.float64), np.asarray(direction, dtype=np.float64)
    u = d / np.linalg.norm(d)
    return torch.from_numpy(a - np.einsum("...d,d->...", a, u)[..., None] * u)


def ablate_projection_matrix(acts, direction):
    u = direction / torch.linalg.vector_norm(direction)
    return acts @ (torch.eye(len(u)) - torch.outer(u, u))


def ablate_squared_norm(acts, direction):
    return acts - (acts @ direction / (direction @ direction))[..., None] * direction


ALTERNATIVES = {
    "06.residual_activations": [acts_run_with_cache, acts_next_block_input, acts_list],
    "06.fit_probe": [probe_linear_module, probe_float64_nll, probe_manual_loss],
    "06.probe_accuracy": [accuracy_predict_everything, accuracy_loop, accuracy_torch],
    "06.control_task_labels": [control_dictionary, control_legacy_rng, control_torch],
    "06.selectivity": [selectivity_float32_list, selectivity_torch32, selectivity_loop],
    "06.fit_low_rank_probe": [low_rank_module, low_rank_b_first, low_rank_tuple_of_lists],
    "06.ablate_direction": [ablate_numpy, ablate_projection_matrix, ablate_squared_norm],
}
# the reference starts from W = 0, b = 0: `seed` only seeds a random initialisation, which a probe need not use
UNVARIED = {"06.fit_probe": {"seed": "a probe may start from zeros and never draw a random number"}}


def test_stored_values_match_their_definitions():
    from course_utils.lessons.lesson06_probing import checks as checks
    X, y = checks._overlapping_classes(2)
    assert abs(checks._minimum_cross_entropy(X, y, 4) - checks.OVERLAPPING_MINIMUM) < 1e-6
    X, y = checks._polygon_classes(2)
    reference = checks._cross_entropy(*ref.fit_low_rank_probe(X, y, 6, 2, steps=150, lr=0.1, seed=2), X, y)
    assert abs(reference - checks.POLYGON_REFERENCE_LOSS) < 1e-3


def test_selectivity_accepts_float32_differences():
    """Issue 13: a difference computed in float32 and returned as a list of floats is a correct answer."""
    from course_utils import exercises
    from course_utils.checking import PASSED, run_check
    verdict = run_check(exercises.get("06.selectivity"), selectivity_float32_list)
    assert verdict.status == PASSED, verdict.text()

globals().update(contract_tests("06", MUTANTS, ALTERNATIVES, UNVARIED))
