"""Checker contract for lesson 05: the reference passes, the stub is not attempted, mistakes fail."""
import math

import numpy as np
import torch
from torch.nn import functional as F

from checker_contract import contract_tests
from course_utils import exercises
from course_utils.checking import run_check
from course_utils.lessons.lesson05_llm_basics import reference as ref
from course_utils.lessons.lesson05_llm_basics.mistakes import merge_first_only


# --- mistakes no hint names (the named ones are declared in the lesson's mistakes.py) ------------------

# BPE

def count_pairs_off_by_one(tokens):
    return ref.count_pairs(tokens[:-1])


def count_pairs_wraps_around(tokens):
    return ref.count_pairs(list(tokens) + list(tokens[:1]))


def merge_pair_drops_last(tokens, pair):
    out, i = [], 0
    while i < len(tokens) - 1:
        if (tokens[i], tokens[i + 1]) == tuple(pair):
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def merge_pair_in_place(tokens, pair):     # edits the caller's list
    i = 0
    while i < len(tokens) - 1:
        if (tokens[i], tokens[i + 1]) == tuple(pair):
            tokens[i:i + 2] = [pair[0] + pair[1]]
        i += 1
    return tokens


def merge_from_the_right(tokens, pair):
    merged, i = [], len(tokens) - 1
    while i >= 0:
        if i >= 1 and (tokens[i - 1], tokens[i]) == tuple(pair):
            merged.append(pair[0] + pair[1])
            i -= 2
        else:
            merged.append(tokens[i])
            i -= 1
    return merged[::-1]


def merge_by_string_replace(tokens, pair):   # works on characters, breaks on multi-character tokens
    out, i = [], 0
    text = "".join(tokens)
    joined = pair[0] + pair[1]
    while i < len(text):
        if text.startswith(joined, i):
            out.append(joined)
            i += len(joined)
        else:
            out.append(text[i])
            i += 1
    return out


def train_bpe_merges_first_only(text, n_merges):
    tokens, merges = list(text), []
    for _ in range(n_merges):
        counts = ref.count_pairs(tokens)
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < 2:
            break
        merges.append(pair)
        tokens = merge_first_only(tokens, pair)
    return merges


# counting models

def bigram_whole_matrix_normalised(ids, vocab_size, alpha=1.0):
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (np.array(ids[:-1]), np.array(ids[1:])), 1.0)
    return (counts + alpha) / (counts + alpha).sum()


def loss_divides_by_len_ids(P, ids):
    ids = np.array(ids)
    return float(-np.sum(np.log(P[ids[:-1], ids[1:]])) / len(ids))


# softmax and sampling

