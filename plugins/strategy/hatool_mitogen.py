"""Ansible's linear strategy, run over Mitogen's persistent connections.

Mitogen (https://mitogen.networkgenomics.com) keeps one Python interpreter per
host and user for the whole run and sends each module to it, instead of
starting a fresh ``python3`` over SSH for every task. The results, ``--check``,
``--diff`` and the order of tasks are those of ``linear``; on the lab a
no-change re-run of ``playbooks/site.yml`` takes about half the time.

ansible.cfg selects it (``strategy = hatool_mitogen``); ``ANSIBLE_STRATEGY=linear``
runs stock Ansible instead, and so does this module, with a warning, where the
``mitogen`` package is not installed. It is Mitogen's own proxy, found through
the installed ``ansible_mitogen`` package rather than a path into site-packages.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

_Linear: Any = strategy_loader.get("linear", class_only=True)

try:
    import ansible_mitogen.strategy  # type: ignore[import-untyped]
except ImportError:
    Display().warning(
        "strategy hatool_mitogen: the mitogen package is not installed; running Ansible's"
        " linear strategy (pip install mitogen, or set ANSIBLE_STRATEGY=linear to be quiet)"
    )

    class StrategyModule(_Linear):  # type: ignore[misc]
        """Ansible's linear strategy: Mitogen is not installed."""

else:

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, _Linear):  # type: ignore[no-redef,misc]
        """The linear strategy with Mitogen's connections and module runner."""
