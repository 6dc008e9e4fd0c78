"""Related papers: on a small corpus written here, and on the database built from the vendored sources."""

import collections
import json
import math
import re
import sqlite3

import numpy
from hypothesis import given
from hypothesis import strategies as st

from papers_db import related
from papers_db.related import (
    RELATED_PER_PAPER,
    TermTable,
    counted,
    fold_plural,
    new_words,
    packed,
    paper_texts,
    places_in_groups,
    related_papers,
    term_of_word,
    unpacked,
)
from papers_db.words import distinct_pairs, split_words

# Forty papers: three on denoising diffusion, three on reward-driven policies, and 34 that share
# no words of substance with anything (each filler word is made of the paper's own letters).
DIFFUSION = [
    (1, "Denoising Diffusion Samplers", "A denoising diffusion sampler with fewer steps."),
    (2, "Faster Denoising Diffusion", "We speed up denoising diffusion models."),
    (3, "Diffusion Denoising at Scale", "Scaling denoising diffusion to large images."),
]
POLICIES = [
    (4, "Reward Shaping for Policy Gradients", "Policy gradients learn faster with shaped reward."),
    (5, "Policy Search without Reward", "A policy found with sparse reward signals."),
    (6, "Reward Models Guide Policy Learning", "Learned reward models steer the policy."),
]


def filler(number):
    letters = "bcdfghjklmnpqrstvwxz"
    word = lambda shift: f"{letters[number % 20]}a{letters[number // 20]}o{letters[shift]}u"  # its own
    return (100 + number, f"{word(0).title()} {word(1).title()}", f"{word(2)} {word(3)} {word(4)}.")


CORPUS = DIFFUSION + POLICIES + [filler(n) for n in range(34)]


def rows(corpus):
    return list(related_papers(corpus))


def test_papers_on_one_topic_relate_to_each_other_only():
    found = rows(CORPUS)
    by_paper = {}
    for row in found:
        by_paper.setdefault(row.paper_id, []).append(row)
    # Each topic paper relates to exactly the other two on its topic, nothing else does.
    assert {paper: {r.related_paper_id for r in related} for paper, related in by_paper.items()} == {
        1: {2, 3}, 2: {1, 3}, 3: {1, 2}, 4: {5, 6}, 5: {4, 6}, 6: {4, 5},
    }
    # "denoising" and "diffusion" are each in 3 of the 40 papers: the score is their summed idf.
    first = by_paper[1][0]
    assert set(first.shared_terms) == {"denoising", "diffusion"}
    assert first.score == round(2 * math.log(40 / 3), 3)
    assert set(by_paper[4][0].shared_terms) == {"policy", "reward"}
    assert [r.rank for r in by_paper[2]] == [1, 2]


def test_a_term_counts_the_papers_using_it_once_whatever_the_spelling():
    # Paper 1 now says "diffusions" beside "diffusion": still 3 of the 40 papers use the term, so
    # its idf stays ln(40 / 3); counting each spelling's papers would make it ln(40 / 4).
    plural = [(1, DIFFUSION[0][1], DIFFUSION[0][2] + " Two diffusions.")] + CORPUS[1:]
    first = next(row for row in rows(plural) if row.paper_id == 1 and row.rank == 1)
    assert set(first.shared_terms) == {"denoising", "diffusion"}
    assert first.score == round(2 * math.log(40 / 3), 3)


def test_a_paper_listed_twice_is_one_paper():
    # The same paper under one id cannot relate to itself; a second copy under another id would.
    assert all(r.paper_id != r.related_paper_id for r in rows(CORPUS))
    twice = CORPUS + [(7, DIFFUSION[0][1], DIFFUSION[0][2])]
    assert any(r.paper_id == 1 and r.related_paper_id == 7 for r in rows(twice))


