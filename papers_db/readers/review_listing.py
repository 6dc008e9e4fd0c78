"""Reader for review listings (OpenReview style): text in, records and parse issues out."""

from __future__ import annotations

import re

from ..decisions import (
    GLUED_DECISION,
    is_accept_colon_in_other_words,
    is_badge,
    is_bare_badge,
    is_decision,
    is_decision_label_alone,
    is_submission_venue,
    is_unknown_accept_tier,
    is_venue_heading,
    is_venue_line,
    is_written_otherwise,
    names_a_tier,
    unwrapped,
)
from ..records import ParseIssue, Reading, Record
from .text import (
    ABSTRACT_LABEL_IN_LINE,
    FULL_STOPS,
    SENTENCE_END,
    SHORT_YEAR,
    VENUE,
    abstract_follows,
    add_to_abstract,
    check_tail,
    continues_title,
    continues_wrapped_title,
    cut_off_abstract,
    finish_record,
    has_sentences_inside,
    in_title_case,
    is_abstract_label,
    is_link_line,
    is_never_a_title,
    is_placeholder_abstract,
    is_separator_line,
    looks_like_abstract,
    plain_line,
    quoted,
    reads_as_title,
    report_placeholder_abstract,
    report_title_ending_like_a_sentence,
    report_wrapped_title,
    split_blank_lines,
    text_lines,
    without_abstract_label,
    word_count,
    words_as_read,
)

REVIEW_LISTING = "review_listing"


