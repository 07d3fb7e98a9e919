"""Ingesting files: one partitioned asset per domain, its file partitions, jobs, pools and run tags."""