def test_in_a_handful_of_papers_a_term_in_two_of_them_still_counts():
    # README: a term in more than a tenth of all papers is left out, but one in two always counts,
    # or under 20 papers none would link any (a review read the rule without this).
    few = DIFFUSION[:2] + [filler(n) for n in range(3)]  # 5 papers: "denoising" and "diffusion" in 2 (40%)
    assert {(r.paper_id, r.related_paper_id) for r in rows(few)} == {(1, 2), (2, 1)}
    assert set(rows(few)[0].shared_terms) == {"denoising", "diffusion"}
    # In 3 of 5 (60%): more than two and more than a tenth, so no term, and nothing related.
    assert rows(DIFFUSION + [filler(n) for n in range(2)]) == []


def test_terms_fold_plurals_and_skip_stop_words():
    known = {"anomaly", "process", "model", "movie", "bias", "case", "lens", "study", "class", "box", "analysis",
             "hypothesis", "matrix", "denoising"}
    plurals = ["anomalies", "processes", "models", "movies", "biases", "cases", "lenses", "studies", "classes", "boxes",
               "class", "corpus", "gas", "analysis"]
    assert [fold_plural(word, known) for word in plurals] == [
        "anomaly", "process", "model", "movie", "bias", "case", "lens", "study", "class", "box",
        "class", "corpus", "gas", "analysis"]
    # Irregular plurals, and words whose singular is not among the words: never a made-up singular.
    unfolded = ["hypotheses", "series", "species", "matrices", "indices", "vertices", "diffusions"]
    assert [fold_plural(word, known) for word in unfolded] == unfolded
    # Acronyms' plurals of four letters fold too (the bundled papers say llm 24 times, llms 43);
    # never into a word under three letters, nor news into new.
    known |= {"llm", "gan", "cnn", "gpu", "api", "go", "new", "odd", "les"}
    assert [fold_plural(word, known) for word in ("llms", "gans", "cnns", "gpus", "apis", "goes", "news", "odds", "gas")] == [
        "llm", "gan", "cnn", "gpu", "api", "goes", "news", "odds", "gas"]
    assert [fold_plural(word, known) for word in ("corpus", "analysis", "less", "class")] == ["corpus", "analysis", "less", "class"]
    assert term_of_word("the", known) is None and term_of_word("3d", known) is None and term_of_word("of", known) is None
    assert term_of_word("-denoising-", known) == "denoising" and term_of_word("-models", known) == "model"


def test_no_papers_and_papers_without_text():
    assert rows([]) == []
    assert rows([(1, None, None), (2, "", "")]) == []


def test_term_table_finds_spellings_whose_slots_collide():
    # Hashes that share their top bits land in one slot: the table must probe past the others.
    top = 0xABC << 52
    spellings = {top | 1: 0, top | 2: 1, top | 3: 2, (top + (1 << 52)) | 4: 0}
    table = TermTable(["alpha", "beta", "gamma"], [1.0, 2.0, 3.0], spellings)
    asked = related.numpy.array([top | 3, top | 1, top | 9, (top + (1 << 52)) | 4, top | 2, 5], dtype="uint64")
    assert table.term_ids(asked).tolist() == [2, 0, -1, 0, 1, -1]


# On the papers of the vendored sources.


def vendored_papers(conn):
    return conn.execute("select id, title, coalesce(abstract_text, abstract) from papers order by id").fetchall()


def test_words_found_in_bytes_are_the_words_of_the_text(built_db):
    # Reference: ASCII punctuation other than hyphens is a separator, as is ASCII whitespace.
    separators = re.compile(r"[\s!-,./:-@\[-^_`{-~]+", re.ASCII)
    with sqlite3.connect(built_db) as conn:
        texts = paper_texts(vendored_papers(conn))
    assert len(texts) > 600
    words = split_words(texts)
    found = [(int(paper), words.word(place)) for place, paper in enumerate(words.texts_of)]
    expected = [(paper, word) for paper, text in enumerate(texts) for word in separators.split(text.decode()) if word]
    assert found == expected
    assert any(not word.isascii() for _, word in expected)  # e.g. accented names
    hash_of = {}
    for (_, word), word_hash in zip(found, words.hashes.tolist()):
        assert hash_of.setdefault(word, word_hash) == word_hash  # equal words, equal hashes
    assert len(set(hash_of.values())) == len(hash_of)  # and no two words share one


