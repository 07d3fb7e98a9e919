"""Sensors (new inbox files, due retries, finished runs) and the honest outcome each finished run gets."""
