"""Text as the search index sees it: the same normalisation for what is indexed and for queries.

Words are folded (NFKC, case-folded, Latin diacritics dropped, `đ` read as `d`), so `lao động`
and `lao dong` are the same words. Thai, Lao, Khmer, Myanmar and Chinese or Japanese are written
without spaces between words: a run of them is indexed as overlapping pairs of characters (a
character with the marks written on it), and a query in them is the phrase of its pairs, so a
word is found in the middle of a run as a substring is.
"""

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Blocks of the scripts written without spaces between words.
_UNSPACED = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA9E0, 0xA9FF),  # Myanmar extended B
    (0xAA60, 0xAA7F),  # Myanmar extended A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
# Letters with no decomposition that readers write without their stroke.
_UNSTROKED = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ħ": "h"})


_FIRST_UNSPACED = min(low for low, _ in _UNSPACED)


def _unspaced(char: str) -> bool:
    point = ord(char)
    # Most text is Latin: one comparison rather than a walk of the blocks, for every character.
    return point >= _FIRST_UNSPACED and any(low <= point <= high for low, high in _UNSPACED)


def _mark(char: str) -> bool:
    # Not `unicodedata.combining`: many of Thai's vowel signs have combining class 0.
    return unicodedata.category(char)[0] == "M"


def _word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def _latin_like(char: str) -> bool:
    # Latin, Greek and Cyrillic carry diacritics that readers leave out; the vowel signs of
    # other scripts are letters' parts and stay.
    point = ord(char)
    return point < 0x0530 or 0x1E00 <= point < 0x2000


