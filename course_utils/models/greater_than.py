"""A small transformer WITH MLPs for the greater-than task (lesson 11), in plain PyTorch.

Two layers, each an attention layer followed by an MLP, and no layer norm: the input of every head and every
MLP is then an exact sum of the outputs of everything before it, so the model is a computational graph whose
edges can be cut one at a time (lesson 11's ``GraphModel``). The parameters are named and shaped as
TransformerLens names them (``W_E``, ``W_pos``, ``W_Q[layer, head]``, ``b_O[layer]``, ``W_in``, ``W_out``,
``W_U``, ...), so the lesson reads them the same way as the attention-only bridges'.

``load_greater_than()`` builds the shipped checkpoint ``greater_than`` (``course train greater_than``).
"""
import math

DEFAULT_CONFIG = dict(n_layers=2, n_heads=4, d_model=64, d_head=16, d_mlp=256, n_ctx=12, d_vocab=116)
EMBED_STD = 0.5


def _module_class():
    import torch
    from torch import nn

    class GreaterThanTransformer(nn.Module):
        """``model(tokens)`` → logits ``[batch, seq, d_vocab]``; ``model.run_with_patterns(tokens)`` also returns
        every layer's attention pattern ``[batch, head, query, key]``."""

        def __init__(self, config=None):
            super().__init__()
            cfg = dict(DEFAULT_CONFIG, **(config or {}))
            self.config = cfg
            L, H, d, dh, m, V = (cfg[k] for k in ("n_layers", "n_heads", "d_model", "d_head", "d_mlp", "d_vocab"))
            self.n_layers, self.n_heads, self.d_model, self.d_head, self.d_mlp, self.d_vocab = L, H, d, dh, m, V
            param = lambda *shape: nn.Parameter(torch.zeros(*shape))  # noqa: E731
            self.W_E, self.W_pos = param(V, d), param(cfg["n_ctx"], d)
            self.W_Q, self.W_K, self.W_V = param(L, H, d, dh), param(L, H, d, dh), param(L, H, d, dh)
            self.b_Q, self.b_K, self.b_V = param(L, H, dh), param(L, H, dh), param(L, H, dh)
            self.W_O, self.b_O = param(L, H, dh, d), param(L, d)
            self.W_in, self.b_in, self.W_out, self.b_out = param(L, d, m), param(L, m), param(L, m, d), param(L, d)
            self.W_U, self.b_U = param(d, V), param(V)

        def initialise(self, generator):
            """Random initial weights drawn from a ``torch.Generator`` (sizeable embeddings: no layer norm)."""
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if name.startswith("b_"):
                        p.zero_()
                    elif name in ("W_E", "W_pos"):
                        p.copy_(torch.randn(p.shape, generator=generator) * EMBED_STD)
                    elif name == "W_U":
                        p.copy_(torch.randn(p.shape, generator=generator) * 0.02)
                    else:
                        p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[-2]))
            return self

        @property
        def cfg(self):
            from types import SimpleNamespace

            return SimpleNamespace(**self.config)

        def attention(self, layer, x):
            """The layer's heads on residual ``x``: (per-head outputs ``[batch, head, pos, d_model]``, pattern)."""
            q = torch.einsum("bpd,hde->bhpe", x, self.W_Q[layer]) + self.b_Q[layer][None, :, None]
            k = torch.einsum("bpd,hde->bhpe", x, self.W_K[layer]) + self.b_K[layer][None, :, None]
            v = torch.einsum("bpd,hde->bhpe", x, self.W_V[layer]) + self.b_V[layer][None, :, None]
            seq = x.shape[1]
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
            mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
            pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
            return torch.einsum("bhpe,hed->bhpd", pattern @ v, self.W_O[layer]), pattern

        def mlp(self, layer, x):
            hidden = torch.nn.functional.gelu(x @ self.W_in[layer] + self.b_in[layer])
            return hidden @ self.W_out[layer] + self.b_out[layer]

        def run_with_patterns(self, tokens):
            x = self.W_E[tokens] + self.W_pos[: tokens.shape[1]]
            patterns = []
            for layer in range(self.n_layers):
                heads, pattern = self.attention(layer, x)
                patterns.append(pattern)
                x = x + heads.sum(1) + self.b_O[layer]
                x = x + self.mlp(layer, x)
            return x @ self.W_U + self.b_U, patterns

        def forward(self, tokens):
            return self.run_with_patterns(tokens)[0]

    return GreaterThanTransformer


def build_greater_than(config=None, seed=0):
    """A freshly initialised model (weights drawn from ``seed``)."""
    import torch

    return _module_class()(config).initialise(torch.Generator().manual_seed(seed))


def load_greater_than(name="greater_than"):
    """The shipped checkpoint as an evaluated model (hash-verified), and its metadata."""
    from ..checkpoints import load_checkpoint

    state, info = load_checkpoint(name)
    model = _module_class()(info["model_config"])
    model.load_state_dict(state)
    model.eval()
    return model, info
