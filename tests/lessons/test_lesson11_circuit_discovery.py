"""Checker contract for lesson 11: the reference passes, the stub is not attempted, mistakes fail."""
import numpy as np
import torch

from checker_contract import contract_tests
from course_utils.lessons.lesson11_circuit_discovery import reference as ref
from course_utils.lessons.lesson11_circuit_discovery.mistakes import acdc_with


def edges_forward_order(n_layers, n_heads):
    return list(reversed(ref.graph_edges(n_layers, n_heads)))


def acdc_inverted(edges, score, tau):
    return acdc_with(edges, score, tau, removes=lambda change, tau: change >= tau)


def acdc_recomputes(edges, score, tau):
    kept = set(edges)
    for edge in edges:
        trial = kept - {edge}
        if score(frozenset(trial)) - score(frozenset(kept)) < tau:
            kept = trial
    return kept


def lookback_with_positional_queries(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) | {("embed", f"{h}.q") for h in prev_heads}


def lookback_first_prev_head_only(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads[:1], lookup_heads)


def acdc_reversed_order(edges, score, tau):             # processes the edges from the input forwards
    return ref.acdc(list(reversed(edges)), score, tau)


def acdc_always_updates_current(edges, score, tau):     # the current score also moves when the edge is put back
    return acdc_with(edges, score, tau, current_follows_every_trial=True)


def acdc_as_list(edges, score, tau):                    # a list of kept edges, a plain set given to score
    kept = list(edges)
    current = score(set(kept))
    for edge in edges:
        trial = [e for e in kept if e != edge]
        value = score(set(trial))
        if value - current < tau:
            kept, current = trial, value
    return kept


def acdc_remove_then_restore(edges, score, tau):        # removes in place and puts the edge back when it matters
    kept = set(edges)
    current = score(frozenset(kept))
    for edge in edges:
        kept.discard(edge)
        value = score(frozenset(kept))
        if value - current >= tau:
            kept.add(edge)
        else:
            current = value
    return frozenset(kept)


def precision_recall_array(found, truth):               # a 2-element array is a fine pair
    return np.array(ref.precision_recall(found, truth))


def precision_recall_tensor(found, truth):
    hits = len(set(found) & set(truth))
    precision = 1.0 if not found else hits / len(found)
    return torch.tensor([precision, hits / len(truth)], dtype=torch.float32)


def precision_recall_by_misses(found, truth):           # 1 − false discoveries, recall via the missed edges
    found, truth = set(found), set(truth)
    precision = 1 - len(found - truth) / len(found) if found else 1.0
    return [np.float32(precision), np.float32(1 - len(truth - found) / len(truth))]


def precision_recall_recall_over_union(found, truth):
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), hits / len(found | truth)


def roc_points_array32(found_sets, truth, all_edges):
    return np.array(ref.roc_points(found_sets, truth, all_edges), dtype=np.float32)


def roc_points_tensor(found_sets, truth, all_edges):
    negatives = len(set(all_edges) - set(truth))
    return torch.tensor([[len(f - truth) / negatives, len(f & truth) / len(truth)] for f in found_sets],
                        dtype=torch.float64).reshape(-1, 2)


def roc_points_false_discovery_rate(found_sets, truth, all_edges):   # FPR over the found edges instead
    return [(len(f - truth) / len(f) if f else 0.0, len(f & truth) / len(truth)) for f in found_sets]


def roc_points_sorted(found_sets, truth, all_edges):    # sorted points: no longer in the given order
    return sorted(ref.roc_points(found_sets, truth, all_edges))


def kl_with_kl_div(clean_logits, circuit_logits):
    per_position = torch.nn.functional.kl_div(circuit_logits.log_softmax(-1), clean_logits.log_softmax(-1),
                                              log_target=True, reduction="none").sum(-1)
    return per_position.mean()                          # a 0-d tensor is a fine number


def kl_numpy64(clean_logits, circuit_logits):
    p = np.asarray(clean_logits, dtype=np.float64)
    q = np.asarray(circuit_logits, dtype=np.float64)
    log_p = p - p.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    log_q = q - q.max(-1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(-1, keepdims=True))
    return float((np.exp(log_p) * (log_p - log_q)).sum(-1).mean())


def kl_log2(clean_logits, circuit_logits):              # in bits, not nats
    return ref.kl_divergence(clean_logits, circuit_logits) / float(np.log(2))


