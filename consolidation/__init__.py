"""Consolidation: the figures of many units' reports, as data and as an .xlsx workbook."""
