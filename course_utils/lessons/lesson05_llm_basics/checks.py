"""Checkers for lesson 05: LLM basics (tokenizers, bigrams, sampling, attention, TinyGPT, scaling)."""
import functools
import math

import numpy as np
import torch
from torch.nn import functional as F

from ...checking import (CheckFailure, Mistakes, as_array, as_float, call_with_inputs, expect_close, expect_equal,
                         expect_true, gradients)
from ...checking.formatting import to_numpy
from ...exercises import exercise
from .. import LessonInfo
from . import mistakes
from . import reference as ref

LESSON = LessonInfo("05", "llm_basics", "LLM basics", 120,
                    "character, word and BPE tokenizers (BPE trained from scratch; byte-level BPE after GPT-2's "
                    "pre-split), a bigram model, softmax, temperature, top-k and nucleus sampling, causal multi-head "
                    "attention, a TinyGPT built from parts and trained offline, finetuning vs pretraining, a scaling "
                    "law and where it bends, post-training in miniature (SFT, a reward model, DPO)")



PAIR_TEXTS = ["banana", "aaaa", "the cat sat", "abab abab", "x", ""]


def _as_list_of_strings(got, case, what):
    if got is None:
        raise CheckFailure(f"{what} is None: did you forget to `return` it?", case=case, show_values=False)
    if not isinstance(got, (list, tuple)) or not all(isinstance(t, str) for t in got):
        raise CheckFailure(f"{what} should be a list of strings.", case=case, got=got, show_values=False)
    return list(got)


def _as_tensor(got, shape, case, what):
    """The learner's value as a float64 tensor of the expected shape (a sentence otherwise)."""
    array = as_array(got, shape=shape, case=case, what=what)
    return torch.as_tensor(array, dtype=torch.float64)


@exercise("05.count_pairs", points=1, reference=ref.count_pairs, title="count adjacent token pairs",
          mistakes=mistakes.COUNT_PAIRS)
def check_count_pairs(count_pairs):
    for text in PAIR_TEXTS:
        tokens = list(text)
        case = {"tokens": tokens}
        got = count_pairs(tokens)
        if not hasattr(got, "items"):
            raise CheckFailure("count_pairs should return a dict mapping (left, right) pairs to counts.",
                               case=case, got=got, show_values=False)
        got = {tuple(k): int(v) for k, v in got.items() if v}
        expect_equal(got, ref.count_pairs(tokens), case=case, what="the pair counts",
                     mistakes=mistakes.COUNT_PAIRS.answers(tokens),
                     hint="loop over positions i = 0 .. len(tokens) - 2 and count (tokens[i], tokens[i+1])")


@exercise("05.merge_pair", points=1, reference=ref.merge_pair, title="merge one pair everywhere",
          mistakes=mistakes.MERGE_PAIR)
def check_merge_pair(merge_pair):
    cases = [(list("banana"), ("a", "n")), (list("aaaaa"), ("a", "a")), (["th", "e", " ", "th", "e"], ("th", "e")),
             (list("abcabc"), ("c", "a")), (["a", "bc", "ab", "c"], ("ab", "c")), (list("xyz"), ("q", "r")), ([], ("a", "b"))]
    for tokens, pair in cases:
        case = {"tokens": tokens, "pair": pair}
        got = _as_list_of_strings(merge_pair(list(tokens), pair), case, "the merged tokens")
        expect_equal(got, ref.merge_pair(tokens, pair), case=case, what="the merged tokens",
                     mistakes=mistakes.MERGE_PAIR.answers(list(tokens), pair),
                     hint="scan left to right; when tokens[i], tokens[i+1] is the pair, append the joined string "
                          "and skip two places, otherwise append tokens[i] and move one place "
                          "(so 'aaaaa' with ('a', 'a') gives ['aa', 'aa', 'a'])")


@exercise("05.train_bpe", points=2, reference=ref.train_bpe, title="the BPE training loop",
          mistakes=mistakes.TRAIN_BPE)