def fold(text: str) -> str:
    """One word as the index keeps it."""
    if text.isascii():
        # Normalisation leaves ASCII as it is, and it has no marks nor stroked letters.
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    kept: list[str] = []
    for char in decomposed:
        if _mark(char) and kept and _latin_like(kept[-1]):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_UNSTROKED)


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive word characters of the original text, and where they are in it."""

    start: int
    end: int
    folded: str


# The word characters of ASCII: its letters and digits.
_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")


def runs(text: str) -> Iterator[Run]:
    if text.isascii():
        # A character at a time costs most of a snippet's time, and most text is ASCII.
        for found in _ASCII_RUN.finditer(text):
            yield Run(found.start(), found.end(), found.group().lower())
        return
    yield from runs_by_character(text)


def runs_by_character(text: str) -> Iterator[Run]:
    """The runs of any text, a character at a time: what every faster path must agree with."""
    start = None
    for index, char in enumerate(text):
        if _word_char(char):
            if start is None:
                start = index
        elif start is not None:
            yield Run(start, index, fold(text[start:index]))
            start = None
    if start is not None:
        yield Run(start, len(text), fold(text[start:]))


@dataclass(frozen=True, slots=True)
class Segment:
    """A word, or a run of characters of a script written without spaces."""

    text: str
    unspaced: bool

    def clusters(self) -> list[str]:
        """Characters with the marks written on them."""
        found: list[str] = []
        for char in self.text:
            if found and _mark(char):
                found[-1] += char
            else:
                found.append(char)
        return found


def segments(folded: str) -> Iterator[Segment]:
    """A folded run split where it passes between spaced and unspaced scripts."""
    current = ""
    unspaced = False
    for char in folded:
        if not _word_char(char):
            if current:
                yield Segment(current, unspaced)
            current = ""
            continue
        # A mark belongs to the character before it.
        this = unspaced if _mark(char) and current else _unspaced(char)
        if current and this != unspaced:
            yield Segment(current, unspaced)
            current = ""
        current += char
        unspaced = this
    if current:
        yield Segment(current, unspaced)


def _pairs(clusters: list[str]) -> list[str]:
    return [first + second for first, second in itertools.pairwise(clusters)]


def run_tokens(found: Iterable[Run]) -> list[str]:
    """The tokens of runs of text, in order.

    An unspaced run gives its pairs and then its last character alone, so that a query of one
    character finds it wherever it is (see `Query`).
    """
    tokens: list[str] = []
    for run in found:
        for segment in segments(run.folded):
            if segment.unspaced:
                clusters = segment.clusters()
                tokens += [*_pairs(clusters), clusters[-1]]
            else:
                tokens.append(segment.text)
    return tokens


# Text between ASCII characters that are not letters or digits, which always end a run.
_BETWEEN_ASCII_BREAKS = re.compile(r"[A-Za-z0-9\x80-\U0010ffff]+")


def _tokens(text: str) -> list[str]:
    # A character at a time costs most of a write's indexing, and most words are ASCII: they are
    # their own token, lower-cased; only the stretches holding other characters need the walk.
    if text.isascii():
        return _ASCII_RUN.findall(text.lower())
    tokens: list[str] = []
    for stretch in _BETWEEN_ASCII_BREAKS.findall(text):
        if stretch.isascii():
            tokens.append(stretch.lower())
        else:
            tokens += run_tokens(runs_by_character(stretch))
    return tokens


def index_terms(*texts: str | None) -> str:
    """The tokens of the texts, space-separated, in order: what the index reads."""
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens += _tokens(text)
    return " ".join(tokens)


@dataclass(frozen=True, slots=True)
class Term:
    """What one segment of a query asks for: a word that starts so, or a phrase of pairs."""

    tokens: tuple[str, ...]
    prefix: bool
    # The folded text a match contains, to find it again in the original for a snippet.
    needle: str
    unspaced: bool


def query_terms(query: str) -> list[Term]:
    """Each word of the query finds words that start with it; each unspaced run finds the
    phrase of its pairs (a single character, the pairs that start with it). All must match."""
    terms: list[Term] = []
    for run in runs(query):
        for segment in segments(run.folded):
            if not segment.unspaced:
                terms.append(Term((segment.text,), True, segment.text, False))
                continue
            clusters = segment.clusters()
            pairs = _pairs(clusters)
            terms.append(
                Term(tuple(pairs) if pairs else (clusters[0],), not pairs, segment.text, True)
            )
    return list(dict.fromkeys(terms))


SNIPPET_LENGTH = 200
_BEFORE = 60


def first_match_in(found: Iterable[Run], terms: list[Term]) -> int | None:
    """Where the first of the runs that a term finds starts: the walk every faster way of
    finding it must agree with."""
    for run in found:
        # The run's words, split once for all the terms, and only if a term asks for words.
        words: list[str] | None = None
        for term in terms:
            if term.unspaced:
                at = run.folded.find(term.needle)
                if at >= 0:
                    # Folding keeps unspaced text as long as it was, almost always.
                    exact = len(run.folded) == run.end - run.start
                    return run.start + (at if exact else 0)
                continue
            if words is None:
                # Folded ASCII is one word: no script without spaces, nothing to split it.
                words = (
                    [run.folded]
                    if run.folded.isascii()
                    else [s.text for s in segments(run.folded) if not s.unspaced]
                )
            if any(word.startswith(term.needle) for word in words):
                return run.start
    return None


_ASCII_WORD = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=256)
def _ascii_word_starts(terms: tuple[Term, ...]) -> re.Pattern[str] | None:
    """A pattern of where, in ASCII text, a word starts that a term finds; None when none can
    be found there (every term's needle has a letter ASCII has not)."""
    needles = [
        term.needle for term in terms if not term.unspaced and _ASCII_WORD.fullmatch(term.needle)
    ]
    if not needles:
        return None
    return re.compile(
        r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, needles)) + ")", re.ASCII | re.IGNORECASE
    )


def first_match(text: str, terms: list[Term]) -> int | None:
    """Where the first word that a term finds starts in the text."""
    if text.isascii():
        # One search for all the terms: a run at a time cost most of a page of hits' time.
        pattern = _ascii_word_starts(tuple(terms))
        found = pattern.search(text) if pattern is not None else None
        return found.start() if found is not None else None
    return first_match_in(runs(text), terms)


def snippet(texts: list[str], terms: list[Term]) -> str:
    """The text around the first match, cut at spaces where it can be, in its own words."""
    # Line breaks and runs of spaces read as one space.
    texts = [" ".join(text.split()) for text in texts]
    for text in texts:
        at = first_match(text, terms)
        if at is not None:
            break
    else:
        text, at = next((text for text in texts if text), ""), 0
    start = max(0, at - _BEFORE)
    if start > 0:
        space = text.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_LENGTH)
    if end < len(text):
        space = text.rfind(" ", max(at, start + SNIPPET_LENGTH // 2), end)
        end = space if space > 0 else end
    return ("…" if start > 0 else "") + text[start:end] + ("…" if end < len(text) else "")
