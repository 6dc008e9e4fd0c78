"""Related papers, found offline from each paper's most distinctive terms (pure: papers in, rows out)."""

from __future__ import annotations

import array
import itertools
import math
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

import numpy

from .words import BatchWords, split_words

# Related papers: each paper's most distinctive terms (tf-idf over its title and the opening of
# its plain abstract), and the papers that share the most of them. Term frequencies come from a
# sample; then papers are read in batches. A batch is split into words, counted, weighed and
# ranked with NumPy over its UTF-8 bytes: making a Python string of every word cost about half a
# microsecond a word on a 2-core machine, which was most of the step. Memory holds a few term ids
# per paper, never the text.

RELATED_PER_PAPER = 5  # rows kept per paper
RELATED_SIGNATURE_TERMS = 12  # distinctive terms kept per paper
RELATED_POSTINGS_CAP = 16  # papers a term can link: those where it weighs most
RELATED_CANDIDATES = 10  # papers scored exactly, among those sharing the most terms
RELATED_MIN_SHARED = 2  # one shared word is too often a coincidence
RELATED_MAX_SHARE = 0.1  # a term in more than a tenth of all papers says little about any one
RELATED_SAMPLE = 20_000  # papers whose words give the term frequencies
RELATED_ABSTRACT_CHARACTERS = 1000  # an abstract's opening states its topic; the rest costs time
RELATED_TITLE_WEIGHT = 3  # a word in the title counts as three in the abstract
RELATED_READ_BATCH = 1_000  # papers split into words together
# Papers whose candidates are scored together (bounds memory). 4,096: a batch's papers (12 bits)
# and any paper of a corpus up to 1,048,576 (20 bits) make a pair's key of 32 bits (packed).
RELATED_SCORE_BATCH = 4_096
PAIR_KEY_BITS = 32
RELATED_POSTINGS_MERGE = 2_000_000  # signature rows (24 bytes each) gathered before they join the postings
RELATED_SHORTEST_TERM = 3  # letters; a word of one or two ("of", "3d") is never a term
RELATED_TERM = re.compile(r"[^\W\d_]\w+(?:-\w+)*")  # a word starting with a letter, maybe hyphenated
STOP_WORDS = frozenset("""
    about above after again against all also although among and any are because been before being
    below between both but can could did does doing down during each either few for from further
    had has have having here how however into its itself just more most much neither nor not now
    off once only other our ours out over own same several should since some such than that the
    their theirs them then there these they this those through thus too under until very via was
    were what when where whether which while who whom why will with within without would yet you
    your
""".split())


@dataclass(frozen=True)
class RelatedPaper:
    paper_id: int
    rank: int
    related_paper_id: int
    score: float
    shared_terms: tuple[str, ...]


NOT_PLURALS = frozenset({"news", "odds"})  # words ending in s whose "singular" means something else


def fold_plural(word: str, known: Container[str]) -> str:
    """One term for a word and its plural: the first singular a regular plural gives that is a
    word of `known` (the sampled words): anomalies -> anomaly, movies -> movie, processes ->
    process, biases -> bias, models -> model. A word whose singular never occurs is a term of its
    own (hypotheses, series, matrices): a suffix rule alone made "hypothese", "sery", "biase"."""
    # A word in -us or -is (corpus, analysis) has no singular among the words, as "corpu" is none:
    # the lookup leaves it, and folds gpus and apis. In -ss (less, class) "les" may be a word.
    if len(word) <= 3 or not word.endswith("s") or word.endswith("ss") or word in NOT_PLURALS:
        return word
    singulars = [word[:-3] + "y"] if word.endswith("ies") else []
    singulars.append(word[:-1])
    if word.endswith("es"):
        singulars.append(word[:-2])
    # A singular of three letters or more: llms -> llm, gans -> gan, but not goes -> go.
    return next((singular for singular in singulars if len(singular) >= 3 and singular in known), word)


def term_of_word(word: str, known: Container[str]) -> str | None:
    """The term a word counts as (its plural folded, among the `known` words), or None for a stop
    word, a word under three letters, or a token that is no word ("3d", "--")."""
    word = word.strip("-")
    if len(word) < RELATED_SHORTEST_TERM or word in STOP_WORDS or not RELATED_TERM.fullmatch(word):
        return None
    return fold_plural(word, known)


