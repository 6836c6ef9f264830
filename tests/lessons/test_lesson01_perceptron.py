"""Checker contract for lesson 01: the reference passes, the stub is not attempted, mistakes fail."""
import itertools

import numpy as np
import scipy.special
import torch

from checker_contract import contract_tests, hidden_failures
from course_utils import exercises
from course_utils.checking import FAILED, PASSED, run_check
from course_utils.lessons.lesson01_perceptron import reference as ref
from course_utils.lessons.lesson01_perceptron.mistakes import train_with

sigmoid = ref.sigmoid
step = ref.step_neuron


def train_never_stops_early(X, y, lr=1.0, max_epochs=100):
    return train_with(X, y, lr, max_epochs, stops_when_clean=False)


def train_one_pass(X, y, lr=1.0, max_epochs=100):
    return ref.train_perceptron(X, y, lr, 1)


def count_gates_by_trying_one_epoch(max_epochs=100):
    return ref.count_separable_gates(max_epochs=1)


def forward_transposed(x, W1, b1, W2, b2):
    hidden = sigmoid(np.asarray(W1).T @ x + b1)
    return hidden, sigmoid(np.asarray(W2) @ hidden + b2)


def forward_without_biases(x, W1, b1, W2, b2):
    hidden = sigmoid(np.asarray(W1) @ x)
    return hidden, sigmoid(np.asarray(W2) @ hidden)


MUTANTS = {
    "01.step_neuron": [
        (lambda x, w, b: 1.0 if np.dot(w, x) - b > 0 else 0.0, "not when w·x > b"),  # the same as w·x > b
        (lambda x, w, b: float(np.heaviside(np.dot(w, x) + b, 1.0)), "strictly greater"),  # the >= convention
    ],
    "01.sigmoid_neuron": [
        lambda x, w, b: 1.0 if np.dot(w, x) + b > 0 else 0.0,
    ],
    "01.logic_gate_weights": [
        lambda gate: ([1.0, 1.0], -0.5),               # OR's weights for every gate
        lambda gate: ([1.0, 1.0], 1.5 if gate == "NAND" else -1.5 if gate == "AND" else -0.5),
        lambda gate: [1.0, 1.0, -1.5],                 # not a pair
    ],
    "01.perceptron_update": [],
    "01.train_perceptron": [
        train_never_stops_early,
        train_one_pass,
    ],
    "01.count_separable_gates": [
        count_gates_by_trying_one_epoch,
    ],
    "01.two_layer_forward": [
        forward_transposed,
        forward_without_biases,
    ],
}


def update_tie_fires(w, b, x, y, lr=1.0):  # predicts with >=
    error = y - (1.0 if np.dot(w, x) + b >= 0 else 0.0)
    return np.asarray(w, dtype=float) + lr * error * np.asarray(x, dtype=float), b + lr * error


def update_lr_on_weights_only(w, b, x, y, lr=1.0):
    error = y - step(x, w, b)
    return np.asarray(w, dtype=float) + lr * error * np.asarray(x, dtype=float), b + error


def train_reversed_order(X, y, lr=1.0, max_epochs=100):
    return ref.train_perceptron(np.asarray(X)[::-1], np.asarray(y)[::-1], lr, max_epochs)


def train_starts_from_ones(X, y, lr=1.0, max_epochs=100):
    return train_with(X, y, lr, max_epochs, initial_w=np.ones)


def count_gates_hard_coded(max_epochs=100):
    return 14


def count_gates_final_weights(max_epochs=100):
    """A valid convention: after max_epochs epochs, do the weights compute the gate?"""
    X = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    count = 0
    for table in itertools.product([0, 1], repeat=4):
        w, b, _ = ref.train_perceptron(X, np.array(table), max_epochs=max_epochs)
        count += all(step(x, w, b) == t for x, t in zip(X, table))
    return count


