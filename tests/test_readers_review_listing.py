"""The review-listing reader on small hand-written fixtures: one case per irregularity in SOURCES.md."""

import pytest
from listing_texts import ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, SHORT_ABSTRACT, review_text

from papers_db.decisions import normalise_decision
from papers_db.readers.review_listing import read_review_listing


def test_review_listing_every_irregular_case():
    text = review_text(
        "model",  # 1: bare label line, no paper
        "Reject Inference for Credit Scoring",  # 2: title that begins with a decision word
        ABSTRACT_A,  # 3
        "Reject",  # 4
        ABSTRACT_B,  # 5: record with no title
        "Accept (oral)",  # 6: lower-case 2024 style
        "Accept Is All You Need",  # 7: title that begins with "Accept"
        SHORT_ABSTRACT,  # 8: short abstract
        "Withdrawn Submission",  # 9
        "A Title and Nothing Else",  # 10: title without abstract
        "Desk Rejected Papers: A Study",  # 11
        ABSTRACT_C,  # 12
        "Desk Rejected",  # 13
        "Understanding Something Without a Decision",  # 14
        ABSTRACT_A.replace("lenders", "banks"),  # 15: no decision line: unknown
    )
    reading = read_review_listing(text)
    got = [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records]
    assert got == [
        (2, 4, "Reject Inference for Credit Scoring", ABSTRACT_A, "Reject"),
        (5, 6, None, ABSTRACT_B, "Accept (oral)"),
        (7, 9, "Accept Is All You Need", SHORT_ABSTRACT, "Withdrawn Submission"),
        (10, 10, "A Title and Nothing Else", None, None),
        (11, 13, "Desk Rejected Papers: A Study", ABSTRACT_C, "Desk Rejected"),
        (14, 15, "Understanding Something Without a Decision", ABSTRACT_A.replace("lenders", "banks"), None),
    ]
    assert reading.other_lines == {1: "label"}
    assert [(i.line, i.code) for i in reading.issues] == [(10, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_review_listing_first_line_is_a_paper_when_an_abstract_follows():
    reading = read_review_listing(review_text("Short Title", ABSTRACT_A))
    assert [(r.line, r.title) for r in reading.records] == [(1, "Short Title")]
    assert reading.other_lines == {}


def test_review_listing_decision_without_paper_is_reported():
    reading = read_review_listing(review_text("Accept (Poster)", "Some Title", ABSTRACT_A, "Accept (Poster)", "Reject"))
    assert [(r.line, r.decision) for r in reading.records] == [(2, "Accept (Poster)")]
    assert [(i.line, i.code) for i in reading.issues] == [(1, "orphan_decision"), (5, "orphan_decision")]


def test_unknown_accept_tier_is_kept_and_reported():
    reading = read_review_listing(review_text("Some Title", ABSTRACT_A, "Accept (Workshop)"))
    assert reading.records[0].decision == "Accept (Workshop)"
    assert [(i.line, i.code) for i in reading.issues] == [(3, "unknown_decision_tier")]


def test_a_first_title_without_its_abstract_is_a_paper_not_a_label():
    # No label line here: the first paper lost its abstract. It must stay a record (reported),
    # not vanish as the file's label; a one-word first line is still a label.
    reading = read_review_listing(review_text("Reject Inference for Credit Scoring", "Diffusion Samplers", ABSTRACT_B))
    assert [(r.line, r.title, r.abstract is not None) for r in reading.records] == [
        (1, "Reject Inference for Credit Scoring", False), (2, "Diffusion Samplers", True)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "missing_abstract")]
    labelled = read_review_listing(review_text("model", "Diffusion Samplers", ABSTRACT_B))
    assert ([r.line for r in labelled.records], labelled.other_lines) == ([2], {1: "label"})
    # One word ending as a title's first part does ("Mamba:"): it was dropped as the label, unreported
    # (found by review).
    for first in ("Mamba:", "Mamba,", "Mamba -", "Mamba—"):
        reading = read_review_listing(review_text(first, "Linear-Time Sequence Modeling with Selective State Spaces",
                                                  ABSTRACT_A, "Accept (Poster)", "Diffusion Samplers", ABSTRACT_B))
        assert [(r.line, r.last_line, r.title.split()[0]) for r in reading.records] == [
            (1, 4, first.split()[0]), (5, 6, "Diffusion")], first
        assert [(i.line, i.code) for i in reading.issues] == [(2, "wrapped_title")], first
        if len(first.split()) == 1:  # one word over a title is a label candidate; two words never were
            assert "were that first line the listing's label" in reading.issues[0].message


def test_a_one_word_first_title_over_a_short_abstract_or_a_decision_is_a_paper_not_a_label():
    # "Gato" over "A generalist agent." and "Reject" was dropped as the file's label, and its
    # abstract was a paper of its own with Gato's decision (found by a fuzz of the readers).
    for second, issue in (("A generalist agent.", "short_abstract"), ("No abstract available", "placeholder_abstract")):
        reading = read_review_listing(review_text("Gato", second, "Reject", "Diffusion Samplers", ABSTRACT_B,
                                                  "Accept (Poster)"))
        assert [(r.line, r.last_line, r.title, r.decision) for r in reading.records] == [
            (1, 3, "Gato", "Reject"), (4, 6, "Diffusion Samplers", "Accept (Poster)")], second
        assert "label" not in reading.other_lines.values() and reading.unaccounted_lines() == []
        assert (2, issue) in [(i.line, i.code) for i in reading.issues], second
    # In a listing without decisions, as 000 is, a sentence after the word is no title for it to
    # label: the word is read as a title of several words is there (each reported without an abstract).
    def read(first):
        reading = read_review_listing(review_text(first, "A generalist agent.", "Diffusion Samplers", ABSTRACT_B))
        return [(r.line, r.last_line) for r in reading.records], [(i.line, i.code) for i in reading.issues]

    assert read("Gato") == read("A Generalist Agent") == ([(1, 1), (2, 2), (3, 4)], [(1, "missing_abstract"),
                                                                                     (2, "missing_abstract")])
    # Over a title, with its abstract or its decision after that, one word is still a label.
    # So it is over a title alone with its decision right after it, as the benchmark's corpus relists
    # papers: the word was read as a title, a record the listing has not.
    for after in ([ABSTRACT_B, "Accept (Poster)"], ["Pooling Is Neither Necessary nor Sufficient", ABSTRACT_B],
                  ["Accept (Poster)", "Pooling Is Neither Necessary nor Sufficient", ABSTRACT_B]):
        labelled = read_review_listing(review_text("model", "Diffusion Samplers", *after))
        assert (labelled.records[0].line, labelled.other_lines) == (2, {1: "label"}), after


def test_decision_lines_with_odd_letters_and_long_near_decisions_are_read():
    reading = read_review_listing(review_text("A Title", ABSTRACT_A, "Accept (İ)", ABSTRACT_B, "Accept (" + " " * 100_000))
    # The near-decision, where a decision goes and with no abstract after it, is reported, not a paper.
    assert [(r.line, r.decision) for r in reading.records] == [(1, "Accept (İ)"), (4, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "unknown_decision_tier"), (5, "unknown_decision")]
    assert reading.unaccounted_lines() == []


def test_a_decision_this_reader_does_not_know_is_reported_not_made_a_paper():
    # Where a decision goes, and no abstract after it: not a title. "Rejection Sampling Done
    # Right" has its abstract after it, so it is the next paper whatever its first word.
    text = review_text(
        "Robust Learning From Noise", ABSTRACT_A, "Accepted with revisions",  # 1-3
        "Sparse Graph Attention", ABSTRACT_B, "Decision: pending",  # 4-6
        "Rejection Sampling Done Right", ABSTRACT_C, "Accept (Poster)",  # 7-9
        "Fast Diffusion Sampling", SHORT_ABSTRACT, "Accept (Pos",  # 10-12: the file ends mid-label
    )
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Robust Learning From Noise", None), (4, "Sparse Graph Attention", None),
        (7, "Rejection Sampling Done Right", "Accept (Poster)"), (10, "Fast Diffusion Sampling", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (3, "unknown_decision"), (6, "unknown_decision"), (12, "unknown_decision")]
    assert "'Accepted with revisions' reads like a decision" in reading.issues[0].message
    assert reading.unaccounted_lines() == []


def test_a_conference_sites_badge_is_the_papers_decision():
    # "Poster", "Oral" or "NeurIPS 2024 Spotlight" where a decision goes were papers titled so, and
    # each real paper had no decision (found by review).
    badges = ("Poster", "Oral", "Spotlight Poster", "NeurIPS 2024 Spotlight")
    text = review_text("Sparse Attention", ABSTRACT_A, badges[0], "Dense Attention", ABSTRACT_B, badges[1],
                       "Kernel Methods Revisited", ABSTRACT_C, badges[2], "Tiny Kernels", SHORT_ABSTRACT, badges[3])
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Sparse Attention", "Poster"), (4, "Dense Attention", "Oral"), (7, "Kernel Methods Revisited", "Spotlight Poster"),
        (10, "Tiny Kernels", "NeurIPS 2024 Spotlight")]
    assert reading.issues == []
    # With its abstract after it, a badge's word is a title, and the paper before keeps no decision from it.
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Spotlight", ABSTRACT_B, "Reject"))
    assert [(r.line, r.title, r.decision) for r in reading.records] == [(1, "Sparse Attention", None), (3, "Spotlight", "Reject")]


def test_a_decision_in_brackets_is_the_papers_decision_and_a_title_in_brackets_stays_a_title():
    # "[Oral]" where a decision goes was a paper titled "[Oral]" without an abstract, and the
    # paper before it had no decision (noticed in the forty-fifth session). The label stays as written.
    text = review_text("Sparse Attention", ABSTRACT_A, "[Oral]", "Dense Attention", ABSTRACT_B, "(Accept (Poster))",
                       "Kernel Methods Revisited", ABSTRACT_C, "【Reject】")
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Sparse Attention", "[Oral]"), (4, "Dense Attention", "(Accept (Poster))"),
        (7, "Kernel Methods Revisited", "【Reject】")]
    assert [normalise_decision(r.decision) for r in reading.records] == [
        ("accept", "oral"), ("accept", "poster"), ("reject", None)]
    assert reading.issues == [] and reading.unaccounted_lines() == []
    # Brackets around a title, or opening one, leave it a title with its abstract and decision.
    reading = read_review_listing(review_text("[Re] Sparse Attention", ABSTRACT_A, "Reject",
                                              "[Oral History of Deep Learning]", ABSTRACT_B, "[Reject]"))
    assert [(r.title, r.decision) for r in reading.records] == [
        ("[Re] Sparse Attention", "Reject"), ("[Oral History of Deep Learning]", "[Reject]")]
    assert reading.issues == []


def test_links_in_brackets_are_links_and_a_poster_badge_beside_them_is_reported():
    # A site's links to a paper's files, one a line: "[Slides]" was a paper of that title, and
    # "[Poster]" (a link to the poster, or the paper's badge) became its decision with no word
    # of doubt (found by review). As bare words, "Slides" and "PDF" were links already.
    text = review_text("Sparse Attention", ABSTRACT_A, "[PDF]", "[Poster]", "[Slides]",
                       "Dense Attention", ABSTRACT_B, "(code)", "Poster",
                       "Kernel Methods Revisited", ABSTRACT_C, "[Poster]")
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Sparse Attention", "[Poster]"), (6, "Dense Attention", "Poster"), (10, "Kernel Methods Revisited", "[Poster]")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (3, "stray_line"), (4, "badge_among_links"), (5, "stray_line"), (8, "stray_line"), (9, "badge_among_links")]
    assert reading.unaccounted_lines() == []
    # Several links in brackets on one line were a title-only paper (noticed in review).
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "[PDF] [Poster] [Code]", "Reject",
                                              "Dense Attention", ABSTRACT_B, "(pdf) (video)",
                                              "[PDF] Code Generation", ABSTRACT_C))
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Sparse Attention", "Reject"), (5, "Dense Attention", None), (8, "[PDF] Code Generation", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "stray_line"), (7, "stray_line")]
    # A link's word with an abstract after it is the next paper's title, and no link (found by review).
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Poster", "Video", ABSTRACT_B, "Reject"))
    assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", "Poster"), ("Video", "Reject")]
    assert reading.issues == []


def test_openreviews_venue_lines_are_decisions_and_a_submission_venue_no_paper():
    # OpenReview writes where a paper was accepted, and how, as its venue: each such line was a
    # paper titled so that took the next paper's abstract, and each real paper lost its own.
    venues = ["ICLR 2023 notable top 5%", "NeurIPS 2023 Datasets and Benchmarks Poster", "NeurIPS 2022 Accept",
              "ICLR 2024 Conference Withdrawn Submission", "Submitted to ICLR 2024", "ICLR 2023 notable-top-25%"]
    titles = ["Sparse Attention", "Dense Attention", "Kernel Methods Revisited", "Tiny Kernels", "Gated Networks",
              "Graph Transformers"]
    abstracts = [ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, ABSTRACT_A.replace("lenders", "banks"),
                 ABSTRACT_B.replace("model", "network"), ABSTRACT_C.replace("kernel", "filter")]
    lines = [line for record in zip(titles, abstracts, venues) for line in record]
    reading = read_review_listing(review_text(*lines))
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 3, "Sparse Attention", abstracts[0], venues[0]), (4, 6, "Dense Attention", abstracts[1], venues[1]),
        (7, 9, "Kernel Methods Revisited", abstracts[2], venues[2]), (10, 12, "Tiny Kernels", abstracts[3], venues[3]),
        (13, 14, "Gated Networks", abstracts[4], None), (16, 18, "Graph Transformers", abstracts[5], venues[5])]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(15, "unread_field")]
    assert "submitted to" in reading.issues[0].message and "decision stays unknown" in reading.issues[0].message
    assert reading.unaccounted_lines() == []
    # A venue and year alone, or with a track, say no decision: as decisions, headings between
    # papers accepted the paper before. With no abstract after them they are a page's headings, no
    # paper (as papers, OpenReview's venue page made an oral paper of "ICLR 2024 Conference" over
    # its tabs: review), reported.
    for line in ("COLM 2024", "NeurIPS 2023 Datasets and Benchmarks Track", "ICLR 2024 Conference"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, line, "Dense Attention", ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", None), ("Dense Attention", None)], line
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "stray_line")], line
        assert "heading" in reading.issues[0].message and reading.unaccounted_lines() == []


def test_a_venue_line_with_its_abstract_after_it_or_in_other_words_stays_a_title():
    # A title may read like a venue line ("COLM 2024" with its abstract); a venue with words of its
    # own ("ICLR 2024 Workshop on Agents"), a name that is no venue's ("GPT 2024", "ImageNet 2012")
    # or a number that is no year ("ICLR 0000") names no decision.
    for title in ("GPT 2024", "COLM 2024", "Submitted to ICLR 2024"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, title, ABSTRACT_B, "Reject"))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
            ("Sparse Attention", ABSTRACT_A, None), (title, ABSTRACT_B, "Reject")], title
    for line in ("ICLR 2024 Workshop on Agents", "GPT 2024", "ImageNet 2012 Benchmarks", "AI 2027", "ICLR 0000",
                 "ICLR 2024 Conference Submission "):
        assert normalise_decision(line) is None, line


def test_a_title_without_its_abstract_that_looks_like_a_venue_gives_no_paper_a_decision():
    # With any two-capital word and any number a venue, "GPT 2024" or "ImageNet 2012" with its
    # abstract missing became the decision of the paper before, with no word (found by review).
    for title in ("GPT 2024", "ImageNet 2012", "ResNet 1001", "COCO 2017 Benchmarks"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, title, "Kernel Methods at Scale",
                                                  ABSTRACT_C, "Reject"))
        assert [(r.title, r.decision) for r in reading.records] == [
            ("Sparse Attention", None), (title, None), ("Kernel Methods at Scale", "Reject")], title
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "missing_abstract")], title


