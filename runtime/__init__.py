"""The govrule runtime: read ledgers, run a compiled plan, account for every row."""
