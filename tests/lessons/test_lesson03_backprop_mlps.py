"""Checker contract for lesson 03: the reference passes, the stub is not attempted, mistakes fail."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from checker_contract import contract_tests
from course_utils.models.mlp import MLP
from course_utils.lessons.lesson03_backprop_mlps import reference as ref
from course_utils.lessons.lesson03_backprop_mlps.mistakes import train_epoch_with

Value = ref.Value


# --- mutants: wrong implementations the lesson's mistakes.py does not declare ---

# --- apply_op ---

def apply_op_without_children(op, a, b=None):
    out = ref.apply_op(op, a, b)
    return Value(out.data, (), (), op)


def apply_op_pow_precedence(op, a, b=None):
    """b * a**b - 1: the exponent's "- 1" applied to the whole product."""
    if op == "**":
        return Value(a.data ** b, (a,), (b * a.data ** b - 1,), "**")
    return ref.apply_op(op, a, b)


# --- topological_order ---

def topological_order_with(*, visited=True, preorder=False):
    """A depth-first topological_order with one step changed: no set of visited nodes (a node reached by two paths
    is listed twice), or each node listed before its children (a pre-order)."""
    def topological_order(root):
        order, seen = [], set()

        def visit(node):
            if visited and id(node) in seen:
                return
            seen.add(id(node))
            if preorder:
                order.append(node)
            for child in node._children:
                visit(child)
            if not preorder:
                order.append(node)

        visit(root)
        return order
    return topological_order


def topo_without_root(root):
    return ref.topological_order(root)[:-1]


def topo_bfs_reversed(root):
    """Breadth-first from the root, reversed: a node reached early through a short path lands too late."""
    order, seen, queue = [], {id(root)}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node._children:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return order[::-1]


# --- backward ---

