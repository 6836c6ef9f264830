"""Lesson 05: LLM basics. Its reference answers, checks and hidden cases, in one place."""