def test_a_venue_line_can_end_a_wrapped_title_and_an_abstract():
    # "Highlights of the" / "NeurIPS 2023 Datasets and Benchmarks Oral": one title, as before venue
    # lines were read (found by review).
    reading = read_review_listing(review_text("Highlights of the", "NeurIPS 2023 Datasets and Benchmarks Oral", ABSTRACT_B,
                                              "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Highlights of the NeurIPS 2023 Datasets and Benchmarks Oral", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "wrapped_title")]
    # An abstract that ends naming a venue or a dataset, with no full stop, has no decision joined to it.
    for ending in (" as measured on ImageNet 2012", " Accepted at NeurIPS 2023", " see COLM 2024"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A[:-1] + ending, "Reject"))
        assert [(r.abstract, r.decision) for r in reading.records] == [(ABSTRACT_A[:-1] + ending, "Reject")]
        assert reading.issues == [], ending


def test_every_form_of_a_submissions_venue_is_reported_and_no_paper():
    # Under review, or not accepted: no decision (found by review: the longer forms were titles).
    for line in ("Submitted to ICLR 2024", "ICLR 2024 Conference Submission", "ICLR 2020 Conference Blind Submission",
                 "NeurIPS 2023 Datasets and Benchmarks Track Submission", "Submitted to NeurIPS 2023 Datasets and Benchmarks"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, line, "Dense Attention", ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", None), ("Dense Attention", None)], line
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "unread_field")], line


def test_normalise_venue_lines():
    assert normalise_decision("ICLR 2023 notable top 5%") == ("accept", "oral")
    assert normalise_decision("ICLR 2023 notable top 25%") == ("accept", "spotlight")
    assert normalise_decision("ICLR 2023 notable-top-5%") == ("accept", "oral")
    assert normalise_decision("NeurIPS 2023 Datasets and Benchmarks Poster") == ("accept", "poster")
    assert normalise_decision("NeurIPS 2023 Datasets and Benchmarks Track Oral") == ("accept", "oral")
    assert normalise_decision("ICML 2024 Main Track Talk") == ("accept", "oral")
    assert normalise_decision("COLM 2024") is None
    assert normalise_decision("ICLR 2024 Conference") is None
    assert normalise_decision("ICLR 2024 Conference Withdrawn Submission") == ("withdrawn", None)
    assert normalise_decision("ICLR 2024 Conference Desk Rejected Submission") == ("desk_reject", None)
    assert normalise_decision("ICLR 2024 Conference Rejected Submission") == ("reject", None)
    assert normalise_decision("Submitted to ICLR 2024") is None
    assert normalise_decision("NeurIPS 2024 Datasets and Benchmarks Track Desk Rejected Submission") == ("desk_reject", None)
    assert normalise_decision("NeurIPS 2022 Accept") == ("accept", None)


def test_a_forum_copys_venue_line_and_abstract_label_are_no_papers():
    # A forum copy: title, venue, authors, fields, then "Abstract" on a line of its own or a
    # submission's venue under the title: "Abstract" was a paper titled so, and so was "Submitted to ...".
    text = review_text(
        "Learning to Compress Prompts with Gist Tokens", "ICLR 2023 notable top 25%", "Alice Smith (MIT), Bob Jones (CMU)",  # 1-3
        "Readers: Everyone", "Abstract", ABSTRACT_A,  # 4-6
        "Graph Transformers Without Positional Encodings", "Submitted to ICLR 2024",  # 7-8
        "Keywords: graphs, transformers", "Abstract:", ABSTRACT_B,  # 9-11
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 6, "Learning to Compress Prompts with Gist Tokens", ABSTRACT_A, "ICLR 2023 notable top 25%"),
        (7, 11, "Graph Transformers Without Positional Encodings", ABSTRACT_B, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (3, "unread_field"), (4, "unread_field"), (8, "unread_field"), (9, "unread_field")]
    assert reading.other_lines == {5: "label", 10: "label"}
    assert reading.unaccounted_lines() == []
    # ICLR 2024's forum prints fields after the abstract too, their values sentences: "Anonymous
    # Url: I certify ..." was an untitled paper, and in a list "Keywords: x" over "TL;DR: We ..."
    # a title (found by review).
    certify = "Anonymous Url: I certify that there is no URL (e.g., github page) that could be used to find authors' identity."
    acknowledgement = ("No Acknowledgement Section: I certify that there is no acknowledgement section in this submission "
                       "for double blind review.")
    tldr = "TL;DR: We make training faster with a simple trick that works on many benchmarks."
    for lines, records, fields in (
            (["Title One", "ICLR 2024 poster", "Keywords: optimization", "Abstract: " + ABSTRACT_A, certify, acknowledgement,
              "Submission Number: 1234"], [(1, 4, "Title One", ABSTRACT_A)], [3, 5, 6, 7]),
            (["Title One", ABSTRACT_A, "Reject", "Keywords: optimization", tldr, "Title Two", ABSTRACT_B],
             [(1, 3, "Title One", ABSTRACT_A), (6, 7, "Title Two", ABSTRACT_B)], [4, 5])):
        reading = read_review_listing(review_text(*lines))
        assert [(r.line, r.last_line, r.title, r.abstract) for r in reading.records] == records, lines
        assert [(issue.line, issue.code) for issue in reading.issues] == [(n, "unread_field") for n in fields], lines
        assert reading.unaccounted_lines() == []
    # A title that opens like a field, over its TL;DR and its abstract, stays a title (review of the
    # first rule, which lost it and made both an untitled paper each).
    title = "PDF: Point Diffusion Implicit Function for Large-scale Scene Neural Representation"
    reading = read_review_listing(review_text(title, tldr, "Abstract: " + ABSTRACT_B, "Accept (Poster)", "Title Two", ABSTRACT_A))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        (title, ABSTRACT_B, "Accept (Poster)"), ("Title Two", ABSTRACT_A, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "unread_field")]


def test_an_openreview_pages_other_fields_are_reported_not_read_as_papers():
    # Copied from OpenReview, a record has its authors, keywords, TL;DR and more around its
    # abstract: the TL;DR took the abstract's place, the abstract became an untitled paper that
    # took the decision, and "Keywords: ..." or "Submission Number: 4821" were titles (found by review).
    text = review_text(
        "Learning to Compress Prompts with Gist Tokens",  # 1
        "Alice Smith (MIT), Bob Jones (Stanford University)",  # 2
        "Keywords: prompt compression, language models",  # 3
        "TL;DR: We train language models to compress prompts into a few gist tokens, and show it works.",  # 4
        "Abstract: " + ABSTRACT_A,  # 5
        "Primary Area: foundation or frontier models, including LLMs",  # 6
        "Submission Number: 4821",  # 7
        "Accept (Spotlight)",  # 8
        "Submission Number: 4822",  # 9
        "Graph Transformers Without Positional Encodings",  # 10
        "Carol King1, Dan Lee2, Eve Moss*",  # 11
        "tl;dr : Attention bias is all a graph transformer needs to place its nodes without encodings.",  # 12
        "abstract: " + ABSTRACT_B,  # 13
        "Reject",  # 14
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 8, "Learning to Compress Prompts with Gist Tokens", ABSTRACT_A, "Accept (Spotlight)"),
        (10, 14, "Graph Transformers Without Positional Encodings", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (n, "unread_field") for n in (2, 3, 4, 6, 7, 9, 11, 12)]
    assert "'Keywords' line" in reading.issues[1].message
    assert reading.unaccounted_lines() == []


def test_a_line_of_capitalised_words_after_a_title_is_read_as_authors_only_where_it_shows_names():
    # Two phrases in Title Case after a title are the next paper's title; a list with affiliations,
    # footnote marks or three names is the paper's authors.
    reading = read_review_listing(review_text("Sparse Attention", "Deep Learning, Reinforcement Learning", ABSTRACT_A))
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Sparse Attention", None), ("Deep Learning, Reinforcement Learning", ABSTRACT_A)]
    reading = read_review_listing(review_text("Sparse Attention", "Ann Li, Bo Wu and Cy Ng", ABSTRACT_A))
    assert [(r.title, r.abstract) for r in reading.records] == [("Sparse Attention", ABSTRACT_A)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "unread_field")]


def test_a_title_wrapped_over_two_lines_is_one_title():
    # "... Better Resolving Q-Value Divergence" / "in Offline Reinforcement Learning": a paper
    # without abstract, and one titled "in Offline ..." with the abstract and decision (found by review).
    text = review_text("Understanding and Resolving Q-Value Divergence", "in Offline Reinforcement Learning", ABSTRACT_A,
                       "Accept (Spotlight)", "Efficient Attention: A Survey of", "Methods and Open Problems", ABSTRACT_B,
                       "Sparse Kernels", "mixup: Beyond Empirical Risk Minimization", ABSTRACT_C)
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.decision) for r in reading.records] == [
        (1, 4, "Understanding and Resolving Q-Value Divergence in Offline Reinforcement Learning", "Accept (Spotlight)"),
        (5, 7, "Efficient Attention: A Survey of Methods and Open Problems", None),
        (8, 8, "Sparse Kernels", None), (9, 10, "mixup: Beyond Empirical Risk Minimization", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (2, "wrapped_title"), (6, "wrapped_title"), (8, "missing_abstract")]


def test_an_abstract_ending_without_a_full_stop_is_no_cut_where_the_file_goes_on():
    # "... as follows:" and then a line reported as an unknown decision: the file did not end in
    # the abstract, though truncated_record said "file ends mid-sentence" (found by review).
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Dense Attention", ABSTRACT_B[:-1] + " as follows:",
                                              "Accepted with revisions"))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(5, "unknown_decision")]
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Dense Attention", ABSTRACT_B[:-1] + " as follows:",
                                              "", ""))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "truncated_record")]


def test_titles_that_open_like_a_field_or_read_like_names_or_a_badge_stay_titles():
    # Found by review of the readings of fields, author lists, badges and wrapped titles: each
    # made a title something else, or joined two papers.
    cases = [
        # Where a title goes, with its abstract after it, a field's label opens a title.
        (["TLDR: Extreme Summarization of Scientific Documents", ABSTRACT_A, "Accept (Poster)"],
         [("TLDR: Extreme Summarization of Scientific Documents", "Accept (Poster)")], []),
        (["PDF: Point Diffusion Implicit Function for Large-scale Scene Neural Representation", ABSTRACT_A],
         [("PDF: Point Diffusion Implicit Function for Large-scale Scene Neural Representation", None)], []),
        # Title words and acronyms in brackets are no names: a wrapped title, or a title of its own.
        (["Benchmarking Tabular Learners:", "Gradient Boosted Trees, Random Forests and Neural Networks", ABSTRACT_A],
         [("Benchmarking Tabular Learners: Gradient Boosted Trees, Random Forests and Neural Networks", None)],
         [(2, "wrapped_title")]),
        (["Retrieval Augmented Generation at Scale", "Large Language Models (LLMs) and Knowledge Graphs (KGs)", ABSTRACT_A],
         [("Retrieval Augmented Generation at Scale", None), ("Large Language Models (LLMs) and Knowledge Graphs (KGs)", None)],
         [(1, "missing_abstract")]),
        # A badge's word with a decision after it, or with a word before it that is no venue, is a title.
        (["Sparse Attention", ABSTRACT_A, "Reject", "Gaussian Spotlight", "Reject"],
         [("Sparse Attention", "Reject"), ("Gaussian Spotlight", "Reject")], [(4, "missing_abstract")]),
        # A title that ends with "C++", "A" or "At" is whole; the next line is the next paper's title.
        (["Neural Decompilation to C++", "Attention Is All You Need", ABSTRACT_A],
         [("Neural Decompilation to C++", None), ("Attention Is All You Need", None)], [(1, "missing_abstract")]),
        (["Fine-Grained Analysis of Vitamin A", "Attention Is All You Need", ABSTRACT_A],
         [("Fine-Grained Analysis of Vitamin A", None), ("Attention Is All You Need", None)], [(1, "missing_abstract")]),
        (["Learning Where to Look At", "Learning What to Focus On", ABSTRACT_A],
         [("Learning Where to Look At", None), ("Learning What to Focus On", None)], [(1, "missing_abstract")]),
    ]
    for lines, records, issues in cases:
        reading = read_review_listing(review_text(*lines))
        assert [(r.title, r.decision) for r in reading.records] == records, lines
        assert [(issue.line, issue.code) for issue in reading.issues] == issues, lines
    for badge in ("Not Oral", "Workshop Poster", "Rejected Poster"):
        assert normalise_decision(badge) is None, badge


