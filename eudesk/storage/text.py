"""Serbian script conversion and search folding: "Бачка Топола" = "Bačka Topola"."""

from __future__ import annotations

import unicodedata

_CYR_TO_LAT = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Ђ": "Đ", "Е": "E", "Ж": "Ž", "З": "Z",
    "И": "I", "Ј": "J", "К": "K", "Л": "L", "Љ": "Lj", "М": "M", "Н": "N", "Њ": "Nj", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "Ћ": "Ć", "У": "U", "Ф": "F", "Х": "H", "Ц": "C",
    "Ч": "Č", "Џ": "Dž", "Ш": "Š",
}  # fmt: skip
_CYR_TO_LAT |= {k.lower(): v.lower() for k, v in _CYR_TO_LAT.items()}

# Latin digraphs first, so "nj" becomes "њ" and not "нј".
_LAT_TO_CYR_DIGRAPHS = {"Lj": "Љ", "LJ": "Љ", "lj": "љ", "Nj": "Њ", "NJ": "Њ", "nj": "њ",
                        "Dž": "Џ", "DŽ": "Џ", "dž": "џ"}  # fmt: skip
_LAT_TO_CYR = {v: k for k, v in _CYR_TO_LAT.items() if len(v) == 1}

# Letters that NFKD does not take apart; the usual ASCII spelling of each.
_ASCII_SPECIAL = {"đ": "dj", "Đ": "Dj", "ß": "ss", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe"}


def cyr_to_lat(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin (the official one-to-one mapping)."""
    return "".join(_CYR_TO_LAT.get(ch, ch) for ch in text)


def lat_to_cyr(text: str) -> str:
    """Serbian Latin to Serbian Cyrillic, letter by letter (the digraphs lj, nj, dž first)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _LAT_TO_CYR_DIGRAPHS:
            out.append(_LAT_TO_CYR_DIGRAPHS[pair])
            i += 2
            continue
        out.append(_LAT_TO_CYR.get(text[i], text[i]))
        i += 1
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case ASCII form for matching across scripts and with or without diacritics."""
    latin = cyr_to_lat(text)
    latin = "".join(_ASCII_SPECIAL.get(ch, ch) for ch in latin)
    decomposed = unicodedata.normalize("NFKD", latin)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_key(*parts: str | None) -> str:
    """One folded string from several names, for a LIKE match on an indexed column."""
    return " | ".join(fold(p) for p in parts if p)


LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with escape=LIKE_ESCAPE) for the folded text anywhere in a search_key."""
    needle = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{needle}%"