def check_train_bpe(train_bpe):
    # a tie first: on "aaabdaaabac" taking the first pair seen or the largest pair learns the same wrong merges
    cases = [("ab ba ab ba ", 3), ("aaabdaaabac", 3), ("abcd abcd", 5), ("low lower lowest", 6),
             ("hello hello", 20), ("xyz", 3)]
    for text, n_merges in cases:
        case = {"text": text, "n_merges": n_merges}
        got = train_bpe(text, n_merges)
        if got is None or not isinstance(got, (list, tuple)):
            raise CheckFailure("train_bpe should return a list of merges, each a pair (left, right) of strings.",
                               case=case, got=got, show_values=False)
        try:
            got = [tuple(pair) for pair in got]
        except TypeError:
            raise CheckFailure("each merge should be a pair (left, right) of strings.", case=case, got=got,
                               show_values=False) from None
        expect_equal(got, ref.train_bpe(text, n_merges), case=case, what="the list of merges",
                     mistakes=mistakes.TRAIN_BPE.answers(text, n_merges),
                     hint="repeat n_merges times: count pairs, pick the most frequent (ties: smallest pair), stop if "
                          "it occurs fewer than 2 times, append it, merge it everywhere")


def _byte_cases():
    """(text, merges) pairs: trained merges, a merge that only a missing pre-split could use, UTF-8, overlaps."""
    e, space, a = ord("e"), ord(" "), ord("a")
    trained = ref.train_byte_bpe("the cat sat on the mat. the end, the hat!", 8)
    return [
        ("the cat sat on the mat.", trained),
        ("the end is near", [(e, space), (ord("n"), ord("d"))]),            # "e " spans two chunks: never merged
        ("Zoë's café: €5!", [(195, 171), (ord("Z"), ord("o")), (257, 256)]),  # the two bytes of ë, then "Zo" + "ë"
        ("aaaaa baaa", [(a, a), (256, a)]),                                   # runs: every occurrence, no overlaps
        ("it's  2026, ok", [(ord("'"), ord("s")), (ord("2"), ord("0")), (space, ord("o"))]),
        ("", [(a, ord("b"))]),
    ]


def _as_int_list(got, case, what):
    if got is None:
        raise CheckFailure(f"{what} is None: did you forget to `return` it?", case=case, show_values=False)
    try:
        values = np.asarray(to_numpy(got)).reshape(-1).tolist() if not isinstance(got, (list, tuple)) else list(got)
        values = [int(to_numpy(v)) if hasattr(v, "shape") else v for v in values]
    except (TypeError, ValueError):
        values = None
    if values is None or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise CheckFailure(f"{what} should be a list of int token ids.", case=case, got=got, show_values=False)
    return [int(v) for v in values]


@exercise("05.byte_bpe_encode", points=2, reference=ref.byte_bpe_encode, title="byte-level BPE after GPT-2's pre-split",
          mistakes=mistakes.BYTE_BPE_ENCODE)
def check_byte_bpe_encode(byte_bpe_encode):
    for text, merges in _byte_cases():
        case = {"text": text, "merges": merges}
        got = _as_int_list(byte_bpe_encode(text, [tuple(m) for m in merges]), case, "the token ids")
        expect_equal(got, ref.byte_bpe_encode(text, merges), case=case, what="the token ids",
                     mistakes=mistakes.BYTE_BPE_ENCODE.answers(text, merges),
                     hint="for chunk in re.findall(SPLIT_PATTERN, text): ids = list(chunk.encode('utf-8')); for i, pair "
                          "in enumerate(merges): replace each occurrence of pair in ids by 256 + i; then append the "
                          "chunk's ids")


BIGRAM_CASES = [([0, 1, 2, 1, 0, 1, 2, 2], 3, 1.0), ([0, 0, 0, 1], 2, 0.5), ([3, 1, 2, 0, 3, 3, 1], 4, 1.0),
                ([1, 0, 1, 0, 1], 3, 0.1)]


@exercise("05.bigram_probs", points=1, reference=ref.bigram_probs, title="a count-based bigram model",
          mistakes=mistakes.BIGRAM_PROBS)
def check_bigram_probs(bigram_probs):
    for ids, vocab_size, alpha in BIGRAM_CASES:
        case = {"ids": ids, "vocab_size": vocab_size, "alpha": alpha}
        got = as_array(bigram_probs(list(ids), vocab_size, alpha), shape=(vocab_size, vocab_size), case=case,
                       what="the bigram matrix P")
        expect_close(got, ref.bigram_probs(ids, vocab_size, alpha), case=case, what="the bigram matrix P", rtol=1e-6,
                     mistakes=mistakes.BIGRAM_PROBS.answers(list(ids), vocab_size, alpha),
                     hint="count C[ids[t], ids[t+1]] += 1, add alpha to every entry, divide each row by its sum")


@exercise("05.bigram_loss", points=1, reference=ref.bigram_loss, title="the loss of a bigram model",
          mistakes=mistakes.BIGRAM_LOSS)