def count_gates_any_clean_epoch(max_epochs=100):
    X = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    return np.int64(sum(0 in ref.train_perceptron(X, np.array(t), 0.5, max_epochs)[2]
                        for t in itertools.product([0, 1], repeat=4)))


def count_gates_own_loop(max_epochs=100):
    inputs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    count = 0
    for table in itertools.product([0, 1], repeat=4):
        w1 = w2 = b = 0.0
        for _ in range(max_epochs):
            errors = 0
            for (x1, x2), t in zip(inputs, table):
                e = t - (1 if w1 * x1 + w2 * x2 + b > 0 else 0)
                if e:
                    errors += 1
                    w1, w2, b = w1 + e * x1, w2 + e * x2, b + e
            if errors == 0:
                count += 1
                break
    return count


def count_gates_non_separable(max_epochs=100):
    return 16 - ref.count_separable_gates(max_epochs)


def forward_float32(x, W1, b1, W2, b2):
    f = np.float32
    h = 1 / (1 + np.exp(-(np.asarray(W1, f) @ np.asarray(x, f) + np.asarray(b1, f))))
    return h, 1 / (1 + np.exp(-(np.asarray(W2, f) @ h + np.asarray(b2, f))))


def forward_torch(x, W1, b1, W2, b2):
    t = [torch.tensor(np.asarray(a), dtype=torch.float32) for a in (x, W1, b1, W2, b2)]
    h = torch.sigmoid(t[1] @ t[0] + t[2])
    return h, torch.sigmoid(t[3] @ h + t[4])


def forward_loops(x, W1, b1, W2, b2):
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = [sig(sum(W1[j][i] * x[i] for i in range(len(x))) + b1[j]) for j in range(len(b1))]
    return h, [sig(sum(W2[k][j] * h[j] for j in range(len(h))) + b2[k]) for k in range(len(b2))]


MUTANTS["01.sigmoid_neuron"] += [
    lambda x, w, b: float(np.tanh(np.dot(w, x) + b)),
    lambda x, w, b: float(sigmoid(np.dot(w, x) - b)),
    lambda x, w, b: float(sigmoid(np.dot(w, x)) + b),
]
MUTANTS["01.logic_gate_weights"] += [
    (lambda gate: ref.logic_gate_weights(gate) if gate != "AND" else ([1.0, 1.0], -2.0), "exactly 0"),  # a tie
    lambda gate: ref.logic_gate_weights(gate) if gate != "NAND" else ([-1.0, -1.0], -1.5),  # flips w only
    lambda gate: ref.logic_gate_weights({"AND": "OR", "OR": "AND"}.get(gate, gate)),
]
MUTANTS["01.perceptron_update"] += [
    update_tie_fires,
    update_lr_on_weights_only,
]
MUTANTS["01.train_perceptron"] += [
    train_reversed_order,
    train_starts_from_ones,
]
MUTANTS["01.count_separable_gates"] += [
    count_gates_hard_coded,
    count_gates_non_separable,
]
MUTANTS["01.two_layer_forward"] += [
    lambda x, W1, b1, W2, b2: (np.tanh(W1 @ x + b1), sigmoid(W2 @ np.tanh(W1 @ x + b1) + b2)),
    lambda x, W1, b1, W2, b2: (np.maximum(W1 @ x + b1, 0), sigmoid(W2 @ np.maximum(W1 @ x + b1, 0) + b2)),
    lambda x, W1, b1, W2, b2: (sigmoid(W1 @ x + b1), scipy.special.softmax(W2 @ sigmoid(W1 @ x + b1) + b2)),
]

