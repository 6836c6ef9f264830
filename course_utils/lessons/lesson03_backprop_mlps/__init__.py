"""Lesson 03: Backpropagation and MLPs. Its reference answers, checks and hidden cases, in one place."""
