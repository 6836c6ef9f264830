"""Checker contract for lesson 05: the reference passes, the stub is not attempted, mistakes fail."""
import math

import numpy as np
import torch
from torch.nn import functional as F

from checker_contract import contract_tests
from course_utils import exercises
from course_utils.checking import run_check
from course_utils.reference import lesson05_llm_basics as ref


# --- BPE -------------------------------------------------------------------------------------------

def count_pairs_non_overlapping(tokens):
    counts, i = {}, 0
    while i + 1 < len(tokens):
        pair = (tokens[i], tokens[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if tokens[i] == tokens[i + 1] else 1
    return counts


def count_pairs_presence(tokens):
    return {pair: 1 for pair in zip(tokens, tokens[1:])}


def count_pairs_wraps_around(tokens):
    return ref.count_pairs(list(tokens) + list(tokens[:1]))


def merge_first_only(tokens, pair):
    for i in range(len(tokens) - 1):
        if (tokens[i], tokens[i + 1]) == tuple(pair):
            return tokens[:i] + [pair[0] + pair[1]] + tokens[i + 2:]
    return list(tokens)


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


def bpe_loop(tie="smallest", stop_early=True, recount=True):
    def train_bpe(text, n_merges):
        tokens, merges = list(text), []
        counts = ref.count_pairs(tokens)
        for _ in range(n_merges):
            if recount:
                counts = ref.count_pairs(tokens)
            counts = {p: c for p, c in counts.items() if p not in merges}
            if not counts:
                break
            if tie == "first":
                pair = max(counts, key=counts.get)
            elif tie == "largest":
                pair = max(counts, key=lambda p: (counts[p], p))
            else:
                pair = min(counts, key=lambda p: (-counts[p], p))
            if stop_early and counts[pair] < 2:
                break
            merges.append(pair)
            tokens = ref.merge_pair(tokens, pair)
        return merges
    return train_bpe


# --- bigram ----------------------------------------------------------------------------------------

def bigram_column_normalised(ids, vocab_size, alpha=1.0):
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (np.array(ids[:-1]), np.array(ids[1:])), 1.0)
    counts += alpha
    return counts / counts.sum(axis=0, keepdims=True)


def bigram_unsmoothed(ids, vocab_size, alpha=1.0):
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (np.array(ids[:-1]), np.array(ids[1:])), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def bigram_transposed(ids, vocab_size, alpha=1.0):
    return ref.bigram_probs(list(ids)[::-1], vocab_size, alpha)


def loss_log2(P, ids):
    ids = np.array(ids)
    return float(-np.mean(np.log2(P[ids[:-1], ids[1:]])))


def loss_summed(P, ids):
    ids = np.array(ids)
    return float(-np.sum(np.log(P[ids[:-1], ids[1:]])))


def loss_swapped_index(P, ids):
    ids = np.array(ids)
    return float(-np.mean(np.log(P[ids[1:], ids[:-1]])))


# --- softmax and sampling ---------------------------------------------------------------------------

def softmax_wrong_axis(logits, temperature=1.0):
    return torch.softmax(logits / temperature, dim=0)


def softmax_temperature_after(logits, temperature=1.0):
    return torch.softmax(logits, dim=-1) / temperature


def softmax_unstable(logits, temperature=1.0):
    e = torch.exp(logits / temperature)
    return e / e.sum(-1, keepdim=True)


def top_k_keeps_k_plus_one(logits, k):
    return ref.top_k_filter(logits, min(k + 1, len(logits)))


def top_k_smallest(logits, k):
    out = logits.clone()
    out[torch.argsort(logits)[k:]] = float("-inf")
    return out


def top_k_zeroes(logits, k):
    out = ref.top_k_filter(logits, k)
    return torch.where(torch.isinf(out), torch.zeros_like(out), out)


def sample_variant(mistake):
    def sample_token(logits, temperature=1.0, top_k=None, generator=None):
        logits = torch.as_tensor(logits, dtype=torch.float64)
        if temperature == 0 and mistake != "no_greedy":
            return int(torch.argmax(logits))
        if top_k is not None and mistake != "ignore_top_k":
            logits = ref.top_k_filter(logits, min(top_k + 1, len(logits)) if mistake == "k_plus_one" else top_k)
        if mistake == "after_softmax":
            probs = torch.softmax(logits, -1) / temperature
        elif mistake == "multiply":
            probs = torch.softmax(logits * temperature, -1)
        elif mistake == "no_greedy":
            probs = torch.softmax(logits / temperature if temperature else logits, -1)
        else:
            probs = torch.softmax(logits / temperature, -1)
        if mistake == "argmax_of_probs_sampled_twice":
            torch.multinomial(probs, 1, generator=generator)
        return int(torch.multinomial(probs, 1, generator=generator))
    return sample_token


def sample_unseeded(logits, temperature=1.0, top_k=None, generator=None):
    return ref.sample_token(logits, temperature, top_k, None)


# --- attention ------------------------------------------------------------------------------------

def attention_no_mask(q, k, v):
    pattern = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return pattern @ v, pattern


def attention_sees_future(q, k, v):     # tril instead of triu: masks the past, keeps the future
    T = q.shape[-2]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1)
    pattern = torch.softmax((q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(mask, -math.inf), -1)
    return pattern @ v, pattern


def attention_unscaled(q, k, v):
    T = q.shape[-2]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    pattern = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(mask, -math.inf), -1)
    return pattern @ v, pattern


