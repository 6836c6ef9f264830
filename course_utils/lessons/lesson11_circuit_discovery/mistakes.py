"""The mistakes learners make in lesson 11, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
from ...checking import Mistakes
from . import reference as ref


def kl_summed(clean_logits, circuit_logits):
    p, q = clean_logits.log_softmax(-1), circuit_logits.log_softmax(-1)
    return float((p.exp() * (p - q)).sum())


def kl_of_raw_logits(clean_logits, circuit_logits):
    return float((clean_logits.softmax(-1) * (clean_logits - circuit_logits)).sum(-1).mean())


KL_DIVERGENCE = Mistakes({
    "KL(p_clean ‖ p_circuit) weights by the CLEAN probabilities; you computed it the other way round":
        lambda clean_logits, circuit_logits: ref.kl_divergence(circuit_logits, clean_logits),
    "average over batch and positions, do not sum": kl_summed,
    "turn logits into log-probabilities with log_softmax first": kl_of_raw_logits,
})


def _edges(n_layers, n_heads, head_senders, parts="qkv"):
    """The graph's edges in the reference's order, with ``head_senders(layer)`` the senders into a head of ``layer``."""
    edges = [(sender, "logits") for sender in ref.senders_before(n_layers, n_heads)]
    for layer in reversed(range(n_layers)):
        edges += [(sender, f"L{layer}H{head}.{part}") for head in range(n_heads) for part in parts
                  for sender in head_senders(layer)]
    return edges


def edges_within_a_layer(n_layers, n_heads):
    """Heads of a layer also send to that layer's heads (layers ≤ l instead of < l)."""
    return _edges(n_layers, n_heads, lambda layer: ref.senders_before(layer + 1, n_heads))


def edges_into_queries_only(n_layers, n_heads):
    return _edges(n_layers, n_heads, lambda layer: ref.senders_before(layer, n_heads), parts="q")


def edges_between_adjacent_layers(n_layers, n_heads):
    """Each receiver hears only the layer just before it (embed only layer 0), as if there were no residual stream."""
    return [(sender, receiver) for sender, receiver in ref.graph_edges(n_layers, n_heads)
            if _layer(receiver, n_layers) - _layer(sender, n_layers) == 1]


def _layer(node, n_layers):
    """A node's layer: embed is −1, the logits n_layers."""
    if node == "embed":
        return -1
    return n_layers if node == "logits" else int(node[1:node.index("H")])


GRAPH_EDGES = Mistakes({
    "a head reads only from EARLIER layers; heads of the same layer run in parallel": edges_within_a_layer,
    "each head has three receivers: its query, key and value inputs": edges_into_queries_only,
    "every sender of an earlier layer reaches later receivers directly through the residual stream, including "
    "embed → logits": edges_between_adjacent_layers,
})


def acdc_against_the_full_model(edges, score, tau):
    kept = set(edges)
    full = score(frozenset(kept))
    return {edge for edge in edges if score(frozenset(kept - {edge})) - full >= tau}


def acdc_by_sender_node(edges, score, tau):
    kept = set(edges)
    current = score(frozenset(kept))
    for sender in dict.fromkeys(sender for sender, _ in edges):
        trial = {edge for edge in kept if edge[0] != sender}
        value = score(frozenset(trial))
        if value - current < tau:
            kept, current = trial, value
    return kept


def acdc_with(edges, score, tau, *, removes=lambda change, tau: change < tau, current_follows_every_trial=False):
    """acdc with one thing changed: an edge stays removed when ``removes(score(trial) − current score, tau)``, or
    the current score also moves to the trial's when the edge is put back."""
    kept = set(edges)
    current = score(frozenset(kept))
    for edge in edges:
        trial = kept - {edge}
        value = score(frozenset(trial))
        if removes(value - current, tau):
            kept, current = trial, value
        elif current_follows_every_trial:
            current = value
    return kept


def acdc_on_absolute_change(edges, score, tau):
    return acdc_with(edges, score, tau, removes=lambda change, tau: abs(change) < tau)


def acdc_returning_the_removed(edges, score, tau):
    return set(edges) - ref.acdc(edges, score, tau)


def acdc_never_restoring(edges, score, tau):
    kept = set(edges)
    for edge in edges:
        kept = kept - {edge}
        score(frozenset(kept))
    return kept


ACDC = Mistakes({
    "compare each removal with the CURRENT circuit's score (update it after every removal), not with the full "
    "model's": acdc_against_the_full_model,
    "ACDC removes one EDGE at a time; removing a whole sender node at once also drops edges that do not matter "
    "together with ones that do": acdc_by_sender_node,
    "the score can go DOWN when an edge is removed (the circuit gets closer to the model): remove the edge "
    "whenever score(trial) − score(kept) < tau, a negative difference included; do not take its absolute value":
        acdc_on_absolute_change,
    "an edge is removed when the score grows by LESS than tau; you kept those instead": acdc_returning_the_removed,
    "when a removal costs tau or more, put the edge back": acdc_never_restoring,
})


def precision_zero_when_nothing_found(found, truth):
    hits = len(found & truth)
    return (hits / len(found) if found else 0.0), hits / len(truth)