def test_words_too_short_to_be_terms_are_left_out_and_the_rest_unchanged():
    texts = [b"a of gan 3d -x- x-y llms \xc3\xa9t\xc3\xa9 ab. ", b" ", b"on-line is ok abc ", b""]
    every = split_words(texts)
    long_enough = split_words(texts, 3)
    kept = [place for place in range(len(every.starts)) if every.ends[place] - every.starts[place] >= 3]
    assert [long_enough.word(place) for place in range(len(long_enough.starts))] == [
        "gan", "-x-", "x-y", "llms", "été", "on-line", "abc"]
    assert [every.word(place) for place in kept] == [long_enough.word(place) for place in range(len(long_enough.starts))]
    assert long_enough.hashes.tolist() == every.hashes[kept].tolist()
    assert long_enough.texts_of.tolist() == every.texts_of[kept].tolist() == [0, 0, 0, 0, 0, 2, 2]


def test_a_signature_is_a_papers_heaviest_terms_its_title_words_counting_three_times(built_db):
    # Reference, word by word: a term weighs its uses (each in the title three, in the abstract's
    # opening one) times its idf; a paper keeps its 12 heaviest, the lower term id first among equals.
    separators = re.compile(r"[\s!-,./:-@\[-^_`{-~]+", re.ASCII)
    with sqlite3.connect(built_db) as conn:
        papers = vendored_papers(conn)
    table = related.sample_terms(iter(papers))
    term_ids = {term: number for number, term in enumerate(table.terms)}
    texts = paper_texts(papers)
    known = {word.strip("-") for text in texts for word in separators.split(text.decode()) if len(word.encode()) >= 3}
    words = split_words(texts, related.RELATED_SHORTEST_TERM)
    places, found_terms, weights = related.batch_signatures(words.texts_of, words.hashes, len(papers), table)
    found = {}
    for place, term_id, weight in zip(places.tolist(), found_terms.tolist(), weights.tolist()):
        found.setdefault(place, []).append((term_id, weight))
    titled = 0  # title words that are terms: the weighting this test is about
    for place in range(len(papers)):
        uses = {}
        for text, times in ((texts[2 * place], 3), (texts[2 * place + 1], 1)):
            for word in separators.split(text.decode()):
                if (term := term_of_word(word, known)) in term_ids:
                    uses[term_ids[term]] = uses.get(term_ids[term], 0) + times
                    titled += times == 3
        heaviest = sorted(((term_id, count * table.idf[term_id]) for term_id, count in uses.items()),
                          key=lambda pair: (-pair[1], pair[0]))[:related.RELATED_SIGNATURE_TERMS]
        assert found.get(place, []) == heaviest, papers[place]
    assert len(papers) > 300 and titled > 1000


def test_results_do_not_depend_on_batch_sizes(built_db, monkeypatch):
    with sqlite3.connect(built_db) as conn:
        corpus = vendored_papers(conn)
    whole = rows(corpus)
    monkeypatch.setattr(related, "RELATED_READ_BATCH", 7)
    monkeypatch.setattr(related, "RELATED_SCORE_BATCH", 5)
    monkeypatch.setattr(related, "RELATED_POSTINGS_MERGE", 30)
    assert len(whole) > 300 and rows(corpus) == whole


def test_pairs_counted_in_64_bits_give_the_same_rows(built_db, monkeypatch):
    # A corpus of over 2**20 papers counts pairs in 64 bits: forced here by allowing keys of 8.
    with sqlite3.connect(built_db) as conn:
        corpus = vendored_papers(conn)
    whole = rows(corpus)
    keys, packed = [], related.packed
    monkeypatch.setattr(related, "PAIR_KEY_BITS", 8)
    monkeypatch.setattr(related, "packed", lambda *args: keys.append(packed(*args)) or keys[-1])
    assert rows(corpus) == whole and {key.dtype for key in keys} == {numpy.dtype(numpy.uint64)}


# On the database built from the vendored sources.


