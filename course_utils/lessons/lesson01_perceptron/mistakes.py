"""The mistakes learners make in lesson 01, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import itertools

import numpy as np

from ...checking import Mistakes
from . import reference as ref

BOOLEAN_INPUTS = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
TRUTH_TABLES = list(itertools.product([0, 1], repeat=4))

STEP_NEURON = Mistakes({
    "the step fires only when w·x + b is strictly greater than 0 (use >, not >=)":
        lambda x, w, b: 1.0 if np.dot(w, x) + b >= 0 else 0.0,
    "did you forget to add the bias b?": lambda x, w, b: 1.0 if np.dot(w, x) > 0 else 0.0,
    "the bias is added, not compared with: fire when w·x + b > 0 (not when w·x > b)":
        lambda x, w, b: 1.0 if np.dot(w, x) > b else 0.0,
    "a step neuron outputs 0 or 1, not the weighted sum itself": lambda x, w, b: float(np.dot(w, x) + b),
    "a step neuron outputs 0 or 1: np.sign gives −1 below 0 and 0 at 0":
        lambda x, w, b: float(np.sign(np.dot(w, x) + b)),
})

SIGMOID_NEURON = Mistakes({
    "did you forget to add the bias b?": lambda x, w, b: float(ref.sigmoid(np.dot(w, x))),
    "σ(z) = 1 / (1 + exp(-z)): check the sign inside exp": lambda x, w, b: float(1 / (1 + np.exp(np.dot(w, x) + b))),
    "apply σ to w·x + b, not to each product separately":
        lambda x, w, b: float(np.sum(ref.sigmoid(np.multiply(w, x))) + b),
})


def _update(w, b, x, lr, w_step, b_step):
    return np.asarray(w, dtype=float) + lr * w_step * np.asarray(x, dtype=float), b + lr * b_step


def update_on_every_point(w, b, x, y, lr=1.0):
    return _update(w, b, x, lr, y, y)


def update_subtracted(w, b, x, y, lr=1.0):
    error = y - ref.step_neuron(x, w, b)
    return _update(w, b, x, lr, -error, -error)


def update_without_lr(w, b, x, y, lr=1.0):
    error = y - ref.step_neuron(x, w, b)
    return _update(w, b, x, 1.0, error, error)


def update_never_fixes_false_alarms(w, b, x, y, lr=1.0):
    error = max(y - ref.step_neuron(x, w, b), 0)
    return _update(w, b, x, lr, error, error)


def update_weights_only(w, b, x, y, lr=1.0):
    return ref.perceptron_update(w, b, x, y, lr)[0], b


PERCEPTRON_UPDATE = Mistakes({
    "update by lr·(y − ŷ)·x, not lr·y·x: a correct point changes nothing": update_on_every_point,
    "the update is w + lr·(y − ŷ)·x; you subtracted it": update_subtracted,
    "did you forget the learning rate?": update_without_lr,
    "a false alarm (ŷ = 1, y = 0) must move the neuron too: there y − ŷ = −1, so w ← w − lr·x and b ← b − lr":
        update_never_fixes_false_alarms,
    "the bias learns too: b ← b + lr·(y − ŷ)": update_weights_only,
})


def train_with(X, y, lr=1.0, max_epochs=100, *, initial_w=np.zeros, stops_when_clean=True, records_clean=True):
    """train_perceptron with one thing changed: w starts at ``initial_w(d)``, a clean epoch does not stop training,
    or a clean epoch that stops it is not recorded."""
    X = np.asarray(X, dtype=float)
    w, b, mistakes = initial_w(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if ref.step_neuron(x_i, w, b) != y_i:
                count += 1
                w, b = ref.perceptron_update(w, b, x_i, y_i, lr)
        if count or records_clean:
            mistakes.append(count)
        if count == 0 and stops_when_clean:
            break
    return w, b, mistakes


def train_without_the_clean_epoch(X, y, lr=1.0, max_epochs=100):
    """Stops at the first clean epoch but never records it."""
    return train_with(X, y, lr, max_epochs, records_clean=False)


def train_counting_cumulatively(X, y, lr=1.0, max_epochs=100):
    w, b, mistakes = ref.train_perceptron(X, y, lr, max_epochs)
    return w, b, list(np.cumsum(mistakes))


def train_for_100_epochs(X, y, lr=1.0, max_epochs=100):
    return ref.train_perceptron(X, y, lr, 100)


def train_with_lr_one(X, y, lr=1.0, max_epochs=100):
    return ref.train_perceptron(X, y, 1.0, max_epochs)


TRAIN_PERCEPTRON = Mistakes({
    "stop after the first epoch with no mistakes (and count that epoch)": train_without_the_clean_epoch,
    "count the mistakes in each epoch separately, not cumulatively": train_counting_cumulatively,
    "train for at most max_epochs epochs": train_for_100_epochs,
    "pass lr on to the update: starting from 0, w and b scale with the learning rate": train_with_lr_one,
})


def count_the_named_gates(max_epochs=100):
    """Tries only AND, OR, NAND and NOR, the gates the lesson names."""
    named = [(0, 0, 0, 1), (0, 1, 1, 1), (1, 1, 1, 0), (1, 0, 0, 0)]
    return sum(ref.is_linearly_separable(BOOLEAN_INPUTS, np.array(t), max_epochs) for t in named)


def count_every_finished_run(max_epochs=100):
    """Counts a table when training finished, whether or not it converged."""
    return sum(len(ref.train_perceptron(BOOLEAN_INPUTS, np.array(t), max_epochs=max_epochs)[2]) <= max_epochs
               for t in TRUTH_TABLES)


def count_all_but_xor(max_epochs=100):
    return sum(t != (0, 1, 1, 0) for t in TRUTH_TABLES)


def count_with_100_epochs(max_epochs=100):
    return ref.count_separable_gates()


def count_runs_shorter_than_max_epochs(max_epochs=100):
    """A run that converges in its last allowed epoch is missed."""
    return sum(len(ref.train_perceptron(BOOLEAN_INPUTS, np.array(t), max_epochs=max_epochs)[2]) < max_epochs
               for t in TRUTH_TABLES)


COUNT_SEPARABLE_GATES = Mistakes({
    "there are 2⁴ = 16 truth tables of two inputs; did you loop over all of them?": count_the_named_gates,
    "XOR and XNOR are the two that no line separates": count_every_finished_run,
    "XNOR is not separable either": count_all_but_xor,
    "pass max_epochs on to train_perceptron: within a few epochs some separable tables are not learned yet":
        count_with_100_epochs,
    "an epoch with 0 mistakes within max_epochs counts as converged, even when it is the last one "
    "(check mistakes[-1] == 0, not len(mistakes) < max_epochs)": count_runs_shorter_than_max_epochs,
})


def _forward(x, W1, b1, W2, b2, hidden_activation=ref.sigmoid, output_activation=ref.sigmoid, second_input=None):
    hidden = hidden_activation(np.asarray(W1) @ x + b1)
    return hidden, output_activation(np.asarray(W2) @ (hidden if second_input is None else second_input) + b2)


TWO_LAYER_FORWARD = Mistakes({
    "apply σ to the hidden layer: h = σ(W1 x + b1)":
        lambda x, W1, b1, W2, b2: _forward(x, W1, b1, W2, b2, hidden_activation=np.asarray),
    "did you forget the hidden bias b1?": lambda x, W1, b1, W2, b2: _forward(x, W1, 0.0, W2, b2),
    "apply σ to the output too: σ(W2 h + b2)":
        lambda x, W1, b1, W2, b2: _forward(x, W1, b1, W2, b2, output_activation=np.asarray),
    "did you forget the output bias b2?": lambda x, W1, b1, W2, b2: _forward(x, W1, b1, W2, 0.0),
    "the second layer takes the hidden activations h, not x":
        lambda x, W1, b1, W2, b2: _forward(x, W1, b1, W2, b2, second_input=np.asarray(x)),
})
