"""Checkers for lesson 03: backpropagation and MLPs.

torch is imported inside the checkers that need it, so that loading every
lesson's checks (the exercise registry does) stays fast.
"""
import contextlib
import copy
import io
import math
from operator import itemgetter

import numpy as np

from ...checking import (CheckFailure, Mistakes, NotAttempted, call_with_inputs, expect_close, expect_equal,
                         expect_true)
from ...checking.formatting import to_numpy
from ...exercises import exercise
from ...threads import one_thread
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("03", "backprop_mlps", "Backpropagation and MLPs", 90,
                    "the chain rule by hand through a 2-layer network, a scalar autograd engine checked against "
                    "torch.autograd, an MLP on the digits with torch, overfitting, early stopping and weight decay")


# --- helpers ----------------------------------------------------------------------------------------------------

def _call_direct(learner, *args, case=None):
    """Call the learner's function on the checker's own objects, without copying them.

    The runner normally deep-copies arguments; the autograd exercises build and mutate a
    graph of Values on purpose, and the checker needs to read the grads of *its* nodes
    afterwards. Each case builds a fresh graph, so nothing the learner does can leak.
    """
    function, name = getattr(learner, "function", learner), getattr(learner, "name", "your function")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return function(*args)
    except NotImplementedError as error:
        helper = _unfinished_helper(error, name)
        if helper:
            raise CheckFailure(f"`{name}` calls `{helper}`, which is not written yet (it still raises "
                               f"NotImplementedError). Complete `{helper}` first, then run this check again.",
                               case=case, show_values=False) from None
        raise NotAttempted() from None
    except RecursionError:
        raise CheckFailure(f"`{name}` recursed too deeply.", case=case, show_values=False) from None
    except Exception as error:  # the learner's exception becomes a sentence
        raise CheckFailure(f"`{name}` raised {type(error).__name__}: {error}", case=case,
                           show_values=False) from None


def _unfinished_helper(error, name):
    """The name of the other exercise function whose stub raised ``error``, if it was not ``name`` itself."""
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    innermost = frames[-1] if frames else name
    return innermost if innermost in HELPERS and innermost != name else None


HELPERS = ("linear_backward", "tanh_backward", "topological_order", "apply_op")


def epoch_pair(answer, *, case=None):
    """(best_epoch, stop_epoch) as Python ints from a tuple, list, array or tensor of two whole numbers."""
    answer = to_numpy(answer)
    if isinstance(answer, np.ndarray) and answer.ndim == 1:
        answer = answer.tolist()
    answer = _pair(answer, 2, "early_stopping should return a pair (best_epoch, stop_epoch).", case)
    try:
        values = [float(to_numpy(v)) for v in answer]
    except (TypeError, ValueError):
        values = None
    if values is None or not all(v.is_integer() for v in values):
        raise CheckFailure("best_epoch and stop_epoch should be whole numbers (epoch indices).", case=case,
                           got=answer, show_values=False)
    return int(values[0]), int(values[1])


def _pair(answer, size, message, case):
    if not isinstance(answer, (tuple, list)) or len(answer) != size:
        raise CheckFailure(message, case=case, got=answer, show_values=False)
    return answer


def _node_name(node):
    op = getattr(node, "_op", "") or "leaf"
    try:
        return f"the {op} node (data {float(node.data):.3g})"
    except (AttributeError, TypeError, ValueError):
        return "an object that is not a Value"


# --- Part 1: backpropagation by hand ----------------------------------------------------------------------------

@exercise("03.linear_backward", points=2, reference=ref.linear_backward,
          title="the backward pass of a linear layer", mistakes=mistakes.LINEAR_BACKWARD)
