"""Reader for Hugging Face Daily Papers pages saved as text: text in, records and parse issues out."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
import unicodedata

from ..decisions import is_decision, is_venue_line
from ..records import ParseIssue, Reading, Record
from .text import (
    FULL_STOPS,
    LINK_LINE,
    SHORT_YEAR,
    VENUE,
    abstract_follows,
    add_to_abstract,
    check_tail,
    continues_title,
    continues_wrapped_title,
    cut_off_abstract,
    finish_record,
    first_word_and_rest,
    has_letter_or_digit,
    has_text,
    in_title_case,
    is_abstract_label,
    is_blank,
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
)

HF_DAILY_PAPERS = "hf_daily_papers"

HF_HEADER_LINES = (  # in the page's order
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
)
# The page's tabs, and a week's page's week where a day's page prints its date ("Week 46", "Week 47
# of 2025", "2025-W47", "Nov 17 - Nov 23"), in the header only: each was a paper without an
# abstract (found by reviews). Not header lines elsewhere, where "Daily" with its author line was
# a title (review of the first rule).
PAGE_TABS = frozenset({"daily", "weekly", "monthly", "weekly papers", "monthly papers"})
# The pages' English month names, whatever the locale: calendar.month_abbr follows it, and a build
# in a notebook under a German locale read "Mar", "May", "Oct" and "Dec" dates as bad dates.
MONTHS = {name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
# The site prints three letters; a copy from elsewhere may spell the month out or write "Sept":
# a page date "November 12" was a paper titled so, and the page had no date.
MONTHS |= {name: number for number, name in enumerate(
    "January February March April May June July August September October November December".split(), start=1)}
MONTHS["Sept"] = 9
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
# A week's first and last days, month first or day first, each with its year or not, an ordinal or
# not, joined by a dash or "to": "Nov 17 - Nov 23", "Nov 17 – 23, 2025", "17 Nov - 23 Nov", "Nov
# 17, 2025 - Nov 23, 2025", "17 - 23 Nov 2025", "Nov 17th to Nov 23rd", "2025-11-17 - 2025-11-23".
YEAR_AFTER = r"(?:,? (?:19|20)\d\d)?"
WEEK_DAY = (rf"(?:(?:{MONTH_NAMES})\.? \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)? (?:{MONTH_NAMES})\.?){YEAR_AFTER}"
            r"|(?:19|20)\d\d[-/]\d\d[-/]\d\d")
WEEK_DAYS_JOINED = r"(?: ?[-–—−] ?| to )"
WEEK_LINE = re.compile(rf"week \d{{1,2}}(?:,? (?:of )?(?:19|20)\d\d)?(?: ?\([^()]{{1,40}}\))?|(?:(?:19|20)\d\d[- ]?)?w\d{{1,2}}"
                       rf"|week of (?:{WEEK_DAY})"
                       rf"|(?:{WEEK_DAY}){WEEK_DAYS_JOINED}(?:{WEEK_DAY}|\d{{1,2}}(?:st|nd|rd|th)?{YEAR_AFTER})"
                       rf"|\d{{1,2}}(?:st|nd|rd|th)?{WEEK_DAYS_JOINED}\d{{1,2}}(?:st|nd|rd|th)? (?:{MONTH_NAMES})\.?{YEAR_AFTER}",
                       re.IGNORECASE)
MONTHS_FOLDED = {name.casefold(): number for name, number in MONTHS.items()}
# A saved page may print its year too ("Nov 12, 2025"): read as a paper titled so before. Saved
# in another locale or by another tool, the page's date may be "12 Nov", "12 nov.", "Wed, Nov 12",
# "Nov 12th", "12 November 2025" or "2025-11-12": each was a paper titled so, and the page had no date.
WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? )?"
ORDINAL = r"(?:st|nd|rd|th)?"
PAGE_DATE_FORMS = (
    re.compile(rf"{WEEKDAY}(?P<month>{MONTH_NAMES})\.? (?P<day>\d{{1,2}}){ORDINAL}(?:,? (?P<year>\d{{4}}))?", re.IGNORECASE),
    re.compile(rf"{WEEKDAY}(?P<day>\d{{1,2}}){ORDINAL}\.? (?:of )?(?P<month>{MONTH_NAMES})\.?,?(?: (?P<year>\d{{4}}))?",
               re.IGNORECASE),
    re.compile(r"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"),
)
# What reads as a date this reader cannot read ("11/12/2025": the 12th of November or the 11th of
# December?), where the page's date goes.
DATE_LIKE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def read_page_date(plain: str) -> tuple[int, int, str | None] | None:
    """A page date line's (month, day, year as printed or None), in any form PAGE_DATE_FORMS
    reads; None for any other line."""
    if len(plain) > 40 or not any(character.isdigit() for character in plain):
        return None
    for form in PAGE_DATE_FORMS:
        if printed := form.fullmatch(plain):
            month = printed["month"]
            return (int(month) if month.isdigit() else MONTHS_FOLDED[month.casefold()]), int(printed["day"]), printed["year"]
    return None
DATE_SEPARATOR = "·"  # the line between an entry's author line and its date
# The upvotes may group thousands with commas ("Nov 3 1,234"), as a copy of a busy page might.
# A busy page rounds to thousands ("Nov 3 1.2k", "1,5k" in a locale with a decimal comma): the
# date was a bad_date, and the entry had neither date nor count.
UPVOTE_COUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d{1,6}(?:[.,]\d)?[kK]|\d+")
# Matched against a line as read (plain_line): single spaces, trimmed. The month in any case, with a
# full stop, and the year's comma with no space after it ("aug 10, 2024", "Aug. 10,2024") too: each
# was a bad_date, the entry without a date. A phone's layout puts a '·' between the date and the
# upvotes ("Nov 11 · 12"): a bad_date too, and on one line with the author line
# ("3 authors · Nov 11 · 12") a paper titled so, the entry without its authors, date and upvotes.
ENTRY_DATE_LINE = re.compile(
    rf"^({MONTH_NAMES})\.? (\d{{1,2}})(?:, ?(\d{{4}}))?(?: (?:{DATE_SEPARATOR} )?({UPVOTE_COUNT.pattern}))?$",
    re.IGNORECASE)


def read_entry_date(plain: str) -> tuple[int, int, str | None, str | None] | None:
    """An entry's date line as read: (month, day, year as printed or None, upvote count as printed
    or None). The site's own form (`Nov 3`, `Nov 3, 2025 12`), with its upvotes; or, without them,
    any form a page's own date may take (`10 Aug 2024`, `2024-08-10`, `Wed, Nov 12`): those the
    page's date took were a bad_date after '·'."""
    if date := ENTRY_DATE_LINE.match(plain):
        month, day, year, upvotes = date.groups()
        return MONTHS_FOLDED[month.casefold()], int(day), year, upvotes
    if printed := read_page_date(plain):
        return *printed, None
    return None


# Every character but letters and digits, dropped by one C call (a loop over each character of
# every short line added a third to reading the pages): the spaces, punctuation and signs a copy
# may put between the header's lines run together ("Daily Papers — by AK …": review).
NOT_LETTERS_OR_DIGITS = re.compile(r"[\W_]+")


def header_key(plain: str) -> str:
    """A header line's letters and digits in one case: "by AK and the research community", "New"
    and the inbox line without its "!" are the header lines they are (each was a paper before),
    and so is one with any dash, dot, bar or chevron between its parts ("Daily Papers ❯ by AK …":
    a list of them missed some, review)."""
    return NOT_LETTERS_OR_DIGITS.sub("", plain.casefold())


# Each line, and lines of it run together on one (a copy that lost their line breaks: "Daily Papers
# by AK and the research community", "Get trending papers in your email inbox! Subscribe": each
# was a paper, and the page's date under it too: review).
HF_HEADER_KEYS = frozenset("".join(header_key(line) for line in HF_HEADER_LINES[start:end])
                           for start in range(len(HF_HEADER_LINES)) for end in range(start + 1, len(HF_HEADER_LINES) + 1))
# The byline's words as a copy may break them over lines ("by", "AK", "and the research community"),
# in the header only (review).
BYLINE_WORDS = "by AK and the research community".split()
BYLINE_PIECES = frozenset("".join(word.casefold() for word in BYLINE_WORDS[start:end])
                          for start in range(len(BYLINE_WORDS)) for end in range(start + 1, len(BYLINE_WORDS) + 1))
HEADER_CHARACTERS = 120  # the whole header on one line is 98
DAILY_PAPERS_KEY = header_key("Daily Papers")


def is_daily_papers_title(plain: str) -> bool:
    """The page's own title line, "Daily Papers", however its case or spacing, alone or run together
    with the header's other lines: it names the format."""
    if len(plain) > HEADER_CHARACTERS:
        return False
    key = header_key(plain)
    return key == DAILY_PAPERS_KEY or (DAILY_PAPERS_KEY in key and key in HF_HEADER_KEYS)


HEADER_OPENINGS = frozenset(key[:2] for key in HF_HEADER_KEYS)  # most lines are ruled out by their first two letters


def is_header_line(plain: str, signs_between: bool = True) -> bool:
    """A line of the page's header. Without `signs_between` (after the page's entries, where a
    title may stand) not one holding a symbol or emoji: "New ✨" there is a title (review)."""
    return (len(plain) <= HEADER_CHARACTERS and plain[:2].casefold() in HEADER_OPENINGS
            and header_key(plain) in HF_HEADER_KEYS
            and (signs_between or not any(unicodedata.category(character) in SYMBOLS for character in plain)))


