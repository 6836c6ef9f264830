"""Lesson 04: ReLU networks are piecewise linear. Its reference answers, checks and hidden cases, in one place."""
