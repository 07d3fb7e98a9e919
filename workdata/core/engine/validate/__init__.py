"""Validating: raw text to typed columns, pandera checks and reference lookups, good split from bad."""