def check_linear_backward(linear_backward):
    rng = np.random.default_rng(3)
    for n, d_in, d_out in ((4, 3, 2), (1, 5, 3), (6, 2, 4)):
        X = rng.normal(size=(n, d_in)).round(2)
        W = rng.normal(size=(d_out, d_in)).round(2)
        dZ = rng.normal(size=(n, d_out)).round(2)
        case = {"X shape": (n, d_in), "W shape": (d_out, d_in), "dZ shape": (n, d_out)}
        answer = _pair(linear_backward(dZ, X, W), 3, "linear_backward should return a triple (dX, dW, db).", case)
        dX, dW, db = ref.linear_backward(dZ, X, W)
        mistaken = mistakes.LINEAR_BACKWARD.answers(dZ, X, W)
        expect_close(answer[1], dW, case=case, what="the gradient dW", rtol=1e-6, mistakes=mistaken.map(itemgetter(1)),
                     hint="each W[j, i] multiplies X[:, i] into Z[:, j], so dW = dZᵀ · X")
        expect_close(answer[2], db, case=case, what="the gradient db", rtol=1e-6, mistakes=mistaken.map(itemgetter(2)))
        expect_close(answer[0], dX, case=case, what="the gradient dX", rtol=1e-6, mistakes=mistaken.map(itemgetter(0)),
                     hint="Z = X Wᵀ + b, so dX = dZ · W (shape (n, d_in))")


@exercise("03.tanh_backward", points=1, reference=ref.tanh_backward, title="the backward pass of tanh",
          mistakes=mistakes.TANH_BACKWARD)
def check_tanh_backward(tanh_backward):
    rng = np.random.default_rng(4)
    for shape in ((5,), (2, 1), (3, 4)):
        Z = rng.normal(size=shape).round(2) * 1.5
        H, dH = np.tanh(Z), rng.normal(size=shape).round(2)
        case = {"H = tanh(Z)": H, "dH": dH}
        expect_close(tanh_backward(dH, H), ref.tanh_backward(dH, H), case=case, what="dZ", rtol=1e-6,
                     mistakes=mistakes.TANH_BACKWARD.answers(dH, H),
                     hint="dZ = dH · (1 − H²), elementwise")


@exercise("03.mlp_backward", points=2, reference=ref.mlp_backward,
          title="backpropagation through a 2-layer network, checked against torch.autograd",
          mistakes=mistakes.MLP_BACKWARD)
def check_mlp_backward(mlp_backward):
    with one_thread():
        _check_mlp_backward(mlp_backward)


def _check_mlp_backward(mlp_backward):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(5)
    for n, d_in, d_hidden, n_classes in ((5, 3, 4, 3), (7, 4, 6, 2)):
        params = {"W1": rng.normal(size=(d_hidden, d_in)).round(2), "b1": rng.normal(size=d_hidden).round(2),
                  "W2": rng.normal(size=(n_classes, d_hidden)).round(2), "b2": rng.normal(size=n_classes).round(2)}
        X = rng.normal(size=(n, d_in)).round(2)
        y = rng.integers(0, n_classes, size=n)
        case = {"X shape": (n, d_in), "hidden units": d_hidden, "classes": n_classes, "y": y}
        answer = _call_direct(mlp_backward, copy.deepcopy(params), X.copy(), y.copy(), case=case)
        if not isinstance(answer, dict) or not all(k in answer for k in ("W1", "b1", "W2", "b2")):
            raise CheckFailure("mlp_backward should return a dict with keys 'W1', 'b1', 'W2', 'b2'.", case=case,
                               got=answer, show_values=False)
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        hidden = torch.tanh(torch.tensor(X) @ tensors["W1"].T + tensors["b1"])
        loss = F.cross_entropy(hidden @ tensors["W2"].T + tensors["b2"], torch.tensor(y))
        loss.backward()
        mistaken = mistakes.MLP_BACKWARD.answers(params, X, y)
        for key in ("b2", "W2", "b1", "W1"):
            expect_close(answer[key], tensors[key].grad.numpy(), case=case, what=f"the gradient for {key}",
                         rtol=1e-5, atol=1e-9, mistakes=mistaken.map(itemgetter(key)),
                         hint="go backwards: dlogits, then the second linear layer, tanh, the first linear layer")


# --- Part 2: a scalar autograd engine ---------------------------------------------------------------------------

UNARY = ("exp", "tanh", "relu")


def _torch_op(op, a, b=None):
    import torch

    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "**":
        return a ** b
    return {"exp": torch.exp, "tanh": torch.tanh, "relu": torch.relu}[op](a)


