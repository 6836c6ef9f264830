"""The mistakes learners make in lesson 03, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
torch is imported inside the functions that need it, as in the checks.
"""
import math
import operator

import numpy as np

from ...checking import Mistakes
from . import reference as ref

# --- Part 1: backpropagation by hand ----------------------------------------------------------------------------


def _linear_backward_with(dX=None, dW=None, db=None):
    """linear_backward with the given formulas of (dZ, X, W) in place of the right ones."""
    def linear_backward(dZ, X, W):
        dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
        right = ref.linear_backward(dZ, X, W)
        return tuple(right[k] if wrong is None else wrong(dZ, X, W) for k, wrong in enumerate((dX, dW, db)))
    return linear_backward


LINEAR_BACKWARD = Mistakes({
    "dW must have W's shape (d_out, d_in): it is dZᵀ · X, not Xᵀ · dZ":
        _linear_backward_with(dW=lambda dZ, X, W: X.T @ dZ),
    "the 1/n of the mean loss is already inside dZ; do not divide again":
        _linear_backward_with(dW=lambda dZ, X, W: dZ.T @ X / len(dZ)),
    "b is added to every row of Z, so db sums dZ over the batch axis (axis 0)":
        _linear_backward_with(db=lambda dZ, X, W: dZ),
    "sum dZ over the batch, do not average it: the 1/n is already inside dZ":
        _linear_backward_with(db=lambda dZ, X, W: dZ.mean(axis=0)),
    "sum over the batch (axis 0), one entry per output unit": _linear_backward_with(db=lambda dZ, X, W: dZ.sum(axis=1)),
    "dX does not depend on X: Z = X Wᵀ + b gives dX = dZ · W": _linear_backward_with(dX=lambda dZ, X, W: X @ W.T @ W),
})


def _tanh_backward(derivative):
    """tanh_backward with this (wrong) formula of (dH, H)."""
    def tanh_backward(dH, H):
        return derivative(np.asarray(dH, dtype=float), np.asarray(H, dtype=float))
    return tanh_backward


TANH_BACKWARD = Mistakes({
    "multiply by the upstream gradient dH: by the chain rule, dL/dZ = dL/dH · (1 − H²)":
        _tanh_backward(lambda dH, H: 1 - H ** 2),
    "tanh'(z) = 1 − tanh(z)²: the square matters": _tanh_backward(lambda dH, H: dH * (1 - H)),
    "H is already tanh(Z): use 1 − H², not 1 − tanh(H)²": _tanh_backward(lambda dH, H: dH * (1 - np.tanh(H) ** 2)),
    "H(1 − H) is the sigmoid's derivative; tanh's is 1 − H²": _tanh_backward(lambda dH, H: dH * H * (1 - H)),
})


def _mlp_backward(*, axis=1, mean=True, onehot=True, tanh_grad=True, layer2_input="H"):
    """Backpropagation through the 2-layer network with one of its steps done wrong."""
    def mlp_backward(params, X, y):
        cache = ref.mlp_forward(params, X)
        n = len(cache["X"])
        dlogits = ref.softmax(cache["logits"], axis=axis)
        if onehot:
            dlogits[np.arange(n), np.asarray(y)] -= 1.0
        if mean:
            dlogits /= n
        dH, _, db2 = ref.linear_backward(dlogits, cache["H"], params["W2"])
        dZ1 = ref.tanh_backward(dH, cache["H"]) if tanh_grad else dH
        _, dW1, db1 = ref.linear_backward(dZ1, cache["X"], params["W1"])
        return {"W1": dW1, "b1": db1, "W2": dlogits.T @ cache[layer2_input], "b2": db2}
    return mlp_backward


MLP_BACKWARD = Mistakes({
    "the loss is a mean over the batch: divide dL/dlogits by n": _mlp_backward(mean=False),
    "softmax normalises each example's logits: take it over the classes (axis 1)": _mlp_backward(axis=0),
    "dL/dlogits = (softmax(logits) − onehot(y)) / n: did you forget to subtract 1 at the label?":
        _mlp_backward(onehot=False),
    "backpropagate through tanh: multiply dH by (1 − H²) before the first layer": _mlp_backward(tanh_grad=False),
    "the second layer's input is H = tanh(Z1), not Z1": _mlp_backward(layer2_input="Z1"),
})

# --- Part 2: a scalar autograd engine ---------------------------------------------------------------------------


def _apply_op_with(wrong_op, local_grads):
    """apply_op with these (wrong) local gradients, a function of the inputs (a, b), for ``wrong_op``."""
    def apply_op(op, a, b=None):
        out = ref.apply_op(op, a, b)
        if op != wrong_op:
            return out
        return ref.Value(out.data, out._children, local_grads(a, b), out._op)
    return apply_op


