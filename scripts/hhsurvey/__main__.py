"""Command line: ``hhsurvey`` (installed by pyproject.toml) or ``python -m hhsurvey``.

    hhsurvey codebook draft RAW_DIR [--like CODEBOOK] [--like-raw DIR] > draft.yaml
    hhsurvey codebook check CONFIG [--round NAME] [--notes]

``draft`` writes a codebook for the files of RAW_DIR to standard output, every guess with its
evidence and every open point marked ``TODO`` (docs/codebook.md). ``check`` reports every
problem ingest would stop on for the rounds of a config file, and exits 1 when there is one
(2 when the config itself cannot be used).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hhsurvey.errors import InputError
from hhsurvey.yamlsafe import load_yaml

DEFAULT_LIKE = "config/codebooks/baseline.yaml"


def _rounds(config_path: Path, pick: str | None) -> dict[str, dict]:
    try:
        doc = load_yaml(config_path.read_text(encoding="utf-8"), str(config_path)) or {}
    except OSError as err:
        raise InputError(
            f"cannot read the config: {err.strerror}", str(config_path), "give a config YAML"
        ) from None
    rounds = doc.get("rounds") if isinstance(doc, dict) else None
    if not isinstance(rounds, dict) or not rounds:
        raise InputError(
            "the config has no `rounds:` section",
            str(config_path),
            "give a config that describes the round (raw_dir and codebook under rounds.<name>)",
        )
    if pick:
        if pick not in rounds:
            raise InputError(
                f"round '{pick}' is not under `rounds:` (known: {sorted(rounds)})",
                str(config_path),
                "name one of the rounds of the config with --round",
            )
        return {pick: rounds[pick]}
    names = [r for r in (doc.get("analyse") or []) if r in rounds] or list(rounds)
    return {r: rounds[r] for r in names}


def cmd_check(args: argparse.Namespace) -> int:
    from hhsurvey.survey.codebook.check import check_round, errors, format_report
    from hhsurvey.survey.codebook.model import load_codebook

    failed = False
    for name, rc in _rounds(Path(args.config), args.round).items():
        for key in ("raw_dir", "codebook"):
            if key not in (rc or {}):
                raise InputError(
                    f"round '{name}' has no `{key}`",
                    f"{args.config}, rounds.{name}",
                    f"add `{key}:` to the round",
                )
        codebook = load_codebook(rc["codebook"])
        problems = check_round(rc["raw_dir"], codebook, deep=True)
        if not args.notes:
            problems = [p for p in problems if p.severity == "error"]
        print(format_report(problems, name, codebook, rc["raw_dir"]))
        failed |= bool(errors(problems))
    return 1 if failed else 0


def _reference_raw(codebook: str) -> str | None:
    """The raw folder of a round of config/*.yaml whose codebook is ``codebook``, if any."""
    target = Path(codebook).resolve()
    for cfg in sorted(Path("config").glob("*.yaml")):
        try:
            doc = load_yaml(cfg.read_text(encoding="utf-8"), str(cfg)) or {}
            rounds = doc.get("rounds") or {}
        except (OSError, InputError, AttributeError):
            continue
        for rc in rounds.values():
            if isinstance(rc, dict) and Path(str(rc.get("codebook", ""))).resolve() == target:
                if Path(str(rc.get("raw_dir", ""))).is_dir():
                    return str(rc["raw_dir"])
    return None


def cmd_draft(args: argparse.Namespace) -> int:
    from hhsurvey.survey.codebook.draft import draft_codebook

    like = args.like or DEFAULT_LIKE
    if not Path(like).exists():
        raise InputError(
            f"reference codebook {like} not found",
            "--like",
            "name the codebook of a round with the same questionnaire: --like path/to/codebook.yaml",
        )
    like_raw = args.like_raw or _reference_raw(like)
    if like_raw:
        print(
            f"reference labels: {like_raw} (the raw folder of that codebook's round)",
            file=sys.stderr,
        )
    sys.stdout.write(draft_codebook(args.raw_dir, like, like_raw))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hhsurvey", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    cb = sub.add_parser("codebook", help="draft or check a round's codebook")
    cbs = cb.add_subparsers(dest="action", required=True)
    d = cbs.add_parser("draft", help="draft a codebook for the files of RAW_DIR (to stdout)")
    d.add_argument("raw_dir", help="folder with the round's .sav/.dta/.csv files")
    d.add_argument(
        "--like", help=f"codebook of a round with the same questionnaire (default {DEFAULT_LIKE})"
    )
    d.add_argument(
        "--like-raw",
        help="raw folder of that round: its variable and value labels make the matching surer",
    )
    d.set_defaults(func=cmd_draft)
    c = cbs.add_parser("check", help="every problem ingest would stop on, in one pass")
    c.add_argument("config", help="config YAML with a `rounds:` section")
    c.add_argument("--round", help="check only this round (default: `analyse`, else all)")
    c.add_argument("--notes", action="store_true", help="also list notes (not errors)")
    c.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as err:
        print(err.message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
