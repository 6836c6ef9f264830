"""Reference solutions for lesson 05 (LLM basics); checkers and fallbacks use them."""
import math
import re

import numpy as np
import torch
from torch.nn import functional as F

from ... import tokenizers


# --- byte-pair encoding -------------------------------------------------------------------------

def count_pairs(tokens):
    """A dict {(left, right): count} of adjacent pairs in the list of strings ``tokens`` (overlaps count)."""
    return dict(tokenizers.count_pairs(tokens))


def merge_pair(tokens, pair):
    """``tokens`` with each occurrence of ``pair`` (scanned left to right, no overlaps) joined into one string."""
    return tokenizers.merge_pair(list(tokens), tuple(pair))


def train_bpe(text, n_merges):
    """Up to ``n_merges`` merges learned on ``text``: most frequent pair first, ties to the smallest pair;
    stop early when no pair occurs at least twice."""
    return tokenizers.train_bpe(text, n_merges)


# --- byte-level BPE with a pre-split (GPT-2) -------------------------------------------------------

# GPT-2's pre-split ("Language Models are Unsupervised Multitask Learners", Radford et al., 2019; its encoder.py
# uses 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ with the third-party `regex`
# module). Python's `re` has no \p{L}, so letters are [^\W\d_] and digits \d; every character is matched by
# one of the alternatives, so the chunks always join back into the text.
SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""


def pretokenize(text):
    """GPT-2-style chunks of ``text``: words with their leading space, numbers, punctuation runs, spaces."""
    return re.findall(SPLIT_PATTERN, text)


def merge_ids(ids, pair, new_id):
    """``ids`` with each occurrence of ``pair`` (left to right, no overlaps) replaced by ``new_id``."""
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def byte_bpe_encode(text, merges):
    """Token ids of ``text``: pre-split, UTF-8 bytes of each chunk, then merge i (a pair of ids) -> id 256 + i,
    in order, inside each chunk only."""
    ids = []
    for chunk in pretokenize(text):
        chunk_ids = list(chunk.encode("utf-8"))
        for i, pair in enumerate(merges):
            chunk_ids = merge_ids(chunk_ids, tuple(pair), 256 + i)
        ids.extend(chunk_ids)
    return ids


def train_byte_bpe(text, n_merges):
    """Up to ``n_merges`` byte-level merges (pairs of ids; merge i makes id 256 + i) learned inside the chunks
    of ``text``: most frequent pair first, ties to the smallest pair, stop when no pair occurs twice."""
    from collections import Counter

    chunks = Counter(pretokenize(text))
    words = {chunk: list(chunk.encode("utf-8")) for chunk in chunks}
    merges = []
    for i in range(n_merges):
        counts = Counter()
        for chunk, ids in words.items():
            for pair in zip(ids, ids[1:]):
                counts[pair] += chunks[chunk]
        if not counts:
            break
        pair = tokenizers.best_pair(counts)
        if counts[pair] < 2:
            break
        merges.append(pair)
        words = {chunk: merge_ids(ids, pair, 256 + i) for chunk, ids in words.items()}
    return merges


def byte_vocab(merges):
    """The bytes of every token id: 0-255 themselves, then one entry per merge."""
    vocab = [bytes([b]) for b in range(256)]
    for left, right in merges:
        vocab.append(vocab[left] + vocab[right])
    return vocab


def byte_bpe_decode(ids, merges):
    """The text of byte-level token ids (invalid UTF-8 would show as the replacement character)."""
    vocab = byte_vocab(merges)
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


# --- counting models ----------------------------------------------------------------------------

def bigram_probs(ids, vocab_size, alpha=1.0):
    """P[i, j] = P(next = j | current = i) from adjacent pairs of ``ids``, with add-alpha smoothing."""
    ids = np.asarray(ids, dtype=int)
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    counts += alpha
    return counts / counts.sum(axis=1, keepdims=True)


def bigram_loss(P, ids):
    """Mean negative log-likelihood (nats) of each next token: mean of -ln P[ids[t], ids[t+1]]."""
    ids = np.asarray(ids, dtype=int)
    return float(-np.mean(np.log(np.asarray(P, dtype=float)[ids[:-1], ids[1:]])))


# --- sampling -------------------------------------------------------------------------------------

def softmax_with_temperature(logits, temperature=1.0):
    """softmax(logits / temperature) over the last axis, computed stably (torch tensor in, tensor out)."""
    scaled = torch.as_tensor(logits, dtype=torch.float64) / temperature
    scaled = scaled - scaled.max(dim=-1, keepdim=True).values
    exp = torch.exp(scaled)
    return exp / exp.sum(dim=-1, keepdim=True)