def test_a_forums_venue_line_before_its_abstract_is_the_papers_decision():
    # An OpenReview forum prints the venue under the title and authors, then fields and the
    # labelled abstract: the venue closed the record, and the abstract was an untitled paper (found by review).
    text = review_text(
        "Learning to Compress Prompts with Gist Tokens", "Alice Smith (MIT), Bob Jones (CMU)", "ICLR 2024 poster",  # 1-3
        "Readers: Everyone", "Published: 16 Jan 2024, Last Modified: 14 Mar 2024", "Abstract: " + ABSTRACT_A,  # 4-6
        "Graph Transformers Without Positional Encodings", "Accept (Oral)", "Abstract: " + ABSTRACT_B,  # 7-9
        # A decision after a title alone, then an abstract without a label or field before it, is
        # an untitled paper's, as the bundled listings have them.
        "Sparse Kernels", "Accept (Poster)", ABSTRACT_C,  # 10-12
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 6, "Learning to Compress Prompts with Gist Tokens", ABSTRACT_A, "ICLR 2024 poster"),
        (7, 9, "Graph Transformers Without Positional Encodings", ABSTRACT_B, "Accept (Oral)"),
        (10, 11, "Sparse Kernels", None, "Accept (Poster)"), (12, 12, None, ABSTRACT_C, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (2, "unread_field"), (4, "unread_field"), (5, "unread_field"), (10, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_decision_before_a_labelled_abstract_is_the_titles_only_where_the_abstract_has_none_of_its_own():
    # Found by review of the forum reading: a labelled abstract with its own decision after it went
    # to the title before it; a venue right before "Abstract: ..." stayed a title; an author list
    # after the venue became a paper of its own.
    cases = [
        (["Title A Missing", "Reject", "Abstract: " + ABSTRACT_A, "Accept (Poster)", "Title B Here", "Abstract: " + ABSTRACT_B,
          "Reject"],
         [("Title A Missing", None, "Reject"), (None, ABSTRACT_A, "Accept (Poster)"), ("Title B Here", ABSTRACT_B, "Reject")]),
        (["Title A Missing", "Reject", "TLDR: Extreme Summarization of Scientific Documents", ABSTRACT_A, "Accept (Poster)"],
         [("Title A Missing", None, "Reject"), ("TLDR: Extreme Summarization of Scientific Documents", ABSTRACT_A,
                                                "Accept (Poster)")]),
        (["Sparse Mixtures of Experts", "ICLR 2024 poster", "Abstract: " + ABSTRACT_A],
         [("Sparse Mixtures of Experts", ABSTRACT_A, "ICLR 2024 poster")]),
        (["Sparse Mixtures of Experts", "ICLR 2024 poster", "Alice Smith (MIT), Bob Jones (Stanford)", "Abstract: " + ABSTRACT_A],
         [("Sparse Mixtures of Experts", ABSTRACT_A, "ICLR 2024 poster")]),
        # A venue's badge after an abstract, then a decision: the badge is the decision, as before.
        (["Title A Here", ABSTRACT_A, "NeurIPS 2023 Oral", "Accept (Oral)", "Title B Here", ABSTRACT_B, "Reject"],
         [("Title A Here", ABSTRACT_A, "NeurIPS 2023 Oral"), ("Title B Here", ABSTRACT_B, "Reject")]),
    ]
    for lines, records in cases:
        reading = read_review_listing(review_text(*lines))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == records, lines
        assert reading.unaccounted_lines() == [], lines


def test_real_author_lists_and_a_capitalised_joining_word_are_read_as_such():
    # Given names end in -ming or -ting and "Deep" is a name (found by review); "From" ends a
    # line a title goes on after, as CLIP's does.
    for authors in ("Jiaming Song (Stanford), Stefano Ermon (Stanford)", "Yiming Yang, Xiaoning Qian, Yuting Chen",
                    "Deep Ganguli, Jared Kaplan, Sam Bowman",
                    "Rafael Rafailov (Stanford), Christopher D. Manning (Stanford), Chelsea Finn (Stanford)"):
        reading = read_review_listing(review_text("Direct Preference Optimization", authors, ABSTRACT_A, "Accept (Oral)"))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
            ("Direct Preference Optimization", ABSTRACT_A, "Accept (Oral)")], authors
    reading = read_review_listing(review_text("Learning Transferable Visual Models From", "Natural Language Supervision",
                                              ABSTRACT_A, "Accept (Oral)"))
    assert [r.title for r in reading.records] == ["Learning Transferable Visual Models From Natural Language Supervision"]


def test_titles_with_decision_words_stay_papers():
    # Each is where a decision goes, with no abstract after it, and each is a title: one followed
    # by its decision, words that only start like a decision word, and a file's last line.
    text = review_text(
        "Paper One", ABSTRACT_A, "Decision Transformers for Offline RL", "Accept (Poster)",  # 1-4
        "Paper Three", ABSTRACT_B, "Desktop Agents Benchmark", "Paper Five", ABSTRACT_C,  # 5-9
        "Acceptability Judgments in Language Models",  # 10
    )
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Paper One", None), (3, "Decision Transformers for Offline RL", "Accept (Poster)"), (5, "Paper Three", None),
        (7, "Desktop Agents Benchmark", None), (8, "Paper Five", None), (10, "Acceptability Judgments in Language Models", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (3, "missing_abstract"), (7, "missing_abstract"), (10, "missing_abstract")]


def test_a_short_sentence_after_a_title_is_its_abstract_when_a_decision_follows():
    text = review_text(
        "Kernels Tiny",  # 1
        "Short abstract of a tiny paper about kernels.",  # 2: 8 words, a sentence, a decision after it
        "Withdrawn Submission",  # 3
        "Sparse Attention, Briefly",  # 4
        "We make attention sparse.",  # 5: no decision after it: a title, reported
        "Graph Replay",  # 6
        ABSTRACT_B,  # 7
        "Degree Bias in Graph Neural Networks",  # 8: a title alone
        "Attention Is Not Explanation.",  # 9: Title Case, a decision after it: a title alone too
        "Reject",  # 10
        "A Title and Nothing Else",  # 11
        "Reject.",  # 12: a decision, written with a full stop, where a decision goes
    )
    reading = read_review_listing(text)
    got = [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records]
    assert got == [
        (1, 3, "Kernels Tiny", "Short abstract of a tiny paper about kernels.", "Withdrawn Submission"),
        (4, 4, "Sparse Attention, Briefly", None, None),
        (5, 5, "We make attention sparse.", None, None),
        (6, 7, "Graph Replay", ABSTRACT_B, None),
        (8, 8, "Degree Bias in Graph Neural Networks", None, None),
        (9, 10, "Attention Is Not Explanation.", None, "Reject"),
        (11, 12, "A Title and Nothing Else", None, "Reject."),
    ]
    assert [(i.line, i.code) for i in reading.issues] == [
        (2, "short_abstract"), (4, "missing_abstract"), (5, "missing_abstract"), (8, "missing_abstract"),
        (9, "missing_abstract"), (11, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_title_ending_in_a_full_stop_after_a_title_alone_keeps_its_abstract():
    text = review_text(
        "A Title Whose Abstract Was Lost In The Copy",  # 1: a title alone
        "Large Language Models are Zero-Shot Reasoners.",  # 2: a title, its abstract after it
        ABSTRACT_A,  # 3
        "Accept (Poster)",  # 4
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 1, "A Title Whose Abstract Was Lost In The Copy", None, None),
        (2, 4, "Large Language Models are Zero-Shot Reasoners.", ABSTRACT_A, "Accept (Poster)"),
    ]
    assert [(i.line, i.code) for i in reading.issues] == [(1, "missing_abstract")]


def test_a_title_alone_that_reads_as_a_short_abstract_is_reported():
    # Two titles whose abstracts are missing, the second in sentence case with a full stop, read
    # as one paper and its short abstract: the form cannot tell them apart, so the line is named.
    text = review_text(
        "Graph Attention Networks",  # 1
        "Learning to learn by gradient descent by gradient descent.",  # 2
        "Reject",  # 3
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 3, "Graph Attention Networks", "Learning to learn by gradient descent by gradient descent.", "Reject")]
    [issue] = reading.issues
    assert (issue.line, issue.code) == (2, "short_abstract")
    assert "were it a title" in issue.message


# A title as citation lists print it: Title Case, 14 words, a full stop.
CITED_TITLE = "Why Do Deep Residual Networks Generalize Better than Deep Feedforward Networks? A Neural Tangent Kernel Perspective."


def test_a_long_title_in_title_case_ending_in_a_full_stop_is_a_title():
    # It read as an untitled paper's abstract (the real abstract after it then another untitled
    # paper), or as the abstract of a title alone before it, which took its decision: silently.
    text = review_text(
        "Paper Alpha", ABSTRACT_A, "Reject",  # 1..3
        CITED_TITLE, ABSTRACT_B, "Accept (Poster)",  # 4..6
        "Short Title Without Abstract",  # 7
        CITED_TITLE, "Accept (Oral)",  # 8..9: a title alone, with its decision
    )
    reading = read_review_listing(text)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 3, "Paper Alpha", ABSTRACT_A, "Reject"),
        (4, 6, CITED_TITLE, ABSTRACT_B, "Accept (Poster)"),
        (7, 7, "Short Title Without Abstract", None, None),
        (8, 9, CITED_TITLE, None, "Accept (Oral)"),
    ]
    # Its form is also a short abstract's (a review listing allows records without a title), so
    # the reading is named each time.
    assert [(i.line, i.code) for i in reading.issues] == [
        (4, "title_or_abstract"), (7, "missing_abstract"), (8, "title_or_abstract"), (8, "missing_abstract")]
    # A sentence of as many words, not in Title Case, is still an abstract alone or the title's.
    sentence = "We show why deep residual networks generalize better than deep feedforward networks do in practice."
    reading = read_review_listing(review_text("Paper Beta", sentence, "Reject", sentence, "Withdrawn"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Paper Beta", sentence, "Reject"), (None, sentence, "Withdrawn")]


def test_a_line_of_invisible_characters_alone_is_blank():
    # A zero-width space alone was a title of its own: it took the abstract and decision, and the
    # real title was reported as missing its abstract.
    for invisible in ("\u200b", " \u200b\u200e ", "\ufeff", "\u2060\t"):
        reading = read_review_listing(review_text("Paper Alpha", invisible, ABSTRACT_A, "Accept (Poster)"))
        assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
            (1, 4, "Paper Alpha", ABSTRACT_A, "Accept (Poster)")], repr(invisible)
        assert reading.issues == [] and reading.other_lines == {2: "blank"} and reading.unaccounted_lines() == []


def test_an_abstract_label_line_is_a_label_not_a_title():
    # "Abstract" on a line of its own was a paper titled "Abstract", and the real title was
    # reported as missing its abstract.
    reading = read_review_listing(review_text(
        "Paper Alpha", "Abstract", ABSTRACT_A, "Accept (Poster)",  # 1..4
        "Paper Beta", "ABSTRACT:", ABSTRACT_B,  # 5..7
        "Abstract", "Reject",  # 8..9: no abstract after it: a title alone, as before
    ))
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 4, "Paper Alpha", ABSTRACT_A, "Accept (Poster)"), (5, 7, "Paper Beta", ABSTRACT_B, None),
        (8, 9, "Abstract", None, "Reject")]
    assert {line: kind for line, kind in reading.other_lines.items() if kind == "label"} == {2: "label", 6: "label"}
    assert [(i.line, i.code) for i in reading.issues] == [(8, "missing_abstract")]
    assert reading.unaccounted_lines() == []


def test_a_decision_joined_to_the_end_of_its_abstract_is_reported():
    # The line break before "Accept (Poster)" lost in a copy: the paper had no decision, silently.
    reading = read_review_listing(review_text(
        "Paper Alpha", ABSTRACT_A + " Accept (Poster)",  # 1..2
        "Paper Beta", ABSTRACT_B, "Reject",  # 3..5
        ABSTRACT_C + " Withdrawn Submission",  # 6: an abstract alone
        "Paper Delta", ABSTRACT_A + " We accept (poster) sessions.",  # 7..8: no decision after a sentence end
    ))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Paper Alpha", ABSTRACT_A + " Accept (Poster)", None), ("Paper Beta", ABSTRACT_B, "Reject"),
        (None, ABSTRACT_C + " Withdrawn Submission", None), ("Paper Delta", ABSTRACT_A + " We accept (poster) sessions.", None)]
    assert [(i.line, i.code) for i in reading.issues] == [(2, "decision_in_abstract"), (6, "decision_in_abstract")]
    assert "'Accept (Poster)'" in reading.issues[0].message


def test_a_short_abstract_full_of_names_is_still_an_abstract():
    # Ten of its thirteen longer words are capitalised, all of them names: the Title Case rule
    # made it a title, and the listing, with half its records untitled, no listing at all.
    names = "We evaluate BERT, RoBERTa, XLNet, ALBERT, ELECTRA and DeBERTa on GLUE, SuperGLUE, SQuAD and RACE."
    # Names with one capital (Llama, Qwen) count as capitalised words; a sentence opening "We" is one.
    short = "We evaluate Llama, Qwen, Mistral, Gemma and Phi on MMLU."
    reading = read_review_listing(review_text("Open Models Compared", short, "Accept (Poster)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [("Open Models Compared", short, "Accept (Poster)")]
    assert [i.code for i in reading.issues] == ["short_abstract"]
    # A title that opens with "We" in Title Case is still a title (the corpus has such titles).
    title = "We Are Not Your Real Parents: Telling Causal from Confounded Effects in Modern Learning Systems."
    reading = read_review_listing(review_text("Paper Alpha", ABSTRACT_A, "Reject", title, ABSTRACT_B, "Accept (Poster)"))
    assert [(r.title, r.abstract) for r in reading.records] == [("Paper Alpha", ABSTRACT_A), (title, ABSTRACT_B)]
    reading = read_review_listing(review_text(
        "Benchmarking Pretrained Encoders", names, "Accept (Poster)",  # 1..3
        "Graph Attention Networks", ABSTRACT_B, "Reject",  # 4..6
        names, "Withdrawn",  # 7..8: an abstract alone
    ))
    assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, "Benchmarking Pretrained Encoders", names, "Accept (Poster)"), (4, "Graph Attention Networks", ABSTRACT_B, "Reject"),
        (7, None, names, "Withdrawn")]
    assert reading.issues == []


def test_a_decision_joined_after_any_sentence_end_or_link_is_reported():
    endings = ["faster? Accept (Poster)", "(code: https://github.com/foo/moe) Accept (Poster)",
               "https://github.com/foo/moe Reject", "faster.Accept (Poster)", "faster.  Withdrawn Submission"]
    for ending in endings:  # a record after it, so the file does not end mid-sentence
        reading = read_review_listing(review_text("Paper Alpha", ABSTRACT_A + " " + ending, "Paper Beta", ABSTRACT_B, "Reject"))
        assert [(i.line, i.code) for i in reading.issues] == [(2, "decision_in_abstract")], ending
        assert reading.records[0].decision is None and reading.records[0].abstract == ABSTRACT_A + " " + ending
    for ending in ("we Reject the null hypothesis", "see the Accept (Poster) track.", "github.com/foo/Reject-moe"):
        reading = read_review_listing(review_text("Paper Alpha", ABSTRACT_A + " " + ending, "Paper Beta", ABSTRACT_B, "Reject"))
        assert reading.issues == [], ending


def test_abstract_is_a_title_where_no_title_came_before_it():
    # Only right after a title is "Abstract" a label; after a whole record it may be a paper's title.
    reading = read_review_listing(review_text("Paper Alpha", ABSTRACT_A, "Accept (Oral)", "Abstract", ABSTRACT_B, "Reject"))
    assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, "Paper Alpha", ABSTRACT_A, "Accept (Oral)"), (4, "Abstract", ABSTRACT_B, "Reject")]
    assert reading.issues == [] and "label" not in reading.other_lines.values()


def test_a_title_naming_acronyms_in_title_case_with_a_full_stop_is_a_title():
    # The third review: leaving names out of the count left a title of the bundled 002 (line 133)
    # under the Title Case share, and it read as an untitled abstract again, silently.
    for title in ("Exact Byte-Level Probabilities from Tokenized Language Models for FIM-Tasks and Model Ensembles.",
                  "QLoRA: Efficient Finetuning of Quantized LLMs on GPUs with NF4 and LoRA Adapters."):
        reading = read_review_listing(review_text("Paper Alpha", ABSTRACT_A, "Accept (Poster)", title, ABSTRACT_B, "Reject"))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
            ("Paper Alpha", ABSTRACT_A, "Accept (Poster)"), (title, ABSTRACT_B, "Reject")], title
        assert [(i.line, i.code) for i in reading.issues] == [(4, "title_or_abstract")]


def test_a_short_abstract_that_reads_as_title_case_is_named():
    # The last review: a sentence naming many datasets reads as Title Case, so it became a title
    # and took the untitled record after it; nothing named it. The form cannot tell it from a
    # cited title, so the reading is reported at its line.
    names = "Evaluated on English, German, French, Spanish, Italian, Portuguese and Chinese Wikipedia, Common Crawl and Books."
    reading = read_review_listing(review_text(names, ABSTRACT_A))
    assert [(r.line, r.last_line, r.title, r.abstract) for r in reading.records] == [(1, 2, names, ABSTRACT_A)]
    assert [(i.line, i.code) for i in reading.issues] == [(1, "title_or_abstract")]
    assert "were it a short abstract" in reading.issues[0].message


def test_a_decision_joined_to_the_start_of_the_next_title_is_reported():
    # "Accept (Poster) Dense Attention": the decision lost its line break, and the paper before
    # lost its decision without a word.
    reading = read_review_listing(review_text(
        "Sparse Attention", ABSTRACT_A, "Accept (Poster) Dense Attention", ABSTRACT_B, "Reject",  # 1-5
        "Paper Three", ABSTRACT_C, "Accept(Oral) Paper Four", ABSTRACT_A.replace("lenders", "banks"),  # 6-9
        "Paper Five", ABSTRACT_B.replace("a", "o"), "Accept (Workshop) Paper Six", ABSTRACT_C.replace("a", "o")))  # 10-13
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Sparse Attention", None), (3, "Accept (Poster) Dense Attention", "Reject"), (6, "Paper Three", None),
        (8, "Accept(Oral) Paper Four", None), (10, "Paper Five", None), (12, "Accept (Workshop) Paper Six", None)]
    # A tier the reader does not know, written in a tier's words, counts too (found by review).
    assert [(i.line, i.code) for i in reading.issues] == [(3, "decision_in_title"), (8, "decision_in_title"),
                                                          (12, "decision_in_title")]
    assert "'Accept (Poster)'" in reading.issues[0].message and "'Accept(Oral)'" in reading.issues[1].message
    # A title opening with decision words stays unreported: after a decided record, or a bare word.
    for title in ("Accept (Poster) Dense Attention", "Reject Inference for Credit Scoring", "Desk Rejected Papers",
                  "Accept (Almost) Everything: Robust Admission Control"):  # no tier's words (found by review)
        before = "Accept (Oral)" if title.startswith("Accept (Poster)") else None
        lines = ["Sparse Attention", ABSTRACT_A] + ([before] if before else []) + [title, ABSTRACT_B, "Reject"]
        assert read_review_listing(review_text(*lines)).issues == [], title