SYMBOLS = frozenset({"So", "Sk", "Sm", "Cs"})  # "✨", "❯", "→": a header between entries is written without them


def is_tab_or_day_link(plain: str) -> bool:
    """A tab of the page's header ("Daily", "Week 46") or its link to another day ("← Previous")."""
    return plain.casefold() in PAGE_TABS or WEEK_LINE.fullmatch(plain) is not None or is_day_link(plain)


# The bullet may be lost in a copy: "3 authors" without it became an organisation "3" named "authors".
# Or be another ("- 3 authors", "* 3 authors", "o 3 authors" through ASCII): each was a bad_organization,
# or an organisation "o" named "3 authors", and the entry had no author count.
AUTHORS_LINE = re.compile(r"^(?:[•·‧∙●◦‣▪⁃*o-] ?)?(\d+) authors?$", re.IGNORECASE)  # "3 Authors" too
# The same dot in other code points: the Greek ano teleia (canonically U+00B7), the dot operator, a
# word-separator dot, the half-width katakana and Latin letter middle dots. A copy with either made
# two papers of an organisation entry, and a joined block ("• 3 authors ⋅ Nov 11 3") a paper (reviews).
SAME_DOTS = "\u0387\u22c5\u2e31\uff65\ua78f"
AS_THE_DATE_SEPARATOR = str.maketrans(dict.fromkeys(SAME_DOTS, DATE_SEPARATOR))
SAME_DOTS_CHARACTERS = 200  # a block joined on one line is under 60; abstracts are not looked at
ANY_DOT = re.compile(f"[{DATE_SEPARATOR}{SAME_DOTS}]")  # a joined line's parts as written
ANY_SAME_DOT = re.compile(f"[{SAME_DOTS}]")


def as_the_date_separator(plain: str) -> str:
    """The line as read, each of SAME_DOTS in it '·' (a short line only)."""
    if len(plain) > SAME_DOTS_CHARACTERS or plain.isascii() or ANY_SAME_DOT.search(plain) is None:
        return plain  # looking for each dot in turn in every line made reading 8% slower
    return plain.translate(AS_THE_DATE_SEPARATOR)


# Read as '·' between an author line and a date, and reported: "." is what `iconv -t ascii//TRANSLIT` makes of it.
DATE_SEPARATOR_LOOKALIKES = frozenset("-•.‧∙・*")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")  # "Mar 5 2024" (its comma lost), or a note: "Accepted at ACL 2025"
EARLIEST_YEAR = 1900  # as YEAR reads a year that lost its comma
SQLITE_INTEGER_MAX = 2**63 - 1  # a larger count cannot be stored; it is reported instead


