"""Reference solutions for lesson 11 (circuit discovery with ACDC); checkers and fallbacks use them.

The computational graph of an attention-only model without layer norm:
senders are ``"embed"`` (token + position embeddings) and every head
``"L{l}H{h}"``; receivers are every head's query, key and value inputs
(``"L{l}H{h}.q"`` ...) and ``"logits"``. An edge ``(sender, receiver)``
exists when the sender comes from an earlier layer. Each receiver's input is
the sum of its senders' outputs (plus constant biases), so an edge can be
switched to its corrupted value independently of every other edge.
"""
import torch

# --- the graph -------------------------------------------------------------------------------------

def senders_before(layer, n_heads):
    """Senders that reach a receiver in ``layer`` (``n_layers`` for the logits), latest first, ``"embed"`` last."""
    return [f"L{l}H{h}" for l in reversed(range(layer)) for h in range(n_heads)] + ["embed"]


def graph_edges(n_layers, n_heads):
    """Every edge, in ACDC's processing order: receivers from the output backwards.

    Receivers in order: "logits", then layer n_layers − 1's heads (h = 0 … n_heads − 1, inputs q, k, v),
    down to layer 0. For each receiver its senders come latest first: heads of the latest earlier
    layer (h = 0 …), …, then "embed".
    """
    edges = []
    receivers = ["logits"] + [f"L{layer}H{head}.{part}" for layer in reversed(range(n_layers))
                              for head in range(n_heads) for part in "qkv"]
    for receiver in receivers:
        top = n_layers if receiver == "logits" else int(receiver[1:receiver.index("H")])
        edges.extend((sender, receiver) for sender in senders_before(top, n_heads))
    return edges


class GraphModel:
    """Runs the model with any subset of edges kept (the rest carry corrupted values).

    ``GraphModel(model, clean_tokens, corrupted_tokens)`` extracts the weights of
    a bridge once; ``logits(kept)`` then runs a pure-PyTorch forward pass in
    which edge ``(s, r)`` gives receiver ``r`` the sender's output from this
    (partly corrupted) run if it is in ``kept``, else the sender's output on the
    corrupted input in the full model.
    """

    def __init__(self, model, clean_tokens, corrupted_tokens):
        cfg = model.cfg
        self.n_layers, self.n_heads, self.d_head = cfg.n_layers, cfg.n_heads, cfg.d_head
        grab = lambda t: t.detach().clone().float()  # noqa: E731
        self.W_E, self.W_pos = grab(model.W_E), grab(model.W_pos)
        self.W_Q, self.W_K, self.W_V, self.W_O = grab(model.W_Q), grab(model.W_K), grab(model.W_V), grab(model.W_O)
        self.b_Q, self.b_K, self.b_V, self.b_O = grab(model.b_Q), grab(model.b_K), grab(model.b_V), grab(model.b_O)
        self.W_U, self.b_U = grab(model.W_U), grab(model.b_U)
        self.edges = graph_edges(self.n_layers, self.n_heads)
        self.clean_tokens, self.corrupted_tokens = clean_tokens, corrupted_tokens
        with torch.no_grad():
            self.corrupted_outputs = self._run(corrupted_tokens, None, None)[1]
            self.clean_logits = self._run(clean_tokens, None, None)[0]

    def _embed(self, tokens):
        return self.W_E[tokens] + self.W_pos[: tokens.shape[1]]

    def _head(self, layer, head, q_in, k_in, v_in):
        q = q_in @ self.W_Q[layer, head] + self.b_Q[layer, head]
        k = k_in @ self.W_K[layer, head] + self.b_K[layer, head]
        v = v_in @ self.W_V[layer, head] + self.b_V[layer, head]
        seq = q.shape[1]
        scores = q @ k.transpose(-1, -2) / self.d_head ** 0.5
        mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
        pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
        return (pattern @ v) @ self.W_O[layer, head]

    def _run(self, tokens, kept, corrupted):
        outputs = {"embed": self._embed(tokens)}

        def receive(receiver, senders, bias):
            total = bias
            for sender in senders:
                keep = kept is None or (sender, receiver) in kept
                total = total + (outputs[sender] if keep else corrupted[sender])
            return total

        for layer in range(self.n_layers):
            senders = senders_before(layer, self.n_heads)
            bias = sum((self.b_O[l] for l in range(layer)), torch.zeros(()))
            new = {}
            for head in range(self.n_heads):
                name = f"L{layer}H{head}"
                new[name] = self._head(layer, head, *(receive(f"{name}.{part}", senders, bias) for part in "qkv"))
            outputs.update(new)
        senders = senders_before(self.n_layers, self.n_heads)
        resid = receive("logits", senders, self.b_O.sum(0))
        return resid @ self.W_U + self.b_U, outputs

    def logits(self, kept):
        """Logits on the clean tokens with only the edges in ``kept`` carrying clean-run values."""
        with torch.no_grad():
            return self._run(self.clean_tokens, set(kept), self.corrupted_outputs)[0]


