"""The one error type the flow loader raises, so callers catch exactly that."""

from __future__ import annotations


class FlowFormatError(Exception):
    """A flow file that cannot be loaded: what is wrong and where.

    ``path`` is a JSON path such as ``nodes[3].config.duration``; ``node`` the
    node id when the problem belongs to one; ``line`` the line in the file for
    JSON syntax errors.
    """

    def __init__(self, message: str, *, path: str | None = None, node: str | None = None,
                 line: int | None = None, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.node = node
        self.line = line
        self.file = file

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}" + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        if self.node:
            where.append(f"node {self.node}")
        return (": ".join(where) + ": " if where else "") + self.message