def read_hf_daily_page(text: str, snapshot_date: str | None = None, ends_mid_line: bool = False) -> Reading:
    """Read a Hugging Face Daily Papers page saved as text.

    Entries are `title`, `abstract`, then an optional block `• N authors` (or an organisation
    line `handle Name`), `·`, `Mon D[, YYYY][ upvotes]`, separated by blank lines. A year-less
    date takes the page's year from `snapshot_date` (the year before if that would be after the
    page's date) and is flagged as inferred. `ends_mid_line`: the file had no line break after its
    last line (text.ends_mid_line).
    """
    lines = text_lines(text)
    reading = Reading(format=HF_DAILY_PAPERS, line_count=len(lines))
    body_start = _read_hf_header(lines, reading)
    page_day = first_page_day = _page_day(reading, snapshot_date)

    content, blank = split_blank_lines((n, lines[n - 1]) for n in range(body_start, len(lines) + 1))
    reading.other_lines.update((n, "blank") for n in blank)
    content = [(n, line, as_the_date_separator(plain_line(line))) for n, line in content]

    current: Record | None = None
    meta_state = None  # None, "who", "dot", "date": how far the entry's metadata block got

    def close() -> None:
        nonlocal count_of_current, counts_above_titles, counts_on_dates
        if current is None:
            return
        counts_on_dates = counts_on_dates or current.upvotes is not None
        if count_of_current is not None:
            issue, count = count_of_current
            count_of_current = None
            if current.upvotes is None and current.date_text is not None and not counts_on_dates:
                # The copy printed each entry's count above its title: the count of the first was
                # a stray line and each other one the entry above's upvotes (fifty-third session's review).
                current.upvotes = _upvote_count(count, issue.line, reading)
                issue.code, issue.message = "upvotes_above_title", (
                    f"{quoted(count)} on a line of its own above the entry's title, its date giving none: read as its "
                    "upvote count (the copy prints each entry's count above its title)")
                counts_above_titles = True
        if meta_state in ("who", "dot"):
            reading.issues.append(
                ParseIssue(
                    current.last_line,
                    "truncated_metadata",
                    "author/date block cut off: expected '·' and then a date line",
                )
            )
        finish_record(current, reading)

    in_header = False  # inside a second page's header, pasted after this page's entries
    after_submitted_by = False  # the line before was a stray "Submitted by" alone
    after_summary_label = None  # "AI-generated summary" as the line before wrote it, under a title
    orphan_block = None  # "line": the line before was an author line over '·' that follows no paper; "dot": its '·'
    after_interface = False  # the line before was the page's own text between a title and its abstract
    dated_without_upvotes = None  # the entry the line before closed with a date and no upvote count
    count_above = None  # (its stray_line issue, the count, the line after it): a count alone right above a title
    count_of_current = None  # count_above, where the line after it was the current entry's title
    counts_above_titles = False  # an entry took the count above its title: the copy prints each one so
    counts_on_dates = False  # an entry had its count on its date line (or below it): no count above a title is its
    page_records, page_issues = 0, 0  # where this page's records and issues start (a page pasted after another)
    for index, (number, line, plain) in enumerate(content):
        following = content[index + 1][2] if index + 1 < len(content) else None
        after_following = content[index + 2][2] if index + 2 < len(content) else None
        submitter_may_follow, after_submitted_by = after_submitted_by, False
        summary_may_follow, after_summary_label = after_summary_label, None
        orphan_before, orphan_block = orphan_block, None
        if orphan_before == "dot" and not abstract_follows(following) and read_entry_date(plain) is not None:
            # "adobe Adobe", "·", "Nov 9 3" between entries: the date was a paper titled so (review).
            reading.issues.append(ParseIssue(number, "orphan_metadata", f"date {quoted(plain)} after an author line "
                                             "that follows no paper, and its '·'"))
            continue
        count_may_follow, after_interface = after_interface, False
        upvotes_may_follow, dated_without_upvotes = dated_without_upvotes, None
        if ((is_header_line(plain, signs_between=False) or (in_header and read_page_date(plain)))
                and meta_state in (None, "date") and not abstract_follows(following)):
            # "Daily Papers", "Subscribe", its date...: a page header, not papers titled so.
            if not in_header:
                reading.issues.append(ParseIssue(
                    number, "second_page_header", f"a page header ({quoted(plain)}) after the page's entries: "
                    "another page pasted into this file? Its entries are read with its own date where it gives one"))
                close()
                current, meta_state = None, None
                report_site_text_after_entries(reading, page_records, page_issues)  # its footer, the next one's menu
                page_records, page_issues = len(reading.records), len(reading.issues)
            elif printed := read_page_date(plain):
                page_day = _pasted_page_day(plain, printed, first_page_day, snapshot_date, number, reading)
            in_header = True
            reading.other_lines[number] = "header"
            close()
            current, meta_state = None, None
            continue
        in_header = False
        text_before_dot = following == DATE_SEPARATOR and reads_as_text(plain)
        if (meta_state is None and current is not None and current.abstract is None
                and is_abstract_label(line, following)):  # right after a title only, as in a review listing
            reading.other_lines[number] = "label"
        elif (meta_state is None and current is not None and current.title is not None and current.abstract is None
              and current.last_line == content[index - 1][0] and is_summary_label(plain)
              and following is not None and has_text(following)):
            reading.other_lines[number] = "label"
            after_summary_label = plain
        elif summary_may_follow and is_summary_over_an_abstract(plain, following, after_following):
            reading.issues.append(ParseIssue(number, "site_summary", f"{quoted(plain)} under {quoted(summary_may_follow)}, "
                                             "before the abstract: the site's summary of the paper, not kept"))
            current.last_line = number
        elif summary_may_follow and not reads_as_title(plain) and has_text(line) and not continues_title(line):
            # The one line under the label, no abstract after it: the entry's only text (it was a
            # paper of its own when the next entry's title followed: review of the first rule).
            reading.issues.append(ParseIssue(number, "short_abstract", f"{quoted(plain)} under {quoted(summary_may_follow)} "
                                             "with no abstract after it: read as the entry's abstract, its only text"))
            current.abstract = line.strip()
            current.last_line = number
        elif meta_state is None and current is not None and current.abstract is None and is_placeholder_abstract(line):
            report_placeholder_abstract(number, line, current, reading)
        elif meta_state is None and (stray := page_text_in_entry(current, plain, following, submitter_may_follow)):
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(plain)} {stray}"))
            after_submitted_by = plain.casefold() == SUBMITTED_BY
        elif (meta_state is None and current is not None and current.title is not None and current.abstract is None
              and is_interface_line(plain, submitter_may_follow, count_may_follow)
              and interface_then_abstract(content, index + 1, plain)):
            # A paper's own page puts "Published on Oct 9", "Submitted by", its submitter, "Upvote"
            # and its count between the title and the abstract: each was a paper, and the last
            # ("57") took the abstract, authors, date and upvotes.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(plain)} between the entry's title and its "
                                             "abstract: read as the page's own text, copied with it"))
            after_submitted_by = plain.casefold() == SUBMITTED_BY
            after_interface = True
        elif (meta_state is None and current is not None and current.title is not None and current.abstract is None
              and current.last_line == number - 1 and abstract_follows(following)
              and (not is_decision(line) or is_venue_line(line))  # "Scaling Laws for" / "COLM 2024"
              and not reads_as_an_entrys(plain) and has_text(line) and continues_wrapped_title(current.title, line)):
            report_wrapped_title(number, current, line, reading)
        elif plain == DATE_SEPARATOR:
            if current is not None and meta_state == "who":
                meta_state = "dot"
                current.last_line = number
            elif current is not None and meta_state is None and current.abstract is not None:
                reading.issues.append(ParseIssue(
                    number, "missing_authors", "'·' right after the abstract: expected an author or organisation line first"))
                meta_state = "dot"
                current.last_line = number
            else:
                reading.issues.append(
                    ParseIssue(number, "orphan_metadata", "'·' without an author line before it")
                )
                orphan_block = "dot" if orphan_before == "line" else None  # its date after it is no paper either
        elif meta_state == "who" and separates_a_date(plain, following):
            # "-", "•" or "." where '·' goes (a copy through ASCII makes '·' a "."): the date after it
            # was a paper titled so, and the entry had none.
            reading.issues.append(ParseIssue(number, "date_separator", f"{quoted(plain)} between the author line and "
                                             "the date, where '·' goes: read as '·'"))
            meta_state = "dot"
            current.last_line = number
        elif (meta_state == "dot" or (meta_state == "who" and not abstract_follows(following))) and (
                date := read_entry_date(plain)):
            if meta_state == "who":
                # Its '·' line lost: the date was a paper titled "Aug 10, 2024", and such papers merged.
                reading.issues.append(ParseIssue(number, "missing_date_separator", f"{quoted(plain)} right after the "
                                                 "author line, with no '·' line between them: read as the entry's date"))
            _set_entry_date(current, number, line, date, page_day, reading)
            meta_state = "date"
            close()
            dated_without_upvotes = current if current.upvotes is None else None
            current, meta_state = None, None
        elif (upvotes_may_follow is not None and UPVOTE_COUNT.fullmatch(plain) and not counts_above_titles
              and not starts_an_entry(following, after_following)):
            # The count on a line of its own below the date: a paper titled "12", the entry without upvotes.
            upvotes_may_follow.upvotes = _upvote_count(plain, number, reading)
            upvotes_may_follow.last_line = number
            reading.issues.append(ParseIssue(
                number, "upvotes_on_own_line", f"{quoted(plain)} on a line of its own after the entry's date: read as "
                "its upvote count"))
        elif current is None and PAGE_TEXT_LINE.fullmatch(plain) and (
                not starts_an_entry(following, after_following) or PAGE_TEXT_LINE.fullmatch(following or "")):
            # Between entries: an upvote box ("Upvote", "12") before a title made two papers of it.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(plain)} between entries, with no abstract "
                                             "after it: read as the page's own text, copied with it"))
            after_submitted_by = plain.casefold() == SUBMITTED_BY
            if (COUNT_ABOVE_TITLE.fullmatch(plain) and index + 1 < len(content) and abstract_follows(after_following)
                    and not PAGE_TEXT_LINE.fullmatch(following)):
                count_above = (reading.issues[-1], plain, content[index + 1][0])  # the entry's if its date has none
        elif current is None and submitter_may_follow and " " not in plain and not heads_an_entry(content, index, plain):
            # "Submitted by", then its name alone ("akhaliq"): the name was a paper without an abstract.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(plain)} between entries, right after "
                                             "'Submitted by', with no abstract after it: read as the submitter's name, "
                                             "the page's own text"))
        elif current is None and is_navigation(plain) and not heads_an_entry(content, index, plain):
            # The links to other days ("Previous", "Nov 11", "Nov 13", "Next") were four papers.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(plain)} between entries, with no abstract "
                                             "after it: read as the page's link to another day (or another page's "
                                             "date), copied with it"))
        elif DATE_SEPARATOR in plain and (joined := joined_block(plain, current, meta_state)) is not None:
            who, date, date_text = joined
            if who is not None:
                _set_entry_authors(current, number, who, written_before(line, date_text), AUTHORS_LINE.match(who), reading)
            _set_entry_date(current, number, written_end(line, date_text), date, page_day, reading)
            reading.issues.append(ParseIssue(number, "joined_metadata", f"{quoted(plain)}: "
                                             f"{joined_parts(who, DATE_SEPARATOR in date_text)} on one "
                                             "line, their line breaks lost: read as each"))
            meta_state = "date"
            close()
            current, meta_state = None, None
        elif current is None and DATE_SEPARATOR in plain and (joined_parts_read := orphan_joined_block(plain)):
            # Between entries, an author line joined to its '·' or its date: a paper titled so (review).
            reading.issues.append(ParseIssue(number, "orphan_metadata", f"{quoted(plain)}: {joined_parts_read} on one "
                                             "line, following no paper"))
            orphan_block = "dot" if joined_parts_read.endswith("'·'") else None  # its date next follows none either
        elif meta_state is None and current is not None and (authors := author_line_and_its_dot(plain)):
            # "• 3 authors ·", its date on the next line: no author count, the '·' lost (review).
            _set_entry_authors(current, number, plain.removesuffix(DATE_SEPARATOR).rstrip(), line, authors, reading)
            reading.issues.append(ParseIssue(number, "joined_metadata", f"{quoted(plain)}: the author line and '·' on "
                                             "one line, their line break lost: read as each"))
            current.last_line = number
            meta_state = "dot"
        elif (meta_state is None and current is not None and current.abstract is not None and following is not None
              and AUTHORS_LINE.match(following) and is_organisation_beside_authors(current, plain)):
            # "adobe Adobe" over "• 5 authors": a paper titled so that took the entry's block (review).
            _set_entry_authors(current, number, plain, line, None, reading)
            current.last_line = number
        elif meta_state == "who" and following == DATE_SEPARATOR and is_organisation_beside_authors(current, plain):
            # "• 5 authors", then "adobe Adobe" over the '·': an author line that followed no paper (review).
            _set_entry_authors(current, number, plain, line, None, reading)
            current.last_line = number
        elif ((authors := AUTHORS_LINE.match(plain)) or (following == DATE_SEPARATOR and not text_before_dot)
              or organisation_over_a_lost_separator(current, meta_state, plain, following, after_following)):
            if (current is None and not authors and following == DATE_SEPARATOR and reads_as_title(plain)
                    and not names_its_handle(plain)):
                # Between entries, a title right before '·' ("Robust Learning From Noisy Labels", then
                # "·" and "Nov 9 3"): its abstract and author line lost. Read as an organisation that
                # follows no paper, its date was a paper of its own (found by review).
                current = Record(line=number, last_line=number, title=line.strip())
                reading.issues.append(ParseIssue(number, "missing_authors", f"{quoted(plain)} between entries, right "
                                                 "before '·': read as the title of an entry whose abstract and author "
                                                 "line are missing (were it an organisation line, its entry's title "
                                                 "and abstract are missing)"))
                meta_state = "who"
                continue
            if current is None or meta_state is not None:
                reading.issues.append(
                    ParseIssue(number, "orphan_metadata", f"author line {quoted(line.strip())} follows no paper")
                )
                orphan_block = "line" if following == DATE_SEPARATOR else None
                continue
            _set_entry_authors(current, number, plain, line, authors, reading)
            current.last_line = number
            meta_state = "who"
        elif meta_state == "dot" and not abstract_follows(following):
            # Where the date goes, and no title (no abstract follows): "2025-11-03", "November 3",
            # "Nov 4 -5" each made a paper of their own.
            reading.issues.append(ParseIssue(
                number, "bad_date", f"{quoted(line.strip())} after '·' is not a date such as 'Nov 3' or 'Nov 3, 2025 12'"))
            current.date_text = line.strip()  # what the page said stays in the listing; no date is read from it
            current.last_line = number
            meta_state = "date"
            close()
            current, meta_state = None, None
        elif meta_state != "dot" and is_separator_line(line, following):
            # "-----", "🔥🔥🔥" or a terminal's colour codes between an abstract and its author line
            # were a paper of their own, which took the entry's authors, date and upvotes. A rule
            # or escape codes are never a title; a symbol ("∇", "🤗") is, with an abstract after it.
            reading.issues.append(ParseIssue(number, "stray_line", f"{quoted(line.strip())} has no letter or digit: no "
                                             "title, read as the page's own text, copied with it"))
        elif meta_state is None and is_abstract_of(current, line, text_before_dot or is_short_abstract_before_its_block(
                plain, following, after_following) or (ends_mid_line and number == len(lines) and cut_off_abstract(line)
                                                        and not is_decision(line))):
            if (not text_before_dot and not continues_title(line)
                    and is_short_abstract_before_its_block(plain, following, after_following)):
                reading.issues.append(ParseIssue(
                    number, "short_abstract",
                    f"{quoted(line.strip())} is short for an abstract: read as the abstract of the title before it, "
                    "as its author line follows (were it a title, both papers' abstracts would be missing)"))
            current.abstract = without_abstract_label(line)
            current.last_line = number
        elif meta_state is None and is_next_paragraph_of(current, line, text_before_dot):
            # An entry's abstract in two paragraphs (arXiv abstracts may have them): the second
            # became an untitled paper that took the entry's authors, date and upvotes.
            add_to_abstract(current, number, line, reading, "abstract_paragraph", (
                "a line after the entry's abstract with no title before it: read as a further paragraph of that "
                "abstract (were it the next entry's title, that entry and its authors and date are in this one)"))
        elif (meta_state is None and current is not None and current.title is not None and current.abstract is not None
              and following is not None
              and (AUTHORS_LINE.match(following) or (after_following == DATE_SEPARATOR and not reads_as_text(following)))
              and len(plain) <= ENTRY_NOTE_CHARACTERS and ENTRY_NOTE.search(plain)):
            # A note between the abstract and the author line ("Project page: https://…", "NeurIPS
            # 2025 Spotlight") or the organisation line before the '·' (a line that is no text: a
            # title's abstract there is the next entry's) was a paper titled so that took the
            # entry's authors or organisation, date and upvotes (found by review). Only a
            # note that shows it is one: any other line there is a title whose abstract is
            # missing, after an entry without an author line (153 such titles of the synthetic
            # 100k corpus's 1,000 without an abstract).
            add_to_abstract(current, number, line, reading, "abstract_paragraph", (
                "a line between the entry's abstract and its author line, with no abstract of its own: read as a "
                "further paragraph of that abstract (were it the next entry's title, that entry has no abstract, and "
                "the author line and date after it are its)"))
        elif is_decision(line) and not starts_an_entry(following, after_following):
            # A review decision ("Accept (Poster)") with no abstract after it: a review listing's
            # line pasted into the page, not a paper titled so.
            reading.issues.append(ParseIssue(
                number, "orphan_decision", f"decision {quoted(line.strip())} in a Hugging Face page, whose entries have none"))
            close()
            current, meta_state = None, None
        else:
            close()
            meta_state = None
            # A title has its abstract after it, and a line in Title Case is one even ending in ".".
            if looks_like_abstract(line) and not reads_as_title(line) and not abstract_follows(following):
                current = Record(line=number, last_line=number, abstract=without_abstract_label(line))
                reading.issues.append(ParseIssue(number, "missing_title", "an abstract with no title before it: read "
                                                 "as a paper without a title (every entry of a page has one)"))
            else:
                current = Record(line=number, last_line=number, title=line.strip())
                if count_above is not None and count_above[2] == number:
                    count_of_current = count_above[:2]
                if not abstract_follows(following):  # with its abstract after it, a page's title is one
                    report_title_ending_like_a_sentence(number, line, reading)
    close()
    report_site_text_after_entries(reading, page_records, page_issues)
    check_tail(reading)
    return reading


