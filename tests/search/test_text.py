"""The tokenizer's and the snippet's fast paths give exactly what the walk a character at a time
gives."""

from hypothesis import example, given
from hypothesis import strategies as st

from app.search.text import (
    first_match,
    first_match_in,
    index_terms,
    query_terms,
    run_tokens,
    runs_by_character,
)

# ASCII words and breaks mixed with what the walk treats apart: Latin letters with diacritics
# and stroked ones, full-width letters (folded to ASCII), unspaced scripts with their marks,
# non-ASCII spaces and punctuation, a combining accent after any of them.
_MIXED = st.text(
    alphabet=st.sampled_from(
        [
            *"aZ09 -_.,'\n\t",
            *"éĐđłøÆß",
            "\uff37",  # full-width W
            *"ข้ามชาติ",
            *"ច្បាប់",
            *"法律働き",
            "\u00a0",
            "\u2014",
            "\u0301",
            "¹",
            "ǅ",
        ]
    ),
    max_size=40,
)

_ASCII = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=30)
# Any ASCII around a character that is not, so that the text takes the path for mixed text.
_ASCII_AROUND_OTHER = st.tuples(_ASCII, st.characters(min_codepoint=0x80), _ASCII).map("".join)


def _by_character(text: str) -> str:
    return " ".join(run_tokens(runs_by_character(text)))


@given(st.one_of(st.text(max_size=60), _MIXED, _ASCII_AROUND_OTHER))
@example("Caps recruitment fees for migrant workers, No. 42")
@example("snake_case and kebab-case, née")
@example("Luật Người lao động Việt Nam đi làm việc (2020)")
@example("Labour Act พระราชบัญญัติคุ้มครองแรงงาน 2541")
def test_any_text_gives_the_tokens_of_the_walk_a_character_at_a_time(text: str) -> None:
    assert index_terms(text) == _by_character(text)


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=20), _MIXED, _ASCII_AROUND_OTHER), max_size=4)
)
def test_several_texts_give_their_tokens_one_after_another(texts: list[str | None]) -> None:
    expected = " ".join(_by_character(text) for text in texts if text and _by_character(text))
    assert index_terms(*texts) == expected


# ASCII of few letters, so that a query's words are often in the text, at a word's start or not.
_FEW_LETTERS = st.text(alphabet="abAB1 -.'", max_size=40)


@given(
    st.one_of(_FEW_LETTERS, _ASCII, _MIXED, _ASCII_AROUND_OTHER),
    st.one_of(_FEW_LETTERS, _MIXED, st.text(max_size=12)),
)
@example("Recruiters in Tawau and Sandakan; in Tawau most of all.", "tawau sandakan")
@example("Some had come through Tawau.", "TAWAU!")
@example("ab-ba Ab", "ba")
@example("Labour Act 2541", "พระราช 2541")
def test_a_match_starts_where_the_walk_a_character_at_a_time_finds_it(
    text: str, query: str
) -> None:
    terms = query_terms(query)
    assert first_match(text, terms) == first_match_in(runs_by_character(text), terms)
