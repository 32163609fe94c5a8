"""DHIS2 dataValueSets (JSON, CSV) and ADX XML imports, through mapping tables."""
