"""One dynamic partition per source file, per domain."""

from __future__ import annotations

import dagster as dg

from workdata.domains import DOMAINS

FILE_PARTITIONS: dict[str, dg.DynamicPartitionsDefinition] = {
    name: dg.DynamicPartitionsDefinition(name=f"{name}_files") for name in DOMAINS
}
