"""Presentation: rows from the read models in, Plotly figures and offline pages out. No SQL."""
