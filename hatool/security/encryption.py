"""The keys that encrypt Secrets at rest, their rotation, and the EncryptionConfiguration.

Everything here happens on the controller, in the cluster's folder
(``<cluster dir>/encryption/``, 0700): ``keyring.json`` holds the keys and
where a rotation stands, ``encryption-config.yaml`` is the
EncryptionConfiguration every master gets (both 0600). A key's secret never
leaves these files: :class:`Key` hides it from ``repr``, and what the action
plugins report (:meth:`Keyring.summary`) holds key names only.

The API servers encrypt with the first provider and read with any: the
``aescbc`` provider with the write key first, then every other key the
cluster may still hold data under, then ``identity``, so that a Secret stored
before encryption was turned on stays readable.

A rotation moves one step at a time, and the masters run each step's
configuration (a rolling restart) before the next, so no API server ever
meets data it cannot read::

    steady        keys [A]     write A   rewritten A
    add           keys [A, B]  write A   (every API server can read B)
    promote       keys [A, B]  write B   (new writes use B; A still readable)
    rewrite       every Secret written again, so with B
    drop          keys [B]     write B   rewritten B

A cluster first deployed without encryption takes the same path from
``write identity``: :func:`initial` makes ``keys [A], write identity``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from hatool.errors import HatoolError
from hatool.pki.store import write_atomically

#: The provider that writes when no key does (before encryption was turned on).
IDENTITY = "identity"
#: The encrypting provider: AES-CBC with PKCS#7 padding, a 32-byte key (CIS 1.2.28
#: accepts aescbc, kms or secretbox; aescbc is what every supported release has).
PROVIDER = "aescbc"
KEY_BYTES = 32
#: What etcd holds under a Secret encrypted with key NAME: ``k8s:enc:aescbc:v1:NAME:...``.
PREFIX = f"k8s:enc:{PROVIDER}:v1:"
RESOURCES = ("secrets",)
KEYRING = "keyring.json"
CONFIG = "encryption-config.yaml"


@dataclass(frozen=True)
class Key:
    """One AES key: its name (in every value it encrypts) and its base64 secret."""

    name: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Keyring:
    """The keys the API servers hold, which one writes, and which one every Secret is under."""

    keys: tuple[Key, ...]
    write: str
    rewritten: str

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.keys]

    @property
    def newest(self) -> Key:
        return self.keys[-1]

    @property
    def steady(self) -> bool:
        """One key, it writes, and every Secret was written with it: no rotation under way."""
        return (
            self.write != IDENTITY and self.names == [self.write] and self.rewritten == self.write
        )

    @property
    def needs_rewrite(self) -> bool:
        return self.rewritten != self.write

    def added(self, key: Key) -> Keyring:
        """``key`` becomes a read key; the write key stays."""
        return replace(self, keys=(*self.keys, key))

    def promoted(self) -> Keyring:
        """The newest key becomes the write key."""
        return replace(self, write=self.newest.name)

    def marked_rewritten(self) -> Keyring:
        """Every Secret has been written again, so with the write key."""
        return replace(self, rewritten=self.write)

    def dropped(self) -> Keyring:
        """Only the write key stays. Refused while a Secret may still be under another key."""
        if self.write == IDENTITY or self.needs_rewrite:
            raise HatoolError(
                f"refusing to drop encryption keys: Secrets may still be stored under "
                f"{self.rewritten}, not the write key {self.write}; rewrite them first"
            )
        return replace(self, keys=tuple(k for k in self.keys if k.name == self.write))

    def providers(self) -> list[dict[str, Any]]:
        """The providers in order: the writing one first, ``identity`` last unless it writes."""
        ordered = sorted(self.keys, key=lambda k: (k.name != self.write, -self.names.index(k.name)))
        aescbc = {PROVIDER: {"keys": [{"name": k.name, "secret": k.secret} for k in ordered]}}
        identity: dict[str, Any] = {IDENTITY: {}}
        return [identity, aescbc] if self.write == IDENTITY else [aescbc, identity]

    def configuration(self) -> bytes:
        """The EncryptionConfiguration every API server reads (``--encryption-provider-config``)."""
        config = {
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "EncryptionConfiguration",
            "resources": [{"resources": list(RESOURCES), "providers": self.providers()}],
        }
        header = (
            "# Made by hatool from the keyring on the controller; do not edit.\n"
            "# The first provider encrypts, every provider can decrypt.\n"
        )
        return (header + yaml.safe_dump(config, sort_keys=False)).encode()

    def summary(self) -> dict[str, Any]:
        """What may be shown: names, never secrets."""
        return {
            "key_names": self.names,
            "write": self.write,
            "rewritten": self.rewritten,
            "steady": self.steady,
        }

    def to_json(self) -> bytes:
        data = {
            "keys": [{"name": k.name, "secret": k.secret} for k in self.keys],
            "write": self.write,
            "rewritten": self.rewritten,
        }
        return (json.dumps(data, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Keyring:
        loaded = json.loads(data)
        keys = tuple(Key(str(k["name"]), str(k["secret"])) for k in loaded["keys"])
        keyring = cls(keys, str(loaded["write"]), str(loaded["rewritten"]))
        known = {IDENTITY, *keyring.names}
        if not keys or keyring.write not in known or keyring.rewritten not in known:
            raise ValueError("write or rewritten names no key of the keyring")
        return keyring


def new_key(taken: list[str], now: dt.datetime | None = None) -> Key:
    """A fresh random key, named after when it was made (unique among ``taken``)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    name, number = f"key-{stamp}", 1
    while name in taken:
        number += 1
        name = f"key-{stamp}-{number}"
    return Key(name, base64.b64encode(os.urandom(KEY_BYTES)).decode())


