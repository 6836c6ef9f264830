"""Checkers for lesson 11: circuit discovery with ACDC."""
import itertools

import numpy as np
import torch

from ...checking import CheckFailure, as_array, expect_close, expect_equal, expect_true
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("11", "circuit_discovery", "Circuit discovery", 90,
                    "the computational graph of a transformer, ACDC, a threshold sweep, precision, recall and ROC "
                    "against two known circuits (induction and look-back), edge attribution patching, zero against "
                    "corrupted ablation, greater-than in miniature: metric recovered against edges kept, component "
                    "types, path patching")


@exercise("11.kl_divergence", points=1, reference=ref.kl_divergence,
          title="KL divergence between two output distributions", mistakes=mistakes.KL_DIVERGENCE)
def check_kl_divergence(kl_divergence):
    generator = torch.Generator().manual_seed(0)
    for shape in ((2, 3, 5), (1, 4, 7)):
        clean, circuit = torch.randn(*shape, generator=generator) * 2, torch.randn(*shape, generator=generator) * 2
        case = {"clean_logits": f"shape {shape}", "circuit_logits": f"shape {shape}"}
        expect_close(kl_divergence(clean.clone(), circuit.clone()), ref.kl_divergence(clean, circuit), rtol=1e-4,
                     case=case, what="the KL divergence", mistakes=mistakes.KL_DIVERGENCE.answers(clean, circuit),
                     hint="KL = Σ_v p_clean(v) (log p_clean(v) − log p_circuit(v)), averaged over batch and positions")
    same = torch.randn(2, 3, 5, generator=generator)
    expect_close(kl_divergence(same.clone(), same + 3.0), 0.0, atol=1e-5, case="circuit logits = clean logits + 3",
                 what="the KL divergence", hint="adding a constant to every logit does not change the softmax")


@exercise("11.graph_edges", points=2, reference=ref.graph_edges, title="the edges of the computational graph",
          mistakes=mistakes.GRAPH_EDGES)
def check_graph_edges(graph_edges):
    for n_layers, n_heads in ((2, 4), (1, 2), (3, 2)):
        case = {"n_layers": n_layers, "n_heads": n_heads}
        want = ref.graph_edges(n_layers, n_heads)
        got = graph_edges(n_layers, n_heads)
        if not isinstance(got, (list, tuple)):
            raise CheckFailure("graph_edges should return a list of (sender, receiver) pairs.", case=case, got=got,
                               show_values=False)
        got = [tuple(edge) for edge in got]
        missing, extra = set(want) - set(got), set(got) - set(want)
        if missing or extra:
            hint = next((hint for hint, wrong in mistakes.GRAPH_EDGES.answers(n_layers, n_heads).items()
                         if _wrong_only_where(set(got), set(want), set(wrong))),
                        "an edge joins each sender (embed, or a head) to each receiver of a LATER layer: every "
                        "head's query, key and value inputs, and the logits")
            raise CheckFailure(f"the edge set is wrong: {len(missing)} missing (e.g. {sorted(missing)[:2]}), "
                               f"{len(extra)} unexpected (e.g. {sorted(extra)[:2]}).", case=case,
                               expected=f"{len(want)} edges", got=f"{len(got)} edges", hint=hint)
        expect_equal(got, want, case=case, what="the order of the edges",
                     hint="receivers from the output backwards (logits, then the last layer's heads h = 0, 1, … with "
                          "q, k, v), and for each receiver its senders latest layer first, embed last")


def _wrong_only_where(got, want, wrong):
    """Whether the edge set ``got`` differs from ``want`` only in edges that the mistake's set ``wrong`` gets wrong.

    So a hint still names a mistake made in part (a few same-layer edges, not all of them).
    """
    return want & wrong <= got <= want | wrong


TOY_EDGES = [("a", "out"), ("h", "out"), ("n1", "out"), ("p1", "out"), ("p2", "out"), ("m", "out"), ("h", "x"),
             ("b", "x"), ("n2", "x")]
TOY_RULE = ("2, +1 per missing a→out, h→out, b→x, +0.02 per missing n1→out, n2→x, h→x, +1 if p1→out and p2→out "
            "are both missing, −0.8 if m→out is missing")
OTHER_RULE = "0.3 per missing edge into out, 0.6 per missing edge into x"


