"""Deterministic demo data with ground truth: clean files, dirty files, whole-file failures."""