def attention_softmax_over_queries(q, k, v):
    T = q.shape[-2]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(mask, -math.inf)
    pattern = torch.nan_to_num(torch.softmax(scores, dim=-2))
    return pattern @ v, pattern


def mha_variant(mistake):
    def multi_head_attention(x, W_Q, W_K, W_V, W_O, n_heads):
        B, T, D = x.shape
        dh = D // n_heads
        q, k, v = (x @ W for W in (W_Q, W_K, W_V))
        if mistake == "bad_split":
            heads = [y.reshape(B, n_heads, T, dh) for y in (q, k, v)]
        else:
            heads = [y.view(B, T, n_heads, dh).transpose(1, 2) for y in (q, k, v)]
        scale = 1 / math.sqrt(D) if mistake == "d_model_scale" else None
        out = F.scaled_dot_product_attention(*heads, is_causal=mistake != "no_mask", scale=scale)
        out = out.reshape(B, T, D) if mistake == "bad_split" else out.transpose(1, 2).reshape(B, T, D)
        return out if mistake == "no_W_O" else out @ W_O
    return multi_head_attention


# --- TinyGPT parts ----------------------------------------------------------------------------------

def block_post_ln(block, x):
    x = block.ln1(x + block.attn(x))
    return block.ln2(x + block.mlp(x))


def block_no_residual(block, x):
    return block.mlp(block.ln2(block.attn(block.ln1(x))))


def block_parallel(block, x):
    return x + block.attn(block.ln1(x)) + block.mlp(block.ln2(x))


def gpt_no_final_ln(model, tokens):
    x = ref.embed(tokens, model.W_E, model.W_pos)
    for block in model.blocks:
        x = block(x)
    return x @ model.W_U


def gpt_first_block_only(model, tokens):
    return model.ln_final(model.blocks[0](ref.embed(tokens, model.W_E, model.W_pos))) @ model.W_U


def gpt_tied(model, tokens):
    x = ref.embed(tokens, model.W_E, model.W_pos)
    for block in model.blocks:
        x = block(x)
    return model.ln_final(x) @ model.W_E.T


def fit_linear_space(sizes, losses):
    slope, intercept = np.polyfit(sizes, losses, 1)
    return float(intercept), float(-slope)


