"""Reference solutions for lesson 00 (welcome)."""
import math


def average(values):
    """The arithmetic mean of a non-empty list of numbers."""
    return sum(values) / len(values)


def dot(u, v):
    """The dot product of two equal-length lists of numbers."""
    return sum(a * b for a, b in zip(u, v))


def normalize(v):
    """v scaled to length 1 (Euclidean norm), as a list."""
    length = math.sqrt(dot(v, v))
    return [a / length for a in v]