def _torch_local_grads(op, a, b=None):
    """(out, [∂out/∂input for each Value input]) from torch.autograd."""
    import torch

    inputs = [torch.tensor(float(a), dtype=torch.float64, requires_grad=True)]
    if op in ("+", "*"):
        inputs.append(torch.tensor(float(b), dtype=torch.float64, requires_grad=True))
    out = _torch_op(op, inputs[0], inputs[1] if op in ("+", "*") else b)
    grads = torch.autograd.grad(out, inputs, allow_unused=True)
    return float(out.detach()), [0.0 if g is None else float(g) for g in grads]


def _random_program(seed, n_leaves=3, n_steps=7):
    """A random expression as instructions (op, i, j): node i op node j (or exponent j), leaves first."""
    rng = np.random.default_rng(seed)
    while True:
        leaves = [float(v) for v in rng.uniform(-1.5, 1.5, size=n_leaves).round(2)]
        program, values = [], list(leaves)
        for _ in range(n_steps):
            op = str(rng.choice(["+", "*", "**", "exp", "tanh", "relu", "+", "*"]))
            i = int(rng.integers(len(values)))
            j = int(rng.integers(len(values))) if op in ("+", "*") else (int(rng.choice([2, 3])) if op == "**" else None)
            program.append((op, i, j))
            values.append(_float_op(op, values[i], values[j] if op in ("+", "*") else j))
        # the root adds the last three nodes, so that several paths meet
        program += [("+", len(values) - 1, len(values) - 2), ("+", len(values), len(values) - 3)]
        if max(abs(v) for v in values) < 20 and min(abs(v) for v in values) > 1e-3:
            return leaves, program


def _float_op(op, a, b=None):
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "**":
        return a ** b
    return {"exp": math.exp, "tanh": math.tanh, "relu": lambda v: max(v, 0.0)}[op](a)


def _run_program(leaves, program, apply):
    nodes = list(leaves)
    for op, i, j in program:
        nodes.append(apply(op, nodes[i], nodes[j]) if op in ("+", "*") else apply(op, nodes[i], j))
    return nodes[-1]


def _torch_leaf_grads(leaf_values, program):
    import torch

    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in leaf_values]
    root = _run_program(leaves, program, lambda op, a, b=None: _torch_op(op, a, b))
    grads = torch.autograd.grad(root, leaves, allow_unused=True)
    return [0.0 if g is None else float(g) for g in grads]


def _program_text(program, n_leaves):
    names = [f"x{k}" for k in range(n_leaves)]
    for op, i, j in program:
        if op in ("+", "*"):
            names.append(f"({names[i]} {op} {names[j]})")
        elif op == "**":
            names.append(f"{names[i]}**{j}")
        else:
            names.append(f"{op}({names[i]})")
    return names[-1]


def _value_class(learner):
    """The learner's own ``Value`` class when their notebook defines a usable one (so that an
    ``isinstance(b, Value)`` in their code behaves), else the reference class."""
    function = getattr(learner, "function", learner)
    candidate = getattr(function, "__globals__", {}).get("Value")
    try:
        probe = candidate(1.5)
        usable = probe.data == 1.5 and probe.grad == 0 and len(probe._children) == 0
    except Exception:  # missing, or a different design: fall back to the course's class
        usable = False
    return candidate if usable else ref.Value


def _local_grads(value):
    return list(value._local_grads)


APPLY_OP_CASES = [("+", 2.0, -3.0), ("*", 2.0, -3.0), ("*", 0.5, 4.0), ("**", 1.5, 2), ("**", -2.0, 3),
                  ("**", 4.0, -1), ("**", 2.25, 0.5), ("exp", 0.7, None), ("tanh", 0.8, None), ("tanh", -1.2, None),
                  ("relu", 1.3, None), ("relu", -0.4, None)]


@exercise("03.apply_op", points=2, reference=ref.apply_op,
          title="the local gradients of +, *, **, exp, tanh and relu", mistakes=mistakes.APPLY_OP)
