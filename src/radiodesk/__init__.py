"""radiodesk: publish radio interviews and speeches as a podcast."""

__version__ = "0.1.0"
