"""ansible.cfg's strategy: Mitogen under the linear strategy, and stock Ansible without it."""

from __future__ import annotations

import configparser
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ansible.plugins.strategy.linear import StrategyModule as Linear
from ansible_mitogen.strategy import StrategyMixin

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "strategy" / "hatool_mitogen.py"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PLUGIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ansible_cfg_selects_the_plugin() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "ansible.cfg")
    assert config["defaults"]["strategy"] == PLUGIN.stem
    assert (ROOT / config["defaults"]["strategy_plugins"] / PLUGIN.name).is_file()


def test_linear_over_mitogen_when_installed() -> None:
    strategy = _load("hatool_mitogen_with").StrategyModule
    assert issubclass(strategy, StrategyMixin)
    assert issubclass(strategy, Linear)


def test_stock_linear_without_mitogen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ansible_mitogen", None)
    monkeypatch.setitem(sys.modules, "ansible_mitogen.strategy", None)
    strategy = _load("hatool_mitogen_without").StrategyModule
    assert issubclass(strategy, Linear)
    assert not any(base.__module__.startswith("ansible_mitogen") for base in strategy.__mro__)
    assert "mitogen package is not installed" in capsys.readouterr().err