def _toy_score(kept):
    """A score over edge sets with a known answer (see TOY_RULE)."""
    kept = set(kept)
    cost = 2.0 + sum(1.0 for edge in (("a", "out"), ("h", "out"), ("b", "x")) if edge not in kept)
    cost += 0.02 * sum(1 for edge in (("n1", "out"), ("n2", "x"), ("h", "x")) if edge not in kept)
    if ("p1", "out") not in kept and ("p2", "out") not in kept:
        cost += 1.0
    if ("m", "out") not in kept:
        cost -= 0.8
    return cost


def _other_score(kept):
    """A second score over the same edges (see OTHER_RULE): every edge into x matters at tau 0.5, none into out."""
    kept = set(kept)
    return sum(0.3 if receiver == "out" else 0.6 for sender, receiver in TOY_EDGES if (sender, receiver) not in kept)


ACDC_CASES = [(TOY_EDGES, _toy_score, TOY_RULE, 0.5), (TOY_EDGES, _toy_score, TOY_RULE, 0.01),
              (TOY_EDGES, _toy_score, TOY_RULE, 3.0), (TOY_EDGES[::-1], _toy_score, TOY_RULE, 0.5),
              (TOY_EDGES, _other_score, OTHER_RULE, 0.5)]


@exercise("11.acdc", points=3, reference=ref.acdc, title="ACDC: prune edges one at a time", mistakes=mistakes.ACDC)
def check_acdc(acdc):
    for edges, score, rule, tau in ACDC_CASES:
        case = {"edges (in order)": [f"{s}→{r}" for s, r in edges], "tau": tau, "score": rule}
        want = ref.acdc(edges, score, tau)
        calls = []

        def counting(kept, score=score):
            calls.append(len(kept))
            return score(kept)

        got = acdc(list(edges), counting, tau)
        if got is None or isinstance(got, (str, bytes)) or not hasattr(got, "__iter__"):
            raise CheckFailure("acdc should return the set of kept edges.", case=case, got=got, show_values=False)
        try:
            got = sorted(tuple(edge) for edge in got)
        except TypeError:
            raise CheckFailure("acdc should return a set of (sender, receiver) edges.", case=case, got=got,
                               show_values=False) from None
        expect_equal(got, sorted(want), case=case, what="the kept edges",
                     mistakes=mistakes.ACDC.answers(list(edges), score, tau).map(sorted),
                     hint="kept = all edges; for each edge: try kept − {edge}; if score(trial) − score(kept) < tau, "
                          "keep the removal")
        expect_true(len(calls) <= len(edges) + 1,
                    f"the docstring asks for one score per edge (plus one for the full circuit), but yours called "
                    f"score {len(calls)} times for {len(edges)} edges.", case=case,
                    hint="remember the current score instead of recomputing it")


@exercise("11.precision_recall", points=1, reference=ref.precision_recall,
          title="precision and recall of a found circuit", mistakes=mistakes.PRECISION_RECALL)
def check_precision_recall(precision_recall):
    truth = {("a", "x"), ("b", "x"), ("c", "y"), ("d", "y")}
    other_truth = {("a", "x"), ("e", "x")}
    cases = [({("a", "x"), ("b", "x"), ("e", "x")}, truth), ({("a", "x")}, truth), (set(truth), truth),
             ({("e", "x"), ("f", "y")}, truth), (set(), truth),
             ({("a", "x"), ("b", "x"), ("e", "x")}, other_truth), ({("b", "x"), ("c", "y")}, other_truth)]
    for found, true_edges in cases:
        case = {"found": sorted(found), "truth": sorted(true_edges)}
        answer = precision_recall(set(found), set(true_edges))
        if isinstance(answer, (str, bytes, dict, set)):
            raise CheckFailure("precision_recall should return a pair (precision, recall).", case=case, got=answer,
                               show_values=False)
        expect_close(as_array(answer, shape=(2,), case=case, what="(precision, recall)"),
                     ref.precision_recall(found, true_edges), case=case, what="(precision, recall)",
                     mistakes=mistakes.PRECISION_RECALL.answers(set(found), set(true_edges)),
                     hint="precision = |found ∩ truth| / |found| (1.0 if nothing is found); "
                          "recall = |found ∩ truth| / |truth|")


ROC_CASES = [
    ([(s, "r") for s in "abcdefgh"], {("a", "r"), ("b", "r"), ("c", "r")},
     [set("abcdefgh"), set("abd"), set("a"), set()]),
    ([(s, "r") for s in "abcdef"], {("a", "r"), ("e", "r")},
     [set("a"), set("abe"), set("bcdf"), set("abcdef"), set("e")]),
]


@exercise("11.roc_points", points=2, reference=ref.roc_points, title="ROC points of a threshold sweep",
          mistakes=mistakes.ROC_POINTS)