def kl_batchmean(clean_logits, circuit_logits):         # F.kl_div's "batchmean" divides by the batch only
    return float(torch.nn.functional.kl_div(circuit_logits.log_softmax(-1), clean_logits.log_softmax(-1),
                                            log_target=True, reduction="batchmean"))


def edges_as_lists(n_layers, n_heads):
    return [list(edge) for edge in ref.graph_edges(n_layers, n_heads)]


def lookback_sorted_list(prev_heads, lookup_heads):
    return sorted(ref.lookback_circuit(prev_heads, lookup_heads))


def attribution_clean_output_only(run, edges, metric):     # the clean output itself, no difference
    outputs, inputs, logits = run("clean")
    receivers = list(dict.fromkeys(r for _, r in edges))
    grads = dict(zip(receivers, torch.autograd.grad(metric(logits), [inputs[r] for r in receivers],
                                                    allow_unused=True)))
    return {(s, r): float((outputs[s].detach() * grads[r]).sum()) if grads[r] is not None else 0.0
            for s, r in edges}


def attribution_queries_only(run, edges, metric):          # every edge scored with its head's query gradient
    scores = ref.edge_attribution(run, edges, metric)
    return {(s, r): scores.get((s, r[:-2] + ".q"), value) if r.endswith((".k", ".v")) else value
            for (s, r), value in scores.items()}


def attribution_with_backward(run, edges, metric):         # .retain_grad() and .backward(): the same gradients
    outputs, inputs, logits = run("clean")
    corrupted = run("corrupted")[0]
    for tensor in inputs.values():
        tensor.retain_grad()
    metric(logits).backward()
    return {(s, r): ((corrupted[s] - outputs[s]).detach() * inputs[r].grad).sum()
            if inputs[r].grad is not None else torch.tensor(0.0) for s, r in edges}


def attribution_float64_einsum(run, edges, metric):        # numpy, float64, one receiver at a time
    outputs, inputs, logits = run("clean")
    corrupted = run("corrupted")[0]
    value = metric(logits)
    scores = {}
    for s, r in edges:
        (grad,) = torch.autograd.grad(value, [inputs[r]], retain_graph=True, allow_unused=True)
        grad = np.zeros(inputs[r].shape) if grad is None else grad.double().numpy()
        scores[[s, r][0], r] = float(np.einsum("bpd,bpd->", (corrupted[s] - outputs[s]).detach().double().numpy(),
                                               grad))
    return scores


MUTANTS = {
    "11.kl_divergence": [
        kl_log2,
        kl_batchmean,
    ],
    "11.graph_edges": [
        (edges_forward_order, "output backwards"),
    ],
    "11.acdc": [
        acdc_inverted,
        (acdc_recomputes, "remember the current score"),   # the docstring asks for one score call per edge
        acdc_reversed_order,
        acdc_always_updates_current,
    ],
    "11.precision_recall": [
        lambda found, truth: (len(found & truth) / max(len(found), 1), len(found & truth) / max(len(found), 1)),
        precision_recall_recall_over_union,
    ],
    "11.lookback_circuit": [
        (lookback_first_prev_head_only, "token identities"),
        lookback_with_positional_queries,
        (lambda prev_heads, lookup_heads: sorted(ref.lookback_circuit(prev_heads, lookup_heads))[1:],
         "token identities"),
    ],
    "11.edge_attribution": [
        attribution_clean_output_only,
        attribution_queries_only,
        (lambda run, edges, metric: list(ref.edge_attribution(run, edges, metric).values()), "dict"),
    ],
    "11.roc_points": [
        roc_points_false_discovery_rate,
        roc_points_sorted,
    ],
}

ALTERNATIVES = {
    "11.kl_divergence": [kl_with_kl_div, kl_numpy64],
    "11.graph_edges": [edges_as_lists],
    "11.acdc": [acdc_as_list, acdc_remove_then_restore],
    "11.precision_recall": [precision_recall_array, precision_recall_tensor, precision_recall_by_misses],
    "11.roc_points": [roc_points_array32, roc_points_tensor],
    "11.lookback_circuit": [lookback_sorted_list],
    "11.edge_attribution": [attribution_with_backward, attribution_float64_einsum],
}
UNVARIED = {}

globals().update(contract_tests("11", MUTANTS, ALTERNATIVES, UNVARIED))
