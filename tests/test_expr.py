"""Tests for the claim expression language (spillover.scenario.expr)."""

from __future__ import annotations

import inspect
import math
import pickle
import re
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spillover.scenario.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    BoolOp,
    Column,
    Compare,
    Constant,
    Expr,
    ExprError,
    Func,
    Neg,
    Not,
    Number,
    check_columns,
    compile_expr,
    parse,
)

OUTCOMES = [
    "days_of_fire.prk_rus_shells",
    "delivered.prk_rus_shells",
    "first_shortfall.RUS.shell152",
    "first_shortfall_without_transfers.RUS.shell152",
    "final.kor_threat",
    "peak.kor_threat",
    "peak.chn_rus_friction",
    "days_above.kor_threat",
    "miscalc_peak.kor_threat",
    "miscalc_mean.kor_threat",
    "miscalc_peak",
    "fired.kor_arms_ukraine",
    "fired_day.kor_arms_ukraine",
]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("peak('chn_rus_friction')", "peak.chn_rus_friction"),
        ('peak("chn_rus_friction")', "peak.chn_rus_friction"),
        ("peak(chn_rus_friction)", "peak.chn_rus_friction"),
        ("peak[chn_rus_friction]", "peak.chn_rus_friction"),
        ("peak.chn_rus_friction", "peak.chn_rus_friction"),
        ("first_shortfall[RUS, shell152]", "first_shortfall.RUS.shell152"),
        ("first_shortfall('RUS', \"shell152\")", "first_shortfall.RUS.shell152"),
        ("first_shortfall.RUS[shell152]", "first_shortfall.RUS.shell152"),
        ("first_shortfall [ RUS , shell152 ]", "first_shortfall.RUS.shell152"),
        ("miscalc_peak", "miscalc_peak"),
        ("min[kor_threat]", "min.kor_threat"),
        ("abs.x", "abs.x"),
        ("not.x", "not.x"),
    ],
)
def test_call_index_and_dotted_forms_name_the_same_column(text: str, column: str) -> None:
    parsed = parse(text)
    assert parsed == Column(column)
    assert parsed.columns() == frozenset({column})
    assert not parsed.is_predicate


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42.0), ("0.5", 0.5), (".5", 0.5), ("1.", 1.0), ("1e3", 1000.0), ("1_000", 1000.0),
     ("2.5E-2", 0.025), ("1_0.2_5e+0_1", 102.5)],
)
def test_numbers(text: str, value: float) -> None:
    assert parse(text) == Number(value)


def test_literals_and_precedence() -> None:
    a, b, c = Column("a"), Column("b"), Column("c")
    assert parse("true") == Constant(True)
    assert parse("false") == Constant(False)
    assert parse("a + b * c") == Arith(a, (("+", Arith(b, (("*", c),))),))
    assert parse("(a + b) * c") == Arith(Arith(a, (("+", b),)), (("*", c),))
    assert parse("a - b - c") == Arith(a, (("-", b), ("-", c)))
    assert parse("-a * b") == Arith(Neg(a), (("*", b),))
    assert parse("not a and b or c") == BoolOp("or", (BoolOp("and", (Not(a), b)), c))
    assert parse("a or b and c") == BoolOp("or", (a, BoolOp("and", (b, c))))
    assert parse("not a > b") == Not(Compare(a, ((">", b),)))
    assert parse("0.2 < a <= 0.5") == Compare(Number(0.2), (("<", a), ("<=", Number(0.5))))
    assert parse("max(a, b, 1)") == Func("max", (a, b, Number(1)))
    assert parse("abs(a - b)") == Func("abs", (Arith(a, (("-", b),)),))


def test_is_predicate() -> None:
    assert parse("a > 1").is_predicate
    assert parse("a and b").is_predicate
    assert parse("not a").is_predicate
    assert parse("true").is_predicate
    assert not parse("a + 1").is_predicate
    assert not parse("max(a, b)").is_predicate
    assert not parse("-a").is_predicate


