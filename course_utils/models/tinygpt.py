"""TinyGPT: a small character-level GPT in plain PyTorch, readable in one sitting.

The architecture is GPT-2's ("Language Models are Unsupervised Multitask
Learners", Radford et al., 2019), shrunk:

    x = W_E[tokens] + W_pos[positions]                      embedding
    for each block:                                          pre-LayerNorm blocks
        x = x + Attention(LayerNorm(x))                      causal multi-head attention
        x = x + MLP(LayerNorm(x))                            GELU MLP
    logits = LayerNorm(x) @ W_U                              unembedding

Weights are stored the way the math is written (``x @ W_Q``, not
``nn.Linear``'s transposed convention), so lesson 05's from-scratch functions
and this module compute the same numbers with the same tensors.

Named hook points (``nn.Identity`` modules) mark the activations later
lessons read or patch, with TransformerLens-style names::

    blocks.0.hook_resid_pre    blocks.0.attn.hook_pattern   blocks.0.attn.hook_z
    blocks.0.hook_attn_out     blocks.0.hook_resid_mid      blocks.0.mlp.hook_pre
    blocks.0.mlp.hook_post     blocks.0.hook_mlp_out        blocks.0.hook_resid_post
    hook_embed  hook_pos_embed  ln_final.hook_normalized

``model.run_with_cache(tokens)`` returns the logits and a dict of those
activations; ``model.hook_points()`` lists them; a standard
``register_forward_hook`` on any of them can read or replace the value.

``load_tinygpt()`` returns the shipped, hash-verified checkpoint with its
character tokenizer: ``model, tokenizer, info = load_tinygpt()``.
"""
import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class TinyGPTConfig:
    vocab_size: int = 44
    n_ctx: int = 128
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_mlp: int = 256

    @property
    def d_head(self):
        return self.d_model // self.n_heads

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**{key: values[key] for key in cls.__dataclass_fields__ if key in values})


class HookPoint(nn.Identity):
    """A named place in the forward pass; forward hooks on it see (and may replace) the activation."""


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) * w + b over the last axis (the same as nn.LayerNorm)."""

    def __init__(self, d_model, eps=1e-5):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d_model))
        self.b = nn.Parameter(torch.zeros(d_model))
        self.eps = eps
        self.hook_normalized = HookPoint()

    def forward(self, x):
        return self.hook_normalized(F.layer_norm(x, x.shape[-1:], self.w, self.b, self.eps))


class Attention(nn.Module):
    """Causal multi-head self-attention with d_model x d_model matrices W_Q, W_K, W_V, W_O (no biases)."""

    def __init__(self, config):
        super().__init__()
        self.n_heads = config.n_heads
        d = config.d_model
        self.W_Q = nn.Parameter(torch.empty(d, d))
        self.W_K = nn.Parameter(torch.empty(d, d))
        self.W_V = nn.Parameter(torch.empty(d, d))
        self.W_O = nn.Parameter(torch.empty(d, d))
        self.register_buffer("mask", torch.tril(torch.ones(config.n_ctx, config.n_ctx, dtype=torch.bool)),
                             persistent=False)
        self.hook_pattern = HookPoint()   # (batch, head, query, key)
        self.hook_z = HookPoint()         # (batch, position, head, d_head): each head's mix of values

    def split_heads(self, x):
        batch, seq, d = x.shape
        return x.view(batch, seq, self.n_heads, d // self.n_heads).transpose(1, 2)

    def forward(self, x):
        batch, seq, d = x.shape
        q, k, v = (self.split_heads(x @ W) for W in (self.W_Q, self.W_K, self.W_V))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.n_heads)
        scores = scores.masked_fill(~self.mask[:seq, :seq], float("-inf"))
        pattern = self.hook_pattern(scores.softmax(dim=-1))
        z = self.hook_z((pattern @ v).transpose(1, 2))
        return z.reshape(batch, seq, d) @ self.W_O


class MLP(nn.Module):
    """GELU(x @ W_in + b_in) @ W_out + b_out, with d_mlp hidden neurons."""

    def __init__(self, config):
        super().__init__()
        self.W_in = nn.Parameter(torch.empty(config.d_model, config.d_mlp))
        self.b_in = nn.Parameter(torch.zeros(config.d_mlp))
        self.W_out = nn.Parameter(torch.empty(config.d_mlp, config.d_model))
        self.b_out = nn.Parameter(torch.zeros(config.d_model))
        self.hook_pre = HookPoint()
        self.hook_post = HookPoint()      # the neurons' activations, (batch, position, d_mlp)

    def forward(self, x):
        hidden = self.hook_post(F.gelu(self.hook_pre(x @ self.W_in + self.b_in)))
        return hidden @ self.W_out + self.b_out


class Block(nn.Module):
    """One pre-LayerNorm transformer block: x + attn(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, config):
        super().__init__()
        self.ln1 = LayerNorm(config.d_model)
        self.attn = Attention(config)
        self.ln2 = LayerNorm(config.d_model)
        self.mlp = MLP(config)
        for name in ("resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"):
            setattr(self, f"hook_{name}", HookPoint())

    def forward(self, x):
        x = self.hook_resid_pre(x)
        x = self.hook_resid_mid(x + self.hook_attn_out(self.attn(self.ln1(x))))
        return self.hook_resid_post(x + self.hook_mlp_out(self.mlp(self.ln2(x))))