def softmax_unstable_numpy(logits, temperature=1.0):
    e = np.exp(np.asarray(logits, dtype=np.float64) / temperature)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_subtracts_unscaled_max(logits, temperature=1.0):   # fine at T = 1, overflows when T is small
    e = torch.exp(logits / temperature - logits.max(dim=-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def softmax_not_normalised(logits, temperature=1.0):
    scaled = logits / temperature
    return torch.exp(scaled - scaled.max(dim=-1, keepdim=True).values)


def top_k_in_place(logits, k):
    logits[logits < torch.topk(logits, k).values[-1]] = float("-inf")
    return logits


def top_k_returns_values(logits, k):
    return torch.topk(logits, k).values


def _top_k_probs(logits, temperature, top_k):
    logits = torch.as_tensor(logits, dtype=torch.float64)
    return torch.softmax((logits if top_k is None else ref.top_k_filter(logits, top_k)) / temperature, -1)


def sample_without_greedy(logits, temperature=1.0, top_k=None, generator=None):
    """Draws at temperature 0 too, from softmax(logits)."""
    return int(torch.multinomial(_top_k_probs(logits, temperature or 1.0, top_k), 1, generator=generator))


def sample_drawing_twice(logits, temperature=1.0, top_k=None, generator=None):
    """Draws twice from the generator and returns the second token."""
    if temperature == 0:
        return int(torch.argmax(logits))
    probs = _top_k_probs(logits, temperature, top_k)
    torch.multinomial(probs, 1, generator=generator)
    return int(torch.multinomial(probs, 1, generator=generator))


def sample_ignores_generator(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:
        return int(torch.argmax(logits))
    logits = ref.top_k_filter(logits, top_k) if top_k is not None else logits
    probs = ref.softmax_with_temperature(logits, temperature).numpy()
    return int(np.random.default_rng(0).choice(len(probs), p=probs / probs.sum()))


def sample_unseeded(logits, temperature=1.0, top_k=None, generator=None):
    return ref.sample_token(logits, temperature, top_k, None)


# attention

def _future(T):
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


def attention_no_mask(q, k, v):
    pattern = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return pattern @ v, pattern


def attention_sees_future(q, k, v):     # tril instead of triu: masks the past, keeps the future
    T = q.shape[-2]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1)
    pattern = torch.softmax((q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(mask, -math.inf), -1)
    return pattern @ v, pattern


def attention_softmax_over_queries(q, k, v):
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(_future(q.shape[-2]), -math.inf)
    pattern = torch.nan_to_num(torch.softmax(scores, dim=-2))
    return pattern @ v, pattern


def attention_mask_with_zero(q, k, v):
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(_future(q.shape[-2]), 0.0)
    pattern = torch.softmax(scores, -1)
    return pattern @ v, pattern


def mha_merge_without_transpose(x, W_Q, W_K, W_V, W_O, n_heads):
    B, T, D = x.shape
    heads = [(x @ W).view(B, T, n_heads, D // n_heads).transpose(1, 2) for W in (W_Q, W_K, W_V)]
    return F.scaled_dot_product_attention(*heads, is_causal=True).reshape(B, T, D) @ W_O


# TinyGPT parts

def embed_positions_by_batch(tokens, W_E, W_pos):
    return W_E[tokens] + W_pos[: tokens.shape[0]].unsqueeze(1)


def block_ln1_twice(block, x):
    x = x + block.attn(block.ln1(x))
    return x + block.mlp(block.ln1(x))


def gpt_no_positions(model, tokens):
    x = model.W_E[tokens]
    for block in model.blocks:
        x = block(x)
    return model.ln_final(x) @ model.W_U


# scaling

def fit_power_law_log10(sizes, losses):
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(losses), 1)
    return float(np.exp(intercept)), float(-slope)


def fit_linear_space(sizes, losses):
    slope, intercept = np.polyfit(sizes, losses, 1)
    return float(intercept), float(-slope)


# nucleus filtering

def top_p_keeps_one_more(logits, p):
    probs = torch.softmax(logits.double(), -1)
    order = torch.argsort(probs, descending=True)
    n = int((torch.cumsum(probs[order], 0) - probs[order] < p).sum()) + 1
    out = torch.full_like(logits, float("-inf"))
    out[order[:n]] = logits[order[:n]]
    return out


def top_p_returns_probabilities(logits, p):
    return torch.softmax(ref.top_p_filter(logits, p), -1)


def top_p_in_place(logits, p):
    logits[torch.isinf(ref.top_p_filter(logits, p))] = float("-inf")
    return logits


# byte-level BPE

def byte_bpe_ignores_merges(text, merges):
    return list(text.encode("utf-8"))


def byte_bpe_merges_in_reverse(text, merges):
    ids = []
    for chunk in ref.pretokenize(text):
        chunk_ids = list(chunk.encode("utf-8"))
        for i in reversed(range(len(merges))):
            chunk_ids = ref.merge_ids(chunk_ids, tuple(merges[i]), 256 + i)
        ids.extend(chunk_ids)
    return ids


# post-training

def reward_loss_hinge(r_chosen, r_rejected):
    return torch.relu(1 - (r_chosen - r_rejected)).mean()


def reward_loss_detached(r_chosen, r_rejected):      # the right value, through .item(): no gradient
    return torch.tensor(float(-F.logsigmoid(r_chosen - r_rejected).mean().detach()))


def reward_loss_mse(r_chosen, r_rejected):
    return ((r_chosen - 1) ** 2 + (r_rejected + 1) ** 2).mean()


def dpo_without_the_rejected(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * (pc - rc)).mean()


def dpo_reference_added(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pc + rc) - (pr + rr))).mean()


def dpo_detached_policy(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pc.detach() - rc) - (pr.detach() - rr))).mean() + 0 * pc.sum()


