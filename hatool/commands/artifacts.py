"""``hatool artifacts``: build or fetch the binaries the roles install, cached and checksummed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatool.errors import EXIT_CHECK_FAILED, HatoolError
from hatool.files import sha256_file
from hatool.progress import Progress
from hatool.versions import release_for


def _run(args: argparse.Namespace) -> int:
    from hatool.artifacts import cache, official
    from hatool.artifacts.offline import OfflineBuild

    if args.verify:
        problems = cache.verify()
        for problem in problems:
            print(f"corrupted artifact: {problem}")
        if problems:
            return EXIT_CHECK_FAILED
        print(f"all artifacts in {cache.artifacts_dir()} match SHA256SUMS")
        return 0
    progress = Progress()
    if args.source == "offline":
        if args.kube_version or args.etcd_version or args.arch != "amd64":
            raise HatoolError(
                "--kube-version, --etcd-version and --arch go with --source official; "
                "the offline source builds v1.20.2 and etcd v3.4.23 and v3.5.16 for amd64"
            )
        build = OfflineBuild(progress=progress)
        build.run(force=args.rebuild)
        layouts = build.layouts
    else:
        if not args.kube_version:
            raise HatoolError("--source official needs --kube-version (for example v1.31.4)")
        release = release_for(args.kube_version)
        if release is None:
            raise HatoolError(f"--kube-version {args.kube_version}: not a supported vX.Y.Z release")
        etcd_version = args.etcd_version or release.etcd_version
        layouts = [official.download(args.kube_version, etcd_version, args.arch, progress=progress)]
    # name (``etcdctl``, or ``etcdctl-v3.5.16`` for a second etcd release) -> its binary
    rows: dict[str, str] = {}
    for index, layout in enumerate(layouts):
        names = [*(cache.KUBE_BINARIES if index == 0 else ()), *layout.etcd_binaries]
        suffix = "" if index == 0 else f"-{layout.etcd_version}"
        rows.update({f"{name}{suffix}": str(layout.bin_path(name)) for name in names})
    digests = {name: sha256_file(Path(path)) for name, path in rows.items()}
    mirror = layouts[0].mirror
    if args.json:
        print(json.dumps({"mirror": str(mirror), "binaries": rows, "sha256": digests}))
        return 0
    for name, path in rows.items():
        print(f"{digests[name]}  {path}")
    print(f"mirror (served to the lab's hosts): {mirror}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "artifacts", help="build or fetch the Kubernetes and etcd binaries, cached"
    )
    parser.add_argument(
        "--source",
        choices=("offline", "official"),
        default="offline",
        help="offline: build v1.20.2 from Debian's source package, etcd v3.4.23 and v3.5.16 "
        "from Debian's packages (default); "
        "official: download release binaries from dl.k8s.io and GitHub",
    )
    parser.add_argument("--kube-version", help="with --source official, e.g. v1.31.4")
    parser.add_argument("--etcd-version", help="with --source official (default: per release)")
    parser.add_argument("--arch", default="amd64", choices=("amd64", "arm64"))
    parser.add_argument("--rebuild", action="store_true", help="build again even if cached")
    parser.add_argument("--verify", action="store_true", help="check the cache against SHA256SUMS")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_run)