MUTANTS = {
    "05.count_pairs": [
        (count_pairs_non_overlapping, "overlapping"),
        (count_pairs_presence, "not just whether"),
        count_pairs_wraps_around,
    ],
    "05.merge_pair": [
        (merge_first_only, "not only the first"),
        merge_from_the_right,
        merge_by_string_replace,
    ],
    "05.train_bpe": [
        (bpe_loop(tie="first"), "picks the first pair seen"),
        (bpe_loop(tie="largest"), "smallest"),
        (bpe_loop(stop_early=False), "occurs only once"),
        (bpe_loop(recount=False), "recount"),
    ],
    "05.bigram_probs": [
        (bigram_column_normalised, "normalise each row"),
        (bigram_unsmoothed, "add alpha"),
        bigram_transposed,
    ],
    "05.bigram_loss": [
        (loss_log2, "natural log"),
        (loss_summed, "average"),
        (loss_swapped_index, "P[current, next]"),
    ],
    "05.softmax_with_temperature": [
        (softmax_wrong_axis, "last axis"),
        (softmax_temperature_after, "before* the softmax"),
        (softmax_unstable, "subtract the max"),
    ],
    "05.top_k_filter": [
        (top_k_keeps_k_plus_one, "one too many"),
        (top_k_smallest, "largest"),
        (top_k_zeroes, "-inf"),
    ],
    "05.sample_token": [
        (sample_variant("after_softmax"), "before the softmax"),
        (sample_variant("k_plus_one"), "k + 1"),
        (sample_variant("multiply"), "don't multiply"),
        sample_variant("no_greedy"),
        sample_variant("argmax_of_probs_sampled_twice"),
        sample_unseeded,
    ],
    "05.causal_attention": [
        (attention_no_mask, "mask the scores"),
        (attention_sees_future, "mask the scores"),
        (attention_unscaled, "1/sqrt(d)"),
        (attention_softmax_over_queries, "last axis"),
    ],
    "05.multi_head_attention": [
        (mha_variant("bad_split"), "transpose(1, 2)"),
        (mha_variant("no_mask"), "causal mask"),
        (mha_variant("no_W_O"), "W_O"),
        (mha_variant("d_model_scale"), "d_head"),
    ],
    "05.embed": [
        (lambda tokens, W_E, W_pos: W_E[tokens], "W_pos[:T]"),
        (lambda tokens, W_E, W_pos: W_E[tokens] + W_pos[tokens], "indexed by position"),
    ],
    "05.transformer_block": [
        (block_post_ln, "pre-LayerNorm"),
        (block_no_residual, "residual"),
        (block_parallel, "sequential"),
    ],
    "05.gpt_forward": [
        (gpt_no_final_ln, "ln_final"),
        (gpt_first_block_only, "every block"),
        (gpt_tied, "W_U"),
    ],
    "05.fit_power_law": [
        (lambda sizes, losses: ref.fit_power_law(sizes, losses)[::-1], None),
        (lambda sizes, losses: (ref.fit_power_law(sizes, losses)[0], -ref.fit_power_law(sizes, losses)[1]), "minus the slope"),
        (lambda sizes, losses: (math.log(ref.fit_power_law(sizes, losses)[0]), ref.fit_power_law(sizes, losses)[1]), "exp(intercept)"),
        fit_linear_space,
    ],
}

ALTERNATIVES = {}
UNVARIED = {}

globals().update(contract_tests(MUTANTS, ALTERNATIVES, UNVARIED))


def test_wrong_types_get_a_sentence():
    verdict = run_check(exercises.get("05.causal_attention"), lambda q, k, v: q @ k.transpose(-2, -1))
    assert verdict.status == "failed" and "pair" in verdict.message
    verdict = run_check(exercises.get("05.train_bpe"), lambda text, n: "ab")
    assert verdict.status == "failed" and "list of merges" in verdict.message
    verdict = run_check(exercises.get("05.bigram_probs"), lambda ids, V, alpha=1.0: np.zeros(V))
    assert verdict.status == "failed" and "shape" in verdict.message