def check_apply_op(apply_op):
    Value = _value_class(apply_op)
    for op, a, b in APPLY_OP_CASES:
        case = {"op": op, "a.data": a} | ({} if b is None else {"b" if op != "**" else "exponent b": b})
        inputs = (Value(a), Value(b) if op in ("+", "*") else b)
        out = apply_op(op, *inputs) if b is not None else apply_op(op, inputs[0])
        missing = [name for name in ("data", "_children", "_local_grads") if not hasattr(out, name)]
        if missing:
            raise CheckFailure(f"apply_op should return a Value (with .data, ._children and ._local_grads), "
                               f"but it returned {'None' if out is None else 'an object without ' + ', '.join(missing)}.",
                               case=case, show_values=False, hint="build the result with Value(data, children, local_grads, op)")
        want_data, want_grads = _torch_local_grads(op, a, b)
        expect_close(out.data, want_data, case=case, what="the result's .data", rtol=1e-6, atol=1e-9)
        children = list(out._children)
        n_inputs = 2 if op in ("+", "*") else 1
        child_data = [getattr(child, "data", None) for child in children]
        expect_true(len(children) == n_inputs and all(d is not None for d in child_data),
                    f"the result should have {n_inputs} child Value{'s' if n_inputs > 1 else ''}, "
                    f"but it has {len(children)}.", case=case,
                    hint="the exponent of ** is a plain number, not a child: only a is" if op == "**" else
                    "the children are the input Values, in order: (a, b)" if n_inputs == 2 else
                    "the only child is the input Value a")
        expect_close(child_data, [a, b][:n_inputs], case=case, what="the data of the result's children",
                     rtol=1e-6, atol=1e-9,
                     hint="list the children in the order of the inputs: (a, b)")
        local = list(out._local_grads)
        expect_true(len(local) == n_inputs, f"the result should have one local gradient per child ({n_inputs}), "
                    f"but it has {len(local)}.", case=case)
        expect_close(local, want_grads, case=case, what="the local gradients", rtol=1e-6, atol=1e-9,
                     mistakes=mistakes.APPLY_OP.answers(op, *inputs).map(_local_grads),
                     hint=f"write down d(out)/d(input) for {op} and evaluate it at the inputs")
    # Random expressions built from your apply_op, differentiated by the reference backward, against torch.
    for seed in (11, 12, 13):
        leaf_values, program = _random_program(seed)
        leaves = [Value(v) for v in leaf_values]
        case = {"expression": _program_text(program, len(leaves)), "x": leaf_values}
        root = _run_program(leaves, program, lambda op, a, b=None: _call_direct(apply_op, op, a, b, case=case))
        try:
            ref.backward(root)
        except Exception as error:
            raise CheckFailure(f"backpropagating through the Values your apply_op builds failed "
                               f"({type(error).__name__}: {error}).", case=case, show_values=False,
                               hint="each Value needs .grad = 0.0, a tuple ._children and a tuple ._local_grads") from None
        expect_close([leaf.grad for leaf in leaves], _torch_leaf_grads(leaf_values, program), case=case,
                     what="the gradients of a random expression built with your apply_op", rtol=1e-6, atol=1e-9)


def _graph_cases():
    """Fresh graphs (built with the reference engine): (description, leaves, root)."""
    cases = []
    x = ref.Value(1.5)
    cases.append(("x*x + x with x = 1.5 (x is used three times)", [x], x * x + x))
    x, y = ref.Value(0.5), ref.Value(-1.0)
    a = x + y
    cases.append(("a = x + y; (a * x) + tanh(a) with x = 0.5, y = -1", [x, y], a * x + a.tanh()))
    x1, x2, w1, w2, b = ref.Value(0.5), ref.Value(-1.0), ref.Value(2.0), ref.Value(0.5), ref.Value(0.25)
    cases.append(("a neuron tanh(w1*x1 + w2*x2 + b)", [x1, x2, w1, w2, b], (w1 * x1 + w2 * x2 + b).tanh()))
    for seed in (21, 22):
        leaf_values, program = _random_program(seed)
        leaves = [ref.Value(v) for v in leaf_values]
        cases.append((f"{_program_text(program, len(leaves))} with x = {leaf_values}", leaves,
                       _run_program(leaves, program, ref.apply_op)))
    return cases


@exercise("03.topological_order", points=2, reference=ref.topological_order,
          title="a topological order of the computation graph")
