"""Reference solutions for lesson 11 (circuit discovery with ACDC); checkers and fallbacks use them.

The computational graph of an attention-only model without layer norm:
senders are ``"embed"`` (token + position embeddings) and every head
``"L{l}H{h}"``; receivers are every head's query, key and value inputs
(``"L{l}H{h}.q"`` ...) and ``"logits"``. An edge ``(sender, receiver)``
exists when the sender comes from an earlier layer. Each receiver's input is
the sum of its senders' outputs (plus constant biases), so an edge can be
switched to its corrupted value independently of every other edge.
"""
import numpy
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


def mlp_graph_edges(n_layers, n_heads):
    """The edges of a transformer WITH MLPs, in ACDC's processing order (receivers from the output backwards).

    Nodes in computation order: ``embed``, layer 0's heads, ``MLP0``, layer 1's heads, ``MLP1``, ... Receivers:
    ``logits``, then ``MLP{l}`` and layer l's heads' q, k, v inputs, from the last layer down. A receiver hears
    every node computed before it, latest block first (an MLP, then its layer's heads h = 0 …), ``embed`` last.
    """
    edges = [(sender, "logits") for sender in _mlp_senders(n_layers, n_heads)]
    for layer in reversed(range(n_layers)):
        edges += [(sender, f"MLP{layer}") for sender in _mlp_senders(layer, n_heads, with_heads=True)]
        edges += [(sender, f"L{layer}H{head}.{part}") for head in range(n_heads) for part in "qkv"
                  for sender in _mlp_senders(layer, n_heads)]
    return edges


def _mlp_senders(layer, n_heads, with_heads=False):
    """Senders into a receiver of ``layer`` (``n_layers`` for the logits); ``with_heads``: that layer's MLP, which
    also hears its own layer's heads."""
    blocks = [[f"L{layer}H{h}" for h in range(n_heads)]] if with_heads else []
    for earlier in reversed(range(layer)):
        blocks += [[f"MLP{earlier}"], [f"L{earlier}H{h}" for h in range(n_heads)]]
    return [sender for block in blocks for sender in block] + ["embed"]