SITE_TEXT_WORDS = 4  # a footer's links: "System theme", "Terms of Service", "Privacy Policy"
# The site's menu and footer links as a copy takes them: with a blank line among them, on an empty
# day's page, or between two pages pasted into one file, each was a paper (a review of other copies).
SITE_LINKS = frozenset(header_key(link) for link in (
    "Models", "Datasets", "Spaces", "Posts", "Docs", "Enterprise", "Pricing", "Log In", "Login", "Sign Up", "Community",
    "Papers", "Collections", "Solutions", "System theme", "Website", "Company", "TOS", "Terms of Service", "Privacy",
    "Privacy Policy", "About", "Jobs", "Careers", "Blog", "Learn", "Discord", "Forum", "GitHub", "Changelog", "Status",
    "Brand assets", "Hugging Face", "Press", "Resources"))


def report_site_text_after_entries(reading: Reading, page_records: int = 0, page_issues: int = 0) -> None:
    """The site's own text below the last entry (its footer: "Company", "TOS", "Privacy"; or, before
    a page pasted after it, that page's menu), reported instead of kept as papers: short lines at
    the end, each a title alone, in groups one blank line apart, each group two lines or more one
    right after the other (entries have blank lines between them) or one of the site's links
    (SITE_LINKS), after an entry with its abstract; on a page with no entries, only where one of
    them is a site's link. Each was a paper "with no abstract after it". A title alone at the end,
    or titles of more words, stay papers (reported as missing their abstracts). Only the page's own
    records and issues are looked at, those from `page_records` and `page_issues` on: each of
    thousands of pages pasted into one file looked at every record before it (8,000 pages: 6 s)."""
    tail = site_text_at_the_end(reading.records[page_records:])
    if len(tail) < 2:
        return
    if len(tail) == len(reading.records) - page_records:
        if not any(is_site_link(record.title) for record in tail):
            return
    elif reading.records[-len(tail) - 1].abstract is None:
        return
    lines = {record.line for record in tail}
    reading.issues[page_issues:] = [issue for issue in reading.issues[page_issues:]
                                    if not (issue.code == "missing_abstract" and issue.line in lines)]
    for record in reversed(tail):
        reading.issues.append(ParseIssue(record.line, "after_entries", f"{quoted(record.title)} after the page's last "
                                         "entry, with no abstract, as are the short lines around it: the site's own "
                                         "text, copied with the page"))
    del reading.records[-len(tail):]


def is_site_link(title: str) -> bool:
    """One of the site's menu or footer links (SITE_LINKS), or its copyright line ("© Hugging Face")."""
    return header_key(title) in SITE_LINKS or is_copyright_line(title)


def site_text_at_the_end(records: list[Record]) -> list[Record]:
    """The records at the end that report_site_text_after_entries may take for the site's text, last first."""
    tail = list(itertools.takewhile(is_short_line_alone, reversed(records)))
    kept = 0
    while kept < len(tail):
        group = kept + 1  # a group: lines one right after the other
        while group < len(tail) and tail[group - 1].line == tail[group].line + 1:
            group += 1
        if group - kept < 2 and not is_site_link(tail[kept].title):
            break
        kept = group
        if kept < len(tail) and tail[kept - 1].line - tail[kept].line > 2:  # more than one blank line between
            break
    return tail[:kept]


def is_short_line_alone(record: Record) -> bool:
    return (record.abstract is None and record.title is not None and record.last_line == record.line
            and (len(record.title.split()) <= SITE_TEXT_WORDS or is_copyright_line(record.title)))


# "© Hugging Face", "Copyright © 2025 Hugging Face", "(c) Hugging Face, Inc. All rights reserved."
# "Copyright" alone opens titles too ("Copyright Traps for Large Language Models": review).
COPYRIGHT_LINE = re.compile(r"(?:©|ⓒ|Ⓒ|\(c\)|copyright (?:©|ⓒ|Ⓒ|\(c\)|(?:19|20)\d\d\b))", re.IGNORECASE)
COPYRIGHT_CHARACTERS = 80


def is_copyright_line(title: str) -> bool:
    return len(title) <= COPYRIGHT_CHARACTERS and COPYRIGHT_LINE.match(title) is not None


def starts_an_entry(following: str | None, after_following: str | None) -> bool:
    """Whether a line between entries has an entry's own lines after it, and so is that entry's
    title: its abstract, its author line or '·', an organisation line before the '·', or a short
    abstract before the author line. "2048" there is a title, and anything else (the next
    entry's title, a footer, the end) leaves a count or the page's text as such: a rule that
    asked for the next entry's full abstract made "12" before a footer a paper."""
    return following is not None and (
        abstract_follows(following) or following == DATE_SEPARATOR or AUTHORS_LINE.match(following) is not None
        or after_following == DATE_SEPARATOR or is_sentence_before_authors(following, after_following))


# The dates a paper's own page prints under its title: "Published on Oct 9", "Submitted by yizhe on Oct 10".
INTERFACE_DATE_LINE = re.compile(rf"(?:published|submitted)(?: by \S+)? on (?:{MONTH_NAMES}) \d{{1,2}}(?:, \d{{4}})?",
                                 re.IGNORECASE)
# A card's count of its code's GitHub stars: "1.2k", "GitHub 1.2k", "★ 1.2k" (a bare "12" is \d+ below).
STAR_COUNT = r"(?:(?:github|★|⭐) ?)?\d+(?:[.,]\d+)?k|(?:github|★|⭐) ?\d+"
# Lines of the page's own interface that a copy of it may carry inside an entry (stray_line).
# Only these: any other line stays a title, since 19 of the 229 titles of the bundled pages are
# in sentence case ("The probabilistic world"), as such text is. "Published on Nov 10", a star
# count and "Comments 3" there were each a paper that took the entry's authors (found by review).
# A paper page's arXiv id ("arXiv:2503.10080", "arXiv 2502.00473v2", "2511.01234"), its links to
# collections, models, datasets and spaces, its buttons, and a card's comment or upvote count
# after its symbol ("💬 3", "▲ 57"): each was a paper that took the entry's authors, date and
# upvotes, or its abstract (a review of other copies).
# With its subject class ("arXiv:2503.10080 [cs.CL]"), the old form with its archive ("cs/0112017"),
# or as a link without its scheme ("arxiv.org/abs/2503.10080") too (review of the first rule).
SUBJECT_CLASS = r"[a-z]+(?:-[a-z]+)?(?:\.[a-z]+(?:-[a-z]+)?)?"  # "cs.CL", "cond-mat.dis-nn"
ARXIV_ID = (r"(?:(?:arxiv ?:? ?)?\d{4}\.\d{4,5}|(?:arxiv ?: ?)?[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2})?/\d{7})(?:v\d+)?"
            rf"(?: \[{SUBJECT_CLASS}(?:, ?{SUBJECT_CLASS})*\])?|(?:www\.)?arxiv\.org/\S+")  # "math-ph/0001001 [cs.CL, cs.AI]"
