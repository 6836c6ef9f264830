"""Reference solutions for lesson 01 (the perceptron); checkers and fallbacks use them."""
import functools
import itertools

import numpy as np


def step_neuron(x, w, b):
    """1.0 when w·x + b > 0, else 0.0."""
    return 1.0 if float(np.dot(w, x) + b) > 0 else 0.0


def sigmoid(z):
    """The logistic function, computed without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))


def sigmoid_neuron(x, w, b):
    """σ(w·x + b) as a float."""
    return float(sigmoid(np.dot(w, x) + b))


def logic_gate_weights(gate):
    """(w, b) making a step neuron compute AND, OR or NAND on {0, 1}²."""
    return {"AND": ([1.0, 1.0], -1.5), "OR": ([1.0, 1.0], -0.5), "NAND": ([-1.0, -1.0], 1.5)}[gate]


def perceptron_update(w, b, x, y, lr=1.0):
    """One step of the perceptron rule: w ← w + lr·(y − ŷ)·x, b ← b + lr·(y − ŷ)."""
    error = y - step_neuron(x, w, b)
    return np.asarray(w, dtype=float) + lr * error * np.asarray(x, dtype=float), float(b + lr * error)


def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Cycle through the data in order from w = 0, b = 0 until an epoch has no mistake.

    Returns (w, b, mistakes), where mistakes[k] counts the misclassified points
    met during epoch k (the last entry is 0 when training converged).
    """
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if step_neuron(x_i, w, b) != y_i:
                count += 1
                w, b = perceptron_update(w, b, x_i, y_i, lr)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def is_linearly_separable(X, y, max_epochs=100):
    """True when the perceptron finds a separating line within ``max_epochs`` (convergence theorem)."""
    return train_perceptron(X, y, max_epochs=max_epochs)[2][-1] == 0


def count_separable_gates(max_epochs=100):
    """How many of the 16 Boolean functions of two inputs a single perceptron can compute."""
    X = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    return sum(is_linearly_separable(X, np.array(table), max_epochs)
               for table in itertools.product([0, 1], repeat=4))


def accepted_gate_counts(max_epochs):
    """The answers to ``count_separable_gates(max_epochs)`` that a valid convergence convention gives.

    Each separable table needs k epochs with mistakes, then one clean epoch. Counting the clean epoch
    towards max_epochs (the reference: an epoch with 0 mistakes among the first max_epochs) gives
    #{k + 1 <= max_epochs}; asking whether the weights after max_epochs epochs compute the gate (the
    clean epoch only confirms it) gives #{k <= max_epochs}. Both read "converges within max_epochs".
    """
    epochs_with_mistakes = _epochs_with_mistakes()
    return sorted({sum(k + 1 <= max_epochs for k in epochs_with_mistakes),
                   sum(k <= max_epochs for k in epochs_with_mistakes)})


@functools.lru_cache(maxsize=1)
def _epochs_with_mistakes():
    """For each separable two-input truth table, how many epochs with mistakes training from zeros takes."""
    X = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    epochs = []
    for table in itertools.product([0, 1], repeat=4):
        mistakes = train_perceptron(X, np.array(table), max_epochs=100)[2]
        if mistakes[-1] == 0:
            epochs.append(len(mistakes) - 1)
    return tuple(epochs)


def two_layer_forward(x, W1, b1, W2, b2):
    """Hidden activations h = σ(W1 x + b1) and output σ(W2 h + b2) of a 2-layer sigmoid network."""
    hidden = sigmoid(np.asarray(W1, dtype=float) @ np.asarray(x, dtype=float) + b1)
    output = sigmoid(np.asarray(W2, dtype=float) @ hidden + b2)
    return hidden, output