def read_review_listing(text: str, ends_mid_line: bool = False) -> Reading:
    """Read a review listing: `title`, `abstract`, optional `decision`, one field per line.

    Records without a title (abstract alone), a bare label line at the top of the file, and
    titles that begin with a decision word are handled; a decision must be the whole line.
    `ends_mid_line`: the file had no line break after its last line (text.ends_mid_line).
    """
    lines = text_lines(text)
    reading = Reading(format=REVIEW_LISTING, line_count=len(lines))
    content, blank = split_blank_lines(enumerate(lines, start=1))
    reading.other_lines.update((n, "blank") for n in blank)

    if "\t" in text:  # most listings hold none: no line is looked at
        report_tabs_inside_lines(content, reading)
    if _starts_with_label(content):
        reading.other_lines[content[0][0]] = "label"
        content = content[1:]

    current: Record | None = None
    decided_first: Record | None = None  # a record whose decision came before its abstract
    field_value_line: int | None = None  # the line under a field's label alone ("Keywords:"), its value
    under_a_label = False  # the line before was a decision's label alone, this line a decision
    labelled_abstract: Record | None = None  # the last record whose abstract's line opened "Abstract:"
    in_tabs = False  # the line before was one of a page's tabs (is_tab_of_a_page)

    def close(why: str | None = None) -> None:
        if current is not None:
            finish_record(current, reading, why)

    for index, (number, line) in enumerate(content):
        following = content[index + 1][1] if index + 1 < len(content) else None
        after_following = content[index + 2][1] if index + 2 < len(content) else None
        badge = False  # a site's badge between a title and its abstract (badge_over_its_abstract)
        cut = (ends_mid_line and number == len(lines) and cut_off_abstract(line)
               and not is_decision(line) and not reads_like_a_decision(line))  # "Accepted" was an abstract
        title_pending = current is not None and current.title is not None and current.abstract is None and current.decision is None
        awaiting_abstract = current is not None and current is decided_first and current.abstract is None
        labelled, under_a_label = under_a_label, False
        in_tabs, tabs_before = False, in_tabs
        if number == field_value_line:
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} under the field's label on "
                                             "the line before: its value, not read as a title, abstract or decision"))
        elif is_separator_line(line, following):
            # "***", "=====", "---" or "🔥🔥🔥" between records was a paper of that title (three made one
            # paper of three listings), or the end of the title after it. A symbol ("∇") with an
            # abstract after it is a title, as on a Hugging Face page.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(line.strip())} has no letter or digit: "
                                             "no title, abstract or decision, read as a separator copied with the listing"))
        elif (field := other_field(line)) and (title_pending or awaiting_abstract or not abstract_follows(following)
                                               or is_label_alone(line)  # "Meta Review:" alone was a title
                                               or (following is not None and other_field(following) is not None
                                                   and not abstract_follows(after_following))):
            # "TL;DR: ...", "Keywords: ..." from an OpenReview page: the TL;DR took the abstract's place
            # (the abstract became an untitled paper that took the decision), a keywords line a title's.
            # Where a title goes, with its abstract after it, it is a title: "TLDR: Extreme Summarization
            # of Scientific Documents", "PDF: Point Diffusion Implicit Function ...". Not with a field
            # after it, a sentence as its value ("Keywords: x", "TL;DR: We ...", or "Anonymous Url: I
            # certify ...", the first of a forum's fields after its abstract: each was a paper, review),
            # unless an abstract follows that field: "PDF: Point ..." over its TL;DR and abstract is a title.
            reading.issues.append(ParseIssue(number, "unread_field", f"a {quoted(field)} line, a field this reader "
                                             "does not keep: not read as a title, abstract or decision"))
            if is_label_alone(line) and value_follows(content, index + 1, title_pending or awaiting_abstract):
                field_value_line = content[index + 1][0]
        elif is_bibtex_line(line) and (title_pending or awaiting_abstract or not abstract_follows(following)):
            # A paper's BibTeX, shown on a CVF or PMLR page and copied with it: each line was a paper (review).
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} reads as a line of a "
                                             "paper's BibTeX entry, a field this reader does not keep: not read as a "
                                             "title, abstract or decision"))
        elif is_link_line(line) and (title_pending or awaiting_abstract or not abstract_follows(following)
                                     or is_never_a_title(line)):
            # "Download PDF", "Show details", "GitHub" or a bare link, copied with a site's listing: as a
            # title it took the decision after it, and three made one paper of three listings (review).
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(line.strip())} reads as a link or button of "
                                             "the page the listing was copied from: not read as a title"))
        elif len(line) <= AWARD_CHARACTERS and is_award_line(line) and (
                title_pending or awaiting_abstract or not abstract_follows(following)):
            # "Outstanding Paper", "Best Paper Award" under a title or its decision: a paper of that title
            # without an abstract (noticed in the fifty-fourth session's review of other sites' listings).
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} names an award the paper "
                                             "won, a field this reader does not keep: not read as a title or decision"))
        elif is_submission_venue(line) and (title_pending or awaiting_abstract or not abstract_follows(following)):
            # OpenReview's venue line for a paper not (or not yet) accepted: as a title it took the
            # next paper's abstract, and under a title (a forum's layout) the abstract went to it.
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} names the venue the paper "
                                             "was submitted to, not a decision: not read as a title, and the paper's "
                                             "decision stays unknown"))
        elif (title_pending and current.last_line == number - 1 and abstract_follows(following)
              and (not is_decision(line) or is_venue_line(line)) and not reads_like_a_decision(line)
              and continues_wrapped_title(current.title, line)):
            # A venue line can end a title: "Findings of the" / "COLM 2024" (found by review).
            report_wrapped_title(number, current, line, reading, *first_word_as_label(content, current))
        elif (title_pending or awaiting_abstract) and is_author_list(line):
            # Right after a title, "Alice Smith (MIT), Bob Jones (Stanford)" took the abstract as a
            # title of its own, and the real title was left without one.
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} reads as the paper's authors, "
                                             "a field this reader does not keep: not read as a title"))
        elif (title_pending or awaiting_abstract) and is_citation(line):
            # PMLR's listing: the authors, then "; Proceedings of ..., PMLR 202:1234-1245, 2023."
            # under each title: a paper of its own (review).
            reading.issues.append(ParseIssue(number, "unread_field", f"{quoted(line.strip())} reads as the paper's authors "
                                             "and where it was published, a field this reader does not keep: not read as "
                                             "a title"))
        elif ((title_pending or awaiting_abstract) and current.abstract is None
              and is_abstract_label(line, following)):
            # Only right after a title, or a forum's venue line and fields: elsewhere "Abstract" may
            # be a paper's title (a record without a title is allowed), and the form cannot tell which.
            reading.other_lines[number] = "label"
        elif ((tabs_before or len(line) <= TAB_CHARACTERS) and not labelled
              and is_tab_of_a_page(line, following, after_following, tabs_before, current)):
            # OpenReview's venue page: its tabs "Accept (oral)", "Accept (spotlight)", "Accept (poster)",
            # "Reject", "Withdrawn Submissions" under the page's text. The first was the decision of
            # the line above ("Submission Start: …", an oral paper), the others papers (review).
            in_tabs = True
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(line.strip())} reads as a tab of the page the "
                                             "listing was copied from, among others: no paper's decision or title"))
        elif is_decision_label_alone(line) and following is not None and is_decision(following):
            # "Decision:" over its decision (DECISION_LABEL_ALONE): the line under it is a decision
            # wherever it stands, even a badge with an abstract after it (review of the first rule).
            reading.other_lines[number] = "label"
            under_a_label = True
        elif (forum_venue := title_pending and is_decision(line) and (
                labelled_abstract_follows(content, index + 1) or (badge := badge_over_its_abstract(content, index, current))
        )) or labelled or is_decision_where_it_stands(line, following):
            if current is None or current.decision is not None:
                # With an abstract after it, the line may be that abstract's title (SOURCES.md warns
                # of titles that are decision words): the message says so.
                maybe_title = (": were it the title of the abstract after it, that paper is read without one"
                               if abstract_follows(following) else "")
                reading.issues.append(
                    ParseIssue(number, "orphan_decision", f"decision {quoted(line)} follows no paper{maybe_title}")
                )
                continue
            current.decision = line.strip()
            current.last_line = number
            if forum_venue and badge:
                reading.issues.append(ParseIssue(number, "badge_before_abstract", f"{quoted(line.strip())} between the "
                                                 "title and its abstract: read as the paper's decision, a conference "
                                                 "site's badge (were it the title of the abstract below, the paper above "
                                                 "has no abstract)"))
            if is_poster_beside_links(line, content[index - 1][1] if index else None, following, after_following):
                reading.issues.append(ParseIssue(number, "badge_among_links", f"{quoted(line.strip())} beside the page's "
                                                 "links (such as 'PDF' or '[Code]'): read as the paper's decision (were "
                                                 "it a link to the paper's poster, the paper has no decision)"))
            if is_unknown_accept_tier(current.decision):
                reading.issues.append(
                    ParseIssue(number, "unknown_decision_tier", f"tier of {quoted(line)} is not known")
                )
            if forum_venue:
                # An OpenReview forum prints the venue ("ICLR 2024 poster") under the title, then
                # fields and "Abstract: ...": the abstract was an untitled paper, the title had none.
                decided_first = current
                continue
            close()
            current = None
        elif (current is not None and current.abstract is None and current.decision is None
              and is_placeholder_abstract(line)):
            report_placeholder_abstract(number, line, current, reading)
        elif (current is not None and current.abstract is not None and current.decision is None
              and reads_like_a_decision(line)
              and not abstract_follows(following) and not (following is not None and is_decision(following))):
            # Where a decision goes, and no title: no abstract follows it ("Accepted", "Accept (Pos"
            # at the end of a file, "Decision: Reject") made papers of their own.
            reading.issues.append(ParseIssue(
                number, "unknown_decision",
                f"{quoted(line.strip())} reads like a decision but is none this reader knows "
                "(such as 'Accept (Poster)', 'Reject', 'Withdrawn'); not read as a paper"))
            close()
            current = None
        elif awaiting_abstract and continues_title(line):
            current.abstract = without_abstract_label(line)
            current.last_line = number
            if is_labelled_abstract(line):
                labelled_abstract = current
            close()
            current = decided_first = None
        elif (current is not None and current.abstract is None and current.decision is None and not reads_as_title(line)
              and ((prose := continues_title(line) or (has_sentences_inside(line) and not abstract_follows(following)))
                   or is_short_abstract(line, following) or cut)):
            if not prose and not (cut and not line.rstrip().endswith(SENTENCE_END)):  # check_tail reports a cut
                # Read as an abstract by its place alone: it may instead be a title whose abstract
                # is missing, so the reading is reported either way.
                reading.issues.append(ParseIssue(
                    number, "short_abstract",
                    f"{quoted(line.strip())} is short for an abstract: read as the abstract of the title before it "
                    "(were it a title, both papers' abstracts would be missing)"))
            current.abstract = without_abstract_label(line)
            current.last_line = number
            if is_labelled_abstract(line):
                labelled_abstract = current
            report_joined_to_abstract(number, line, following, reading)
        elif current is not None and current.decision is None and is_abstract_again(current, line):
            # Copied twice, the second was an untitled paper that took the decision from its title's.
            reading.issues.append(ParseIssue(number, "repeated_abstract", "the abstract just before, again: read once, "
                                             "as that paper's"))
            current.last_line = number
        elif continues_abstract(current, number, line, following):
            # An abstract broken over two lines: the second half was an untitled paper that took
            # the decision (found by review).
            add_to_abstract(current, number, line, reading, "abstract_continued", (
                "a line that goes on with the abstract just before it (which stops mid-sentence; this line opens in "
                "lower case): read as that abstract's next line (were it a paper of its own, or the next paper's title, "
                "that paper is in this one)"))
            report_joined_to_abstract(number, line, following, reading)
        elif (labelled_abstract is not None and labelled_abstract.last_line == number - 1  # no decision after it
              and (following is None or other_field(following) is not None)
              and looks_like_abstract(line) and not reads_as_title(line)):
            # A forum's abstract in paragraphs: "Abstract: …", a second paragraph, then the entry's
            # fields ("Primary Area: …"). The second was an untitled paper, unreported (review).
            add_to_abstract(labelled_abstract, number, line, reading, "abstract_continued", (
                "a paragraph right after a labelled abstract, with the entry's fields after it: read as that "
                "abstract's next paragraph (were it a paper of its own, it has no title)"))
        elif looks_like_abstract(line) and not reads_as_title(line):
            close()
            current = Record(line=number, last_line=number, abstract=without_abstract_label(line))
            report_joined_to_abstract(number, line, following, reading)
        elif (not title_pending and not awaiting_abstract and is_venue_heading(line)
              and not abstract_follows(following) and heads_what_follows(following, after_following)):
            close()
            current = None
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(line.strip())} names a venue and its year, "
                                             "with no abstract after it: read as a heading of the page the listing was "
                                             "copied from, not a paper"))
        elif current is None and is_placeholder_abstract(line) and not abstract_follows(following):
            # Where a title goes, a placeholder with a decision after it ("No abstract available",
            # "Accept (Oral)", its title lost) was an oral paper titled "No abstract available" (review).
            reading.issues.append(ParseIssue(number, "placeholder_abstract", f"{quoted(line.strip())} where a title "
                                             "goes: a placeholder for an abstract, no paper's title; no paper is read "
                                             "from it"))
        else:
            undecided_before = current is not None and current.abstract is not None and current.decision is None
            # A title alone right above, and an abstract after this line: this line may instead be
            # that paper's authors or another field ("Yoshua Bengio" took the abstract and decision).
            close(TITLE_THEN_TITLE if is_title_alone_above(current, number) and abstract_follows(following) else None)
            current = Record(line=number, last_line=number, title=line.strip())
            if may_be_authors(line) and abstract_follows(following) and is_author_list(line):
                # Where a title goes, no title above: the paper's title was lost, or joined to the
                # line before (a paper titled "Wei Zhang, Li Na, Carol White", unreported: review).
                reading.issues.append(ParseIssue(number, "authors_as_title", f"{quoted(line.strip())} reads as a paper's "
                                                 "authors, with no title above it: read as the title of the abstract "
                                                 "after it (its own title is lost, or joined to a line before)"))
            report_title_ending_like_a_sentence(number, line, reading)
            named = len(reading.issues)
            report_decision_at_end_of_title(number, line, reading)
            # A decision glued to the title is named whatever the record before holds; the others after an undecided one.
            if not report_glued_decision(number, line, reading) and undecided_before:
                report_decision_at_start(number, line, reading) or report_decision_like_title(number, line, reading)
            if len(reading.issues) == named:  # "Title | Accept (Oral)" is named once, not for its "(Oral)" too
                report_bracketed_decision(number, line, reading)
    close()
    report_decisions_before_titles(content, reading)
    check_tail(reading)
    return reading