def test_columns_collects_every_reference() -> None:
    text = (
        "first_shortfall[RUS, shell152] - first_shortfall_without_transfers.RUS.shell152 > 30"
        " and (peak('kor_threat') > 0.5 or max(miscalc_peak, final.kor_threat) >= 1)"
    )
    assert parse(text).columns() == {
        "first_shortfall.RUS.shell152",
        "first_shortfall_without_transfers.RUS.shell152",
        "peak.kor_threat",
        "miscalc_peak",
        "final.kor_threat",
    }
    assert parse("1 + 2 > 2").columns() == frozenset()


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("peak('kor_threat')>0.5", "peak.kor_threat > 0.5"),
        ("a*(b+c)", "a * (b + c)"),
        ("(a*b)+c", "a * b + c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "(a - b) - c"),
        ("not(a)", "not a"),
        ("-(-a)", "- -a"),
        ("-(-(-a))", "- - -a"),
        ("-(a + 1)", "-(a + 1)"),
        ("(not a) == b", "(not a) == b"),
        ("1_000.0 <= x", "1000 <= x"),
        ("2.5e-7 < x", "2.5e-07 < x"),
        ("True or False", "true or false"),
        ("min( a,b )", "min(a, b)"),
        ("peak['kor threat']", "peak['kor threat']"),
        ("x('1st', y)", "x['1st.y']"),
    ],
)
def test_normalised_rendering(text: str, rendered: str) -> None:
    assert str(parse(text)) == rendered
    assert parse(rendered) == parse(text)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("peak.x > ", 10, "expected a name or number after '>'"),
        ("days_above.x >", 15, "expected a name or number after '>'"),
        ("a b", 3, "found name 'b'"),
        ("peak.x = 3", 8, "use '=='"),
        ("a && b", 3, "use 'and'"),
        ("a || b", 3, "use 'or'"),
        ("!a", 1, "use 'not'"),
        ("a ** 2", 3, "not supported"),
        ("a % 2", 3, "unexpected character '%'"),
        ("(a + b", 7, "expected ')' to close '(' at column 1"),
        ("peak(x]", 7, "expected ')' to close '(' at column 5"),
        ("peak[x", 7, "expected ']' to close '['"),
        ("peak()", 6, "needs a name inside"),
        ("peak(1)", 6, "found number '1'"),
        ("peak(x, )", 9, "found ')'"),
        ("min(x)", 1, "min() takes at least 2 arguments"),
        ("abs(x, y)", 1, "abs() takes exactly 1 argument"),
        ("1 +* 2", 4, "found '*'"),
        ("a == not b", 6, "put 'not ...' in parentheses"),
        ("'x' > 1", 1, "only allowed inside name(...)"),
        ("peak.", 6, "expected a name after '.'"),
        ("peak.1st", 6, "expected a name after '.'"),
        ("1.2.3", 1, "malformed number '1.2.3'"),
        ("3x > 1", 1, "malformed number '3x'"),
        ("1e", 1, "malformed number"),
        ("a AND b", 3, "write 'and'"),
        ("", 1, "empty"),
        ("a)", 2, "unmatched ')'"),
        ("x > 1e999", 5, "too large"),
        ("peak('x", 6, "unterminated string"),
        ("peak('')", 6, "empty quoted name"),
        ("peak('a\"b')", 8, "cannot contain quotes"),
        ("a; b", 2, "unexpected character ';'"),
        ("x > 1\n and y <", 15, "after '<'"),
    ],
)
def test_syntax_errors_point_at_the_right_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse(text)
    error = caught.value
    assert error.column == column, str(error)
    assert fragment in error.message
    assert error.text == text
    assert str(error) == f"column {column}: {error.message}"
    assert "\n" not in str(error)


def test_caret_display() -> None:
    with pytest.raises(ExprError) as caught:
        parse("days_of_fire.prk_rus_shells > 365 andd x")
    assert caught.value.caret() == (
        "days_of_fire.prk_rus_shells > 365 andd x\n"
        "                                  ^"
    )
    with pytest.raises(ExprError) as caught:
        parse("x > 1\n  and y <")
    assert caught.value.caret() == "  and y <\n         ^"
    assert ExprError("plain").caret() == "plain"


def test_error_survives_pickling() -> None:
    error = ExprError("bad thing", 4, "a b c", "claim 'c1'")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.column, copy.text, copy.source) == ("bad thing", 4, "a b c",
                                                                   "claim 'c1'")
    assert str(copy) == str(error)


