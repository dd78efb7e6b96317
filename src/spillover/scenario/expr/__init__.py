"""A small, safe expression language for claims and quantities over per-run outcomes.

Analysts write claims such as ``days_of_fire.prk_rus_shells > 365`` or
``fired[kor_arms_ukraine] and peak.kor_threat >= 0.6``.  This module turns such text into
an abstract syntax tree of frozen dataclasses with a hand-written tokenizer and a
recursive-descent (Pratt) parser, and evaluates the tree with numpy over all rows of an
outcomes table at once.  Nothing is ever passed to
:func:`eval`; the only things a name can reach are the columns of the table.

Grammar (precedence from loosest to tightest, as in Python)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | atom
    atom     := NUMBER | "true" | "false" | "(" expr ")"
              | NAME                                   -- a column, e.g. peak.kor_threat
              | NAME "(" arg ("," arg)* ")"            -- the column NAME.arg1.arg2...
              | NAME "[" arg ("," arg)* "]"            -- the same, index form
              | ("abs" | "min" | "max") "(" expr ("," expr)* ")"
    arg      := NAME | 'quoted' | "quoted"

Semantics
---------
* Chained comparisons mean what they mean in Python: ``0.2 < x <= 0.5`` is
  ``0.2 < x and x <= 0.5``.
* Booleans are 0/1 in arithmetic and comparisons; a number used as a truth value (by
  ``and``, ``or``, ``not``) is true when it is non-zero and not NaN.
* NaN follows IEEE 754 as numpy does: ``<``, ``<=``, ``>``, ``>=`` and ``==`` are False
  when either side is NaN and ``!=`` is True.  So ``fired_day.kor_arms_ukraine < 180`` is
  False in runs where the event never fired (NaN).  ``not (a > b)`` therefore equals
  ``a <= b`` only when neither side is NaN.
* Division by zero gives ``inf`` (or NaN for ``0 / 0``) without a warning;
  ``min``/``max`` propagate NaN.
* Call and index forms of ``abs``, ``min`` and ``max`` differ: ``min(a, b)`` is the
  elementwise minimum, ``min[a]`` and ``min.a`` are the column ``min.a``.
"""

from __future__ import annotations

from spillover.scenario.expr.lexer import MAX_DEPTH, MAX_LENGTH, ExprError
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
from spillover.scenario.expr.parser import compile_expr, parse

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Arith",
    "BoolOp",
    "Column",
    "Compare",
    "Constant",
    "Expr",
    "ExprError",
    "Func",
    "Neg",
    "Not",
    "Number",
    "check_columns",
    "compile_expr",
    "parse",
]
