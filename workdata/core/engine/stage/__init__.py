"""Staging: a file's good rows and failed records, block by block, in memory or spilled to Parquet."""