CUT_ABSTRACT = "We show that dense attention matches sparse attention on long"


def test_a_file_cut_off_inside_its_last_abstract_keeps_it_as_the_abstract():
    # A file ending inside a short stretch of abstract, with no line break after it: the stretch
    # was a paper titled so, and the title before it had no abstract.
    lines = ["Sparse Attention", ABSTRACT_A, "Accept (Poster)", "Dense Attention", CUT_ABSTRACT]
    reading = read_review_listing(review_text(*lines), ends_mid_line=True)
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 3, "Sparse Attention", ABSTRACT_A, "Accept (Poster)"), (4, 5, "Dense Attention", CUT_ABSTRACT, None)]
    assert [(i.line, i.code) for i in reading.issues] == [(5, "truncated_record")]
    # With its line break, the file is whole, and the line reads as it did; so does a last line
    # in Title Case, cut or not.
    reading = read_review_listing(review_text(*lines))
    assert [r.title for r in reading.records] == ["Sparse Attention", "Dense Attention", CUT_ABSTRACT]
    reading = read_review_listing(review_text(*lines[:4], "Dense Attention Matches Sparse Attention"), ends_mid_line=True)
    assert [r.title for r in reading.records] == ["Sparse Attention", "Dense Attention",
                                                  "Dense Attention Matches Sparse Attention"]
    # Nor is a decision, known or not, nor a stretch too short to tell one paper from another
    # (found by review: "Accepted" was the abstract of two papers, which were then merged).
    # They read as in a whole file.
    for last in ("Accepted", "Accept (Pos", "Reject", "We show that sparse"):
        text = review_text(*lines[:4], last)
        assert read_review_listing(text, ends_mid_line=True) == read_review_listing(text), last
        assert read_review_listing(text).records[1].abstract is None, last


def test_a_title_opening_with_accept_and_a_colon_is_a_title_where_its_abstract_follows():
    # "Accept: Learning When to Say Yes" was the decision of the paper before (made accepted, its
    # tier "not known"), and the paper after it lost its title (found by review).
    for title in ("Accept: Learning When to Say Yes", "ACCEPT: Adaptive Curriculum for Efficient Pretraining"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, title, ABSTRACT_B, "Reject"))
        assert [(r.line, r.title, r.decision) for r in reading.records] == [
            (1, "Sparse Attention", None), (3, title, "Reject")], title
        # The record before has no decision: were the line its decision, it would have one.
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "decision_like_title")], title
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Accept (Oral)", title, ABSTRACT_B))
        assert [(r.line, r.title, r.decision) for r in reading.records] == [
            (1, "Sparse Attention", "Accept (Oral)"), (4, title, None)], title
    # A decision written with a colon stays one, where its tier is in a tier's words or nothing follows.
    for decision in ("Accept: notable-top-25%", "Accept: poster", "Accept: Learning When to Say Yes"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, decision, "Dense Attention", ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", decision), ("Dense Attention", None)]


def test_a_decision_in_other_words_before_a_titled_abstract_is_reported():
    # "Decision: Accept (Poster)" right before an abstract was taken as that abstract's title
    # without a word, and the paper before lost its decision (found by review). It stays the
    # title, as the form cannot tell, and is reported.
    for line in ("Decision: Accept (Poster)", "Accept (Poster).", "Reject.", "decision: reject", "Accept: Findings",
                 "Accept: Main Conference"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, line, ABSTRACT_B, "Reject"))
        assert [(r.line, r.title, r.decision) for r in reading.records] == [
            (1, "Sparse Attention", None), (3, line, "Reject")], line
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "decision_like_title")], line
    # Titles that open with a decision word are titles, unreported, in any case (a wider rule named
    # these in listings without decisions: found by review).
    for line in ("Rejected papers matter", "Accepted answers are not enough", "Accept the Unknown: Oral History",
                 "Desk Reject Prediction with Poster Features", "Accept me if you can", "Withdrawn papers and citations"):
        reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, line, ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", None), (line, None)], line
        assert reading.issues == [], line


def test_a_listing_that_opens_with_a_decision_and_ends_without_one_says_they_may_come_first():
    # Decisions written before their titles were each read with the paper before their own, and
    # the one warning said only that the first "follows no paper" (found by review).
    reading = read_review_listing(review_text("Accept (Poster)", "Sparse Attention", ABSTRACT_A, "Reject",
                                              "Dense Attention", ABSTRACT_B))
    assert [(r.title, r.decision) for r in reading.records] == [("Sparse Attention", "Reject"), ("Dense Attention", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "orphan_decision"), (1, "decisions_before_titles")]
    # Not where the file ends with a decision, as a listing of decisions after their papers does.
    reading = read_review_listing(review_text("Accept (Poster)", "Sparse Attention", ABSTRACT_A, "Reject"))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "orphan_decision")]
    # Nor where the papers after it took no decisions: a line copied from a tab of decisions.
    reading = read_review_listing(review_text("Accept (Oral)", "Sparse Attention", ABSTRACT_A, "Dense Attention", ABSTRACT_B))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "orphan_decision")]


def test_an_abstract_copied_twice_is_read_once_and_keeps_its_decision():
    # The copy was an untitled paper that took the decision, and the titled record had none,
    # without a word (found by review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, ABSTRACT_A, "Accept (Poster)",
                                              "Title Two", ABSTRACT_B, "  " + ABSTRACT_B + " ", "Reject"))
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 4, "Title One", ABSTRACT_A, "Accept (Poster)"), (5, 8, "Title Two", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "repeated_abstract"), (7, "repeated_abstract")]
    assert reading.unaccounted_lines() == []
    # Another abstract after one stays an untitled paper, and one after a decision is a paper of its own.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, ABSTRACT_B, "Accept (Poster)",
                                              ABSTRACT_B, "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, None), (None, ABSTRACT_B, "Accept (Poster)"), (None, ABSTRACT_B, "Reject")]
    assert reading.issues == []


def test_an_abstract_copied_twice_with_other_spaces_is_read_once_at_any_length():
    # Over 1,000 characters a line was compared as written: two spaces for one, a tab, a
    # non-breaking or a zero-width space in the copy made it an untitled paper again (found by
    # review of the first fix).
    long_abstract = " ".join([ABSTRACT_A, ABSTRACT_B, ABSTRACT_C, ABSTRACT_A])
    assert len(long_abstract) > 1000
    for copy in (long_abstract.replace(" ", "  ", 1), long_abstract.replace(" ", "\t", 3),
                 long_abstract.replace(" ", "\u00a0", 5), "\u200b" + long_abstract + "\u200b"):
        reading = read_review_listing(review_text("Title One", long_abstract, copy, "Accept (Poster)"))
        assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Accept (Poster)")]
        assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "repeated_abstract")]
    # A word changed is another abstract: an untitled paper, as before.
    reading = read_review_listing(review_text("Title One", long_abstract, long_abstract.replace("lenders", "banks", 1),
                                              "Accept (Poster)"))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", None), (None, "Accept (Poster)")]


CHINESE_TITLE_A = "长文本推理的稀疏注意力"
CHINESE_ABSTRACT_A = ("大语言模型在处理长文本时，注意力计算的开销随长度平方增长。我们提出一种稀疏注意力方法，"
                      "只保留与当前问题相关的少量片段，在六个长文本推理基准上把计算量降低了八成，同时保持原有的准确率。")
CHINESE_TITLE_B = "面向小样本学习的图神经网络"
CHINESE_ABSTRACT_B = ("小样本学习要求模型从极少的标注样本中学会新的类别。本文把样本之间的关系表示为一张图，"
                      "并用图神经网络在图上传递信息，使每个类别的原型更加可靠。实验表明该方法在三个数据集上均优于现有方法。")


def test_a_listing_in_chinese_reads_its_titles_abstracts_and_decisions():
    # Chinese puts no space between words: each abstract was one word, never an abstract, and the
    # first title a one-word label line, dropped without a word (found by review).
    text = review_text(CHINESE_TITLE_A, CHINESE_ABSTRACT_A, "Accept (Poster)", CHINESE_TITLE_B, CHINESE_ABSTRACT_B, "Reject")
    reading = read_review_listing(text)
    assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, CHINESE_TITLE_A, CHINESE_ABSTRACT_A, "Accept (Poster)"), (4, CHINESE_TITLE_B, CHINESE_ABSTRACT_B, "Reject")]
    assert reading.issues == [] and reading.unaccounted_lines() == []
    # An English label line before them is still a label.
    reading = read_review_listing(review_text("model", CHINESE_TITLE_A, CHINESE_ABSTRACT_A, "Accept (Poster)"))
    assert [(r.title, r.decision) for r in reading.records] == [(CHINESE_TITLE_A, "Accept (Poster)")]
    assert reading.other_lines == {1: "label"}


def test_a_title_with_a_few_chinese_words_is_still_a_title():
    # Counting two Chinese characters a word made these titles abstracts: each record became two
    # untitled papers, without a word (found by review). Only a line mostly in Chinese counts so.
    for title in ("Learning to write classical 七言绝句诗 poems with small language models.",
                  "Sparse attention for long document reasoning with retrieval augmented memory and adaptive chunk "
                  "selection / 基于检索增强记忆与自适应分块选择的长文档推理稀疏注意力方法研究与系统实现"):
        reading = read_review_listing(review_text(title, ABSTRACT_A, "Accept (Poster)", "Fast Samplers", ABSTRACT_B, "Reject"))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
            (title, ABSTRACT_A, "Accept (Poster)"), ("Fast Samplers", ABSTRACT_B, "Reject")], title


def test_a_listing_in_chinese_reads_its_sentences_as_an_english_one():
    # Found by review: rules that looked for "." or counted words at spaces misread Chinese.
    short = "我们提出一种更快的稀疏注意力方法。"
    # A short abstract before its decision.
    reading = read_review_listing(review_text(CHINESE_TITLE_A, short, "Accept (Poster)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [(CHINESE_TITLE_A, short, "Accept (Poster)")]
    assert [issue.code for issue in reading.issues] == ["short_abstract"]
    # A listing without decisions, its last abstract ending in 。: not cut off.
    reading = read_review_listing(review_text(CHINESE_TITLE_A, CHINESE_ABSTRACT_A, CHINESE_TITLE_B, CHINESE_ABSTRACT_B))
    assert len(reading.records) == 2 and reading.issues == []
    # A last line cut off mid-sentence, the file ending inside it: the title's abstract, reported.
    cut = CHINESE_ABSTRACT_B[:40]
    reading = read_review_listing(review_text(CHINESE_TITLE_A, CHINESE_ABSTRACT_A, CHINESE_TITLE_B, cut)[:-1], ends_mid_line=True)
    assert [(r.title, r.abstract) for r in reading.records][-1] == (CHINESE_TITLE_B, cut)
    assert [issue.code for issue in reading.issues] == ["truncated_record"]
    # A decision joined to an abstract after 。 is reported, as after ".".
    reading = read_review_listing(review_text(CHINESE_TITLE_A, CHINESE_ABSTRACT_A + "Accept (Poster)"))
    assert [issue.code for issue in reading.issues] == ["decision_in_abstract"]


def test_a_placeholder_where_the_abstract_goes_is_no_paper():
    # "No abstract available" was read as a title: two papers' placeholders became one paper so
    # titled, merged by that title, and each real title a paper without abstract (found by review).
    # "Abstract coming soon." and "Abstract coming soon..." were two papers' abstracts, near enough to join them.
    for placeholder in ("No abstract available", "Abstract not available.", "(no abstract)", "N/A", "Abstract: none",
                        "Abstract coming soon.", "Abstract coming soon...", "TBD", "The abstract will be added later!",
                        "To be announced.", "The abstract is not yet available.", "Abstract: Not available",
                        "Abstract: Not available.", "Abstract: To be announced", "Abstract unavailable", "No abstract yet.",
                        "[Abstract coming soon]", "Abstract - coming soon", "n.a."):
        reading = read_review_listing(review_text("Title One", placeholder, "Reject", "Title Two", placeholder,
                                                  "Title Three", ABSTRACT_A, "Accept (Poster)"))
        assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
            (1, 3, "Title One", None, "Reject"), (4, 5, "Title Two", None, None),
            (6, 8, "Title Three", ABSTRACT_A, "Accept (Poster)")], placeholder
        assert [(issue.line, issue.code) for issue in reading.issues] == [
            (2, "placeholder_abstract"), (1, "missing_abstract"), (5, "placeholder_abstract"), (4, "missing_abstract")]
        assert reading.unaccounted_lines() == []
    # A title that opens with such words is a title.
    reading = read_review_listing(review_text("No Abstract Available Is Not an Excuse", ABSTRACT_A))
    assert [(r.title, r.abstract) for r in reading.records] == [("No Abstract Available Is Not an Excuse", ABSTRACT_A)]
    reading = read_review_listing(review_text("Coming Soon: Forecasting Releases", ABSTRACT_A))
    assert [(r.title, r.abstract) for r in reading.records] == [("Coming Soon: Forecasting Releases", ABSTRACT_A)]


def test_lines_that_almost_read_as_authors_are_refused_at_once():
    # "Smith1234567 Jones1234567, " ten times and a last word in lower case took 440 s to refuse,
    # the digits split between a name and its footnote in every way (found by a fuzzed source);
    # a long word before no bracket split into letters in every way. Each now reads in one way.
    line = "Smith1234567 Jones1234567, " * 10 + "x"
    reading = read_review_listing(review_text("Sparse Attention", line, ABSTRACT_A))
    assert [r.title for r in reading.records] == ["Sparse Attention", line]
    reading = read_review_listing(review_text("Sparse Attention", "Ann Li (" + "Abcdefghij" * 50, ABSTRACT_A))
    assert len(reading.records) == 2


FIRST_HALF = ("We study attention over very long documents and propose a sparse pattern that keeps only local windows "
              "and a few global tokens for every layer of the model,")
SECOND_HALF = "and we show that it matches dense attention on four benchmarks while using a tenth of the memory."
THIRD_PART = "which we measure on sixteen tasks, over and over again, with the same outcome each time."


def test_an_abstract_broken_over_lines_is_one_abstract_reported():
    # The second half was a paper without a title that took the decision, with no issue (found by review).
    for parts in ([FIRST_HALF, SECOND_HALF], [FIRST_HALF, SECOND_HALF.removesuffix("."), THIRD_PART]):
        reading = read_review_listing(review_text("Sparse Attention for Long Documents", *parts, "Accept (Poster)",
                                                  "Dense Retrieval at Scale", ABSTRACT_B, "Reject"))
        got = [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records]
        last = 2 + len(parts)
        assert got == [(1, last, "Sparse Attention for Long Documents", "\n".join(parts), "Accept (Poster)"),
                       (last + 1, last + 3, "Dense Retrieval at Scale", ABSTRACT_B, "Reject")]
        assert [(i.line, i.code) for i in reading.issues] == [(n, "abstract_continued") for n in range(3, last)]
        assert reading.unaccounted_lines() == []


def test_an_abstract_after_a_whole_one_or_opening_a_sentence_is_a_paper_without_a_title():
    # A line opening in lower case after an abstract that ends its sentence, or one opening in upper case after one
    # that stops mid-sentence: each is a paper of its own, as before.
    lower = "we " + ABSTRACT_B[0].lower() + ABSTRACT_B[1:]
    for first, second in ((ABSTRACT_A, lower), (FIRST_HALF, ABSTRACT_B), (ABSTRACT_A + " (see the appendix)", lower)):
        reading = read_review_listing(review_text("Some Title", first, second, "Reject"))
        assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
            (1, "Some Title", first, None), (3, None, second, "Reject")]
        assert "abstract_continued" not in [issue.code for issue in reading.issues]