def paper_texts(papers: Iterable[tuple[int, str | None, str | None]]) -> list[bytes]:
    """The lower-case UTF-8 texts papers' terms are read from, two a paper, each ending with a
    space: its title, then the opening of its abstract (its first RELATED_ABSTRACT_CHARACTERS, no
    word cut in half). Paper n's title is text 2 n and its opening text 2 n + 1."""
    texts = []
    for _, title, abstract in papers:
        opening = (abstract or "")[:RELATED_ABSTRACT_CHARACTERS + 1]
        if len(opening) > RELATED_ABSTRACT_CHARACTERS:
            opening = opening.rsplit(None, 1)[0]
        texts.append(f"{title or ''} ".lower().encode())
        texts.append(f"{opening} ".lower().encode())
    return texts


class TermTable:
    """The terms that can be part of a signature: found in at least two sampled papers and in at
    most RELATED_MAX_SHARE of them. Term ids follow alphabetical order. Every spelling of a term
    (model, models, -model) is known by its word hash.

    Looking up a batch's word hashes is done with NumPy in a hash table (open addressing, linear
    probing) keyed by the top bits of the word hash: a binary search per word was the slowest step.
    """

    def __init__(self, terms: list[str], idf: list[float], spellings: dict[int, int]) -> None:
        self.terms = terms
        self.idf = numpy.array(idf, dtype=numpy.float64)
        self.bits = max(4, (8 * len(spellings)).bit_length())  # at most one slot in eight taken
        slots = [-1] * (1 << self.bits)
        self.spelling_hashes = numpy.array(list(spellings), dtype=numpy.uint64)
        self.spelling_terms = numpy.array(list(spellings.values()), dtype=numpy.int64)
        for number, word_hash in enumerate(spellings):
            slot = word_hash >> (64 - self.bits)
            while slots[slot] != -1:
                slot = (slot + 1) % len(slots)
            slots[slot] = number
        self.slots = numpy.array(slots, dtype=numpy.int64)

    def term_ids(self, hashes: numpy.ndarray) -> numpy.ndarray:
        """The term id of each word hash, -1 for a word that is in no signature."""
        if not len(self.spelling_hashes):
            return numpy.full(len(hashes), -1, dtype=numpy.int64)
        slot = (hashes >> numpy.uint64(64 - self.bits)).astype(numpy.int64)
        # Every hash's own slot first, over whole arrays: at most one slot in eight is taken, so few
        # probe on (a batch's 182,540 words: 2.2 ms against 4.1 with the probing's bookkeeping for
        # all). An empty slot (-1) reads the last spelling, and is no match.
        spelling = self.slots[slot]
        taken = spelling >= 0
        match = taken & (self.spelling_hashes[spelling] == hashes)
        found = numpy.where(match, self.spelling_terms[spelling], -1)
        pending = numpy.flatnonzero(taken & ~match)
        slot = (slot[pending] + 1) % len(self.slots)
        while len(pending):
            spelling = self.slots[slot]
            taken = spelling >= 0
            match = taken & (self.spelling_hashes[spelling] == hashes[pending])
            found[pending[match]] = self.spelling_terms[spelling[match]]
            go_on = taken & ~match  # an occupied slot holding another word: probe the next one
            pending, slot = pending[go_on], (slot[go_on] + 1) % len(self.slots)
        return found


@dataclass
class SplitBatch:
    """A batch of papers' words: the papers' ids, and each word's text (paper_texts: 2 n the
    title of the batch's paper n, 2 n + 1 its abstract's opening) and hash."""

    paper_ids: list[int]
    texts_of: numpy.ndarray
    hashes: numpy.ndarray


def split_papers(papers: Iterable[tuple[int, str | None, str | None]]) -> Iterator[tuple[SplitBatch, BatchWords]]:
    """Papers read in batches of RELATED_READ_BATCH and split into words (split_words, the words of
    fewer bytes than a term's letters left out: 15 % of words, never looked up)."""
    for batch in in_batches(papers, RELATED_READ_BATCH):
        words = split_words(paper_texts(batch), RELATED_SHORTEST_TERM)
        # 32 bits: a sampled batch kept for its signatures takes less (a batch has 2,000 texts).
        yield SplitBatch([paper_id for paper_id, _, _ in batch], words.texts_of.astype(numpy.int32), words.hashes), words


