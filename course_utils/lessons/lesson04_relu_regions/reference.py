"""Reference solutions for lesson 04 (ReLU networks are piecewise linear); checkers and fallbacks use them.

Two ways to write a network appear in this lesson:

* a **shallow** network with scalar input and output, ``(w, b, v, c)``:
  ``f(x) = c + sum_d v_d * relu(w_d * x + b_d)``, with w, b, v of length D;
* a **deep** network as a list of layers ``[(W1, b1), (W2, b2), ..., (W_out, b_out)]``, each W of
  shape (outputs, inputs); a ReLU follows every layer except the last.
"""
from math import comb

import numpy as np


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def shallow_net(x, w, b, v, c):
    """f(x) = c + Σ_d v_d relu(w_d x + b_d) for every entry of the 1-D array x."""
    x = np.asarray(x, dtype=float).reshape(-1)
    hidden = relu(np.outer(x, np.asarray(w, dtype=float)) + np.asarray(b, dtype=float))
    return hidden @ np.asarray(v, dtype=float) + float(c)


def joint_positions(w, b):
    """The sorted positions -b_d / w_d where a unit switches on or off (units with w_d = 0 have none)."""
    w, b = np.asarray(w, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    bends = w != 0
    return np.sort(-b[bends] / w[bends]) + 0.0  # + 0.0 turns -0.0 into 0.0


def count_regions_1d(w, b):
    """How many intervals the hidden units split the real line into: distinct joints + 1."""
    return int(len(np.unique(joint_positions(w, b))) + 1)


def piecewise_linear(x, knots, values):
    """The continuous function through (knots[k], values[k]), continued beyond the ends with the end slopes."""
    x = np.asarray(x, dtype=float)
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    inside = np.interp(x, knots, values)
    left = values[0] + slopes[0] * (x - knots[0])
    right = values[-1] + slopes[-1] * (x - knots[-1])
    return np.where(x < knots[0], left, np.where(x > knots[-1], right, inside))


def fit_piecewise_linear(knots, values):
    """(w, b, v, c) of a shallow ReLU network equal to ``piecewise_linear(., knots, values)`` everywhere.

    The first slope s_0 everywhere comes from s_0·x = s_0·relu(x) - s_0·relu(-x); then one unit
    relu(x - x_k) per interior knot adds the change of slope s_k - s_{k-1} there.
    """
    knots, values = np.asarray(knots, dtype=float), np.asarray(values, dtype=float)
    slopes = np.diff(values) / np.diff(knots)
    interior = knots[1:-1]
    w = np.concatenate([[1.0, -1.0], np.ones(len(interior))])
    b = np.concatenate([[0.0, 0.0], -interior])
    v = np.concatenate([[slopes[0], -slopes[0]], np.diff(slopes)])
    c = float(values[0] - slopes[0] * knots[0])
    return w, b, v, c


def max_regions(d_in, d_hidden):
    """d_hidden hyperplanes in general position cut R^d_in into Σ_{j ≤ d_in} C(d_hidden, j) regions (Steiner, Schläfli,
    Buck; a special case of Zaslavsky's theorem), the most a shallow ReLU network with d_hidden units can have."""
    return sum(comb(int(d_hidden), j) for j in range(int(d_in) + 1))


def deep_net(X, layers):
    """Outputs of a deep ReLU network for the rows of X (shape (N, d_in)); returns shape (N, d_out)."""
    h = np.asarray(X, dtype=float)
    if h.ndim == 1:
        h = h[:, None]
    for index, (W, b) in enumerate(layers):
        h = h @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float)
        if index < len(layers) - 1:
            h = relu(h)
    return h


def activation_patterns(X, layers):
    """(N, H) booleans: which hidden units (every layer but the last) have a positive pre-activation."""
    h = np.asarray(X, dtype=float)
    if h.ndim == 1:
        h = h[:, None]
    patterns = []
    for W, b in layers[:-1]:
        z = h @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float)
        patterns.append(z > 0)
        h = relu(z)
    return np.concatenate(patterns, axis=1) if patterns else np.zeros((len(h), 0), dtype=bool)


def pattern_codes(patterns):
    """One hashable code per row of a boolean pattern matrix (rows packed into bytes: fast to compare)."""
    packed = np.ascontiguousarray(np.packbits(np.asarray(patterns, dtype=bool), axis=1))
    return packed.view(np.dtype((np.void, max(packed.shape[1], 1)))).reshape(-1) if packed.shape[1] else \
        np.zeros(len(packed), dtype=np.int8)


def region_labels(patterns):
    """An integer label per row, equal for rows with the same pattern (labels in order of first sight)."""
    _, first, inverse = np.unique(pattern_codes(patterns), return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.reshape(-1)]


def count_activation_patterns(X, layers):
    """The number of distinct activation patterns among the rows of X."""
    return int(len(np.unique(pattern_codes(activation_patterns(X, layers)))))


def shallow_to_layers(w, b, v, c):
    """The deep-network form [(W1, b1), (W2, b2)] of a shallow network (w, b, v, c)."""
    w, b, v = (np.asarray(a, dtype=float).reshape(-1) for a in (w, b, v))
    return [(w[:, None], b), (v[None, :], np.array([float(c)]))]


def compose_shallow(f, g):
    """Layers of a two-hidden-layer network computing g(f(x)) for shallow nets f, g = (w, b, v, c).

    f's output c_f + v_f·h1 feeds g's hidden layer, so g's units see w_g (v_f·h1 + c_f) + b_g:
    the middle weights are the outer product w_g v_fᵀ and the middle bias is w_g c_f + b_g.
    """
    w_f, b_f, v_f = (np.asarray(a, dtype=float).reshape(-1) for a in f[:3])
    w_g, b_g, v_g = (np.asarray(a, dtype=float).reshape(-1) for a in g[:3])
    c_f, c_g = float(f[3]), float(g[3])
    return [(w_f[:, None], b_f),
            (np.outer(w_g, v_f), w_g * c_f + b_g),
            (v_g[None, :], np.array([c_g]))]


def tent_map():
    """A shallow net for the tent map on [0, 1]: 2x up to 1/2, then 2 - 2x (0 left of 0, falling right of 1)."""
    return np.array([1.0, 1.0]), np.array([0.0, -0.5]), np.array([2.0, -4.0]), 0.0


def repeated_tent(k):
    """Layers of the tent map composed with itself k times (k ≥ 1): 2k hidden units, 2^k pieces on [0, 1]."""
    layers = shallow_to_layers(*tent_map())
    tent = tent_map()
    for _ in range(k - 1):
        previous_out = layers[-1]
        w_t, b_t = tent[0], tent[1]
        # merge the previous linear output into the next tent's hidden layer
        W = np.outer(w_t, previous_out[0].reshape(-1))
        bias = w_t * float(previous_out[1][0]) + b_t
        layers = layers[:-1] + [(W, bias), (tent[2][None, :], np.array([tent[3]]))]
    return layers


def count_parameters(layers):
    return int(sum(np.size(W) + np.size(b) for W, b in layers))
