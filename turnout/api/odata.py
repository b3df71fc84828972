"""The OData subset Action Network clients send in `?filter=`, parsed into ORM conditions.

`modified_date gt '2026-03-25' and (email_address eq 'a@b.org' or given_name eq 'Ana')`
becomes a `Q` over an allow-list of fields; the text never reaches SQL. A field outside
the allow-list is ignored (clients send fields other servers support); a filter that
does not parse is an error that says where it stopped making sense.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.db.models import Q
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from turnout.api import dates

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr
        | or_expr OR and_expr   -> or_
?and_expr: atom
         | and_expr AND atom    -> and_
?atom: comparison
     | "(" or_expr ")"
comparison: FIELD OP value
value: STRING | BARE

OR.2: /or/i
AND.2: /and/i
OP.2: /(eq|ne|gt|ge|lt|le)(?![A-Za-z0-9_])/i
FIELD: /[A-Za-z_][A-Za-z0-9_:.\-]*/
STRING: /'(?:[^']|'')*'/ | /"(?:[^"]|"")*"/
BARE: /[^\s()'"]+/
%ignore /\s+/
"""

# The contextual lexer only tries the terminals the parser can accept next, which is
# what lets `'a@b.org'andgiven_name eq 'X'` (one client joins clauses without spaces)
# read as two comparisons.
_parser = Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
Condition = Callable[[str, str], Q]


class FilterError(ValueError):
    """A filter that cannot be parsed or a value that does not fit its field."""


def _expected(exc: UnexpectedInput) -> str:
    names = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    if names & {"FIELD", "LPAR"}:
        return "a field name or '('"
    if "OP" in names:
        return "a comparison (eq, ne, gt, ge, lt, le)"
    if names & {"STRING", "BARE"}:
        return "a value, such as 'text'"
    if names & {"AND", "OR", "RPAR"}:
        return "'and', 'or' or ')'"
    return "something else"


def _describe(text: str, exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return f"Malformed filter: it ends too soon; expected {_expected(exc)} at the end."
    position = getattr(exc, "pos_in_stream", None)
    if isinstance(exc, UnexpectedToken):
        position = exc.token.start_pos
    position = position if isinstance(position, int) else 0
    near = text[position:position + 20]
    if isinstance(exc, UnexpectedCharacters) and text[position:position + 1] in "'\"":
        return f"Malformed filter at character {position + 1}: a quoted value is not closed."
    return f"Malformed filter at character {position + 1} (near “{near}”): expected {_expected(exc)}."


def unquote(token: str) -> str:
    """OData quoting: a quote inside a value is written twice ('O''Brien'); backslashes are plain."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        quote = token[0]
        return token[1:-1].replace(quote * 2, quote)
    return token


@v_args(inline=True)
class _ToQ(Transformer[Token, Q | None]):
    def __init__(self, fields: Mapping[str, Condition]) -> None:
        super().__init__()
        self.fields = fields

    def value(self, token: Token) -> str:
        return unquote(str(token))

    def comparison(self, field: Token, op: Token, value: str) -> Q | None:
        condition = self.fields.get(str(field).lower())
        if condition is None:
            return None  # an unsupported field is ignored, as Action Network does
        return condition(str(op).lower(), value)

    def and_(self, left: Q | None, _op: Token, right: Q | None) -> Q | None:
        if left is None or right is None:
            return right if left is None else left
        return left & right

    def or_(self, left: Q | None, _op: Token, right: Q | None) -> Q | None:
        if left is None or right is None:
            return right if left is None else left
        return left | right


# The transformer below recurses once per level of the tree, and `a or b or c …` is a level per
# clause: bounded here, far below Python's recursion limit, so no filter reaches a RecursionError.
MAX_DEPTH = 100
MAX_LENGTH = 4000


def _depth(tree: Tree[Token]) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


def parse(text: str, fields: Mapping[str, Condition]) -> Q | None:
    """The condition a filter means over these fields; None when it constrains nothing."""
    if not text or not text.strip():
        return None
    if len(text) > MAX_LENGTH:
        raise FilterError(f"The filter is {len(text)} characters long; at most {MAX_LENGTH} are read.")
    try:
        tree = _parser.parse(text)
    except UnexpectedInput as exc:
        raise FilterError(_describe(text, exc)) from None
    if _depth(tree) > MAX_DEPTH:
        raise FilterError(f"The filter joins too many comparisons with and/or: at most {MAX_DEPTH} levels.")
    try:
        result = _ToQ(fields).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, FilterError):
            raise exc.orig_exc from None
        raise
    if isinstance(result, Token):  # pragma: no cover - the grammar always yields a comparison
        return None
    return result


# Field conditions ---------------------------------------------------------------------


def _compare(lookup: str, op: str, value: Any) -> Q:
    if op == "eq":
        return Q(**{lookup: value})
    if op == "ne":
        return ~Q(**{lookup: value})
    return Q(**{f"{lookup}__{op.replace('ge', 'gte').replace('le', 'lte')}": value})


def text(lookup: str) -> Condition:
    """A text column: eq/ne ignore case; gt/lt compare as text."""

    def condition(op: str, value: str) -> Q:
        if op in ("eq", "ne"):
            return _compare(f"{lookup}__iexact", op, value)
        return _compare(lookup, op, value)

    return condition


def when(lookup: str) -> Condition:
    """A timestamp column; values may be dates, naive (UTC) or offset datetimes.

    A date alone means midnight UTC, so `gt '2026-03-25'` includes all of the 25th: a sync
    that passes the day of its last run gets a record twice rather than never. `eq` with a
    date means the whole day. Dates outside the years dates.py allows are a FilterError.
    """

    def condition(op: str, value: str) -> Q:
        try:
            start, is_day = dates.read_utc(value, "A date in a filter")
        except dates.DateError as exc:
            raise FilterError(str(exc)) from None
        if is_day and op in ("eq", "ne"):
            day = Q(**{f"{lookup}__gte": start, f"{lookup}__lt": start + timedelta(days=1)})
            return day if op == "eq" else ~day
        return _compare(lookup, op, start)

    return condition


def custom(build: Callable[[str, str], Q]) -> Condition:
    return build
