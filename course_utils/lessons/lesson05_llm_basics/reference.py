"""Reference solutions for lesson 05 (LLM basics); checkers and fallbacks use them."""
import math

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