def test_error_source_prefix() -> None:
    error = ExprError("bad thing", 4, "a b c").with_source("claim 'c1'")
    assert str(error) == "claim 'c1', column 4: bad thing"
    assert error.column == 4
    assert str(ExprError("no position")) == "no position"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('ls')",
        "().__class__.__bases__[0]",
        "x.__class__",
        "eval('1 + 1')",
        "exec('import os')",
        "open('/etc/passwd')",
        "lambda: 1",
        "[x for x in y]",
        "{'a': 1}",
        "a if b else c",
        "x.__class__.__mro__",
        "getattr(x, '__dict__')",
        "__builtins__",
    ],
)
def test_python_tricks_are_plain_syntax_or_name_errors(text: str) -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr(text, OUTCOMES)
    message = caught.value.message
    assert message.startswith(("unknown outcome", "expected", "unexpected", "unmatched"))


def test_dunder_names_are_just_unknown_columns() -> None:
    parsed = parse("__import__('os')")
    assert parsed == Column("__import__.os")
    with pytest.raises(ExprError, match=re.escape("unknown outcome '__import__.os'")):
        parsed.evaluate({"x": [1.0]})


def test_length_limit() -> None:
    parse(" + ".join(["x"] * 450))  # long but within the limit
    text = "x" + " + x" * (MAX_LENGTH // 4)
    assert len(text) > MAX_LENGTH
    with pytest.raises(ExprError, match="too long") as caught:
        parse(text)
    assert f"{MAX_LENGTH:,}" in caught.value.message
    assert caught.value.column == MAX_LENGTH + 1


def test_long_flat_chains_evaluate_without_deep_recursion() -> None:
    text = " + ".join(["x"] * 450)
    assert parse(text).evaluate({"x": [1.0, 2.0]}).tolist() == [450.0, 900.0]
    text = " and ".join(["x > 0"] * 150)
    assert parse(text).evaluate({"x": [1.0, -1.0]}).tolist() == [True, False]


NESTINGS = {
    "minus": lambda n: "-" * n + "x",
    "not": lambda n: "not " * n + "x",
    "parentheses": lambda n: "(" * n + "x" + ")" * n,
    "abs": lambda n: "abs(" * n + "x" + ")" * n,
    "index": lambda n: "x" + " + (x" * n + ")" * n,
    "left": lambda n: "(" * n + "x" + " + x)" * n,
    "mixed": lambda n: "x or x and x < x + x * -abs(" * n + "x" + ")" * n,
}


def _deepest_accepted(make: Any) -> int:
    n = 0
    while True:
        try:
            parse(make(n + 1))
        except ExprError as error:
            assert "nested too deeply" in error.message
            assert error.column is not None
            return n
        n += 1


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_depth_limit(kind: str) -> None:
    make = NESTINGS[kind]
    deepest = _deepest_accepted(make)
    assert 5 <= deepest <= MAX_DEPTH
    if kind in ("minus", "not", "abs", "parentheses"):
        assert deepest >= MAX_DEPTH - 1
    text = make(deepest)
    tree = parse(text)
    # Every recursive walk of the deepest accepted tree stays far below Python's limit.
    frames_in_use = len(inspect.stack(0))
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(frames_in_use + 300)
    try:
        assert parse(text) == tree
        assert parse(str(tree)) == tree
        assert repr(tree).startswith(type(tree).__name__)
        assert tree.evaluate({"x": [0.0, 2.0]}).shape == (2,)
        assert hash(tree) == hash(parse(text))
    finally:
        sys.setrecursionlimit(old_limit)


def test_depth_limit_error_points_at_the_opener() -> None:
    with pytest.raises(ExprError, match="nested too deeply") as caught:
        parse("1 + " + "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    # the operand of "+" is level 1 and the "(" at column 5 + k opens level k + 2
    assert caught.value.column == 4 + MAX_DEPTH
    with pytest.raises(ExprError, match=f"limit {MAX_DEPTH} levels"):
        parse("-" * MAX_DEPTH + "x")


def test_non_string_input() -> None:
    with pytest.raises(TypeError):
        parse(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- column checks


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr("peak.kor_threat > 0.5 and peak.chn_rus_fricton > 0.2", OUTCOMES)
    error = caught.value
    assert error.message == (
        "unknown outcome 'peak.chn_rus_fricton' (did you mean 'peak.chn_rus_friction'?)"
    )
    assert error.column == 27
    assert error.text is not None
    assert error.caret().splitlines()[1] == " " * 26 + "^"


def test_unknown_name_via_call_form_points_at_the_head() -> None:
    with pytest.raises(ExprError) as caught:
        compile_expr("1 < first_shortfall[RUS, shell155]", OUTCOMES)
    assert caught.value.column == 5
    assert "did you mean 'first_shortfall.RUS.shell152'" in caught.value.message


def test_unknown_name_with_several_close_matches() -> None:
    with pytest.raises(ExprError) as caught:
        check_columns(parse("miscalc_pea.kor_threat"), OUTCOMES)
    assert "did you mean 'miscalc_peak.kor_threat'" in caught.value.message
    assert " or " in caught.value.message


def test_unknown_name_lists_its_family_when_nothing_is_close() -> None:
    with pytest.raises(ExprError) as caught:
        check_columns(parse("peak.taiwan_strait"), OUTCOMES)
    message = caught.value.message
    assert "outcomes under 'peak'" in message
    assert "'peak.kor_threat'" in message
    assert "'peak.chn_rus_friction'" in message


def test_unknown_family_lists_families() -> None:
    with pytest.raises(ExprError) as caught:
        check_columns(parse("zzz > 1"), OUTCOMES)
    assert "outcome families are" in caught.value.message
    assert "'peak'" in caught.value.message
    with pytest.raises(ExprError, match="no outcomes are available"):
        check_columns(parse("zzz > 1"), [])


def test_first_unknown_in_text_order_is_reported() -> None:
    with pytest.raises(ExprError) as caught:
        check_columns(parse("bbb > 1 and aaa > 1"), OUTCOMES)
    assert "'bbb'" in caught.value.message
    assert caught.value.column == 1


def test_evaluate_reports_the_first_missing_column_in_text_order() -> None:
    with pytest.raises(ExprError, match="unknown outcome 'zz'") as caught:
        parse("1 < zz and aa > 1").evaluate({"x": [1.0], 3: [2.0]})
    assert caught.value.column == 5


def test_known_names_pass() -> None:
    check_columns(parse("peak.kor_threat > final.kor_threat"), iter(OUTCOMES))


# --------------------------------------------------------------------------- evaluation


@pytest.fixture
def outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": [0, 1, 2, 3],
            "policy": ["base", "base", "base", "base"],
            "days_of_fire.prk_rus_shells": [100.0, 400.0, 365.0, 500.0],
            "peak.kor_threat": [0.1, 0.6, 0.45, 0.9],
            "fired.kor_arms_ukraine": [False, True, False, True],
            "fired_day.kor_arms_ukraine": [np.nan, 120.0, np.nan, 300.0],
            "first_shortfall.RUS.shell152": [200, 730, 730, 100],
        }
    )


def test_evaluate_predicates_and_numbers(outcomes: pd.DataFrame) -> None:
    def ev(text: str) -> list[Any]:
        result = compile_expr(text, outcomes.columns).evaluate(outcomes)
        assert len(result) == len(outcomes)
        return result.tolist()

    assert ev("days_of_fire.prk_rus_shells > 365") == [False, True, False, True]
    assert ev("days_of_fire.prk_rus_shells / 365") == pytest.approx(
        [100 / 365, 400 / 365, 1.0, 500 / 365]
    )
    assert ev("0.2 < peak.kor_threat <= 0.6") == [False, True, True, False]
    assert ev("fired[kor_arms_ukraine]") == [False, True, False, True]
    assert ev("fired.kor_arms_ukraine + fired.kor_arms_ukraine") == [0.0, 2.0, 0.0, 2.0]
    assert ev("not fired.kor_arms_ukraine") == [True, False, True, False]
    assert ev("fired_day.kor_arms_ukraine < 200") == [False, True, False, False]
    assert ev("fired_day.kor_arms_ukraine != 120") == [True, False, True, True]
    assert ev("not fired_day.kor_arms_ukraine") == [True, False, True, False]
    assert ev("first_shortfall[RUS, shell152] < 730 or peak.kor_threat > 0.5") == [
        True, True, False, True
    ]
    assert ev("max(peak.kor_threat, 0.5) - min(0.2, peak.kor_threat, 1)") == pytest.approx(
        [0.4, 0.4, 0.3, 0.7]
    )
    assert ev("abs(peak.kor_threat - 0.5)") == pytest.approx([0.4, 0.1, 0.05, 0.4])
    assert ev("-peak.kor_threat * 2") == pytest.approx([-0.2, -1.2, -0.9, -1.8])
    assert ev("true") == [True] * 4
    assert ev("2 > 1") == [True] * 4
    assert ev("7") == [7.0] * 4


def test_evaluate_result_dtypes(outcomes: pd.DataFrame) -> None:
    assert parse("peak.kor_threat > 0").evaluate(outcomes).dtype == np.bool_
    assert parse("fired.kor_arms_ukraine").evaluate(outcomes).dtype == np.bool_
    assert parse("first_shortfall.RUS.shell152").evaluate(outcomes).dtype == np.float64
    assert parse("fired.kor_arms_ukraine * 1").evaluate(outcomes).dtype == np.float64


def test_evaluate_returns_a_copy(outcomes: pd.DataFrame) -> None:
    result = parse("peak.kor_threat").evaluate(outcomes)
    result[:] = -1
    assert outcomes["peak.kor_threat"].iloc[0] == 0.1


def test_evaluate_on_a_mapping() -> None:
    data = {"x": np.array([1, 2, 3]), "y": [0.5, 0.5, np.nan]}
    assert parse("x * y").evaluate(data).tolist()[:2] == [0.5, 1.0]
    assert parse("1").evaluate(data).tolist() == [1.0, 1.0, 1.0]
    assert parse("1").evaluate({}).tolist() == []
    with pytest.raises(ExprError, match="differ in length"):
        parse("x + z").evaluate({"x": [1, 2], "z": [1, 2, 3]})


def test_division_by_zero_gives_inf_without_warnings() -> None:
    result = parse("x / y").evaluate({"x": [1.0, 0.0, -1.0], "y": [0.0, 0.0, 0.0]})
    assert result[0] == math.inf
    assert math.isnan(result[1])
    assert result[2] == -math.inf


def test_non_numeric_and_missing_columns(outcomes: pd.DataFrame) -> None:
    with pytest.raises(ExprError, match="'policy' is not numeric"):
        parse("policy > 1").evaluate(outcomes)
    with pytest.raises(ExprError, match=re.escape("did you mean 'peak.kor_threat'")) as caught:
        parse("2 * peak.kor_thret").evaluate(outcomes)
    assert caught.value.column == 5


def test_nullable_pandas_columns() -> None:
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "c": pd.array([True, False, True], dtype="boolean"),
        }
    )
    assert parse("n * 2").evaluate(frame)[[0, 2]].tolist() == [2.0, 6.0]
    assert math.isnan(parse("n * 2").evaluate(frame)[1])
    assert parse("b and true").evaluate(frame).tolist() == [True, False, False]
    assert parse("c").evaluate(frame).dtype == np.bool_


