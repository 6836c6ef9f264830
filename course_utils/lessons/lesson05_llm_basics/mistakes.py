"""The mistakes learners make in lesson 05, each a wrong implementation with the hint that names it.

The checkers show a hint when the learner's answer is the one its mistake gives; the test suite runs
every implementation here as a mutant that must get exactly its hint (tests/checker_contract.py).
"""
import math

import numpy as np
import torch
from torch.nn import functional as F

from ...checking import Mistakes
from . import reference as ref


# --- byte-pair encoding -------------------------------------------------------------------------

def count_pairs_without_overlaps(tokens):
    """Skips past a pair of equal tokens, as if counting non-overlapping matches."""
    counts, i = {}, 0
    while i + 1 < len(tokens):
        pair = (tokens[i], tokens[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if tokens[i] == tokens[i + 1] else 1
    return counts


COUNT_PAIRS = Mistakes({
    "count every adjacent position, overlapping ones too: 'aaaa' has the pair ('a', 'a') three times":
        count_pairs_without_overlaps,
    "count how many times each pair occurs, not just whether it occurs":
        lambda tokens: {pair: 1 for pair in zip(tokens, tokens[1:])},
})


def merge_first_only(tokens, pair):
    for i in range(len(tokens) - 1):
        if (tokens[i], tokens[i + 1]) == tuple(pair):
            return tokens[:i] + [pair[0] + pair[1]] + tokens[i + 2:]
    return list(tokens)


MERGE_PAIR = Mistakes({"replace every occurrence of the pair, not only the first": merge_first_only})


def _smallest_most_frequent(counts):
    return min(counts, key=lambda pair: (-counts[pair], pair))


def _train_bpe(text, n_merges, pick=_smallest_most_frequent, min_count=2):
    tokens, merges = list(text), []
    for _ in range(n_merges):
        counts = ref.count_pairs(tokens)
        if not counts:
            break
        pair = pick(counts)
        if counts[pair] < min_count:
            break
        merges.append(pair)
        tokens = ref.merge_pair(tokens, pair)
    return merges


def train_bpe_first_seen_ties(text, n_merges):
    return _train_bpe(text, n_merges, pick=lambda counts: max(counts, key=counts.get))


def train_bpe_largest_ties(text, n_merges):
    return _train_bpe(text, n_merges, pick=lambda counts: max(counts, key=lambda pair: (counts[pair], pair)))


def train_bpe_merging_single_pairs(text, n_merges):
    return _train_bpe(text, n_merges, min_count=1)


def train_bpe_counting_once(text, n_merges):
    """Counts the pairs before the loop and only crosses off each pair it merges."""
    tokens, merges = list(text), []
    counts = ref.count_pairs(tokens)
    for _ in range(n_merges):
        if not counts:
            break
        pair = _smallest_most_frequent(counts)
        if counts[pair] < 2:
            break
        merges.append(pair)
        tokens = ref.merge_pair(tokens, pair)
        del counts[pair]
    return merges


TRAIN_BPE = Mistakes({
    "break ties by the smallest pair (min over (-count, pair)); `max(counts, key=counts.get)` picks the first pair "
    "seen instead": train_bpe_first_seen_ties,
    "on a tie pick the lexicographically *smallest* pair, not the largest": train_bpe_largest_ties,
    "stop as soon as the most frequent pair occurs only once": train_bpe_merging_single_pairs,
    "recount the pairs after every merge: merging changes which pairs exist": train_bpe_counting_once,
})


# --- byte-level BPE with a pre-split ---------------------------------------------------------------

def _byte_bpe(text, merges, chunks=ref.pretokenize, to_ids=lambda chunk: list(chunk.encode("utf-8")),
              offset=256, merge=ref.merge_ids):
    ids = []
    for chunk in chunks(text):
        chunk_ids = to_ids(chunk)
        for i, pair in enumerate(merges):
            chunk_ids = merge(chunk_ids, tuple(pair), offset + i)
        ids.extend(chunk_ids)
    return ids


def _merge_first_id(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)


def byte_bpe_without_presplit(text, merges):
    return _byte_bpe(text, merges, chunks=lambda text: [text])


def byte_bpe_on_characters(text, merges):
    return _byte_bpe(text, merges, to_ids=lambda chunk: [ord(ch) for ch in chunk])


def byte_bpe_ids_from_zero(text, merges):
    return _byte_bpe(text, merges, offset=0)


def byte_bpe_first_occurrence(text, merges):
    return _byte_bpe(text, merges, merge=_merge_first_id)


def byte_bpe_split_on_whitespace(text, merges):
    return _byte_bpe(text, merges, chunks=str.split)


BYTE_BPE_ENCODE = Mistakes({
    "split the text into chunks first, re.findall(SPLIT_PATTERN, text), and merge inside each chunk: merges never "
    "cross from one chunk to the next": byte_bpe_without_presplit,
    "write each chunk as its UTF-8 bytes, list(chunk.encode('utf-8')): 'ë' is two bytes and '€' three, not one id "
    "each": byte_bpe_on_characters,
    "merge i creates the new id 256 + i (ids 0-255 are the bytes themselves)": byte_bpe_ids_from_zero,
    "replace every occurrence of the pair in the chunk, not only the first": byte_bpe_first_occurrence,
    "split with re.findall(SPLIT_PATTERN, text), which keeps every character, spaces too (str.split() drops them, "
    "so the ids no longer decode to the text)": byte_bpe_split_on_whitespace,
})


# --- counting models ----------------------------------------------------------------------------

def _pair_counts(ids, vocab_size, transposed=False):
    ids = np.asarray(ids, dtype=int)
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (ids[1:], ids[:-1]) if transposed else (ids[:-1], ids[1:]), 1.0)
    return counts


def bigram_normalising_columns(ids, vocab_size, alpha=1.0):
    smoothed = _pair_counts(ids, vocab_size) + alpha
    return smoothed / smoothed.sum(axis=0, keepdims=True)


def bigram_counting_next_then_current(ids, vocab_size, alpha=1.0):
    smoothed = _pair_counts(ids, vocab_size, transposed=True) + alpha
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def bigram_without_smoothing(ids, vocab_size, alpha=1.0):
    counts = _pair_counts(ids, vocab_size)
    return counts / counts.sum(axis=1, keepdims=True)


BIGRAM_PROBS = Mistakes({
    "normalise each row (the current token), so that P[i].sum() == 1, not each column": bigram_normalising_columns,
    "rows are the current token and columns the next: P[i, j] = P(next = j | current = i)":
        bigram_counting_next_then_current,
    "add alpha to every count before normalising (add-alpha smoothing)": bigram_without_smoothing,
})


def _next_token_probs(P, ids, swapped=False):
    P, ids = np.asarray(P, dtype=float), np.asarray(ids, dtype=int)
    return P[ids[1:], ids[:-1]] if swapped else P[ids[:-1], ids[1:]]


BIGRAM_LOSS = Mistakes({
    "use the natural log (nats), as cross-entropy losses do":
        lambda P, ids: float(-np.mean(np.log2(_next_token_probs(P, ids)))),
    "average over the predictions, don't sum them": lambda P, ids: float(-np.sum(np.log(_next_token_probs(P, ids)))),
    "the probability of the next token is P[current, next], not P[next, current]":
        lambda P, ids: float(-np.mean(np.log(_next_token_probs(P, ids, swapped=True)))),
    "the loss is the *negative* log-likelihood": lambda P, ids: float(np.mean(np.log(_next_token_probs(P, ids)))),
})


# --- sampling -------------------------------------------------------------------------------------

def softmax_without_subtracting_the_max(logits, temperature=1.0):
    exp = torch.exp(logits / temperature)
    return exp / exp.sum(dim=-1, keepdim=True)


SOFTMAX_WITH_TEMPERATURE = Mistakes({
    "softmax over the last axis (dim=-1): each row of logits is one distribution":
        lambda logits, temperature=1.0: torch.softmax(logits / temperature, dim=0),
    "divide the logits by the temperature *before* the softmax; dividing the probabilities afterwards only "
    "rescales them": lambda logits, temperature=1.0: torch.softmax(logits, dim=-1) / temperature,
    "divide by the temperature, don't multiply":
        lambda logits, temperature=1.0: torch.softmax(logits * temperature, dim=-1),
    "subtract the max of logits / temperature (over the last axis) before exp, so that large scaled logits do not "
    "overflow: exp(1000) and exp(3 / 0.02) are inf": softmax_without_subtracting_the_max,
})


def top_k_threshold_at_index_k(logits, k):
    """Takes the threshold at index k of the sorted logits, which is the (k + 1)-th largest."""
    threshold = torch.sort(logits, descending=True).values[k]
    return torch.where(logits < threshold, torch.full_like(logits, float("-inf")), logits)


def top_k_dropping_the_kth(logits, k):
    kth = torch.topk(logits, k).values[-1]
    return torch.where(logits <= kth, torch.full_like(logits, float("-inf")), logits)


def top_k_smallest(logits, k):
    out = logits.clone()
    out[torch.argsort(logits)[k:]] = float("-inf")
    return out


def top_k_zeroing_the_rest(logits, k):
    kth = torch.topk(logits, k).values[-1]
    return torch.where(logits < kth, torch.zeros_like(logits), logits)


TOP_K_FILTER = Mistakes({
    "keep exactly k logits: you kept one too many": top_k_threshold_at_index_k,
    "keep exactly k logits: you kept one too few": top_k_dropping_the_kth,
    "keep the k *largest* logits": top_k_smallest,
    "set the others to -inf (so exp gives probability 0), not to 0": top_k_zeroing_the_rest,
})


def _nucleus(logits, keep_of, descending=True):
    """``logits`` with -inf outside the tokens ``keep_of(sorted probabilities, sorted logits)`` marks."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    probs = torch.softmax(logits, dim=-1)
    order = torch.argsort(probs, descending=descending)
    keep = torch.zeros_like(probs, dtype=torch.bool)
    keep[order[keep_of(probs[order], logits[order])]] = True
    return logits.masked_fill(~keep, float("-inf"))


def top_p_without_the_crossing_token(logits, p):
    return _nucleus(logits, lambda sorted_probs, sorted_logits: torch.cumsum(sorted_probs, 0) < p)


def top_p_least_likely_first(logits, p):
    return _nucleus(logits, lambda sorted_probs, sorted_logits: torch.cumsum(sorted_probs, 0) - sorted_probs < p,
                    descending=False)


def top_p_summing_logits(logits, p):
    return _nucleus(logits, lambda sorted_probs, sorted_logits: torch.cumsum(sorted_logits, 0) - sorted_logits < p)


def top_p_zeroing_the_rest(logits, p):
    filtered = ref.top_p_filter(logits, p)
    return torch.where(torch.isinf(filtered), torch.zeros_like(filtered), filtered)


def top_p_own_probability(logits, p):
    return _nucleus(logits, lambda sorted_probs, sorted_logits: sorted_probs >= p)


TOP_P_FILTER = Mistakes({
    "keep the token that takes the running sum to p or past it as well: the nucleus is the smallest set whose "
    "probability reaches p (so the most likely token is always kept)": top_p_without_the_crossing_token,
    "sort the probabilities in decreasing order: the nucleus holds the *most* likely tokens": top_p_least_likely_first,
    "add up probabilities, softmax(logits), not the logits themselves": top_p_summing_logits,
    "set the tokens outside the nucleus to float('-inf') (probability 0 after the softmax), not to 0":
        top_p_zeroing_the_rest,
    "top-p keeps the most likely tokens until their *cumulative* probability reaches p, not the tokens whose own "
    "probability is at least p": top_p_own_probability,
})


def _sample(logits, temperature, generator, top_k=None, probabilities=ref.softmax_with_temperature):
    """The reference's sampling, with the given top-k filter and probabilities."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    if temperature == 0:
        return int(torch.argmax(logits))
    if top_k is not None:
        logits = ref.top_k_filter(logits, top_k)
    return int(torch.multinomial(probabilities(logits, temperature), num_samples=1, generator=generator))


def sample_dividing_the_probabilities(logits, temperature=1.0, top_k=None, generator=None):
    return _sample(logits, temperature, generator, top_k, lambda z, t: torch.softmax(z, dim=-1) / t)


def sample_multiplying_by_the_temperature(logits, temperature=1.0, top_k=None, generator=None):
    return _sample(logits, temperature, generator, top_k, lambda z, t: torch.softmax(z * t, dim=-1))


def sample_keeping_k_plus_one(logits, temperature=1.0, top_k=None, generator=None):
    return _sample(logits, temperature, generator, None if top_k is None else top_k + 1)


def sample_ignoring_top_k(logits, temperature=1.0, top_k=None, generator=None):
    return _sample(logits, temperature, generator)


def sample_always_greedy(logits, temperature=1.0, top_k=None, generator=None):
    return int(torch.argmax(torch.as_tensor(logits)))


SAMPLE_TOKEN = Mistakes({
    "divide the logits by the temperature before the softmax; dividing the probabilities afterwards changes "
    "nothing once they are renormalised": sample_dividing_the_probabilities,
    "divide the logits by the temperature, don't multiply": sample_multiplying_by_the_temperature,
    "top-k keeps exactly k tokens; you kept k + 1": sample_keeping_k_plus_one,
    "apply the top-k filter when top_k is given": sample_ignoring_top_k,
    "only temperature 0 means greedy: for temperature > 0 draw with torch.multinomial": sample_always_greedy,
})


# --- attention ------------------------------------------------------------------------------------

def _future(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


def attention_masked_after_the_softmax(q, k, v):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    pattern = torch.softmax(scores, dim=-1).masked_fill(_future(q.shape[-2]), 0.0)
    return pattern @ v, pattern


def attention_unscaled(q, k, v):
    pattern = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(_future(q.shape[-2]), float("-inf")), dim=-1)
    return pattern @ v, pattern


CAUSAL_ATTENTION = Mistakes({
    "mask *before* the softmax: set the future scores to -inf, then softmax. Zeroing the future weights after the "
    "softmax leaves rows that no longer sum to 1": attention_masked_after_the_softmax,
    "scale the scores by 1/sqrt(d) before the softmax": attention_unscaled,
})


def _heads(x, W, n_heads):
    B, T, D = x.shape
    return (x @ W).view(B, T, n_heads, D // n_heads).transpose(1, 2)


def _merged(heads):
    B, H, T, d_head = heads.shape
    return heads.transpose(1, 2).reshape(B, T, H * d_head)


def mha_reshaping_into_heads(x, W_Q, W_K, W_V, W_O, n_heads):
    B, T, D = x.shape
    q, k, v = ((x @ W).reshape(B, n_heads, T, D // n_heads) for W in (W_Q, W_K, W_V))
    return F.scaled_dot_product_attention(q, k, v, is_causal=True).reshape(B, T, D) @ W_O


def mha_without_the_mask(x, W_Q, W_K, W_V, W_O, n_heads):
    heads = [_heads(x, W, n_heads) for W in (W_Q, W_K, W_V)]
    return _merged(F.scaled_dot_product_attention(*heads)) @ W_O


def mha_without_W_O(x, W_Q, W_K, W_V, W_O, n_heads):
    heads = [_heads(x, W, n_heads) for W in (W_Q, W_K, W_V)]
    return _merged(F.scaled_dot_product_attention(*heads, is_causal=True))


def mha_scaled_by_d_model(x, W_Q, W_K, W_V, W_O, n_heads):
    heads = [_heads(x, W, n_heads) for W in (W_Q, W_K, W_V)]
    scale = 1 / math.sqrt(x.shape[-1])
    return _merged(F.scaled_dot_product_attention(*heads, is_causal=True, scale=scale)) @ W_O


MULTI_HEAD_ATTENTION = Mistakes({
    "split heads with .view(B, T, n_heads, d_head).transpose(1, 2); reshaping straight to (B, n_heads, T, d_head) "
    "mixes positions and features": mha_reshaping_into_heads,
    "each query may only attend to itself and earlier positions (causal mask)": mha_without_the_mask,
    "project the concatenated heads with W_O at the end": mha_without_W_O,
    "scale by 1/sqrt(d_head), the size of one head, not 1/sqrt(d_model)": mha_scaled_by_d_model,
})


# --- TinyGPT parts --------------------------------------------------------------------------------

EMBED = Mistakes({
    "add the position embeddings W_pos[:T]": lambda tokens, W_E, W_pos: W_E[tokens],
    "position embeddings are indexed by position 0..T-1, not by token":
        lambda tokens, W_E, W_pos: W_E[tokens] + W_pos[tokens],
})


def block_post_ln(block, x):
    x = block.ln1(x + block.attn(x))
    return block.ln2(x + block.mlp(x))


def block_without_residuals(block, x):
    return block.mlp(block.ln2(block.attn(block.ln1(x))))


def block_in_parallel(block, x):
    return x + block.attn(block.ln1(x)) + block.mlp(block.ln2(x))


def block_without_ln2(block, x):
    x = x + block.attn(block.ln1(x))
    return x + block.mlp(x)


def block_without_ln1(block, x):
    x = x + block.attn(x)
    return x + block.mlp(block.ln2(x))


TRANSFORMER_BLOCK = Mistakes({
    "pre-LayerNorm: normalise the input of each sublayer, x + attn(ln1(x)), not the sum (that is the original "
    "post-LN transformer)": block_post_ln,
    "keep the residual connections: add each sublayer's output to x": block_without_residuals,
    "the MLP reads the stream *after* attention was added (sequential, not parallel)": block_in_parallel,
    "apply ln2 before the MLP": block_without_ln2,
    "apply ln1 before attention": block_without_ln1,
})


def _residual_stream(model, tokens, blocks=None):
    x = ref.embed(tokens, model.W_E, model.W_pos)
    for block in model.blocks if blocks is None else blocks:
        x = block(x)
    return x


GPT_FORWARD = Mistakes({
    "apply the final LayerNorm (model.ln_final) before the unembedding":
        lambda model, tokens: _residual_stream(model, tokens) @ model.W_U,
    "run the input through every block in model.blocks, in order":
        lambda model, tokens: model.ln_final(_residual_stream(model, tokens, model.blocks[:1])) @ model.W_U,
    "unembed with model.W_U (TinyGPT does not tie it to W_E)":
        lambda model, tokens: model.ln_final(_residual_stream(model, tokens)) @ model.W_E.T,
})


# --- scaling --------------------------------------------------------------------------------------

def _log_log_line(sizes, losses):
    """(slope, intercept) of the least-squares line through (ln N, ln L)."""
    return np.polyfit(np.log(sizes), np.log(losses), 1)


def fit_power_law_alpha_as_slope(sizes, losses):
    slope, intercept = _log_log_line(sizes, losses)
    return float(np.exp(intercept)), float(slope)


def fit_power_law_a_as_intercept(sizes, losses):
    slope, intercept = _log_log_line(sizes, losses)
    return float(intercept), float(-slope)


FIT_POWER_LAW = Mistakes({
    "alpha is minus the slope: L = a · N^(-alpha) falls as N grows": fit_power_law_alpha_as_slope,
    "a is exp(intercept): the fit gives ln a, not a": fit_power_law_a_as_intercept,
})


# --- post-training --------------------------------------------------------------------------------

def _bt(margin):
    return -F.logsigmoid(margin).mean()


REWARD_MODEL_LOSS = Mistakes({
    "the chosen response should get the higher reward: the loss is -log σ(r_chosen - r_rejected), not "
    "-log σ(r_rejected - r_chosen)": lambda r_chosen, r_rejected: _bt(r_rejected - r_chosen),
    "average over the pairs (.mean()), as the docstring asks, instead of summing":
        lambda r_chosen, r_rejected: -F.logsigmoid(r_chosen - r_rejected).sum(),
    "the loss is the *negative* log-likelihood: -log σ(r_chosen - r_rejected), so that minimising it raises "
    "σ(r_chosen - r_rejected)": lambda r_chosen, r_rejected: F.logsigmoid(r_chosen - r_rejected).mean(),
    "take the log: the Bradley-Terry loss is -log σ(r_chosen - r_rejected), not -σ(r_chosen - r_rejected)":
        lambda r_chosen, r_rejected: -torch.sigmoid(r_chosen - r_rejected).mean(),
    "compute log σ(x) with F.logsigmoid(x): torch.log(torch.sigmoid(x)) gives log(0) = -inf once σ(x) underflows "
    "(x = -120 in float32)": lambda r_chosen, r_rejected: -torch.log(torch.sigmoid(r_chosen - r_rejected)).mean(),
})


def _dpo(pc, pr, rc, rr, beta, margin=lambda pc, pr, rc, rr: (pc - rc) - (pr - rr)):
    return -F.logsigmoid(beta * margin(pc, pr, rc, rr)).mean()


DPO_LOSS = Mistakes({
    "the chosen response's log-ratio comes first: β((log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l))); "
    "you swapped chosen and rejected": lambda pc, pr, rc, rr, beta: _dpo(pr, pc, rr, rc, beta),
    "subtract the reference model's log-probabilities: DPO compares log π(y|x) - log π_ref(y|x), not log π(y|x) alone":
        lambda pc, pr, rc, rr, beta: _dpo(pc, pr, 0 * rc, 0 * rr, beta),
    "multiply the margin by beta inside the sigmoid": lambda pc, pr, rc, rr, beta: _dpo(pc, pr, rc, rr, 1.0),
    "beta multiplies the margin *inside* the sigmoid, -log σ(β · margin), not the loss outside it":
        lambda pc, pr, rc, rr, beta: beta * _dpo(pc, pr, rc, rr, 1.0),
    "the inputs are log-probabilities: subtract them directly (log π - log π_ref), don't exponentiate them into "
    "probabilities first": lambda pc, pr, rc, rr, beta: _dpo(pc.exp(), pr.exp(), rc.exp(), rr.exp(), beta),
    "use the log of the ratio, log π(y|x) - log π_ref(y|x), not the ratio π(y|x) / π_ref(y|x) itself":
        lambda pc, pr, rc, rr, beta: _dpo(pc, pr, rc, rr, beta,
                                          margin=lambda pc, pr, rc, rr: (pc - rc).exp() - (pr - rr).exp()),
    "average over the pairs (.mean()), as the docstring asks, instead of summing":
        lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).sum(),
    "compute log σ(x) with F.logsigmoid(x): torch.log(torch.sigmoid(x)) gives log(0) = -inf once σ(x) underflows":
        lambda pc, pr, rc, rr, beta: -torch.log(torch.sigmoid(beta * ((pc - rc) - (pr - rr)))).mean(),
})