MUTANTS = {
    "05.count_pairs": [count_pairs_off_by_one, count_pairs_wraps_around],
    "05.merge_pair": [merge_pair_drops_last, (merge_pair_in_place, "in place"), merge_from_the_right,
                      merge_by_string_replace],
    "05.train_bpe": [train_bpe_merges_first_only],
    "05.bigram_probs": [bigram_whole_matrix_normalised],
    "05.bigram_loss": [loss_divides_by_len_ids],
    "05.softmax_with_temperature": [
        (softmax_unstable_numpy, "subtract the max of logits / temperature"),
        (softmax_subtracts_unscaled_max, "subtract the max of logits / temperature"),
        softmax_not_normalised,
    ],
    "05.top_k_filter": [top_k_returns_values, (top_k_in_place, "in place")],
    "05.sample_token": [sample_ignores_generator, sample_without_greedy, sample_drawing_twice, sample_unseeded],
    "05.causal_attention": [
        (attention_mask_with_zero, "-inf"),
        (attention_no_mask, "mask the scores"),
        (attention_sees_future, "mask the scores"),
        (attention_softmax_over_queries, "the softmax goes over the keys"),
    ],
    "05.multi_head_attention": [mha_merge_without_transpose],
    "05.embed": [embed_positions_by_batch],
    "05.transformer_block": [block_ln1_twice],
    "05.gpt_forward": [gpt_no_positions],
    "05.top_p_filter": [top_p_keeps_one_more, top_p_returns_probabilities, (top_p_in_place, "in place")],
    "05.byte_bpe_encode": [byte_bpe_ignores_merges, byte_bpe_merges_in_reverse],
    "05.reward_model_loss": [reward_loss_hinge, (reward_loss_detached, "gradient"), reward_loss_mse],
    "05.dpo_loss": [dpo_without_the_rejected, dpo_reference_added, (dpo_detached_policy, "gradient")],
    "05.fit_power_law": [
        fit_power_law_log10,
        lambda sizes, losses: ref.fit_power_law(sizes, losses)[::-1],
        fit_linear_space,
    ],
}


# --- correct answers written differently (the audit): every grader must accept them -------------------

def count_pairs_counter(tokens):
    from collections import Counter
    return Counter(zip(tokens, tokens[1:]))


def count_pairs_index_loop(tokens):
    counts = {}
    for i in range(len(tokens) - 1):
        key = (tokens[i], tokens[i + 1])
        counts[key] = counts.get(key, 0) + 1
    return counts


def merge_pair_tuple(tokens, pair):
    left, right = pair
    out, i = [], 0
    while i < len(tokens):
        if tokens[i:i + 2] == [left, right]:
            out.append(left + right)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def train_bpe_sorted_lists(text, n_merges):
    tokens, merges = list(text), []
    for _ in range(n_merges):
        counts = ref.count_pairs(tokens)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if not ranked or ranked[0][1] < 2:
            break
        merges.append(list(ranked[0][0]))
        tokens = ref.merge_pair(tokens, ranked[0][0])
    return merges


def bigram_probs_float32_loop(ids, vocab_size, alpha=1.0):
    counts = np.full((vocab_size, vocab_size), alpha, dtype=np.float32)
    for a, b in zip(ids, ids[1:]):
        counts[a, b] += 1
    return counts / counts.sum(axis=1, keepdims=True)


def bigram_probs_torch(ids, vocab_size, alpha=1.0):
    ids = torch.as_tensor(ids)
    counts = torch.zeros(vocab_size, vocab_size).index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1),
                                                               accumulate=True)
    return (counts + alpha) / (counts + alpha).sum(-1, keepdim=True)


def bigram_loss_torch(P, ids):
    P, ids = torch.as_tensor(P, dtype=torch.float32), torch.as_tensor(ids)
    return F.nll_loss(P.log()[ids[:-1]], ids[1:])


def softmax_logsumexp_float32(logits, temperature=1.0):
    scaled = logits.float() / temperature
    return torch.exp(scaled - torch.logsumexp(scaled, dim=-1, keepdim=True))


def softmax_max_before_dividing(logits, temperature=1.0):
    shifted = logits - logits.max(dim=-1, keepdim=True).values   # (z - max) / T: the same, and stable
    return torch.softmax(shifted / temperature, dim=-1)


def softmax_numpy(logits, temperature=1.0):
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).tolist()


def top_k_exactly_k(logits, k):       # torch.topk's indices: exactly k entries, ties broken by topk
    out = torch.full_like(logits, float("-inf"))
    indices = torch.topk(logits, k).indices
    out[indices] = logits[indices]
    return out


def top_k_sorted_keep_ties(logits, k):
    kth = sorted(logits.tolist(), reverse=True)[k - 1]
    return [x if x >= kth else float("-inf") for x in logits.tolist()]


def top_k_numpy_last_ties(logits, k):  # exactly k, keeping the *last* of the tied entries
    values = np.asarray(logits, dtype=np.float32)
    order = np.argsort(-values[::-1], kind="stable")[:k]
    keep = len(values) - 1 - order
    out = np.full_like(values, -np.inf)
    out[keep] = values[keep]
    return out


def sample_greedy_by_topk(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:
        return int(torch.topk(logits, 1).indices[0])
    if top_k is not None:
        logits = top_k_exactly_k(logits, top_k)
    return int(torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator))


