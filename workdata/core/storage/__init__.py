"""Storage: the warehouse, the ledger, the failure table and CSV, and state that processes share."""
