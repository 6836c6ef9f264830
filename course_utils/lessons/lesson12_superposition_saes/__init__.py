"""Lesson 12: Superposition and sparse autoencoders. Its reference answers, checks and hidden cases, in one place."""
