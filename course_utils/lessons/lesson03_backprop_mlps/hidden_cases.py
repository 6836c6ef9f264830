"""Hidden cases for lesson 03 (backpropagation and MLPs).

The autograd exercises take graphs of the reference engine's ``Value`` nodes. ``backward`` returns
nothing: its answer is the ``.grad`` it leaves on the leaves of the graph it was given, which is a deep
copy of the case (the grader copies arguments before every call). The root of a hidden graph is a
:class:`_TrackedRoot`, which remembers its latest deep copy, so that the comparison can read the
learner's gradients there; the expected gradients travel with the graph.

torch is imported only inside the functions that need it.
"""
import copy

import numpy as np

from ...checking import CheckFailure, as_array, call_with_inputs, expect_close, expect_equal
from . import reference as ref
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden


def _round(array, decimals=2):
    return np.asarray(array, dtype=float).round(decimals)


# --- Part 1: backpropagation by hand ----------------------------------------------------------------------------

@hidden("03.linear_backward", compare=close_within(1e-6, 1e-8))  # as the public check
def _linear_backward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n, d_in, d_out = (int(s) for s in rng.integers(1, 7, size=3))
        cases.append(((_round(rng.normal(size=(n, d_out))), _round(rng.normal(size=(n, d_in))),
                       _round(rng.normal(size=(d_out, d_in)))), {}))
    return cases


@hidden("03.tanh_backward", compare=close_within(1e-6, 1e-8))  # as the public check
def _tanh_backward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        shape = (int(rng.integers(1, 8)),) if rng.random() < 0.5 else tuple(int(s) for s in rng.integers(1, 5, size=2))
        H = np.tanh(_round(rng.normal(0, 1.5, size=shape)))
        cases.append(((_round(rng.normal(size=shape)), H), {}))
    return cases


@hidden("03.mlp_backward", compare=close_within(1e-5, 1e-9))  # as the public check
def _mlp_backward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n, d_in, d_hidden, n_classes = (int(rng.integers(1, 9)), int(rng.integers(1, 6)), int(rng.integers(1, 8)),
                                        int(rng.integers(2, 6)))
        params = {"W1": _round(rng.normal(size=(d_hidden, d_in))), "b1": _round(rng.normal(size=d_hidden)),
                  "W2": _round(rng.normal(size=(n_classes, d_hidden))), "b2": _round(rng.normal(size=n_classes))}
        cases.append(((params, _round(rng.normal(size=(n, d_in))), rng.integers(0, n_classes, size=n)), {}))
    return cases


# --- Part 2: a scalar autograd engine ---------------------------------------------------------------------------

def _data(value):
    return float(as_array(value.data, shape=()))


def _apply_op_compare(got, want):
    """The result's data, its children (their data, in order) and its local gradients."""
    expect_close(_data(got), want.data, rtol=1e-6, atol=1e-9)  # the public check's tolerances
    children = list(got._children)
    expect_equal(len(children), len(want._children))
    expect_close([_data(child) for child in children], [child.data for child in want._children], rtol=1e-6, atol=1e-9)
    local = [float(as_array(g, shape=())) for g in got._local_grads]
    expect_close(local, list(want._local_grads), rtol=1e-6, atol=1e-9)


class _Input(ref.Value):
    """An input Value for apply_op. The public checker builds inputs with the learner's own Value class when
    the notebook defines one; here that class is unknown, so an input also converts to float: code such as
    ``b if isinstance(b, Value) else Value(b)`` then still makes a child with the right data."""

    def __float__(self):
        return self.data


def _away_from_zero(rng, low=0.2, high=2.0):
    return round(float(rng.choice([-1.0, 1.0]) * rng.uniform(low, high)), 2)


@hidden("03.apply_op", compare=_apply_op_compare)
def _apply_op(rng):
    cases = []
    # relu twice, once on each side of its kink: a local gradient of 1 everywhere must fail
    ops = ["+", "*", "**", "**", "exp", "tanh", "relu+", "relu-"]
    for op in rng.permutation(ops):
        op = str(op)
        a = _away_from_zero(rng, 0.3)  # relu never sees 0; ** with a negative exponent stays finite
        if op.startswith("relu"):
            a, op = (abs(a) if op == "relu+" else -abs(a)), "relu"
        if op in ("+", "*"):
            cases.append(((op, _Input(a), _Input(_away_from_zero(rng))), {}))
        elif op == "**":
            exponent = int(rng.choice([2, 3, 4, 5, -1, -2, -3]))
            if a > 0 and rng.random() < 0.3:
                exponent = float(rng.choice([0.5, 1.5]))
            cases.append(((op, _Input(a), exponent), {}))
        else:
            cases.append(((op, _Input(a)), {}))
    return cases