def related_rows(conn):
    return conn.execute(
        "select r.paper_id, r.rank, r.related_paper_id, r.score, r.shared_terms, "
        "lower(coalesce(p.title, '') || ' ' || coalesce(p.abstract_text, p.abstract, '')), "
        "lower(coalesce(q.title, '') || ' ' || coalesce(q.abstract_text, q.abstract, '')) "
        "from related_papers r join papers p on p.id = r.paper_id join papers q on q.id = r.related_paper_id"
    ).fetchall()


def test_related_rows_are_well_formed(built_db):
    with sqlite3.connect(built_db) as conn:
        found = related_rows(conn)
        total = conn.execute("select count(*) from related_papers").fetchone()[0]
        ranks = conn.execute("select paper_id, group_concat(rank) from related_papers group by paper_id").fetchall()
    assert len(found) == total > 100  # every row names two papers that exist
    assert all(paper != other for paper, _, other, *_ in found)
    for _, listed in ranks:
        assert listed.split(",") == [str(n) for n in range(1, len(listed.split(",")) + 1)]
        assert len(listed.split(",")) <= RELATED_PER_PAPER
    for paper, _rank, other, score, shared, text, other_text in found:
        terms = json.loads(shared)
        assert len(terms) >= 2 and score > 0
        for term in terms:  # the explanation is true: both papers use the word (or its plural)
            stem = re.escape(term[:-1] if term.endswith("y") else term)
            assert re.search(rf"\b{stem}", text) and re.search(rf"\b{stem}", other_text), (term, paper, other)


def test_scores_are_the_summed_idf_of_the_shared_terms(built_db):
    # As metadata.yml says: ln(papers / papers using the term, any spelling), summed over the shared
    # terms, to 3 decimals. The words are counted here with a regular expression, paper by paper.
    separators = re.compile(r"[\s!-,./:-@\[-^_`{-~]+", re.ASCII)
    with sqlite3.connect(built_db) as conn:
        papers = vendored_papers(conn)
        found = conn.execute("select score, shared_terms from related_papers").fetchall()
    papers_using = {}
    texts = paper_texts(papers)
    words = [separators.split((title + opening).decode()) for title, opening in zip(texts[0::2], texts[1::2])]
    known = {word.strip("-") for paper_words in words for word in paper_words}
    for paper_words in words:
        for term in {term_of_word(word, known) for word in paper_words} - {None}:
            papers_using[term] = papers_using.get(term, 0) + 1
    assert len(found) > 300
    for score, shared in found:
        # Each term shown is a word the papers use: a suffix rule once showed "hypothese".
        assert set(json.loads(shared)) <= known, shared
        assert score == round(sum(math.log(len(papers) / papers_using[term]) for term in json.loads(shared)), 3)


def test_cross_listed_papers_are_not_related_to_a_copy_of_themselves(built_db):
    with sqlite3.connect(built_db) as conn:
        cross_listed = conn.execute("select count(*) from papers where listings_count > 1").fetchone()[0]
        same_title = conn.execute(
            "select count(*) from related_papers r join papers p on p.id = r.paper_id "
            "join papers q on q.id = r.related_paper_id where lower(p.title) = lower(q.title)"
        ).fetchone()[0]
    assert cross_listed >= 10 and same_title == 0


def test_anomaly_detection_papers_find_each_other(built_db):
    # Reading the sources: four titles say "Anomaly Detection" (001 and 002 files).
    with sqlite3.connect(built_db) as conn:
        papers = conn.execute("select id from papers where title like '%Anomaly Detection%'").fetchall()
        assert len(papers) == 4
        for (paper,) in papers:
            titles = [t for (t,) in conn.execute(
                "select q.title from related_papers r join papers q on q.id = r.related_paper_id "
                "where r.paper_id = ? order by r.rank limit 3", (paper,))]
            assert sum("anomal" in t.lower() for t in titles) >= 2, titles


@given(st.lists(st.integers(0, 40), max_size=60))
def test_a_rows_place_counts_from_the_start_of_its_run(values):
    values.sort()
    expected, seen = [], {}
    for value in values:
        expected.append(seen.get(value, 0))
        seen[value] = expected[-1] + 1
    assert places_in_groups(numpy.array(values, dtype=numpy.int64)).tolist() == expected