# --------------------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
maybe_nan = st.one_of(finite, st.just(math.nan))


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30))
def test_not_greater_is_less_or_equal_without_nan(pairs: list[tuple[float, float]]) -> None:
    data = {"a": [p[0] for p in pairs], "b": [p[1] for p in pairs]}
    for negated, plain in [
        ("not (a > b)", "a <= b"),
        ("not (a >= b)", "a < b"),
        ("not (a == b)", "a != b"),
        ("not (a < b or a > b)", "a == b"),
    ]:
        assert parse(negated).evaluate(data).tolist() == parse(plain).evaluate(data).tolist()


@given(st.lists(st.tuples(maybe_nan, maybe_nan, maybe_nan), min_size=1, max_size=30))
def test_chained_comparison_equals_conjunction(rows: list[tuple[float, float, float]]) -> None:
    data = {"a": [r[0] for r in rows], "b": [r[1] for r in rows], "c": [r[2] for r in rows]}
    chained = parse("a < b <= c").evaluate(data)
    spelled = parse("a < b and b <= c").evaluate(data)
    assert chained.tolist() == spelled.tolist()


@given(st.lists(maybe_nan, min_size=1, max_size=30))
def test_comparisons_with_nan_are_false(values: list[float]) -> None:
    data = {"x": values}
    nan = np.isnan(np.asarray(values))
    for op in ("<", "<=", ">", ">=", "=="):
        result = parse(f"x {op} 0").evaluate(data)
        assert not result[nan].any()
    assert parse("x != 0").evaluate(data)[nan].all()


