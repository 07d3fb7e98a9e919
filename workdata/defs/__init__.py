"""Dagster wiring of workdata: thin definitions that call into workdata.core."""
