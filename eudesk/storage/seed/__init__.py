"""Filling the database: the real reference data, and invented demo data that says so."""

from eudesk.storage.seed.demo import DemoAlreadySeeded, ReferenceDataMissing, seed_demo
from eudesk.storage.seed.reference import ReferenceDataError, seed_reference

__all__ = [
    "DemoAlreadySeeded",
    "ReferenceDataError",
    "ReferenceDataMissing",
    "seed_demo",
    "seed_reference",
]