def check_bigram_loss(bigram_loss):
    for ids, vocab_size, alpha in BIGRAM_CASES:
        P = ref.bigram_probs(ids, vocab_size, alpha)
        case = {"P": P, "ids": ids}
        expect_close(as_float(bigram_loss(P.copy(), list(ids)), case=case, what="the loss"),
                     ref.bigram_loss(P, ids), case=case, what="the loss", rtol=1e-6,
                     mistakes=mistakes.BIGRAM_LOSS.answers(P, list(ids)),
                     hint="loss = mean over t of -ln P[ids[t], ids[t+1]]")


SOFTMAX_CASES = [(torch.tensor([1.0, 2.0, 3.0]), 1.0), (torch.tensor([1.0, 2.0, 3.0]), 0.5),
                 (torch.tensor([[2.0, 0.0, -1.0, 0.5], [0.1, 0.2, 0.3, 0.4]]), 2.0),
                 (torch.tensor([[0.0, 1.0], [3.0, -3.0], [1.0, 1.0]]), 0.7),
                 (torch.tensor([1000.0, 999.0, 998.0]), 1.0),
                 (torch.tensor([[3.0, 1.0, 2.5], [-2.0, 0.5, 0.0]]), 0.02)]   # logits / T up to 150: exp overflows

def _finite(value):
    try:
        return bool(np.all(np.isfinite(as_array(value))))
    except CheckFailure:
        return True


def _overflow_hint(got, mistaken, general):
    """No answer matches one with nan or inf, so such an answer is named by a mistake that overflows here too."""
    if _finite(got):
        return general
    return next((hint for hint, answer in mistaken.items() if not _finite(answer)), general)


@exercise("05.softmax_with_temperature", points=1, reference=ref.softmax_with_temperature,
          title="softmax with a temperature", mistakes=mistakes.SOFTMAX_WITH_TEMPERATURE)
def check_softmax_with_temperature(softmax_with_temperature):
    for logits, temperature in SOFTMAX_CASES:
        case = {"logits": logits, "temperature": temperature}
        got = softmax_with_temperature(logits.clone(), temperature)
        mistaken = mistakes.SOFTMAX_WITH_TEMPERATURE.answers(logits.clone(), temperature)
        expect_close(got, ref.softmax_with_temperature(logits, temperature), case=case, what="the probabilities",
                     rtol=1e-5, atol=1e-7, mistakes=mistaken, hint=_overflow_hint(got, mistaken, "p = exp(z / T) / sum(exp(z / T)) over the last axis"))


def top_k_problem(got, logits, k):
    """None when ``got`` (an array) is a valid top-k filter of the 1-D ``logits``; otherwise what is wrong.

    Entries above the k-th largest value are kept, entries below it become -inf. When several logits
    tie for the k-th place, keeping all of them and keeping only enough of them for exactly k entries
    are both valid (``logits < kth`` does the first, ``torch.topk`` indices the second).
    """
    logits = np.asarray(to_numpy(logits), dtype=float)
    kth = np.sort(logits)[::-1][k - 1]
    removed = np.isneginf(got)
    if np.any(~removed & (got != logits)):
        return "the entries you keep should be the original logits, unchanged, and the others float('-inf')"
    if np.any(removed & (logits > kth)) or np.any(~removed & (logits < kth)):
        return "the kept entries should be the k largest logits"
    tied, tied_kept = int(np.sum(logits == kth)), int(np.sum(~removed & (logits == kth)))
    if tied_kept not in (tied, k - int(np.sum(logits > kth))):
        if tied == 1:
            return "the k-th largest logit itself should be kept too"
        return (f"{tied_kept} of the {tied} logits tied for the k-th place are kept: keep all of them, or just "
                f"enough of them to keep exactly k")
    return None


TOP_K_CASES = [(torch.tensor([0.5, 2.0, -1.0, 1.5, 0.0]), 2), (torch.tensor([3.0, 1.0, 2.0]), 1),
               (torch.tensor([0.1, 0.4, 0.3, 0.2]), 4), (torch.tensor([-2.0, -1.0, -3.0, 5.0, 4.0, 0.0]), 3),
               # ties: at the k-th place (keep all of them or exactly k), above it, and below it
               (torch.tensor([1.0, 2.0, 2.0, 3.0, 0.0, 2.0]), 2), (torch.tensor([2.0, 2.0, 1.0, 1.0, 0.0, 1.0]), 3),
               (torch.tensor([5.0, 0.0, 5.0, 0.0, -1.0]), 2), (torch.tensor([1.0, 1.0, 1.0, 1.0]), 3)]