class TinyGPT(nn.Module):
    def __init__(self, config=None, seed=0):
        super().__init__()
        self.config = config or TinyGPTConfig()
        c = self.config
        self.W_E = nn.Parameter(torch.empty(c.vocab_size, c.d_model))
        self.W_pos = nn.Parameter(torch.empty(c.n_ctx, c.d_model))
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.ln_final = LayerNorm(c.d_model)
        self.W_U = nn.Parameter(torch.empty(c.d_model, c.vocab_size))
        self.hook_embed = HookPoint()
        self.hook_pos_embed = HookPoint()
        self.reset_parameters(seed)

    def reset_parameters(self, seed=0):
        """GPT-2-style initialisation from its own seeded generator (independent of the global seed)."""
        generator = torch.Generator().manual_seed(seed)
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layers)
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if name.endswith(("W_O", "W_out")):
                    parameter.normal_(0.0, residual_std, generator=generator)
                elif name.split(".")[-1].startswith("W_"):
                    parameter.normal_(0.0, 0.02, generator=generator)

    def embed(self, tokens):
        """W_E[tokens] + W_pos[:seq]: (batch, seq) int tokens -> (batch, seq, d_model)."""
        seq = tokens.shape[-1]
        if seq > self.config.n_ctx:
            raise ValueError(f"TinyGPT reads at most n_ctx={self.config.n_ctx} tokens, got {seq}")
        return self.hook_embed(self.W_E[tokens]) + self.hook_pos_embed(self.W_pos[:seq])

    def unembed(self, x):
        """Final LayerNorm then W_U: residual stream -> logits over the vocabulary."""
        return self.ln_final(x) @ self.W_U

    def forward(self, tokens):
        """Logits (batch, seq, vocab_size) for int tokens (batch, seq); a 1-D input gets a batch of one."""
        tokens = torch.as_tensor(tokens)
        squeeze = tokens.dim() == 1
        x = self.embed(tokens[None] if squeeze else tokens)
        for block in self.blocks:
            x = block(x)
        logits = self.unembed(x)
        return logits[0] if squeeze else logits

    def loss(self, tokens):
        """Mean next-token cross-entropy (nats) of a (batch, seq) token tensor."""
        logits = self(tokens[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))

    def hook_points(self):
        """Names of every hook point, in forward order."""
        return [name for name, module in self.named_modules() if isinstance(module, HookPoint)]

    @torch.no_grad()
    def run_with_cache(self, tokens, names=None):
        """``(logits, cache)``: the cache maps hook names (all, or those in ``names``) to activations."""
        wanted = set(self.hook_points() if names is None else names)
        unknown = wanted - set(self.hook_points())
        if unknown:
            raise KeyError(f"unknown hook names {sorted(unknown)}; see model.hook_points()")
        cache, handles = {}, []
        for name, module in self.named_modules():
            if name in wanted:
                handles.append(module.register_forward_hook(
                    lambda _module, _inputs, output, name=name: cache.__setitem__(name, output.detach())))
        try:
            logits = self(tokens)
        finally:
            for handle in handles:
                handle.remove()
        return logits, cache

    @torch.no_grad()
    def generate(self, tokens, max_new_tokens, temperature=1.0, top_k=None, generator=None, stop_token=None):
        """Continue a 1-D token sequence; temperature 0 is greedy. Returns the full 1-D sequence."""
        tokens = torch.as_tensor(tokens, dtype=torch.long).clone()
        for _ in range(max_new_tokens):
            logits = self(tokens[-self.config.n_ctx:])[-1]
            next_token = sample_from_logits(logits, temperature, top_k, generator)
            tokens = torch.cat([tokens, torch.tensor([next_token])])
            if stop_token is not None and next_token == stop_token:
                break
        return tokens


def sample_from_logits(logits, temperature=1.0, top_k=None, generator=None):
    """One token id from 1-D logits: greedy when temperature == 0, else softmax(logits / T) over the top k."""
    logits = torch.as_tensor(logits, dtype=torch.float32)
    if temperature == 0:
        return int(torch.argmax(logits))
    if top_k is not None:
        kth = torch.topk(logits, min(int(top_k), logits.numel())).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, num_samples=1, generator=generator))


def char_tokenizer(info=None):
    """The character tokenizer of the shipped TinyGPT (its alphabet is stored in the checkpoint metadata)."""
    from ..data.stories import alphabet
    from ..tokenizers import CharTokenizer

    return CharTokenizer(info["alphabet"] if info and "alphabet" in info else alphabet())


def load_tinygpt(name="tinygpt"):
    """``(model, tokenizer, info)`` for a shipped checkpoint: weights hash-verified, model in eval mode."""
    from ..checkpoints import load_checkpoint

    state, info = load_checkpoint(name)
    model = TinyGPT(TinyGPTConfig.from_dict(info["model_config"]))
    model.load_state_dict(state)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, char_tokenizer(info), info