PAPER_PAGE_LINKS = (r"(?:add to |in )?collections?(?: \d+)?|collections including this paper(?: \d+)?"
                    r"|(?:models|datasets|spaces) citing this paper(?: \d+)?|paper page|arxiv page|share|copy link"
                    r"|upvoted(?: \d+)?|sign in to upvote"
                    r"|[^\w\s]{1,3} ?(?:\d{1,3}(?:,\d{3})+|\d{1,6}(?:[.,]\d)?k?)")  # "💬 3", "👍 1.2k", "— 57"
PAGE_TEXT_LINE = re.compile(
    r"(?:submitted by(?: \S+(?: \S+)?)?|upvotes?(?: \d+)?|\d+ upvotes?|show (?:more|less)|read more"
    r"|view (?:arxiv )?page|\d+ comments?|comments?(?: \d+)?|\d+|" + STAR_COUNT + "|" + ARXIV_ID + "|" + PAPER_PAGE_LINKS
    + "|" + INTERFACE_DATE_LINE.pattern + "|" + LINK_LINE.pattern + ")", re.IGNORECASE)


SUBMITTED_BY = "submitted by"  # alone on its line, the submitter's name on the next one
# The page's links to other days, arrows and all ("← Previous", "Next →", "»" alone: "").
DAY_LINKS = frozenset({"previous", "next", "prev", "previous day", "next day", "previous week", "next week",
                       "previous month", "next month", ""})


def is_day_link(plain: str) -> bool:
    """"Previous", "Next →", an arrow alone: the page's link to the day before or after."""
    return plain.casefold().strip("←→‹›«» ") in DAY_LINKS


def is_navigation(plain: str) -> bool:
    """A link of the page's to another day: "Previous", "Next", or a date alone ("Nov 11",
    "2025-11-11"; not one with an upvote count). Between entries, with no abstract after it, such
    a line is no paper's title."""
    if is_day_link(plain) or read_page_date(plain) is not None:
        return True
    date = read_entry_date(plain)
    return date is not None and date[3] is None


def heads_an_entry(content: list[tuple[int, str, str]], index: int, plain: str) -> bool:
    """Whether the line at `index` has its entry's own lines after it, and so is that entry's
    title: starts_an_entry's, or its abstract after a label ("Abstract") or after the lines a
    paper's own page prints between a title and its abstract (interface_then_abstract)."""
    following = content[index + 1][2] if index + 1 < len(content) else None
    after_following = content[index + 2][2] if index + 2 < len(content) else None
    return (starts_an_entry(following, after_following) or is_abstract_label(following or "", after_following)
            or interface_then_abstract(content, index + 1, plain))


def page_text_in_entry(record: Record | None, plain: str, following: str | None, after_submitted_by: bool = False
                       ) -> str | None:
    """What a stray_line issue says of a line of the page's own text (PAGE_TEXT_LINE) after an
    entry's abstract and before its author line, or None where the line is not one there.
    "Submitted by akhaliq" or "Upvote" there became a paper of its own that took the entry's
    authors, date and upvotes (between entries, the reading loop reports it too). Elsewhere such a
    line may be a title alone ("Comments" with its own author line; "1984" with its abstract), a paragraph of an abstract
    ("Submitted by the authors to ..."), or, right before the '·', an organisation ("360"). A
    name alone right after "Submitted by" alone is the submitter's ("akhaliq" took the entry's
    authors, date and upvotes)."""
    if (record is None or record.abstract is None or following == DATE_SEPARATOR or abstract_follows(following)
            or (PAGE_TEXT_LINE.fullmatch(plain) is None and not (after_submitted_by and " " not in plain))):
        return None
    return ("after the entry's abstract, before its author line: read as the page's own text, copied with it (were it "
            "a title, that paper has no abstract and the author/date block below is its own)")


# Hugging Face prints a summary of its own under a title, labelled so, then the abstract: the label
# was a paper of its own, and the summary took the entry's abstract, authors and date (review).
# Only these, right under the title: "AI Summary" may be a title of its own (review).
SUMMARY_LABELS = frozenset({"ai-generated summary", "ai generated summary"})
SUMMARY_WORDS = 60  # the site's summary is a sentence or two
SUMMARY_SHARE = 2  # an abstract after it is twice its length at least (not a second paragraph of one)


def is_summary_label(plain: str) -> bool:
    return len(plain) <= 30 and plain.casefold().rstrip(":") in SUMMARY_LABELS


def is_summary_over_an_abstract(plain: str, following: str | None, after_following: str | None) -> bool:
    """Whether the line under a summary's label is the site's summary: no title (the next
    entry's, where this one has no summary or abstract), and a labelled abstract after it
    ("Abstract", then it) or an abstract SUMMARY_SHARE times its length. A first paragraph of two
    was taken for the summary, and a title for one (review of the first rule)."""
    if following is None or reads_as_title(plain) or word_count(plain, SUMMARY_WORDS) > SUMMARY_WORDS:
        return False
    if is_abstract_label(following, after_following):
        return True
    return abstract_follows(following) and len(following) >= SUMMARY_SHARE * len(plain)


INTERFACE_LINES_MAX = 8  # "Published on", "Submitted by", a name, "Upvote", a count: 5


def is_interface_line(plain: str, after_submitted_by: bool, after_interface: bool) -> bool:
    """A line of a paper page's own text, as it may stand between a title and its abstract. A
    bare number only after another such line ("Upvote", then its count): alone it may be a title."""
    if INTERFACE_DATE_LINE.fullmatch(plain) or (after_submitted_by and " " not in plain and len(plain) <= 40):
        return True
    return PAGE_TEXT_LINE.fullmatch(plain) is not None and (after_interface or not plain.isdigit())


def interface_then_abstract(content: list[tuple[int, str, str]], start: int, plain: str) -> bool:
    """Whether the lines from `start` are more of the page's own text (is_interface_line) and then
    an abstract: only then is the title before them that abstract's."""
    after_submitted_by = plain.casefold() == SUBMITTED_BY
    for _, line, following in content[start:start + INTERFACE_LINES_MAX]:
        if continues_title(line):
            return True
        if not is_interface_line(following, after_submitted_by, True):
            return False
        after_submitted_by = following.casefold() == SUBMITTED_BY
    return False


def is_sentence_before_authors(plain: str, following: str | None) -> bool:
    """A sentence, not in Title Case, right before an author line: after a title alone it is the
    entry's short abstract. "We make attention sparse." was a paper of its own, which took the
    entry's authors, date and upvotes, and left its title without an abstract."""
    # reads_as_title, not in_title_case: it looks at a line no longer than a title only. On every
    # abstract before its author line, in_title_case listed its words: reading took 3.7 × as long.
    return (following is not None and plain.endswith(FULL_STOPS) and AUTHORS_LINE.match(following) is not None
            and not reads_as_title(plain))


def is_short_abstract_before_its_block(plain: str, following: str | None, after_following: str | None) -> bool:
    """A sentence right before an author line (is_sentence_before_authors), or before an
    organisation line and its '·', or one ending in a link, not in Title Case: under a title
    alone, the entry's short abstract. Each was a paper that took the entry's block (review). Not
    a question: sentence-case titles end so ("Are we done with MMLU?"), as no title ends in a link."""
    if following is None or not (plain.endswith(FULL_STOPS) or ("://" in plain and LINK_AT_END.search(plain))):
        return False
    # Title Case looked at last: on every abstract, first, it made reading 40% slower.
    return (AUTHORS_LINE.match(following) is not None or (
        after_following == DATE_SEPARATOR and not following.startswith("•") and not reads_as_text(following))
            ) and not reads_as_title(plain)


LINK_AT_END = re.compile(r"\shttps?://\S+$")  # "... faster. Code: https://github.com/x/y"


def is_abstract_of(record: Record | None, line: str, text_before_dot: bool = False) -> bool:
    """Whether the line is the abstract of a record that has a title and no abstract yet: prose,
    or, right before a '·' (an entry with no author line), any line that reads as text rather
    than as an organisation: "We study kernels." was the organisation "We" named "study kernels."."""
    if record is None or record.abstract is not None or reads_as_title(line):
        return False
    return text_before_dot or continues_title(line)


# Lower-case words a display name may hold ("facebook AI at Meta", "Mohamed bin Zayed University
# of Artificial Intelligence", "Max-Planck-Institut für Informatik").
NAME_SMALL_WORDS = frozenset("a an and at bin de del der des di du e et for für in la le of on the und van von y".split())
# A first word that opens a sentence, never a handle: "We study kernels." was the organisation "We".
SENTENCE_OPENERS = frozenset("We Our This These Here In".split())