# Random syntax trees, rendered and re-parsed, and checked against a scalar reference.

COLUMNS = ("a", "b", "fired.x", "first_shortfall.RUS.shell152")
leaf = st.one_of(
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 1e3, 1e-7, 123456.75]).map(Number),
    st.booleans().map(Constant),
    st.sampled_from(COLUMNS).map(Column),
)


def _nodes(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    chain = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        children.map(Neg),
        children.map(Not),
        st.tuples(children, st.lists(st.tuples(st.sampled_from("+-"), children), min_size=1,
                                     max_size=2)).map(lambda t: Arith(t[0], tuple(t[1]))),
        st.tuples(children, st.lists(st.tuples(st.sampled_from("*/"), children), min_size=1,
                                     max_size=2)).map(lambda t: Arith(t[0], tuple(t[1]))),
        st.tuples(children, st.lists(st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==",
                                                                "!="]), children),
                                     min_size=1, max_size=2)).map(
            lambda t: Compare(t[0], tuple(t[1]))
        ),
        st.tuples(st.sampled_from(["and", "or"]), chain).map(lambda t: BoolOp(t[0], tuple(t[1]))),
        children.map(lambda c: Func("abs", (c,))),
        st.tuples(st.sampled_from(["min", "max"]), chain).map(lambda t: Func(t[0], tuple(t[1]))),
    )