def test_a_decision_written_otherwise_where_a_decision_goes_is_the_papers_decision():
    # A listing that labels each decision ("Decision: Accept (Poster)") lost every one, each
    # reported as an unknown decision; so did "Accepted (Poster)", "Accept - Poster", full-width
    # brackets and a full stop at the end (found by review). The label stays as written.
    written = ["Decision: Accept (Poster)", "DECISION: Accept (Oral)", "Accepted (Poster)", "Accept - Poster",
               "Accept（Spotlight）", "Reject.", "Accepted", "decision: reject", "Accept – Spotlight", "Decision：Reject",
               "Accept (Oral) .", "Reject。", "Accept（Poster）。",
               # And (noticed in the forty-second session, read since the forty-third) a label with a dash,
               # more than one full stop, a dash without spaces, ICLR's "top 5%" without "notable", "5 %".
               "Decision - Accept (Poster)", "Decision – Reject", "Reject..", "accepted—poster", "Accept - Top 5%",
               "Accept: Notable Top 5 %", "Accept (Top 25%)",
               # And (found by review) doubled dashes, other dashes, an ellipsis, full-width ':' and '%'.
               "Accept -- Poster", "Decision -- Accept (Poster)", "Reject…", "Accept‐Poster", "Accept−Poster",
               "Accept ‒ Poster", "Accept：Top 5%", "Accept: Top 5％"]
    read = [("accept", "poster"), ("accept", "oral"), ("accept", "poster"), ("accept", "poster"), ("accept", "spotlight"),
            ("reject", None), ("accept", None), ("reject", None), ("accept", "spotlight"), ("reject", None), ("accept", "oral"),
            ("reject", None), ("accept", "poster"),
            ("accept", "poster"), ("reject", None), ("reject", None), ("accept", "poster"), ("accept", "oral"),
            ("accept", "oral"), ("accept", "spotlight"),
            ("accept", "poster"), ("accept", "poster"), ("reject", None), ("accept", "poster"), ("accept", "poster"),
            ("accept", "poster"), ("accept", "oral"), ("accept", "oral")]
    lines = [line for n, decision in enumerate(written) for line in (f"Paper Number {n}", ABSTRACT_A + f" ({n})", decision)]
    reading = read_review_listing(review_text(*lines))
    assert [(r.title, r.decision) for r in reading.records] == [(f"Paper Number {n}", d) for n, d in enumerate(written)]
    assert [normalise_decision(r.decision) for r in reading.records] == read
    assert reading.issues == [] and reading.unaccounted_lines() == []
    # ICLR 2023's "notable top 5%", written with spaces after "Accept:", is its oral tier, as in its venue line.
    assert normalise_decision("Accept: notable top 5%") == normalise_decision("ICLR 2023 notable top 5%") == ("accept", "oral")
    assert normalise_decision("Accept: notable top 25%") == ("accept", "spotlight")


def test_titles_that_open_like_a_decision_written_otherwise_stay_titles():
    # The forms read since the forty-third session stop at words that are no tier's: each of
    # these is a paper's title, its abstract and decision after it.
    titles = ["Decision-Making Under Uncertainty", "Accept - Top Performers", "Accept—A Simple Method",
              "Decision: A Survey", "Top 5% of Everything",
              # Found by review: a dash without spaces takes only a tier's words after it, and "top 5%" must be all of it.
              "Accept-Reject Sampling for Oral Cancer Detection", "Accepted—Oral History of Deep Learning",
              "Accept-Talk Generation", "Accept-Top 25% Papers In Review"]
    lines = [line for n, title in enumerate(titles) for line in (title, ABSTRACT_A + f" ({n})", "Reject")]
    reading = read_review_listing(review_text(*lines))
    assert [(r.title, r.decision) for r in reading.records] == [(title, "Reject") for title in titles]
    assert reading.issues == [] and reading.unaccounted_lines() == []
    # After a decided paper, "Accept:" and words that are no tier's, with an abstract after it, is
    # that abstract's title, as before 96e584c ("Top 5%" in it made it an orphan decision).
    reading = read_review_listing(review_text("First Paper", ABSTRACT_A, "Reject", "Accept: Top 5% of Everything",
                                              ABSTRACT_B, "Reject"))
    assert [(r.title, r.decision) for r in reading.records] == [("First Paper", "Reject"),
                                                                 ("Accept: Top 5% of Everything", "Reject")]
    # Titles whose abstract is missing are not the paper before's decision either.
    reading = read_review_listing(review_text("First Paper", ABSTRACT_A, "Accept-Reject Sampling for Oral Cancer Detection",
                                              "Third Paper", ABSTRACT_B, "Reject"))
    assert reading.records[0].decision is None


def test_a_title_joined_to_the_abstract_before_it_is_reported():
    # `cat` of two listings, the first without a line break at its end (as 000 is), glued the
    # second's first title to the first's last abstract, with no issue (found by review).
    from conftest import SOURCES

    first, second = (SOURCES / "000_171567d686ec3e55.txt").read_text(), (SOURCES / "001_d90573da5af4b331.txt").read_text()
    assert not first.endswith("\n")
    reading = read_review_listing(first + second)
    last_line = first.count("\n") + 1
    assert [(issue.line, issue.code) for issue in reading.issues] == [(last_line, "title_in_abstract")]
    assert repr(second.split("\n")[0]) in reading.issues[0].message
    # Apart, neither file has such a line; nor has an abstract that ends in a sentence, or a short tail.
    for text in (first, second, review_text("Some Title", ABSTRACT_A[:-1] + ".Accept (Poster)"),
                 review_text("Some Title", ABSTRACT_A + " See the Appendix")):
        assert "title_in_abstract" not in [issue.code for issue in read_review_listing(text).issues]


def test_a_decision_after_a_decided_record_with_an_abstract_after_it_may_be_a_title_and_says_so():
    # "Reject" as the title of the paper after a decided one said only "follows no paper" (found by review).
    reading = read_review_listing(review_text("Sparse Attention", ABSTRACT_A, "Accept (Poster)", "Reject", ABSTRACT_B,
                                              "Reject", "Reject"))
    assert [(r.line, r.title, r.decision) for r in reading.records] == [(1, "Sparse Attention", "Accept (Poster)"),
                                                                         (5, None, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "orphan_decision"), (7, "orphan_decision")]
    assert reading.issues[0].message.endswith("were it the title of the abstract after it, that paper is read without one")
    assert reading.issues[1].message == "decision 'Reject' follows no paper"


def test_a_lower_case_title_or_untitled_abstract_after_an_abstract_that_lost_its_link_stays_its_own():
    # 9 of 001's 100 abstracts end without a full stop ("... is available at", the link lost): a
    # lower-case title after one, or an untitled paper's lower-case abstract, was glued to it (found by review).
    from conftest import SOURCES

    lines = (SOURCES / "001_d90573da5af4b331.txt").read_text(encoding="utf-8").split("\n")
    vima = lines.index("VIMA: General Robot Manipulation with Multimodal Prompts")
    title, abstract = lines[vima], lines[vima + 1]
    assert abstract.endswith(" at")
    lower_title = "wav2vec-style pretraining for speech recognition with very little labelled data"
    lower_abstract = ("mixture-of-experts models are widely used in practice, and we find that their routers collapse "
                      "under load; we analyse why this happens and propose a fix.")
    for after, expected in (([lower_title, ABSTRACT_B, "Accept (Poster)"], [(title, None), (lower_title, "Accept (Poster)")]),
                            ([lower_abstract, "Accept (Poster)"], [(title, None), (None, "Accept (Poster)")])):
        reading = read_review_listing(review_text(title, abstract, *after))
        assert [(r.title, r.decision) for r in reading.records] == expected, after
        # So after "... Code is available at:", as 3 of 001's abstracts end.
        reading = read_review_listing(review_text(title, abstract + ":", *after))
        assert [(r.title, r.decision) for r in reading.records] == expected, after
        assert "abstract_continued" not in [issue.code for issue in reading.issues]


def test_title_in_abstract_is_named_only_before_an_abstract_without_its_title_and_dashes_only_for_tiers():
    # Found by review: a Title Case sentence glued within an abstract, or a bracket the tail did
    # not open, was named a joined title (failing --strict); "Accept - A Simple Method" was read as
    # a decision; "Gato" over "A Generalist Agent." and a decision was dropped as a label.
    glued = ABSTRACT_A[:-1] + " on the Neural Tangent Kernel.This Holds For Wide Networks"
    bracket = ABSTRACT_A[:-1] + " (see Sec.Appendix Tables And Figures)"
    for abstract in (glued, bracket):
        for after in (["Reject"], ["Dense Attention", ABSTRACT_B]):
            codes = [issue.code for issue in read_review_listing(review_text("Some Title", abstract, *after)).issues]
            assert "title_in_abstract" not in codes, (abstract, after)
    assert "title_in_abstract" in [issue.code for issue in read_review_listing(review_text("Some Title", glued, ABSTRACT_B)).issues]
    for title in ("Accept - A Simple Method", "Accept - Everything Is Fine"):
        reading = read_review_listing(review_text("Some Title", ABSTRACT_A, title))
        assert [(r.title, r.decision) for r in reading.records] == [("Some Title", None)], title
        assert [issue.code for issue in reading.issues] == ["unknown_decision"], title
    # One word over a title in Title Case, a full stop at its end as citation lists print titles, and
    # that title's decision: the word is the label (as a title, "papers" was a record the listing has not).
    for word, title in (("Gato", "A Generalist Agent."), ("papers", "Attention Is All You Need.")):
        reading = read_review_listing(review_text(word, title, "Accept (Poster)", "Dense Attention", ABSTRACT_B))
        assert [(r.line, r.title, r.decision) for r in reading.records] == [
            (2, title, "Accept (Poster)"), (4, "Dense Attention", None)] and reading.other_lines == {1: "label"}, word


@pytest.mark.parametrize(("end", "line"), [
    ("and we analyse the", "attention maps to explain why the sparse pattern keeps the quality of dense attention."),
    ("into two patterns called", "\\emph{strided} and \\emph{fixed} patterns, which we compare on four benchmarks."),
    ("in two regimes,", "(i) short contexts and (ii) long contexts, where the sparse pattern wins by a wide margin."),
    ("over the attention maps,", "$\\mathcal{O}(n \\log n)$ memory suffices, as we show on four benchmarks and two tasks."),
    ("We show", "that, surprisingly, it keeps the quality of dense attention on four benchmarks and two tasks."),
])
def test_an_abstract_broken_after_an_unfinished_word_or_before_latex_is_one_abstract(end, line):
    # Found by review of the narrowed rule: each was split, the titled paper losing its decision to
    # an untitled one, with no issue.
    first = ABSTRACT_A[:-1] + " " + end
    reading = read_review_listing(review_text("Sparse Attention", first, line, "Accept (Poster)", "Dense Attention",
                                              ABSTRACT_B, "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Sparse Attention", first + "\n" + line, "Accept (Poster)"), ("Dense Attention", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "abstract_continued")]


@pytest.mark.parametrize("separator", ["***", "=====", "---", "·", "#", "🔥🔥🔥", "* * *", "\x1b[31m\x1b[0m", "❤️❤️❤️",
                                       "👍🏻👍🏻👍🏻", "-=-=-=-=", "~*~*~*~", "<><><>", "+-+-+-+"])
def test_a_line_without_letters_or_digits_between_records_is_a_separator_not_a_paper(separator):
    # Found by review: "***" between records was a paper of that title (three made one paper of
    # three listings), "---" the start of the title after it.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Accept (Poster)", separator, "Title Two",
                                              ABSTRACT_B, "Reject", separator, "Title Three", separator, ABSTRACT_C))
    assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, "Title One", ABSTRACT_A, "Accept (Poster)"), (5, "Title Two", ABSTRACT_B, "Reject"),
        (9, "Title Three", ABSTRACT_C, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "stray_line"), (8, "stray_line"),
                                                                       (10, "stray_line")]
    assert reading.unaccounted_lines() == []


def test_a_symbol_with_an_abstract_after_it_is_still_a_title():
    reading = read_review_listing(review_text("∇", ABSTRACT_A, "Reject", "🤗", ABSTRACT_B))
    assert [(r.title, r.decision) for r in reading.records] == [("∇", "Reject"), ("🤗", None)]
    assert reading.issues == []


@pytest.mark.parametrize("link", ["Download PDF", "View PDF", "Show details", "Hide abstract", "GitHub", "arXiv",
                                  "Code", "Project page", "https://github.com/foo/bar", "www.example.org/paper",
                                  # PMLR's and CVF's rows of links (review: each a paper).
                                  "[abs][Download PDF]", "[pdf] [supp] [arXiv] [bibtex]"])
def test_a_sites_links_and_buttons_copied_with_its_listing_are_no_papers(link):
    # Found by review: "Download PDF" before each decision was one paper of three listings that
    # took the decisions; between a title and its abstract it took the abstract.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, link, "Accept (Poster)", "Title Two", link,
                                              ABSTRACT_B, "Reject", "Title Three", ABSTRACT_C, link))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, "Accept (Poster)"), ("Title Two", ABSTRACT_B, "Reject"), ("Title Three", ABSTRACT_C, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "stray_line"), (6, "stray_line"),
                                                                       (11, "stray_line")]
    assert reading.unaccounted_lines() == []


def test_a_citation_under_a_title_is_a_field_not_a_paper():
    # PMLR's listing prints the authors and the proceedings under each title, then its links:
    # six lines were five papers (found by review). A title opening "Proceedings of" stays one.
    citation = ("Alice Smith, Bob Jones, Carol White; Proceedings of the 40th International Conference on Machine "
                "Learning, PMLR 202:1234-1245, 2023.")
    reading = read_review_listing(review_text("Fast Training of Deep Networks", citation, "[abs][Download PDF]",
                                              "Expressive Graph Networks", "Dan Brown; PMLR 202:1246-1260, 2023.",
                                              "[abs][Download PDF]"))
    assert [(r.line, r.last_line, r.title, r.abstract) for r in reading.records] == [
        (1, 1, "Fast Training of Deep Networks", None), (4, 4, "Expressive Graph Networks", None)]
    assert sorted((i.line, i.code) for i in reading.issues) == [
        (1, "missing_abstract"), (2, "unread_field"), (3, "stray_line"), (4, "missing_abstract"), (5, "unread_field"),
        (6, "stray_line")]
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Proceedings of the Workshop on Kernels", ABSTRACT_B))
    assert [r.title for r in reading.records] == ["Title One", "Proceedings of the Workshop on Kernels"]


def test_a_title_that_is_a_links_word_over_its_abstract_or_holds_one_stays_a_title():
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", "Code", ABSTRACT_B, "Reject",
                                              "GitHub Copilot Writes Insecure Code", ABSTRACT_C))
    assert [r.title for r in reading.records] == ["Title One", "Code", "GitHub Copilot Writes Insecure Code"]
    assert reading.issues == []