class GraphModel:
    """Runs the model with any subset of edges kept (the rest carry corrupted values).

    ``GraphModel(model, clean_tokens, corrupted_tokens)`` extracts the weights of
    the model once (an attention-only bridge, or the greater-than model with
    MLPs); ``logits(kept)`` then runs a pure-PyTorch forward pass in which edge
    ``(s, r)`` gives receiver ``r`` the sender's output from this (partly
    corrupted) run if it is in ``kept``, else the sender's output on the
    corrupted input in the full model. ``mlps=False`` ignores a model's MLPs.
    ``corrupted_outputs=`` replaces the corrupted run's sender outputs (zeros, for
    zero ablation).
    """

    def __init__(self, model, clean_tokens, corrupted_tokens, mlps=None, corrupted_outputs=None):
        cfg = model.cfg
        self.n_layers, self.n_heads, self.d_head = cfg.n_layers, cfg.n_heads, cfg.d_head
        if mlps is None:
            mlps = bool(getattr(cfg, "d_mlp", None)) and not getattr(cfg, "attn_only", False)
        self.mlps = mlps
        grab = lambda t: t.detach().clone().float()  # noqa: E731
        self.W_E, self.W_pos = grab(model.W_E), grab(model.W_pos)
        self.W_Q, self.W_K, self.W_V, self.W_O = grab(model.W_Q), grab(model.W_K), grab(model.W_V), grab(model.W_O)
        self.b_Q, self.b_K, self.b_V, self.b_O = grab(model.b_Q), grab(model.b_K), grab(model.b_V), grab(model.b_O)
        self.W_U, self.b_U = grab(model.W_U), grab(model.b_U)
        if self.mlps:
            self.W_in, self.b_in = grab(model.W_in), grab(model.b_in)
            self.W_out, self.b_out = grab(model.W_out), grab(model.b_out)
            self.edges = mlp_graph_edges(self.n_layers, self.n_heads)
        else:
            self.edges = graph_edges(self.n_layers, self.n_heads)
        self.senders = {}
        for sender, receiver in self.edges:
            self.senders.setdefault(receiver, []).append(sender)
        self.clean_tokens, self.corrupted_tokens = clean_tokens, corrupted_tokens
        with torch.no_grad():
            self.corrupted_outputs = self._run(corrupted_tokens, None, None)[1]
            if corrupted_outputs is not None:
                self.corrupted_outputs = corrupted_outputs
            self.clean_logits, self.clean_outputs = self._run(clean_tokens, None, None)

    def nodes(self):
        """Every sender, in computation order."""
        names = ["embed"]
        for layer in range(self.n_layers):
            names += [f"L{layer}H{head}" for head in range(self.n_heads)] + ([f"MLP{layer}"] if self.mlps else [])
        return names

    def _embed(self, tokens):
        return self.W_E[tokens] + self.W_pos[: tokens.shape[1]]

    def _head(self, layer, head, q_in, k_in, v_in, return_pattern=False):
        q = q_in @ self.W_Q[layer, head] + self.b_Q[layer, head]
        k = k_in @ self.W_K[layer, head] + self.b_K[layer, head]
        v = v_in @ self.W_V[layer, head] + self.b_V[layer, head]
        seq = q.shape[1]
        scores = q @ k.transpose(-1, -2) / self.d_head ** 0.5
        mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
        pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
        out = (pattern @ v) @ self.W_O[layer, head]
        return (out, pattern) if return_pattern else out

    def _mlp(self, layer, x):
        return torch.nn.functional.gelu(x @ self.W_in[layer] + self.b_in[layer]) @ self.W_out[layer] + self.b_out[layer]

    def _bias(self, layer, mlp=False):
        """The constant part of a receiver's input: the attention output biases of the layers before it."""
        return self.b_O[: layer + (1 if mlp else 0)].sum(0)

    def _run(self, tokens, kept, corrupted, inputs=None, grad=False):
        """Logits and every sender's output; ``inputs`` (a dict), when given, receives every receiver's input;
        ``grad``: the embeddings require gradients, so every later value can be differentiated."""
        outputs = {"embed": self._embed(tokens).requires_grad_(grad)}

        def receive(receiver, bias):
            total = bias
            for sender in self.senders[receiver]:
                keep = kept is None or (sender, receiver) in kept
                total = total + (outputs[sender] if keep else corrupted[sender])
            if inputs is not None:
                inputs[receiver] = total
            return total

        for layer in range(self.n_layers):
            new = {}
            for head in range(self.n_heads):
                name = f"L{layer}H{head}"
                new[name] = self._head(layer, head, *(receive(f"{name}.{part}", self._bias(layer)) for part in "qkv"))
            outputs.update(new)
            if self.mlps:
                outputs[f"MLP{layer}"] = self._mlp(layer, receive(f"MLP{layer}", self._bias(layer, mlp=True)))
        resid = receive("logits", self._bias(self.n_layers))
        return resid @ self.W_U + self.b_U, outputs

    def logits(self, kept):
        """Logits on the clean tokens with only the edges in ``kept`` carrying clean-run values."""
        with torch.no_grad():
            return self._run(self.clean_tokens, set(kept), self.corrupted_outputs)[0]

    def patterns(self, tokens=None):
        """Every head's attention pattern on ``tokens`` (default: the clean ones), as a dict head → [batch, q, k]."""
        tokens = self.clean_tokens if tokens is None else tokens
        inputs, found = {}, {}
        with torch.no_grad():
            self._run(tokens, None, None, inputs)
            for layer in range(self.n_layers):
                for head in range(self.n_heads):
                    name = f"L{layer}H{head}"
                    found[name] = self._head(layer, head, *(inputs[f"{name}.{p}"] for p in "qkv"),
                                             return_pattern=True)[1]
        return found

    def run(self, which):
        """A forward pass for attribution patching: ``(outputs, inputs, logits)`` on the "clean" or "corrupted"
        tokens, with gradients on. ``outputs[s]`` is sender s's output, ``inputs[r]`` receiver r's input: every
        later value is computed from these tensors, so autograd can differentiate with respect to them."""
        if which not in ("clean", "corrupted"):
            raise ValueError(f'run takes "clean" or "corrupted", not {which!r}')
        inputs = {}
        with torch.enable_grad():
            logits, outputs = self._run(self.clean_tokens if which == "clean" else self.corrupted_tokens, None, None,
                                        inputs, grad=True)
        return outputs, inputs, logits


def random_graph_model(n_layers, n_heads, mlps, seed, batch=3, seq=5, d_vocab=7, d_model=8):
    """A GraphModel on random weights and random clean and corrupted tokens (for checks and hidden cases)."""
    from ...models.greater_than import build_greater_than

    config = dict(n_layers=n_layers, n_heads=n_heads, d_model=d_model, d_head=4, d_mlp=16, n_ctx=seq,
                  d_vocab=d_vocab)
    model = build_greater_than(config, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * (0.1 if name.startswith("b_") else 0.5))
    clean = torch.randint(0, d_vocab, (batch, seq), generator=generator)
    corrupted = torch.randint(0, d_vocab, (batch, seq), generator=generator)
    return GraphModel(model, clean, corrupted, mlps=mlps)


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