def sample_terms(papers: Iterable[tuple[int, str | None, str | None]], kept: list[SplitBatch] | None = None) -> TermTable:
    """Term frequencies from the first RELATED_SAMPLE papers. These are a random sample because
    paper ids are hashes; below that size the frequencies are exact. A term's frequency is the
    number of papers using any of its spellings: one saying "model" and "models" counts once.
    Each sampled batch as split is added to `kept`, where given, for paper_signatures."""
    sampled = 0
    batches = kept if kept is not None else []
    spelling = {}  # word hash -> word
    spelt = numpy.zeros(0, dtype=numpy.uint64)  # the hashes in `spelling`, sorted
    for batch, words in split_papers(itertools.islice(papers, RELATED_SAMPLE)):
        batches.append(batch)
        # Only words no earlier batch had are made strings: at 100,000 papers each batch had about
        # 21,000 distinct words and all 20 batches 35,000.
        new_hashes, places = new_words(batch.hashes, spelt)
        spelling.update(zip(new_hashes.tolist(), map(words.word, places.tolist())))
        spelt = numpy.sort(numpy.concatenate([spelt, new_hashes]))
        sampled += len(batch.paper_ids)
    term_of = {}  # word hash -> term, for the words that are terms
    term_numbers = {}  # term -> a number in order of first sight, to count its papers by
    known = {word.strip("-") for word in spelling.values()}
    for word_hash, word in spelling.items():
        if (term := term_of_word(word, known)) is not None:
            term_of[word_hash] = term
            term_numbers.setdefault(term, len(term_numbers))
    every_spelling = TermTable(list(term_numbers), [0.0] * len(term_numbers),
                               {word_hash: term_numbers[term] for word_hash, term in term_of.items()})
    # The distinct (paper, term) pairs of every word, by one sort of their keys, 32 bits where
    # they fit: a sort of each batch's (paper, word) pairs first took 0.38 s of the sample's
    # 1.2-1.3 s at 100,000 papers, and cut the rows sorted here only from 3.6 million to 2.4.
    term_bits = max(len(term_numbers) - 1, 1).bit_length()
    keys, first = [numpy.zeros(0, dtype=numpy.uint32)], 0
    for batch in batches:  # a batch at a time: less memory at once
        term_ids = every_spelling.term_ids(batch.hashes)
        is_term = term_ids >= 0
        papers_of = (batch.texts_of[is_term] >> 1) + first  # a paper's two texts as one, counted from 0
        keys.append(packed(papers_of, term_ids[is_term], sampled, term_bits))
        first += len(batch.paper_ids)
    paper_terms = numpy.sort(numpy.concatenate(keys))
    paper_terms = paper_terms[starts_a_run(paper_terms)]
    counts = numpy.bincount(unpacked(paper_terms, term_bits)[1], minlength=len(term_numbers)).tolist()
    term_papers = {term: counts[number] for term, number in term_numbers.items()}
    most = max(2, int(sampled * RELATED_MAX_SHARE))
    terms = sorted(term for term, frequency in term_papers.items() if 2 <= frequency <= most)
    term_ids = {term: number for number, term in enumerate(terms)}
    idf = [math.log(sampled / term_papers[term]) for term in terms]
    spellings = {word_hash: term_ids[term] for word_hash, term in term_of.items() if term in term_ids}
    return TermTable(terms, idf, spellings)


