"""workdata: Dagster ingestion where every row is loaded or captured."""
