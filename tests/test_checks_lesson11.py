"""Checker contract for lesson 11: the reference passes, the stub is not attempted, mistakes fail."""
import torch

from checker_contract import contract_tests
from course_utils.reference import lesson11_circuit_discovery as ref


def kl_reversed(clean_logits, circuit_logits):
    return ref.kl_divergence(circuit_logits, clean_logits)


def kl_summed(clean_logits, circuit_logits):
    p, q = clean_logits.log_softmax(-1), circuit_logits.log_softmax(-1)
    return float((p.exp() * (p - q)).sum())


def kl_on_raw_logits(clean_logits, circuit_logits):
    return float((clean_logits.softmax(-1) * (clean_logits - circuit_logits)).sum(-1).mean())


def edges_same_layer(n_layers, n_heads):
    edges = ref.graph_edges(n_layers, n_heads)
    return edges + [(f"L{l}H0", f"L{l}H1.q") for l in range(n_layers)]


def edges_no_skip(n_layers, n_heads):           # only adjacent layers talk to each other
    keep = []
    for sender, receiver in ref.graph_edges(n_layers, n_heads):
        s = -1 if sender == "embed" else int(sender[1:sender.index("H")])
        r = n_layers if receiver == "logits" else int(receiver[1:receiver.index("H")])
        if r - s == 1:
            keep.append((sender, receiver))
    return keep


def edges_forward_order(n_layers, n_heads):
    return list(reversed(ref.graph_edges(n_layers, n_heads)))


def edges_one_input_per_head(n_layers, n_heads):
    return [(s, r) for s, r in ref.graph_edges(n_layers, n_heads) if r == "logits" or r.endswith(".q")]


def acdc_against_full(edges, score, tau):
    full = score(frozenset(edges))
    return {e for e in edges if score(frozenset(set(edges) - {e})) - full >= tau}


def acdc_by_node(edges, score, tau):
    kept = set(edges)
    current = score(frozenset(kept))
    for sender in dict.fromkeys(s for s, _ in edges):
        trial = {e for e in kept if e[0] != sender}
        value = score(frozenset(trial))
        if value - current < tau:
            kept, current = trial, value
    return kept


def acdc_never_restores(edges, score, tau):
    kept = set(edges)
    for edge in edges:
        kept = kept - {edge}
        score(frozenset(kept))
    return kept


def acdc_inverted(edges, score, tau):
    kept = set(edges)
    current = score(frozenset(kept))
    for edge in edges:
        trial = kept - {edge}
        value = score(frozenset(trial))
        if value - current >= tau:
            kept, current = trial, value
    return kept


def acdc_recomputes(edges, score, tau):
    kept = set(edges)
    for edge in edges:
        trial = kept - {edge}
        if score(frozenset(trial)) - score(frozenset(kept)) < tau:
            kept = trial
    return kept


def lookback_k_composition(prev_heads, lookup_heads):
    edges = ref.lookback_circuit(prev_heads, lookup_heads)
    return {(s, r[:-2] + ".k") if s in prev_heads and r.endswith(".v") else (s, r) for s, r in edges}


def lookback_with_positional_edges(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) | {("embed", f"{h}.q") for h in prev_heads}


def lookback_values_from_embed(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) | {("embed", f"{h}.v") for h in lookup_heads}


def lookback_first_prev_head_only(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads[:1], lookup_heads)


MUTANTS = {
    "11.kl_divergence": [
        (kl_reversed, "other way round"),
        (kl_summed, "average"),
        (kl_on_raw_logits, "log_softmax"),
    ],
    "11.graph_edges": [
        (edges_same_layer, "EARLIER layers"),
        (edges_no_skip, "directly"),
        (edges_forward_order, "output backwards"),
        (edges_one_input_per_head, "query, key and value"),
    ],
    "11.acdc": [
        (acdc_against_full, "CURRENT circuit"),
        (acdc_by_node, "one EDGE at a time"),
        (acdc_never_restores, "put the edge back"),
        acdc_inverted,
        (acdc_recomputes, "remember the current score"),
    ],
    "11.precision_recall": [
        (lambda found, truth: ref.precision_recall(found, truth)[::-1], "swapped"),
        (lambda found, truth: (len(found & truth), len(found & truth)), "fractions"),
        lambda found, truth: (len(found & truth) / max(len(found), 1), len(found & truth) / max(len(found), 1)),
    ],
    "11.lookback_circuit": [
        (lookback_k_composition, "MOVES"),
        (lookback_values_from_embed, "PREVIOUS token"),
        (lookback_first_prev_head_only, "token identities"),
        lookback_with_positional_edges,
        (lambda prev_heads, lookup_heads: sorted(ref.lookback_circuit(prev_heads, lookup_heads))[1:], "token identities"),
    ],
    "11.roc_points": [
        (lambda found_sets, truth, all_edges: [p[::-1] for p in ref.roc_points(found_sets, truth, all_edges)],
         "in that order"),
        (lambda found_sets, truth, all_edges: [(len(f - truth) / len(all_edges), len(f & truth) / len(truth))
                                               for f in found_sets], "NOT in the true circuit"),
        (lambda found_sets, truth, all_edges: [(len(f - truth) / (len(all_edges) - len(truth)),
                                                ref.precision_recall(f, truth)[0]) for f in found_sets], "recall"),
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))
