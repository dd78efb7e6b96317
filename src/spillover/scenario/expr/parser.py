"""The recursive-descent (Pratt) parser, and compiling text against the available outcomes."""

from __future__ import annotations

from collections.abc import Iterable

from spillover.scenario.expr.lexer import (
    BUILTINS,
    COMPARISONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExprError,
    Token,
    tokenize,
)
from spillover.scenario.expr.nodes import (
    Arith,
    BoolOp,
    Column,
    Compare,
    Constant,
    Expr,
    Func,
    Neg,
    Not,
    Number,
    check_columns,
)

# --------------------------------------------------------------------------- parser


_POWER_OR, _POWER_AND, _POWER_NOT, _POWER_COMPARE, _POWER_SUM, _POWER_PRODUCT, _POWER_NEG = (
    10, 20, 30, 40, 50, 60, 70
)
_INFIX_POWER = {
    "or": _POWER_OR,
    "and": _POWER_AND,
    **dict.fromkeys(COMPARISONS, _POWER_COMPARE),
    "+": _POWER_SUM,
    "-": _POWER_SUM,
    "*": _POWER_PRODUCT,
    "/": _POWER_PRODUCT,
}


class _Parser:
    """Recursive-descent (Pratt) parser over a token list.

    Two guards keep every later recursive walk of the tree (evaluation, rendering and
    the dataclass ``==``/``repr``) far from Python's recursion limit: the descent depth
    (nested operands and parentheses) and the height of the tree being built are both
    capped at :data:`MAX_DEPTH`.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = -1  # the outermost expression is level 0
        self.heights: dict[int, int] = {}  # id(node) -> tree height, for inner nodes

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    @property
    def previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index else None

    def advance(self) -> Token:
        token = self.current
        if token.kind != "EOF":
            self.index += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        token = self.current
        return token.kind == kind and (not texts or token.text in texts)

    def error(self, message: str, token: Token | None = None) -> ExprError:
        return ExprError(message, (token or self.current).column, self.text)

    def too_deep(self, token: Token) -> ExprError:
        return self.error(f"expression is nested too deeply (limit {MAX_DEPTH} levels)", token)

    def built(self, node: Expr, token: Token) -> Expr:
        """Record the height of a new inner node, refusing trees taller than MAX_DEPTH."""
        height = 1 + max(self.heights.get(id(child), 1) for child in node.children())
        if height > MAX_DEPTH:
            raise self.too_deep(token)
        self.heights[id(node)] = height
        return node

    def parse(self) -> Expr:
        if self.current.kind == "EOF":
            raise self.error("the expression is empty")
        expr = self.expression(0, self.current)
        if self.current.kind != "EOF":
            raise self.error(self.unexpected_after_operand())
        return expr

    def unexpected_after_operand(self) -> str:
        token = self.current
        if token.kind == "NAME" and token.text.lower() in KEYWORDS:
            return f"expected an operator, found {token.text!r}; write {token.text.lower()!r}"
        if token.text in (")", "]"):
            return f"unmatched {token.text!r}"
        return f"expected an operator or the end of the expression, found {token.describe()}"

    def infix_power(self) -> int:
        """Binding power of the current token as an infix operator, 0 if it is not one."""
        token = self.current
        return _INFIX_POWER.get(token.text, 0) if token.kind in ("OP", "KEYWORD") else 0

    def expression(self, min_power: int, opener: Token) -> Expr:
        """Parse operators binding tighter than ``min_power`` (Pratt's loop).

        Operators of one precedence level are gathered into one n-ary node, so a flat
        chain such as ``a + b - c + ...`` costs no recursion.  ``opener`` is the token
        that made this a nested operand, blamed when nesting goes too deep.
        """
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.too_deep(opener)
        left = self.prefix(min_power)
        power = self.infix_power()
        while power > min_power:
            first_op = self.current
            rest: list[tuple[str, Expr]] = []
            while self.infix_power() == power:
                op = self.advance()
                rest.append((op.text, self.expression(power, op)))
            if power in (_POWER_OR, _POWER_AND):
                node: Expr = BoolOp(first_op.text, (left, *(operand for _, operand in rest)))
            elif power == _POWER_COMPARE:
                node = Compare(left, tuple(rest))
            else:
                node = Arith(left, tuple(rest))
            left = self.built(node, first_op)
            power = self.infix_power()
        self.depth -= 1
        return left

    def prefix(self, min_power: int) -> Expr:
        """Parse what may start an operand: a literal, name, '(' group, '-' or 'not'."""
        token = self.current
        if token.kind == "NUMBER":
            self.advance()
            assert isinstance(token.value, float)
            return Number(token.value)
        if token.kind == "KEYWORD" and token.text.lower() in ("true", "false"):
            self.advance()
            return Constant(token.text.lower() == "true")
        if token.kind == "NAME":
            return self.parse_name()
        if self.at("OP", "("):
            self.advance()
            inner = self.expression(0, token)
            self.expect_close(")", token)
            return inner
        if self.at("OP", "-"):
            self.advance()
            return self.built(Neg(self.expression(_POWER_NEG, token)), token)
        if self.at("KEYWORD", "not") and min_power <= _POWER_NOT:
            self.advance()
            return self.built(Not(self.expression(_POWER_NOT, token)), token)
        raise self.error(self.expected_operand())

    def expected_operand(self) -> str:
        token, previous = self.current, self.previous
        if token.kind == "KEYWORD" and token.text == "not":
            return "put 'not ...' in parentheses here"
        if token.kind == "DATE":
            return (f"a date such as {token.text} is only allowed as an argument of a windowed outcome, "
                    f"e.g. shortfall_days(A, m, {token.text}, {token.text})")
        if token.kind == "STRING":
            return (
                f"quoted text {token.text} is only allowed inside name(...) or name[...], "
                "e.g. peak('kor_threat')"
            )
        if token.kind == "EOF" and previous is not None:
            return f"expected a name or number after {previous.text!r}"
        return f"expected a name or number, found {token.describe()}"

    def expect_close(self, close: str, opener: Token) -> None:
        if self.at("OP", close):
            self.advance()
            return
        found = self.current.describe()
        raise self.error(
            f"expected {close!r} to close {opener.text!r} at column {opener.column}, "
            f"found {found}"
        )

    def parse_name(self) -> Expr:
        head = self.advance()
        name = head.text
        if self.at("OP", "(") and name in BUILTINS:
            return self.parse_builtin(head)
        if not self.at("OP", "(", "["):
            return Column(name, head.column)
        opener = self.advance()
        close = ")" if opener.text == "(" else "]"
        parts = [name, self.parse_argument(head, opener)]
        while self.at("OP", ","):
            self.advance()
            parts.append(self.parse_argument(head, opener))
        self.expect_close(close, opener)
        return Column(".".join(parts), head.column)

    def parse_argument(self, head: Token, opener: Token) -> str:
        token = self.current
        if token.kind in ("NAME", "STRING", "DATE"):
            self.advance()
            assert isinstance(token.value, str)
            return token.value
        close = ")" if opener.text == "(" else "]"
        if token.text == close and self.previous is opener:
            message = f"'{head.text}{opener.text}{close}' needs a name inside, e.g. peak[kor_threat]"
        else:
            message = (
                f"expected a name or quoted name inside {head.text}{opener.text}...{close}, "
                f"found {token.describe()}"
            )
        raise self.error(message)

    def parse_builtin(self, head: Token) -> Expr:
        opener = self.advance()
        args = [self.expression(0, opener)]
        while self.at("OP", ","):
            self.advance()
            args.append(self.expression(0, opener))
        self.expect_close(")", opener)
        least, most = BUILTINS[head.text]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"exactly {least}" if least == most else f"at least {least}"
            raise self.error(
                f"{head.text}() takes {wanted} argument{'s' if least > 1 else ''}, "
                f"got {len(args)}; for the column {head.text}.x write {head.text}[x]",
                head,
            )
        return self.built(Func(head.text, tuple(args)), head)


def parse(text: str) -> Expr:
    """Parse expression text into a syntax tree.

    Parameters
    ----------
    text
        The expression, at most :data:`MAX_LENGTH` characters.

    Returns
    -------
    Expr
        The root node.

    Raises
    ------
    ExprError
        For any syntax error, pointing at the offending column.

    Examples
    --------
    >>> parse("x < 3")
    Compare(first=Column(name='x', position=1), rest=(('<', Number(value=3.0)),))
    >>> print(parse("first_shortfall[RUS, 'shell152'] < 365"))
    first_shortfall.RUS.shell152 < 365
    >>> print(parse("peak('chn_rus_friction')"))
    peak.chn_rus_friction
    >>> parse("days_of_fire.prk_rus_shells >")
    Traceback (most recent call last):
    ...
    spillover.scenario.expr.ExprError: column 30: expected a name or number after '>'
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"expression is too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
            MAX_LENGTH + 1,  # the first character over the limit
            text,
        )
    return _Parser(text).parse()


def compile_expr(text: str, available: Iterable[str]) -> Expr:
    """Parse ``text`` and check its columns against ``available``.

    Examples
    --------
    >>> e = compile_expr("peak[kor_threat] >= 0.6", ["peak.kor_threat"])
    >>> e.evaluate({"peak.kor_threat": [0.5, 0.6]})
    array([False,  True])
    """
    expr = parse(text)
    check_columns(expr, available, text)
    return expr
