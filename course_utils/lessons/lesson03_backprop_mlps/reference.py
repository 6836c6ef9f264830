"""Reference solutions for lesson 03 (backpropagation and MLPs); checkers and fallbacks use them.

Conventions: a batch of inputs X has one example per row, shape (n, d_in); a
linear layer's weight W has shape (d_out, d_in), as in torch's ``nn.Linear``,
so the layer computes Z = X Wᵀ + b. Losses are means over the batch.

The scalar autograd engine (``Value``, ``apply_op``, ``topological_order``,
``backward``) stores, for every node, its children and the *local* gradients
∂node/∂child as numbers computed during the forward pass; ``backward`` then
only multiplies and adds (the chain rule).
"""
import math

import numpy as np


# --- Part 1: backpropagation by hand through a 2-layer network -------------------------------------------------

def linear_forward(X, W, b):
    """Z = X Wᵀ + b for a batch X of shape (n, d_in), W of shape (d_out, d_in), b of shape (d_out,)."""
    return np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float)


def linear_backward(dZ, X, W):
    """Given dL/dZ for Z = X Wᵀ + b, return (dL/dX, dL/dW, dL/db)."""
    dZ, X, W = (np.asarray(a, dtype=float) for a in (dZ, X, W))
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def tanh_backward(dH, H):
    """Given dL/dH for H = tanh(Z) and the output H itself, return dL/dZ = dL/dH · (1 − H²)."""
    dH, H = np.asarray(dH, dtype=float), np.asarray(H, dtype=float)
    return dH * (1.0 - H ** 2)


def softmax(logits, axis=-1):
    """Softmax along ``axis`` (the classes), stabilised by subtracting the maximum."""
    logits = np.asarray(logits, dtype=float)
    shifted = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def mlp_forward(params, X):
    """The 2-layer network X → tanh(X W1ᵀ + b1) → H W2ᵀ + b2; returns every intermediate in a dict."""
    X = np.asarray(X, dtype=float)
    Z1 = linear_forward(X, params["W1"], params["b1"])
    H = np.tanh(Z1)
    logits = linear_forward(H, params["W2"], params["b2"])
    return {"X": X, "Z1": Z1, "H": H, "logits": logits}


def cross_entropy(logits, y):
    """Mean cross-entropy −log softmax(logits)[y] over the batch."""
    logits = np.asarray(logits, dtype=float)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), np.asarray(y)].mean())


def mlp_backward(params, X, y):
    """Gradients of the mean cross-entropy of ``mlp_forward(params, X)`` against labels y, as a dict like params."""
    cache = mlp_forward(params, X)
    n = cache["X"].shape[0]
    dlogits = softmax(cache["logits"], axis=1)
    dlogits[np.arange(n), np.asarray(y)] -= 1.0
    dlogits /= n
    dH, dW2, db2 = linear_backward(dlogits, cache["H"], params["W2"])
    dZ1 = tanh_backward(dH, cache["H"])
    _, dW1, db1 = linear_backward(dZ1, cache["X"], params["W1"])
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# --- Part 2: a scalar autograd engine ---------------------------------------------------------------------------

class Value:
    """A number that remembers how it was computed.

    ``_children`` are the Values it was computed from and ``_local_grads`` the
    matching partial derivatives ∂self/∂child, fixed at creation time.
    """

    def __init__(self, data, children=(), local_grads=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._children = tuple(children)
        self._local_grads = tuple(local_grads)
        self._op = op

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def wrap(other):
        """A Value as is (any object with .data and ._children counts), a plain number as a new leaf."""
        return other if hasattr(other, "_children") else Value(other)

    def __add__(self, other):
        return apply_op("+", self, Value.wrap(other))

    def __mul__(self, other):
        return apply_op("*", self, Value.wrap(other))

    def __pow__(self, exponent):
        return apply_op("**", self, exponent)

    def exp(self):
        return apply_op("exp", self)

    def tanh(self):
        return apply_op("tanh", self)

    def relu(self):
        return apply_op("relu", self)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-Value.wrap(other))

    def __rsub__(self, other):
        return Value.wrap(other) + (-self)

    def __truediv__(self, other):
        return self * Value.wrap(other) ** -1

    def __rtruediv__(self, other):
        return Value.wrap(other) * self ** -1

    def backward(self):
        backward(self)


def apply_op(op, a, b=None):
    """A new Value for ``op`` applied to Value a (and Value b, or the plain-number exponent b for "**").

    Its children are the Value inputs and its local gradients ∂out/∂input, in the same order.
    """
    if op == "+":
        return Value(a.data + b.data, (a, b), (1.0, 1.0), "+")
    if op == "*":
        return Value(a.data * b.data, (a, b), (b.data, a.data), "*")
    if op == "**":
        return Value(a.data ** b, (a,), (b * a.data ** (b - 1),), f"**{b}")
    if op == "exp":
        e = math.exp(a.data)
        return Value(e, (a,), (e,), "exp")
    if op == "tanh":
        t = math.tanh(a.data)
        return Value(t, (a,), (1.0 - t * t,), "tanh")
    if op == "relu":
        return Value(max(a.data, 0.0), (a,), (1.0 if a.data > 0 else 0.0,), "relu")
    raise ValueError(f"unknown op {op!r}")


def topological_order(root):
    """Every node ``root`` depends on (root included), each once, every node after all of its children."""
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        for child in node._children:
            visit(child)
        order.append(node)

    visit(root)
    return order


def backward(root):
    """Fill in ``.grad`` = d root / d node for every node below root (grads are assumed to start at 0)."""
    root.grad = 1.0
    for node in reversed(topological_order(root)):
        for child, local in zip(node._children, node._local_grads):
            child.grad += local * node.grad


# --- Part 3: training an MLP with torch -------------------------------------------------------------------------

def train_epoch(model, optimizer, X, y, batch_size):
    """One pass over (X, y) in order, in mini-batches; returns each batch's cross-entropy before its step."""
    import torch.nn.functional as F

    model.train()
    losses = []
    for start in range(0, len(X), batch_size):
        X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --- Part 4: overfitting and early stopping ---------------------------------------------------------------------

def early_stopping(val_losses, patience):
    """(best_epoch, stop_epoch) for patience-based early stopping on a list of validation losses.

    An epoch improves when its loss is strictly below every earlier one. Training stops at the
    first epoch that comes ``patience`` epochs after the last improvement; if that never happens,
    it stops at the last epoch. best_epoch is the improving epoch whose weights one would keep.
    """
    best_epoch, best = 0, math.inf
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best_epoch, best = epoch, loss
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1
