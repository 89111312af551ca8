"""Command-line interface: `sipas` and `python -m sipas`."""
