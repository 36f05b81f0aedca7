"""The document's structure from markdown-it-py tokens: headings, tables, list items, paragraphs.

Extraction works on these blocks rather than on raw lines, so a table cell, a nested bullet and a
sentence each arrive with their source line and their place in the document (heading path,
parent bullets). Inline markup (bold, code, links) is reduced to its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(slots=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(slots=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    #: 1-based source line of each row (header excluded).
    row_lines: list[int]
    line: int


@dataclass(slots=True)
class Item:
    """A list item: its own text (first paragraph and following ones) and its children."""

    text: str
    line: int
    children: list[Item] = field(default_factory=list)


@dataclass(slots=True)
class ItemList:
    items: list[Item]
    line: int


@dataclass(slots=True)
class Paragraph:
    text: str
    line: int


Block = Heading | Table | ItemList | Paragraph


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    return md


def inline_text(token: Token) -> str:
    """Plain text of an inline token: text and code spans, breaks as spaces, HTML dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def parse_blocks(text: str) -> list[Block]:
    tokens = _parser().parse(text)
    blocks: list[Block] = []
    pos = 0
    while pos < len(tokens):
        tok = tokens[pos]
        if tok.type == "heading_open":
            blocks.append(Heading(int(tok.tag[1:]), inline_text(tokens[pos + 1]), _line(tok)))
            pos += 3
        elif tok.type == "table_open":
            pos, table = _table(tokens, pos)
            blocks.append(table)
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            pos, items = _list(tokens, pos)
            blocks.append(ItemList(items, _line(tok)))
        elif tok.type == "paragraph_open":
            blocks.append(Paragraph(inline_text(tokens[pos + 1]), _line(tok)))
            pos += 3
        elif tok.type == "blockquote_open":
            pos += 1  # read the quote's contents as ordinary blocks
        else:
            pos += 1
    return blocks


def _table(tokens: list[Token], pos: int) -> tuple[int, Table]:
    start = tokens[pos]
    header: list[str] = []
    rows: list[list[str]] = []
    row_lines: list[int] = []
    current: list[str] | None = None
    in_head = False
    pos += 1
    while pos < len(tokens) and tokens[pos].type != "table_close":
        tok = tokens[pos]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            current = []
            if not in_head:
                row_lines.append(_line(tok))
        elif tok.type == "tr_close" and current is not None:
            if in_head:
                header = current
            else:
                rows.append(current)
        elif tok.type == "inline" and current is not None:
            current.append(inline_text(tok))
        pos += 1
    return pos + 1, Table(header, rows, row_lines, _line(start))


def _list(tokens: list[Token], pos: int) -> tuple[int, list[Item]]:
    close = tokens[pos].type.replace("_open", "_close")
    depth = tokens[pos].level
    items: list[Item] = []
    pos += 1
    current: Item | None = None
    while pos < len(tokens):
        tok = tokens[pos]
        if tok.type == close and tok.level == depth:
            return pos + 1, items
        if tok.type == "list_item_open":
            current = Item("", _line(tok))
            items.append(current)
            pos += 1
        elif tok.type in ("bullet_list_open", "ordered_list_open") and current is not None:
            pos, children = _list(tokens, pos)
            current.children.extend(children)
        elif tok.type == "inline" and current is not None:
            text = inline_text(tok)
            current.text = f"{current.text} {text}".strip() if current.text else text
            pos += 1
        elif tok.type == "table_open" and current is not None:
            pos, table = _table(tokens, pos)
            for row in table.rows:
                current.children.append(Item(" | ".join(row), table.line))
        else:
            pos += 1
    return pos, items