@pytest.mark.parametrize("button", ["Download PDF", "Hide details", "[PDF]", "[PDF] [Code]", "https://openreview.net/pdf?id=x"])
def test_a_button_of_words_or_a_link_over_an_abstract_is_no_title(button):
    # One word alone ("Code", above) may be a title; a button of two words, a link in brackets or
    # an address is none: "Download PDF" took the abstract below it as its title's (found by review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Accept (Oral)", button, ABSTRACT_B, "Reject"))
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 3, "Title One", ABSTRACT_A, "Accept (Oral)"), (5, 6, None, ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "stray_line")]
    # Among a forum's fields, between its venue line and its labelled abstract: the abstract was an
    # untitled paper's, and the title had none.
    reading = read_review_listing(review_text("Title One", "ICLR 2024 spotlight", "Readers: Everyone", button,
                                              "Abstract: " + ABSTRACT_A, "Title Two", ABSTRACT_B, "Reject"))
    assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (1, 5, "Title One", ABSTRACT_A, "ICLR 2024 spotlight"), (6, 8, "Title Two", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "unread_field"), (4, "stray_line")]


@pytest.mark.parametrize("field", ["Meta Review: The reviewers agree this is a solid paper with clear contributions.",
                                   "Recommendation: 8 (strong)", "Rating: 6.5", "Confidence: 4",
                                   "Comment: the reviewers raised no ethical concern."])
def test_a_reviews_notes_and_scores_are_fields_not_papers(field):
    # "Meta Review: ..." before the decision was an untitled paper that took it (review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, field, "Accept (Poster)", "Title Two", ABSTRACT_B))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Accept (Poster)"), ("Title Two", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "unread_field")]


def test_a_fields_label_alone_has_its_value_on_the_next_line():
    # "TL;DR:" or "Keywords:" alone, its value under it: the value was the paper's title (review).
    reading = read_review_listing(review_text(
        "Title One", "Keywords:", "graph neural networks, chemistry, molecules", ABSTRACT_A, "Accept (Poster)",
        "Title Two", ABSTRACT_B, "TL;DR:", "A short summary of the paper in one sentence.", "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, "Accept (Poster)"), ("Title Two", ABSTRACT_B, "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (2, "unread_field"), (3, "unread_field"), (8, "unread_field"), (9, "unread_field")]
    # A label with nothing under it: the next title, over its abstract, and a labelled abstract stay what they are.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", "Keywords:", "Title Two", ABSTRACT_B,
                                              "Title Three", "TL;DR:", "Abstract: " + ABSTRACT_C))
    assert [(r.title, r.abstract) for r in reading.records] == [
        ("Title One", ABSTRACT_A), ("Title Two", ABSTRACT_B), ("Title Three", ABSTRACT_C)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "unread_field"), (8, "unread_field")]


def test_a_title_an_acronym_in_capitals_opens_is_no_field():
    # "NOTE:" and "CODE:" were labels: the title took no abstract, or the abstract of the title
    # before it, merging two papers (review). A review's field written in capitals is a title too.
    for title in ("NOTE: Robust Continual Test-time Adaptation Against Temporal Correlation",
                  "CODE: Confident Ordinary Differential Editing", "RATING: Ranking Agents by Their Trajectories"):
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", title, ABSTRACT_B, "Accept (Poster)"))
        assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Reject"), (title, "Accept (Poster)")]
        assert reading.issues == [], title
        reading = read_review_listing(review_text("Title One", title, ABSTRACT_B, "Reject"))
        assert [r.title for r in reading.records] == ["Title One", title], title


def test_a_fields_label_alone_is_never_a_title_and_an_empty_one_leaves_the_abstract():
    # "Meta Review:" alone over its paragraphs was a paper of that title, with no issue; an empty
    # "Supplementary Material:" right after a title took the title's abstract as its value (review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Accept (Poster)", "Meta Review:", ABSTRACT_B,
                                              "Title Two", ABSTRACT_C))
    assert "Meta Review:" not in [r.title for r in reading.records]
    assert (4, "unread_field") in [(issue.line, issue.code) for issue in reading.issues]
    reading = read_review_listing(review_text("Title One", "Supplementary Material:", ABSTRACT_A, "Accept (Poster)",
                                              "Title Two", ABSTRACT_B))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, "Accept (Poster)"), ("Title Two", ABSTRACT_B, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "unread_field")]


def test_an_invitation_to_a_workshop_is_a_decision_this_reader_does_not_know_not_a_paper():
    # ICLR 2018's "Invite to Workshop Track": two were one paper of that title with two listings.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Invite to Workshop Track", "Title Two",
                                              ABSTRACT_B, "Invite to Workshop Track", "Title Three", ABSTRACT_C, "Reject"))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", None), ("Title Two", None),
                                                                ("Title Three", "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "unknown_decision"), (6, "unknown_decision")]
    # With an abstract after it, in a listing of untitled abstracts, it is that abstract's title,
    # named as reading like a decision (it was taken with no issue: review).
    reading = read_review_listing(review_text(ABSTRACT_A, "Invite to Workshop Track", ABSTRACT_B))
    assert [(r.title, r.abstract) for r in reading.records] == [(None, ABSTRACT_A), ("Invite to Workshop Track", ABSTRACT_B)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "decision_like_title")]


def test_rows_pasted_from_a_spreadsheet_are_named_line_by_line():
    # "title<TAB>abstract<TAB>decision" rows: each row was read as one field, a title inside an
    # abstract and two rows one paper, with no issue (review). A tab at a line's end, or for a space
    # inside a sentence ("Diffusion<TAB>models"), is no column.
    text = review_text(f"Title One\t{ABSTRACT_A}\tAccept (Poster)", f"Title Two\t{ABSTRACT_B}\tReject",
                       "Title Three\t", ABSTRACT_C.replace(" ", "\t", 3))
    reading = read_review_listing(text)
    assert [(issue.line, issue.code) for issue in reading.issues if issue.code == "tab_in_line"] == [
        (1, "tab_in_line"), (2, "tab_in_line")]
    assert reading.unaccounted_lines() == []


@pytest.mark.parametrize("separator", [" | ", " - ", " – ", " — ", " · ", " / ", " || "])
def test_a_decision_written_after_a_title_on_its_line_is_named(separator):
    # "Graph Networks | Accept (Oral)": each decision was lost inside its title with no issue (review).
    reading = read_review_listing(review_text(f"Title One{separator}Accept (Oral)", ABSTRACT_A,
                                              f"Title Two{separator}Reject", ABSTRACT_B,
                                              f"Title Three{separator}NeurIPS 2023 Poster", ABSTRACT_C))
    assert [(r.title, r.decision) for r in reading.records] == [
        (f"Title One{separator}Accept (Oral)", None), (f"Title Two{separator}Reject", None),
        (f"Title Three{separator}NeurIPS 2023 Poster", None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (1, "decision_in_title"), (3, "decision_in_title"), (5, "decision_in_title")]
    assert "'Accept (Oral)'" in reading.issues[0].message


def test_a_decision_after_a_title_with_a_dash_of_its_own_is_named():
    reading = read_review_listing(review_text("Graph Networks - A Survey - Reject", ABSTRACT_A,
                                              "Sparse Attention | A Study | Accept (Oral)", ABSTRACT_B))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(1, "decision_in_title"), (3, "decision_in_title")]
    assert "'Reject'" in reading.issues[0].message and "'Accept (Oral)'" in reading.issues[1].message


def test_titles_ending_in_other_words_after_a_dash_are_not_named():
    titles = ["Self-Supervised Learning - A Survey", "Oral Cancer Detection - Oral History", "Models | 2024 Edition",
              "Sparse Attention - Rejecting Noise", "Accept-Reject Sampling", "Graph Networks - ICLR 2024 Workshop on Agents"]
    lines = [line for title in titles for line in (title, ABSTRACT_A.replace("tools", title))]
    reading = read_review_listing(review_text(*lines))
    assert [r.title for r in reading.records] == titles
    assert reading.issues == []


def test_a_decision_joined_to_the_next_title_with_no_space_is_named():
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Accept (Poster)Title Two", ABSTRACT_B, "Reject"))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", None), ("Accept (Poster)Title Two", "Reject")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "decision_in_title")]


@pytest.mark.parametrize("authors", ["Alice Smith · Bob Jones · Carol White", "Alice Smith • Bob Jones • Carol White",
                                     "Alice Smith; Bob Jones; Carol White", "Lee, David; Park, Eve; Kim, Joon",
                                     "Van Dyke, Anna Maria; Park, Eve",
                                     # The ACL Anthology's, of nine names (the abstract, unreported: review)
                                     "Yafu Li | Qintong Li | Leyang Cui | Wei Bi | Zhilin Wang | Longyue Wang | Linyi Yang "
                                     "| Shuming Shi | Yue Zhang",
                                     "Alice Smith & Bob Jones & Carol White", "Alice Smith (MIT) | Bob Jones (CMU)",
                                     # OpenReview's, of a paper under review
                                     "Anonymous Authors", "Anonymous", "anonymous authors"])
def test_author_lists_written_with_other_separators_are_authors(authors):
    # Each was the title of the abstract below it, the real title left without one (review).
    reading = read_review_listing(review_text("Title One", authors, ABSTRACT_A, "Accept (Poster)", "Title Two", ABSTRACT_B))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, "Accept (Poster)"), ("Title Two", ABSTRACT_B, None)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "unread_field")]


@pytest.mark.parametrize("label", ["Abstract—", "Abstract — ", "Abstract – ", "Abstract - ", "Abstract. ", "Abstract：",
                                   "ABSTRACT: "])
def test_an_abstract_label_written_otherwise_is_left_out_of_the_abstract(label):
    # IEEE's "Abstract—We ..." and the like were kept as the abstract's first word (review).
    reading = read_review_listing(review_text("Title One", label + ABSTRACT_A, "Accept (Poster)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [("Title One", ABSTRACT_A, "Accept (Poster)")]


def test_an_abstract_that_opens_with_the_word_abstract_keeps_it():
    for opening in ("Abstract-level reasoning", "Abstracts of papers", "Abstract reasoning"):
        reading = read_review_listing(review_text("Title One", f"{opening} {ABSTRACT_A}", "Reject"))
        assert [r.abstract for r in reading.records] == [f"{opening} {ABSTRACT_A}"], opening


def test_an_untitled_abstract_after_an_undecided_paper_keeps_the_decision_after_it():
    # SOURCES.md: some records have no title line, and a record may have no decision. Read as a
    # further paragraph of the abstract before (tried after review), 153 untitled papers of the
    # synthetic 100k corpus's review listings joined the paper above and gave it their decision.
    reading = read_review_listing(review_text("Sparse Attention Is All You Need", ABSTRACT_A, ABSTRACT_B, "Accept (Oral)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Sparse Attention Is All You Need", ABSTRACT_A, None), (None, ABSTRACT_B, "Accept (Oral)")]


def test_decisions_before_titles_are_named_though_one_paper_has_none():
    # Decision, title, abstract: one paper without a decision and each decision after it went to
    # the paper before its own, with only the first line reported (found by review).
    reading = read_review_listing(review_text("Accept (Oral)", "Sparse Attention Is All You Need", ABSTRACT_A,
                                              "Graph Networks for Weather Forecasting", ABSTRACT_B, "Reject",
                                              "Kernel Methods Revisited", ABSTRACT_C))
    assert [(i.line, i.code) for i in reading.issues] == [(1, "orphan_decision"), (1, "decisions_before_titles")]
    # Every paper decided: the decisions-first reading would leave the last decision without a
    # title, so no such layout, whatever stray line ends the file (review of the first rule).
    for last in ("Show more", "***"):
        reading = read_review_listing(review_text("Reject", "Title One", ABSTRACT_A, "Accept (Poster)",
                                                  "Title Two", ABSTRACT_B, "Reject", last))
        assert "decisions_before_titles" not in [i.code for i in reading.issues], last
    # A decision heading over undecided papers is no such layout.
    reading = read_review_listing(review_text("Accept (Oral)", "Sparse Attention Is All You Need", ABSTRACT_A,
                                              "Graph Networks for Weather Forecasting", ABSTRACT_B))
    assert [(i.line, i.code) for i in reading.issues] == [(1, "orphan_decision")]


def test_a_line_between_a_title_and_its_abstract_is_named_in_the_titles_issue():
    # "Yoshua Bengio" under a title took its abstract and decision; only "title with no abstract
    # after it" was said of the real title (found by review).
    reading = read_review_listing(review_text("Kernel Methods Revisited", "Yoshua Bengio", ABSTRACT_A, "Accept (Poster)",
                                              "A Title Alone", "Another Title", "Graph Networks", ABSTRACT_B))
    assert [(r.line, r.title, r.decision) for r in reading.records] == [
        (1, "Kernel Methods Revisited", None), (2, "Yoshua Bengio", "Accept (Poster)"), (5, "A Title Alone", None),
        (6, "Another Title", None), (7, "Graph Networks", None)]
    issues = [(i.line, i.code, "line after it was read as the title" in i.message) for i in reading.issues]
    assert issues == [(1, "missing_abstract", True), (5, "missing_abstract", False), (6, "missing_abstract", True)]
    # A placeholder under the title is what came after it, not the next title (review of the first rule).
    reading = read_review_listing(review_text("Title One", "No abstract available", "Title Two", ABSTRACT_B, "Reject"))
    assert [(i.line, i.code, i.message) for i in reading.issues][1] == (1, "missing_abstract", "title with no abstract after it")


def test_a_placeholder_where_a_title_goes_is_no_paper():
    # "No abstract available" over "Accept (Oral)", the title lost, was an oral paper of that
    # title (found by review).
    reading = read_review_listing(review_text("Some Title", ABSTRACT_A, "Reject", "No abstract available",
                                              "Accept (Oral)", "Other Title", ABSTRACT_B, "Reject"))
    assert [(r.title, r.decision) for r in reading.records] == [("Some Title", "Reject"), ("Other Title", "Reject")]
    assert [(i.line, i.code) for i in reading.issues] == [(4, "placeholder_abstract"), (5, "orphan_decision")]
    assert reading.unaccounted_lines() == []


def test_a_decision_or_tier_in_brackets_at_a_titles_start_or_end_is_named():
    # "[Oral] Title", "Title [Spotlight]", "Title (ICLR 2024 Oral)", "Title (Reject)": each stayed
    # in its title with no issue, the paper without a decision (found by review).
    for title, bracket, where in (("[Oral] Sparse Attention Is All You Need", "[Oral]", "starts"),
                                  ("Graph Networks for Weather Forecasting [Spotlight]", "[Spotlight]", "ends"),
                                  ("Kernel Methods Revisited (ICLR 2024 Oral)", "(ICLR 2024 Oral)", "ends"),
                                  ("Kernel Methods Revisited (Reject)", "(Reject)", "ends"),
                                  ("(Accepted) Kernel Methods Revisited", "(Accepted)", "starts"),
                                  ("【Poster】 Kernel Methods Revisited", "【Poster】", "starts"),
                                  ("Kernel Methods Revisited [Accept (Oral)]", "[Accept (Oral)]", "ends"),
                                  # A venue's year written short, or the venue after the tier (unnamed before).
                                  ("Kernel Methods Revisited (ICLR'24 Oral)", "(ICLR'24 Oral)", "ends"),
                                  ("Kernel Methods Revisited (Oral, ICLR 2024)", "(Oral, ICLR 2024)", "ends"),
                                  ("[Spotlight, NeurIPS'23] Kernel Methods Revisited", "[Spotlight, NeurIPS'23]",
                                   "starts"),
                                  # The curly apostrophe, a space before it, a full-width comma (unnamed before).
                                  ("Kernel Methods Revisited (ICLR’24 Oral)", "(ICLR’24 Oral)", "ends"),
                                  ("Kernel Methods Revisited (ICLR '24 Oral)", "(ICLR '24 Oral)", "ends"),
                                  ("Kernel Methods Revisited (Oral，ICLR 2024)", "(Oral，ICLR 2024)", "ends")):
        reading = read_review_listing(review_text(title, ABSTRACT_A, "Reject", "Other Title", ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [(title, "Reject"), ("Other Title", None)]
        assert [(i.line, i.code) for i in reading.issues] == [(1, "decision_in_title")], title
        shown = f'"{bracket}"' if "'" in bracket else f"'{bracket}'"  # quoted as Python does: in the other quotes
        assert f"the title {where} with {shown}" in reading.issues[0].message
    # Brackets holding a title's own words are no decision.
    for title in ("Oral Cancer Detection (Oral Cancer)", "Poster Child [Poster Child Study]", "Large Language Models (LLMs)",
                  "Acceptance Sampling (Accepted Papers Only)", "Spotlight (Oral) History",
                  # A word before the decision that is no venue's (review of the first rule).
                  "Generating Film Artwork (Movie Poster)", "When Reviewers Disagree (Not Accepted)",
                  "Selective Classifiers (To Reject)", "Cancer Screening (Screening Oral)",
                  # After the tier, only a venue with its year: "(Oral, Dental)" is a title's words.
                  "Microbiomes Compared (Oral, Dental)", "Speech Corpora (Oral, ICLR)"):
        assert read_review_listing(review_text(title, ABSTRACT_A)).issues == [], title


def test_a_decisions_label_alone_over_its_decision_is_a_label():
    # "Decision:" then "Accept (Oral)" under each abstract made one paper titled "Decision:" that
    # took every decision, and the papers had none (found by review).
    for label in ("Decision:", "Decision", "DECISION：", "Final Decision:", "Paper Decision"):
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, label, "Accept (Oral)",
                                                  "Title Two", ABSTRACT_B, label, "Reject"))
        assert [(r.line, r.last_line, r.title, r.decision) for r in reading.records] == [
            (1, 4, "Title One", "Accept (Oral)"), (5, 8, "Title Two", "Reject")], label
        assert (reading.issues, reading.other_lines) == ([], {3: "label", 7: "label"}), label
    # With no decision after it, such a line is read as before: a title.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", "Decision", ABSTRACT_B))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Reject"), ("Decision", None)]
    # Under the label, a badge is the decision even with an abstract after it, where alone it would
    # be that abstract's title: the first rule swallowed the label and the paper above had no
    # decision (review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Decision:", "ICLR 2024 Poster", ABSTRACT_B,
                                              "Decision:", "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, "ICLR 2024 Poster"), (None, ABSTRACT_B, "Reject")]
    assert reading.issues == [] and reading.other_lines == {3: "label", 6: "label"}
    # A listing of decisions before titles, each labelled, is named as one without labels is (review:
    # each decision went to the paper before its own, unnamed).
    reading = read_review_listing(review_text("Decision:", "Accept (Oral)", "Title One", ABSTRACT_A, "Decision:", "Reject",
                                              "Title Two", ABSTRACT_B, "Decision:", "Accept (Poster)", "Title Three",
                                              ABSTRACT_C))
    assert (1, "decisions_before_titles") in [(i.line, i.code) for i in reading.issues]
    assert normalise_decision("Decision: Oral, ICLR 2024") == normalise_decision("Oral, ICLR 2024") == ("accept", "oral")


def test_a_badge_with_its_year_written_short_or_its_venue_after_the_tier_is_the_papers_decision():
    # Each was a paper titled so, without an abstract, and the paper above it had no decision
    # (noticed in the fifty-second session).
    badges = {"(Oral, ICLR 2024)": ("accept", "oral"), "Spotlight, NeurIPS 2023": ("accept", "spotlight"),
              "ICLR'24 Poster": ("accept", "poster"), "ICLR’24 Oral": ("accept", "oral"),
              "[ICLR ’24 Spotlight]": ("accept", "spotlight"), "Poster，CVPR 2024": ("accept", "poster")}
    for badge, decision in badges.items():
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, badge, "Title Two", ABSTRACT_B, "Reject"))
        assert [(r.line, r.last_line, r.title, r.decision) for r in reading.records] == [
            (1, 3, "Title One", badge), (4, 6, "Title Two", "Reject")], badge
        assert reading.issues == [], badge
        assert normalise_decision(badge) == decision
    # With no year, or more after it, such a line is a title's: "Oral, Written and Signed" has its abstract.
    for title in ("Oral, Written and Signed", "Spotlight, ICLR 2024 Workshop", "Poster, 2024"):
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", title, ABSTRACT_B))
        assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Reject"), (title, None)], title


