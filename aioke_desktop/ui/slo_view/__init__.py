"""The SLO page's parts: its fetches and the charts of the selected SLO."""
