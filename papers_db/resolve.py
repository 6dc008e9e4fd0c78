"""Entity resolution: which records of a build are one paper (pure: records' keys in, merges out).

A record's node is its identity (normalise.paper_identity): records with the same folded
abstract share a node, and so do title-only records with the same title. Nodes are then joined
into papers, transitively (union-find), when:

- `title_and_abstract`: they share a folded title (case, punctuation, dashes and whitespace
  ignored, but not KEPT_IN_TITLE) and one abstract is mostly in the other: at least
  TITLE_CONTAINMENT of the shorter abstract's word 3-shingles are in the longer one (a revision,
  or another site's version). One folded title holds one sequence of digits, so its numbers are
  not asked: "1 000" and "1000", "10⁹" and "10^9" are one title;
- `near_abstract`: their abstracts are near-identical whatever their titles: word 3-shingle
  Jaccard at least NEAR_JACCARD. Candidates come from MinHash LSH (one-permutation MinHash in
  SIGNATURE_BINS bins, empty ones densified, BANDS bands of ROWS), never from all pairs. Not
  where every title of each holds numbers and no title of one has all its numbers among those
  of a title of the other: a yearly report or a model's next version reuses its abstract
  ("Findings of the WMT 2023 Shared Task ..." and "... WMT 2024 ...", Jaccard 0.81, were one
  paper; so were Qwen2 and Qwen2.5), where "GPT-4 Technical Report" and "GPT-4 technical
  report (v2)" or "[2303.08774] GPT-4 ..." are one;
- `title`: a node with no abstract joins the one paper whose folded title it has. When two or
  more papers have that title it is not guessed: it stays its own paper and is reported.

Everything depends on the records alone, never on the order files are read in: similarities
are exact (from the abstracts' text), and a paper's id is the least id of its abstract nodes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy

from .words import distinct_pairs, mix64, split_words

TITLE_CONTAINMENT = 0.5  # same title: half the shorter abstract's 3-shingles in the other
NEAR_JACCARD = 0.8  # different titles: near-identical abstracts (a one-sentence edit of ten is ~0.9)
# Unrelated abstracts on the seeds share at most 8% of 3-shingles (by containment), so both
# thresholds are far from chance agreement.
SHINGLE_WORDS = 3
# Shingles are taken from an abstract's opening, this many characters: the longest abstract in the
# sources has about 2,000 (4 kB). A 55 MB line read as one abstract took 9.8 s and 2 GB of memory
# to shingle whole (NumPy's temporaries take ~200 bytes per character).
SHINGLED_CHARACTERS = 20_000
ROWS = 4  # bins per band: at Jaccard 0.01 (unrelated Zipf text) a band collides once in 10^8 pairs
BANDS = 16  # a pair at Jaccard 0.8 shares a band with probability 1 - (1 - 0.8^4)^16 = 0.9998
SIGNATURE_BINS = ROWS * BANDS
BUCKET_REACH = 8  # in a band's bucket, each node is compared with the next 8 (all pairs in buckets up to 9)
TITLE_GROUP_MAX = 100  # a folded title shared by more abstracts than this identifies no paper
SIGNATURE_BATCH = 500  # abstracts hashed together: NumPy's temporaries take ~200 bytes per character
VERIFY_BATCH = 20_000  # candidate pairs whose abstracts are read and compared together (bounds memory)
# Abstracts shingled together when pairs are compared: about 200 of the corpus's. NumPy's
# temporaries and the word-hash powers this process keeps (16 bytes a byte) grow with it.
SHINGLE_BATCH_CHARACTERS = 250_000
RULE_PRECEDENCE = ("title_and_abstract", "near_abstract", "title")  # how a node joined, strongest first
SHINGLE_MULTIPLIERS = (numpy.uint64(0x9E3779B97F4A7C15), numpy.uint64(0xC2B2AE3D27D4EB4F), numpy.uint64(1))


NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")  # \w is exactly str.isalnum() or "_", checked over all of Unicode
# What a title's matching form keeps beside letters and digits, where it changes what the title
# names: a point between digits ("1.5B" is not "15B"), "+" or "#" after a word and before no
# letter ("C++", "C++11" and "C#" are not "C"; "Vision+Language" is "Vision-Language"), "≠"
# ("P ≠ NP" is not "P = NP") and the fraction slash NFKC writes "½" with ("1⁄2" is not "12").
# Without them, "... in C", "... in C++" and "... in C#" over related abstracts were one paper
# (found by review). Possessive "++": backtracking kept one "+" of "C++11".
KEPT_IN_TITLE = re.compile(r"((?<=\d)\.(?=\d)|(?<=[^\W_])[+#]++(?![^\W\d_])|[\u2260\u2044])")
# The same thing spelled otherwise, made one before folding: "!=", "=/=" and LaTeX's "\neq" are
# "≠"; a decimal comma is a point ("1,5B" is "1.5B"; "1,000" stays a thousand); "C ++" and "Q #"
# as a tokenised copy writes them are "C++" and "Q#".
NOT_EQUAL = re.compile(r"!=|=/=|\\neq?(?![a-z])")
DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}(?!\d))")
SPACE_BEFORE_SUFFIX = re.compile(r"(?<=[^\W_])\s+(?=(?:\+\+|#)(?![^\W\d_]))")
# A variation selector picks a glyph, not a letter: "❤️" and "❤" are one character written two ways.
VARIATION_SELECTORS = frozenset([chr(c) for c in range(0xFE00, 0xFE10)] + [chr(c) for c in range(0xE0100, 0xE01F0)]
                                + ["\u180b", "\u180c", "\u180d", "\u180f"])


def fold_title(title: str) -> str:
    """A title's matching form: NFKC, case-folded, letters and digits only (and KEPT_IN_TITLE),
    so that re-casing, re-punctuating or a dash for a colon or space ("Self-Supervised", "Self
    Supervised") agree. A combining mark is part of its letter: Devanagari writes vowels so (काम
    "work", कम "less"), and two Hindi titles apart by one were merged as the same title. (One
    regular expression for an ASCII title, not a test per character: at 115,000 titles that was
    3 s of the build's 10 s of reading. Only a title beyond ASCII can hold a mark.)"""
    if not unicodedata.is_normalized("NFKC", title):
        title = unicodedata.normalize("NFKC", title)
    folded = _spelled_alike(title.casefold())
    # Most titles hold none of KEPT_IN_TITLE's marks: a test for each is a tenth of the search.
    if not ("." in folded or "+" in folded or "#" in folded or "\u2260" in folded or "\u2044" in folded) or (
            KEPT_IN_TITLE.search(folded) is None):
        return _letters_and_digits(folded)
    # split() with a group: the kept marks are the odd pieces
    return "".join(piece if odd else _letters_and_digits(piece)
                   for piece, odd in zip(KEPT_IN_TITLE.split(folded), itertools.cycle((False, True))))


def _spelled_alike(title: str) -> str:
    """NOT_EQUAL, DECIMAL_COMMA and SPACE_BEFORE_SUFFIX, each only where its mark is."""
    if "=" in title or "\\" in title:
        title = NOT_EQUAL.sub("\u2260", title)
    if "," in title:
        title = DECIMAL_COMMA.sub(".", title)
    if "+" in title or "#" in title:
        title = SPACE_BEFORE_SUFFIX.sub("", title)
    return title


def _letters_and_digits(folded: str) -> str:
    if folded.isascii():
        return NOT_LETTER_OR_DIGIT.sub("", folded)
    return "".join(character for character in folded if character.isalnum() or (
        unicodedata.category(character) in ("Mn", "Mc") and character not in VARIATION_SELECTORS))


# A number as a title writes it: "1,000" is 1000, "2.5" one number (Qwen2.5 is not Qwen2), and a
# version ("(v2)", "2303.08774v3") no number at all: a copy adds one to the same paper's title.
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)*")
# A copy's version: in brackets ("(v2)", "[v3]"), after an arXiv id ("2303.08774v3") or after a
# comma, a colon, or a dash with a space before it, ending the title ("..., v2", "... - v2", "... —
# v2"). "YOLOv10" is a name, and so are "YOLO v8 Real-Time ...", "... with YOLO v8" and a dash of any
# kind joined to a name ("LLaVA-v1.6", "MobileNet–V3", "DeepSeek—V3"): read as a version, v8 and v9
# (and LLaVA-v1.5 and -v1.6, MobileNet-V2 and -V3) over near-identical abstracts were one paper
# (found by reviews). So "Report—v2" and "Report—v3" stay two papers: a merge missed, where the
# other reading merged two models' papers.
VERSION = re.compile(r"[(\[]\s*v\d+(?:\.\d+)*\s*[)\]]|(?<=\d)v\d+\b|(?:[,;:]|\s[\-\u2013\u2014])\s*v\d+(?:\.\d+)*\W*$",
                     re.IGNORECASE)
