"""Tiny attention-only transformers built as TransformerLens bridges.

``build_attn_only(config)`` boots a randomly initialised TL-native model
wrapped in a ``TransformerBridge`` (no hub call), so every activation has the
standard hook name (``blocks.0.attn.hook_pattern``, ``blocks.1.attn.hook_z``,
...). ``load_attn_only("induction_2l")`` builds the model recorded in a shipped
checkpoint and loads its weights.

The models have no layer norm and no MLPs: the residual stream is then an
exact sum of the embeddings and every head's output, which keeps direct logit
attribution and path patching exact.

The parameters keep ``requires_grad=True``, as a library model does, so the
standard gradient recipes (a backward hook, ``metric(logits).backward()``)
work on them; code that only reads activations runs under ``torch.no_grad()``.
A bridge made here deep-copies safely, also after it has run (see
:func:`_copyable`).
"""
import copy
import functools
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

EMBED_STD = 0.5
DEFAULT_CONFIG = dict(n_layers=2, n_heads=4, d_model=64, d_head=16, n_ctx=48, d_vocab=64)


def bridge_config(config):
    """A ``TransformerBridgeConfig`` for an attention-only model of the given sizes."""
    from transformer_lens.config import TransformerBridgeConfig

    config = dict(DEFAULT_CONFIG, **(config or {}))
    return TransformerBridgeConfig(
        n_layers=config["n_layers"], n_heads=config["n_heads"], d_model=config["d_model"],
        d_head=config["d_head"], n_ctx=config["n_ctx"], d_vocab=config["d_vocab"],
        attn_only=True, normalization_type=None, act_fn="relu", d_mlp=None,
        seed=config.get("seed", 0), positional_embedding_type="standard")


def build_attn_only(config=None):
    """A fresh attention-only ``TransformerBridge``; ``config`` overrides DEFAULT_CONFIG's sizes."""
    import transformer_lens.model_bridge.sources.native  # noqa: F401  (attaches boot_native)
    from transformer_lens.model_bridge import TransformerBridge

    model = TransformerBridge.boot_native(bridge_config(config))
    model.eval()
    return _copyable(model)


@functools.lru_cache(maxsize=None)
def _copyable_class(base):
    class CopyableBridge(base):
        """A ``TransformerBridge`` whose deep copies are independent of the original.

        A bridge wires capture hooks on its first forward pass, as closures
        holding a weak proxy to its own attention modules. ``copy.deepcopy``
        shares closures, so a copy would write the residual it captures onto
        the ORIGINAL's attention; after a run with gradients that is a
        non-leaf tensor, and the original can no longer be deep-copied. Here
        the transient captures are dropped before copying and the copy rewires
        its own hooks on its first run.
        """

        def __deepcopy__(self, memo):
            for module in self.modules():
                if getattr(module, "_captured_pre_ln_residual", None) is not None:
                    module._captured_pre_ln_residual = None
            copied = copy._reconstruct(self, memo, *self.__reduce_ex__(4))
            for module in copied.modules():
                if getattr(module, "_capture_hooks_wired", False):
                    module._teardown_capture_hooks()
            return copied

    CopyableBridge.__name__ = base.__name__                       # prints as the library's class
    CopyableBridge.__qualname__ = f"Copyable{base.__name__}"     # and pickles by this module-level name
    CopyableBridge.__module__ = __name__
    globals()[CopyableBridge.__qualname__] = CopyableBridge
    return CopyableBridge


def _copyable(model):
    """``model`` (a bridge), with the class of :func:`_copyable_class`: same object, safe ``deepcopy``."""
    model.__class__ = _copyable_class(type(model))
    return model


def random_attn_only(config, seed):
    """A bridge with random weights drawn from ``seed``, large enough that patching moves the logits.

    For checks and hidden cases that need a second model unlike the shipped
    one: biases std 0.05, embeddings 0.6, every other matrix 0.3.
    """
    import torch

    model = build_attn_only(dict(config, seed=seed))
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, value in model.state_dict().items():
        std = 0.05 if name.endswith("bias") else 0.6 if "embed" in name else 0.3
        state[name] = torch.randn(value.shape, generator=generator) * std
    model.load_state_dict(state)
    model.eval()
    return model


def native_module(model):
    """The plain ``torch.nn.Module`` inside a bridge (faster for training; same parameters)."""
    return model.original_model


def load_attn_only(name):
    """The shipped checkpoint ``name`` as an evaluated ``TransformerBridge`` (hash-verified)."""
    from ..checkpoints import load_checkpoint

    state, info = load_checkpoint(name)
    model = build_attn_only(info["model_config"])
    model.load_state_dict(state)
    model.eval()
    return model, info


def plain_attn_only(config=None):
    """A plain-PyTorch twin of :func:`build_attn_only` for fast training.

    Its parameter names and shapes are those of the bridge's state dict, so
    ``build_attn_only(config).load_state_dict(plain.state_dict())`` gives the
    same function with TransformerLens hooks on it.
    """
    import math

    import torch
    from torch import nn

    config = dict(DEFAULT_CONFIG, **(config or {}))
    d_model, n_heads, d_head = config["d_model"], config["n_heads"], config["d_head"]

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(d_model, n_heads * d_head)
            self.k = nn.Linear(d_model, n_heads * d_head)
            self.v = nn.Linear(d_model, n_heads * d_head)
            self.o = nn.Linear(n_heads * d_head, d_model)

        def forward(self, x):
            batch, seq, _ = x.shape
            q, k, v = (lin(x).view(batch, seq, n_heads, d_head).transpose(1, 2) for lin in (self.q, self.k, self.v))
            scores = q @ k.transpose(-2, -1) / math.sqrt(d_head)
            mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
            pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
            return self.o((pattern @ v).transpose(1, 2).reshape(batch, seq, -1))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = Attention()

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(config["d_vocab"], d_model)
            self.pos_embed = nn.Embedding(config["n_ctx"], d_model)
            self.blocks = nn.ModuleList(Block() for _ in range(config["n_layers"]))
            self.unembed = nn.Linear(d_model, config["d_vocab"])
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    nn.init.zeros_(p)
                elif name.startswith("unembed"):
                    nn.init.normal_(p, std=0.02)
                elif "embed" in name:      # sizeable embeddings: there is no layer norm to rescale them
                    nn.init.normal_(p, std=EMBED_STD)
                else:
                    nn.init.normal_(p, std=p.shape[1] ** -0.5)

        def forward(self, tokens):
            x = self.embed(tokens) + self.pos_embed(torch.arange(tokens.shape[1]))
            for block in self.blocks:
                x = x + block.attn(x)
            return self.unembed(x)

    return Model()