def sample_last_argmax_tensor(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:       # the last index of a tied maximum: also a right greedy answer
        return torch.tensor(len(logits) - 1 - int(torch.argmax(logits.flip(0))))
    probs = softmax_logsumexp_float32(ref.top_k_filter(logits, top_k) if top_k else logits, temperature)
    return torch.multinomial(probs, 1, generator=generator)[0]


def attention_mask_after_and_renormalise(q, k, v):
    T = q.shape[-2]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    pattern = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), -1).masked_fill(future, 0.0)
    pattern = pattern / pattern.sum(-1, keepdim=True)
    return pattern @ v, pattern


def attention_float32(q, k, v):
    q, k, v = q.float(), k.float(), v.float()
    T = q.shape[-2]
    scores = torch.einsum("...id,...jd->...ij", q, k) / q.shape[-1] ** 0.5
    scores = scores + torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
    pattern = scores.softmax(-1)
    return pattern @ v, pattern


def mha_einsum_float32(x, W_Q, W_K, W_V, W_O, n_heads):
    x, W_Q, W_K, W_V, W_O = (t.float() for t in (x, W_Q, W_K, W_V, W_O))
    B, T, D = x.shape
    dh = D // n_heads
    q, k, v = (torch.einsum("btd,de->bte", x, W).reshape(B, T, n_heads, dh) for W in (W_Q, W_K, W_V))
    scores = torch.einsum("bihd,bjhd->bhij", q, k) / math.sqrt(dh)
    scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    out = torch.einsum("bhij,bjhd->bihd", scores.softmax(-1), v).reshape(B, T, D)
    return out @ W_O


def embed_functional(tokens, W_E, W_pos):
    return F.embedding(tokens, W_E) + W_pos[torch.arange(tokens.shape[1])].unsqueeze(0)


def embed_float64_numpy(tokens, W_E, W_pos):
    W_E, W_pos, tokens = (np.asarray(t, dtype=np.float64) for t in (W_E, W_pos, tokens))
    return W_E[tokens.astype(int)] + W_pos[: tokens.shape[-1]]


def block_in_place_on_a_new_tensor(block, x):
    h = x.clone()
    h += block.attn(block.ln1(h))
    h += block.mlp(block.ln2(h))
    return h


def gpt_with_model_parts(model, tokens):
    x = model.W_E[tokens] + model.W_pos[: tokens.shape[1]]
    for block in model.blocks:
        x = block(x)
    return torch.einsum("btd,dv->btv", model.ln_final(x), model.W_U)


def fit_power_law_lstsq(sizes, losses):
    A = np.stack([np.log(sizes), np.ones(len(sizes))], axis=1)
    (slope, intercept), *_ = np.linalg.lstsq(A, np.log(losses), rcond=None)
    return [np.float32(np.exp(intercept)), np.float32(-slope)]


def fit_power_law_array(sizes, losses):
    slope, intercept = np.polyfit(np.log(sizes), np.log(losses), 1)
    return np.array([np.exp(intercept), -slope])


def fit_power_law_torch(sizes, losses):
    x, y = torch.log(torch.as_tensor(sizes)), torch.log(torch.as_tensor(losses))
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    return torch.stack([torch.exp(y.mean() - slope * x.mean()), -slope])


def top_p_like_transformers(logits, p):
    """Hugging Face's TopPLogitsWarper: sort ascending, drop tokens while the cumulative sum stays <= 1 - p."""
    sorted_logits, sorted_indices = torch.sort(logits, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove = cumulative <= (1 - p)
    remove[-1:] = False
    return logits.masked_fill(remove.scatter(0, sorted_indices, remove), float("-inf"))


def top_p_numpy_loop(logits, p):
    values = np.asarray(logits, dtype=np.float64)
    probs = np.exp(values - values.max())
    probs /= probs.sum()
    out, total = [float("-inf")] * len(values), 0.0
    for i in np.argsort(-probs):
        out[i] = float(values[i])
        total += probs[i]
        if total >= p:
            break
    return out


def byte_bpe_lowest_rank_first(text, merges):
    """minbpe's and GPT-2's loop: repeatedly merge the pair with the lowest rank present in the chunk."""
    ranks = {tuple(pair): i for i, pair in reversed(list(enumerate(merges)))}
    out = []
    for chunk in ref.pretokenize(text):
        ids = list(chunk.encode("utf-8"))
        while len(ids) >= 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, float("inf")))
            if pair not in ranks:
                break
            ids = ref.merge_ids(ids, pair, 256 + ranks[pair])
        out += ids
    return out


def byte_bpe_tensor(text, merges):
    return torch.tensor(ref.byte_bpe_encode(text, merges), dtype=torch.long)


