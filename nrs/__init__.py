"""NRS - National Reporting System."""