def reads_as_text(plain: str) -> bool:
    """Whether a line right before '·' is surely the entry's text rather than an organisation
    line `handle Display Name`. "Code is available online." or "Code is available at
    https://..." before the '·' of an entry with no author line made the organisation "Code"
    named "is available ...", and "Preprint. Under review." the organisation "Preprint.", silently.

    Text: prose; a first word ending in punctuation, as no handle does ("Preprint.", "Code:"), or
    one that opens a sentence ("We"); a link after it; three lower-case words but a name's
    small ones ("is available online"); or, ending in a full stop, a number after it ("NeurIPS
    2025."). Anything else is an organisation, reported where it reads like text (organisation_doubt):
    three review rounds found no form that tells "princeton-nlp Princeton NLP group" or "laion
    LAION eV" from "Accepted at ACL 2025" or "Work in progress"."""
    if plain.startswith("•"):  # an author line, however damaged ("• -3 authors" is reported as one)
        return False
    if continues_title(plain):
        return True
    handle, _, name = plain.partition(" ")
    if handle[-1] in ".:,;!?" or handle in SENTENCE_OPENERS:
        return True
    if not name or _letters_and_digits(name) == _letters_and_digits(handle):
        return False
    return "://" in name or len(_lower_case_words(name)) >= 3 or (plain.endswith(".") and name[0].isdigit())


def organisation_doubt(handle: str, name: str) -> str | None:
    """Why an organisation line might instead be text (a note pasted before '·', or the
    abstract's last sentence, with no author line): a lower-case word but a name's small ones,
    or a year. None for a name that is its handle or reads as a name."""
    if _letters_and_digits(name) == _letters_and_digits(handle):
        return None
    if lower_case := _lower_case_words(name):
        return f"it holds {quoted(lower_case[0])}, lower case as a sentence's word"
    if YEAR.search(name):
        return "it holds a year, as a venue's note does"
    if PEOPLE.fullmatch(f"{handle} {name}"):
        return "it reads as people's names, separated by commas as authors are"
    if (handle[:1].isupper() and handle[1:].islower() and len(name.split()) >= TITLE_LIKE_NAME_WORDS
            and not names_its_handle(f"{handle} {name}")):
        # "Robust Learning From Noisy Labels" before '·': an entry's title whose abstract and author
        # line are missing took the entry above's place as its organisation, unreported (review).
        return TITLE_DOUBT
    return None


def is_organisation_beside_authors(record: Record, plain: str) -> bool:
    """An organisation line next to the entry's author line, before or after it (the reading loop
    sees which): a card may show both. Only one whose name opens with its whole handle
    ("adobe Adobe", "meta-llama Meta Llama", "Salesforce Salesforce AI Research"): there a title
    whose abstract is missing is more likely, and names_its_handle took 21 of the 315 bundled
    titles for organisations ("Graph Neural Networks for Graphs", "A Flexible …": review)."""
    if record.organization is not None or " " not in plain or len(plain) > ORGANISATION_CHARACTERS:
        return False
    if AUTHORS_LINE.match(plain) is not None:
        return False
    handle, name = plain.split(" ", 1)
    if handle[:1].isupper() and handle[1:].islower():
        # A word as a title's first ("An Analysis of …", "Graph GraphRAG Made Simple"): only a
        # name that opens with that very word, in any case ("Qwen Qwen", "Nvidia NVIDIA").
        return name.split()[0].casefold() == handle.casefold() and organisation_doubt(handle, name) is None
    letters, named, first = _letters_and_digits(handle), _letters_and_digits(name), _letters_and_digits(name.split()[0])
    # The name opens with the handle ("adobe Adobe", "meta-llama Meta Llama"), or a handle in lower
    # case, as the site writes its own ("deepseek-ai DeepSeek", "internlm Intern Large Models"),
    # with the name's first word: a title's first word in capitals opens so too ("GraphGPT: Graph
    # Instruction Tuning …", "DeepSeek-V3 DeepSeek Is All You Need": review of the second rule).
    return ((len(letters) >= ORGANISATION_LETTERS and named.startswith(letters))
            or (handle == handle.lower() and len(first) >= ORGANISATION_LETTERS and letters.startswith(first))
            ) and organisation_doubt(handle, name) is None


ORGANISATION_LETTERS = 3  # "ibm IBM"; two ("an Analysis") open too many titles
ORGANISATION_CHARACTERS = 80  # "Salesforce Salesforce AI Research" is 33


def names_its_handle(plain: str) -> bool:
    """Whether a line `handle Name` names its handle again, as an organisation does ("Qwen Qwen",
    "Salesforce Salesforce AI Research"), where a title does not ("Robust Learning From ...")."""
    handle, _, name = plain.partition(" ")
    return _letters_and_digits(handle)[:3] in _letters_and_digits(name)


TITLE_LIKE_NAME_WORDS = 3  # "adobe Adobe", "meta-llama Meta Llama": an organisation's name repeats its handle
TITLE_DOUBT = "it reads as a title: a capitalised word, then words that do not name it again"


# A link (`https://…`, `www.…`, `github.com/…`, `….github.io`), or a venue's note: "Accepted to
# NeurIPS 2025", "NeurIPS 2025 Spotlight": a note, never a title. Not "TL;DR: …" nor a year with
# "Workshop" anywhere ("TLDR: Extreme Summarization of Scientific Documents", "Report on the
# NeurIPS 2024 Workshop on …" are titles; found by review of the first rule). Looked for in a
# short line only (ENTRY_NOTE_CHARACTERS): a year after every "Oral" of a 100 kB line took 9 s.
# In brackets or bold too ("[NeurIPS 2025 Spotlight]", "(Accepted to ICML 2025)", "【…】",
# "**…**"): such a note was a paper. The tier may come first: "(Oral, ICLR 2024)".
NOTE_OPENING = r"(?:[\[(（【] ?|\*\*)?"
ENTRY_NOTE = re.compile(r"(?i:https?://|www\.|github\.(?:com|io)\b)"
                        rf"|^{NOTE_OPENING}(?i:accepted (?:to|at|by|in|for) )\S.*\b(?:19|20)\d\d\b"
                        rf"|^{NOTE_OPENING}{VENUE}(?:[ -](?:19|20)\d\d|{SHORT_YEAR}) (?i:oral|spotlight|poster)\b"
                        rf"|^{NOTE_OPENING}(?i:oral|spotlight|poster) ?[,，] ?{VENUE}(?:[ -](?:19|20)\d\d|{SHORT_YEAR})\b")
ENTRY_NOTE_CHARACTERS = 200


# "Alice Smith, Bob Jones" where an organisation goes was the organisation "Alice" named
# "Smith, Bob Jones", unreported (found by review).
# Names written as people's are: each word a capital then small letters ("Alice Smith"), so no
# organisation's "AI", "ETH", "NLP" or "Alibaba-NLP" (found by review of the first rule).
PERSON = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’.-]+(?: [A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’.-]+){1,2}"
PEOPLE = re.compile(rf"{PERSON}(?:,(?: and)? {PERSON})+")


def _lower_case_words(name: str) -> list[str]:
    return [word for word in name.split() if word[0].islower() and word.strip(".,;:()").lower() not in NAME_SMALL_WORDS]


def _letters_and_digits(text: str) -> str:
    return "".join(character for character in text.casefold() if character.isalnum())


def organisation_over_a_lost_separator(record: Record | None, meta_state: str | None, plain: str,
                                       following: str | None, after_following: str | None) -> bool:
    """Whether a line right after an entry's abstract is its organisation line though no '·'
    follows it: a date does, or a look-alike of '·' and then a date (DATE_SEPARATOR_LOOKALIKES).
    `adobe Adobe` then `Aug 10, 2024` made papers titled so (found by review). Not a line that
    reads as text (reads_as_text), which is the abstract's."""
    if record is None or record.abstract is None or meta_state is not None or following is None:
        return False
    dated = (read_entry_date(following) is not None or separates_a_date(following, after_following)
             or dot_and_date(following))  # "adobe Adobe", then "· Nov 10 12": two papers (review)
    return dated and not reads_as_text(plain)


def separates_a_date(plain: str, following: str | None) -> bool:
    """A look-alike of '·' (DATE_SEPARATOR_LOOKALIKES) with a date right after it."""
    return plain in DATE_SEPARATOR_LOOKALIKES and following is not None and read_entry_date(following) is not None


def is_next_paragraph_of(record: Record | None, line: str, text_before_dot: bool = False) -> bool:
    """Whether the line, right after a record's abstract, continues it rather than starting the
    next entry (after an entry with no author/date block). Never a line in Title Case, as the
    pages' titles are: a title of over 25 words, or one ending in a full stop, is the next
    entry's (110 of the synthetic corpus's 100,000 long titles had been glued to the entry
    before). Otherwise: prose, a line longer than any title, or any sentence ("Code is available
    online.", "We release our code and models." between two paragraphs, or right before '·').
    Each is reported, as it may instead be the title of an entry whose abstract is missing. (A
    line right before '·' is one when it reads as text, and else an organisation line: reads_as_text.)"""
    if record is None or record.abstract is None or record.title is None or in_title_case(line):
        return False
    return text_before_dot or continues_title(line) or line.rstrip().endswith(FULL_STOPS)