ALTERNATIVES = {
    "01.step_neuron": [
        lambda x, w, b: float(np.heaviside(np.dot(w, x) + b, 0.0)),
        lambda x, w, b: float(sum(wi * xi for wi, xi in zip(w, x)) + b > 0),
        lambda x, w, b: (torch.dot(torch.tensor(w, dtype=torch.float32), torch.tensor(x, dtype=torch.float32))
                         + b > 0).float(),
        lambda x, w, b: np.float32(np.dot(np.float32(w), np.float32(x)) + np.float32(b) > 0),
    ],
    "01.sigmoid_neuron": [
        lambda x, w, b: scipy.special.expit(np.dot(w, x) + b),
        lambda x, w, b: torch.sigmoid(torch.tensor(float(np.dot(w, x) + b), dtype=torch.float32)),
        lambda x, w, b: 0.5 * (1 + np.tanh((np.dot(w, x) + b) / 2)),
        lambda x, w, b: np.float32(1) / (1 + np.exp(-np.float32(np.dot(w, x) + b))),
    ],
    "01.logic_gate_weights": [
        lambda gate: {"AND": ([2.0, 2.0], -3.0), "OR": ([2.0, 2.0], -1.0), "NAND": ([-2.0, -2.0], 3.0)}[gate],
        lambda gate: tuple(np.array(v, dtype=np.float32) for v in ref.logic_gate_weights(gate)),
        lambda gate: (torch.tensor(ref.logic_gate_weights(gate)[0]), torch.tensor(ref.logic_gate_weights(gate)[1])),
        lambda gate: [list(ref.logic_gate_weights(gate)[0]), int(ref.logic_gate_weights(gate)[1] * 2) / 2],
    ],
    "01.perceptron_update": [
        lambda w, b, x, y, lr=1.0: tuple(v.tolist() if hasattr(v, "tolist") else v
                                         for v in ref.perceptron_update(w, b, x, y, lr)),
        lambda w, b, x, y, lr=1.0: (np.float32(w) + np.float32(lr * (y - step(x, w, b))) * np.float32(x),
                                    np.float32(b + lr * (y - step(x, w, b)))),
        lambda w, b, x, y, lr=1.0: (torch.tensor(w) + lr * (y - step(x, w, b)) * torch.tensor(x),
                                    torch.tensor(b + lr * (y - step(x, w, b)))),
    ],
    "01.train_perceptron": [
        lambda X, y, lr=1.0, max_epochs=100: tuple(np.asarray(v).tolist() if i != 1 else v
                                                   for i, v in enumerate(ref.train_perceptron(X, y, lr, max_epochs))),
        lambda X, y, lr=1.0, max_epochs=100: (np.float32(ref.train_perceptron(X, y, lr, max_epochs)[0]),
                                              *ref.train_perceptron(X, y, lr, max_epochs)[1:]),
        lambda X, y, lr=1.0, max_epochs=100: (torch.tensor(ref.train_perceptron(X, y, lr, max_epochs)[0]),
                                              ref.train_perceptron(X, y, lr, max_epochs)[1],
                                              np.array(ref.train_perceptron(X, y, lr, max_epochs)[2])),
    ],
    "01.count_separable_gates": [
        count_gates_final_weights,      # the other convergence convention (issue 13)
        count_gates_any_clean_epoch,
        count_gates_own_loop,
    ],
    "01.two_layer_forward": [forward_float32, forward_torch, forward_loops],
}
UNVARIED = {}

globals().update(contract_tests("01", MUTANTS, ALTERNATIVES, UNVARIED))


def test_count_separable_gates_accepts_either_convention_and_rejects_14():
    """Regression (issue 13): hidden cases graded the convergence convention, not separability."""
    exercise = exercises.get("01.count_separable_gates")
    for convention in (ref.count_separable_gates, count_gates_final_weights):
        assert run_check(exercise, convention).status == PASSED
        assert hidden_failures("01.count_separable_gates", convention) == 0
    assert run_check(exercise, count_gates_hard_coded).status == FAILED
    assert hidden_failures("01.count_separable_gates", count_gates_hard_coded) > 0


def test_softmax_output_is_not_told_it_used_x():
    verdict = run_check(exercises.get("01.two_layer_forward"), MUTANTS["01.two_layer_forward"][-1])
    assert verdict.status == FAILED and "not x" not in verdict.text(), verdict.text()
