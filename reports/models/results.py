"""Pre-aggregated result counts and export jobs."""

__all__: list[str] = []
