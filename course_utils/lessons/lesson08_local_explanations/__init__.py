"""Lesson 08: Local explanations. Its reference answers, checks and hidden cases, in one place."""