@exercise("05.top_k_filter", points=1, reference=ref.top_k_filter, title="top-k filtering",
          mistakes=mistakes.TOP_K_FILTER)
def check_top_k_filter(top_k_filter):
    for logits, k in TOP_K_CASES:
        case = {"logits": logits, "k": k}
        got = as_array(top_k_filter(logits.clone(), k), shape=tuple(logits.shape), case=case, what="the filtered logits")
        problem = top_k_problem(got, logits, k)
        if problem is None:
            continue
        want = ref.top_k_filter(logits, k).numpy()
        kept = int(np.isfinite(got).sum())
        # a mistake names the answer only where it is wrong itself (a tie can make it a valid filter)
        matched = next((hint for hint, answer in mistakes.TOP_K_FILTER.answers(logits.clone(), k).items()
                        if top_k_problem(np.asarray(answer, dtype=float), logits, k)
                        and np.array_equal(np.asarray(answer), got)), None)
        raise CheckFailure(f"Unexpected filtered logits ({kept} finite entries, k = {k}): {problem}.",
                           case=case, expected=torch.as_tensor(want), got=torch.as_tensor(got),
                           hint=matched or "find the k-th largest value with torch.topk and set every logit "
                                           "below it to float('-inf')")


def nucleus_problem(got, logits, p):
    """None when ``got`` (an array) is the nucleus filter of ``logits`` at ``p``; otherwise what is wrong."""
    want = ref.top_p_filter(logits, p).numpy()
    logits = np.asarray(to_numpy(logits), dtype=float)
    removed = np.isneginf(got)
    if np.any(~removed & (got != logits)):
        return "the entries you keep should be the original logits, unchanged, and the others float('-inf')"
    if np.array_equal(removed, np.isneginf(want)):
        return None
    return f"you kept {int((~removed).sum())} tokens; the nucleus at p = {p} has {int(np.isfinite(want).sum())}"


TOP_P_CASES = [(torch.tensor([2.0, 1.0, 0.5, -1.0, 0.0]), 0.8), (torch.tensor([2.0, 1.0, 0.5, -1.0, 0.0]), 0.5),
               (torch.tensor([0.1, 3.0, 0.2, 0.0]), 0.9), (torch.tensor([0.1, 3.0, 0.2, 0.0]), 0.3),
               (torch.tensor([1.0, 1.1, 0.9, 1.2, 0.8, 1.3]), 0.6),     # flat: the nucleus is wide
               (torch.tensor([-2.0, 4.0, 3.5, 1.0, -1.0, 0.5, 2.0]), 0.95)]


@exercise("05.top_p_filter", points=1, reference=ref.top_p_filter, title="nucleus (top-p) filtering",
          mistakes=mistakes.TOP_P_FILTER)
def check_top_p_filter(top_p_filter):
    for logits, p in TOP_P_CASES:
        case = {"logits": logits, "p": p}
        got = as_array(top_p_filter(logits.clone(), p), shape=tuple(logits.shape), case=case, what="the filtered logits")
        problem = nucleus_problem(got, logits, p)
        if problem is None:
            continue
        matched = next((hint for hint, answer in mistakes.TOP_P_FILTER.answers(logits.clone(), p).items()
                        if np.array_equal(np.asarray(answer, dtype=float), got)), None)
        raise CheckFailure(f"Unexpected filtered logits: {problem}.", case=case,
                           expected=ref.top_p_filter(logits, p), got=torch.as_tensor(got),
                           hint=matched or "probs = softmax(logits); sort them in decreasing order; keep a token when "
                                           "the probabilities ranked above it sum to less than p; set the rest to -inf")


SAMPLING_CASES = [  # (logits, temperature, top_k, seed)
    (torch.tensor([1.0, 2.0, 0.5, -1.0, 1.5]), 1.0, None, 0),
    (torch.tensor([1.0, 2.0, 0.5, -1.0, 1.5]), 0.5, None, 1),
    (torch.tensor([1.0, 2.0, 0.5, -1.0, 1.5]), 2.0, None, 2),
    (torch.tensor([1.0, 2.0, 0.5, -1.0, 1.5]), 1.0, 2, 3),
    (torch.tensor([0.2, 0.1, 0.4, 0.3, 0.0, 0.35]), 1.5, 3, 4),
    (torch.tensor([1.0, 2.0, 0.5, -1.0, 1.5]), 0, None, 5),
    # ties: greedy may return any index of a largest logit; top-k ties only away from the k-th place
    (torch.tensor([2.0, 0.5, 2.0, 1.0, 2.0]), 0, None, 6),
    (torch.tensor([1.0, 3.0, 1.0, 3.0, 0.0, 1.0]), 1.0, 2, 7),
    (torch.tensor([0.5, 0.5, 1.0, 1.0, 0.0]), 0.8, 4, 8),
]


