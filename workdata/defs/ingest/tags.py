"""Run tags workdata sets and reads (a module of constants: every other defs module may import it)."""

RETRY_TAG, ATTEMPT_TAG, PARENT_TAG = "workdata/retry", "workdata/attempt", "workdata/parent_session"
