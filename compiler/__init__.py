"""The govrule compiler: parse → build → resolve → graph → lower."""
