"""YAML read within bounds (hhsurvey.yamlsafe): the alias bomb is refused in well under a
second, ordinary files read as yaml.safe_load reads them, and every YAML problem is a message."""

from __future__ import annotations

import time

import pytest
import yaml
from testpaths import REPO

from hhsurvey.errors import InputError
from hhsurvey.survey.codebook.model import load_codebook
from hhsurvey.yamlsafe import MAX_ALIASES, MAX_BYTES, load_yaml


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """The "billion laughs" document: each level lists the previous one `width` times, so
    that nine levels of ten expand to 10**9 strings from about 600 bytes."""
    lines = ['a0: &a0 ["' + '", "'.join(["lol"] * width) + '"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_is_refused_in_under_a_second():
    text = alias_bomb()
    assert len(text.encode()) < 1024  # a 1 KB file
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        load_yaml(text, "config/codebooks/bomb.yaml")
    # generous bound: the refusal takes milliseconds; the expansion would take hours
    assert time.perf_counter() - start < 1.0
    assert "expands to more than" in err.value.what
    assert err.value.where == "config/codebooks/bomb.yaml"


def test_a_merge_key_bomb_is_refused_too():
    lines = ["b0: &b0 {k0: 1, k1: 2}"]
    for i in range(1, 25):
        lines.append(f"b{i}: &b{i} {{<<: [*b{i - 1}, *b{i - 1}], x{i}: {i}}}")
    start = time.perf_counter()
    with pytest.raises(InputError):
        load_yaml("\n".join(lines), "x.yaml")
    assert time.perf_counter() - start < 1.0


def test_a_codebook_bomb_stops_load_codebook_with_the_message(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb() + "tables: {}\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        load_codebook(path)
    assert time.perf_counter() - start < 1.0
    assert "aliases" in err.value.what and str(path) in err.value.where


def test_too_many_aliases_and_too_many_bytes():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(InputError, match="more than 500 aliases"):
        load_yaml(many, "x.yaml")
    with pytest.raises(InputError, match="larger than 2 MiB"):
        load_yaml("a: '" + "x" * MAX_BYTES + "'\n", "x.yaml")


def test_recursive_alias_tag_and_syntax_errors_are_messages():
    with pytest.raises(InputError, match="refers to itself"):
        load_yaml("a: &a [1, *a]\n", "x.yaml")
    with pytest.raises(InputError, match="YAML tags are not allowed") as err:
        load_yaml('a: !!python/object/apply:os.system ["echo pwned"]\n', "c.yaml")
    assert err.value.where == "c.yaml line 1, column 4"
    with pytest.raises(InputError, match="not valid YAML") as err:
        load_yaml("a: [1, 2\nb: 3\n", "c.yaml")
    assert "c.yaml line" in err.value.where


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(REPO).as_posix() for p in (REPO / "config").rglob("*.yaml")),
)
def test_the_project_files_read_as_safe_load_reads_them(path):
    text = (REPO / path).read_text(encoding="utf-8")
    assert load_yaml(text, path) == yaml.safe_load(text)


def test_ordinary_aliases_are_read():
    assert load_yaml("a: &x {k: 1}\nb: *x\nc: [*x, *x]\n", "x.yaml") == {
        "a": {"k": 1},
        "b": {"k": 1},
        "c": [{"k": 1}, {"k": 1}],
    }