def _random_graph(rng, n_leaves, n_steps, root_class=ref.Value):
    """Leaves and the root of a random expression built with the reference engine (several paths meet)."""
    while True:
        leaves = [ref.Value(v) for v in rng.uniform(-1.5, 1.5, size=n_leaves).round(2)]
        nodes, kinks = list(leaves), [1.0]
        for _ in range(n_steps):
            op = str(rng.choice(["+", "*", "**", "exp", "tanh", "relu", "+", "*"]))
            a = nodes[int(rng.integers(len(nodes)))]
            if op == "relu":
                kinks.append(abs(a.data))
            if op in ("+", "*"):
                nodes.append(ref.apply_op(op, a, nodes[int(rng.integers(len(nodes)))]))
            elif op == "**":
                nodes.append(ref.apply_op(op, a, int(rng.choice([2, 3]))))
            else:
                nodes.append(ref.apply_op(op, a))
        inner = ref.apply_op("+", nodes[-1], nodes[-2])
        last = ref.apply_op("+", inner, nodes[-3])
        root = root_class(last.data, last._children, last._local_grads, last._op)
        values = [node.data for node in nodes] + [root.data]
        # no relu input near its kink and no huge values: the gradients are well defined and well conditioned
        if max(abs(v) for v in values) < 20 and min(kinks) > 1e-2:
            return leaves, root


def _order_compare(got, want):
    """Any topological order is right: the nodes of the graph, each once, every node after its children."""
    if not isinstance(got, (list, tuple)):
        raise CheckFailure("topological_order should return a list of Values")
    position = {}
    for index, node in enumerate(got):
        if id(node) in position:
            raise CheckFailure("a node appears twice")
        position[id(node)] = index
    children_of_some = set()
    for node in got:
        for child in node._children:
            if id(child) not in position or position[id(child)] > position[id(node)]:
                raise CheckFailure("a node comes before one of its children, or a child is missing")
            children_of_some.add(id(child))
    # a list closed under children with a single node that is nobody's child is exactly that node's graph
    sinks = [node for node in got if id(node) not in children_of_some]
    expect_equal(len(got), len(want))
    expect_equal(len(sinks), 1)
    expect_close(_data(sinks[0]), want[-1].data, rtol=1e-12, atol=0)


@hidden("03.topological_order", compare=_order_compare)
def _topological_order(rng):
    cases = [((ref.Value(round(float(rng.normal()), 2)),), {})]  # a single leaf
    while len(cases) < CASES_PER_EXERCISE:
        _, root = _random_graph(rng, int(rng.integers(1, 5)), int(rng.integers(2, 10)))
        cases.append(((root,), {}))
    return cases


_LATEST_COPY = [None]  # the graph the learner's backward received (the contents change, never the list)


class _TrackedRoot(ref.Value):
    """A root Value that records its latest deep copy; it carries its graph's leaves and their expected grads."""

    def __deepcopy__(self, memo):
        duplicate = object.__new__(type(self))
        memo[id(self)] = duplicate
        for key, value in vars(self).items():
            setattr(duplicate, key, copy.deepcopy(value, memo))
        _LATEST_COPY[0] = duplicate
        return duplicate


def _backward_compare(got, want):
    """The leaves' .grad in the copy the learner's backward received, against the reference's."""
    root, _LATEST_COPY[0] = _LATEST_COPY[0], None  # used once: a later case cannot read a stale graph
    if root is None:
        raise CheckFailure("no graph was passed to backward")
    got_grads = [float(as_array(leaf.grad, shape=())) for leaf in root._hidden_leaves]
    expect_close(got_grads, list(root._hidden_expected), rtol=1e-6, atol=1e-9)