def _read_hf_header(lines: list[str], reading: Reading) -> int:
    """Mark the page header lines and find the page's own date; return the first body line."""
    start = _header_start(lines, reading)
    number = _past_header_lines(lines, start, reading)
    plain = plain_line(lines[number - 1]) if number <= len(lines) else ""
    if read_page_date(plain):
        reading.page_date = lines[number - 1].strip()  # as printed: read in its plain form (page_day)
        reading.other_lines[number] = "header"
        number = _past_header_lines(lines, number + 1, reading)
    elif DATE_LIKE.fullmatch(plain) or (_names_a_month(plain) and len(plain.split()) <= 4
                                        and not abstract_follows(_next_texts(lines, number)[0])):
        # Where the page's date goes, a date in a form this reader cannot read: no paper titled so.
        reading.issues.append(ParseIssue(number, "bad_page_date", f"{quoted(plain)} where the page's date goes is not a "
                                         "date such as 'Nov 12', '12 Nov', 'Nov 12, 2025' or '2025-11-12': the page has "
                                         "no date"))
        reading.other_lines[number] = "header"
        number += 1
    else:
        # A page copied from below its header has neither: "after the header" named one it lacked (review).
        has_header = any(reading.other_lines.get(line) == "header" for line in range(start, number))
        where = "after the header" if has_header else "and no page header (the copy starts below it)"
        reading.issues.append(ParseIssue(None, "missing_page_date", f"no page date (such as 'Nov 12') {where}"))
    return number


def _past_header_lines(lines: list[str], number: int, reading: Reading) -> int:
    """The first line from `number` on that is no header line, blank line or link to another day
    ("← Previous", "Next →": around the page's date, they made it a link, found by review), the
    lines before it marked as the header's. A tab or link with its entry's lines after it is that
    entry's title ("Daily" over its abstract or author line)."""
    while number <= len(lines):
        plain = plain_line(lines[number - 1])
        if not plain:
            reading.other_lines[number] = "blank"
        elif is_header_line(plain) or ((is_tab_or_day_link(plain) or header_key(plain) in BYLINE_PIECES)
                                       and not starts_an_entry(*_next_texts(lines, number))):
            reading.other_lines[number] = "header"
        else:
            break
        number += 1
    return number


def _next_texts(lines: list[str], number: int) -> tuple[str | None, str | None]:
    """The first two lines after line `number` that are not blank, as read (plain_line)."""
    texts = itertools.islice((plain_line(line) for line in lines[number:] if not is_blank(line)), 2)
    first, second = (list(texts) + [None, None])[:2]
    return first, second


HEADER_SEARCH_LINES = 40  # the site's menu above the header is a dozen lines
MONTH_WORD = re.compile(rf"\b(?:{MONTH_NAMES})\b", re.IGNORECASE)


def _names_a_month(plain: str) -> bool:
    return any(character.isdigit() for character in plain) and MONTH_WORD.search(plain) is not None


def _header_start(lines: list[str], reading: Reading) -> int:
    """The header's first line: 1, or, where the copy took the site's own text above it (its
    menu: "Models", "Datasets"), the first header line within HEADER_SEARCH_LINES whose block
    holds "Daily Papers" or ends in the page's date. Each line above it is reported. The menu
    was two papers, and the header a second page's, whose date was lost."""
    plain = [plain_line(line) for line in lines[:HEADER_SEARCH_LINES]]
    content = [index for index, line in enumerate(plain) if line]
    if not content or is_header_line(plain[content[0]]):
        return 1
    for start in content:
        if not is_header_line(plain[start]):
            continue
        if any(reads_as_an_entrys(plain[index]) for index in content if index < start):
            return 1  # entries above another page's header (read as pasted after them), not the site's text
        block = [plain[index] for index in content if index >= start]
        ends = next((place for place, line in enumerate(block) if not is_header_line(line)), len(block))
        if any(map(is_daily_papers_title, block[:ends])) or (
                ends < len(block) and read_page_date(block[ends])):
            for index in range(start):
                if plain[index]:
                    reading.issues.append(ParseIssue(index + 1, "before_header", f"{quoted(plain[index])} before the "
                                                     "page's header: the site's own text, copied with the page"))
                else:
                    reading.other_lines[index + 1] = "blank"
            return start + 1
    return 1


def reads_as_an_entrys(plain: str) -> bool:
    """Whether a line above the header is an entry's: an author line, its '·' or date. A page
    copied from its first entry down, another page pasted after it, had its three entries taken
    for the site's text above the header, and lost them. Prose is not enough: the site has its
    own ("We use cookies ...")."""
    return plain == DATE_SEPARATOR or AUTHORS_LINE.match(plain) is not None or ENTRY_DATE_LINE.match(plain) is not None


def _page_day(reading: Reading, snapshot_date: str | None) -> dt.date | None:
    """The page's full date: its printed month and day in the year of the snapshot, or in its own
    printed year where the manifest gives no snapshot."""
    printed = read_page_date(plain_line(reading.page_date)) if reading.page_date else None
    dated = None
    if printed and printed[2]:
        try:
            dated = dt.date(int(printed[2]), printed[0], printed[1])
        except ValueError:
            reading.issues.append(ParseIssue(None, "invalid_date", f"page date {quoted(reading.page_date)} is no day "
                                             "of the calendar"))
    if snapshot_date is None:
        if dated:
            return dated
        if printed and not printed[2]:
            reading.issues.append(
                ParseIssue(
                    None,
                    "unknown_page_year",
                    f"page date {quoted(reading.page_date)} has no year and the file has no snapshot_date (a "
                    "manifest's [[source]] gives it): year-less entry dates stay unresolved",
                )
            )
        return None
    snapshot = dt.date.fromisoformat(snapshot_date)
    if printed:
        month, day, year = printed
        if (month, day) != (snapshot.month, snapshot.day) or (year and int(year) != snapshot.year):
            reading.issues.append(
                ParseIssue(
                    None,
                    "page_date_mismatch",
                    f"page says {quoted(reading.page_date)} but the manifest's snapshot_date is {snapshot_date}",
                )
            )
        if (next_day := snapshot + dt.timedelta(days=1)) == dated or (not year and (month, day) == (next_day.month, next_day.day)):
            return next_day  # the site's day (UTC) begun where the page was saved: its "Nov 13" entries are of 2025
    return snapshot


def _pasted_page_day(plain: str, printed: tuple[int, int, str | None], first_page_day: dt.date | None,
                     snapshot_date: str | None, number: int, reading: Reading) -> dt.date | None:
    """The date of a page pasted after the first page's entries, from its header's date line: its
    printed year, or else the year that puts it on or before the day after the file's snapshot
    (no page saved then is of a later day, and the site's day, in UTC, may have begun: _page_day),
    as an entry's date is read, and the year nearest the first page's printed date where the
    manifest gives no snapshot. Its entries were read with the first page's date ("Nov 15" under
    a pasted page's "Nov 20, 2025" was 2024-11-15 on a page of Nov 12); and with the page pasted
    before it, a year earlier for each page pasted in date order ("Nov 10", "Nov 11", "Nov 12":
    the third was of 2024: review)."""
    month, day, year = printed
    if year is None and first_page_day is None:
        return None
    latest = dt.date.fromisoformat(snapshot_date) + dt.timedelta(days=1) if snapshot_date else None
    try:
        pasted = dt.date(int(year) if year else year_on_or_before(month, day, latest) if latest
                         else year_nearest(month, day, first_page_day), month, day)
    except ValueError:
        reading.issues.append(ParseIssue(number, "invalid_date", f"page date {quoted(plain)} is no day "
                                         "of the calendar: the pasted page's entries are read with the first page's date"))
        return first_page_day
    reading.issues.append(ParseIssue(
        number, "pasted_page_date", f"the pasted page's date, read as {pasted.isoformat()}: its entries' dates "
        "without a year are read against it (their upvotes are still counted as the file's snapshot's)"))
    return pasted


# The author line, then '·' and the date: the date is what follows the last '·', or in a phone's
# layout the last two ("3 authors · Nov 11 · 12", its upvotes after a '·' of their own).
# The spaces around '·' may be lost too ("• 3 authors·Nov 10 12", "·Nov 10 12": found by review).
JOINED_BLOCKS = (re.compile(rf"^(?:(.+?) ?)?{DATE_SEPARATOR} ?([^{DATE_SEPARATOR}]+)$"),
                 re.compile(rf"^(?:(.+?) ?)?{DATE_SEPARATOR} ?([^{DATE_SEPARATOR}]+ {DATE_SEPARATOR} [^{DATE_SEPARATOR} ]+)$"))


def joined_block(plain: str, record: Record | None, meta_state: str | None) -> tuple[str | None, tuple, str] | None:
    """An entry's author or organisation line, '·' and date on one line (`• 3 authors · Nov 3 12`,
    `adobe Adobe · Nov 3 12`, or `3 authors · Nov 11 · 12`), or '·' and the date after such a line
    (`· Nov 4 7`): the author or organisation line as read (None where it came before), the date
    (read_entry_date) and the date's text as read. Each was a paper titled so, and the entry lost
    its block. An organisation line only where it does not read as text (reads_as_text)."""
    if record is None or (split := split_joined_block(plain)) is None:
        return None
    who = split[0]
    if meta_state == "who" and who is None:
        return split
    if meta_state is None and record.abstract is not None and who is not None and (
            AUTHORS_LINE.match(who) is not None or not reads_as_text(who)):
        return split
    return None


