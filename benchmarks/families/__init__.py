"""Helpers of ``bench_families.py``: data, objectives, tools, cases, report."""