def byte_bpe_bytes_object(text, merges):
    out = []
    for chunk in ref.pretokenize(text):
        ids = list(bytes(chunk, "utf-8"))
        for new_id, (left, right) in enumerate(merges, start=256):
            i = 0
            while i < len(ids) - 1:
                if ids[i] == left and ids[i + 1] == right:
                    ids[i:i + 2] = [new_id]
                i += 1
        out.extend(ids)
    return tuple(np.array(out, dtype=np.int64))


def reward_loss_softplus_float32(r_chosen, r_rejected):
    return F.softplus((r_rejected - r_chosen).float()).mean()


def reward_loss_bce(r_chosen, r_rejected):
    margin = r_chosen - r_rejected
    return F.binary_cross_entropy_with_logits(margin, torch.ones_like(margin))


def dpo_logits_like_the_paper(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    """The arrangement of Rafailov et al.'s reference code: pi_logratios - ref_logratios."""
    pi_logratios = policy_chosen_logps - policy_rejected_logps
    ref_logratios = ref_chosen_logps - ref_rejected_logps
    return -F.logsigmoid(beta * (pi_logratios - ref_logratios)).mean()


def dpo_softplus(pc, pr, rc, rr, beta):
    return F.softplus(-beta * ((pc - rc) - (pr - rr))).mean()


ALTERNATIVES = {
    "05.count_pairs": [count_pairs_counter, count_pairs_index_loop],
    "05.merge_pair": [merge_pair_tuple],
    "05.train_bpe": [train_bpe_sorted_lists],
    "05.bigram_probs": [bigram_probs_float32_loop, bigram_probs_torch],
    "05.bigram_loss": [bigram_loss_torch],
    "05.softmax_with_temperature": [softmax_logsumexp_float32, softmax_max_before_dividing, softmax_numpy],
    "05.top_k_filter": [top_k_exactly_k, top_k_sorted_keep_ties, top_k_numpy_last_ties],
    "05.sample_token": [sample_greedy_by_topk, sample_last_argmax_tensor],
    "05.causal_attention": [attention_mask_after_and_renormalise, attention_float32],
    "05.multi_head_attention": [mha_einsum_float32],
    "05.embed": [embed_functional, embed_float64_numpy],
    "05.transformer_block": [block_in_place_on_a_new_tensor],
    "05.gpt_forward": [gpt_with_model_parts],
    "05.top_p_filter": [top_p_like_transformers, top_p_numpy_loop],
    "05.byte_bpe_encode": [byte_bpe_lowest_rank_first, byte_bpe_tensor, byte_bpe_bytes_object],
    "05.reward_model_loss": [reward_loss_softplus_float32, reward_loss_bce],
    "05.dpo_loss": [dpo_logits_like_the_paper, dpo_softplus],
    "05.fit_power_law": [fit_power_law_lstsq, fit_power_law_array, fit_power_law_torch],
}
UNVARIED = {}

globals().update(contract_tests("05", MUTANTS, ALTERNATIVES, UNVARIED))


def test_wrong_types_get_a_sentence():
    verdict = run_check(exercises.get("05.causal_attention"), lambda q, k, v: q @ k.transpose(-2, -1))
    assert verdict.status == "failed" and "pair" in verdict.message
    verdict = run_check(exercises.get("05.train_bpe"), lambda text, n: "ab")
    assert verdict.status == "failed" and "list of merges" in verdict.message
    verdict = run_check(exercises.get("05.bigram_probs"), lambda ids, V, alpha=1.0: np.zeros(V))
    assert verdict.status == "failed" and "shape" in verdict.message


def test_top_k_ties_any_valid_choice_passes_in_both_graders():
    """Ties at the k-th place: keeping all tied logits or exactly k of them (first or last) are all right."""
    from course_utils.lessons.lesson05_llm_basics.checks import TOP_K_CASES, top_k_problem

    assert any(len(set(logits.tolist())) < len(logits) for logits, _ in TOP_K_CASES)
    logits, k = torch.tensor([1.0, 2.0, 2.0, 3.0, 0.0, 2.0]), 2
    for function in (ref.top_k_filter, top_k_exactly_k, top_k_sorted_keep_ties, top_k_numpy_last_ties):
        assert top_k_problem(np.asarray(function(logits.clone(), k), dtype=float), logits, k) is None
    two_of_three_tied = torch.tensor([float("-inf"), 2.0, 2.0, 3.0, float("-inf"), float("-inf")])
    assert "2 of the 3 logits tied for the k-th place" in top_k_problem(two_of_three_tied.numpy(), logits, k)
