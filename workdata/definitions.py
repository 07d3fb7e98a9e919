"""The Dagster code location (loaded by workspace.yaml, `dagster dev` and `dg dev`)."""

from __future__ import annotations

import dagster as dg

from workdata.app import load_settings
from workdata.defs.build import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    """workdata's Definitions; paths come from WORKDATA_* settings when the location loads."""
    return build_definitions(load_settings())
