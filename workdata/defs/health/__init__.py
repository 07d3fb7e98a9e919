"""What the operator sees about each domain's failures: asset checks and per-file observations."""
