"""Cleaning: the rules of docs/data-quality.md as set-based DuckDB SQL, the data_issues log, row accounts."""