def _draws(function, logits, temperature, top_k, seed, n=12):
    """n calls, call i with its own generator seeded 1000·seed + i (each call's draw is reproducible)."""
    return [function(logits, temperature, top_k, torch.Generator().manual_seed(1000 * seed + i)) for i in range(n)]


def greedy_choices(logits):
    """The indices of the largest logit (several when it is tied): each is a right greedy answer."""
    logits = torch.as_tensor(logits)
    return [int(i) for i in torch.nonzero(logits == logits.max()).flatten()]


# each declared sampling mistake called as the check calls the learner's function: 12 seeded draws
SAMPLING_MISTAKES_DRAWN = Mistakes({hint: functools.partial(_draws, implementation)
                                   for hint, implementation in mistakes.SAMPLE_TOKEN})


@exercise("05.sample_token", points=2, reference=ref.sample_token, title="greedy, temperature and top-k sampling",
          mistakes=mistakes.SAMPLE_TOKEN)
def check_sample_token(sample_token):
    for logits, temperature, top_k, seed in SAMPLING_CASES:
        case = {"logits": logits, "temperature": temperature, "top_k": top_k,
                "generator": f"12 calls, call i with torch.Generator().manual_seed({1000 * seed} + i)"}
        got = _draws(sample_token, logits, temperature, top_k, seed)
        for value in got:
            if not isinstance(value, (int, np.integer)) and not (torch.is_tensor(value) and value.numel() == 1):
                raise CheckFailure("sample_token should return one token id as a Python int.", case=case, got=value,
                                   show_values=False)
        got = [int(v) for v in got]
        want = _draws(ref.sample_token, logits, temperature, top_k, seed)
        if got == want or (temperature == 0 and all(v in greedy_choices(logits) for v in got)):
            continue    # temperature 0: any index of a largest logit is right
        expect_equal(got, want, case=case, what="the seeded draws",
                     mistakes=SAMPLING_MISTAKES_DRAWN.answers(logits, temperature, top_k, seed),
                     hint=("temperature 0 means greedy: return the index of the largest logit" if temperature == 0 else
                           "filter to the top k, then probs = softmax(logits / temperature), then "
                           "torch.multinomial(probs, num_samples=1, generator=generator) exactly once per call"))


def _attention_inputs(seed, shape):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator, dtype=torch.float64) for _ in range(3)]


@exercise("05.causal_attention", points=2, reference=ref.causal_attention, title="causal scaled dot-product attention",
          mistakes=mistakes.CAUSAL_ATTENTION)
def check_causal_attention(causal_attention):
    for seed, shape in ((0, (4, 3)), (1, (6, 8)), (2, (2, 5, 4)), (3, (2, 3, 7, 16))):
        q, k, v = _attention_inputs(seed, shape)
        case = {"q, k, v shape": shape, "seed": seed}
        got = causal_attention(q.clone(), k.clone(), v.clone())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailure("causal_attention should return a pair (output, pattern).", case=case, got=got,
                               show_values=False)
        T = shape[-2]
        pattern = _as_tensor(got[1], shape[:-1] + (T,), case, "the attention pattern")
        expect_true(bool(torch.all(torch.triu(pattern, diagonal=1).abs() < 1e-9)),
                    "the pattern gives weight to future positions (pattern[i, j] > 0 for some j > i).", case=case,
                    hint="mask the scores where key j > query i with -inf *before* the softmax "
                         "(torch.triu(..., diagonal=1) marks those places)")
        mistaken_patterns = mistakes.CAUSAL_ATTENTION.answers(q, k, v).map(lambda answer: answer[1])
        expect_close(pattern.sum(-1), torch.ones(shape[:-1], dtype=torch.float64), case=case, atol=1e-6,
                     what="each query's row of the pattern, summed",
                     mistakes=mistaken_patterns.map(lambda mistaken: mistaken.sum(-1)),
                     hint="the softmax goes over the keys (the last axis), so each query's weights sum to 1")
        expect_close(pattern, ref.causal_attention(q, k, v)[1], case=case, what="the attention pattern", atol=1e-7,
                     mistakes=mistaken_patterns,
                     hint="pattern = softmax(q kᵀ / sqrt(d) with future positions set to -inf) over the last axis")
        expect_close(got[0], F.scaled_dot_product_attention(q, k, v, is_causal=True), case=case,
                     what="the output (compared with torch's scaled_dot_product_attention)", atol=1e-7,
                     hint="output = pattern @ v")