def initial(*, running: bool, now: dt.datetime | None = None) -> Keyring:
    """The first keyring of a cluster.

    A new cluster (``running`` false) encrypts from its first write. A cluster
    whose API servers already run without encryption first gets the key as a
    read key only (``write identity``): :func:`converge` then promotes it once
    every API server can read it, and rewrites every Secret.
    """
    key = new_key([], now)
    if running:
        return Keyring((key,), IDENTITY, IDENTITY)
    return Keyring((key,), key.name, key.name)


class KeyringFolder:
    """``<cluster dir>/encryption``: the keyring and the configuration made from it."""

    def __init__(self, folder: Path, *, check: bool = False) -> None:
        self.folder = folder
        self.check = check

    @property
    def keyring_path(self) -> Path:
        return self.folder / KEYRING

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG

    def load(self) -> Keyring | None:
        """The keyring, or None when there is none yet."""
        try:
            return Keyring.from_json(self.keyring_path.read_bytes())
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise HatoolError(
                f"{self.keyring_path}: not a keyring hatool wrote ({type(exc).__name__}); restore "
                "it from your backup of the cluster folder"
            ) from None

    def save(self, keyring: Keyring) -> bool:
        """Write the keyring and its configuration where they differ; True if one would change."""
        changed = False
        for path, data in ((self.keyring_path, keyring.to_json()),
                           (self.config_path, keyring.configuration())):  # fmt: skip
            if path.is_file() and path.read_bytes() == data and _mode(path) == 0o600:
                continue
            changed = True
            if not self.check:
                write_atomically(path, data, 0o600)
        if not self.check:
            self.folder.chmod(0o700)
        return changed


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@dataclass(frozen=True)
class Outcome:
    """What one step did (or, in check mode, would do): names only."""

    changed: bool
    keyring: Keyring | None

    def result(self, folder: KeyringFolder) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "config": str(folder.config_path),
            "config_exists": folder.config_path.is_file(),
            **(self.keyring.summary() if self.keyring else {"key_names": [], "steady": False}),
        }


def ensure(folder: KeyringFolder, *, running: bool, masters_have_config: bool) -> Outcome:
    """The deploy's step: a keyring exists, and the configuration matches it.

    ``running``: some master already has kube-apiserver installed;
    ``masters_have_config``: some master already has an encryption configuration.
    """
    keyring = folder.load()
    if keyring is None:
        if masters_have_config:
            raise HatoolError(
                f"the masters encrypt Secrets, but {folder.keyring_path} is missing: without it "
                "the deploy would lock every Secret away. Restore the cluster folder from your "
                "backup, then deploy again"
            )
        keyring = initial(running=running)
    return Outcome(folder.save(keyring), keyring)


def _existing(folder: KeyringFolder) -> Keyring:
    keyring = folder.load()
    if keyring is None:
        raise HatoolError(
            f"{folder.keyring_path} is missing: deploy the cluster (playbooks/site.yml) first"
        )
    return keyring


def add(folder: KeyringFolder) -> Outcome:
    """A new read key, unless a rotation is already under way (then it goes on with its key)."""
    keyring = _existing(folder)
    if keyring.steady:
        keyring = keyring.added(new_key(keyring.names))
    return Outcome(folder.save(keyring), keyring)


def promote(folder: KeyringFolder) -> Outcome:
    """The newest key writes from now on (the masters must already read it)."""
    keyring = _existing(folder).promoted()
    return Outcome(folder.save(keyring), keyring)


def mark_rewritten(folder: KeyringFolder) -> Outcome:
    keyring = _existing(folder).marked_rewritten()
    return Outcome(folder.save(keyring), keyring)


def drop(folder: KeyringFolder) -> Outcome:
    """Only the write key stays (every Secret must have been rewritten with it)."""
    keyring = _existing(folder).dropped()
    return Outcome(folder.save(keyring), keyring)


STEPS = {"add": add, "promote": promote, "drop": drop}
