"""Hidden cases for lesson 01."""
import itertools

import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_equal
from . import CASES_PER_EXERCISE, equal_int_lists, hidden


@hidden("01.step_neuron")
def _step(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 5))
        x, w = rng.normal(size=n).round(2), rng.normal(size=n).round(2)
        b = round(float(rng.normal()), 2)
        if abs(float(np.dot(w, x) + b)) < 1e-6:
            b += 0.5
        cases.append(((x, w, b), {}))
    return cases


@hidden("01.sigmoid_neuron")
def _sigmoid(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 5))
        cases.append(((rng.normal(size=n).round(2), rng.normal(0, 2, size=n).round(2),
                       round(float(rng.normal()), 2)), {}))
    return cases


def _gate_compare(got, want):
    """Any (w, b) that computes the gate is right: compare truth tables, not weights."""
    from ...reference.lesson01_perceptron import step_neuron

    inputs = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    w, b = as_array(got[0], shape=(2,)), as_float(got[1])
    expect_equal([step_neuron(x, w, b) for x in inputs], [step_neuron(x, want[0], want[1]) for x in inputs])


@hidden("01.logic_gate_weights", compare=_gate_compare)
def _gates(rng):
    # the gates again, in a random order and repeated: a function that answers by call count fails
    return [((str(g),), {}) for g in rng.choice(["AND", "OR", "NAND"], size=6)]


@hidden("01.perceptron_update")
def _update(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 5))
        cases.append(((rng.normal(size=n).round(2), round(float(rng.normal()), 2), rng.normal(size=n).round(2),
                       int(rng.integers(0, 2)), float(rng.choice([0.1, 0.5, 1.0, 2.0]))), {}))
    return cases


def _train_compare(got, want):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailure("train_perceptron should return (w, b, mistakes)")
    equal_int_lists(got[2], want[2])
    expect_close(got[0], want[0], rtol=1e-6)
    expect_close(got[1], want[1], rtol=1e-6)


@hidden("01.train_perceptron", compare=_train_compare)
def _train(rng):
    cases = []
    for _ in range(4):
        n, d = int(rng.integers(4, 12)), int(rng.integers(2, 4))
        true_w, true_b = rng.normal(size=d), float(rng.normal())
        X = rng.uniform(-3, 3, size=(n * 4, d))
        margin = X @ true_w + true_b
        X = X[np.abs(margin) > 0.3][:n].round(2)
        y = (X @ true_w + true_b > 0).astype(int)
        cases.append(((X, y), {"lr": float(rng.choice([0.5, 1.0])), "max_epochs": int(rng.integers(20, 60))}))
    return cases


@hidden("01.count_separable_gates", compare=lambda got, want: expect_equal(int(got), int(want)))
def _count(rng):
    # fewer epochs than the notebook uses: a hard-coded 14 fails here
    return [((), {"max_epochs": int(m)}) for m in rng.choice([1, 2, 3], size=2, replace=False)]


@hidden("01.two_layer_forward")
def _forward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n_in, n_hidden, n_out = (int(v) for v in rng.integers(1, 5, size=3))
        cases.append(((rng.normal(size=n_in).round(2), rng.normal(size=(n_hidden, n_in)).round(2),
                       rng.normal(size=n_hidden).round(2), rng.normal(size=(n_out, n_hidden)).round(2),
                       rng.normal(size=n_out).round(2)), {}))
    return cases
