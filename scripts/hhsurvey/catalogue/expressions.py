"""The catalogue's expression language: parsed into a tree, checked against an allow-list,
evaluated on an analysis frame by this module alone (grammar: docs/expressions.md).

An indicator's ``definition``, ``universe``, ``denominator`` and ``params.variable`` are
expressions such as ``(insured == 'yes') & (scheme == 'cbhi')`` or
``(1 - pc_total / pl_national).clip(lower=0)``. They are parsed with Python's :mod:`ast` (no
code runs while parsing) and every node must be one of:

* a column of the analysis frame (a name), a number, a string, ``True`` or ``False``;
* arithmetic ``+ - * / // % **`` and the signs ``-x``, ``+x``;
* a comparison ``== != < <= > >=``, or ``x in [...]`` / ``x not in [...]`` with a list of
  literals;
* the boolean operators ``&``, ``|``, ``~`` (and their words ``and``, ``or``, ``not``);
* a function of :data:`FUNCTIONS` (``abs(x)``, ``log(x)``...) or a method of
  :data:`METHODS` called on an expression (``x.clip(lower=0)``, ``x.where(c, 0)``...), with
  the keywords listed there.

Anything else (attributes, subscripts, other calls, lambdas, comprehensions, ``@`` locals,
names that are not columns) is refused with a message naming the indicator and the construct,
and nothing of the expression is evaluated. A string compared with a categorical column must be
one of the column's categories (``scheme == 'CBHI'`` where the category is ``cbhi`` is an
error, not a zero), unless the indicator declares the category as its ``instrument``.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from hhsurvey.errors import InputError

__all__ = ["FUNCTIONS", "METHODS", "evaluate", "parse"]

#: Functions an expression may call, by name.
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "sqrt": np.sqrt,
}
#: Methods an expression may call on a column or a sub-expression: name -> (most positional
#: arguments, keywords allowed).
METHODS: dict[str, tuple[int, frozenset[str]]] = {
    "clip": (2, frozenset({"lower", "upper"})),
    "where": (2, frozenset({"cond", "other"})),
    "mask": (2, frozenset({"cond", "other"})),
    "fillna": (1, frozenset({"value"})),
    "isna": (0, frozenset()),
    "notna": (0, frozenset()),
    "abs": (0, frozenset()),
    "round": (1, frozenset({"decimals"})),
}
#: Longest expression read (characters), and deepest nesting of its tree.
MAX_LENGTH = 2000
MAX_DEPTH = 60

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_GRAMMAR = (
    "write columns, numbers, 'strings', arithmetic, comparisons, & | ~, `x in [...]` and the "
    "allowed functions and methods (docs/expressions.md)"
)


def _refuse(what: str, expr: str, where: str) -> InputError:
    return InputError(
        f"{what}, which the catalogue's expression grammar does not allow",
        f"{where}: `{expr}`",
        _GRAMMAR,
    )


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"the attribute `.{node.attr}`"
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?")
        return f"a call of `{name}(...)`"
    if isinstance(node, ast.Constant):
        return f"the literal {node.value!r}"
    return f"`{type(node).__name__}`"


def _check(node: ast.AST, expr: str, where: str, depth: int = 0) -> None:
    """Raise unless every node of the tree is of the grammar."""
    if depth > MAX_DEPTH:
        raise _refuse(f"nesting deeper than {MAX_DEPTH} levels", expr, where)
    sub = depth + 1
    if isinstance(node, ast.Expression):
        _check(node.body, expr, where, sub)
    elif isinstance(node, ast.Name):
        return
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or isinstance(node.value, (int, float, str)):
            return
        raise _refuse(_describe(node), expr, where)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _refuse(f"the operator `{type(node.op).__name__}`", expr, where)
        _check(node.left, expr, where, sub)
        _check(node.right, expr, where, sub)
    elif isinstance(node, ast.UnaryOp):
        _check(node.operand, expr, where, sub)
    elif isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, expr, where, sub)
    elif isinstance(node, ast.Compare):
        _check_compare(node, expr, where, sub)
    elif isinstance(node, ast.Call):
        _check_call(node, expr, where, sub)
    else:
        raise _refuse(_describe(node), expr, where)


def _check_compare(node: ast.Compare, expr: str, where: str, depth: int) -> None:
    operands = [node.left, *node.comparators]
    for side in operands:
        if isinstance(side, ast.BinOp) and isinstance(side.op, (ast.BitAnd, ast.BitOr)):
            raise InputError(
                "a comparison joined by & or | without parentheses: & and | bind tighter than "
                "comparisons, so the expression would not mean what it says",
                f"{where}: `{expr}`",
                "put each comparison in parentheses: (a == 'x') & (b > 1)",
            )
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(right, (ast.List, ast.Tuple)) or not all(
                isinstance(e, ast.Constant) and isinstance(e.value, (int, float, str))
                for e in right.elts
            ):
                raise _refuse("`in` with something else than a list of literals", expr, where)
        elif type(op) not in _COMPARE:
            raise _refuse(f"the comparison `{type(op).__name__}`", expr, where)
        else:
            _check(right, expr, where, depth)
    _check(node.left, expr, where, depth)


def _check_call(node: ast.Call, expr: str, where: str, depth: int) -> None:
    func = node.func
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        if len(node.args) != 1 or node.keywords:
            raise _refuse(f"`{func.id}` with other than one argument", expr, where)
    elif isinstance(func, ast.Attribute) and func.attr in METHODS:
        most, keywords = METHODS[func.attr]
        bad = [k.arg for k in node.keywords if k.arg not in keywords]
        if len(node.args) > most or bad:
            raise _refuse(
                f"`.{func.attr}(...)` with arguments {bad or len(node.args)} (allowed: "
                f"{most} positional, keywords {sorted(keywords)})",
                expr,
                where,
            )
        _check(func.value, expr, where, depth)
    else:
        raise _refuse(_describe(node), expr, where)
    for a in [*node.args, *(k.value for k in node.keywords)]:
        if isinstance(a, ast.Starred):
            raise _refuse("`*` arguments", expr, where)
        _check(a, expr, where, depth)


def parse(expr: str, where: str) -> ast.Expression:
    """The checked tree of an expression; :class:`InputError` naming ``where`` (e.g.
    ``config/indicators.yaml, indicator x, definition``) for anything outside the grammar."""
    text = str(expr)
    if len(text) > MAX_LENGTH:
        raise _refuse(f"an expression longer than {MAX_LENGTH} characters", text[:80] + "…", where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise InputError(
            f"the expression is not valid ({err.msg}, at character {err.offset})",
            f"{where}: `{text}`",
            _GRAMMAR,
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise _refuse("an expression that cannot be parsed", text, where) from None
    _check(tree, text, where)
    return tree


class _Evaluator:
    """Evaluates a checked tree on a frame, checking category literals as it goes."""

    def __init__(
        self,
        frame: pd.DataFrame,
        expr: str,
        where: str,
        values: Mapping[str, Iterable[str]],
        allowed: Mapping[str, set[str]],
    ) -> None:
        self.frame, self.expr, self.where = frame, expr, where
        self.values, self.allowed = values, allowed

    def column(self, name: str) -> pd.Series:
        if name not in self.frame.columns:
            close = difflib.get_close_matches(name, [str(c) for c in self.frame.columns], n=3)
            raise InputError(
                f"`{name}` is not a column of the analysis frame"
                + (f" (close: {close})" if close else ""),
                f"{self.where}: `{self.expr}`",
                "use a column of the frame of the indicator's unit of analysis (README: "
                "Indicators), or quote a text value: 'yes'",
            )
        return self.frame[name]

    def categories(self, node: ast.AST) -> set[str] | None:
        """The categories of a column named directly, or None when it has no fixed set."""
        if not isinstance(node, ast.Name) or node.id not in self.frame.columns:
            return None
        s = self.frame[node.id]
        if isinstance(s.dtype, pd.CategoricalDtype):
            return {str(c) for c in s.cat.categories}
        if node.id in self.values:
            return {str(v) for v in self.values[node.id]}
        return None

    def check_literals(self, column: ast.AST, literals: list[Any]) -> None:
        cats = self.categories(column)
        if cats is None:
            return
        name = column.id  # type: ignore[attr-defined]
        unknown = [
            v
            for v in literals
            if isinstance(v, str) and v not in cats and v not in self.allowed.get(name, set())
        ]
        if unknown:
            folded = {c.casefold(): c for c in cats}
            hints = [f"'{folded[u.casefold()]}'" for u in unknown if u.casefold() in folded]
            raise InputError(
                f"{', '.join(repr(u) for u in unknown)} is not a category of `{name}` (its "
                f"categories: {sorted(cats)}); the comparison would be false for everyone",
                f"{self.where}: `{self.expr}`",
                (
                    f"write {', '.join(hints)} (categories are case-sensitive)"
                    if hints
                    else "use one of the categories"
                )
                + "; a category the round's instrument lacks is declared with the indicator's "
                "`instrument: {variable, category}`",
            )

    def __call__(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return self(node.body)
        if isinstance(node, ast.Name):
            return self.column(node.id)
        if isinstance(node, ast.Constant):
            v = node.value
            return np.float64(v) if isinstance(v, int) and not isinstance(v, bool) else v
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self(node.left), self(node.right))
        if isinstance(node, ast.UnaryOp):
            v = self(node.operand)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return +v
            return (not v) if isinstance(v, (bool, np.bool_)) else ~v
        if isinstance(node, ast.BoolOp):
            join = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            out = self(node.values[0])
            for v in node.values[1:]:
                out = join(out, self(v))
            return out
        if isinstance(node, ast.Compare):
            return self.compare(node)
        return self.call(node)  # the only node left by _check

    def compare(self, node: ast.Compare) -> Any:
        out = None
        left_node = node.left
        left = self(left_node)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                values = [e.value for e in right_node.elts]  # type: ignore[attr-defined]
                self.check_literals(left_node, values)
                if not isinstance(left, pd.Series):
                    raise _refuse("`in` applied to a literal", self.expr, self.where)
                part = left.isin(values)
                part = ~part if isinstance(op, ast.NotIn) else part
                right = None
            else:
                right = self(right_node)
                for col, lit in ((left_node, right_node), (right_node, left_node)):
                    if isinstance(lit, ast.Constant):
                        self.check_literals(col, [lit.value])
                part = _COMPARE[type(op)](left, right)
            out = part if out is None else out & part
            left_node, left = right_node, right
        return out

    def call(self, node: ast.Call) -> Any:
        args = [self(a) for a in node.args]
        kwargs = {k.arg: self(k.value) for k in node.keywords}
        func = node.func
        if isinstance(func, ast.Name):
            return FUNCTIONS[func.id](*args)
        target = self(func.value)  # type: ignore[attr-defined]
        if not isinstance(target, pd.Series):
            target = pd.Series(target, index=self.frame.index)
        return getattr(target, func.attr)(*args, **kwargs)  # type: ignore[attr-defined]


def evaluate(
    frame: pd.DataFrame,
    expr: str,
    where: str,
    *,
    values: Mapping[str, Iterable[str]] | None = None,
    allowed: Mapping[str, set[str]] | None = None,
) -> pd.Series:
    """``expr`` evaluated on ``frame`` (a Series; a literal result is broadcast to one).

    ``values``: the possible values of text columns that are not categorical (derived columns
    of the frame), checked like categories. ``allowed``: per column, categories the round may
    lack (the indicator's ``instrument``). Errors name ``where`` and the expression."""
    tree = parse(expr, where)
    run = _Evaluator(frame, str(expr), where, values or {}, allowed or {})
    try:
        with np.errstate(all="ignore"):
            out = run(tree)
    except InputError:
        raise
    except Exception as err:  # a type error between columns, e.g. a category times a number
        raise InputError(
            f"the expression cannot be evaluated: {type(err).__name__}: {err}",
            f"{where}: `{expr}`",
            "check the types of the columns it combines (README: Indicators); " + _GRAMMAR,
        ) from None
    if not isinstance(out, pd.Series):
        out = pd.Series(out, index=frame.index)
    return out
