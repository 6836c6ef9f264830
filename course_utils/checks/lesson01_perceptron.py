"""Checkers for lesson 01: the perceptron."""
import itertools

import numpy as np

from ..checking import CheckFailure, as_array, as_float, expect_close, expect_equal, expect_true
from ..exercises import exercise
from ..lessons import LessonInfo
from ..reference import lesson01_perceptron as ref

LESSON = LessonInfo("01", "perceptron", "The perceptron", 60,
                    "neurons, logic gates, the perceptron learning rule, XOR, a 2-layer network by hand")

BOOLEAN_INPUTS = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
GATE_TABLES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0]}

# A small separable data set whose perceptron run takes several epochs.
SEPARABLE_X = np.array([[2.0, 1.0], [0.5, 2.0], [-1.0, 1.5], [1.5, -0.5], [-0.5, -1.0], [-2.0, 0.5]])
SEPARABLE_Y = np.array([1, 1, 0, 1, 0, 0])


@exercise("01.step_neuron", points=1, reference=ref.step_neuron, title="a neuron with a step activation")
def check_step_neuron(step_neuron):
    cases = [([1.0, 2.0], [0.5, 0.5], 0.0), ([1.0, 2.0], [0.5, 0.5], -2.0), ([3.0, -1.0], [1.0, 2.0], 0.5),
             ([1.0, 1.0], [1.0, 1.0], -2.0), ([0.0, 0.0], [1.0, 1.0], 0.0), ([2.0], [-1.0], 3.0)]
    for x, w, b in cases:
        z = float(np.dot(w, x) + b)
        expect_close(step_neuron(np.array(x), np.array(w), b), ref.step_neuron(x, w, b),
                     case={"x": x, "w": w, "b": b, "w·x + b": z},
                     what="the neuron's output",
                     mistakes={"the step fires only when w·x + b is strictly greater than 0": 1.0 if z == 0 else -1,
                               "did you forget to add the bias b?": 1.0 if np.dot(w, x) > 0 else 0.0,
                               "a step neuron outputs 0 or 1, not the weighted sum itself": z},
                     hint="compute z = w·x + b, then output 1.0 if z > 0 else 0.0")


@exercise("01.sigmoid_neuron", points=1, reference=ref.sigmoid_neuron, title="a neuron with a sigmoid activation")
def check_sigmoid_neuron(sigmoid_neuron):
    cases = [([1.0, 2.0], [0.5, -0.25], 0.0), ([1.0, 2.0], [0.5, 0.5], -1.0), ([0.3, -0.7, 2.0], [1.0, 2.0, 0.5], 0.25),
             ([0.0, 0.0], [3.0, 4.0], 0.0), ([10.0, 10.0], [5.0, 5.0], 0.0), ([10.0, 10.0], [-5.0, -5.0], 0.0)]
    for x, w, b in cases:
        z = float(np.dot(w, x) + b)
        expect_close(sigmoid_neuron(np.array(x), np.array(w), b), ref.sigmoid_neuron(x, w, b), rtol=1e-6, atol=1e-9,
                     case={"x": x, "w": w, "b": b, "w·x + b": z}, what="the neuron's output",
                     mistakes={"did you forget to add the bias b?": ref.sigmoid(np.dot(w, x)),
                               "σ(z) = 1 / (1 + exp(-z)): check the sign inside exp": 1 / (1 + np.exp(min(z, 700))),
                               "apply σ to w·x + b, not to each product separately":
                                   float(np.sum(ref.sigmoid(np.multiply(w, x))) + b)},
                     hint="σ(z) = 1 / (1 + exp(-z)) with z = w·x + b")


@exercise("01.logic_gate_weights", points=1, reference=ref.logic_gate_weights, title="logic gates by choosing weights")
def check_logic_gate_weights(logic_gate_weights):
    for gate, table in GATE_TABLES.items():
        answer = logic_gate_weights(gate)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise CheckFailure(f"logic_gate_weights({gate!r}) should return a pair (w, b).", got=answer,
                               show_values=False, case={"gate": gate})
        w = as_array(answer[0], shape=(2,), case={"gate": gate}, what="w")
        b = as_float(answer[1], case={"gate": gate}, what="b")
        outputs = [ref.step_neuron(x, w, b) for x in BOOLEAN_INPUTS]
        wrong = [tuple(int(v) for v in x) for x, got, want in zip(BOOLEAN_INPUTS, outputs, table) if got != want]
        expect_true(not wrong, f"with w={w.tolist()}, b={b:g} the neuron gets {gate} wrong on inputs {wrong}.",
                    case={"gate": gate}, expected=table, got=[int(o) for o in outputs],
                    hint=("the bias sets how many inputs must be on: for AND the neuron should fire only "
                          "when both are 1" if gate == "AND" else
                          "NAND is AND with every sign flipped" if gate == "NAND" else
                          "for OR one active input must be enough to push w·x + b above 0"))


