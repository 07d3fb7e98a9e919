"""Open an inbox file as bytes: transparently gunzip / unzip (one member), refusing decompression bombs."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path, PurePosixPath

from workdata.core.errors import MalformedFileError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
_XLSX = ".xlsx"


def open_source(path: Path, max_bytes: int) -> tuple[str, bytes]:
    """(suffix of the real content, its bytes); .gz and single-file .zip are unpacked up to `max_bytes`."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".gz" or (data.startswith(GZIP_MAGIC) and suffix != _XLSX):
        inner = PurePosixPath(path.name[:-3] if suffix == ".gz" else path.name).suffix.lower()
        return inner, _gunzip(data, max_bytes)
    if suffix == ".zip":
        return _unzip(data, max_bytes)
    return suffix, data


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _read_capped(stream, max_bytes)
    except (OSError, EOFError) as exc:
        raise MalformedFileError(
            "The gzip file is corrupt or truncated; compress it again.", detail=str(exc)
        ) from exc


def _unzip(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise MalformedFileError("The zip file is corrupt; compress it again.", detail=str(exc)) from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        raise MalformedFileError(f"A zip must hold exactly one file; this one holds {len(members)}.")
    with archive.open(members[0]) as stream:
        return PurePosixPath(members[0].filename).suffix.lower(), _read_capped(stream, max_bytes)


def _read_capped(stream, max_bytes: int) -> bytes:
    # Read one byte past the cap: the header's claimed size cannot be trusted.
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MalformedFileError(
            f"The compressed file expands beyond the {max_bytes / 2**20:.0f} MB limit; it was refused "
            "(possible decompression bomb). Send it uncompressed or split it."
        )
    return data
