"""A small multilayer perceptron that any lesson can train, probe or take apart.

``MLP([64, 128, 10])`` is Linear(64→128) → activation → Linear(128→10): the
activation sits between linear layers, never after the last one, so the
output is a vector of logits. ``model.activations(x)`` returns what every
layer produced, which is what probing and representation lessons need.
"""
import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "identity": nn.Identity}


class MLP(nn.Module):
    """Fully connected network with layer widths ``sizes`` (input first, output last)."""

    def __init__(self, sizes, activation="relu"):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes should list at least an input and an output width, all positive; got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation should be one of {sorted(ACTIVATIONS)}; got {activation!r}")
        self.sizes = sizes
        self.activation_name = activation
        self.linears = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        self.activation = ACTIVATIONS[activation]()

    def forward(self, x):
        for index, linear in enumerate(self.linears):
            x = linear(x)
            if index < len(self.linears) - 1:
                x = self.activation(x)
        return x

    def activations(self, x):
        """Every layer's output, as a dict in order: "linear0", "act0", "linear1", ..., the logits last."""
        out = {}
        for index, linear in enumerate(self.linears):
            x = linear(x)
            out[f"linear{index}"] = x
            if index < len(self.linears) - 1:
                x = self.activation(x)
                out[f"act{index}"] = x
        return out

    def hidden_activations(self, x):
        """The post-activation output of each hidden layer, as a list (empty for a single linear layer)."""
        acts = self.activations(x)
        return [acts[f"act{index}"] for index in range(len(self.linears) - 1)]

    def n_parameters(self):
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self):
        return f"sizes={self.sizes}, activation={self.activation_name!r}"


@torch.no_grad()
def accuracy(model, X, y):
    """The fraction of rows of X whose largest logit is at the label y."""
    model.eval()
    return float((model(X).argmax(dim=1) == y).float().mean())