def backward_without_chain(root):
    """Adds each local gradient without multiplying by the node's own gradient."""
    root.grad = 1.0
    for node in reversed(ref.topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local


# --- train_epoch ---

train_epoch_returns_tensors = train_epoch_with(recorded=lambda loss: loss)
train_epoch_softmax_then_cross_entropy = train_epoch_with(
    loss_of=lambda logits, y: F.nll_loss(torch.log(torch.softmax(logits, dim=0)), y))
# records every batch's loss but steps only on full batches: the losses cannot show it, the weights do
train_epoch_skips_last_step = train_epoch_with(steps_on_smaller_batch=False)
train_epoch_zero_grad_before_step = train_epoch_with(calls=("backward", "zero_grad", "step"))


# --- early_stopping ---

def early_stopping_compares_previous_epoch(val_losses, patience):
    """Counts epochs without a drop from the *previous* epoch, not from the best one."""
    best_epoch, best, waited = 0, math.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best_epoch, best = epoch, loss
        if epoch and loss < val_losses[epoch - 1]:
            waited = 0
        elif epoch:
            waited += 1
        if waited >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def early_stopping_last_of_ties(val_losses, patience):
    """best_epoch as the last epoch with the lowest loss before stopping, not the first."""
    best_epoch, stop_epoch = ref.early_stopping(val_losses, patience)
    seen = list(val_losses[:stop_epoch + 1])
    return len(seen) - 1 - int(np.argmin(seen[::-1])), stop_epoch


MUTANTS = {
    "03.linear_backward": [],
    "03.tanh_backward": [],
    "03.mlp_backward": [
        lambda params, X, y: [g for g in ref.mlp_backward(params, X, y).values()],
    ],
    "03.apply_op": [
        apply_op_without_children,
        lambda op, a, b=None: ref.apply_op(op, a, b).data,
        apply_op_pow_precedence,
    ],
    "03.topological_order": [
        (topological_order_with(preorder=True), "post-order"),
        (topological_order_with(visited=False), "visited"),
        (topo_without_root, "include root itself"),
        topo_bfs_reversed,
    ],
    "03.backward": [
        backward_without_chain,
    ],
    "03.train_epoch": [
        train_epoch_returns_tensors,
        train_epoch_softmax_then_cross_entropy,
        (train_epoch_skips_last_step, "weights after the epoch"),
        (train_epoch_zero_grad_before_step, "never changed"),
    ],
    "03.early_stopping": [
        lambda val_losses, patience: ref.early_stopping(val_losses, patience)[0],
        early_stopping_compares_previous_epoch,
        early_stopping_last_of_ties,
    ],
}


# --- correct answers written differently -------------------------------------------------------------------------

def linear_backward_einsum_float32(dZ, X, W):
    dZ, X, W = (np.asarray(a, dtype=np.float32) for a in (dZ, X, W))
    return np.einsum("no,oi->ni", dZ, W), np.einsum("no,ni->oi", dZ, X), np.einsum("no->o", dZ)


def linear_backward_torch_autograd(dZ, X, W):
    X_t = torch.tensor(np.asarray(X), requires_grad=True)
    W_t = torch.tensor(np.asarray(W), requires_grad=True)
    b_t = torch.zeros(W_t.shape[0], dtype=torch.float64, requires_grad=True)
    Z = X_t @ W_t.T + b_t
    return torch.autograd.grad(Z, (X_t, W_t, b_t), torch.tensor(np.asarray(dZ)))


def tanh_backward_expanded(dH, H):
    dH, H = np.asarray(dH, dtype=np.float32), np.asarray(H, dtype=np.float32)
    return dH - dH * H * H


def mlp_backward_torch_tensors(params, X, y):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    hidden = torch.tanh(torch.tensor(X) @ p["W1"].T + p["b1"])
    loss = F.cross_entropy(hidden @ p["W2"].T + p["b2"], torch.tensor(y))
    loss.backward()
    return {k: v.grad for k, v in p.items()}


def mlp_backward_float32(params, X, y):
    return {k: v.astype(np.float32) for k, v in ref.mlp_backward(params, X, y).items()}


def apply_op_math_pow_bool_relu(op, a, b=None):
    """math.pow for **, a bool local gradient for relu: the same numbers."""
    if op == "**":
        return Value(math.pow(a.data, b), [a], [b * math.pow(a.data, b - 1)], "**")
    if op == "relu":
        return Value(a.data if a.data > 0 else 0.0, (a,), (a.data > 0,), "relu")
    return ref.apply_op(op, a, b)


def topo_iterative(root):
    """A depth-first post-order with an explicit stack (children visited in reverse): another valid order."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in node._children:
            if id(child) not in visited:
                stack.append((child, False))
    return order


def backward_kahn(root):
    """Counts each node's parents and passes a gradient on once all of them have reported (Kahn's algorithm)."""
    nodes = ref.topological_order(root)
    waiting = {id(n): 0 for n in nodes}
    for node in nodes:
        for child in node._children:
            waiting[id(child)] += 1
    root.grad = 1.0
    ready = [root]
    while ready:
        node = ready.pop()
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                ready.append(child)


def train_epoch_zero_grad_last(model, optimizer, X, y, batch_size):
    """model.zero_grad() after each step (the gradients start at None), nn.CrossEntropyLoss, float(loss)."""
    criterion = torch.nn.CrossEntropyLoss()
    losses = []
    for X_batch, y_batch in zip(torch.split(X, batch_size), torch.split(y, batch_size)):
        loss = criterion(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        model.zero_grad()
        losses.append(float(loss))
    return tuple(losses)


def train_epoch_numpy_losses(model, optimizer, X, y, batch_size):
    losses = []
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(X[start:start + batch_size]), y[start:start + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().numpy())
    return losses


def early_stopping_wait_counter(val_losses, patience):
    """The usual "epochs since the best" counter; numpy integers back."""
    best, best_epoch, wait = float("inf"), np.int64(0), 0
    for epoch in range(len(val_losses)):
        if val_losses[epoch] < best:
            best, best_epoch, wait = val_losses[epoch], np.int64(epoch), 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, np.int64(epoch)
    return [best_epoch, np.int64(len(val_losses) - 1)]


def early_stopping_as_array(val_losses, patience):
    """An array (or a tensor) of the two epochs: the docstring asks for a pair, not for a tuple type."""
    return np.array(ref.early_stopping(val_losses, patience))


def early_stopping_as_tensor(val_losses, patience):
    return torch.tensor(ref.early_stopping(val_losses, patience))


ALTERNATIVES = {
    "03.linear_backward": [linear_backward_einsum_float32, linear_backward_torch_autograd],
    "03.tanh_backward": [tanh_backward_expanded],
    "03.mlp_backward": [mlp_backward_torch_tensors, mlp_backward_float32],
    "03.apply_op": [apply_op_math_pow_bool_relu],
    "03.topological_order": [topo_iterative],
    "03.backward": [backward_kahn],
    "03.train_epoch": [train_epoch_zero_grad_last, train_epoch_numpy_losses],
    "03.early_stopping": [early_stopping_wait_counter, early_stopping_as_array, early_stopping_as_tensor],
}
UNVARIED = {}

globals().update(contract_tests("03", MUTANTS, ALTERNATIVES, UNVARIED))


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
