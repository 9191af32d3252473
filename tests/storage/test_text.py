"""Search folding matches across scripts and with or without diacritics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eudesk.storage.text import cyr_to_lat, fold, lat_to_cyr


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Бачка Топола", "Backa Topola"),
        ("Bačka Topola", "backa topola"),
        ("Инђија", "Inđija"),
        ("Сремски Карловци", "SREMSKI KARLOVCI"),
        ("Žitište", "Житиште"),
        ("Törökbecse", "torokbecse"),
    ],
)
def test_fold_makes_spellings_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_latin_to_cyrillic_handles_digraphs() -> None:
    assert lat_to_cyr("Njegoševa, Ljubljana, Džep, Đurđevo") == "Његошева, Љубљана, Џеп, Ђурђево"


serbian_latin = st.text(alphabet="abcčćdđefghijklmnoprsštuvzžABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽ ")


@given(serbian_latin)
def test_cyrillic_and_back_folds_the_same(text: str) -> None:
    assert fold(cyr_to_lat(lat_to_cyr(text))) == fold(text)
