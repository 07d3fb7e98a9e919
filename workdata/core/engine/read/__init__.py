"""Reading: inbox bytes to raw text rows with their source row numbers, malformed rows kept."""
