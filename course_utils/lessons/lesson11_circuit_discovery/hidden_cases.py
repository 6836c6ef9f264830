"""Hidden cases for lesson 11 (circuit discovery with ACDC).

Edges are ``(sender, receiver)`` pairs named as in the notebook (``"embed"``,
``"L0H1"``, ``"L1H0.k"``, ``"logits"``). ACDC's ``score`` is a
:class:`_TableScore`, a plain object (it survives ``copy.deepcopy``) whose
values are multiples of 1/64, so every sum and difference ACDC forms is exact
and no threshold comparison can tip either way with rounding.
"""
import numpy as np

from ...checking import CheckFailure, as_array, expect_close, expect_equal
from ...grading.hidden_cases import CASES_PER_EXERCISE, hidden


def _seed(rng):
    return int(rng.integers(0, 2**31 - 1))


def _edges(n_layers, n_heads):
    """The notebook's graph, in its processing order (imported here: the reference module imports torch)."""
    from .reference import graph_edges

    return graph_edges(n_layers, n_heads)


# --- the graph and the KL divergence -----------------------------------------------------------------

def _edge_list_compare(got, want):
    if not isinstance(got, (list, tuple)):
        raise CheckFailure("graph_edges should return a list of (sender, receiver) pairs")
    expect_equal([tuple(edge) for edge in got], [tuple(edge) for edge in want])


@hidden("11.graph_edges", compare=_edge_list_compare)
def _graph_edges(rng):
    public = {(2, 4), (1, 2), (3, 2)}
    sizes = [(layers, heads) for layers in range(1, 5) for heads in range(1, 5) if (layers, heads) not in public]
    picked = rng.choice(len(sizes), size=CASES_PER_EXERCISE, replace=False)
    return [(sizes[int(i)], {}) for i in picked]


def _kl_compare(got, want):
    expect_close(as_array(got, shape=()), want, rtol=1e-4, atol=1e-6)


@hidden("11.kl_divergence", compare=_kl_compare)
def _kl_divergence(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(2, 9)))
        generator = torch.Generator().manual_seed(_seed(rng))
        clean = torch.randn(*shape, generator=generator) * float(rng.uniform(0.5, 3.0))
        # a circuit close to the model (small KL) or far from it (large KL)
        circuit = clean + torch.randn(*shape, generator=generator) * float(rng.choice([0.3, 1.0, 3.0]))
        cases.append(((clean, circuit), {}))
    return cases


# --- ACDC ------------------------------------------------------------------------------------------

class _TableScore:
    """``score(kept)``: a base, plus the summed weights of the edges missing from ``kept``, plus a penalty for each
    group of edges that are ALL missing (the group's edges back each other up, so removing one alone is cheap and
    the order of removals matters). A negative weight is an edge whose removal LOWERS the score; the base keeps
    every score non-negative. Base, weights and penalties are multiples of 1/64: sums are exact."""

    def __init__(self, edges, weights, groups):
        self.edges, self.weights, self.groups = list(edges), dict(weights), [(tuple(g), p) for g, p in groups]
        self.base = -sum(min(w, 0.0) for w in self.weights.values())

    def __call__(self, kept):
        kept = {tuple(edge) for edge in kept}
        total = self.base + sum(self.weights[edge] for edge in self.edges if edge not in kept)
        total += sum(penalty for group, penalty in self.groups if not any(edge in kept for edge in group))
        return float(total)


def _observe_acdc(function, args, kwargs):
    """The kept edges and how often ``score`` was called (the docstring asks for once per edge, plus one)."""
    edges, score, tau = args
    calls = []

    def counting(kept):          # a function: the learner wrapper's deep copy keeps it (and its counter) as it is
        calls.append(1)
        return score(kept)

    return function(edges, counting, tau, **kwargs), len(calls), len(edges)


def _kept_compare(got, want):
    got, calls, n_edges = got
    if got is None or isinstance(got, (str, bytes)) or not hasattr(got, "__iter__"):
        raise CheckFailure("acdc should return the set of kept edges")
    got = sorted(tuple(edge) for edge in got)
    if len(set(got)) != len(got):
        raise CheckFailure("an edge is kept twice")
    expect_equal(got, sorted(tuple(edge) for edge in want[0]))
    if calls > n_edges + 1:
        raise CheckFailure("score was called more than once per edge (plus once for the full circuit)")