# Groups past 16 bits take the other sort (a paper's words in batches of 1,000 never do; a batch
# of shingled abstracts may); few distinct values make repeated pairs.
@given(st.lists(st.integers(0, 2**32 - 1), max_size=80), st.booleans())
def test_counted_gives_each_value_once_in_order_with_how_often_it_occurs(values, few_values):
    if few_values:
        values = [value % 6 for value in values]
    expected = collections.Counter(values)
    for dtype in (numpy.uint32, numpy.uint64):
        distinct, counts = counted(numpy.array(values, dtype=dtype))
        assert distinct.tolist() == sorted(expected) and counts.tolist() == [expected[value] for value in sorted(expected)]


@given(st.lists(st.tuples(st.integers(0, 4_095), st.integers(0, 2**20 - 1)), max_size=60), st.integers(20, 44))
def test_packed_pairs_are_ordered_as_the_pairs_and_unpack_to_them(pairs, low_bits):
    high = numpy.array([high for high, _ in pairs], dtype=numpy.int64)
    low = numpy.array([low for _, low in pairs], dtype=numpy.int64)
    keys = packed(high, low, 4_096, low_bits)
    assert keys.dtype == (numpy.uint32 if low_bits <= 20 else numpy.uint64)
    assert [pairs[place] for place in numpy.argsort(keys, kind="stable").tolist()] == sorted(pairs, key=lambda pair: pair)
    assert [tuple(part.tolist()) for part in unpacked(keys, low_bits)] == [tuple(high.tolist()), tuple(low.tolist())]


@given(st.lists(st.tuples(st.integers(0, 70_000), st.integers(0, 2**64 - 1)), max_size=80), st.booleans())
def test_distinct_pairs_are_each_pair_once_by_group_then_hash(pairs, few_values):
    if few_values:
        pairs = [(group % 5, word_hash % 4) for group, word_hash in pairs]
    groups, hashes = distinct_pairs(numpy.array([group for group, _ in pairs], dtype=numpy.int64),
                                    numpy.array([word_hash for _, word_hash in pairs], dtype=numpy.uint64))
    assert list(zip(groups.tolist(), hashes.tolist())) == sorted(set(pairs))


@given(st.lists(st.integers(0, 30), max_size=60), st.sets(st.integers(0, 30), max_size=20))
def test_new_words_are_those_not_spelt_yet_each_at_its_first_place(words, spelt):
    hashes = numpy.array(words, dtype=numpy.uint64)
    new_hashes, places = new_words(hashes, numpy.array(sorted(spelt), dtype=numpy.uint64))
    expected = sorted(set(words) - spelt)
    assert new_hashes.tolist() == expected and places.tolist() == [words.index(word) for word in expected]


def test_the_samples_papers_split_once_give_the_signatures_of_papers_read_again(built_db, monkeypatch):
    # related_papers reads papers once: the sample's batches, split for its terms, are its first
    # signatures' words too, and reading goes on after the sample. Here the sample (50 papers)
    # ends inside a batch of 7, so the first batch read after it starts mid-way.
    with sqlite3.connect(built_db) as conn:
        corpus = vendored_papers(conn)
    monkeypatch.setattr(related, "RELATED_SAMPLE", 50)
    monkeypatch.setattr(related, "RELATED_READ_BATCH", 7)
    table = related.sample_terms(iter(corpus))
    read_again = related.paper_signatures(iter(corpus), table)
    rows, kept = iter(corpus), []
    kept_table = related.sample_terms(rows, kept=kept)
    assert [len(batch.paper_ids) for batch in kept] == [7] * 7 + [1]
    split_once = related.paper_signatures(rows, kept_table, split=kept)
    assert kept == [] and kept_table.terms == table.terms and len(corpus) > 300
    for field in ("paper_ids", "terms", "posting_terms", "posting_papers"):
        assert numpy.array_equal(getattr(split_once, field), getattr(read_again, field)), field
    assert split_once.paper_ids.tolist() == [paper_id for paper_id, _, _ in corpus]
