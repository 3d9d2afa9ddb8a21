"""What must never appear in any output: pieces of every key, certificate and credential."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml


def secrets(cluster_dir: Path) -> list[str]:
    """Pieces of every private key, certificate, embedded credential and encryption key
    in the cluster folder (each long enough not to match by chance)."""
    pieces = []
    for path in cluster_dir.rglob("*"):
        if path.suffix in (".key", ".crt", ".pub"):
            lines = [
                ln for ln in path.read_text().splitlines() if ln and not ln.startswith("-----")
            ]
            pieces += [ln for ln in lines if len(ln) >= 40]
        if path.suffix == ".conf":
            user = yaml.safe_load(path.read_text())["users"][0]["user"]
            pieces.append(base64.b64decode(user["client-key-data"]).decode().splitlines()[1])
            pieces.append(user["client-key-data"][:60])
        if path.name == "keyring.json":
            pieces += [key["secret"] for key in json.loads(path.read_text())["keys"]]
        if path.name == "encryption-config.yaml":
            config = yaml.safe_load(path.read_text())
            for provider in config["resources"][0]["providers"]:
                pieces += [k["secret"] for k in (provider.get("aescbc") or {}).get("keys", [])]
    return pieces


def leaked(cluster_dir: Path, output: str) -> list[str]:
    """The pieces of the cluster's secrets that ``output`` contains (should be none)."""
    return [piece for piece in secrets(cluster_dir) if piece in output]
