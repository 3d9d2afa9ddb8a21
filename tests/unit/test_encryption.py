"""Secrets at rest: the keyring on the controller, each rotation step, and the configuration."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from hatool.errors import HatoolError
from hatool.security import encryption
from hatool.security.encryption import IDENTITY, Key, Keyring, KeyringFolder

NOW = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def providers(keyring: Keyring) -> list[tuple[str, list[str]]]:
    """(provider, key names) in the order the API server tries them."""
    config = yaml.safe_load(keyring.configuration())
    assert config["kind"] == "EncryptionConfiguration"
    assert config["apiVersion"] == "apiserver.config.k8s.io/v1"
    (resource,) = config["resources"]
    assert resource["resources"] == ["secrets"]
    found = []
    for provider in resource["providers"]:
        (name, body) = next(iter(provider.items()))
        found.append((name, [k["name"] for k in (body or {}).get("keys", [])]))
    return found


@pytest.fixture
def folder(tmp_path: Path) -> KeyringFolder:
    return KeyringFolder(tmp_path / "cluster" / "encryption")


def test_a_new_key_is_32_random_bytes_named_after_its_time() -> None:
    key = encryption.new_key([], NOW)
    assert key.name == "key-20250301T120000Z"
    assert len(base64.b64decode(key.secret)) == 32
    assert encryption.new_key([], NOW).secret != key.secret
    assert encryption.new_key([key.name], NOW).name == "key-20250301T120000Z-2"


def test_a_key_never_shows_its_secret() -> None:
    key = encryption.new_key([], NOW)
    assert key.secret not in repr(key)
    keyring = Keyring((key,), key.name, key.name)
    assert key.secret not in repr(keyring)
    assert key.secret not in json.dumps(keyring.summary())


def test_a_new_cluster_encrypts_from_its_first_write() -> None:
    keyring = encryption.initial(running=False, now=NOW)
    assert keyring.steady
    assert providers(keyring) == [("aescbc", [keyring.write]), ("identity", [])]


def test_a_running_cluster_first_gets_the_key_to_read_only() -> None:
    keyring = encryption.initial(running=True, now=NOW)
    assert keyring.write == IDENTITY
    assert not keyring.steady
    # identity writes (every API server still writes plain) but the key can be read
    assert providers(keyring) == [("identity", []), ("aescbc", [keyring.names[0]])]
    promoted = keyring.promoted()
    assert promoted.write == keyring.names[0]
    assert promoted.needs_rewrite  # the plain Secrets must be written again
    assert providers(promoted) == [("aescbc", keyring.names), ("identity", [])]
    assert promoted.marked_rewritten().steady


def test_a_rotation_reads_the_new_key_first_then_writes_with_it_then_drops_the_old() -> None:
    old = encryption.new_key([], NOW)
    new = encryption.new_key([old.name], NOW + dt.timedelta(days=90))
    steady = Keyring((old,), old.name, old.name)
    added = steady.added(new)
    # 1. every API server can read the new key, but the old one still writes
    assert providers(added) == [("aescbc", [old.name, new.name]), ("identity", [])]
    # 2. the new key writes, the old one is still there to read
    promoted = added.promoted()
    assert providers(promoted) == [("aescbc", [new.name, old.name]), ("identity", [])]
    with pytest.raises(HatoolError, match="rewrite them first"):
        promoted.dropped()  # a Secret may still be under the old key
    # 3. rewritten; 4. the old key goes
    done = promoted.marked_rewritten().dropped()
    assert providers(done) == [("aescbc", [new.name]), ("identity", [])]
    assert done.steady


def test_identity_is_always_there_to_read_what_was_never_encrypted() -> None:
    keyring = encryption.initial(running=False, now=NOW)
    for state in (keyring, keyring.added(encryption.new_key(keyring.names, NOW))):
        assert ("identity", []) in providers(state)


def test_the_keyring_round_trips_and_refuses_what_it_did_not_write() -> None:
    keyring = encryption.initial(running=True, now=NOW)
    assert Keyring.from_json(keyring.to_json()) == keyring
    with pytest.raises(ValueError, match="names no key"):
        Keyring.from_json(json.dumps({"keys": [], "write": "x", "rewritten": "x"}).encode())


def test_ensure_makes_private_files_once(folder: KeyringFolder) -> None:
    first = encryption.ensure(folder, running=False, masters_have_config=False)
    assert first.changed
    assert folder.keyring_path.stat().st_mode & 0o777 == 0o600
    assert folder.config_path.stat().st_mode & 0o777 == 0o600
    assert folder.folder.stat().st_mode & 0o777 == 0o700
    before = (folder.keyring_path.read_bytes(), folder.config_path.stat().st_mtime_ns)
    again = encryption.ensure(folder, running=True, masters_have_config=True)
    assert not again.changed
    assert again.keyring == first.keyring
    assert (folder.keyring_path.read_bytes(), folder.config_path.stat().st_mtime_ns) == before


def test_ensure_restores_a_loosened_mode(folder: KeyringFolder) -> None:
    encryption.ensure(folder, running=False, masters_have_config=False)
    folder.config_path.chmod(0o644)
    assert encryption.ensure(folder, running=False, masters_have_config=False).changed
    assert folder.config_path.stat().st_mode & 0o777 == 0o600


def test_a_lost_keyring_is_never_replaced_while_the_masters_encrypt(
    folder: KeyringFolder,
) -> None:
    with pytest.raises(HatoolError, match=r"keyring\.json is missing"):
        encryption.ensure(folder, running=True, masters_have_config=True)
    assert not folder.folder.exists()


def test_check_mode_reports_and_writes_nothing(folder: KeyringFolder) -> None:
    check = KeyringFolder(folder.folder, check=True)
    assert encryption.ensure(check, running=False, masters_have_config=False).changed
    assert not folder.folder.exists()
    encryption.ensure(folder, running=False, masters_have_config=False)
    before = folder.keyring_path.read_bytes()
    assert encryption.add(check).changed
    assert folder.keyring_path.read_bytes() == before


def test_the_steps_on_disk_and_a_rotation_resumed(folder: KeyringFolder) -> None:
    encryption.ensure(folder, running=False, masters_have_config=False)
    original = folder.load()
    assert original is not None
    added = encryption.add(folder)
    assert added.changed
    assert added.keyring is not None
    assert len(added.keyring.names) == 2
    # a second 'add' (the playbook run again after stopping half-way) goes on with the same key
    again = encryption.add(folder)
    assert not again.changed
    assert again.keyring == added.keyring
    assert encryption.promote(folder).changed
    assert not encryption.promote(folder).changed
    with pytest.raises(HatoolError):
        encryption.drop(folder)
    assert encryption.mark_rewritten(folder).changed
    dropped = encryption.drop(folder)
    assert dropped.changed
    assert dropped.keyring is not None
    assert dropped.keyring.names == [added.keyring.names[1]]
    assert f"name: {original.write}\n" not in folder.config_path.read_text()
    assert not encryption.drop(folder).changed


def test_what_the_action_reports_holds_names_only(folder: KeyringFolder) -> None:
    outcome = encryption.ensure(folder, running=False, masters_have_config=False)
    result = outcome.result(folder)
    keyring = folder.load()
    assert keyring is not None
    assert result["key_names"] == keyring.names
    assert result["config_exists"] is True
    assert keyring.keys[0].secret not in json.dumps(result)


def test_a_step_needs_a_keyring(folder: KeyringFolder) -> None:
    for step in encryption.STEPS.values():
        with pytest.raises(HatoolError, match="deploy the cluster"):
            step(folder)


def test_an_unreadable_keyring_is_named(folder: KeyringFolder) -> None:
    folder.folder.mkdir(parents=True)
    folder.keyring_path.write_text("{not json")
    with pytest.raises(HatoolError, match="not a keyring hatool wrote"):
        folder.load()


def test_keys_are_ordered_write_first_then_newest() -> None:
    keys = tuple(Key(f"k{i}", base64.b64encode(bytes(32)).decode()) for i in range(3))
    keyring = Keyring(keys, "k1", "k1")
    assert providers(keyring)[0] == ("aescbc", ["k1", "k2", "k0"])
