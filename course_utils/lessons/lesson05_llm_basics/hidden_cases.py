"""Hidden cases for lesson 05 (LLM basics).

torch and the course's TinyGPT are imported inside the generators (the grader imports every
lesson's module, also when grading a torch-free lesson). The comparisons use the public
checker's tolerances: float32 results of correct implementations differ in their last bits.
"""
import math

import numpy as np

from ...checking import CheckFailure, as_array, as_float, expect_close, expect_equal
from ...grading.hidden_cases import CASES_PER_EXERCISE, close_within, hidden

# --- byte-pair encoding -------------------------------------------------------------------------

_ALPHABETS = ["ab", "abc", "abn", "xyz ", "lowe ", "the ", "abcd"]


def _random_tokens(rng, low=0, high=14, vocab=None):
    vocab = vocab or list(rng.choice(_ALPHABETS))
    return [str(t) for t in rng.choice(vocab, size=int(rng.integers(low, high)))]


def _pair_counts(tokens):
    counts = {}
    for pair in zip(tokens, tokens[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def _pairs_compare(got, want):
    if not hasattr(got, "items"):
        raise CheckFailure("count_pairs should return a dict")
    expect_equal({tuple(k): int(v) for k, v in got.items() if v}, {tuple(k): int(v) for k, v in want.items() if v})


@hidden("05.count_pairs", compare=_pairs_compare)
def _count_pairs(rng):
    cases = []
    for i in range(CASES_PER_EXERCISE):
        if i % 3 == 2:   # multi-character tokens, as after a few merges, with runs that overlap
            tokens = _random_tokens(rng, 4, 16, vocab=["a", "aa", "b", "ab", "c", "bc"])
        else:
            tokens = _random_tokens(rng, 3 if i else 8, 20)
        cases.append(((tokens,), {}))
    return cases


def _string_list_compare(got, want):
    if not isinstance(got, (list, tuple)) or not all(isinstance(t, str) for t in got):
        raise CheckFailure("the result should be a list of strings")
    expect_equal(list(got), list(want))


@hidden("05.merge_pair", compare=_string_list_compare)
def _merge_pair(rng):
    # Three kinds of case: runs of one token merged with itself ('aaaaa' with ('a', 'a'): the left-to-right
    # scan without overlaps), a pair that occurs several times (every occurrence is merged), and a pair
    # that may not occur at all.
    cases = []
    for i in range(CASES_PER_EXERCISE):
        vocab = ["a", "aa", "b", "ab", "c", "bc"] if i % 2 else list(rng.choice(_ALPHABETS))
        tokens = _random_tokens(rng, 4, 18, vocab=vocab)
        if i % 3 == 0:     # odd runs of 3 or 5 of the same token among other tokens
            token = str(rng.choice(vocab))
            for _ in range(int(rng.integers(1, 3))):
                at = int(rng.integers(len(tokens) + 1))
                tokens[at:at] = [token] * int(rng.choice([3, 5]))
            pair = (token, token)
        elif i == 7:       # a pair that may not occur at all
            pair = (str(rng.choice(vocab)), str(rng.choice(vocab)))
        else:              # a pair that occurs at least twice, apart
            pair = tuple(str(t) for t in rng.choice(vocab, size=2))
            for _ in range(int(rng.integers(2, 4))):
                at = int(rng.integers(len(tokens) + 1))
                tokens[at:at] = ["|", *pair, "|"]
        cases.append(((tokens, tuple(pair)), {}))
    return cases


def _bpe_without_ties(text, n_merges):
    """True when every merge the loop makes has a strictly most frequent pair (no tie to break)."""
    tokens = list(text)
    for _ in range(n_merges):
        counts = sorted(_pair_counts(tokens).values(), reverse=True)
        if not counts or counts[0] < 2:
            return True
        if len(counts) > 1 and counts[1] == counts[0]:
            return False
        pair = max(_pair_counts(tokens).items(), key=lambda item: item[1])[0]
        merged, i = [], 0
        while i < len(tokens):
            if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) == pair:
                merged.append(tokens[i] + tokens[i + 1])
                i += 2
            else:
                merged.append(tokens[i])
                i += 1
        tokens = merged
    return True


def _merges_compare(got, want):
    if not isinstance(got, (list, tuple)):
        raise CheckFailure("train_bpe should return a list of merges")
    expect_equal([tuple(pair) for pair in got], [tuple(pair) for pair in want])


def _bpe_tie_variants_differ(text, n_merges):
    """True when breaking ties another way (the first pair seen, the largest pair) learns other merges."""
    from . import mistakes
    from . import reference as ref

    want = ref.train_bpe(text, n_merges)
    return all(variant(text, n_merges) != want
               for variant in (mistakes.train_bpe_first_seen_ties, mistakes.train_bpe_largest_ties))


@hidden("05.train_bpe", compare=_merges_compare)
def _train_bpe(rng):
    # Texts made of a few random words, so that merges build longer tokens. Half the cases have a strictly
    # most frequent pair in every round, the other half hinge on the documented tie rule (the smallest
    # pair wins): words repeated equally often, so that several pairs tie, in an order where the first
    # pair seen and the largest pair are not the smallest. n_merges sometimes exceeds what the text
    # supports (the loop must stop when no pair occurs twice).
    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        letters = list(rng.choice(_ALPHABETS[1:]).replace(" ", ""))
        words = ["".join(rng.choice(letters, size=int(rng.integers(2, 5)))) for _ in range(int(rng.integers(2, 4)))]
        n_merges = int(rng.integers(2, 10)) if cases else 40   # the first case always runs out of pairs
        if len(cases) % 2:
            text = " ".join(rng.permutation(words * int(rng.integers(2, 4))))
            if _bpe_tie_variants_differ(text, n_merges):
                cases.append(((text, n_merges), {}))
        else:
            text = " ".join(rng.choice(words, size=int(rng.integers(3, 10))))
            if _bpe_without_ties(text, n_merges):
                cases.append(((text, n_merges), {}))
    return cases


# --- byte-level BPE with a pre-split ---------------------------------------------------------------

_WORDS = ["the", "cat", "sat", "aaa", "ab", "Zoë", "café", "naïve", "€5", "it's", "we're", "2026", "12", "!!", "ok",
          "...", "déjà", "x_y", "banana", "aaaaa", "abab"]


def _ids_compare(got, want):
    from .checks import _as_int_list

    expect_equal(_as_int_list(got, None, "the token ids"), [int(v) for v in want])


@hidden("05.byte_bpe_encode", compare=_ids_compare)
def _byte_bpe_encode(rng):
    # Texts of random words (some with multi-byte characters, digits, apostrophes and runs of one letter) joined
    # by one or two spaces or punctuation; merges learned on the text itself (each merge may build on earlier
    # ones), plus in some cases a merge of a pair that only occurs across two chunks ("e " or "t "), which a
    # pre-split must never apply.
    from . import reference as ref

    cases = []
    for i in range(CASES_PER_EXERCISE):
        words = [str(w) for w in rng.choice(_WORDS, size=int(rng.integers(3, 9)))]
        glue = [str(g) for g in rng.choice([" ", " ", "  ", ", ", ". "], size=len(words))]
        text = "".join(w + g for w, g in zip(words, glue)).rstrip()
        merges = [tuple(int(v) for v in pair) for pair in ref.train_byte_bpe(text + " " + text, int(rng.integers(2, 9)))]
        if i % 2:   # a letter at the end of a word, then the space that starts the next chunk
            ends = [j for j in range(len(text) - 2) if text[j].isascii() and text[j].isalpha() and text[j + 1] == " "
                    and text[j + 2] != " "]
            if not ends:
                text, ends = "the " + text, [2]
            merges.append((ord(text[ends[int(rng.integers(len(ends)))]]), ord(" ")))
        cases.append(((text, merges), {}))
    return cases


# --- counting models ----------------------------------------------------------------------------

@hidden("05.bigram_probs", compare=close_within(1e-6, 1e-8))   # the public check's tolerances
def _bigram_probs(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        vocab_size = int(rng.integers(2, 7))
        ids = [int(v) for v in rng.integers(0, vocab_size, size=int(rng.integers(4, 30)))]
        cases.append(((ids, vocab_size, float(rng.choice([0.1, 0.5, 1.0, 2.0]))), {}))
    return cases


@hidden("05.bigram_loss", compare=close_within(1e-6, 1e-8))
def _bigram_loss(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        vocab_size = int(rng.integers(2, 7))
        P = rng.dirichlet(np.full(vocab_size, 2.0), size=vocab_size)
        P = (P + 0.01) / (P + 0.01).sum(axis=1, keepdims=True)   # no probability near zero
        ids = [int(v) for v in rng.integers(0, vocab_size, size=int(rng.integers(3, 25)))]
        cases.append(((P, ids), {}))
    return cases


# --- sampling -------------------------------------------------------------------------------------

def _distinct_logits(rng, n, scale=2.0):
    """float32 logits with no two equal (no tie for top-k or argmax)."""
    import torch

    while True:
        values = torch.tensor(rng.normal(0, scale, n).round(2), dtype=torch.float32)
        if len(torch.unique(values)) == n and float(torch.sort(values).values.diff().min()) > 0.02:
            return values


def _softmax_compare(got, want):
    expect_close(got, want, rtol=1e-5, atol=1e-7)


@hidden("05.softmax_with_temperature", compare=_softmax_compare)
def _softmax(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        shape = (int(rng.integers(2, 7)),) if i % 2 == 0 else (int(rng.integers(1, 4)), int(rng.integers(2, 6)))
        logits = torch.tensor(rng.normal(0, 3, shape), dtype=torch.float32)
        temperature = float(rng.choice([0.3, 0.5, 0.7, 1.5, 2.0, 3.0]))
        if i == 3:   # logits past 710, where even float64's exp overflows: only a max-subtracting softmax
            logits, temperature = logits + float(rng.uniform(750, 1200)), 1.0   # survives (T = 1 keeps float32 exact)
        if i == 5:   # a small temperature: logits / T reach 100 to 200, past where float32's exp overflows
            logits = logits / 3 - float((logits / 3).max()) + float(rng.uniform(2, 4))
            temperature = 0.02
        cases.append(((logits, temperature), {}))
    return cases


def _tied_logits(rng, n, top_k=None):
    """float32 logits with many ties (few distinct values); with ``top_k``, none tied across the k-th place."""
    import torch

    while True:
        values = torch.tensor(rng.integers(-2, 3, n) * 0.75, dtype=torch.float32)
        ordered = torch.sort(values, descending=True).values
        if top_k is None or top_k >= n or ordered[top_k - 1] != ordered[top_k]:
            return values


def _observe_top_k(function, args, kwargs):
    """The filtered logits with the problem they were given: any valid tie choice is compared as right."""
    import torch

    logits, k = torch.as_tensor(args[0]).clone(), args[1]
    return {"result": function(*args, **kwargs), "logits": logits, "k": k}


def _top_k_compare(got, want):
    from .checks import top_k_problem

    logits, k = want["logits"], want["k"]
    result = as_array(got["result"], shape=tuple(logits.shape))
    problem = top_k_problem(result, logits, k)
    if problem:
        raise CheckFailure(problem)


@hidden("05.top_k_filter", compare=_top_k_compare, observe=_observe_top_k)
def _top_k(rng):
    cases = []
    for i in range(CASES_PER_EXERCISE):
        n = int(rng.integers(3, 10))
        logits = _distinct_logits(rng, n) if i % 2 else _tied_logits(rng, n)   # ties, often at the k-th place
        cases.append(((logits, int(rng.integers(1, n))), {}))
    return cases


def _top_p_compare(got, want):
    from .checks import nucleus_problem

    logits, p = want["logits"], want["p"]
    problem = nucleus_problem(as_array(got["result"], shape=tuple(logits.shape)), logits, p)
    if problem:
        raise CheckFailure(problem)


def _observe_top_p(function, args, kwargs):
    import torch

    return {"result": function(*args, **kwargs), "logits": torch.as_tensor(args[0]).clone(), "p": args[1]}


@hidden("05.top_p_filter", compare=_top_p_compare, observe=_observe_top_p)
def _top_p(rng):
    # float32 logits without ties, and p away from every running sum of the sorted probabilities (by 1e-3), so
    # that "at least p" and float rounding never decide a token
    import torch

    cases = []
    while len(cases) < CASES_PER_EXERCISE:
        n = int(rng.integers(3, 10))
        logits = _distinct_logits(rng, n, scale=float(rng.choice([0.5, 1.5, 3.0])))
        p = float(rng.choice([0.2, 0.5, 0.7, 0.9, 0.95]))
        sums = torch.cumsum(torch.sort(torch.softmax(logits.double(), -1), descending=True).values, 0)
        if float((sums - p).abs().min()) > 1e-3:
            cases.append(((logits, p), {}))
    return cases


def _observe_token(function, args, kwargs):
    """12 draws, call i with a generator seeded (the case's seed + i), as in the public check; for
    temperature 0 also every index of a largest logit (each is a right greedy answer)."""
    import torch

    from .checks import greedy_choices

    logits, temperature, top_k, generator = args
    seed = int(generator.initial_seed())
    tokens = [function(logits, temperature, top_k, torch.Generator().manual_seed(seed + i), **kwargs)
              for i in range(12)]
    return {"tokens": tokens, "greedy_choices": greedy_choices(logits) if temperature == 0 else None}


def _token_compare(got, want):
    tokens = []
    for token in got["tokens"]:
        if hasattr(token, "numel"):
            if token.numel() != 1:
                raise CheckFailure("sample_token should return one token id")
            token = token.reshape(()).item()
        if isinstance(token, (bool, np.bool_)) or not isinstance(token, (int, np.integer)):
            raise CheckFailure("sample_token should return one token id as a Python int")
        tokens.append(int(token))
    if want["greedy_choices"] is not None and all(token in want["greedy_choices"] for token in tokens):
        return
    expect_equal(tokens, [int(token) for token in want["tokens"]])


@hidden("05.sample_token", compare=_token_compare, observe=_observe_token)
def _sample_token(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        n = int(rng.integers(3, 9))
        temperature = 0.0 if i in (5, 6) else float(rng.choice([0.5, 0.7, 1.5, 2.0]))
        top_k = int(rng.integers(1, n - 1)) if i % 2 else None   # k + 1 < n: keeping one more is seen
        if i == 1:   # top-1 at a high temperature: keeping a second token shows in 12 draws
            temperature, top_k = 2.0, 1
        generator = torch.Generator().manual_seed(int(rng.integers(2**31)))
        # some cases with tied logits (never tied across the k-th place: the lesson's draws are defined there)
        logits = _tied_logits(rng, n, top_k) if i in (2, 3, 6) else _distinct_logits(rng, n, scale=1.5)
        cases.append(((logits, temperature, top_k, generator), {}))
    return cases


# --- attention ------------------------------------------------------------------------------------

def _attention_compare(got, want):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure("causal_attention should return a pair (output, pattern)")
    expect_close(got[1], want[1], atol=1e-7)
    expect_close(got[0], want[0], atol=1e-7)


@hidden("05.causal_attention", compare=_attention_compare)
def _causal_attention(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        T, d = int(rng.integers(1, 8)), int(rng.integers(1, 12))
        lead = [(), (int(rng.integers(1, 4)),), (int(rng.integers(1, 3)), int(rng.integers(1, 4)))][i % 3]
        shape = lead + (T, d)
        q, k, v = (torch.tensor(rng.normal(size=shape)) for _ in range(3))
        cases.append(((q, k, v), {}))
    return cases


def _close_1e7(got, want):
    expect_close(got, want, atol=1e-7)


@hidden("05.multi_head_attention", compare=_close_1e7)
def _multi_head_attention(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n_heads = int(rng.choice([1, 2, 3, 4]))
        D = n_heads * int(rng.integers(1, 5))
        B, T = int(rng.integers(1, 4)), int(rng.integers(1, 7))
        x = torch.tensor(rng.normal(size=(B, T, D)))
        Ws = [torch.tensor(rng.normal(size=(D, D)) / math.sqrt(D)) for _ in range(4)]
        cases.append(((x, *Ws, n_heads), {}))
    return cases


# --- TinyGPT parts --------------------------------------------------------------------------------

def _close_1e6(got, want):
    expect_close(got, want, atol=1e-6)


@hidden("05.embed", compare=_close_1e6)
def _embed(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        vocab, d, n_ctx = int(rng.integers(3, 12)), int(rng.integers(2, 9)), int(rng.integers(4, 12))
        B, T = int(rng.integers(1, 4)), int(rng.integers(1, n_ctx + 1))
        W_E = torch.tensor(rng.normal(size=(vocab, d)), dtype=torch.float32)
        W_pos = torch.tensor(rng.normal(size=(n_ctx, d)), dtype=torch.float32)
        tokens = torch.tensor(rng.integers(0, vocab, size=(B, T)), dtype=torch.long)
        cases.append(((tokens, W_E, W_pos), {}))
    return cases


def _model_compare(got, want):
    expect_close(got, want, rtol=1e-4, atol=1e-5)


def _random_tinygpt(rng, **sizes):
    """A small TinyGPT with large random weights (the public checker's helper), seeded from rng."""
    from .checks import _tiny_model

    n_heads = int(rng.choice([1, 2, 4]))
    config = dict(d_model=n_heads * int(rng.choice([2, 4, 6])), n_heads=n_heads, d_mlp=int(rng.choice([8, 16, 24])),
                  vocab_size=int(rng.integers(5, 14)), n_ctx=int(rng.integers(8, 14)), n_layers=int(rng.integers(1, 4)))
    model = _tiny_model(int(rng.integers(2**31)), **dict(config, **sizes))
    return model.requires_grad_(False)


@hidden("05.transformer_block", compare=_model_compare)
def _transformer_block(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        model = _random_tinygpt(rng)
        block = model.blocks[int(rng.integers(len(model.blocks)))]
        B, T = int(rng.integers(1, 4)), int(rng.integers(1, model.config.n_ctx + 1))
        x = torch.tensor(rng.normal(0, 2, size=(B, T, model.config.d_model)), dtype=torch.float32)
        cases.append(((block, x), {}))
    return cases


@hidden("05.gpt_forward", compare=_model_compare)
def _gpt_forward(rng):
    import torch

    cases = []
    for _ in range(CASES_PER_EXERCISE):
        model = _random_tinygpt(rng)
        B, T = int(rng.integers(1, 4)), int(rng.integers(1, model.config.n_ctx + 1))
        tokens = torch.tensor(rng.integers(0, model.config.vocab_size, size=(B, T)), dtype=torch.long)
        cases.append(((model, tokens), {}))
    return cases


# --- scaling --------------------------------------------------------------------------------------

def _power_law_compare(got, want):
    from .checks import as_pair

    got = as_pair(got)
    expect_close([as_float(got[0]), as_float(got[1])], want, rtol=1e-4)


@hidden("05.fit_power_law", compare=_power_law_compare)
def _fit_power_law(rng):
    cases = []
    for _ in range(CASES_PER_EXERCISE):
        n = int(rng.integers(3, 8))
        sizes = np.round(10 ** rng.uniform(1, 3) * float(rng.uniform(2, 6)) ** np.arange(n))
        a, alpha = float(rng.uniform(1.5, 15)), float(rng.uniform(0.04, 0.4))
        losses = a * sizes ** -alpha * np.exp(rng.normal(0, float(rng.choice([0.0, 0.01, 0.03])), n))
        cases.append(((sizes, np.round(losses, 5)), {}))
    return cases


# --- post-training --------------------------------------------------------------------------------

def _observe_loss(n_leaves):
    """The loss and its gradients with respect to the first ``n_leaves`` inputs (a loss that is trained on must
    be right in both: ``.item()`` or ``.detach()`` keeps the value and breaks the gradient)."""
    def observe(function, args, kwargs):
        from ...checking import gradients
        from .checks import loss_call

        tensors = [a for a in args if hasattr(a, "shape")]
        extra = args[len(tensors):]
        value, leaves = loss_call(function, tensors, extra, n_leaves)
        if value is None:
            raise CheckFailure("the loss is None")
        grads = gradients(value, leaves)
        return {"loss": value.detach(), "gradients": grads}

    return observe


@hidden("05.reward_model_loss", compare=close_within(1e-6, 1e-10), observe=_observe_loss(2))
def _reward_model_loss(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 9))
        r_chosen, r_rejected = (torch.tensor(rng.normal(0, float(rng.choice([0.5, 2.0, 6.0])), n)) for _ in range(2))
        if i == 3:   # float32 rewards far apart: log σ must not go through σ, which underflows
            r_chosen, r_rejected = r_chosen.float() - 70.0, r_rejected.float() + 70.0
        cases.append(((r_chosen, r_rejected), {}))
    return cases


@hidden("05.dpo_loss", compare=close_within(1e-6, 1e-10), observe=_observe_loss(2))
def _dpo_loss(rng):
    import torch

    cases = []
    for i in range(CASES_PER_EXERCISE):
        n = int(rng.integers(1, 9))
        low = float(rng.choice([-60.0, -20.0, -6.0]))
        logps = [torch.tensor(rng.uniform(low, -0.2, n)) for _ in range(4)]
        beta = float(rng.choice([0.05, 0.1, 0.3, 1.0, 2.0]))
        if i == 3:   # float32, far apart: β · margin below -100
            logps = [x.float() for x in logps]
            logps[0] = logps[0] - 400.0
            beta = 0.5
        cases.append(((*logps, beta), {}))
    return cases
