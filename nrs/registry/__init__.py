"""Org units with lineage, the indicator catalogue, report regimes, targets."""
