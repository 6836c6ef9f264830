"""Three ways to turn text into integer tokens: characters, words and byte-pair encoding (BPE).

Every tokenizer here has the same small API (scikit-learn style):

* ``encode(text) -> list[int]`` and ``decode(ids) -> str``;
* ``tokens(text) -> list[str]``: the pieces, for looking at;
* ``vocab``: the list of token strings, index = token id; ``len(tokenizer)`` its size.

``decode(encode(text)) == text`` holds exactly for any text made of known
characters (the word tokenizer maps unseen words to ``<unk>``, which is the
point of showing it).

BPE ("Neural Machine Translation of Rare Words with Subword Units", Sennrich,
Haddow and Birch, 2016; used by GPT-2, "Language Models are Unsupervised
Multitask Learners", Radford et al., 2019) starts from single characters and
repeatedly merges the most frequent adjacent pair into a new token. Here ties
are broken deterministically: among equally frequent pairs the
lexicographically smallest ``(left, right)`` pair of strings wins. Unlike GPT-2
we do not pre-split the text into words, so merges may cross spaces.
"""
import re
from collections import Counter


class CharTokenizer:
    """One token per character of a fixed alphabet (sorted, so ids are stable)."""

    def __init__(self, alphabet):
        self.vocab = sorted(set(alphabet))
        self._ids = {ch: i for i, ch in enumerate(self.vocab)}

    def __len__(self):
        return len(self.vocab)

    def tokens(self, text):
        return list(text)

    def encode(self, text):
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"these characters are not in the tokenizer's alphabet: {unknown!r}")
        return [self._ids[ch] for ch in text]

    def decode(self, ids):
        return "".join(self.vocab[int(i)] for i in ids)

    def __repr__(self):
        return f"CharTokenizer({len(self)} characters)"


WORD_PATTERN = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]")


class WordTokenizer:
    """Whole words, numbers and single punctuation or space characters; unseen words become ``<unk>``."""

    UNKNOWN = "<unk>"

    def __init__(self, text):
        self.vocab = [self.UNKNOWN] + sorted(set(WORD_PATTERN.findall(text)))
        self._ids = {piece: i for i, piece in enumerate(self.vocab)}

    def __len__(self):
        return len(self.vocab)

    def tokens(self, text):
        return WORD_PATTERN.findall(text)

    def encode(self, text):
        return [self._ids.get(piece, 0) for piece in self.tokens(text)]

    def decode(self, ids):
        return "".join(self.vocab[int(i)] for i in ids)

    def __repr__(self):
        return f"WordTokenizer({len(self)} tokens)"


def count_pairs(tokens):
    """How often each adjacent pair occurs in ``tokens`` (overlapping occurrences all count)."""
    return Counter(zip(tokens, tokens[1:]))


def merge_pair(tokens, pair):
    """Replace each occurrence of ``pair``, scanning left to right without overlaps, by one joined token."""
    left, right = pair
    merged, i, n = [], 0, len(tokens)
    while i < n:
        try:
            j = tokens.index(left, i)     # jump to the next candidate (a fast C-level search)
        except ValueError:
            merged.extend(tokens[i:])
            break
        merged.extend(tokens[i:j])
        if j + 1 < n and tokens[j + 1] == right:
            merged.append(left + right)
            i = j + 2
        else:
            merged.append(left)
            i = j + 1
    return merged


def best_pair(counts):
    """The most frequent pair; ties go to the lexicographically smallest (left, right)."""
    return min(counts, key=lambda pair: (-counts[pair], pair))


def train_bpe(text, n_merges):
    """The list of up to ``n_merges`` merges (pairs of strings) learned on ``text``, in order.

    Training stops early when no adjacent pair occurs more than once.
    """
    tokens, merges = list(text), []
    for _ in range(n_merges):
        counts = count_pairs(tokens)
        if not counts:
            break
        pair = best_pair(counts)
        if counts[pair] < 2:
            break
        merges.append(pair)
        tokens = merge_pair(tokens, pair)
    return merges


def bpe_tokens(text, merges):
    """Split ``text`` into BPE tokens by applying the merges in the order they were learned."""
    tokens = list(text)
    for pair in merges:
        if len(tokens) < 2:
            break
        tokens = merge_pair(tokens, pair)
    return tokens


class BPETokenizer:
    """Byte-pair encoding over characters: the base alphabet plus one token per learned merge."""

    def __init__(self, alphabet, merges):
        self.merges = [tuple(pair) for pair in merges]
        self.vocab = sorted(set(alphabet)) + [left + right for left, right in self.merges]
        self._ids = {}
        for i, piece in enumerate(self.vocab):
            self._ids.setdefault(piece, i)
        self._alphabet = set(alphabet)

    @classmethod
    def train(cls, text, n_merges, alphabet=None):
        """Learn ``n_merges`` merges on ``text``; the alphabet defaults to the text's characters."""
        return cls(alphabet if alphabet is not None else set(text), train_bpe(text, n_merges))

    def __len__(self):
        return len(self.vocab)

    def tokens(self, text):
        return bpe_tokens(text, self.merges)

    def encode(self, text):
        unknown = sorted(set(text) - self._alphabet)
        if unknown:
            raise ValueError(f"these characters are not in the tokenizer's alphabet: {unknown!r}")
        return [self._ids[piece] for piece in self.tokens(text)]

    def decode(self, ids):
        return "".join(self.vocab[int(i)] for i in ids)

    def __repr__(self):
        return f"BPETokenizer({len(self)} tokens, {len(self.merges)} merges)"
