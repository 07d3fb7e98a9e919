"""`workdata verify`: recompute checksums and check every invariant of docs/DESIGN.md section 4."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workdata.core.domain import Domain
from workdata.core.inbox.survey import file_sha256, scan_inbox
from workdata.core.operations.invariants import reconciliation_violations, unrecorded_failures
from workdata.core.storage.schema import quote_identifier
from workdata.core.storage.store import Store


@dataclass
class VerifyReport:
    """Violations make verify fail; notes are facts worth knowing (e.g. a file changed since its load)."""

    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verify(store: Store, inbox_dir: Path, domains: Iterable[Domain], max_attempts: int) -> VerifyReport:
    """Run every check; nothing is changed."""
    domains = list(domains)
    report = VerifyReport()
    report.violations += reconciliation_violations(store)
    report.violations += unrecorded_failures(store)
    with store.connect() as conn:
        report.violations += _duplicates(conn, domains)
        report.violations += _keys_across_files(conn, domains)
        report.violations += _stale_rows(conn, domains)
        report.violations += _retry_discipline(conn, max_attempts)
        ledger = {
            (d, f): (h, s)
            for d, f, h, s in conn.execute(
                "SELECT domain, file_path, file_hash, status FROM file_state"
            ).fetchall()
        }
    _checksums(inbox_dir, domains, ledger, report)
    return report


def _duplicates(conn, domains: list[Domain]) -> list[str]:
    found = []
    for domain in domains:
        table = quote_identifier(domain.name)
        for path, row, n in conn.execute(
            f"SELECT _source_file, _row_index, count(*) FROM {table} GROUP BY _source_file, _row_index "
            "HAVING count(*) > 1 LIMIT 20"
        ).fetchall():
            found.append(f"{domain.name}/{path}: source row {row} is in the warehouse {n} times")
    for domain, path, row, error, n in conn.execute(
        "SELECT domain, source_file, row_index, error_type, count(*) FROM failed_records "
        'GROUP BY session_id, domain, source_file, row_index, error_type, "column", "check" '
        "HAVING count(*) > 1 LIMIT 20"
    ).fetchall():
        found.append(f"{domain}/{path}: failed record for row {row} ({error}) stored {n} times")
    return found


def _keys_across_files(conn, domains: list[Domain]) -> list[str]:
    """A business key is loaded from one file only (whatever the domain's key policy)."""
    found = []
    for domain in domains:
        if not domain.business_key:
            continue
        table = quote_identifier(domain.name)
        key = ", ".join(quote_identifier(c) for c in domain.business_key)
        for row in conn.execute(
            f"SELECT {key}, count(DISTINCT _source_file), min(_source_file), max(_source_file) FROM {table} "
            f"GROUP BY {key} HAVING count(DISTINCT _source_file) > 1 LIMIT 20"
        ).fetchall():
            values, files, first, last = row[:-3], row[-3], row[-2], row[-1]
            found.append(
                f"{domain.name}: business key {tuple(str(v) for v in values)} is loaded from {files} files "
                f"({first}, {last})"
            )
    return found


def _stale_rows(conn, domains: list[Domain]) -> list[str]:
    found = []
    for domain in domains:
        table = quote_identifier(domain.name)
        for path, n in conn.execute(
            f"SELECT w._source_file, count(*) FROM {table} w LEFT JOIN file_state s "
            "ON s.domain = ? AND s.file_path = w._source_file "
            "WHERE s.file_path IS NULL OR s.file_hash IS DISTINCT FROM w._file_hash "
            "OR s.status NOT IN ('SUCCESS', 'PARTIAL') GROUP BY w._source_file",
            [domain.name],
        ).fetchall():
            found.append(
                f"{domain.name}/{path}: {n} warehouse rows do not belong to its current loaded content"
            )
    return found


def _retry_discipline(conn, max_attempts: int) -> list[str]:
    rows = conn.execute(
        "SELECT domain, file_path, status, attempts FROM file_state WHERE attempts > ? "
        "OR (status = 'DEAD_LETTER' AND next_retry_at IS NOT NULL) "
        "OR (status = 'FAILED' AND retryable AND attempts >= ?)",
        [max_attempts, max_attempts],
    ).fetchall()
    return [
        f"{d}/{f}: {s} after {a} attempt(s) breaks the retry cap of {max_attempts}" for d, f, s, a in rows
    ]


def _checksums(inbox_dir: Path, domains: list[Domain], ledger: dict, report: VerifyReport) -> None:
    on_disk = {(f.domain, f.key): f.path for f in scan_inbox(inbox_dir, domains)}
    for (domain, key), path in sorted(on_disk.items()):
        if (domain, key) not in ledger:
            report.violations.append(
                f"{domain}/{key}: in the inbox but not in the ledger (run `workdata run`)"
            )
        elif ledger[(domain, key)][0] and file_sha256(path) != ledger[(domain, key)][0]:
            report.notes.append(f"{domain}/{key}: changed since it was processed; the next run picks it up")
    for domain, key in sorted(set(ledger) - set(on_disk)):
        report.notes.append(f"{domain}/{key}: in the ledger but no longer in the inbox")
