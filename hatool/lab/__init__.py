"""The lab: real hosts on this machine, as Docker containers running systemd and sshd.

- :mod:`hatool.lab.plan`: what a lab is (hosts, groups, addresses, subnet,
  inventory) and its ``state.json``; runs nothing.
- :mod:`hatool.lab.lifecycle`: ``up``, ``down``, ``status`` and ``list_labs``.
- :mod:`hatool.lab.hosts`: controls for one running host (stop, disconnect, exec...).
- :mod:`hatool.lab.image`: the host image; :mod:`hatool.lab.docker`: every Docker call.
"""

from __future__ import annotations