# What a tab comes before, as a row's next column opens: a capital, a digit or a bracket: "Title<TAB>We propose
# ...<TAB>Accept (Poster)". Not one for a space inside a sentence, as a copy may hold ("We<TAB>study").
COLUMN_START = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789([\"")


def shows_columns(line: str) -> bool:
    """Whether a tab inside the line comes before a column's start (COLUMN_START), spaces and
    other tabs between them. Split, not searched for: a regular expression tried each tab of a
    run as a start, and a line of 100,000 tabs took 42 s (review)."""
    return any(part.lstrip(" \t").startswith(COLUMN_START) for part in line.split("\t")[1:])


def report_tabs_inside_lines(content: list[tuple[int, str]], reading: Reading) -> None:
    """Each line with a tab inside it where a column would start (COLUMN_START), named: rows pasted
    from a spreadsheet ("title<TAB>abstract<TAB>decision") read as one field each, titles inside
    abstracts and two rows' fields one paper's, with no issue (review). A listing has one field a
    line; the reading stays, the layout is named."""
    for number, line in content:
        if "\t" in line and shows_columns(line.strip()):
            reading.issues.append(ParseIssue(number, "tab_in_line", "a tab inside the line, as between a table's "
                                             "columns (a title, its abstract and its decision in one row?): read as "
                                             "one field of a listing, which has one a line"))


# Fields an OpenReview page (or a conference site) prints beside a paper's title, abstract and
# decision, each a label and a colon at the start of its line. Only labels no title opens with.
OTHER_FIELD = re.compile(  # matched from the line's start, spaces included: asked of every line, abstracts too
    r"\s*(tl ?; ?dr|tldr|keywords|primary area|secondary area|subject areas?|research area|submission number|paper number"
    r"|venue(?: ?id)?|authors?|author ?ids|affiliations?|supplementary material|pdf|track|submission track"
    r"|one-sentence summary|code of ethics|submission guidelines|reciprocal reviewing|anonymous url"
    r"|no acknowledgement section|flagged for ethics review|student author|readers|writers|signatures"
    r"|bibtex|previous venue|latex source code|poster|slides|video|project page|presentation|published|last modified"
    r"|revisions|github|arxiv|website|homepage|comments?|meta ?-?reviews?|recommendation|rating|confidence|scores?"
    # A bibliography's details, as the ACL Anthology prints a volume's, each label alone over its
    # value: "Anthology ID:", "Month:", "URL:" were papers of those titles (review).
    r"|anthology id|month|year|address|publisher|url|doi|sig|editors?|isbn|issn|pages|bibkey"
    r"|bib export formats|cite \((?:acl|informal)\)"
    r") ?:", re.IGNORECASE)
# A review's own fields among them, which an acronym's title may open with in capitals ("CONFIDENCE:
# ...", as "NOTE: Robust Continual Test-time Adaptation" and "CODE: Confident Ordinary Differential
# Editing" do, which "note" and "code" took: review): in capitals, no such field.
REVIEW_FIELDS = frozenset("github arxiv website homepage comment comments recommendation rating confidence score scores"
                          .split())


# A BibTeX entry's first line ("@InProceedings{Liang_2024_CVPR,", or the whole entry on one line)
# and its fields ("title = {…},", "Date-Added = {…}", the ACL Anthology's "month = aug,"); a value
# over several lines opens with "{" and no "}" after it.
BIBTEX_LINE = re.compile(r"\s*(?:@[a-z]+\s*\{[^\s,{}]*,(?:\s*[a-z][\w-]*\s*=.*)?|@[a-z]+\s*\{[^\s,{}]*"
                         r"|[a-z][\w-]*\s*=\s*(?:\{.*|\".*\"|\d+|(?:year|month|volume|number|pages)\b.*|[a-z]{3})\s*,?)\s*",
                         re.IGNORECASE)


def is_bibtex_line(line: str) -> bool:
    head = line[:24]  # asked of every line: no copy of an abstract
    return ("@" in head or "=" in head) and BIBTEX_LINE.fullmatch(line) is not None


def heads_what_follows(following: str | None, after_following: str | None) -> bool:
    """Whether a venue line with no abstract after it heads what follows it. Not over a field or
    authors with an abstract after them, nor over one decision (in a listing without abstracts):
    there it may be a paper's title (reviews of the first rules). Over two decisions in a row (a
    page's tabs), anything else, or at the file's end, a heading."""
    if following is None:
        return True
    if is_decision(following):
        return after_following is not None and is_decision(after_following)
    return not ((other_field(following) is not None or is_author_list(following)) and abstract_follows(after_following))


def is_label_alone(line: str) -> bool:
    """A field line that is its label alone ("Keywords:"): its value is on the next line."""
    field = OTHER_FIELD.match(line)
    return field is not None and not line[field.end():].strip()


def value_follows(content: list[tuple[int, str]], start: int, title_pending: bool) -> bool:
    """Whether the line at `start`, under a field's label alone, is that field's value: "Keywords:"
    then "graph neural networks, chemistry" made the value a title (review). Not a line that is a
    field, label or decision itself; where a title waits for its abstract, not an abstract with no
    other after it (the field was empty); elsewhere not a title, nor a line with an abstract after
    it: that is the next paper's title, the field left empty."""
    if start >= len(content):
        return False
    value = content[start][1]
    after = content[start + 1][1] if start + 1 < len(content) else None
    if other_field(value) or is_decision(value) or is_abstract_label(value, after) or ABSTRACT_LABEL_IN_LINE.match(value):
        return False
    if title_pending:
        # Not an abstract with no abstract after it: "Supplementary Material:" empty, then the
        # title's abstract and its decision, lost the abstract as the field's value (review).
        return not looks_like_abstract(value) or abstract_follows(after)
    return not abstract_follows(after) and not reads_as_title(value)




def continues_abstract(record: Record | None, number: int, line: str, following: str | None) -> bool:
    """Whether the line, right after an undecided record's abstract, is more of that abstract: its
    first letter in lower case (after any LaTeX, bracket or quote), and the abstract stopping in the
    middle of a sentence (at a comma, semicolon or dash, or after a word no sentence ends with: "the",
    "and", "of"...), or the line opening with a word that goes on with one ("and", "which",
    "that,"...). Not a line with an abstract after it that opens a sentence: that line is a title.
    An abstract that only stops without a full stop ("... is available at", its link lost: 9 of
    001's 100) is no such break: a lower-case title (`wav2vec-style pretraining ...`) or an untitled
    paper's abstract after it stays its own."""
    if record is None or record.abstract is None or record.decision is not None or record.last_line != number - 1:
        return False
    first_letter = next((character for character in line if character.isalpha()), "")
    if not first_letter.islower() or reads_as_title(line):
        return False
    if abstract_follows(following) and not following.lstrip()[:1].islower():  # a title, over its abstract
        return False
    first_word = line.split(maxsplit=1)[0].strip(WORD_PUNCTUATION)
    abstract = record.abstract.rstrip()
    last_word = abstract.rsplit(maxsplit=1)[-1] if abstract else ""
    if not (abstract.endswith(BROKEN_SENTENCE_ENDS) or last_word in UNFINISHED_ENDINGS or first_word in CONTINUING_WORDS):
        return False
    # A part of a sentence, in a line broken more than once, may be shorter than an abstract; a
    # title opening in lower case ("k-means for streams") is rarely this long.
    return looks_like_abstract(line) or word_count(line, CONTINUED_LINE_WORDS) >= CONTINUED_LINE_WORDS


CONTINUED_LINE_WORDS = 8
# Not a colon: "Code is available at:" ends 3 of 001's abstracts, its link lost.
BROKEN_SENTENCE_ENDS = (",", ";", "-", "–", "—")
CONTINUING_WORDS = frozenset("""and or but nor which that whose where while whereas with without of in on for to as by
    from than so yet thus using via into""".split())
# Words no sentence ends with, before a link or not: not "at", "in", "to" or "here", which "Code is
# available at" (or "in", "here:") ends with, its link lost.
UNFINISHED_ENDINGS = frozenset("the a an and or but nor of which that whose with without than from by called".split())
WORD_PUNCTUATION = ",;:.!?\"'()[]{}"


def is_decision_where_it_stands(line: str, following: str | None) -> bool:
    """Whether a decision line is the decision of the record before it. "Accept: Learning When to
    Say Yes" or "Spotlight" with its abstract after it is a title: as a decision it made the
    paper before accepted, and the paper after it lost its title. So is a badge alone with a
    decision after it ("Spotlight", then "Reject")."""
    if not is_decision(line):
        return False
    if abstract_follows(following) and (is_accept_colon_in_other_words(line) or is_badge(line)
                                        or is_written_otherwise(line)):
        return False  # "Decision: Accept (Poster)" or "Reject." before an abstract: its title (report_decision_like_title)
    return not (is_bare_badge(line) and following is not None and is_decision(following))


def badge_over_its_abstract(content: list[tuple[int, str]], index: int, record: Record) -> bool:
    """Whether the line at `index`, right under a title alone, is a conference site's badge over
    that title's abstract ("Title", "[Oral]", its abstract). Read as a title, "[Oral]" took the
    abstract, and the paper above had none. Only where the paper plainly ends with that abstract,
    one line of it with no decision joined to it, at the listing's end or before the next title
    and its abstract: a decision after it (known or not), a second line of the abstract or the
    abstract again made the badge's paper take them or lose them (found by review). Not in a
    listing that opens with a decision, whose decisions may come before their titles
    (report_decisions_before_titles)."""
    number, line = content[index]
    if (record.last_line != number - 1 or not is_badge(line) or index + 1 >= len(content)
            or opens_with_a_decision(content)):
        return False
    abstract = content[index + 1][1]
    if not continues_title(abstract) or decision_at_end(abstract) is not None:
        return False
    if index + 2 == len(content):
        return True
    after = content[index + 2][1]
    then = content[index + 3][1] if index + 3 < len(content) else None
    # The next title's abstract, or its badge and then its abstract (a site that prints a badge
    # under every title: each but the last took its abstract from the title above, found by review).
    return (not is_decision(after) and not reads_like_a_decision(after) and not continues_title(after)
            and then is not None and (continues_title(then) or (
                is_badge(then) and index + 4 < len(content) and continues_title(content[index + 4][1]))))


FORUM_LINES = 8  # between a forum's venue line and its abstract: authors, Readers, Published, Keywords, TL;DR


def labelled_abstract_follows(content: list[tuple[int, str]], start: int) -> bool:
    """Whether, past field lines, buttons and an author list, an abstract comes next that shows it is one
    of a forum's: labelled ("Abstract: ...") or after a field line."""
    seen_field = False
    for place, (_, line) in enumerate(content[start:start + FORUM_LINES], start=start):
        after = content[place + 1][1] if place + 1 < len(content) else None
        if other_field(line) or is_abstract_label(line, after):  # "Abstract" on a line of its own labels the next
            seen_field = True
        elif is_never_a_title(line):
            continue  # a forum's "Hide details" among its fields: the abstract was an untitled paper's (review)
        elif not is_author_list(line):
            # An abstract with its own decision after it is an untitled paper's, labelled or not.
            return (continues_title(line) and (seen_field or ABSTRACT_LABEL_IN_LINE.match(line) is not None)
                    and not (after is not None and is_decision(after)))
    return False


def other_field(line: str) -> str | None:
    """The label of a field line this reader does not keep (OTHER_FIELD), or None."""
    field = OTHER_FIELD.match(line)
    if field is None:
        return None
    label = field.group(1)
    if label.isupper() and (label.casefold() in REVIEW_FIELDS or label.casefold().startswith("meta")):
        return None
    return label


# A list of authors: names of two to four capitalised words, each perhaps with an affiliation in
# brackets, or a footnote's digit or star. Only a list that shows it is one (an affiliation, a
# footnote, or three names or more): "Deep Learning, Reinforcement Learning" may be a title.
# Each word a capital and then no space, comma or bracket, so that a line splits into words in
# one way only: a footnote's digits or star inside the word ("Smith1*"). With them a class of
# their own, a line of 10 names with digits took 440 s to refuse (found by a fuzzed source).
# Names are separated by commas and "and", or by "·", "•", ";", "|" or "&" as other sites write
# them ("Alice Smith · Bob Jones · Carol White" was a title that took the abstract; the ACL
# Anthology's "Yafu Li | Qintong Li | …" of nine names was the abstract, unreported: reviews); or
# written "Last, First; Last, First". No name holds a separator, so a line splits in one way only.
NAME_WORD = r"[A-ZÀ-ÖØ-Þ\u0100-\u017f][^\s,();·•|&]*"
AUTHOR_NAME = rf"{NAME_WORD}(?: {NAME_WORD}){{1,3}}"
AUTHOR = rf"{AUTHOR_NAME}(?: \([^()]{{2,80}}\))?"
AUTHOR_SEPARATOR = re.compile(r", and |, | and | · | • |; | \| | & ")
# OpenReview's authors of a paper under review: "Anonymous Authors" took the abstract as a title of
# its own, and a listing of submissions gave every paper that title (review).
ANONYMOUS_AUTHORS = frozenset({"anonymous", "anonymous author", "anonymous authors", "anonymous author(s)"})
LAST_FIRST = rf"{NAME_WORD}(?: {NAME_WORD})?, {NAME_WORD}(?: {NAME_WORD})?"
AUTHOR_LIST = re.compile(rf"{AUTHOR}(?:(?:{AUTHOR_SEPARATOR.pattern}){AUTHOR})+|{LAST_FIRST}(?:; {LAST_FIRST})+")
AUTHOR_LIST_MAX_CHARACTERS = 600


# Words of titles that no name holds: "Gradient Boosted Trees, Random Forests and Neural Networks".
# Not word endings: "-ming", "-ting" and "-ment" end given names (Jiaming, Yuting, Clement), nor
# words that are names too ("Deep Ganguli", "Forest").
TITLE_WORDS = frozenset("""learning neural network networks model models language languages graph graphs data
    trees forests transformer transformers attention diffusion reinforcement vision knowledge
    generation reasoning optimization training agents benchmark benchmarks retrieval boosted gradient machine
    machines systems methods analysis inference representation representations search robust
    efficient scalable adaptive generative federated multimodal contrastive supervised unsupervised""".split())
# An affiliation in brackets, not an acronym the words before it stand for: "Large Language Models (LLMs)".
# Words each followed by one space, so that they split in one way only (an optional space let a
# long word split into letters in every way).
NAME_AND_BRACKETS = re.compile(r"((?:[^\W\d_][\w'’.-]* )+)\(([^()]*)\)")


# A citation of the paper: "; Proceedings of the …" after its authors, or PMLR's volume and pages.
# No title holds either (a title may open with "Proceedings of", never after a semicolon).
CITATION = re.compile(r"; Proceedings of |\bPMLR \d+:\d+")


def is_citation(line: str) -> bool:
    # The words looked for first, in the line's first CITATION_CHARACTERS: the pattern searched in
    # every abstract made reading 65% slower.
    return (line.find("; Proceedings of ", 0, CITATION_CHARACTERS) >= 0 or line.find("PMLR ", 0, CITATION_CHARACTERS) >= 0
            ) and CITATION.search(line, 0, CITATION_CHARACTERS) is not None


CITATION_CHARACTERS = 600  # authors and proceedings: "…; Proceedings of …" opens well within it


# A paper's award as a conference's or the ACL Anthology's page prints it under the title or decision.
AWARD_LINE = re.compile(r"(?:🏆 ?)?(?:(?:outstanding|best|distinguished) (?:student |short |long |theme |resource )?paper"
                        r"(?: award)?(?:,? (?:honou?rable mention|runner[- ]up|finalist))?|honou?rable mention"
                        r"|test[- ]of[- ]time(?: paper)?(?: award)?|(?:senior area chair|sac) highlights?)", re.IGNORECASE)
AWARD_CHARACTERS = 60


def is_award_line(line: str) -> bool:
    return len(line) <= AWARD_CHARACTERS and AWARD_LINE.fullmatch(line.strip()) is not None


# A venue page's tabs of submissions that name no decision of their own: "Withdrawn Submissions",
# "Desk Rejected Submissions", "Active Submissions".
SUBMISSIONS_TAB = re.compile(r"\s*(?:withdrawn|desk[ -]rejected|rejected|accepted|active|all) submissions\s*", re.IGNORECASE)


TAB_CHARACTERS = 60  # "Decision: Accept (Oral presentation)" is 36


def is_tab_of_a_page(line: str, following: str | None, after_following: str | None, tabs_before: bool,
                     current: Record | None) -> bool:
    """Whether a line is one of a page's tabs: the first of three decisions in a row, no two
    alike, under no abstract (a paper's decision is never followed by another; two in a row in a
    listing without abstracts may be one paper's and a misplaced one); or any decision, or a tab
    of submissions (SUBMISSIONS_TAB), right after a tab."""
    if tabs_before:
        return SUBMISSIONS_TAB.fullmatch(line) is not None or is_decision(line)
    if (current is not None and current.abstract is not None) or following is None or after_following is None:
        return False
    if len(line) > TAB_CHARACTERS or len(following) > TAB_CHARACTERS or len(after_following) > TAB_CHARACTERS:
        return False  # most lines: an abstract among the three, no decision read
    run = [plain_line(text).casefold() for text in (line, following, after_following)]
    return len(set(run)) == 3 and is_decision(line) and is_decision(following) and is_decision(after_following)


def is_labelled_abstract(line: str) -> bool:
    return "bstract" in line[:24].casefold() and ABSTRACT_LABEL_IN_LINE.match(line) is not None  # most: no reading


def may_be_authors(line: str) -> bool:
    """A quick refusal of most lines: an author list holds a separator, or says its authors are anonymous."""
    return ("," in line or "·" in line or "•" in line or ";" in line or "|" in line or "&" in line or " and " in line
            or "nonymous" in line)


def is_author_list(line: str) -> bool:
    if len(line) > AUTHOR_LIST_MAX_CHARACTERS + 100 or not may_be_authors(line):  # an abstract: no scan of it
        return False
    plain = plain_line(line)
    if len(plain) <= 19 and plain.casefold() in ANONYMOUS_AUTHORS:
        return True
    if len(plain) > AUTHOR_LIST_MAX_CHARACTERS:
        return False
    listed = AUTHOR_LIST.fullmatch(plain) is not None
    if not listed and NAMES_A_SITE_SEPARATES.fullmatch(plain) is None:
        return False
    words = re.findall(r"[^\W\d_][\w'’-]*", re.sub(r"\([^()]*\)", " ", plain))
    if any(word.casefold() in TITLE_WORDS for word in words):
        return False
    if any(stands_for(name, bracketed) for name, bracketed in NAME_AND_BRACKETS.findall(plain)):
        return False
    if listed and ("(" in plain or any(character.isdigit() or character == "*" for character in plain)
                   or len(AUTHOR_SEPARATOR.split(plain)) >= 3):
        return True
    names = SITE_NAME_SEPARATOR.split(plain)
    return len(names) >= 2 and sum(" " in name for name in names) >= 2


# Names a site separates with "·", "•", "|", "&" or ";", no title's words: two of them ("Alice
# Smith · Bob Jones" under a title took its abstract), or one of a single word among others of
# two or more ("Mausam | Bob Jones | Carol White"). Noticed in the fifty-second and fifty-fourth
# sessions' reviews.
SITE_NAME_SEPARATOR = re.compile(r" · | • | \| | & |; ")
NAMES_A_SITE_SEPARATES = re.compile(rf"{NAME_WORD}(?: {NAME_WORD}){{0,3}}(?:(?:{SITE_NAME_SEPARATOR.pattern}){NAME_WORD}"
                                    rf"(?: {NAME_WORD}){{0,3}})+")


def stands_for(words: str, bracketed: str) -> bool:
    """Whether `bracketed` is the acronym of `words`: "Graph Neural Networks (GNNs)"."""
    initials = "".join(word[0] for word in words.split()).casefold()
    letters = bracketed.casefold().removesuffix("s")
    return len(letters) >= 2 and initials.endswith(letters)


def is_abstract_again(record: Record, line: str) -> bool:
    """Word by word: a copy may differ in its spaces (two, a tab, a non-breaking one, a zero-width
    one). The last words are compared first, on a line's end alone: in a listing without
    decisions, every title comes after an abstract."""
    abstract = record.abstract
    return (abstract is not None and words_as_read(line[-LAST_WORD_CHARACTERS:])[-1:] == words_as_read(
        abstract[-LAST_WORD_CHARACTERS:])[-1:] and words_as_read(without_abstract_label(line)) == words_as_read(abstract))


LAST_WORD_CHARACTERS = 60


TITLE_THEN_TITLE = ("title with no abstract after it: the line after it was read as the title of the abstract below "
                    "(were that line this paper's authors or another field, the abstract and decision below are this "
                    "paper's)")


def is_title_alone_above(record: Record | None, number: int) -> bool:
    """A title on its own line right above, nothing read after it (a placeholder for its abstract
    moved its last line on: review of the first rule)."""
    return (record is not None and record.title is not None and record.abstract is None and record.decision is None
            and record.line == record.last_line == number - 1)


def report_decisions_before_titles(content: list[tuple[int, str]], reading: Reading) -> None:
    """A listing that opens with a decision and ends with no decision may write each decision
    before its title: each was then read with the paper before its own, and only the first was
    reported (as following no paper). The reading stays, and the file's layout is named."""
    # Only where some record took a decision: a first line copied from a tab of decisions, before
    # undecided papers, is no such layout. Not only where every record but the last took one:
    # one paper without a decision shifted the others' by one, unreported (found by review).
    # And only where the last paper took none: with every paper decided, the decisions-first
    # reading leaves the last decision with no title after it (review of the first rule).
    records = reading.records
    if (len(content) >= 2 and opens_with_a_decision(content) and len(records) >= 2 and records[-1].decision is None
            and any(record.decision is not None for record in records[:-1])):
        reading.issues.append(ParseIssue(
            content[0][0], "decisions_before_titles",
            "the listing opens with a decision and ends with none: if it writes each decision before its title, "
            "each decision below was read as that of the paper before its own"))


def first_word_as_label(content: list[tuple[int, str]], record: Record) -> tuple[str, ...]:
    """The other reading of a title's second line joined to the listing's first line where that is
    one word ending as a title's first part does ("Mamba:"): the word may be the listing's label
    ("Orals:", review), as one word over a title usually is. None other than the usual: ()."""
    first = content[0][1]
    if record.line != content[0][0] or not ends_as_a_titles_first_part(first) or word_count(first, 1) != 1:
        return ()
    return (f"were that first line the listing's label ({quoted(first.strip())}), as one word over a title usually "
            "is, this line is the title alone",)


def opens_with_a_decision(content: list[tuple[int, str]]) -> bool:
    """Whether a listing's first line is a decision, or a decision's label alone over one
    ("Decision:", then "Accept (Oral)": such a listing's layout went unnamed, review)."""
    first = content[0][1] if content else ""
    return is_decision(first) or (is_decision_label_alone(first) and len(content) > 1 and is_decision(content[1][1]))


# Whole words only ("Acceptability", "Desktop" and "Rejection" start titles), and "decision" only
# as a label ("Decision: Reject"): "Decision Transformers ..." is a title.
# "Invite to Workshop Track" (ICLR 2018's fourth decision) made a paper of that title, and two of
# them one paper of two listings (review): a decision this reader does not know; with an abstract
# after it, a title named as reading like a decision (report_decision_like_title).
INVITATION = re.compile(r"invited? to (?:the )?workshop(?: track)?\.?", re.IGNORECASE)
DECISION_WORDS = re.compile(r"\b(?:accept(?:ed)?|reject(?:ed)?|withdrawn?|desk|invited? to (?:the )?workshop)\b"
                            r"|\bdecision\s*:", re.IGNORECASE)
DECISION_MAX_WORDS = 6  # "Accept (Poster)" is 2, "Decision: Accept (Oral presentation)" 5


def is_short_abstract(line: str, following: str | None) -> bool:
    """Right after a title, a sentence with a decision after it is the title's abstract however
    short: SOURCES.md warns that some abstracts are short ("Short abstract of a tiny paper about
    kernels." has 8 words, under looks_like_abstract's 12), and a decision follows an abstract.
    Not a line in Title Case ("Large Language Models are Zero-Shot Reasoners."): a title whose
    abstract is missing. Without a decision after it, a short line stays a title, reported as
    missing its abstract: a silent wrong reading is worse than a reported one."""
    return (line.rstrip().endswith(FULL_STOPS) and following is not None and is_decision(following)
            and not in_title_case(line))


# Where a decision joined to the end of an abstract may start: a capital after a space or after
# the end of a sentence, a bracket or a link ("... at all. Accept (Poster)", "faster? Reject",
# "... github.com/x/y Reject", "faster.Accept (Poster)").
DECISION_START = re.compile(r"(?<=[\s.?!)\]。．！？）])[A-Z]")
DECISION_TAIL_CHARACTERS = 60  # "Decision: Accept (Oral presentation)" is 36


def report_joined_to_abstract(number: int, abstract: str, following: str | None, reading: Reading) -> None:
    """What a line read as an abstract may end with, its line break lost: a decision, or the next
    listing's first title."""
    report_decision_at_end(number, abstract, reading)
    report_title_at_end(number, abstract, following, reading)


def report_decision_at_end(number: int, abstract: str, reading: Reading) -> None:
    """An abstract that ends with a decision: the line break before the decision was lost. The
    text stays the abstract as the file gave it, and the line is named, since the paper gets no
    decision from it. An abstract ending in a full stop, as nearly all do, is not looked at."""
    if (tail := decision_at_end(abstract)) is not None:
        reading.issues.append(ParseIssue(
            number, "decision_in_abstract",
            f"the abstract ends with {quoted(tail)}, a decision joined to its line: kept in the abstract, "
            "not read as the paper's decision"))


def decision_at_end(abstract: str) -> str | None:
    """The decision an abstract ends with, its line break lost (report_decision_at_end), or None."""
    text = abstract.rstrip()
    if not text or text[-1] == ".":
        return None
    end = text[-DECISION_TAIL_CHARACTERS:]
    return next((end[start.start():] for start in DECISION_START.finditer(end) if is_decision(end[start.start():])), None)


# A sentence's end with no space after it, then words in Title Case to the line's end: "…
# during fine-tuning.Pooling Is Neither Necessary nor Sufficient … in CNNs", as `cat` writes a
# listing after one whose last line has no line break.
TITLE_AFTER_SENTENCE = re.compile(r"[a-z)\]][.?!](?P<title>[A-Z][^.?!]{9,300})$")


def report_title_at_end(number: int, abstract: str, following: str | None, reading: Reading) -> None:
    """An abstract that ends with a title joined to it, an abstract with no title of its own after
    it: the line break between them lost (two files joined, the first ending without one). The
    text stays the abstract as the file gave it, and the line is named, since the abstract after
    it is then read without its title. A sentence in Title Case joined to the one before within an
    abstract ("Kernel.This Holds For Wide Networks", then a decision) is not named, nor a bracket
    closed that the tail did not open ("Sec.Appendix Tables And Figures)"). Nor is an authors'
    line after it: the next paper's authors under its lost title, which is then read as a title."""
    if following is None or abstract.rstrip().endswith((".", "?", "!")):  # no title joined (TITLE_AFTER_SENTENCE)
        return
    abstract_after = looks_like_abstract(following) and not reads_as_title(following)
    if not abstract_after and not may_be_authors(following):  # most often a decision: nothing to look for
        return
    joined = TITLE_AFTER_SENTENCE.search(abstract.rstrip()[-TITLE_TAIL_CHARACTERS:])
    if (joined is not None and len(joined["title"].split()) >= 3 and in_title_case(joined["title"])
            and joined["title"].count(")") <= joined["title"].count("(")
            and (abstract_after or is_author_list(following))):
        after = ("the abstract after it has no title" if abstract_after else
                 "the authors' line after it is read as the next paper's title")
        reading.issues.append(ParseIssue(
            number, "title_in_abstract",
            f"the abstract ends with {quoted(joined['title'])}, which reads as a title joined to its line (two files "
            f"joined without a line break between them?): kept in the abstract; {after}"))


TITLE_TAIL_CHARACTERS = 320


def report_decision_like_title(number: int, title: str, reading: Reading) -> None:
    """A title, after a record with no decision, that is a decision but for a label or a full stop
    ("Decision: Accept (Poster)", "Reject."), or "Accept:" and words that are no tier ("Accept:
    Findings"): it was the title of the abstract after it without a word, and the record before
    lost its decision. It stays the title (the form cannot tell), and is named. Titles that only
    open with a decision word ("Rejected papers matter", "Accept the Unknown: Oral History") are
    not: a wider rule named ordinary titles in listings without decisions."""
    if is_written_otherwise(title) or is_accept_colon_in_other_words(title) or INVITATION.fullmatch(plain_line(title)):
        reading.issues.append(ParseIssue(
            number, "decision_like_title",
            f"{quoted(title.strip())} reads like a decision, but an abstract follows it: read as that abstract's "
            "title (were it the decision of the record before, that record has none)"))


def report_glued_decision(number: int, title: str, reading: Reading) -> bool:
    """A title that opens with a decision joined to it with no space (GLUED_DECISION): the line
    break between a decision and the next title lost. It stays the title as given, and is named,
    after any record: "Accept: notable-top-5%Grokking …" under a decided record was an orphan
    decision before, and a title with no word (review)."""
    if title[:1] not in "ARWDardw \t" or not title.lstrip()[:9].casefold().startswith(("accept", "reject", "withdrawn",
                                                                                       "desk")):  # most titles
        return False
    glued = GLUED_DECISION.match(title.lstrip())
    if glued is None:
        return False
    reading.issues.append(ParseIssue(
        number, "decision_in_title",
        f"the title starts with {quoted(glued[0])}, a decision joined to its line with no space: kept in the title, "
        "not read as a decision (of the record before it, were it one)"))
    return True


def report_decision_at_start(number: int, title: str, reading: Reading) -> bool:
    """A title that opens with a whole decision line's text (`Accept (Poster) Dense Attention`),
    after a record with no decision: the line break after the decision was lost. It stays the
    title as given, and the line is named, since the record before gets no decision from it.
    Only an acceptance whose tier is written in a tier's words counts ("Accept (Poster)",
    "Accept (Workshop)"): titles open with "Reject Inference", "Desk Rejected Papers" (SOURCES.md
    warns of decision words there) or "Accept (Almost) Everything"."""
    if "(" not in title[:DECISION_TAIL_CHARACTERS] and ":" not in title[:DECISION_TAIL_CHARACTERS]:
        return False  # every opening looked for holds one
    plain = plain_line(title)
    words = plain.split(maxsplit=DECISION_MAX_WORDS)
    openings = [" ".join(words[:count]) for count in range(min(DECISION_MAX_WORDS, len(words) - 1), 0, -1)]
    # "Accept (Poster)Planning with ...": the line break lost with no space left (review).
    if (bracket := plain.find(")", 0, DECISION_TAIL_CHARACTERS)) > 0 and plain[bracket + 1:bracket + 2].isalnum():
        openings.append(plain[:bracket + 1])
    for opening in openings:
        if ("(" in opening or ":" in opening) and names_a_tier(opening):
            reading.issues.append(ParseIssue(
                number, "decision_in_title",
                f"the title starts with {quoted(opening)}, a decision joined to its line: kept in the title, not read "
                "as the decision of the record before it"))
            return True
    return False


# Between a title and a decision written after it on its line: "Graph Networks | Accept (Oral)",
# "Planning Agents - Reject". Each decision was lost inside its title, with no issue (review).
DECISION_AFTER_TITLE = re.compile(r"\s[|·•/–—-]+\s+(?=\S[^|·•/–—]{0,60}$)")


# What every decision line holds one of (a venue line its year): a quick refusal of the rest
# ("... - A Survey"), as is_decision took 4.7 µs a title.
DECISION_HINT = re.compile(r"accept|reject|withdrawn|desk|oral|spotlight|poster|decision|(?:19|20)\d\d", re.IGNORECASE)


# A decision or tier in brackets opening or ending a title, as conference sites and exported lists
# mark them: "[Oral] Sparse Attention", "Graph Networks [Spotlight]", "Kernels (ICLR 2024 Oral)",
# "Title (Reject)". Each stayed in the title with no issue (review). Only brackets that hold
# nothing else: "(Oral Cancer)" and "[Poster Child Study]" are a title's own words.
# Before the decision, a venue (two capitals or more: "ICLR", "NeurIPS") and a year at most: "(Movie
# Poster)", "(Not Accepted)" and "(To Reject)" are a title's words (found by review of the first rule).
# A venue (text.VENUE) with its year before the decision ("ICLR 2024 Oral", "ICLR'24 Oral") or
# after it ("Oral, ICLR 2024"): the last two stayed in their titles unnamed.
VENUE_AND_YEAR = rf"{VENUE}(?:{SHORT_YEAR}|\s+(?:19|20)\d\d)"
BRACKETED_DECISION = (rf"[\[(（【]\s*(?:{VENUE}(?:{SHORT_YEAR})?\s+)?(?:(?:19|20)\d\d\s+)?"
                      r"(?i:accept(?:ed)?|reject(?:ed)?|withdrawn|oral|spotlight|poster|desk[\s-]+reject(?:ed)?)"
                      r"(?:\s*(?i:presentation|paper|track)|\s*\(\w+\)|\s*:\s*\w+)?"
                      rf"(?:\s*[,，]\s*{VENUE_AND_YEAR})?\s*[\])）】]")
BRACKETED_DECISION_AT_START = re.compile(BRACKETED_DECISION + r"(?=\s*\S)")
BRACKETED_DECISION_AT_END = re.compile(r"(?<=\S)\s*(" + BRACKETED_DECISION + r")$")


def report_bracketed_decision(number: int, title: str, reading: Reading) -> None:
    """A title opening or ending with a decision or tier in brackets (BRACKETED_DECISION): kept
    in the title as given, and named, since the paper gets no decision from it."""
    title = title.strip()
    if "[" not in title and "(" not in title and "（" not in title and "【" not in title:
        return
    if found := BRACKETED_DECISION_AT_START.match(title):
        where, bracket = "starts", found[0]
    elif found := BRACKETED_DECISION_AT_END.search(title[-DECISION_TAIL_CHARACTERS:]):
        where, bracket = "ends", found[1]
    else:
        return
    reading.issues.append(ParseIssue(
        number, "decision_in_title",
        f"the title {where} with {quoted(bracket)}, a decision or tier in brackets: kept in the title, not read as "
        "the paper's decision"))


def report_decision_at_end_of_title(number: int, title: str, reading: Reading) -> None:
    """A title that ends with a separator and a whole decision (DECISION_AFTER_TITLE): kept in
    the title as given, and named, since the paper gets no decision from it."""
    end = title.rstrip()[-DECISION_TAIL_CHARACTERS:]  # searched as written: plain_line of every title cost more
    # The last separator first: "Graph Networks - A Survey - Reject" (review).
    for separator in reversed(list(DECISION_AFTER_TITLE.finditer(end))):
        if DECISION_HINT.search(tail := end[separator.end():]) is None or not is_decision(tail):
            continue
        reading.issues.append(ParseIssue(
            number, "decision_in_title",
            f"the title ends with {quoted(tail)} after {quoted(separator[0].strip())}, a decision written on the "
            "title's line: kept in the title, not read as the paper's decision"))
        return


def reads_like_a_decision(line: str) -> bool:
    """A short line naming a decision in words this reader does not take as one."""
    plain = plain_line(line)
    return len(plain.split()) <= DECISION_MAX_WORDS and DECISION_WORDS.search(plain) is not None


def ends_as_a_titles_first_part(line: str) -> bool:
    return line.rstrip().endswith((":", ",", "-", "–", "—"))


def _starts_with_label(content: list[tuple[int, str]]) -> bool:
    """A bare label line at the top (000 starts with "model"): one word, followed by a title.

    Several words there are a title whose abstract is missing, which is reported, rather than
    a paper dropped unseen as a label. So is one word whose next line is no title: a sentence, or
    a line with a decision right after it, neither in Title Case, is that word's short abstract.
    "Gato" over "A generalist agent." and "Reject" was dropped as a label, and its abstract made
    a paper."""
    if len(content) < 2:
        return False
    first, second = content[0][1], content[1][1]
    if word_count(first, 1) != 1:  # a Chinese title has no space, and is no label
        return False
    if ends_as_a_titles_first_part(first):
        return False  # "Mamba:" over the rest of its title: dropped as a label, unreported (found by review)
    if any([looks_like_abstract(first), is_decision(first), looks_like_abstract(second), is_decision(second)]):
        return False
    if second.rstrip().endswith(FULL_STOPS) and not reads_as_title(second):
        return False
    third = content[2][1] if len(content) > 2 else None
    # A line in Title Case, a full stop at its end or not (as citation lists print titles), is no
    # abstract for the word to have: over such a title with its decision right after it, the word
    # is the label. As a title, "model" took a record the listing has not (the benchmark's 1M
    # corpus: 5,001 records of 5,000).
    return third is None or reads_as_title(second) or not (is_decision(third) or reads_like_a_decision(third))


def is_poster_beside_links(line: str, previous: str | None, following: str | None, after_following: str | None) -> bool:
    """Whether a decision line is the badge "Poster" ("[Poster]", "(poster)") beside a link line:
    a site's links to a paper's files ("[PDF] [Poster] [Slides]", one a line) may name its poster
    (review). A link's word with an abstract after it is the next paper's title ("Video")."""
    return unwrapped(plain_line(line)).casefold() == "poster" and (
        (previous is not None and is_link_line(previous))
        or (following is not None and is_link_line(following) and not abstract_follows(after_following)))
