"""``hatool bench``: time deploys, the floor, validation, start-up and drills; write a report."""

from __future__ import annotations

import argparse
from pathlib import Path

from hatool.errors import EXIT_CHECK_FAILED


def _run(args: argparse.Namespace) -> int:
    import json

    from hatool.bench.ratios import ratios
    from hatool.bench.report import write_report
    from hatool.bench.run import Bench, Options
    from hatool.errors import HatoolError

    out = Path(args.out)
    if args.report_only:
        path = out / "results.json"
        if not path.is_file():
            raise HatoolError(f"{path}: no results to report on; run 'hatool bench --out {out}'")
        results = json.loads(path.read_text(encoding="utf-8"))
    else:
        if args.runs < 1:
            raise HatoolError("--runs: at least 1")
        options = Options(
            out=out,
            lab=args.lab,
            runs=args.runs,
            drills=not args.no_drills,
            quick=args.quick,
            lbs=args.lbs,
        )
        results = Bench(options).run()
    report = write_report(results, out)
    for ratio in ratios(results):
        cells = ratio.cells()
        print(f"  {cells[0]:<50} {cells[1]:>6}  target {cells[2]:<7} met: {ratio.verdict}")
    for error in results.get("errors", []):
        print(f"error: {error}")
    print(f"report: {report}")
    return EXIT_CHECK_FAILED if results.get("errors") else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "bench",
        help="benchmark on fresh labs: cold deploy, re-run, --check, the floor, 5 masters, "
        "validation, start-up, drills; writes DIR/report.md and PNG plots",
    )
    parser.add_argument(
        "--lab",
        default="bench",
        metavar="NAME",
        help="lab name (NAME for 3 masters, NAME-5 for 5); default: bench",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        metavar="N",
        help="re-runs, --check runs, floors and drill runs each (default 3)",
    )
    parser.add_argument(
        "--out",
        default="bench-report",
        metavar="DIR",
        help="where report.md, the plots and results.json go",
    )
    parser.add_argument("--no-drills", action="store_true", help="skip hatool verify --drills")
    parser.add_argument(
        "--quick", action="store_true", help="skip the floor and the 5-master lab (a smoke run)"
    )
    parser.add_argument(
        "--lbs",
        type=int,
        default=1,
        metavar="N",
        help="load balancers in each lab (2 adds a virtual IP and its drills)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the report again from DIR/results.json, measuring nothing",
    )
    parser.set_defaults(func=_run)
