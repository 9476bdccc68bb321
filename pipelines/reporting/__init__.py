"""Reporting: tables (CSV, Markdown, LaTeX), figures and the HTML page of an evaluation."""
