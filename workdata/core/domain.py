"""A domain: its pandera schema (the language users write), references, and what derives from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import pandera.pandas as pa

from workdata.core.records import ErrorType

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Ways a report month is written in the files we receive (tried in order; exact, never guessed).
MONTH_FORMATS = ("%Y-%m", "%Y-%m-%d", "%Y年%m月", "%Y年%m月%d日", "%Y%m", "%Y%m%d", "%Y/%m", "%Y/%m/%d")


class Kind(StrEnum):
    """How a raw text column is converted before validation."""

    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DATE = "date"
    BOOLEAN = "boolean"

    @property
    def sql_type(self) -> str:
        """The SQL type (valid in DuckDB and PostgreSQL) a column of this kind is stored as."""
        return {
            "text": "VARCHAR",
            "integer": "BIGINT",
            "float": "DOUBLE PRECISION",
            "date": "DATE",
            "boolean": "BOOLEAN",
        }[self.value]


@dataclass(frozen=True)
class ColumnSpec:
    """One schema column as the converter sees it."""

    name: str
    kind: Kind
    required: bool
    formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReferenceCheck:
    """Look `column` up in a reference table; misses become `error_type` rows, hits add `adds`."""

    column: str
    reference: str
    key: str
    error_type: ErrorType
    adds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    """Everything workdata needs to ingest one kind of file."""

    name: str
    schema: type[pa.DataFrameModel]
    description: str
    references: tuple[ReferenceCheck, ...] = ()
    file_suffixes: tuple[str, ...] = (".csv", ".jsonl", ".ndjson", ".parquet", ".xlsx", ".gz", ".zip")

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"domain name {self.name!r} must be a lowercase SQL identifier")

    @cached_property
    def pandera_schema(self) -> pa.DataFrameSchema:
        """The schema object built from the DataFrameModel."""
        return self.schema.to_schema()

    @cached_property
    def columns(self) -> tuple[ColumnSpec, ...]:
        """Converter specs, in schema order."""
        return tuple(
            ColumnSpec(
                name,
                _kind_of(str(col.dtype)),
                not col.nullable,
                tuple((col.metadata or {}).get("formats", ())),
            )
            for name, col in self.pandera_schema.columns.items()
        )

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must have (nullable ones may be absent)."""
        return [c.name for c in self.columns if c.required]

    @property
    def business_key(self) -> list[str]:
        """Columns that identify a row within a file (the schema's unique)."""
        unique = self.pandera_schema.unique or []
        return [unique] if isinstance(unique, str) else list(unique)

    @property
    def warehouse_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of the domain table, lineage excluded."""
        added = [(name, "VARCHAR") for ref in self.references for name in ref.adds]
        return [(c.name, c.kind.sql_type) for c in self.columns] + added


def _kind_of(dtype: str) -> Kind:
    if "int" in dtype:
        return Kind.INTEGER
    if "float" in dtype:
        return Kind.FLOAT
    if "datetime" in dtype or "date" in dtype:
        return Kind.DATE
    if "bool" in dtype:
        return Kind.BOOLEAN
    return Kind.TEXT