def _mha_case(seed, B, T, D):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=generator, dtype=torch.float64)
    Ws = [torch.randn(D, D, generator=generator, dtype=torch.float64) / math.sqrt(D) for _ in range(4)]
    return x, Ws


@exercise("05.multi_head_attention", points=2, reference=ref.multi_head_attention, title="multi-head attention",
          mistakes=mistakes.MULTI_HEAD_ATTENTION)
def check_multi_head_attention(multi_head_attention):
    for seed, (B, T, D, H) in enumerate(((1, 4, 8, 2), (2, 6, 12, 3), (2, 5, 16, 4), (1, 3, 6, 1))):
        x, (W_Q, W_K, W_V, W_O) = _mha_case(seed, B, T, D)
        case = {"x shape": (B, T, D), "n_heads": H, "seed": seed}
        got = multi_head_attention(x.clone(), W_Q.clone(), W_K.clone(), W_V.clone(), W_O.clone(), H)
        expect_close(got, ref.multi_head_attention(x, W_Q, W_K, W_V, W_O, H), case=case, what="the attention output",
                     atol=1e-7, mistakes=mistakes.MULTI_HEAD_ATTENTION.answers(x, W_Q, W_K, W_V, W_O, H),
                     hint="q = x @ W_Q (same for k, v), split into heads, causal attention per head, "
                          "merge heads back to (B, T, D), then @ W_O")


def _tiny_model(seed=0, **sizes):
    from ...models.tinygpt import TinyGPT, TinyGPTConfig

    config = TinyGPTConfig(**dict(dict(vocab_size=11, n_ctx=12, d_model=16, n_heads=2, n_layers=2, d_mlp=32), **sizes))
    model = TinyGPT(config, seed=seed)
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():      # larger, non-trivial weights so that every part visibly matters
        for name, parameter in model.named_parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * (0.3 if "W_" in name else 0.2))
    return model.eval()


def _tokens(seed, batch, seq, vocab):
    return torch.randint(0, vocab, (batch, seq), generator=torch.Generator().manual_seed(seed))


@exercise("05.embed", points=1, reference=ref.embed, title="token and position embeddings", mistakes=mistakes.EMBED)
def check_embed(embed):
    model = _tiny_model(1)
    generator = torch.Generator().manual_seed(11)
    # a second pair of tables with other sizes (vocabulary 7, context 9, width 6): nothing may be hard-coded
    other_W_E, other_W_pos = torch.randn(7, 6, generator=generator), torch.randn(9, 6, generator=generator)
    tables = [(model.W_E.detach(), model.W_pos.detach())] * 3 + [(other_W_E, other_W_pos)] * 2
    for seed, ((batch, seq), (W_E, W_pos)) in enumerate(zip(((1, 5), (3, 8), (2, 1), (2, 4), (1, 9)), tables)):
        tokens = _tokens(seed, batch, seq, W_E.shape[0])
        case = {"tokens": tokens, "W_E shape": tuple(W_E.shape), "W_pos shape": tuple(W_pos.shape)}
        with torch.no_grad():
            got = embed(tokens.clone(), W_E.clone(), W_pos.clone())
            expect_close(got, ref.embed(tokens, W_E, W_pos), case=case, what="the embeddings", atol=1e-6,
                         mistakes=mistakes.EMBED.answers(tokens, W_E, W_pos),
                         hint="W_E[tokens] has shape (B, T, d_model); add W_pos[:T], which broadcasts over the batch")


@exercise("05.transformer_block", points=2, reference=ref.transformer_block, title="a pre-LayerNorm transformer block",
          mistakes=mistakes.TRANSFORMER_BLOCK)
def check_transformer_block(transformer_block):
    model, other = _tiny_model(2), _tiny_model(4, d_model=12, n_heads=3, d_mlp=20, n_layers=1)
    generator = torch.Generator().manual_seed(7)
    blocks = [(model.blocks[0], "model.blocks[0] of a small random TinyGPT (d_model 16, 2 heads)"),
              (model.blocks[1], "model.blocks[1] of the same TinyGPT"),
              (other.blocks[0], "the block of another random TinyGPT (d_model 12, 3 heads)")]
    for (batch, seq), (block, name) in zip(((1, 4), (2, 7), (2, 5)), blocks):
        d_model = block.ln1.w.shape[0]
        x = torch.randn(batch, seq, d_model, generator=generator) * 2
        case = {"x shape": (batch, seq, d_model), "block": name}
        with torch.no_grad():
            got = transformer_block(block, x.clone())
            expect_close(got, ref.transformer_block(block, x), case=case, what="the block's output", rtol=1e-4,
                         atol=1e-5, mistakes=mistakes.TRANSFORMER_BLOCK.answers(block, x),
                         hint="x = x + block.attn(block.ln1(x)); then x = x + block.mlp(block.ln2(x))")