# Superscript and subscript digits are a number of their own: NFKC makes "10⁹" "109", where a
# copy writes "10^9" (found by review).
RAISED_DIGITS = re.compile("[\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u2080-\u2089]+")
# A part's, volume's or chapter's Roman numeral, I to XX, in any case and after any of these
# separators: "Part I" and "Part II" (or "Part-II", "Vol.II", "Parts I and II", "Teil I") with
# near-identical abstracts were one paper. Only after such a word: alone, a capital I, V or X is
# as often the pronoun or "X-ray", II or VI an acronym ("VI-ReID", variational inference), and a
# site may lower-case a title, so copies of one paper, one with a venue's year, were kept apart
# (all found by review).
ROMAN_NUMERAL = re.compile(r"\b(?:parts?|pt\.|vols?|volumes?|chapters?|chap\.|ch\.|teil|partie|parte)(?:\b|(?<=\.))"
                           r"[\s.:(\-\u2010-\u2015\u2212]*"  # "Part II", "Part-II", "Vol.II", "Part – II", "Part (II)"
                           r"((?:[ivx]+\b(?:\s*(?:,|and|&|/|[\-\u2010-\u2015])\s*)?)+)", re.IGNORECASE)  # "Parts I, II and III"
NUMERAL_WORD = re.compile(r"[ivx]+", re.IGNORECASE)
# A part's number as a word or a capital letter after the same words: "Part One" and "Part Two",
# "Part A" and "Part B" over near-identical abstracts were one paper (review). Not a word joined
# to the next by a hyphen ("Part Two-Stage Detection"), nor a letter that opens words after it
# ("Segment Any 3D Part: A Zero-Shot Framework": a second review); a letter is followed by the
# title's end, a sign ("Part A: ...", "Part A -- Data", "Part A (Extended)"; not a hyphen joined
# to it: "Part: B-Spline ...") or "and"/"or". Ordinals are left out
# ("Parts First, Then Wholes"), as are lists ("Parts One and Two" reads One alone).
NUMBER_WORDS = {word: str(value) for value, word in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), start=1)}
PART_LETTERS = {letter: str(value) for value, letter in enumerate("ABCDEFGH", start=1)}
PART_WORD_NUMBER = re.compile(
    r"\b(?:parts?|pt\.|vols?|volumes?|chapters?|chap\.|ch\.|teil|partie|parte)(?:\b|(?<=\.))[\s.:(\-\u2010-\u2015\u2212]*"
    rf"(?:({'|'.join(NUMBER_WORDS)})\b(?![\-\u2010\u2011])"  # a hyphen makes a compound; "Part One—Data" is part 1
    rf"|((?-i:[{''.join(PART_LETTERS)}]))(?=\s*$|[^\w\s\-\u2010\u2011]|\s+[^\w\s]|\s+(?:and|or)\b))", re.IGNORECASE)
