"""Checker contract for lesson 01: the reference passes, the stub is not attempted, mistakes fail."""
import itertools

import numpy as np

from checker_contract import contract_tests
from course_utils.reference import lesson01_perceptron as ref

sigmoid = ref.sigmoid
step = ref.step_neuron


def update_sign_flipped(w, b, x, y, lr=1.0):
    error = y - step(x, w, b)
    return np.asarray(w) - lr * error * np.asarray(x), b - lr * error


def update_without_bias(w, b, x, y, lr=1.0):
    return ref.perceptron_update(w, b, x, y, lr)[0], b


def update_always(w, b, x, y, lr=1.0):  # uses y instead of the error y - ŷ
    return np.asarray(w) + lr * y * np.asarray(x), b + lr * y


def train_never_stops_early(X, y, lr=1.0, max_epochs=100):
    X = np.asarray(X, dtype=float)
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if step(x_i, w, b) != y_i:
                count += 1
                w, b = ref.perceptron_update(w, b, x_i, y_i, lr)
        mistakes.append(count)
    return w, b, mistakes


def train_one_pass(X, y, lr=1.0, max_epochs=100):
    X = np.asarray(X, dtype=float)
    w, b, count = np.zeros(X.shape[1]), 0.0, 0
    for x_i, y_i in zip(X, y):
        if step(x_i, w, b) != y_i:
            count += 1
            w, b = ref.perceptron_update(w, b, x_i, y_i, lr)
    return w, b, [count]


def train_cumulative_count(X, y, lr=1.0, max_epochs=100):
    w, b, mistakes = ref.train_perceptron(X, y, lr, max_epochs)
    return w, b, list(np.cumsum(mistakes))


def count_gates_with_xnor(max_epochs=100):
    return 15


def count_gates_by_trying_one_epoch(max_epochs=100):
    return ref.count_separable_gates(max_epochs=1)


def forward_no_output_sigmoid(x, W1, b1, W2, b2):
    hidden = sigmoid(np.asarray(W1) @ x + b1)
    return hidden, np.asarray(W2) @ hidden + b2


def forward_transposed(x, W1, b1, W2, b2):
    hidden = sigmoid(np.asarray(W1).T @ x + b1)
    return hidden, sigmoid(np.asarray(W2) @ hidden + b2)


def forward_without_biases(x, W1, b1, W2, b2):
    hidden = sigmoid(np.asarray(W1) @ x)
    return hidden, sigmoid(np.asarray(W2) @ hidden)


MUTANTS = {
    "01.step_neuron": [
        (lambda x, w, b: 1.0 if np.dot(w, x) > 0 else 0.0, "bias"),
        (lambda x, w, b: 1.0 if np.dot(w, x) + b >= 0 else 0.0, "strictly greater"),
        lambda x, w, b: float(np.dot(w, x) + b),
    ],
    "01.sigmoid_neuron": [
        (lambda x, w, b: float(sigmoid(np.dot(w, x))), "bias"),
        (lambda x, w, b: float(1 / (1 + np.exp(np.dot(w, x) + b))), "sign"),
        lambda x, w, b: 1.0 if np.dot(w, x) + b > 0 else 0.0,
    ],
    "01.logic_gate_weights": [
        lambda gate: ([1.0, 1.0], -0.5),               # OR's weights for every gate
        lambda gate: ([1.0, 1.0], 1.5 if gate == "NAND" else -1.5 if gate == "AND" else -0.5),
        lambda gate: [1.0, 1.0, -1.5],                 # not a pair
    ],
    "01.perceptron_update": [
        (update_sign_flipped, "subtracted"),
        (update_without_bias, "bias learns"),
        update_always,
    ],
    "01.train_perceptron": [
        train_never_stops_early,
        train_one_pass,
        (train_cumulative_count, "cumulatively"),
    ],
    "01.count_separable_gates": [
        (count_gates_with_xnor, "XNOR"),
        count_gates_by_trying_one_epoch,
        lambda max_epochs=100: sum(1 for _ in itertools.product([0, 1], repeat=4)),
    ],
    "01.two_layer_forward": [
        (forward_no_output_sigmoid, "output too"),
        forward_transposed,
        (forward_without_biases, "bias"),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