def test_a_sites_badge_between_a_title_and_its_abstract_is_the_papers_decision():
    # A conference site prints the badge under the title: "Title One", "[Oral]", its abstract.
    # "[Oral]" was the abstract's title, and "Title One" a paper without an abstract.
    for badge in ("[Oral]", "Spotlight", "ICLR 2024 Poster", "(Poster)"):
        reading = read_review_listing(review_text("Title One", badge, ABSTRACT_A, "Title Two", ABSTRACT_B, "Reject"))
        assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
            (1, 3, "Title One", ABSTRACT_A, badge), (4, 6, "Title Two", ABSTRACT_B, "Reject")], badge
        assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "badge_before_abstract")], badge
        assert reading.unaccounted_lines() == []
    # A badge under every title: each paper but the last was its badge's, over the next title's
    # abstract (found by review).
    for badges in (["ICLR 2024 poster", "ICLR 2024 oral", "ICLR 2024 spotlight"], ["[Poster]", "[Oral]", "[Spotlight]"]):
        reading = read_review_listing(review_text("Title One", badges[0], ABSTRACT_A, "Title Two", badges[1], ABSTRACT_B,
                                                  "Title Three", badges[2], ABSTRACT_C))
        assert [(r.line, r.last_line, r.title, r.abstract, r.decision) for r in reading.records] == [
            (1, 3, "Title One", ABSTRACT_A, badges[0]), (4, 6, "Title Two", ABSTRACT_B, badges[1]),
            (7, 9, "Title Three", ABSTRACT_C, badges[2])], badges
        assert [(i.line, i.code) for i in reading.issues] == [(2, "badge_before_abstract"), (5, "badge_before_abstract"),
                                                              (8, "badge_before_abstract")], badges
    # Not where the abstract has a decision of its own after it (then the badge may be that
    # paper's title, and the form cannot tell), nor under a whole record, nor a decision that is
    # no badge ("Reject" there is the decision of a paper whose abstract is missing), as before.
    reading = read_review_listing(review_text("Title One", "[Oral]", ABSTRACT_A, "Accept (Oral)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", None, None), ("[Oral]", ABSTRACT_A, "Accept (Oral)")]
    reading = read_review_listing(review_text("Title One", ABSTRACT_C, "Spotlight", ABSTRACT_A))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_C, None), ("Spotlight", ABSTRACT_A, None)]
    reading = read_review_listing(review_text("Title One", "Reject", ABSTRACT_A))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", None, "Reject"), (None, ABSTRACT_A, None)]
    # Nor where the paper may go on past that abstract, which a badge's paper would lose or take
    # wrongly (found by review of the first rule): a second line of it, the abstract again, a
    # decision this reader does not know, a decision joined to the abstract, or a listing whose
    # decisions come before their titles. Each reads as it did without the rule.
    first = ABSTRACT_A[:-1] + ", and the usual reject inference methods,"
    second = "which try to recover the outcomes of those applicants, are biased when the rejection rule depends on unseen features."
    for lines, records, codes in (
            (["Title One", "Poster", first, second, "Reject"],
             [("Title One", None, None), ("Poster", first + "\n" + second, "Reject")], ["abstract_continued"]),
            (["Title One", "Poster", first, second],
             [("Title One", None, None), ("Poster", first + "\n" + second, None)], ["abstract_continued"]),
            (["Title One", "Poster", ABSTRACT_A, ABSTRACT_A, "Reject"],
             [("Title One", None, None), ("Poster", ABSTRACT_A, "Reject")], ["repeated_abstract"]),
            (["Title One", "Poster", ABSTRACT_A, "Accepted at ICLR"],
             [("Title One", None, None), ("Poster", ABSTRACT_A, None)], ["unknown_decision"]),
            (["Title One", "Poster", ABSTRACT_A[:-1] + " Accept (Poster)", "Title Two", ABSTRACT_B, "Reject"],
             [("Title One", None, None), ("Poster", ABSTRACT_A[:-1] + " Accept (Poster)", None),
              ("Title Two", ABSTRACT_B, "Reject")], ["decision_in_abstract"])):
        reading = read_review_listing(review_text(*lines))
        assert [(r.title, r.abstract, r.decision) for r in reading.records] == records, lines
        assert sorted(issue.code for issue in reading.issues) == sorted(["missing_abstract", *codes]), lines
    reading = read_review_listing(review_text("Accept (Oral)", "Title One", ABSTRACT_A, "Poster", "Title Two",
                                              "Spotlight", ABSTRACT_C))
    assert "badge_before_abstract" not in [issue.code for issue in reading.issues]
    assert "decisions_before_titles" in [issue.code for issue in reading.issues]


def test_a_title_joined_to_the_abstract_before_its_authors_line_is_named_and_so_are_the_authors_read_as_a_title():
    # The next paper's title joined to the abstract before it, then that paper's authors: the
    # authors became its title, and nothing was named (review).
    glued = ABSTRACT_A[:-1] + " in credit markets.Learning to Compose: Modular Skill Discovery for Long-Horizon Manipulation"
    reading = read_review_listing(review_text("Title One", glued, "Wei Zhang, Li Na, Carol White", ABSTRACT_B,
                                              "Accept (Spotlight)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", glued, None), ("Wei Zhang, Li Na, Carol White", ABSTRACT_B, "Accept (Spotlight)")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "title_in_abstract"), (3, "authors_as_title")]
    assert "Learning to Compose" in reading.issues[0].message and "authors" in reading.issues[0].message
    # An authors' line where a title goes is named with no title joined above it too; a title with
    # commas in it is no authors' line, nor is an authors' line under its title a title.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", "Alice Smith · Bob Jones · Carol White",
                                              ABSTRACT_B, "Gradient Boosted Trees, Random Forests and Neural Networks",
                                              ABSTRACT_C))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(4, "authors_as_title")]
    reading = read_review_listing(review_text("Title One", glued, "Reject", "Title Two", "Alice Smith, Bob Jones, Carol White",
                                              ABSTRACT_B))
    assert [(issue.line, issue.code) for issue in reading.issues] == [(5, "unread_field")]


@pytest.mark.parametrize("joined, decision", [
    ("Accept: notable-top-5%Grokking as the Transition from Lazy to Rich Training Dynamics", "Accept: notable-top-5%"),
    ("Accept: posterVision Transformers Need Registers", "Accept: poster"),
    ("RejectVision Transformers Need Registers", "Reject"),
    ("Withdrawn SubmissionScaling Data-Constrained Language Models", "Withdrawn Submission"),
    ("Desk RejectedSparse Attention Revisited", "Desk Rejected")])
def test_a_decision_joined_to_the_next_title_with_no_space_or_bracket_is_named(joined, decision):
    # The line break between a decision and the next title lost: "Accept: notable-top-5%Grokking …"
    # was the paper above's decision (README: words that are no tier's after "Accept:" are a
    # title), its abstract an untitled paper; "RejectVision …" a title, its paper above undecided
    # with no word (review). Each stays the title, and is named.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, joined, ABSTRACT_B, "Accept (Poster)"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", ABSTRACT_A, None), (joined, ABSTRACT_B, "Accept (Poster)")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(3, "decision_in_title")]
    assert repr(decision) in reading.issues[0].message
    assert normalise_decision(joined) is None


@pytest.mark.parametrize("title", ["RejectNet: A Network That Abstains", "AcceptGAN for Image Synthesis",
                                   "Reject Inference for Credit Scoring", "Accept: posterior sampling as a decision"])
def test_titles_opening_with_a_decision_word_and_a_capital_are_not_named_joined(title):
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, title, ABSTRACT_B, "Accept (Poster)"))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", None), (title, "Accept (Poster)")]
    assert "decision_in_title" not in [issue.code for issue in reading.issues]


def test_a_venue_pages_heading_over_its_tabs_is_no_paper():
    # OpenReview's venue page: the venue, then its tabs. "ICLR 2024 Conference" was an oral paper,
    # and with the page's text above its tabs, that text (review).
    reading = read_review_listing(review_text("ICLR 2024 Conference", "Accept (oral)", "Accept (spotlight)",
                                              "Accept (poster)", "Reject", "Title One", ABSTRACT_A, "Accept (Oral)"))
    assert [(r.line, r.title, r.decision) for r in reading.records] == [(6, "Title One", "Accept (Oral)")]
    assert [(issue.line, issue.code) for issue in reading.issues] == [
        (1, "stray_line"), (2, "stray_line"), (3, "stray_line"), (4, "stray_line"), (5, "stray_line")]
    reading = read_review_listing(review_text(
        "Please see the venue website for more information.", "Submission Start: Sep 01 2023 12:00AM UTC-0",
        "Accept (oral)", "Accept (spotlight)", "Accept (poster)", "Reject", "Withdrawn Submissions",
        "Desk Rejected Submissions", "Title One", ABSTRACT_A, "Accept (Oral)"))
    assert [r.decision for r in reading.records] == [None, None, "Accept (Oral)"]
    assert [issue.line for issue in reading.issues if "tab" in issue.message] == [3, 4, 5, 6, 7, 8]
    # Two decisions in a row under a title alone, or a decision repeated, are as before: the first
    # is the title's, the second an orphan.
    for second in ("Reject", "Accept (Poster)"):
        reading = read_review_listing(review_text("Title One", "Accept (Poster)", second, "Title Two", "Reject"))
        assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Accept (Poster)"), ("Title Two", "Reject")]
        assert (3, "orphan_decision") in [(issue.line, issue.code) for issue in reading.issues]
    # With its abstract after it, a line like a venue's is a title, as before.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "COLM 2024", ABSTRACT_B))
    assert [r.title for r in reading.records] == ["Title One", "COLM 2024"]


def test_a_bibliographys_labels_links_and_bibtex_are_no_papers():
    # The ACL Anthology's volume details (a label alone, its value under it), its "pdf bib abs"
    # under each title, PMLR's "[edit]" and "[bib][citeproc]", a virtual site's "[ Abstract ] [
    # OpenReview ]" and a CVF page's BibTeX were papers of those titles (review).
    lines = ["Anthology ID:", "2024.acl-long", "Month:", "August", "URL:", "https://aclanthology.org/2024.acl-long/",
             "pdf bib abs", "Title One", "Alice Smith | Bob Jones | Carol White", ABSTRACT_A, "Accept (Oral)",
             "[edit]", "[bib][citeproc]", "[ Abstract ] [ OpenReview ]",
             "@InProceedings{Smith_2024_CVPR,", "    author    = {Smith, Alice and Jones, Bob},",
             "    title     = {Title One},", "    year      = {2024},", "}",
             "pdf bib", "Title Two", ABSTRACT_B]
    reading = read_review_listing(review_text(*lines))
    assert [(r.line, r.title, r.abstract, r.decision) for r in reading.records] == [
        (8, "Title One", ABSTRACT_A, "Accept (Oral)"), (21, "Title Two", ABSTRACT_B, None)]
    codes = {issue.line: issue.code for issue in reading.issues}
    assert codes == {1: "unread_field", 2: "unread_field", 3: "unread_field", 4: "unread_field", 5: "unread_field",
                     6: "unread_field", 7: "stray_line", 9: "unread_field", 12: "stray_line", 13: "stray_line",
                     14: "stray_line", 15: "unread_field", 16: "unread_field", 17: "unread_field", 18: "unread_field",
                     19: "stray_line", 20: "stray_line"}, reading.issues
    assert "BibTeX" in next(issue.message for issue in reading.issues if issue.line == 15)
    assert reading.unaccounted_lines() == []