def top_k_filter(logits, k):
    """A copy of the 1-D ``logits`` where every entry outside the k largest is -inf.

    Logits tied for the k-th place are all kept here; keeping only enough of them for exactly k
    entries (as ``torch.topk``'s indices do) is accepted too.
    """
    logits = torch.as_tensor(logits, dtype=torch.float64).clone()
    kth_largest = torch.topk(logits, k).values[-1]
    logits[logits < kth_largest] = float("-inf")
    return logits


def sample_token(logits, temperature=1.0, top_k=None, generator=None):
    """One token id (a Python int) from 1-D logits.

    temperature == 0: the argmax. Otherwise keep the top_k logits (all when None), take
    probs = softmax(logits / temperature) and draw with
    ``torch.multinomial(probs, num_samples=1, generator=generator)``.
    """
    logits = torch.as_tensor(logits, dtype=torch.float64)
    if temperature == 0:
        return int(torch.argmax(logits))
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    probs = softmax_with_temperature(logits, temperature)
    return int(torch.multinomial(probs, num_samples=1, generator=generator))


def top_p_filter(logits, p):
    """Nucleus filtering (Holtzman et al., 2020): keep the smallest set of the most likely tokens whose
    probabilities sum to at least ``p``; every other logit becomes -inf."""
    logits = torch.as_tensor(logits, dtype=torch.float64)
    probs = torch.softmax(logits, dim=-1)
    order = torch.argsort(probs, descending=True)
    before = torch.cumsum(probs[order], dim=0) - probs[order]    # the probability of the tokens ranked above
    keep = torch.zeros_like(probs, dtype=torch.bool)
    keep[order[before < p]] = True
    return logits.masked_fill(~keep, float("-inf"))


# --- attention ------------------------------------------------------------------------------------

def causal_attention(q, k, v):
    """Scaled dot-product attention with a causal mask.

    q, k, v: tensors of shape (..., T, d). Returns ``(output, pattern)``: output (..., T, d) and
    pattern (..., T, T), where pattern[..., i, j] is how much query i attends to key j (0 for j > i).
    """
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)
    T = q.shape[-2]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    pattern = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
    return pattern @ v, pattern


def multi_head_attention(x, W_Q, W_K, W_V, W_O, n_heads):
    """Causal multi-head self-attention of x (B, T, D) with (D, D) matrices; returns (B, T, D)."""
    B, T, D = x.shape
    d_head = D // n_heads

    def heads(y):
        return y.view(B, T, n_heads, d_head).transpose(1, 2)          # (B, H, T, d_head)

    out, _ = causal_attention(heads(x @ W_Q), heads(x @ W_K), heads(x @ W_V))
    return out.transpose(1, 2).reshape(B, T, D) @ W_O


# --- TinyGPT parts --------------------------------------------------------------------------------

def embed(tokens, W_E, W_pos):
    """Token embeddings plus position embeddings: W_E[tokens] + W_pos[:T] for tokens (B, T)."""
    return W_E[tokens] + W_pos[: tokens.shape[-1]]


def transformer_block(block, x):
    """A pre-LayerNorm block: x + attn(ln1(x)), then that plus mlp(ln2(that))."""
    x = x + block.attn(block.ln1(x))
    return x + block.mlp(block.ln2(x))


def gpt_forward(model, tokens):
    """Logits of a TinyGPT built from its parts: embed, every block, final LayerNorm, then @ W_U."""
    x = embed(tokens, model.W_E, model.W_pos)
    for block in model.blocks:
        x = transformer_block(block, x)
    return model.ln_final(x) @ model.W_U


# --- scaling --------------------------------------------------------------------------------------

def fit_power_law(sizes, losses):
    """(a, alpha) of the least-squares line through (log N, log L): L ≈ a · N^(-alpha)."""
    slope, intercept = np.polyfit(np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(losses, dtype=float)), 1)
    return float(np.exp(intercept)), float(-slope)


def causal_attention_via_torch(q, k, v):
    """The same output from PyTorch's fused kernel (what the checker compares against)."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


# --- post-training --------------------------------------------------------------------------------

def reward_model_loss(r_chosen, r_rejected):
    """The Bradley-Terry loss of a reward model: the mean over pairs of -log sigmoid(r_chosen - r_rejected)."""
    r_chosen, r_rejected = torch.as_tensor(r_chosen), torch.as_tensor(r_rejected)
    return -F.logsigmoid(r_chosen - r_rejected).mean()


def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    """The DPO loss (Rafailov et al., 2023), the mean over pairs of
    -log sigmoid(beta * ((log π(y_w|x) - log π_ref(y_w|x)) - (log π(y_l|x) - log π_ref(y_l|x))))."""
    chosen = torch.as_tensor(policy_chosen_logps) - torch.as_tensor(ref_chosen_logps)
    rejected = torch.as_tensor(policy_rejected_logps) - torch.as_tensor(ref_rejected_logps)
    return -F.logsigmoid(beta * (chosen - rejected)).mean()
