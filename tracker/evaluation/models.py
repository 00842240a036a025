"""Models of this domain (filled in by its issue)."""

__all__: list[str] = []