def new_words(word_hashes: numpy.ndarray, spelt: numpy.ndarray) -> tuple:
    """The hashes of a batch's words not in `spelt` (sorted), sorted, and the place of each one's
    first word. The hashes alone are sorted (numpy.unique's return_index sorts their places too,
    which took several times as long), then only the new words' places, after the first batch
    about 700 of a batch's 21,000 distinct words."""
    if not len(spelt):
        return numpy.unique(word_hashes, return_index=True)
    distinct = numpy.sort(word_hashes)
    distinct = distinct[starts_a_run(distinct)]
    known = numpy.searchsorted(spelt, distinct)
    new_hashes = distinct[spelt[numpy.minimum(known, len(spelt) - 1)] != distinct]
    if not len(new_hashes):
        return new_hashes, numpy.zeros(0, dtype=numpy.int64)
    found = numpy.minimum(numpy.searchsorted(new_hashes, word_hashes), len(new_hashes) - 1)
    places = numpy.flatnonzero(new_hashes[found] == word_hashes)
    _, first = numpy.unique(word_hashes[places], return_index=True)
    return new_hashes, places[first]


def counted(values: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Each distinct value once, in order, and how often it occurs: numpy.unique(return_counts=True)
    by NumPy's stable sort, a merge sort, which gains where values come partly in order, as the
    keys counted here come grouped by paper: a batch's 103,030 word keys at 100,000 papers took
    1.9-2.0 ms so against numpy.unique's 2.6 (32-bit keys) and 4.4 (64-bit)."""
    values = numpy.sort(values, kind="stable")
    firsts = numpy.flatnonzero(starts_a_run(values))
    return values[firsts], numpy.diff(firsts, append=len(values))


def starts_a_run(values: numpy.ndarray) -> numpy.ndarray:
    """A mask of the rows of sorted `values` whose value is not the row before's: each run's first."""
    return numpy.concatenate(([True], values[1:] != values[:-1])) if len(values) else numpy.zeros(0, dtype=bool)


def places_in_groups(groups: numpy.ndarray) -> numpy.ndarray:
    """Each row's place (0, 1, ...) in its run of equal values in sorted `groups`: its row number
    less its run's first. Found from where the runs start, not by a binary search of every row
    (numpy.searchsorted): 0.14 against 1.36 ms for a batch's 60,000 rows, 15 against 70 ms for
    2,000,000."""
    starts = numpy.flatnonzero(starts_a_run(groups))
    return numpy.arange(len(groups)) - numpy.repeat(starts, numpy.diff(starts, append=len(groups)))


def first_of_each_group(groups: numpy.ndarray, keep: int) -> numpy.ndarray:
    """A mask of the first `keep` rows of each run of equal values in sorted `groups`."""
    return places_in_groups(groups) < keep


def batch_signatures(texts_of: numpy.ndarray, hashes: numpy.ndarray, paper_count: int, table: TermTable) -> tuple:
    """The signatures of a batch of papers from its words (split_papers: the text each is in,
    paper_texts' 2 n the title and 2 n + 1 the abstract's opening of paper n, and its hash):
    (paper place in batch, term id, weight) rows, ordered by paper, then by weight, strongest
    first."""
    term_ids = table.term_ids(hashes)
    known = term_ids >= 0
    texts_of, term_ids = texts_of[known], term_ids[known]
    # (paper, term) as one key, counted below: at 100,000 papers a batch's 103,030 keys took 1.9 ms
    # so against 4.4 with numpy.unique of 64-bit keys, whose sorts were 0.94 s of the step's 5.2.
    term_bits = max(len(table.terms) - 1, 1).bit_length()
    keys = packed(texts_of >> 1, term_ids, paper_count, term_bits)
    # A title's word counts RELATED_TITLE_WEIGHT times: its key is repeated, where the title once
    # was, which split and looked up every title's words three times (a fifth of a batch's bytes).
    title_keys = keys[texts_of % 2 == 0]
    pairs, counts = counted(numpy.concatenate([keys] + [title_keys] * (RELATED_TITLE_WEIGHT - 1)))
    places, term_ids = unpacked(pairs, term_bits)
    weights = counts * table.idf[term_ids]
    # by paper, then heaviest first; one stable sort of a single key keeps term order among equals
    order = numpy.argsort(places * (weights.max(initial=0) + 1) - weights, kind="stable")
    places, term_ids, weights = places[order], term_ids[order], weights[order]
    strongest = first_of_each_group(places, RELATED_SIGNATURE_TERMS)
    return places[strongest], term_ids[strongest], weights[strongest]


@dataclass
class Signatures:
    """Every paper's signature, and per term the papers where it weighs most (its postings)."""

    paper_ids: numpy.ndarray  # by position: papers in the order they were read
    terms: numpy.ndarray  # one row of RELATED_SIGNATURE_TERMS term ids per position, -1 where fewer
    posting_terms: numpy.ndarray  # (term id, position) pairs, ordered by term id
    posting_papers: numpy.ndarray

    def postings(self, term_count: int) -> tuple[numpy.ndarray, numpy.ndarray]:
        """Where each term's postings start, and how many it has."""
        start = numpy.searchsorted(self.posting_terms, numpy.arange(term_count))
        return start, numpy.searchsorted(self.posting_terms, numpy.arange(term_count), side="right") - start


def strongest_postings(term_ids, weights, positions) -> tuple:
    """Keep, per term, the RELATED_POSTINGS_CAP rows of highest weight (the first paper read wins
    among equals), ordered by term id."""
    order = numpy.lexsort((positions, -weights, term_ids))
    order = order[first_of_each_group(term_ids[order], RELATED_POSTINGS_CAP)]
    return term_ids[order], weights[order], positions[order]


def paper_signatures(papers: Iterable[tuple[int, str | None, str | None]], table: TermTable,
                     split: list[SplitBatch] | None = None) -> Signatures:
    """Read papers in batches and keep each one's signature; postings are merged as rows gather,
    so memory holds the signatures and at most RELATED_POSTINGS_MERGE rows more. The batches in
    `split` (sample_terms' `kept`), where given, are the first papers, already split into words:
    each is dropped from the list once used."""
    paper_ids = array.array("q")
    blocks = [numpy.zeros((0, RELATED_SIGNATURE_TERMS), dtype=numpy.int32)]
    gathered, waiting = [(numpy.zeros(0, numpy.int64), numpy.zeros(0), numpy.zeros(0, numpy.int64))], 0
    for batch in itertools.chain(taken_in_turn(split or []), (batch for batch, _ in split_papers(papers))):
        first = len(paper_ids)
        paper_ids.extend(batch.paper_ids)
        places, term_ids, weights = batch_signatures(batch.texts_of, batch.hashes, len(batch.paper_ids), table)
        block = numpy.full((len(batch.paper_ids), RELATED_SIGNATURE_TERMS), -1, dtype=numpy.int32)
        block[places, places_in_groups(places)] = term_ids
        blocks.append(block)
        gathered.append((term_ids, weights, places + first))
        waiting += len(places)
        if waiting > RELATED_POSTINGS_MERGE:
            gathered, waiting = [strongest_postings(*map(numpy.concatenate, zip(*gathered)))], 0
    posting_terms, _, posting_papers = strongest_postings(*map(numpy.concatenate, zip(*gathered)))
    return Signatures(numpy.array(paper_ids, dtype=numpy.int64), numpy.concatenate(blocks), posting_terms, posting_papers)


def taken_in_turn(items: list) -> Iterator:
    """Each item of `items`, first to last, each removed from the list as it is given, so that
    none is held longer than its use."""
    items.reverse()
    while items:
        yield items.pop()


def in_batches(items: Iterable, size: int) -> Iterator[tuple]:
    """Tuples of `size` items, the last one shorter (itertools.batched from Python 3.12)."""
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def related_papers(papers: Iterable[tuple[int, str | None, str | None]]) -> Iterator[RelatedPaper]:
    """For each paper, up to RELATED_PER_PAPER other papers sharing its most distinctive terms.

    `papers` yields (id, title, plain abstract) in id order, and is read once. A
    paper's signature is its RELATED_SIGNATURE_TERMS terms of highest tf-idf (see TermTable).
    Two papers relate by the summed idf of the terms their signatures share (at least
    RELATED_MIN_SHARED of them). A term links at most RELATED_POSTINGS_CAP papers, those where it
    weighs most, so the cost per paper is bounded however common a term is; among the papers so
    linked, the RELATED_CANDIDATES sharing the most terms are scored exactly.
    """
    # The sample's papers are split into words once, for its terms and then their signatures: read
    # and split again, they took 0.3-0.6 s of CPU at 100,000 papers (the helper's work in six runs in
    # turns on one staged file: 4.37-5.19 s against 4.79-5.65).
    rows = iter(papers)
    sampled: list[SplitBatch] = []
    table = sample_terms(rows, kept=sampled)  # the first RELATED_SAMPLE rows: islice reads no further
    signatures = paper_signatures(rows, table, split=sampled)
    posting_start, posting_size = signatures.postings(len(table.terms))
    # Term ids ordered rarest first, then alphabetically: the order shared terms are shown in.
    rarity = numpy.empty(len(table.terms), dtype=numpy.int64)
    rarity[numpy.lexsort((numpy.arange(len(table.terms)), -table.idf))] = numpy.arange(len(table.terms))
    rarity = rarity.tolist()
    for first in range(0, len(signatures.paper_ids), RELATED_SCORE_BATCH):
        rows = signatures.terms[first:first + RELATED_SCORE_BATCH]
        places, columns = numpy.nonzero(rows >= 0)
        yield from _score_batch(
            places + first, rows[places, columns], posting_start, posting_size, signatures.posting_papers,
            signatures.terms, signatures.paper_ids, table, rarity,
        )


def packed(high: numpy.ndarray, low: numpy.ndarray, high_limit: int, low_bits: int) -> numpy.ndarray:
    """Each (high, low) pair as one integer, ordered as the pairs are, `high` below `high_limit`
    and `low` of `low_bits` bits: in 32 bits where both fit, which NumPy sorts twice as fast as 64
    (a batch of 100k papers' 1.5 million pairs: unique took 17 ms against 43)."""
    fits = max(high_limit - 1, 1).bit_length() + low_bits <= PAIR_KEY_BITS
    key = numpy.uint32 if fits else numpy.uint64
    return (high.astype(key) << key(low_bits)) | low.astype(key)


def unpacked(pairs: numpy.ndarray, low_bits: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The (high, low) parts of `packed` pairs."""
    return ((pairs >> pairs.dtype.type(low_bits)).astype(numpy.int64),
            (pairs & pairs.dtype.type((1 << low_bits) - 1)).astype(numpy.int64))


def _score_batch(positions, term_ids, posting_start, posting_size, posting_papers, signatures, paper_ids, table, rarity):
    """Related papers for the papers whose signature rows are given."""
    sizes = posting_size[term_ids]
    papers = numpy.repeat(positions, sizes).astype(numpy.int64)
    offsets = numpy.arange(sizes.sum()) - numpy.repeat(numpy.cumsum(sizes) - sizes, sizes)
    others = posting_papers[numpy.repeat(posting_start[term_ids], sizes) + offsets]
    linked = papers != others
    first = int(positions[0]) if len(positions) else 0  # the batch's papers counted from it
    other_bits = max(len(signatures) - 1, 1).bit_length()
    pairs, shared = counted(packed(papers[linked] - first, others[linked], RELATED_SCORE_BATCH, other_bits))
    enough = shared >= RELATED_MIN_SHARED
    papers, others = unpacked(pairs[enough], other_bits)
    papers, shared = papers + first, shared[enough]
    # candidates: per paper, those sharing the most terms, nearest position first among equals
    order = numpy.lexsort((others, -shared, papers))
    order = order[first_of_each_group(papers[order], RELATED_CANDIDATES)]
    papers, others = papers[order], others[order]

    mine, theirs = signatures[papers], signatures[others]
    in_both = (mine[:, :, None] == theirs[:, None, :]).any(axis=2) & (mine >= 0)
    scores = numpy.round(numpy.where(in_both, table.idf[mine], 0.0).sum(axis=1), 3)
    order = numpy.lexsort((paper_ids[others], -scores, papers))
    order = order[first_of_each_group(papers[order], RELATED_PER_PAPER)]
    rank = 0
    previous = -1
    for row in order.tolist():
        paper = int(papers[row])
        rank = rank + 1 if paper == previous else 1
        previous = paper
        shared_ids = sorted(mine[row][in_both[row]].tolist(), key=rarity.__getitem__)
        yield RelatedPaper(
            int(paper_ids[paper]), rank, int(paper_ids[others[row]]), float(scores[row]),
            tuple(table.terms[term_id] for term_id in shared_ids),
        )