def split_joined_block(plain: str) -> tuple[str | None, tuple, str] | None:
    """A line holding '·' and a date after it (JOINED_BLOCKS): what came before the '·' (None
    where nothing did), the date (read_entry_date) and the date's text as read; else None."""
    for pattern in JOINED_BLOCKS:
        if (joined := pattern.match(plain)) is not None and (date := read_entry_date(joined.group(2))) is not None:
            return joined.group(1), date, joined.group(2)
    return None


def author_line_and_its_dot(plain: str) -> re.Match | None:
    """"• 3 authors ·": an author line (AUTHORS_LINE's match of it) with its '·' after it."""
    return AUTHORS_LINE.match(plain.removesuffix(DATE_SEPARATOR).rstrip()) if plain.endswith(DATE_SEPARATOR) else None


def orphan_joined_block(plain: str) -> str | None:
    """What an author line joined to its '·' ("the author line and '·'") or to '·' and its date
    ("the author line, '·' and the date") holds, where a line is one of those; else None."""
    if author_line_and_its_dot(plain):
        return "the author line and '·'"
    split = split_joined_block(plain)
    if split is not None and split[0] and AUTHORS_LINE.match(split[0]):
        return joined_parts(split[0], DATE_SEPARATOR in split[2])
    return None


def dot_and_date(plain: str | None) -> bool:
    """'·' and a date on one line (`· Nov 10 12`), as after an author or organisation line."""
    return plain is not None and plain.startswith(DATE_SEPARATOR) and read_entry_date(plain[1:].strip()) is not None


def written_before(line: str, read_end: str) -> str:
    """What `line` wrote before the end that plain_line read as `read_end` (written_end) and the
    '·' before that end."""
    parts = read_end.count(DATE_SEPARATOR) + 1
    return DATE_SEPARATOR.join(ANY_DOT.split(line)[:-parts]).strip()


def joined_parts(who: str | None, upvotes_after_a_dot: bool) -> str:
    """What a joined_metadata line holds: "the author line, '·' and the date", and so on. `who`:
    the author or organisation line it holds, as read, if any."""
    parts = [] if who is None else [
        "the author line" if AUTHORS_LINE.match(who) or who.startswith("•") else "the organisation line"]
    parts += ["'·'", "the date"] + (["'·'", "its upvote count"] if upvotes_after_a_dot else [])
    return ", ".join(parts[:-1]) + " and " + parts[-1] + (" (a phone's layout)" if upvotes_after_a_dot else "")


def written_end(line: str, read_end: str) -> str:
    """The end of `line` as the page wrote it that plain_line read as `read_end`: as many of its
    '·'-separated parts (single-spaced and trimmed by plain_line, '·' kept)."""
    parts = read_end.count(DATE_SEPARATOR) + 1
    return DATE_SEPARATOR.join(ANY_DOT.split(line)[-parts:]).strip()


def year_on_or_before(month: int, day: int, page_day: dt.date) -> int:
    """The year a date printed without one has on a page of `page_day`: the page's, or the year
    before where that would put it after the page (SOURCES.md); Feb 29 the leap year on or before
    that (on a page of Mar 1, 2025: 2024, where 2025 has no such day: review)."""
    year = page_day.year - 1 if (month, day) > (page_day.month, page_day.day) else page_day.year
    while (month, day) == (2, 29) and not calendar.isleap(year):
        year -= 1
    return year


def year_nearest(month: int, day: int, reference: dt.date) -> int:
    """The year that puts a date printed without one nearest `reference`, a year either side: "Jan
    2" by Dec 30, 2025 is of 2026; "Feb 29" where no such year is a leap year, of the leap year
    before (the nearest leap year put a page after Mar 2026 in 2028: review)."""
    years = [year for year in range(reference.year - 1, reference.year + 2)
             if (month, day) != (2, 29) or calendar.isleap(year)]
    if not years:
        return year_on_or_before(month, day, reference)
    return min(years, key=lambda year: abs((dt.date(year, month, day) - reference).days))


def _set_entry_authors(record: Record, number: int, line: str, written: str, authors: re.Match | None,
                       reading: Reading) -> None:
    """`• N authors` (`authors`, AUTHORS_LINE's match) or an organisation line `handle Name`;
    anything else there is reported. `line` is read as plain_line gives it, `written` as the
    page wrote it, which is what an organisation keeps."""
    handle, _, name = line.partition(" ")
    if authors:
        record.authors_count = _stored_count(authors.group(1), number, "author count", reading)
    elif line.startswith("•"):
        reading.issues.append(ParseIssue(number, "bad_authors_line", f"{quoted(line)} is not '• N authors'"))
    elif not (has_letter_or_digit(handle) and has_letter_or_digit(name or handle)):
        reading.issues.append(ParseIssue(
            number, "bad_organization", f"{quoted(line)} is not an organisation (a handle and a name with letters or digits)"))
    else:
        # As written: a no-break space, double space or zero-width (non-)joiner in a name stays.
        written_handle, written_name = first_word_and_rest(written)
        record.organization = (written_handle, written_name or written_handle)
        if (doubt := organisation_doubt(handle, name or handle)) is not None:
            reading.issues.append(ParseIssue(
                number, "organisation_or_text",
                f"{quoted(line)} read as the organisation {quoted(handle)} named {quoted(name)}, though {doubt}: "
                + ("were it the next entry's title, that entry has no abstract or author line, and this one no "
                   "organisation" if doubt == TITLE_DOUBT else
                   "were it text, it belongs to the abstract and the entry has no author line")))


COUNT_ABOVE_TITLE = re.compile(r"\d{1,6}")  # a count as the upvote box prints it; "1.2k" there is a card's stars
ROUNDED_COUNT = re.compile(r"(\d+)(?:[.,](\d))?[kK]")


def _upvote_count(printed: str, number: int, reading: Reading) -> int | None:
    """An upvote count as UPVOTE_COUNT reads it: thousands grouped with commas, or rounded to
    thousands ("1.2k": 1,200, reported, as the page gave no more than that)."""
    if thousands := ROUNDED_COUNT.fullmatch(printed):
        count = int(thousands[1]) * 1000 + int(thousands[2] or 0) * 100
        reading.issues.append(ParseIssue(number, "rounded_upvotes", f"upvote count {quoted(printed)} is rounded to "
                                         f"thousands on the page: read as {count}"))
        return count
    return _stored_count(printed.replace(",", ""), number, "upvote count", reading)


def _stored_count(digits: str, number: int, what: str, reading: Reading) -> int | None:
    """A count as an integer SQLite can store; a larger one (19 digits and more) is reported."""
    significant = digits.lstrip("0") or "0"
    # The length is checked first: Python refuses to convert more than 4,300 digits at all.
    if len(significant) > len(str(SQLITE_INTEGER_MAX)) or int(significant) > SQLITE_INTEGER_MAX:
        reading.issues.append(ParseIssue(number, "number_too_large", f"{what} {digits} is too large to be a count"))
        return None
    return int(significant)


def _set_entry_date(record: Record, number: int, line: str, date: tuple[int, int, str | None, str | None],
                    page_day: dt.date | None, reading: Reading) -> None:
    """The entry's date from `date`, read_entry_date's reading of the line as read."""
    month, day, year, upvotes = date
    record.date_text = line
    record.last_line = number
    # After a '·' of its own (a phone's layout: "Nov 11 · 2024") the number is the count: no comma was lost.
    if year is None and upvotes is not None and YEAR.fullmatch(upvotes) and DATE_SEPARATOR not in line:
        if page_day is None or int(upvotes) <= page_day.year:
            # "Mar 5 2024": the year with its comma lost, far likelier than 2,024 upvotes (the
            # bundled pages' highest is 2 digits); it was read as upvotes, with the page's year.
            reading.issues.append(ParseIssue(
                number, "year_without_comma",
                f"{quoted(line.strip())}: {upvotes} read as the year (written 'Mon D, YYYY'), not as the upvote count"))
            year, upvotes = upvotes, None
        else:
            # "Nov 20 2026" on a 2025 page: upvotes, as no paper on a page is published after it;
            # but it reads as a year that lost its comma too, and was taken without a word.
            reading.issues.append(ParseIssue(
                number, "upvotes_like_a_year",
                f"{quoted(line.strip())}: {upvotes} read as the upvote count; as a year it would be after the "
                f"page's ({page_day.year})"))
    record.upvotes = _upvote_count(upvotes, number, reading) if upvotes is not None else None
    if year is not None:
        resolved, inferred = int(year), False
    elif page_day is not None:
        resolved, inferred = year_on_or_before(month, day, page_day), True
    else:
        return  # no year to give it: the raw date_text is kept
    try:
        published = dt.date(resolved, month, day)
    except ValueError:
        reading.issues.append(ParseIssue(number, "invalid_date", f"{quoted(line)} is not a calendar date"))
        return
    record.published_on = published.isoformat()
    record.published_year_inferred = inferred
    if published.year < EARLIEST_YEAR:  # a written year only: "Nov 3, 0023" was taken without a word
        reading.issues.append(ParseIssue(
            number, "date_before_1900", f"{quoted(line.strip())} has the year {published.year}, before any paper such "
            "a page lists; the date is kept as written"))
    if page_day is not None and published > page_day:  # only a written year can be: an inferred one never is
        reading.issues.append(ParseIssue(
            number, "date_after_snapshot",
            f"{quoted(line.strip())} is after the page was saved ({page_day.isoformat()}): a page cannot list a paper "
            "published later; the date is kept as written"))
