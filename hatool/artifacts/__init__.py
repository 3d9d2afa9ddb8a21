"""Binaries that the roles install: built or fetched once, cached, checksummed, served."""

from __future__ import annotations
