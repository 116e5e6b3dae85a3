"""Tamper evidence that stands on its own: the chain's reference definition and the offline bundle verifier.

Imports nothing of the project, so `verify_bundle.py` can be copied into an audit bundle and run alone.
"""
