"""Lesson 02: Gradient descent. Its reference answers, checks and hidden cases, in one place."""