def check_topological_order(topological_order):
    single = ref.Value(2.0)
    for description, _, root in [("a single leaf", [single], single)] + _graph_cases():
        case = {"graph": description}
        answer = _call_direct(topological_order, root, case=case)
        if not isinstance(answer, (list, tuple)):
            raise CheckFailure("topological_order should return a list of Values.", case=case, got=answer,
                               show_values=False)
        expected = ref.topological_order(root)
        expected_ids = {id(node) for node in expected}
        position = {}
        for index, node in enumerate(answer):
            expect_true(id(node) in expected_ids, f"the list holds {_node_name(node)}, which is not in the graph.",
                        case=case, hint="list the Value objects themselves, not their data")
            expect_true(id(node) not in position, f"{_node_name(node)} appears twice in your order.", case=case,
                        hint="a node used by several others must be listed once: keep a set of visited nodes")
            position[id(node)] = index
        expect_true(len(position) == len(expected),
                    f"your order lists {len(position)} of the {len(expected)} nodes that root depends on.", case=case,
                    hint="recurse into the children of every node, down to the leaves, and include root itself")
        for node in answer:
            for child in node._children:
                expect_true(position[id(child)] < position[id(node)],
                            f"{_node_name(node)} comes before its child, {_node_name(child)}.", case=case,
                            hint="append a node only after all of its children (a post-order depth-first search)")


def _leaves_grads_after(backward):
    """``backward`` as a function of (root, leaves) whose answer is the grads it leaves on the leaves."""
    def run(root, leaves):
        backward(root)
        return [leaf.grad for leaf in leaves]
    return run


BACKWARD_LEAVES_GRADS = Mistakes({hint: _leaves_grads_after(backward) for hint, backward in mistakes.BACKWARD})


@exercise("03.backward", points=2, reference=ref.backward,
          title="backpropagation through any graph of Values, checked against torch.autograd",
          mistakes=mistakes.BACKWARD)
def check_backward(backward):
    for description, leaves, root in _graph_cases():
        case = {"graph": description}
        # the mistakes run on the graph as it was before the learner's backward filled in its grads
        mistaken = BACKWARD_LEAVES_GRADS.answers(*copy.deepcopy((root, leaves)))
        _call_direct(backward, root, case=case)
        got = [getattr(leaf, "grad", None) for leaf in leaves]
        leaf_values = [leaf.data for leaf in leaves]
        import torch

        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in leaf_values]
        torch_root = _rebuild_in_torch(root, leaves, tensors)
        want = [0.0 if g is None else float(g)
                for g in torch.autograd.grad(torch_root, tensors, allow_unused=True)]
        expect_close(got, want, case=case, what="the leaves' .grad after backward", rtol=1e-6, atol=1e-9,
                     mistakes=mistaken, hint="root.grad = 1, then for each node in reverse topological order: "
                                             "child.grad += local_grad * node.grad")


def _rebuild_in_torch(root, leaves, tensors):
    """The same computation as the graph under ``root``, in torch (leaves mapped to ``tensors``)."""
    import torch

    memo = {id(leaf): tensor for leaf, tensor in zip(leaves, tensors)}
    for node in ref.topological_order(root):
        if id(node) in memo:
            continue
        if not node._children:  # a constant
            memo[id(node)] = torch.tensor(node.data, dtype=torch.float64)
            continue
        inputs = [memo[id(child)] for child in node._children]
        op = node._op
        if op.startswith("**"):
            memo[id(node)] = inputs[0] ** float(op[2:])
        else:
            memo[id(node)] = _torch_op(op, *inputs)
    return memo[id(root)]


# --- Part 3: training an MLP with torch -------------------------------------------------------------------------

def _training_setup(seed):
    """A tiny MLP, its SGD optimizer and 10 examples, all fixed without touching torch's global seed."""
    import torch

    from ...models.mlp import MLP

    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        model = MLP([4, 8, 3])
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.tensor(rng.normal(scale=0.5, size=tuple(parameter.shape)), dtype=torch.float32))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    X = torch.tensor(rng.normal(size=(10, 4)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 3, size=10), dtype=torch.int64)
    return model, optimizer, X, y


