"""The engine: a file read, validated and staged, whatever its size or format; no database in sight."""