@hidden("11.acdc", compare=_kept_compare, observe=_observe_acdc)
def _acdc(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        sizes = [(1, 2), (1, 3), (2, 1), (2, 2)]
        edges = _edges(*sizes[int(rng.integers(0, len(sizes)))])
        tau_64 = int(rng.integers(2, 14))                   # tau = (tau_64 + 1/2) / 64: never equal to a difference
        weights = {}
        for edge in edges:
            important = rng.random() < 0.3
            weights[edge] = int(rng.integers(8, 41) if important else rng.integers(0, 4)) / 64
        # groups of individually cheap edges that back each other up: which one ACDC keeps depends on the order
        groups, grouped = [], set()
        for _ in range(int(rng.integers(2, 5))):
            members = [edges[int(i)] for i in rng.choice(len(edges), size=int(rng.integers(2, 4)), replace=False)]
            for edge in members:
                weights[edge] = int(rng.integers(0, 2)) / 64
            grouped.update(members)
            groups.append((members, int(rng.integers(tau_64 + 2, 41)) / 64))
        # edges whose removal LOWERS the score by more than tau: ACDC removes them (|difference| would keep them)
        free = [edge for edge in edges if edge not in grouped]
        for i in rng.choice(len(free), size=min(len(free), int(rng.integers(1, 4))), replace=False):
            weights[free[int(i)]] = -int(rng.integers(tau_64 + 2, 41)) / 64
        cases.append(((edges, _TableScore(edges, weights, groups), (tau_64 + 0.5) / 64), {}))
    return cases


# --- the look-back circuit ---------------------------------------------------------------------------

def _edge_set_compare(got, want):
    if got is None or isinstance(got, (str, bytes)) or not hasattr(got, "__iter__"):
        raise CheckFailure("lookback_circuit should return a set of (sender, receiver) pairs")
    got = [tuple(edge) for edge in got]
    expect_equal(sorted(set(got)), sorted(tuple(edge) for edge in want))


@hidden("11.lookback_circuit", compare=_edge_set_compare)
def _lookback_circuit(rng):
    public = {(("L0H1",), ("L1H2",)), (("L0H0", "L0H3"), ("L1H1", "L1H2", "L1H3")), (("L0H2",), ("L1H0", "L1H1"))}
    cases, seen = [], set(public)
    while len(cases) < CASES_PER_EXERCISE:
        n_heads = int(rng.integers(2, 7))
        prev = [f"L0H{int(h)}" for h in rng.choice(n_heads, size=int(rng.integers(1, n_heads + 1)), replace=False)]
        lookup = [f"L1H{int(h)}" for h in rng.choice(n_heads, size=int(rng.integers(1, n_heads + 1)), replace=False)]
        key = (tuple(sorted(prev)), tuple(sorted(lookup)))
        if key not in seen:             # distinct circuits, none of them the notebook's
            seen.add(key)
            cases.append(((prev, lookup), {}))
    return cases


# --- precision, recall and ROC points ----------------------------------------------------------------

def _universe(rng):
    sizes = [(1, 2), (1, 3), (2, 1), (2, 2)]
    return _edges(*sizes[int(rng.integers(0, len(sizes)))])


def _subset(rng, edges, probability):
    return {edge for edge in edges if rng.random() < probability}


def _truth(rng, edges):
    """A true circuit: at least one edge, and at least one edge outside it."""
    truth = _subset(rng, edges, float(rng.uniform(0.1, 0.5)))
    truth.add(edges[int(rng.integers(0, len(edges)))])
    if len(truth) == len(edges):
        truth.discard(edges[0])
    return truth


def _pair_compare(got, want):
    expect_close(as_array(got, shape=(2,)), np.asarray(want, dtype=float), rtol=1e-5, atol=1e-8)


@hidden("11.precision_recall", compare=_pair_compare)
def _precision_recall(rng):
    cases = []
    for index in range(CASES_PER_EXERCISE):
        edges = _universe(rng)
        truth = _truth(rng, edges)
        # mostly random guesses; one empty and one that mixes true edges with a few false ones
        if index == 0:
            found = set()
        elif index == 1:
            found = _subset(rng, sorted(truth), 0.7) | _subset(rng, edges, 0.15)
        else:
            found = _subset(rng, edges, float(rng.uniform(0.05, 0.9)))
        cases.append(((found, truth), {}))
    order = rng.permutation(len(cases))
    return [cases[int(i)] for i in order]


def _roc_compare(got, want):
    want = np.asarray(want, dtype=float).reshape(-1, 2)
    expect_close(as_array(got, shape=want.shape), want, rtol=1e-5, atol=1e-8)


@hidden("11.roc_points", compare=_roc_compare)
def _roc_points(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        edges = _universe(rng)
        truth = _truth(rng, edges)
        found_sets = [_subset(rng, edges, float(p)) for p in np.sort(rng.uniform(0, 1, int(rng.integers(1, 6))))]
        cases.append(((found_sets, truth, list(edges)), {}))
    return cases


# --- edge attribution patching ---------------------------------------------------------------------

def _attribution_compare(got, want):
    from .reference import attribution_as_array

    edges = list(want)
    expect_close(attribution_as_array(got, edges, None), np.array([want[e] for e in edges]), rtol=1e-4)


@hidden("11.edge_attribution", compare=_attribution_compare)
def _edge_attribution(rng):
    from .reference import LogitDifference, TokenLogProb, random_graph_model

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n_layers, n_heads, mlps = int(rng.integers(1, 3)), int(rng.integers(1, 4)), bool(rng.random() < 0.6)
        graph = random_graph_model(n_layers, n_heads, mlps, _seed(rng), batch=int(rng.integers(2, 5)),
                                   seq=int(rng.integers(3, 7)))
        keep = rng.random(len(graph.edges)) < rng.uniform(0.4, 1.0)
        keep[int(rng.integers(0, len(graph.edges)))] = True
        edges = [edge for edge, kept in zip(graph.edges, keep) if kept]
        tokens = rng.choice(7, size=2, replace=False)
        metric = LogitDifference(int(tokens[0]), int(tokens[1])) if rng.random() < 0.5 else TokenLogProb(int(tokens[0]))
        cases.append(((graph.run, edges, metric), {}))
    return cases
