"""The inventory contract: load an Ansible inventory, and check it against hatool's rules."""

from __future__ import annotations