@exercise("01.perceptron_update", points=2, reference=ref.perceptron_update, title="the perceptron learning rule")
def check_perceptron_update(perceptron_update):
    cases = [  # (w, b, x, y, lr): correct points, missed positives, false alarms
        ([0.0, 0.0], 0.0, [1.0, 2.0], 1, 1.0),
        ([0.5, -1.0], 0.25, [2.0, 1.0], 0, 0.5),
        ([1.0, 1.0], 0.0, [1.0, 1.0], 1, 1.0),
        ([1.0, 1.0], -3.0, [1.0, 1.0], 0, 1.0),
        ([-1.0, 2.0], 0.5, [3.0, -1.0], 1, 0.1),
    ]
    for w, b, x, y, lr in cases:
        case = {"w": w, "b": b, "x": x, "y": y, "lr": lr}
        answer = perceptron_update(np.array(w), b, np.array(x), y, lr)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise CheckFailure("perceptron_update should return a pair (new_w, new_b).", case=case, got=answer,
                               show_values=False)
        want_w, want_b = ref.perceptron_update(w, b, x, y, lr)
        error = y - ref.step_neuron(x, w, b)
        expect_close(answer[0], want_w, case=case, what="the new weights",
                     mistakes={"update the weights only by lr·(y − ŷ)·x: a correct point changes nothing":
                               np.add(w, lr * y * np.array(x)),
                               "the update is w + lr·(y − ŷ)·x; you subtracted it": np.subtract(w, lr * error * np.array(x)),
                               "did you forget the learning rate?": np.add(w, error * np.array(x))})
        expect_close(answer[1], want_b, case=case, what="the new bias",
                     mistakes={"the bias learns too: b ← b + lr·(y − ŷ)": b,
                               "the bias update is + lr·(y − ŷ); you subtracted it": b - lr * error})


@exercise("01.train_perceptron", points=2, reference=ref.train_perceptron, title="training to convergence")
def check_train_perceptron(train_perceptron):
    for X, y, label in ((SEPARABLE_X, SEPARABLE_Y, "a separable data set"),
                        (BOOLEAN_INPUTS, np.array(GATE_TABLES["OR"]), "the OR gate")):
        case = f"{label}, lr=1.0, max_epochs=100"
        answer = train_perceptron(X.copy(), y.copy(), 1.0, 100)
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            raise CheckFailure("train_perceptron should return (w, b, mistakes_per_epoch).", case=case,
                               got=answer, show_values=False)
        w, b, mistakes = answer
        want_w, want_b, want_mistakes = ref.train_perceptron(X, y, 1.0, 100)
        mistakes = [int(m) for m in as_array(mistakes, case=case, what="mistakes_per_epoch")]
        expect_equal(mistakes, list(want_mistakes), case=case, what="the mistakes per epoch",
                     mistakes={"stop after the first epoch with no mistakes (and count that epoch)":
                               list(want_mistakes[:-1]),
                               "count the mistakes in each epoch separately, not cumulatively":
                               list(np.cumsum(want_mistakes))},
                     hint="start from w = 0, b = 0, visit the points in order, update only on mistakes")
        w = as_array(w, shape=(X.shape[1],), case=case, what="w")
        predictions = [ref.step_neuron(x, w, as_float(b, case=case, what="b")) for x in X]
        expect_true(list(predictions) == list(y), "the returned w and b do not classify every training point.",
                    case=case, expected=list(y), got=[int(p) for p in predictions])
    answer = train_perceptron(BOOLEAN_INPUTS.copy(), np.array([0, 1, 1, 0]), 1.0, 20)
    mistakes = [int(m) for m in as_array(answer[2], case="XOR, max_epochs=20", what="mistakes_per_epoch")]
    expect_true(len(mistakes) == 20 and mistakes[-1] > 0,
                "on XOR the perceptron never converges, so training should stop after exactly max_epochs epochs.",
                case="XOR, max_epochs=20", expected="20 epochs, last with mistakes",
                got=f"{len(mistakes)} epochs", hint="loop for at most max_epochs epochs")


@exercise("01.count_separable_gates", points=2, reference=ref.count_separable_gates,
          title="which two-input gates a perceptron can learn")
def check_count_separable_gates(count_separable_gates):
    expect_equal(count_separable_gates(), ref.count_separable_gates(), what="the number of separable gates",
                 case="all 16 Boolean functions of two inputs",
                 mistakes={"there are 2⁴ = 16 truth tables of two inputs; did you loop over all of them?": 4,
                           "XOR and XNOR are the two that no line separates": 16,
                           "XNOR is not separable either": 15},
                 hint="train a perceptron on each truth table and count those that reach an epoch with 0 mistakes")


@exercise("01.two_layer_forward", points=2, reference=ref.two_layer_forward,
          title="a forward pass through a 2-layer sigmoid network")
def check_two_layer_forward(two_layer_forward):
    rng = np.random.default_rng(1)
    shapes = [(2, 2, 1), (3, 4, 2), (2, 3, 1)]
    for n_in, n_hidden, n_out in shapes:
        x = rng.normal(size=n_in).round(2)
        W1, b1 = rng.normal(size=(n_hidden, n_in)).round(2), rng.normal(size=n_hidden).round(2)
        W2, b2 = rng.normal(size=(n_out, n_hidden)).round(2), rng.normal(size=n_out).round(2)
        case = {"x": x, "W1 shape": (n_hidden, n_in), "W2 shape": (n_out, n_hidden)}
        answer = two_layer_forward(x, W1, b1, W2, b2)
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise CheckFailure("two_layer_forward should return (hidden, output).", case=case, got=answer,
                               show_values=False)
        hidden, output = ref.two_layer_forward(x, W1, b1, W2, b2)
        expect_close(answer[0], hidden, case=case, what="the hidden activations", rtol=1e-6,
                     mistakes={"apply σ to the hidden layer: h = σ(W1 x + b1)": W1 @ x + b1,
                               "did you forget the hidden bias b1?": ref.sigmoid(W1 @ x)})
        expect_close(answer[1], output, case=case, what="the output", rtol=1e-6,
                     mistakes={"apply σ to the output too: σ(W2 h + b2)": W2 @ hidden + b2,
                               "did you forget the output bias b2?": ref.sigmoid(W2 @ hidden)},
                     hint="the second layer takes the hidden activations h, not x")
