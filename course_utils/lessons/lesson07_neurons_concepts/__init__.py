"""Lesson 07: Neurons and concepts. Its reference answers, checks and hidden cases, in one place."""