PART_WORDS = ("part", "vol", "chap", "teil", "pt.", "ch.")  # ROMAN_NUMERAL's words, found first without it
ROMAN_NUMERALS = {numeral: str(value) for value, numeral in enumerate(
    "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split(), start=1)}


def _roman_in_digits(found: re.Match) -> str:
    """The part's word with its numerals as digits: "Part II" is "Part 2", "Parts I, II and III"
    "Parts 1, 2 and 3"; a numeral above XX stays as it is."""
    numerals = NUMERAL_WORD.sub(lambda numeral: ROMAN_NUMERALS.get(numeral[0].upper(), numeral[0]), found[1])
    return found[0][:found.start(1) - found.start()] + numerals


def _part_word_in_digits(found: re.Match) -> str:
    """The part's word with its number word or letter as digits: "Part Two" is "Part 2", "Part B" "Part 2"."""
    group = 1 if found[1] else 2
    written = found[group]
    return found[0][:found.start(group) - found.start()] + (PART_LETTERS.get(written) or NUMBER_WORDS[written.lower()])


def title_numbers(title: str | None) -> tuple[int, ...]:
    """The numbers a title holds ("GPT-4": 4; "WMT 2023": 2023; "Qwen2.5 7B": 2.5 and 7; "Part II": 2;
    "Vol. iv": 4), each as the int64 hash of its digits as read (any script's digits their value: "٢" is 2)."""
    if title is None:
        return ()
    if not title.isascii():  # NFKC: "②" is 2, "Part Ⅱ" is Part II
        title = unicodedata.normalize("NFKC", RAISED_DIGITS.sub(lambda raised: " " + raised[0], title))
    lowered = title.lower()
    if any(word in lowered for word in PART_WORDS):  # ROMAN_NUMERAL's search on every title took 5 times the rest
        title = PART_WORD_NUMBER.sub(_part_word_in_digits, ROMAN_NUMERAL.sub(_roman_in_digits, title))
    if not _has_digit(title):
        return ()
    numbers = []
    if "," in title:
        title = DECIMAL_COMMA.sub(".", title)
    for written in NUMBER.findall(VERSION.sub(" ", title)):
        # Digit by digit: int() refuses more than 4,300 digits, and a title may hold any number of them.
        # Leading zeros go from the whole part only: 0.05 is not 0.5.
        whole, *fraction = ["".join(str(unicodedata.digit(digit)) for digit in part) for part in written.replace(",", "").split(".")]
        read = ".".join([whole.lstrip("0") or "0", *fraction])
        numbers.append(int.from_bytes(hashlib.sha256(read.encode()).digest()[:8], "big", signed=True))
    return tuple(numbers)


ASCII_DIGIT = re.compile(r"[0-9]")


def _has_digit(title: str) -> bool:
    """Whether a title holds a digit of any script, as str.isdigit says ("②" too): by a regular
    expression for an ASCII title (a quarter of the time; every title of the build is asked)."""
    return ASCII_DIGIT.search(title) is not None if title.isascii() else any(character.isdigit() for character in title)


def title_key(title: str | None) -> int | None:
    """64 bits of the folded title's SHA-256 (signed, as SQLite and NumPy int64 keep it)."""
    folded = fold_title(title or "")
    if not folded:
        return None
    return int.from_bytes(hashlib.sha256(folded.encode()).digest()[:8], "big", signed=True)


def shingle_hashes(folded_abstracts: list[str]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(document index, hash) of every word 3-shingle of each text (already folded by
    normalise.squash), from its first SHINGLED_CHARACTERS; a text of fewer than three words has its
    words as shingles."""
    words = split_words([text[:SHINGLED_CHARACTERS].encode() + b" " for text in folded_abstracts])
    papers, hashes = words.texts_of, words.hashes
    same = papers[:-2] == papers[2:] if len(papers) > 2 else numpy.zeros(0, dtype=bool)
    places = numpy.flatnonzero(same)
    shingles = mix64(hashes[places] * SHINGLE_MULTIPLIERS[0] + hashes[places + 1] * SHINGLE_MULTIPLIERS[1]
                    + hashes[places + 2])
    counts = numpy.bincount(papers, minlength=len(folded_abstracts))
    short = numpy.isin(papers, numpy.flatnonzero(counts < SHINGLE_WORDS))
    return (numpy.concatenate([papers[places], papers[short]]),
            numpy.concatenate([shingles, hashes[short]]))


def band_hashes(folded_abstracts: list[str], node_ids: numpy.ndarray) -> numpy.ndarray:
    """(documents, BANDS) uint32: each band's hash of ROWS one-permutation MinHash bins, empty
    bins filled (densified_bins). A document with no shingle at all takes values of its own in
    every bin, so it never matches."""
    count = len(folded_abstracts)
    documents, shingles = shingle_hashes(folded_abstracts)
    bins = (shingles >> numpy.uint64(58)).astype(numpy.int64)  # top 6 bits: one of 64 bins
    minimum = numpy.full(count * SIGNATURE_BINS, numpy.iinfo(numpy.uint64).max, dtype=numpy.uint64)
    numpy.minimum.at(minimum, documents * SIGNATURE_BINS + bins, shingles)
    minimum = densified_bins(minimum.reshape(count, SIGNATURE_BINS))
    empty = minimum == numpy.iinfo(numpy.uint64).max
    own = mix64(node_ids.astype(numpy.uint64)[:, None] * numpy.uint64(SIGNATURE_BINS)
               + numpy.arange(SIGNATURE_BINS, dtype=numpy.uint64))
    minimum[empty] = own[empty]
    rows = minimum.reshape(count, BANDS, ROWS)
    combined = numpy.zeros((count, BANDS), dtype=numpy.uint64)
    for row in range(ROWS):
        combined = mix64(combined * numpy.uint64(0x100000001B3) + rows[:, :, row])
    return (combined >> numpy.uint64(32)).astype(numpy.uint32)


def densified_bins(minimum: numpy.ndarray) -> numpy.ndarray:
    """Each empty bin (the uint64 maximum) takes the value of the nearest bin to its right that is
    not empty, wrapping around, mixed with how far away that bin is (rotation densification,
    Shrivastava and Li 2014). Two documents then agree in a bin with probability about their
    Jaccard, however short: with empty bins left apart, a 37-word abstract (35 shingles leave
    about 37 of 64 bins empty) and its one-word edit (Jaccard 0.84) rarely filled a band alike,
    and 67 of 100 such 40-word pairs were never compared. Rows with every bin empty stay so."""
    empty = minimum == numpy.iinfo(numpy.uint64).max
    twice = numpy.arange(2 * SIGNATURE_BINS)
    nearest = numpy.where(numpy.tile(~empty, 2), twice, 2 * SIGNATURE_BINS)
    nearest = numpy.minimum.accumulate(nearest[:, ::-1], axis=1)[:, ::-1][:, :SIGNATURE_BINS]
    filled = empty & (nearest < 2 * SIGNATURE_BINS)
    documents, bins = numpy.nonzero(filled)
    distance = (nearest[documents, bins] - bins).astype(numpy.uint64)
    dense = minimum.copy()
    dense[documents, bins] = mix64(minimum[documents, nearest[documents, bins] % SIGNATURE_BINS]
                                   + distance * numpy.uint64(0x9E3779B97F4A7C15))
    return dense


def batched_band_hashes(folded_abstracts: list[str], node_ids: list[int]) -> numpy.ndarray:
    """band_hashes of any number of abstracts, SIGNATURE_BATCH at a time (bounds NumPy's memory);
    a document's hashes depend on its own text and node alone."""
    nodes = numpy.array(node_ids, dtype=numpy.int64)
    parts = [band_hashes(folded_abstracts[start:start + SIGNATURE_BATCH], nodes[start:start + SIGNATURE_BATCH])
             for start in range(0, len(folded_abstracts), SIGNATURE_BATCH)]
    return numpy.concatenate(parts) if parts else numpy.zeros((0, BANDS), dtype=numpy.uint32)


def shingle_sets(folded_abstracts: list[str]) -> list[numpy.ndarray]:
    """Each text's distinct shingle hashes, sorted, found for up to SHINGLE_BATCH_CHARACTERS of
    text at once: one text at a time, NumPy's fixed cost per call took 2.0 s of resolution's 2.9 s
    at 100,000 papers."""
    sets: list[numpy.ndarray] = []
    for batch in _batches_of_characters(folded_abstracts, SHINGLE_BATCH_CHARACTERS):
        documents, hashes = distinct_pairs(*shingle_hashes(batch))
        bounds = numpy.searchsorted(documents, numpy.arange(len(batch) + 1)).tolist()
        sets.extend(hashes[start:end] for start, end in zip(bounds, bounds[1:]))
    return sets


def _batches_of_characters(texts: list[str], most: int) -> Iterable[list[str]]:
    """Consecutive runs of texts, each of at most `most` characters of what shingle_hashes reads
    (or a single text)."""
    batch: list[str] = []
    size = 0
    for text in texts:
        length = min(len(text), SHINGLED_CHARACTERS)
        if batch and size + length > most:
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += length
    if batch:
        yield batch


def similarity(a: numpy.ndarray, b: numpy.ndarray) -> tuple[float, float]:
    """(Jaccard, share of the smaller set found in the larger) of two sorted shingle sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    shared = len(numpy.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b))


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, node: int) -> int:
        root = node
        while (up := self.parent.get(root, root)) != root:
            root = up
        while node != root:  # path compression
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: int, b: int) -> None:
        a, b = self.find(self.parent.setdefault(a, a)), self.find(self.parent.setdefault(b, b))
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass
class Resolution:
    """What resolution decided: each node that joined a paper founded by another node (node ->
    (paper id, rule)), and the title-only nodes whose title matched two or more papers."""

    merged: dict[int, tuple[int, str]] = field(default_factory=dict)
    ambiguous: list[int] = field(default_factory=list)
    retitled: list[int] = field(default_factory=list)  # abstract nodes listed under two or more folded titles
    # Abstract nodes whose first listing has no title and a later one has, joined by that title
    # (title_and_abstract): the titled listing is the one said to match, not the first.
    untitled_first: list[int] = field(default_factory=list)
    # Of those joined to their paper by title_and_abstract: the folded titles (keys) they share
    # with the paper, so that the listing under that title, not another, is the one said to match.
    matched_titles: dict[int, set[int]] = field(default_factory=dict)


class Resolver:
    """Collects what resolution needs from each file (small numbers per node, never the text),
    then decides which nodes are one paper."""

    def __init__(self) -> None:
        self._node_parts: list[numpy.ndarray] = []  # ids of abstract nodes, per file
        self._listing_parts: list[numpy.ndarray] = []  # each one's first listing id
        self._band_parts: list[numpy.ndarray] = []
        self._title_key_parts: list[numpy.ndarray] = []
        self._node_numbers_parts: list[numpy.ndarray] = []  # (node, numbers key) of each titled record
        self._numbers_parts: list[numpy.ndarray] = []  # (numbers key, number)
        self._numbered_parts: list[numpy.ndarray] = []  # (node, number) of every number of a node's titles
        self.title_only: set[int] = set()
        self.untitled_first: set[int] = set()  # abstract nodes whose first listing had no title

    def add_file(self, titles: Iterable[tuple[int, int]], new_abstract_nodes: list[tuple[int, int]],
                 new_bands: numpy.ndarray, new_title_only: Iterable[int],
                 titles_numbers: Iterable[tuple[int, tuple[int, ...]]] = (), new_untitled: Iterable[int] = ()) -> None:
        """A file's (title key, node) pairs, its new abstract nodes (node, first listing id) with
        their band hashes (band_hashes, one row each), its new title-only nodes, for each titled
        record (node, the numbers of its title: title_numbers), and its new abstract nodes whose
        listing has no title."""
        pairs = numpy.array(sorted(set(titles)), dtype=numpy.int64).reshape(-1, 2)
        self._title_key_parts.append(pairs)
        node_numbers, numbers, numbered = set(), set(), set()
        for node, title_numbers_ in titles_numbers:
            # Each title's numbers on their own, keyed by the set: pooled by folded title, "1.5B"
            # and "15B" both read as holding 1.5 and 15 (found by review).
            written = tuple(sorted(set(title_numbers_)))
            key = hash(written)
            node_numbers.add((node, key))
            numbers.update((key, number) for number in written)
            numbered.update((node, number) for number in written)
        self._node_numbers_parts.append(numpy.array(sorted(node_numbers), dtype=numpy.int64).reshape(-1, 2))
        self._numbers_parts.append(numpy.array(sorted(numbers), dtype=numpy.int64).reshape(-1, 2))
        self._numbered_parts.append(numpy.array(sorted(numbered), dtype=numpy.int64).reshape(-1, 2))
        self.title_only.update(new_title_only)
        self.untitled_first.update(new_untitled)
        if new_abstract_nodes:
            self._node_parts.append(numpy.array([node for node, _ in new_abstract_nodes], dtype=numpy.int64))
            self._listing_parts.append(numpy.array([listing for _, listing in new_abstract_nodes], dtype=numpy.int64))
            self._band_parts.append(new_bands)

    def resolve(self, read_abstracts: Callable[[list[int]], dict[int, str]]) -> Resolution:
        """Decide. `read_abstracts` gives the folded abstract of listings by listing id."""
        nodes = numpy.concatenate(self._node_parts) if self._node_parts else numpy.zeros(0, dtype=numpy.int64)
        first_listing = _lookup(nodes, numpy.concatenate(self._listing_parts) if self._listing_parts else nodes)
        bands = numpy.concatenate(self._band_parts) if self._band_parts else numpy.zeros((0, BANDS), dtype=numpy.uint32)
        self._band_parts = []
        titles, retitled = self._title_groups()
        numbers_differ, numbered = self._numbers_differ()
        edges: dict[tuple[int, int], str] = {}
        title_pairs = {pair for group in titles.values() if len(group[0]) <= TITLE_GROUP_MAX for pair in _all_pairs(group[0])}
        band_pairs = _band_candidates(nodes, bands)
        # Again among the nodes whose titles share a number: titles numbered apart keep pairs of a
        # bucket apart, so that there the next BUCKET_REACH of all may hold none of a node's
        # copies (16 yearly reports and a copy of each, 32 near-identical abstracts in a bucket,
        # left 3 copies apart: found by review).
        band_pairs |= _numbered_band_candidates(nodes, bands, numbered)
        del bands
        candidates = sorted(title_pairs | band_pairs)
        for start in range(0, len(candidates), VERIFY_BATCH):
            batch = candidates[start:start + VERIFY_BATCH]
            wanted = sorted({node for pair in batch for node in pair})
            listings = first_listing(wanted)
            texts = read_abstracts(listings)
            sets = dict(zip(wanted, shingle_sets([texts[listing] for listing in listings])))
            for a, b in batch:
                jaccard, containment = similarity(sets[a], sets[b])
                if (a, b) in title_pairs and containment >= TITLE_CONTAINMENT:
                    edges[a, b] = "title_and_abstract"
                elif jaccard >= NEAR_JACCARD and not numbers_differ(a, b):
                    edges[a, b] = "near_abstract"
        resolution = self._decide(edges, titles)
        resolution.retitled = retitled
        resolution.matched_titles = _matched_titles(resolution, titles, set(retitled) | self.untitled_first, edges)
        resolution.untitled_first = sorted(set(resolution.matched_titles) & self.untitled_first - set(retitled))
        return resolution

    def _numbers_differ(self) -> tuple[Callable[[int, int], bool], numpy.ndarray]:
        """Whether two nodes' titles keep them apart: every title of each holds numbers, and no
        title of one has all its numbers among a title's of the other. Title by title, so that a
        third copy's title does not change how two others compare. Kept as sorted arrays (each
        node's numbers keys; numbers by key), asked for candidate pairs only. Also each (node,
        number) of every node's titles, sorted."""
        empty = [numpy.zeros((0, 2), dtype=numpy.int64)]
        node_numbers = unique_rows(numpy.concatenate(self._node_numbers_parts or empty))
        numbers = unique_rows(numpy.concatenate(self._numbers_parts or empty))
        self._node_numbers_parts, self._numbers_parts = [], []
        titled_nodes, numbers_keys = node_numbers[:, 0], node_numbers[:, 1]
        keys, values = numbers[:, 0], numbers[:, 1]

        def between(keys: numpy.ndarray, values: numpy.ndarray, key: int) -> list[int]:
            return values[numpy.searchsorted(keys, key, "left"):numpy.searchsorted(keys, key, "right")].tolist()

        def titles_numbers(node: int) -> list[frozenset]:
            return [frozenset(between(keys, values, key)) for key in between(titled_nodes, numbers_keys, node)]

        def differ(a: int, b: int) -> bool:
            titles_a, titles_b = titles_numbers(a), titles_numbers(b)
            if not titles_a or not titles_b or not all(titles_a) or not all(titles_b):
                return False  # an untitled node, or a title without numbers: nothing tells them apart
            return not any(one <= other or other <= one for one in titles_a for other in titles_b)

        numbered = unique_rows(numpy.concatenate(self._numbered_parts or empty))
        self._numbered_parts = []
        return differ, numbered

    def _title_groups(self) -> tuple[dict[int, tuple[list[int], list[int]]], list[int]]:
        """Folded titles shared by two or more nodes: key -> (abstract nodes, title-only nodes);
        and the abstract nodes listed under two or more folded titles (one abstract, so one paper,
        under unrelated titles: a retitled paper, or a placeholder abstract two papers share)."""
        pairs = unique_rows(numpy.concatenate(self._title_key_parts or [numpy.zeros((0, 2), dtype=numpy.int64)]))
        self._title_key_parts = []
        order = numpy.argsort(pairs[:, 1], kind="stable")
        by_node = pairs[order, 1]
        retitled = [node for node in numpy.unique(by_node[1:][by_node[1:] == by_node[:-1]]).tolist()
                    if node not in self.title_only]
        keys = pairs[:, 0]
        shared = numpy.flatnonzero(numpy.r_[keys[1:] == keys[:-1], False] | numpy.r_[False, keys[1:] == keys[:-1]])
        groups: dict[int, tuple[list[int], list[int]]] = {}
        for key, node in pairs[shared].tolist():
            abstract_nodes, title_nodes = groups.setdefault(key, ([], []))
            (title_nodes if node in self.title_only else abstract_nodes).append(node)
        return groups, retitled

    def _decide(self, edges: dict[tuple[int, int], str], titles: dict[int, tuple[list[int], list[int]]]) -> Resolution:
        joined = UnionFind()
        rules: dict[int, str] = {}
        for (a, b), rule in edges.items():
            joined.union(a, b)
            for node in (a, b):
                rules[node] = min(rules.get(node, rule), rule, key=RULE_PRECEDENCE.index)
        resolution = Resolution()
        for abstract_nodes, title_nodes in titles.values():
            if not title_nodes:
                continue
            papers = {joined.find(node) for node in abstract_nodes}
            for node in title_nodes:  # the same folded title: one title-only paper whatever happens
                joined.union(title_nodes[0], node)
                rules[node] = "title"
            if len(papers) == 1:
                joined.union(papers.pop(), title_nodes[0])
            elif papers:
                resolution.ambiguous.extend(title_nodes)
        clusters: dict[int, list[int]] = {}
        for node in list(joined.parent):  # every node that joined another
            clusters.setdefault(joined.find(node), []).append(node)
        for members in clusters.values():
            with_abstract = [node for node in members if node not in self.title_only]
            paper = min(with_abstract or members)
            for node in members:
                if node != paper:
                    resolution.merged[node] = (paper, rules[node])
        resolution.ambiguous.sort()
        return resolution


def _matched_titles(resolution: Resolution, titles: dict[int, tuple[list[int], list[int]]],
                    listed_apart: set[int], edges: dict[tuple[int, int], str]) -> dict[int, set[int]]:
    """For each node listed under two or more titles, or first under none, joined by
    title_and_abstract: the title keys of the title_and_abstract edges that joined it. A title it
    shares with a node of its paper that it did not match (a near_abstract partner's) is not one."""
    matched: dict[int, set[int]] = {}
    for key, (abstract_nodes, _) in titles.items():
        for node in abstract_nodes:
            if node in listed_apart and resolution.merged.get(node, (0, ""))[1] == "title_and_abstract" and any(
                    edges.get((min(node, other), max(node, other))) == "title_and_abstract"
                    for other in abstract_nodes if other != node):
                matched.setdefault(node, set()).add(key)
    return matched


def unique_rows(rows: numpy.ndarray) -> numpy.ndarray:
    """The distinct rows of an (n, 2) integer array, in order of the first column, then the
    second: numpy.unique(rows, axis=0), which sorts the rows as records of a structured type
    compared field by field, by a lexsort of the two columns instead: 110,000 rows (the title
    keys of 100,000 papers) 28.5 ms against 68.5, 1,100,000 rows 462 against 811 ms."""
    rows = rows[numpy.lexsort((rows[:, 1], rows[:, 0]))]
    differs = numpy.ones(len(rows), dtype=bool)
    differs[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return rows[differs]


def _lookup(keys: numpy.ndarray, values: numpy.ndarray) -> Callable[[list[int]], list[int]]:
    """A mapping from keys to values kept as two sorted arrays (a dict of a million ints takes 100 MB)."""
    order = numpy.argsort(keys)
    keys, values = keys[order], values[order]
    return lambda wanted: values[numpy.searchsorted(keys, wanted)].tolist()


def _all_pairs(nodes: list[int]) -> Iterable[tuple[int, int]]:
    ordered = sorted(nodes)
    return ((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:])


def _band_candidates(nodes: numpy.ndarray, bands: numpy.ndarray, numbers: numpy.ndarray | None = None) -> set[tuple[int, int]]:
    """Pairs of nodes that share a band's hash (and a title's number, where `numbers` gives one per
    row): each node against the next BUCKET_REACH in its bucket, band by band (memory: one band's
    order at a time)."""
    pairs = set()
    as_unsigned = nodes.astype(numpy.uint64)
    numbers_mixed = None if numbers is None else mix64(numbers.astype(numpy.uint64))
    for band in range(bands.shape[1]):
        bucket = bands[:, band].astype(numpy.uint64)
        if numbers_mixed is not None:
            bucket = mix64(numbers_mixed + bucket) >> numpy.uint64(32)
        # Ties in a bucket by a hash of node id and band, not by the order files were read in
        # (which neighbours a node meets in a bucket of more than 9 would depend on it, and so,
        # where titles' numbers keep a pair apart, would the papers), and not by node id alone:
        # each band sets a node beside other nodes of a crowded bucket. One sort of one 64-bit
        # key: NumPy's lexsort of the two took 1.7 times as long at a million nodes.
        spread = mix64(as_unsigned + numpy.uint64(band + 1)) >> numpy.uint64(32)
        keys = (bucket << numpy.uint64(32)) | spread
        order = numpy.argsort(keys, kind="stable")
        ordered = keys[order] >> numpy.uint64(32)
        for step in range(1, BUCKET_REACH + 1):
            same = numpy.flatnonzero(ordered[step:] == ordered[:-step])
            if not len(same):
                break
            a, b = nodes[order[same]], nodes[order[same + step]]
            pairs.update(zip(numpy.minimum(a, b).tolist(), numpy.maximum(a, b).tolist()))
    return pairs


def _numbered_band_candidates(nodes: numpy.ndarray, bands: numpy.ndarray, numbered: numpy.ndarray) -> set[tuple[int, int]]:
    """_band_candidates among the abstract nodes (`nodes`, rows of `bands`) whose titles share a
    number, one row per (node, number) of `numbered`."""
    by_node = numpy.argsort(nodes)
    at = numpy.searchsorted(nodes, numbered[:, 0], sorter=by_node)
    found = at < len(nodes)
    found[found] = nodes[by_node[at[found]]] == numbered[found, 0]  # title-only nodes have no bands
    rows = by_node[at[found]]
    return _band_candidates(nodes[rows], bands[rows], numbered[found, 1])