# --- exercises -------------------------------------------------------------------------------------

def kl_divergence(clean_logits, circuit_logits):
    """Mean over batch and positions of KL(p_clean ‖ p_circuit), the softmaxes of the two logit tensors."""
    clean_log_probs = torch.as_tensor(clean_logits, dtype=torch.float32).log_softmax(-1)
    circuit_log_probs = torch.as_tensor(circuit_logits, dtype=torch.float32).log_softmax(-1)
    return float((clean_log_probs.exp() * (clean_log_probs - circuit_log_probs)).sum(-1).mean())


def acdc(edges, score, tau):
    """ACDC: return the set of edges kept.

    ``edges`` are in processing order; ``score(kept)`` is the KL divergence of the
    circuit that keeps exactly the edges in the set ``kept``. Start with every
    edge kept. For each edge in turn, try removing it: if the score grows by less
    than ``tau`` over the current circuit's score, leave it removed (and the
    current score becomes the new one); otherwise put it back.
    """
    kept = set(edges)
    current = score(frozenset(kept))
    for edge in edges:
        trial = kept - {edge}
        value = score(frozenset(trial))
        if value - current < tau:
            kept, current = trial, value
    return kept


def precision_recall(found, truth):
    """``(precision, recall)`` of the edge set ``found`` against the true circuit ``truth``.

    Precision = |found ∩ truth| / |found| (1.0 when nothing is found); recall = |found ∩ truth| / |truth|.
    """
    found, truth = set(found), set(truth)
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), hits / len(truth)


def lookback_circuit(prev_heads, lookup_heads):
    """The look-back task's known circuit, for a corruption that keeps positions and changes tokens.

    Each previous-token head copies the token identity (its value reads
    ``embed``) and feeds the *value* of each look-up head (V-composition); a
    look-up head finds the earlier copy by matching its query token to key
    tokens (both read ``embed``) and writes to the logits. Previous-token heads
    attend by position, which the corruption leaves unchanged, so their query
    and key edges are not in the circuit. Returns a set of edges.
    """
    edges = {("embed", f"{head}.v") for head in prev_heads}
    for head in lookup_heads:
        edges |= {(prev, f"{head}.v") for prev in prev_heads}
        edges |= {("embed", f"{head}.q"), ("embed", f"{head}.k"), (head, "logits")}
    return edges


def roc_points(found_sets, truth, all_edges):
    """One ``(false positive rate, true positive rate)`` pair per edge set, in the given order.

    FPR = |found − truth| / |all_edges − truth|; TPR = |found ∩ truth| / |truth|.
    """
    truth, negatives = set(truth), set(all_edges) - set(truth)
    return [(len(set(found) - truth) / len(negatives), len(set(found) & truth) / len(truth)) for found in found_sets]


def edge_attribution_scores(graph, positions=slice(None)):
    """Attribution patching for every edge: |(clean − corrupted sender output) · ∂KL/∂(receiver input)|.

    One forward and one backward pass on the corrupted input (every edge
    corrupted) give the gradient of the KL divergence to the clean logits
    (at ``positions``) with respect to every receiver's input; an edge's score
    is the size of the first-order change that switching it to clean would make.
    Returns a dict edge → score.
    """
    _, clean_outputs = graph._run(graph.clean_tokens, None, None)
    inputs = {}
    with torch.enable_grad():
        outputs = {"embed": graph._embed(graph.corrupted_tokens).requires_grad_(True)}
        for layer in range(graph.n_layers):
            senders = senders_before(layer, graph.n_heads)
            bias = sum((graph.b_O[l] for l in range(layer)), torch.zeros(()))
            new = {}
            for head in range(graph.n_heads):
                name = f"L{layer}H{head}"
                parts = []
                for part in "qkv":
                    inputs[f"{name}.{part}"] = sum(outputs[s] for s in senders) + bias
                    parts.append(inputs[f"{name}.{part}"])
                new[name] = graph._head(layer, head, *parts)
            outputs.update(new)
        senders = senders_before(graph.n_layers, graph.n_heads)
        inputs["logits"] = sum(outputs[s] for s in senders) + graph.b_O.sum(0)
        logits = inputs["logits"] @ graph.W_U + graph.b_U
        total = kl_divergence_tensor(graph.clean_logits[:, positions], logits[:, positions])
        receivers = list(inputs)
        grads = dict(zip(receivers, torch.autograd.grad(total, [inputs[r] for r in receivers])))
    return {(sender, receiver): float(((clean_outputs[sender] - graph.corrupted_outputs[sender])
                                       * grads[receiver]).sum().abs())
            for sender, receiver in graph.edges}


def kl_divergence_tensor(clean_logits, circuit_logits):
    """:func:`kl_divergence` as a differentiable tensor."""
    clean_log_probs = clean_logits.log_softmax(-1)
    return (clean_log_probs.exp() * (clean_log_probs - circuit_logits.log_softmax(-1))).sum(-1).mean()