@pytest.mark.parametrize("title", ["Mamba:", "Abstract:", "Decision:", "Video Demo", "Code", "Title = Meaning",
                                   # a review of the first rules: each was read as a field or a link
                                   "k = 1", "Code Bib Abs", "PDF Code", "NeurIPS 2023"])
def test_a_title_that_looks_like_a_label_or_a_link_stays_a_title_over_its_abstract(title):
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Reject", title, ABSTRACT_B, "Accept (Poster)"))
    assert [r.title for r in reading.records][0] == "Title One"
    assert len(reading.records) == 2 and reading.records[1].abstract == ABSTRACT_B


@pytest.mark.parametrize("decision, read_as, unknown_tier", [
    ("Accept-Main", ("accept", None), True), ("Accept-Findings", ("accept", None), True),
    ("Accept – Findings", ("accept", None), True), ("Withdrawn by Authors", ("withdrawn", None), False),
    ("Withdrawn by the authors", ("withdrawn", None), False), ("Withdrawn by PCs", ("withdrawn", None), False),
    # A track and its tier; who rejected or withdrew, in brackets or not (the last review).
    ("Accept-Main (Oral)", ("accept", "oral"), False), ("Accept-Findings (Poster)", ("accept", "poster"), False),
    ("Accept: Findings (Spotlight)", ("accept", "spotlight"), False), ("Accept – Main (Poster)", ("accept", "poster"), False),
    ("Accept-Main (Workshop)", ("accept", None), True), ("Desk Rejected by PCs", ("desk_reject", None), False),
    ("Desk Reject by Program Chairs", ("desk_reject", None), False), ("Withdrawn (by authors)", ("withdrawn", None), False),
    ("Withdrawn (Authors)", ("withdrawn", None), False), ("Rejected by the Senior Area Chairs", ("reject", None), False),
    ("Reject (by PCs)", ("reject", None), False), ("Withdrawn Submission by Authors", ("withdrawn", None), False),
    # Square brackets, dashes between, a colon before who, a reason in brackets (review of the first rule).
    ("Accept-Main [Oral]", ("accept", "oral"), False), ("Accept - Main - Spotlight", ("accept", "spotlight"), False),
    ("Withdrawn: by authors", ("withdrawn", None), False), ("Withdrawn (by Author Request)", ("withdrawn", None), False),
    ("Desk Rejected (Formatting)", ("desk_reject", None), False),
    ("Withdrawn (Duplicate Submission)", ("withdrawn", None), False),
    # Reasons with commas or full stops, square brackets, a colon or dash before who or why, a
    # track of two words (review of the second rule).
    ("Desk Rejected (Anonymity, Page Limit)", ("desk_reject", None), False),
    ("Desk Rejected (Dual Submission.)", ("desk_reject", None), False), ("Withdrawn [by authors]", ("withdrawn", None), False),
    ("Desk Rejected [Formatting]", ("desk_reject", None), False), ("Withdrawn: Authors", ("withdrawn", None), False),
    ("Withdrawn - by authors", ("withdrawn", None), False), ("Withdrawn – by authors", ("withdrawn", None), False),
    ("Desk Rejected — by PCs", ("desk_reject", None), False), ("Withdrawn – Authors", ("withdrawn", None), False),
    ("Accept - Main Track - Oral", ("accept", "oral"), False)])
def test_other_venues_decisions_keep_their_text(decision, read_as, unknown_tier):
    # EMNLP 2023's decisions on OpenReview: each was an unknown decision, its text only in an
    # issue's message, and the paper's decision unknown (review).
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, decision, "Title Two", ABSTRACT_B))
    assert [(r.title, r.decision) for r in reading.records] == [("Title One", decision), ("Title Two", None)]
    assert normalise_decision(decision) == read_as
    assert [issue.code for issue in reading.issues] == (["unknown_decision_tier"] if unknown_tier else [])


@pytest.mark.parametrize("line", ["Accept-Reject", "Accept-Reject Sampling", "Conditional Accept", "Accept-2024",
                                  "Accept-Reject (Oral)", "Accept-Main (Everything)", "Accept: Main (Oral",
                                  "Accept (Oral, Main)", "Reject by Reviewers", "Accept Main (Oral)",
                                  "Accept - Main - Everything", "Accept-Reject - Oral", "Reject (Almost)",
                                  "Withdrawn (" + "x" * 41 + ")", "Reject: A Study of Rejection", "Reject, Again",
                                  "Withdrawn: A Study of Retractions in Machine Learning Venues",
                                  # A reason after a colon is a title's ("Withdrawn: A Memoir": review of the third rule).
                                  "Withdrawn: A Memoir", "Desk Rejected: Lessons Learned"])
def test_a_dash_before_a_decision_word_several_words_or_a_number_is_no_track(line):
    assert normalise_decision(line) is None


def test_a_labelled_abstracts_second_paragraph_before_the_entrys_fields_is_its_abstract():
    # An OpenReview forum's abstract in two paragraphs, then the entry's fields: the second was an
    # untitled paper, unreported (review).
    second = "We use the simulator to train both high-level policies and low-level controllers, which transfer to real robots."
    for lines, decision in ((["Title One", "Alice Smith, Bob Jones, Carol White", "ICLR 2024 oral", "Readers: Everyone",
                              "Abstract: " + ABSTRACT_A, second, "Primary Area: generative models", "Title Two", ABSTRACT_B],
                             "ICLR 2024 oral"),
                            (["Title One", "Abstract: " + ABSTRACT_A, second, "Keywords: simulators"], None),
                            (["Title One", "Abstract: " + ABSTRACT_A, second], None)):
        reading = read_review_listing(review_text(*lines))
        first = reading.records[0]
        assert (first.title, first.abstract, first.decision) == ("Title One", ABSTRACT_A + "\n" + second, decision), lines
        assert len(reading.records) == (2 if "Title Two" in lines else 1)
        assert "abstract_continued" in [issue.code for issue in reading.issues]
        assert reading.unaccounted_lines() == []
    # Not an abstract with no label, nor one with a decision after it: the form cannot tell an untitled paper.
    for lines in (["Title One", ABSTRACT_A, second, "Keywords: simulators"],
                  ["Title One", "Abstract: " + ABSTRACT_A, second, "Reject"]):
        reading = read_review_listing(review_text(*lines))
        assert [r.abstract for r in reading.records] == [ABSTRACT_A, second], lines


def test_an_abstract_cut_before_its_full_stop_with_a_sentence_inside_is_the_titles_abstract():
    # Cut mid-file, 21 words with a sentence's end inside: it was the title of the abstract after
    # it, and its own title had none (review).
    cut = ("Long-horizon manipulation requires composing skills. We discover modular skills from play data and compose "
           "them with a learned plan")
    reading = read_review_listing(review_text("Title One", cut, "Title Two", ABSTRACT_B, "Reject"))
    assert [(r.title, r.abstract, r.decision) for r in reading.records] == [
        ("Title One", cut, None), ("Title Two", ABSTRACT_B, "Reject")]
    assert reading.issues == []
    # A title in Title Case with a full stop inside, or a short line, stays a title.
    for title in ("Deep Learning Is Not All You Need. A Study of Gradient Boosted Trees on Tabular Data Sets",
                  "It works. We think so", "Is Attention Interpretable? An Analysis of Attention Weights in Neural Models"):
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, title, ABSTRACT_B))
        assert [r.title for r in reading.records] == ["Title One", title], title


def test_titles_like_labels_venues_or_glued_decisions_stay_titles_where_a_decision_follows():
    # A review of the first rules for labels, venue headings and glued decisions: in a listing
    # without abstracts, "DreamFusion:" over the rest of its title and a decision was dropped as a
    # label and its value, "COLM 2024" over a decision was a heading, and a glued decision after a
    # decided paper was named nowhere.
    reading = read_review_listing(review_text("Deep Learning", "Accept (Oral)", "DreamFusion:", "Text-to-3D using 2D Diffusion",
                                              "Accept (Poster)", "COLM 2024", "Accept (Poster)"))
    assert [(r.title, r.decision) for r in reading.records] == [
        ("Deep Learning", "Accept (Oral)"), ("DreamFusion:", None), ("Text-to-3D using 2D Diffusion", "Accept (Poster)"),
        ("COLM 2024", "Accept (Poster)")]
    assert {issue.code for issue in reading.issues} == {"missing_abstract"}
    reading = read_review_listing(review_text("Mamba:", "Linear-Time Sequence Modeling with Selective State Spaces",
                                              "Albert Gu, Tri Dao, Carol White", ABSTRACT_A))
    assert [r.title for r in reading.records][:1] == ["Mamba:"]
    for glued, named in (("Accept: notable-top-5%Grokking", True), ("Accept: posterLoRA: Low-Rank Adaptation", True),
                         ("Reject3D Gaussian Splatting", True), ("RejectCLIP Models Are Fine", True),
                         ("RejectNet for Open-Set Recognition", False), ("RejectBench - A Benchmark for Refusals", False)):
        reading = read_review_listing(review_text("Title One", ABSTRACT_A, "Accept (Oral)", glued, ABSTRACT_B, "Reject"))
        assert [(r.title, r.decision) for r in reading.records] == [("Title One", "Accept (Oral)"), (glued, "Reject")], glued
        assert ([issue.code for issue in reading.issues] == ["decision_in_title"]) == named, glued


SENTENCE_CASE_TITLE = ("Do language models know when they are hallucinating references? Evidence from fabricated citations "
                       "in scientific writing tasks")


def test_rules_of_this_sessions_review_keep_the_titles_and_headings_read_before():
    # A review of the second round of rules: a title quoting a sentence was read as the abstract
    # of the line above (and that line a title); a venue heading over a title and its authors,
    # links, or a listing without abstracts was a paper; a label alone over an empty label, or
    # the last of a volume's details, was a paper.
    reading = read_review_listing(review_text("Paper Alpha", SENTENCE_CASE_TITLE, ABSTRACT_B, "Reject"))
    assert [(r.title, r.abstract) for r in reading.records] == [("Paper Alpha", None), (SENTENCE_CASE_TITLE, ABSTRACT_B)]
    for lines in (["ICLR 2024", SENTENCE_CASE_TITLE, ABSTRACT_B, "Accept (Poster)"],
                  ["ICLR 2024", "Title One", "Alice Smith, Bob Jones, Carol White", ABSTRACT_A],
                  ["ICLR 2024", "Title One", "[PDF] [Code]", ABSTRACT_A],
                  ["ICLR 2024", "Title One", "Accept (Poster)", "Title Two", "Reject"],
                  ["Title One", ABSTRACT_A, "Reject", "ICLR 2024"]):
        reading = read_review_listing(review_text(*lines))
        assert "ICLR 2024" not in [r.title for r in reading.records], lines
        assert (lines.index("ICLR 2024") + 1, "stray_line") in [(issue.line, issue.code) for issue in reading.issues], lines
    for lines, titles in ((["SIG:", "Publisher:", "Title One", ABSTRACT_A], ["Title One"]),
                          (["Anthology ID:", "2024.acl-long", "Month:", "August", "Year:", "2024", "Title One", ABSTRACT_A],
                           ["Title One"]),
                          (["Title Zero", ABSTRACT_C, "Accept (Poster)", "Month:", "August"], ["Title Zero"])):
        reading = read_review_listing(review_text(*lines))
        assert [r.title for r in reading.records] == titles, lines
    # A title wrapped after its colon over links, or over another wrapped title, keeps its first half.
    reading = read_review_listing(review_text("Mamba:", "Linear-Time Sequence Modeling with Selective State Spaces",
                                              "[PDF] [Code]", ABSTRACT_A, "Accept (Oral)"))
    assert "Mamba:" in [r.title for r in reading.records]


def test_a_sentence_case_title_with_a_sentence_inside_stays_a_title_on_a_page():
    from listing_texts import hf_page

    from papers_db.readers.hf_daily import read_hf_daily_page

    reading = read_hf_daily_page(hf_page(["Title One", "", ABSTRACT_A],
                                         [SENTENCE_CASE_TITLE, "", ABSTRACT_B, "", "  • 3 authors", "·", "Nov 11 3"]),
                                 "2025-11-12")
    assert [(r.title, r.authors_count) for r in reading.records] == [("Title One", None), (SENTENCE_CASE_TITLE, 3)]


@pytest.mark.parametrize("award", ["Outstanding Paper", "Best Paper Award", "Outstanding Paper Award, Honorable Mention",
                                   "Honorable Mention", "Best Student Paper", "Test of Time Award", "🏆 Best Paper",
                                   "SAC Highlights"])
def test_an_award_under_a_title_or_its_decision_is_no_paper(award):
    # "Outstanding Paper" under a paper's decision was a paper without an abstract (noticed in the
    # fifty-fourth session's review of other sites' listings); between a title and its abstract it
    # took the abstract.
    for lines in (["Title One", ABSTRACT_A, "Accept (Oral)", award, "Title Two", ABSTRACT_B],
                  ["Title One", award, ABSTRACT_A, "Title Two", ABSTRACT_B]):
        reading = read_review_listing(review_text(*lines))
        assert [(r.title, r.abstract) for r in reading.records] == [("Title One", ABSTRACT_A), ("Title Two", ABSTRACT_B)], lines
        assert [(issue.line, issue.code) for issue in reading.issues] == [(lines.index(award) + 1, "unread_field")]
    # With its abstract after it, and no title waiting for one, it is a title.
    reading = read_review_listing(review_text("Title One", ABSTRACT_A, award, ABSTRACT_B))
    assert [r.title for r in reading.records] == ["Title One", award]


@pytest.mark.parametrize("authors", ["Alice Smith · Bob Jones", "Alice Smith & Bob Jones", "Alice Smith | Bob Jones",
                                     "Mausam | Bob Jones | Carol White", "Bob Jones · Mausam · Carol White",
                                     "Alice Smith; Bob Jones"])
def test_names_a_site_separates_under_a_title_are_its_authors(authors):
    # Two names, or one of a single word among others, separated as a conference site or the ACL
    # Anthology separates them: each took the abstract as a title of its own (noticed in the
    # fifty-second and fifty-fourth sessions' reviews).
    reading = read_review_listing(review_text("Title One", authors, ABSTRACT_A, "Title Two", ABSTRACT_B))
    assert [(r.title, r.abstract) for r in reading.records] == [("Title One", ABSTRACT_A), ("Title Two", ABSTRACT_B)]
    assert [(issue.line, issue.code) for issue in reading.issues] == [(2, "unread_field")]


@pytest.mark.parametrize("title", ["Neural Networks & Deep Learning", "Pride & Prejudice", "Alice Smith, Bob Jones",
                                   "Mausam & Bob Jones", "Vision | Language | Action", "Theory & Practice · Methods"])
def test_a_title_separated_so_but_not_as_names_are_stays_a_title(title):
    # Title words, one-word names on both sides, or names separated by a comma alone: as before.
    reading = read_review_listing(review_text("Title One", title, ABSTRACT_A))
    assert [(r.title, r.abstract) for r in reading.records] == [("Title One", None), (title, ABSTRACT_A)]
