"""Names sorted the way the reader's alphabet sorts them, by ICU's collation (CLDR's rules).

Serbian Latin puts č, ć after c, dž and đ after d, lj after l, nj after n, š after s, ž after z;
Serbian Cyrillic follows the azbuka; Hungarian sorts cs, gy, ny, sz, zs and ö, ü as letters of
their own. A hand-written key gets these wrong, so the keys come from ICU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

import icu  # type: ignore[import-untyped]  # PyICU ships no type information

from eudesk.storage.models import Locale

T = TypeVar("T")

_ICU_LOCALES = {
    Locale.SR_LATN: "sr_Latn",
    Locale.SR_CYRL: "sr_Cyrl",
    Locale.HU: "hu",
    Locale.EN: "en",  # English uses the root collation
}


@cache
def _collator(locale: Locale) -> Any:
    collator = icu.Collator.createInstance(icu.Locale(_ICU_LOCALES[locale]))
    # Secondary and tertiary differences (accents, case) still count, after the letters.
    collator.setStrength(icu.Collator.TERTIARY)
    return collator


def sort_key(locale: str) -> Callable[[str], bytes]:
    """A key function for sorted(): the reader's collation of a string."""
    collator = _collator(Locale(locale))

    def key(text: str) -> bytes:
        return bytes(collator.getSortKey(text))

    return key


def collated(locale: str, items: Iterable[T], *names: Callable[[T], str]) -> list[T]:
    """Items sorted by their names in the reader's collation: by the first name, then the next."""
    key = sort_key(locale)
    return sorted(items, key=lambda item: tuple(key(name(item)) for name in names))
