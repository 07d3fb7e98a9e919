"""Header normalisation and aliases: drifting, non-ASCII, full-width headers map to canonical columns."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pandas as pd

from workdata.core.domain import Domain

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_header(name: str) -> str:
    """NFKC (full-width to half-width), trimmed, inner whitespace collapsed, case-folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(name))).strip().casefold()


def header_key(name: str) -> str:
    """What headers are matched on: normalised, without spaces, underscores or hyphens."""
    return _SEPARATORS.sub("", normalise_header(name))


@cache
def alias_map(domain: Domain) -> dict[str, str]:
    """header_key -> canonical column, from each column's name and `aliases` metadata."""
    mapping: dict[str, str] = {}
    for name, column in domain.pandera_schema.columns.items():
        for alias in [name, *(column.metadata or {}).get("aliases", ())]:
            mapping.setdefault(header_key(alias), name)
    return mapping


def apply_aliases(domain: Domain, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rename known headers to their canonical names; return the frame and the unknown extra columns."""
    mapping = alias_map(domain)
    renamed, taken = {}, set()
    for column in frame.columns:
        canonical = mapping.get(header_key(column))
        # The first header that maps to a column wins; a second one stays an extra (reported, kept).
        if canonical is not None and canonical not in taken:
            renamed[column] = canonical
            taken.add(canonical)
    extras = [str(c) for c in frame.columns if c not in renamed and not str(c).startswith("_")]
    return frame.rename(columns=renamed), extras