APPLY_OP = Mistakes({
    "each input's local gradient is the *other* input: ∂(a·b)/∂a = b":
        _apply_op_with("*", lambda a, b: (a.data, b.data)),
    "∂(aᵇ)/∂a = b·aᵇ⁻¹: did you drop the factor b?": _apply_op_with("**", lambda a, b: (a.data ** (b - 1),)),
    "∂(aᵇ)/∂a = b·aᵇ⁻¹: the exponent drops by one": _apply_op_with("**", lambda a, b: (b * a.data ** b,)),
    "∂eᵃ/∂a = eᵃ, the output itself": _apply_op_with("exp", lambda a, b: (a.data,)),
    "use the output t = tanh(a): ∂t/∂a = 1 − t², not 1 − a²": _apply_op_with("tanh", lambda a, b: (1 - a.data ** 2,)),
    "∂tanh(a)/∂a = 1 − tanh(a)²: the square matters": _apply_op_with("tanh", lambda a, b: (1 - math.tanh(a.data),)),
    "relu passes gradient only where its input is positive: 1 if a > 0 else 0":
        _apply_op_with("relu", lambda a, b: (1.0,)),
    "relu's slope is 1 for a > 0 and 0 otherwise, not the output":
        _apply_op_with("relu", lambda a, b: (max(a.data, 0.0),)),
})


def backward_overwriting(root):
    root.grad = 1.0
    for node in reversed(ref.topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad = local * node.grad


def backward_unseeded(root):
    for node in reversed(ref.topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


def backward_in_topological_order(root):
    root.grad = 1.0
    for node in ref.topological_order(root):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


def backward_recursive(root):
    root.grad = 1.0

    def push(node):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad
            push(child)

    push(root)


BACKWARD = Mistakes({
    "a Value used twice (like x in x*x) gets gradient from every use: accumulate with +=, do not overwrite":
        backward_overwriting,
    "start with root.grad = 1 (dL/dL = 1)": backward_unseeded,
    "walk the nodes in *reverse* topological order, so that a node's grad is complete before it is passed on":
        backward_in_topological_order,
    "pass each node's gradient on once, after it has heard from all of its parents: use the reverse topological "
    "order instead of recursing": backward_recursive,
})

# --- Part 3: training an MLP with torch -------------------------------------------------------------------------


def train_epoch_with(*, calls=("zero_grad", "backward", "step"), loss_of=None, recorded=lambda loss: loss.item(),
                     drops_smaller_batch=False, steps_on_smaller_batch=True):
    """train_epoch (without model.train()) with one thing changed: the ``calls`` after the forward pass in another
    order or one left out, another ``loss_of(logits, y)``, ``recorded(loss)`` kept, or the last, smaller batch
    dropped or not stepped on."""
    def train_epoch(model, optimizer, X, y, batch_size):
        import torch.nn.functional as F

        losses = []
        for start in range(0, len(X), batch_size):
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            smaller = len(X_batch) < batch_size
            if smaller and drops_smaller_batch:
                continue
            loss = (loss_of or F.cross_entropy)(model(X_batch), y_batch)
            actions = {"zero_grad": optimizer.zero_grad, "backward": loss.backward, "step": optimizer.step}
            for call in calls:
                if call != "step" or steps_on_smaller_batch or not smaller:
                    actions[call]()
            losses.append(recorded(loss))
        return losses
    return train_epoch


TRAIN_EPOCH = Mistakes({
    "call optimizer.zero_grad() before each backward: torch adds new gradients to the old ones":
        train_epoch_with(calls=("backward", "step")),
    # the step finds the gradients just zeroed, so the weights never change
    "the weights never changed: call loss.backward() and then optimizer.step() for every batch":
        train_epoch_with(calls=("zero_grad", "step", "backward")),
    "the last, smaller batch counts too: loop with range(0, len(X), batch_size)":
        train_epoch_with(drops_smaller_batch=True),
})

# --- Part 4: early stopping ---------------------------------------------------------------------------------------


def _early_stopping(improves=operator.lt, waited_enough=operator.ge):
    """Early stopping with these comparisons: (loss, best) for an improvement, (epochs since it, patience)."""
    def early_stopping(val_losses, patience):
        best_epoch, best = 0, math.inf
        for epoch, loss in enumerate(val_losses):
            if improves(loss, best):
                best_epoch, best = epoch, loss
            elif waited_enough(epoch - best_epoch, patience):
                return best_epoch, epoch
        return best_epoch, len(val_losses) - 1
    return early_stopping


def early_stopping_with_global_best(val_losses, patience):
    return int(np.argmin(val_losses)), ref.early_stopping(val_losses, patience)[1]


def early_stopping_counting_from_one(val_losses, patience):
    return tuple(epoch + 1 for epoch in ref.early_stopping(val_losses, patience))


EARLY_STOPPING = Mistakes({
    "stop as soon as `patience` epochs have passed without improvement (epoch − best_epoch ≥ patience)":
        _early_stopping(waited_enough=operator.gt),
    "an equal loss is not an improvement: use a strict <": _early_stopping(improves=operator.le),
    "best_epoch is the best epoch seen before stopping, not over the whole list": early_stopping_with_global_best,
    "epochs are counted from 0: return list indices": early_stopping_counting_from_one,
})