PRECISION_RECALL = Mistakes({
    "precision divides by the FOUND edges, recall by the TRUE ones; you swapped them":
        lambda found, truth: ref.precision_recall(found, truth)[::-1],
    "with no predicted edges, precision is defined as 1.0 by the docstring (nothing was found wrongly), not 0":
        precision_zero_when_nothing_found,
    "return fractions, not counts": lambda found, truth: (len(found & truth), len(found & truth)),
})


def roc_rates_over_all_edges(found_sets, truth, all_edges):
    return [(len(found - truth) / len(all_edges), len(found & truth) / len(truth)) for found in found_sets]


def roc_with_precision(found_sets, truth, all_edges):
    negatives = len(set(all_edges) - truth)
    return [(len(found - truth) / negatives, ref.precision_recall(found, truth)[0]) for found in found_sets]


ROC_POINTS = Mistakes({
    "each point is (false positive rate, true positive rate), in that order":
        lambda found_sets, truth, all_edges: [point[::-1] for point in ref.roc_points(found_sets, truth, all_edges)],
    "the false positive rate divides by the number of edges NOT in the true circuit": roc_rates_over_all_edges,
    "the true positive rate is recall, |found ∩ truth| / |truth|, not precision": roc_with_precision,
})


def lookback_by_k_composition(prev_heads, lookup_heads):
    """Induction's circuit: the previous-token heads feed the look-up heads' keys instead of their values."""
    return {(sender, receiver[:-2] + ".k") if sender in prev_heads else (sender, receiver)
            for sender, receiver in ref.lookback_circuit(prev_heads, lookup_heads)}


def lookback_with_positional_edges(prev_heads, lookup_heads):
    positional = {("embed", f"{head}.{part}") for head in prev_heads for part in "qk"}
    return ref.lookback_circuit(prev_heads, lookup_heads) | positional


def lookback_values_from_embed(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) | {("embed", f"{head}.v") for head in lookup_heads}


def lookback_previous_token_heads_read_nothing(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) - {("embed", f"{head}.v") for head in prev_heads}


def lookback_keys_read_nothing(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) - {("embed", f"{head}.k") for head in lookup_heads}


def lookback_without_logits(prev_heads, lookup_heads):
    return ref.lookback_circuit(prev_heads, lookup_heads) - {(head, "logits") for head in lookup_heads}


LOOKBACK_CIRCUIT = Mistakes({
    "this is induction's circuit (K-composition): here the previous-token head's output is what the look-up head "
    "MOVES, so it enters the look-up head's value, and the key is the token itself": lookback_by_k_composition,
    "a previous-token head attends by POSITION, which this corruption does not change: its query and key edges "
    "carry nothing": lookback_with_positional_edges,
    "the look-up head's value must carry the PREVIOUS token, which only the previous-token heads provide; embed at "
    "the matched position is the current token itself": lookback_values_from_embed,
    "the previous-token heads must read the token they copy: include embed → each one's value":
        lookback_previous_token_heads_read_nothing,
    "the look-up head matches token against token: both its query and its key read embed": lookback_keys_read_nothing,
    "the look-up heads write the answer: include each one's edge to the logits": lookback_without_logits,
})


def _attribution(run, edges, metric, *, gradient_run="clean", sign=1.0, absolute=False, per_prompt=False,
                 sender_gradient=False):
    """edge_attribution with one thing changed (the run the gradient comes from, the difference's sign, ...)."""
    import torch

    outputs, inputs, logits = run("clean")
    corrupted_outputs = run("corrupted")[0]
    if gradient_run == "corrupted":
        gradient_outputs, inputs, logits = run("corrupted")
    else:
        gradient_outputs = outputs
    points = gradient_outputs if sender_gradient else inputs
    names = list(dict.fromkeys(s if sender_gradient else r for s, r in edges))
    grads = torch.autograd.grad(metric(logits), [points[n] for n in names], allow_unused=True)
    grads = {n: torch.zeros_like(points[n]) if g is None else g for n, g in zip(names, grads)}
    scores = {}
    for s, r in edges:
        term = sign * (corrupted_outputs[s] - outputs[s]).detach() * grads[s if sender_gradient else r]
        value = term.sum() / (term.shape[0] if per_prompt else 1)
        scores[(s, r)] = abs(float(value)) if absolute else float(value)
    return scores


EDGE_ATTRIBUTION = Mistakes({
    "Syed et al. take the gradient on the CLEAN run: the linear estimate starts from the clean run and asks what "
    "switching one edge to its corrupted value does, ACDC's question. The corrupted run's gradient estimates the "
    "opposite patch (restoring one clean edge in a corrupted run)":
        lambda run, edges, metric: _attribution(run, edges, metric, gradient_run="corrupted"),
    "the difference is corrupted − clean (the edge is switched FROM its clean value TO its corrupted one), so a "
    "positive score means the metric goes up": lambda run, edges, metric: _attribution(run, edges, metric, sign=-1.0),
    "return the signed estimate; take its absolute value only when you rank the edges":
        lambda run, edges, metric: _attribution(run, edges, metric, absolute=True),
    "an edge's gradient is its RECEIVER's: ∂metric/∂(input of r). The gradient with respect to the sender's output "
    "adds up every path out of s (that is node attribution, the same number for all of s's edges)":
        lambda run, edges, metric: _attribution(run, edges, metric, sender_gradient=True),
    "sum over the batch as well: the metric already averages over the prompts, so its gradient carries the 1/batch":
        lambda run, edges, metric: _attribution(run, edges, metric, per_prompt=True),
})
