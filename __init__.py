"""govrule: executable assessment policies for government information work."""

__version__ = "0.1.0"
