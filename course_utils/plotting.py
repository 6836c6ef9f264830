"""Matplotlib helpers shared by lessons: one style, PNG export, common pictures."""
import io

import matplotlib

import matplotlib.pyplot as plt
import numpy as np

CLASS_COLOURS = ("#d95f02", "#1b9e77")  # class 0, class 1: colour-blind safe


def setup_style():
    """The course's plot defaults: readable sizes and no run-dependent metadata."""
    plt.rcParams.update({
        "figure.figsize": (6.0, 4.0),
        "figure.dpi": 90,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 11,
    })


def figure_png(figure):
    """The figure as PNG bytes (for widgets and static fallbacks)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def plot_points(ax, X, y, labels=("class 0", "class 1")):
    """Scatter 2-D points coloured by their 0/1 label."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    for value, colour, marker, label in zip((0, 1), CLASS_COLOURS, ("o", "s"), labels):
        mask = y == value
        ax.scatter(X[mask, 0], X[mask, 1], c=colour, marker=marker, s=60, edgecolor="black",
                   linewidth=0.6, label=label, zorder=3)


def plot_linear_boundary(ax, w, b, xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), shade=True):
    """Draw the line w·x + b = 0 and shade the side where the neuron fires."""
    w = np.asarray(w, dtype=float)
    xs = np.linspace(*xlim, 200)
    ys = np.linspace(*ylim, 200)
    if shade:
        grid_x, grid_y = np.meshgrid(xs, ys)
        fires = (w[0] * grid_x + w[1] * grid_y + b) > 0
        ax.contourf(grid_x, grid_y, fires.astype(float), levels=[-0.5, 0.5, 1.5],
                    colors=[CLASS_COLOURS[0], CLASS_COLOURS[1]], alpha=0.15)
    if abs(w[1]) > 1e-12:
        ax.plot(xs, -(w[0] * xs + b) / w[1], color="black", linewidth=1.5, label="w·x + b = 0")
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="black", linewidth=1.5, label="w·x + b = 0")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
