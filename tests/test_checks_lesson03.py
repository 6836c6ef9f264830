"""Checker contract for lesson 03: the reference passes, the stub is not attempted, mistakes fail."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from checker_contract import contract_tests
from course_utils.models.mlp import MLP
from course_utils.reference import lesson03_backprop_mlps as ref

Value = ref.Value


# --- linear_backward ---

def linear_backward_transposed_dW(dZ, X, W):
    dX, _, db = ref.linear_backward(dZ, X, W)
    return dX, np.asarray(X).T @ np.asarray(dZ), db


def linear_backward_unsummed_db(dZ, X, W):
    dX, dW, _ = ref.linear_backward(dZ, X, W)
    return dX, dW, np.asarray(dZ)


def linear_backward_mean_db(dZ, X, W):
    dX, dW, _ = ref.linear_backward(dZ, X, W)
    return dX, dW, np.asarray(dZ).mean(axis=0)


def linear_backward_uses_X(dZ, X, W):
    _, dW, db = ref.linear_backward(dZ, X, W)
    return np.asarray(X) @ np.asarray(W).T @ np.asarray(W), dW, db


# --- mlp_backward ---

def _mlp_grads(params, X, y, *, axis=1, mean=True, tanh_grad=True):
    cache = ref.mlp_forward(params, X)
    n = len(X)
    d = ref.softmax(cache["logits"], axis=axis)
    d[np.arange(n), y] -= 1
    if mean:
        d /= n
    dH, dW2, db2 = ref.linear_backward(d, cache["H"], params["W2"])
    dZ1 = ref.tanh_backward(dH, cache["H"]) if tanh_grad else dH
    _, dW1, db1 = ref.linear_backward(dZ1, cache["X"], params["W1"])
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# --- apply_op ---

def apply_op_swapped_mul(op, a, b=None):
    if op == "*":
        return Value(a.data * b.data, (a, b), (a.data, b.data), "*")
    return ref.apply_op(op, a, b)


def apply_op_pow_without_factor(op, a, b=None):
    if op == "**":
        return Value(a.data ** b, (a,), (a.data ** (b - 1),), "**")
    return ref.apply_op(op, a, b)


def apply_op_tanh_of_input(op, a, b=None):
    if op == "tanh":
        t = math.tanh(a.data)
        return Value(t, (a,), (1 - a.data ** 2,), "tanh")
    return ref.apply_op(op, a, b)


def apply_op_relu_always_one(op, a, b=None):
    if op == "relu":
        return Value(max(a.data, 0.0), (a,), (1.0,), "relu")
    return ref.apply_op(op, a, b)


def apply_op_without_children(op, a, b=None):
    out = ref.apply_op(op, a, b)
    return Value(out.data, (), (), op)


# --- topological_order ---

def topo_preorder(root):
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        order.append(node)
        for child in node._children:
            visit(child)

    visit(root)
    return order


def topo_without_visited_set(root):
    order = []

    def visit(node):
        for child in node._children:
            visit(child)
        order.append(node)

    visit(root)
    return order


def topo_without_root(root):
    return ref.topological_order(root)[:-1]


# --- backward ---

def backward_overwrites(root):
    root.grad = 1.0
    for node in reversed(ref.topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad = local * node.grad


def backward_forward_order(root):
    root.grad = 1.0
    for node in ref.topological_order(root):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


def backward_unseeded(root):
    for node in reversed(ref.topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


def backward_recursive(root):
    root.grad = 1.0

    def push(node):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad
            push(child)

    push(root)


# --- train_epoch ---

def train_epoch_no_zero_grad(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X), batch_size):
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_epoch_step_before_backward(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        optimizer.step()
        loss.backward()
        losses.append(loss.item())
    return losses


def train_epoch_drop_last(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X) - batch_size + 1, batch_size):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_epoch_returns_tensors(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses


def train_epoch_softmax_then_cross_entropy(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad()
        probs = torch.softmax(model(X[start:start + batch_size]), dim=0)
        loss = F.nll_loss(torch.log(probs), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --- early_stopping ---

def early_stopping_late(val_losses, patience):
    best_epoch, best = 0, math.inf
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best_epoch, best = epoch, loss
        elif epoch - best_epoch > patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def early_stopping_ties_improve(val_losses, patience):
    best_epoch, best = 0, math.inf
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best_epoch, best = epoch, loss
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def early_stopping_global_best(val_losses, patience):
    return int(np.argmin(val_losses)), ref.early_stopping(val_losses, patience)[1]


MUTANTS = {
    "03.linear_backward": [
        (linear_backward_transposed_dW, "dZᵀ · X"),
        (linear_backward_unsummed_db, "sums dZ over the batch"),
        (linear_backward_mean_db, "do not average"),
        (linear_backward_uses_X, "does not depend on X"),
    ],
    "03.tanh_backward": [
        (lambda dH, H: 1 - np.asarray(H) ** 2, "upstream gradient"),
        (lambda dH, H: np.asarray(dH) * (1 - np.asarray(H)), "square matters"),
        (lambda dH, H: np.asarray(dH) * (1 - np.tanh(H) ** 2), "H is already tanh(Z)"),
    ],
    "03.mlp_backward": [
        (lambda params, X, y: _mlp_grads(params, X, y, axis=0), "over the classes"),
        (lambda params, X, y: _mlp_grads(params, X, y, mean=False), "mean over the batch"),
        (lambda params, X, y: _mlp_grads(params, X, y, tanh_grad=False), "through tanh"),
        lambda params, X, y: [g for g in ref.mlp_backward(params, X, y).values()],
    ],
    "03.apply_op": [
        (apply_op_swapped_mul, "*other* input"),
        (apply_op_pow_without_factor, "drop the factor"),
        (apply_op_tanh_of_input, "use the output t"),
        (apply_op_relu_always_one, "only where its input is positive"),
        apply_op_without_children,
        lambda op, a, b=None: ref.apply_op(op, a, b).data,
    ],
    "03.topological_order": [
        (topo_preorder, "post-order"),
        (topo_without_visited_set, "visited"),
        (topo_without_root, "include root itself"),
    ],
    "03.backward": [
        (backward_overwrites, "accumulate with +="),
        (backward_forward_order, "*reverse* topological order"),
        (backward_unseeded, "root.grad = 1"),
        (backward_recursive, "instead of recursing"),
    ],
    "03.train_epoch": [
        (train_epoch_no_zero_grad, "zero_grad"),
        (train_epoch_step_before_backward, "never changed"),
        (train_epoch_drop_last, "smaller batch"),
        train_epoch_returns_tensors,
        train_epoch_softmax_then_cross_entropy,
    ],
    "03.early_stopping": [
        (early_stopping_late, "≥ patience"),
        (early_stopping_ties_improve, "strict <"),
        (early_stopping_global_best, "before stopping"),
        lambda val_losses, patience: ref.early_stopping(val_losses, patience)[0],
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))


def test_train_epoch_check_leaves_global_torch_seed_alone():
    from course_utils import exercises
    from course_utils.checking import run_check

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_check(exercises.get("03.train_epoch"), ref.train_epoch)
    assert torch.equal(torch.rand(3), expected)


def test_unfinished_helper_is_named_instead_of_not_attempted():
    from course_utils import exercises
    from course_utils.checking import FAILED, run_check

    def topological_order(root):
        raise NotImplementedError()

    def backward(root):
        root.grad = 1.0
        for node in reversed(topological_order(root)):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad

    verdict = run_check(exercises.get("03.backward"), backward)
    assert verdict.status == FAILED and "Complete `topological_order` first" in verdict.text()

    def linear_backward(dZ, X, W):
        raise NotImplementedError()

    def mlp_backward(params, X, y):
        return linear_backward(X, X, params["W1"])

    verdict = run_check(exercises.get("03.mlp_backward"), mlp_backward)
    assert verdict.status == FAILED and "`linear_backward`" in verdict.text()


class LearnerValue:
    """A notebook-style Value class, for an apply_op that wraps plain numbers with isinstance."""

    def __init__(self, data, children=(), local_grads=(), op=""):
        self.data, self.grad = float(data), 0.0
        self._children, self._local_grads, self._op = tuple(children), tuple(local_grads), op


def test_apply_op_receives_the_learners_own_value_class():
    from course_utils import exercises
    from course_utils.checking import PASSED, run_check

    namespace = {"Value": LearnerValue, "math": math}
    exec(
        "def apply_op(op, a, b=None):\n"
        "    if op in ('+', '*') and not isinstance(b, Value):\n"
        "        b = Value(b)\n"
        "    if op == '+':\n"
        "        return Value(a.data + b.data, (a, b), (1.0, 1.0), '+')\n"
        "    if op == '*':\n"
        "        return Value(a.data * b.data, (a, b), (b.data, a.data), '*')\n"
        "    if op == '**':\n"
        "        return Value(a.data ** b, (a,), (b * a.data ** (b - 1),), '**')\n"
        "    if op == 'exp':\n"
        "        return Value(math.exp(a.data), (a,), (math.exp(a.data),), 'exp')\n"
        "    if op == 'tanh':\n"
        "        t = math.tanh(a.data)\n"
        "        return Value(t, (a,), (1 - t * t,), 'tanh')\n"
        "    return Value(max(a.data, 0.0), (a,), (float(a.data > 0),), 'relu')\n", namespace)
    verdict = run_check(exercises.get("03.apply_op"), namespace["apply_op"])
    assert verdict.status == PASSED, verdict.text()


def test_value_class_arithmetic_matches_torch():
    x, y = Value(0.7), Value(-1.3)
    out = (x * y + 2) / (1 + x ** 2) - (y.tanh() + x.exp()).relu()
    out.backward()
    tx, ty = torch.tensor(0.7, dtype=torch.float64, requires_grad=True), torch.tensor(-1.3, dtype=torch.float64,
                                                                                       requires_grad=True)
    t_out = (tx * ty + 2) / (1 + tx ** 2) - torch.relu(torch.tanh(ty) + torch.exp(tx))
    t_out.backward()
    assert math.isclose(out.data, float(t_out.detach()), rel_tol=1e-9)
    assert math.isclose(x.grad, float(tx.grad), rel_tol=1e-9)
    assert math.isclose(y.grad, float(ty.grad), rel_tol=1e-9)


def test_mlp_model_shapes_and_activations():
    torch.manual_seed(0)
    model = MLP([5, 7, 4, 3], activation="tanh")
    x = torch.randn(2, 5)
    acts = model.activations(x)
    assert list(acts) == ["linear0", "act0", "linear1", "act1", "linear2"]
    assert torch.allclose(acts["linear2"], model(x))
    assert [h.shape[1] for h in model.hidden_activations(x)] == [7, 4]
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 3], activation="swish")
