"""Importing this module keeps a slow, unused import out of the grading processes; import it before nbformat.

nbformat validates notebooks with jsonschema, and jsonschema, when the optional package rfc3987-syntax is
installed (Jupyter's dependencies install it), builds a Lark grammar for the "iri" string format at import
time: about 2 s of CPU in every process that imports nbformat, more than the rest of a lesson 01 notebook
run. No notebook schema uses that format. A ``None`` entry in ``sys.modules`` makes its import raise
ImportError, which jsonschema expects, so it skips that one format check.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)