@hidden("03.backward", compare=_backward_compare)
def _backward(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        while True:
            leaves, root = _random_graph(rng, int(rng.integers(1, 5)), int(rng.integers(2, 10)), _TrackedRoot)
            root._hidden_leaves = tuple(leaves)
            solved = copy.deepcopy(root)
            ref.backward(solved)
            expected = tuple(leaf.grad for leaf in solved._hidden_leaves)
            if any(abs(g) > 1e-3 for g in expected):  # an answer that does nothing must fail
                break
        root._hidden_expected = expected
        cases.append(((root,), {}))
    _LATEST_COPY[0] = None
    return cases


# --- Part 3: training an MLP with torch -------------------------------------------------------------------------

def _train_observe(function, args, kwargs):
    """The batch losses and the trained model's weights after the epoch (the last step shows only there)."""
    losses, (model, *_), _ = call_with_inputs(function, *args, **kwargs)
    return losses, {name: p.detach().clone() for name, p in model.named_parameters()}


def _train_compare(got, want):
    """As the public check: a list of plain numbers (tensors are refused), then the weights after the epoch."""
    from .checks import LOSS_TOLERANCE, loss_list

    (losses, weights), (want_losses, want_weights) = got, want
    expect_close(loss_list(losses), want_losses, **LOSS_TOLERANCE)
    for name, value in want_weights.items():
        if name not in weights:
            raise CheckFailure("the model lost a parameter")
        expect_close(weights[name].numpy(), value.numpy(), **LOSS_TOLERANCE)


@hidden("03.train_epoch", compare=_train_compare, observe=_train_observe)
def _train_epoch(rng):
    import torch

    from ...models.mlp import MLP

    cases = []
    for index in range(CASES_PER_EXERCISE):
        d_in, n_classes = int(rng.integers(2, 6)), int(rng.integers(2, 5))
        sizes = [d_in] + [int(s) for s in rng.integers(2, 9, size=int(rng.integers(1, 3)))] + [n_classes]
        with torch.random.fork_rng(devices=[]):  # the initial weights come from rng, torch's seed is untouched
            model = MLP(sizes, activation=str(rng.choice(["relu", "tanh"])))
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.copy_(torch.tensor(rng.normal(scale=0.6, size=tuple(parameter.shape)), dtype=torch.float32))
        if index % 3 == 2:
            optimizer = torch.optim.Adam(model.parameters(), lr=float(rng.choice([0.01, 0.05])))
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=float(rng.choice([0.05, 0.2, 0.5])),
                                        momentum=float(rng.choice([0.0, 0.0, 0.9])))
        n = int(rng.integers(6, 13))
        X = torch.tensor(rng.normal(size=(n, d_in)), dtype=torch.float32)
        y = torch.tensor(rng.integers(0, n_classes, size=n), dtype=torch.int64)
        # mostly three or more batches (a forgotten zero_grad shows from the third), the last one often smaller;
        # sometimes a single one. At most 6 steps: cheap
        batch_size = int(rng.integers(2, n // 3 + 1)) if rng.random() < 0.8 else int(rng.integers(n, n + 3))
        cases.append(((model, optimizer, X, y, batch_size), {}))
    return cases


# --- Part 4: early stopping ---------------------------------------------------------------------------------------

def _early_stopping_compare(got, want):
    """As the public check: a pair of whole numbers (tuple, list, array or tensor), exactly the reference's."""
    from .checks import epoch_pair

    expect_equal(epoch_pair(got), tuple(want))


@hidden("03.early_stopping", compare=_early_stopping_compare)
def _early_stopping(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        n = int(rng.integers(3, 25))
        patience = int(rng.integers(1, 6))
        # a noisy U-shaped validation curve, rounded so that some epochs tie
        epochs = np.arange(n)
        turn = rng.uniform(0, n)
        curve = 0.5 + 0.02 * (epochs - turn) ** 2 / max(n / 8, 1) + rng.normal(0, 0.05, size=n)
        losses = [float(v) for v in np.round(np.maximum(curve, 0.01), 2)]
        if index % 2:
            # the best loss so far comes back exactly, within the patience, then training goes on: the tie is
            # no improvement, so patience still counts from the first of the two (and best_epoch stays there)
            n = int(rng.integers(2 * patience + 3, 2 * patience + 12))
            best = int(rng.integers(0, n - 2 * patience - 1))
            losses = [round(1.0 - 0.05 * k, 2) for k in range(best + 1)]
            low = losses[-1]
            gap = int(rng.integers(1, patience + 1)) if patience > 1 else 1
            after = [round(low + float(rng.uniform(0.01, 0.2)), 2) for _ in range(n - best - 1)]
            after[gap - 1] = low
            after[-1] = round(low - 0.1, 2)  # a lower loss after the stop: best_epoch is the best *before* it
            losses += after
        cases.append(((losses, patience), {}))
    return cases
