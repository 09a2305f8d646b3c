"""Source positions. A span takes no part in the equality of the node that carries it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def shifted(self, start: int, length: int) -> "Span":
        """The sub-span `length` characters long, `start` characters into a one-line span."""
        column = self.column + start
        return Span(self.file, self.line, column, self.line, column + max(length, 1))



def span_field():
    """A dataclass field for a node's span: optional, and no part of equality or repr."""
    return field(default=None, compare=False, repr=False)