def edge_attribution(run, edges, metric):
    """Edge attribution patching (Syed et al., 2023): for every edge, the first-order estimate of how much
    ``metric`` changes when that one edge is switched to its corrupted value in the clean run.

    ``run(which)`` (``which`` is "clean" or "corrupted") → ``(outputs, inputs, logits)``: ``outputs[s]`` is sender
    s's output, ``inputs[r]`` receiver r's input, both ``[batch, pos, d_model]``; ``metric(logits)`` → a 0-d tensor.
    Returns ``{(s, r): Σ over batch, positions and d_model of (corrupted − clean output of s) · ∂metric/∂(input
    of r)}``, with the gradient taken on the CLEAN run.
    """
    return _edge_attribution(run, edges, metric, gradient_run="clean")


def _edge_attribution(run, edges, metric, gradient_run):
    """:func:`edge_attribution` with the gradient taken on the ``gradient_run`` ("clean" or "corrupted") run."""
    clean, corrupted = run("clean"), run("corrupted")
    _, inputs, logits = clean if gradient_run == "clean" else corrupted
    receivers = list(dict.fromkeys(receiver for _, receiver in edges))
    grads = torch.autograd.grad(metric(logits), [inputs[r] for r in receivers], allow_unused=True)
    grads = {r: torch.zeros_like(inputs[r]) if g is None else g for r, g in zip(receivers, grads)}
    return {(s, r): float(((corrupted[0][s] - clean[0][s]).detach() * grads[r]).sum()) for s, r in edges}


def attribution_as_array(scores, edges, case):
    """The learner's ``{edge: score}`` as an array in ``edges``' order, or a sentence saying what is wrong."""
    from ...checking import CheckFailure, as_array

    if not isinstance(scores, dict):
        raise CheckFailure("edge_attribution should return a dict {(sender, receiver): score}.", case=case,
                           got=scores, show_values=False)
    try:
        scores = {tuple(edge): value for edge, value in scores.items()}
    except TypeError:
        raise CheckFailure("the dict's keys should be (sender, receiver) edges.", case=case, show_values=False) \
            from None
    missing, extra = [e for e in edges if e not in scores], [e for e in scores if e not in set(edges)]
    if missing or extra:
        raise CheckFailure(f"the dict should have one score per edge given: {len(missing)} missing (e.g. "
                           f"{missing[:2]}), {len(extra)} not asked for (e.g. {extra[:2]}).", case=case,
                           show_values=False)
    return numpy.array([float(as_array(scores[edge], shape=(), case=case, what=f"the score of {edge}"))
                     for edge in edges])


def kl_divergence_tensor(clean_logits, circuit_logits):
    """:func:`kl_divergence` as a differentiable tensor."""
    clean_log_probs = clean_logits.log_softmax(-1)
    return (clean_log_probs.exp() * (clean_log_probs - circuit_logits.log_softmax(-1))).sum(-1).mean()


class LogitDifference:
    """A metric for checks: the mean logit difference between two tokens at the last position."""

    def __init__(self, good, bad):
        self.good, self.bad = good, bad

    def __call__(self, logits):
        return (logits[:, -1, self.good] - logits[:, -1, self.bad]).mean()

    def __repr__(self):
        return f"mean logit of token {self.good} − logit of token {self.bad}, at the last position"


class TokenLogProb:
    """A metric for checks: the mean log-probability of one token over every position."""

    def __init__(self, token):
        self.token = token

    def __call__(self, logits):
        return logits.log_softmax(-1)[..., self.token].mean()

    def __repr__(self):
        return f"mean log-probability of token {self.token}, over every position"


def edge_attribution_corrupted_gradient(run, edges, metric):
    """:func:`edge_attribution` with the gradient taken on the CORRUPTED run instead (a comparison, not Syed et
    al.'s method): a linear estimate around the corrupted run, i.e. of restoring one clean edge into it."""
    return _edge_attribution(run, edges, metric, gradient_run="corrupted")


def answer_logit_gap(logits, answers, positions):
    """Mean over the batch and ``positions`` of (the answer's logit − the mean logit): a logit difference.

    ``answers`` holds the answer token at each of those positions (``[batch, n_positions]``, or ``[batch]``
    for one position). Unlike a log-probability it does not flatten out when the model is sure.
    """
    chosen = logits[:, positions]
    answers = answers.reshape(chosen.shape[0], -1)
    return (chosen.gather(-1, answers[..., None])[..., 0] - chosen.mean(-1)).mean()


def acdc_absolute_rule(edges, score, tau):
    """ACDC with the rule "remove an edge when |score(trial) − score(kept)| < tau" (a comparison: a removal that
    LOWERS the score by more than tau is then undone)."""
    kept = set(edges)
    current = score(frozenset(kept))
    for edge in edges:
        trial = kept - {edge}
        value = score(frozenset(trial))
        if abs(value - current) < tau:
            kept, current = trial, value
    return kept