def loss_list(answer, *, case=None):
    """The learner's list of batch losses as floats; a list holding tensors gets a sentence (public and hidden)."""
    if not isinstance(answer, (list, tuple)):
        raise CheckFailure("train_epoch should return a list with one loss per batch.", case=case, got=answer,
                           show_values=False)
    if any(hasattr(v, "detach") for v in answer):
        raise CheckFailure("each loss in the list should be a plain number, not a tensor: use loss.item() "
                           "(a tensor would keep its whole computation graph alive).", case=case,
                           show_values=False)
    try:
        return [float(v) for v in answer]
    except (TypeError, ValueError):
        raise CheckFailure("each loss in the list should be a plain number: use loss.item().", case=case,
                           show_values=False) from None


LOSS_TOLERANCE = dict(rtol=1e-4, atol=1e-6)
WEIGHTS_HINT = ("the batch losses are right but the weights after the epoch are not: every batch, the last one "
                "too, needs zero_grad, backward and an optimizer.step() on the model and optimizer you were given")


def expect_same_weights(model, want_model, *, case=None):
    """The trained model's parameters against the reference's, after the epoch (the step the losses cannot show)."""
    want = dict(want_model.named_parameters())
    got = dict(model.named_parameters()) if hasattr(model, "named_parameters") else {}
    for name, parameter in want.items():
        if name not in got:
            raise CheckFailure(f"the model you were given has no parameter `{name}` after the epoch.", case=case,
                               show_values=False)
        expect_close(got[name].detach().numpy(), parameter.detach().numpy(), case=case, **LOSS_TOLERANCE,
                     what=f"the model's `{name}` after the epoch", hint=WEIGHTS_HINT)


@exercise("03.train_epoch", points=2, reference=ref.train_epoch, may_modify=("model", "optimizer"),
          title="one epoch of mini-batch training in torch", mistakes=mistakes.TRAIN_EPOCH)
def check_train_epoch(train_epoch):
    with one_thread():
        _check_train_epoch(train_epoch)


def _check_train_epoch(train_epoch):
    # batches of 4, 4 and 2; of 5 and 5; a single batch of all 10 (its one step shows only in the weights)
    for seed, batch_size in ((7, 4), (8, 5), (9, 16)):
        case = {"model": "MLP([4, 8, 3])", "optimizer": "SGD(lr=0.5)", "examples": 10, "batch_size": batch_size}
        model, optimizer, X, y = _training_setup(seed)
        losses, (trained, *_), _ = call_with_inputs(train_epoch, model, optimizer, X, y, batch_size)
        answer = loss_list(losses, case=case)
        want_model, want_optimizer, want_X, want_y = _training_setup(seed)
        want = ref.train_epoch(want_model, want_optimizer, want_X, want_y, batch_size)
        # the learner trained copies: model and optimizer are still as set up, for the mistakes to train
        expect_close(answer, want, case=case, what="the list of batch losses", **LOSS_TOLERANCE,
                     mistakes=mistakes.TRAIN_EPOCH.answers(model, optimizer, X, y, batch_size),
                     hint="for each batch in order: zero_grad, loss = cross_entropy(model(X_batch), y_batch), "
                          "backward, step, and record loss.item()")
        expect_same_weights(trained, want_model, case=case)


# --- Part 4: early stopping ---------------------------------------------------------------------------------------

EARLY_STOPPING_CASES = [
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 1.0], 3),
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2),
    ([0.5, 0.4, 0.4, 0.4, 0.4, 0.3], 2),
    ([1.0, 2.0, 0.5, 0.4], 1),
    ([0.9, 0.7, 0.8, 0.6, 0.65, 0.66, 0.64, 0.7, 0.8], 3),
]


@exercise("03.early_stopping", points=1, reference=ref.early_stopping, title="early stopping with patience",
          mistakes=mistakes.EARLY_STOPPING)
def check_early_stopping(early_stopping):
    for losses, patience in EARLY_STOPPING_CASES:
        case = {"val_losses": losses, "patience": patience}
        answer = epoch_pair(early_stopping(list(losses), patience), case=case)
        want = ref.early_stopping(losses, patience)
        stopped = losses[:want[1] + 1]
        expect_equal(answer, want, case=case, what="(best_epoch, stop_epoch)",
                     mistakes=mistakes.EARLY_STOPPING.answers(list(losses), patience),
                     hint=f"walk the epochs in order, remembering the best loss so far; here training should stop "
                          f"after seeing {len(stopped)} epochs")
