"""YAML read as plain data, with a bound on its size and its aliases (docs/security.md).

Every configuration, catalogue, codebook and report specification of the project is read by
:func:`load_yaml`. It constructs nothing but plain data (no tag runs code: a tag is refused by
name), and before constructing anything it measures the document:

* its size in bytes (:data:`MAX_BYTES`);
* its aliases (``*name``), counted in the parser's event stream (:data:`MAX_ALIASES`);
* the number of nodes the document holds once every alias is expanded, counted once per
  anchored node (:data:`MAX_NODES`), so that nested aliases (the "billion laughs" document: a
  kilobyte whose expansion doubles or decuples at each level) are refused in milliseconds
  instead of making a later reader walk billions of nodes.

Any YAML error becomes the project's what / where / how-to-fix message with the line.
"""

from __future__ import annotations

from typing import Any

import yaml

from hhsurvey.errors import InputError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_NODES", "compose_bounded", "load_yaml"]

#: Largest YAML document read (bytes). The project's largest file (the indicator catalogue) is
#: under 100 KB; a codebook or configuration of 2 MiB is not a hand-written file.
MAX_BYTES = 2 * 1024 * 1024
#: Most aliases (``*name``) in one document. The project's files use none; a codebook that
#: shares code sets by alias needs a few dozen.
MAX_ALIASES = 500
#: Most nodes once every alias is expanded (the project's catalogue has about 6,000).
MAX_NODES = 200_000

_FIX_BOUND = (
    "write the values out instead of nesting aliases (`*name`), or split the file; a "
    "configuration or codebook this large or this nested is not read (docs/security.md)"
)


def _expanded_size(root: yaml.Node, where: str) -> int:
    """Nodes of the document with every alias expanded, each distinct node measured once
    (memoised on the node), so the count costs time linear in the composed document."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            if isinstance(node, yaml.MappingNode):
                kids = [n for pair in node.value for n in pair]
            else:
                kids = list(node.value)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            if size[key] > MAX_NODES:
                raise InputError(
                    f"the YAML document expands to more than {MAX_NODES:,} values through "
                    "its aliases (nested `*name` references)",
                    where,
                    _FIX_BOUND,
                )
            continue
        if key in size:
            continue
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            size[key] = 1
            continue
        if key in active:
            raise InputError(
                "the YAML document refers to itself through an alias (a recursive `*name`)",
                where,
                "write the values out: configuration and codebooks are plain trees",
            )
        active.add(key)
        stack.append((node, True))
        kids = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        stack.extend((k, False) for k in kids if id(k) not in size)
    return size[id(root)]


def _marked(err: yaml.MarkedYAMLError, text: str, where: str) -> InputError:
    mark = err.problem_mark
    at = f"{where} line {mark.line + 1}, column {mark.column + 1}" if mark else where
    if isinstance(err, yaml.constructor.ConstructorError):
        return InputError(
            f"YAML tags are not allowed ({err.problem})",
            at,
            "remove the tag (the text starting with '!'): write the plain value; "
            "configuration and codebooks are data and never construct Python objects",
        )
    problem = f"{err.context + ': ' if err.context else ''}{err.problem}"
    lines = text.splitlines()
    tab = bool(mark) and mark.line < len(lines) and "\t" in lines[mark.line]
    hint = (
        "indent with spaces, never tabs"
        if tab
        else "fix the YAML syntax at that line (indentation, a missing colon or an unclosed "
        "quote or bracket)"
    )
    return InputError(f"not valid YAML: {problem}", at, hint)


#: libyaml's parser when PyYAML was built with it (ten times faster), the same safe loader.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_bounded(text: str, where: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    """The document's node tree, after the size, alias and expansion bounds; and the loader
    that composed it (to construct the data from the same tree)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InputError(
            f"the YAML file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
            where,
            _FIX_BOUND,
        )
    try:
        aliases = 0
        for event in yaml.parse(text, Loader=LOADER):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    mark = event.start_mark
                    raise InputError(
                        f"the YAML document uses more than {MAX_ALIASES} aliases (`*name`)",
                        f"{where} line {mark.line + 1}",
                        _FIX_BOUND,
                    )
        loader = LOADER(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as err:
        raise _marked(err, text, where) from None
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", where, "fix the YAML syntax") from None
    if node is not None:
        _expanded_size(node, where)
    return loader, node


def load_yaml(text: str, where: str) -> Any:
    """Plain data of a YAML document (None when empty), read within the bounds above; any
    YAML error or tag is an :class:`InputError` naming ``where`` and the line."""
    loader, node = compose_bounded(text, where)
    try:
        return None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        raise _marked(err, text, where) from None
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", where, "fix the YAML syntax") from None
    finally:
        loader.dispose()
