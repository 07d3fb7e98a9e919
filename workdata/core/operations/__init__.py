"""Operations on the ledger: recovery, replay, verify, maintenance, checks, reports and run summaries."""