trees = st.recursive(leaf, _nodes, max_leaves=12)


@given(trees)
@settings(max_examples=300)
def test_render_then_parse_round_trips(tree: Expr) -> None:
    text = str(tree)
    assert parse(text) == tree
    assert str(parse(text)) == text


def _ref_truth(value: float | bool) -> bool:
    return bool(value) and not (isinstance(value, float) and math.isnan(value))


def _ref_divide(x: float, y: float) -> float:
    if y != 0 or math.isnan(y):
        return x / y
    if x == 0 or math.isnan(x):
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _reference(node: Expr, row: dict[str, Any]) -> float | bool:
    """Evaluate one row with plain Python scalars, independent of the numpy evaluator."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Constant):
        return node.value
    if isinstance(node, Column):
        return row[node.name]
    if isinstance(node, Neg):
        return -float(_reference(node.operand, row))
    if isinstance(node, Not):
        return not _ref_truth(_reference(node.operand, row))
    if isinstance(node, Arith):
        total = float(_reference(node.first, row))
        for op, operand in node.rest:
            value = float(_reference(operand, row))
            if op == "+":
                total = total + value
            elif op == "-":
                total = total - value
            elif op == "*":
                total = total * value
            else:
                total = _ref_divide(total, value)
        return total
    if isinstance(node, Compare):
        left = float(_reference(node.first, row))
        ok = True
        for op, operand in node.rest:
            right = float(_reference(operand, row))
            ok = ok and {
                "<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right, "==": left == right, "!=": left != right,
            }[op]
            left = right
        return ok
    if isinstance(node, BoolOp):
        truths = [_ref_truth(_reference(operand, row)) for operand in node.operands]
        return all(truths) if node.op == "and" else any(truths)
    assert isinstance(node, Func)
    values = [float(_reference(arg, row)) for arg in node.args]
    if node.name == "abs":
        return abs(values[0])
    if any(math.isnan(v) for v in values):
        return math.nan
    return min(values) if node.name == "min" else max(values)


def _overflows(value: float | bool) -> bool:
    return isinstance(value, float) and math.isinf(value)


@given(
    trees,
    st.lists(
        st.tuples(maybe_nan, maybe_nan, st.booleans(), st.integers(0, 730)),
        min_size=1,
        max_size=8,
    ),
)
@settings(max_examples=300)
def test_vectorised_evaluation_matches_scalar_reference(
    tree: Expr, rows: list[tuple[float, float, bool, int]]
) -> None:
    data = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}
    data["fired.x"] = np.array(data["fired.x"], dtype=bool)
    result = tree.evaluate(data)
    assert len(result) == len(rows)
    for i, row in enumerate(rows):
        expected = _reference(tree, dict(zip(COLUMNS, row, strict=True)))
        got = result[i]
        if isinstance(expected, bool) and result.dtype == np.bool_:
            assert bool(got) == expected
        elif isinstance(expected, float) and math.isnan(expected):
            assert math.isnan(got)
        elif _overflows(expected):
            assert got == expected
        else:
            assert float(got) == pytest.approx(float(expected), rel=1e-12, abs=1e-300)
    if tree.is_predicate:
        assert result.dtype == np.bool_
    elif not (isinstance(tree, Column) and tree.name == "fired.x"):
        assert result.dtype == np.float64