@exercise("05.gpt_forward", points=1, reference=ref.gpt_forward, title="TinyGPT assembled from its parts",
          mistakes=mistakes.GPT_FORWARD)
def check_gpt_forward(gpt_forward):
    models = [(_tiny_model(3), "a small random TinyGPT (2 blocks)"),
              (_tiny_model(5, vocab_size=9, n_ctx=10, d_model=12, n_heads=3, d_mlp=24, n_layers=3),
               "another random TinyGPT (3 blocks, d_model 12, vocabulary 9)")]
    for seed, ((batch, seq), (model, name)) in enumerate(zip(((1, 6), (2, 8), (2, 10)), models + models[1:])):
        tokens = _tokens(seed + 10, batch, seq, model.config.vocab_size)
        case = {"tokens": tokens, "model": name}
        with torch.no_grad():
            got = gpt_forward(model, tokens.clone())
            expect_close(got, model(tokens), case=case, what="the logits", rtol=1e-4, atol=1e-5,
                         mistakes=mistakes.GPT_FORWARD.answers(model, tokens),
                         hint="embed, then x = block(x) for each block, then model.ln_final(x) @ model.W_U")


def as_pair(got, case=None):
    """(a, alpha) from a tuple or list, or from an array or tensor of two numbers (a sentence otherwise)."""
    if hasattr(got, "shape") and not isinstance(got, (tuple, list)) and np.size(to_numpy(got)) == 2:
        got = list(np.asarray(to_numpy(got)).reshape(2))
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure("fit_power_law should return a pair (a, alpha).", case=case, got=got, show_values=False)
    return got


@exercise("05.fit_power_law", points=1, reference=ref.fit_power_law, title="fit a power law on log-log axes",
          mistakes=mistakes.FIT_POWER_LAW)
def check_fit_power_law(fit_power_law):
    cases = [(np.array([1e3, 1e4, 1e5, 1e6]), 3.0, 0.1, None),
             (np.array([200.0, 800.0, 3200.0, 12800.0, 51200.0]), 12.0, 0.25, None),
             (np.array([10.0, 30.0, 100.0, 300.0, 1000.0]), 2.0, 0.07, 3)]
    for sizes, a, alpha, seed in cases:
        losses = a * sizes ** -alpha
        if seed is not None:   # noisy data: the least-squares fit in log space is the answer
            losses = losses * np.exp(np.random.default_rng(seed).normal(0, 0.02, len(sizes)))
        case = {"sizes": sizes, "losses": np.round(losses, 4)}
        got = as_pair(fit_power_law(sizes.copy(), losses.copy()), case=case)
        expect_close([as_float(got[0], case=case, what="a"), as_float(got[1], case=case, what="alpha")],
                     ref.fit_power_law(sizes, losses), case=case, what="(a, alpha)", rtol=1e-4,
                     mistakes=mistakes.FIT_POWER_LAW.answers(sizes, losses),
                     hint="fit a straight line to (ln N, ln L) with np.polyfit(..., 1): "
                          "slope = -alpha, intercept = ln a")


# --- post-training --------------------------------------------------------------------------------

def loss_call(loss_fn, tensors, extra=(), n_leaves=None):
    """``(loss, leaves)``: ``loss_fn(*tensors, *extra)`` with the first ``n_leaves`` tensors requiring grad.

    ``leaves`` are the copies the (wrapped) function received, so ``gradients(loss, leaves)`` is what training sees.
    """
    n_leaves = len(tensors) if n_leaves is None else n_leaves
    inputs = [torch.as_tensor(t).detach().clone().requires_grad_(i < n_leaves) for i, t in enumerate(tensors)]
    value, args, _ = call_with_inputs(loss_fn, *inputs, *extra)
    return value, list(args[:n_leaves])


def _grads_of(loss_fn, n_leaves):
    """``loss_fn``'s gradients with respect to its first ``n_leaves`` arguments, as a function of all of them."""
    def gradients_of_loss(*args):
        leaves = [torch.as_tensor(a).detach().clone().requires_grad_(True) for a in args[:n_leaves]]
        value = loss_fn(*leaves, *args[n_leaves:])
        return torch.autograd.grad(value, leaves, allow_unused=True, materialize_grads=True)

    return gradients_of_loss


