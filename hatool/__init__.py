"""hatool: deploy a highly available Kubernetes control plane, then prove it fails over."""

from __future__ import annotations

__version__ = "0.1.0"