def check_roc_points(roc_points):
    for all_edges, truth, found_names in ROC_CASES:
        found_sets = [{(name, "r") for name in names} for names in found_names]
        case = {"found_sets": [sorted(names) for names in found_names], "truth": sorted(s for s, _ in truth),
                "all_edges": [s for s, _ in all_edges]}
        want = np.array(ref.roc_points(found_sets, truth, all_edges))
        got = roc_points([set(f) for f in found_sets], set(truth), list(all_edges))
        got = as_array(got, shape=want.shape, case=case, what="the ROC points")
        expect_close(got, want, case=case, what="the (FPR, TPR) points",
                     mistakes=mistakes.ROC_POINTS.answers(found_sets, set(truth), list(all_edges)),
                     hint="FPR = |found − truth| / |all − truth|, TPR = |found ∩ truth| / |truth|")
        expect_true(all(itertools.starmap(lambda x, y: 0 <= x <= 1 and 0 <= y <= 1, got.tolist())),
                    "rates must lie between 0 and 1.", case=case)


@exercise("11.lookback_circuit", points=2, reference=ref.lookback_circuit,
          title="the look-back task's known circuit", mistakes=mistakes.LOOKBACK_CIRCUIT)
def check_lookback_circuit(lookback_circuit):
    for prev_heads, lookup_heads in ((["L0H1"], ["L1H2"]), (["L0H0", "L0H3"], ["L1H1", "L1H2", "L1H3"]),
                                     (["L0H2"], ["L1H0", "L1H1"])):
        case = {"prev_heads": prev_heads, "lookup_heads": lookup_heads}
        got = lookback_circuit(list(prev_heads), list(lookup_heads))
        try:
            got = {tuple(edge) for edge in got}
        except TypeError:
            raise CheckFailure("lookback_circuit should return a set of (sender, receiver) pairs.", case=case,
                               got=got, show_values=False) from None
        want = ref.lookback_circuit(prev_heads, lookup_heads)
        if got == want:
            continue
        hint = next((hint for hint, wrong in mistakes.LOOKBACK_CIRCUIT.answers(prev_heads, lookup_heads).items()
                     if got == wrong), None)
        missing, extra = sorted(want - got), sorted(got - want)
        raise CheckFailure(f"the circuit is wrong: {len(missing)} edges missing (e.g. {missing[:2]}), "
                           f"{len(extra)} that should not be there (e.g. {extra[:2]}).", case=case,
                           hint=hint or "follow the token identities: which edges change when the tokens change "
                                        "but every position keeps its role?", show_values=False)


ATTRIBUTION_CASES = [  # (n_layers, n_heads, MLPs, seed, which edges, metric)
    (2, 2, True, 0, "all", ref.LogitDifference(2, 5)),
    (2, 2, False, 1, "all", ref.TokenLogProb(3)),
    (1, 3, True, 2, "every other", ref.LogitDifference(0, 6)),
    (2, 1, True, 3, "into the logits", ref.TokenLogProb(1)),
]


def _attribution_edges(graph, which):
    if which == "every other":
        return graph.edges[::2]
    if which == "into the logits":
        return [edge for edge in graph.edges if edge[1] == "logits"]
    return list(graph.edges)


@exercise("11.edge_attribution", points=2, reference=ref.edge_attribution,
          title="edge attribution patching, as Syed et al. 2023", mistakes=mistakes.EDGE_ATTRIBUTION)
def check_edge_attribution(edge_attribution):
    for n_layers, n_heads, mlps, seed, which, metric in ATTRIBUTION_CASES:
        graph = ref.random_graph_model(n_layers, n_heads, mlps, seed)
        edges = _attribution_edges(graph, which)
        case = {"model": f"{n_layers} layer(s), {n_heads} head(s), {'with' if mlps else 'no'} MLPs, random weights",
                "edges": f"{which} ({len(edges)})", "metric": repr(metric)}
        got = ref.attribution_as_array(edge_attribution(graph.run, list(edges), metric), edges, case)
        want = ref.edge_attribution(graph.run, edges, metric)
        expect_close(got, np.array([want[e] for e in edges]), rtol=1e-4, case=case, what="the edge scores",
                     mistakes=mistakes.EDGE_ATTRIBUTION.answers(graph.run, list(edges), metric).map(
                         lambda scores, edges=edges: np.array([scores[e] for e in edges])),
                     hint="score(s, r) = Σ (corrupted − clean output of s) · ∂metric/∂(input of r), the gradient "
                          "from ONE backward pass on the clean run")