def _check_loss(loss_fn, reference, declared, tensors, extra, n_leaves, case, hint, names):
    """Compare a loss's value and its gradients with respect to the first ``n_leaves`` inputs."""
    got, leaves = loss_call(loss_fn, tensors, extra, n_leaves)
    expected = reference(*tensors, *extra)
    mistaken = declared.answers(*tensors, *extra)
    if got is None:
        raise CheckFailure("the loss is None: did you forget to `return` it?", case=case, show_values=False)
    value = got.detach() if torch.is_tensor(got) else got
    expect_close(value, expected, case=case, what="the loss", rtol=1e-6, mistakes=mistaken,
                 hint=_overflow_hint(value, mistaken, hint))
    grads = gradients(got, leaves, case=case, what="the loss")
    want = _grads_of(reference, n_leaves)(*tensors, *extra)
    mistaken_grads = Mistakes({h: _grads_of(f, n_leaves) for h, f in declared}).answers(*tensors, *extra)
    for index, (name, g, w) in enumerate(zip(names, grads, want)):
        expect_close(g, w, case=case, rtol=1e-6, atol=1e-10, what=f"the gradient of the loss with respect to {name}",
                     mistakes=mistaken_grads.map(lambda answer, index=index: answer[index]),
                     hint="the value is right but its gradient is not: keep the loss a torch computation on its "
                          "inputs (no .item(), .detach(), float() or numpy)")


def _rewards(seed, n, scale=2.0, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=generator, dtype=torch.float64).mul(scale).to(dtype)


REWARD_CASES = [(_rewards(0, 5), _rewards(1, 5)), (_rewards(2, 1), _rewards(3, 1)),
                (_rewards(4, 8, 5.0), _rewards(5, 8, 1.0)),
                # float32 rewards 120 apart: σ(-120) underflows to 0 in float32, log σ does not
                (torch.tensor([-60.0, 2.0, 0.5], dtype=torch.float32), torch.tensor([60.0, -1.0, 0.5], dtype=torch.float32))]


@exercise("05.reward_model_loss", points=1, reference=ref.reward_model_loss, title="the reward model's pairwise loss",
          mistakes=mistakes.REWARD_MODEL_LOSS)
def check_reward_model_loss(reward_model_loss):
    for r_chosen, r_rejected in REWARD_CASES:
        case = {"r_chosen": r_chosen, "r_rejected": r_rejected}
        _check_loss(reward_model_loss, ref.reward_model_loss, mistakes.REWARD_MODEL_LOSS, (r_chosen, r_rejected), (),
                    2, case, "loss = -F.logsigmoid(r_chosen - r_rejected).mean()", ("r_chosen", "r_rejected"))


def _logps(seed, n, low=-40.0, high=-2.0):
    generator = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


DPO_CASES = [
    ((_logps(10, 4), _logps(11, 4), _logps(12, 4), _logps(13, 4)), 0.1),
    ((_logps(14, 6, -8.0, -0.5), _logps(15, 6, -8.0, -0.5), _logps(16, 6, -8.0, -0.5), _logps(17, 6, -8.0, -0.5)), 0.5),
    ((_logps(18, 1), _logps(19, 1), _logps(20, 1), _logps(21, 1)), 2.0),
    # float32, a policy that already prefers the rejected answer by 300 nats: β · margin = -150
    ((torch.tensor([-320.0, -5.0], dtype=torch.float32), torch.tensor([-20.0, -6.0], dtype=torch.float32),
      torch.tensor([-20.0, -5.5], dtype=torch.float32), torch.tensor([-20.0, -5.5], dtype=torch.float32)), 0.5),
]


@exercise("05.dpo_loss", points=2, reference=ref.dpo_loss, title="the DPO loss", mistakes=mistakes.DPO_LOSS)
def check_dpo_loss(dpo_loss):
    names = ("policy_chosen_logps", "policy_rejected_logps")
    for tensors, beta in DPO_CASES:
        case = dict(zip(("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps"),
                        tensors), beta=beta)
        _check_loss(dpo_loss, ref.dpo_loss, mistakes.DPO_LOSS, tensors, (beta,), 2, case,
                    "loss = -F.logsigmoid(beta * ((policy_chosen_logps - ref_chosen_logps) - "
                    "(policy_rejected_logps - ref_rejected_logps))).mean()", names)
