"""The lab: real hosts on this machine, as Docker containers running systemd and sshd."""

from __future__ import annotations
