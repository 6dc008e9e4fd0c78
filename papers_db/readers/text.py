"""What both readers share: decoding a browser copy into lines, and the shapes of its lines."""

from __future__ import annotations

import re
import unicodedata

from ..records import ParseIssue, Reading, Record

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # little- and big-endian
UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")  # the first starts as UTF-16's does
WIDE_ENCODING_CODES = {"utf-16": "utf16", "utf-32": "utf32"}  # the issue decode_source reports a file read so with


# A message quotes at most this much of a line: a 200,000-character date line made a 1.2 MB
# message, printed whole as a warning.
QUOTED_CHARACTERS = 200


def quoted(text: str, limit: int = QUOTED_CHARACTERS) -> str:
    """Text as a message quotes it: repr(), cut with an ellipsis past `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def decode_source(data: bytes) -> tuple[str, list[ParseIssue]]:
    """Decode a browser copy into clean text: UTF-8, `\\n` endings, no BOM, no trailing blanks.

    Damage is repaired where the meaning is clear and reported with its line: bytes that are not
    UTF-8 become U+FFFD, NUL bytes are dropped. Every other character stays as the file has it
    (non-breaking spaces too: readers match metadata lines through plain_line, and paper identity
    folds them), so that a listing's text is what the page said.
    """
    issues = []
    wide, damaged = wide_encoding(data), False
    if wide:
        # A file saved as UTF-16 read as UTF-8 gave a title of mojibake and a NUL issue per line.
        codec, how = wide
        family = codec[:6]  # "utf-16" or "utf-32", whichever its byte order
        data, damaged = as_utf8(data, codec)
        issues.append(ParseIssue(None, WIDE_ENCODING_CODES[family], f"the file is {family.upper()} ({how}), cut off or "
                                 "damaged: read as such, its bad bytes replaced by U+FFFD" if damaged else
                                 f"the file is {family.upper()} ({how}): read as such"))
    data = with_newline_line_ends(data.removeprefix(b"\xef\xbb\xbf"))
    # The common case, a clean file, is decoded whole; only a damaged one goes line by line.
    lines = _decode_whole(data)
    if lines is None:
        lines, line_issues = _decode_line_by_line(data)
        issues += line_issues
    if not data or data.endswith(b"\n"):
        lines.pop()  # a final newline ends the last line; it does not start another
    if damaged:  # where, as for a UTF-8 file's bad bytes: the file's issue alone named no line (review)
        issues += [ParseIssue(number, f"invalid_{family.replace('-', '')}", f"bytes that are not {family.upper()} in "
                              "the line: replaced by U+FFFD") for number, line in enumerate(lines, start=1) if "\ufffd" in line]
    text = joined_lines(lines)
    # The file's own mark is dropped above: another came with a file joined to it. Looked for in
    # the text, where a text of ASCII alone answers at once: in the bytes, 4.3 ms for 7 MB.
    if "\ufeff" in text:
        lines, marks = without_byte_order_marks(lines)
        issues += marks
        text = joined_lines(lines)
    # Looked for in the text, not the bytes: 0.1 ms for a 7 MB file against 15 ms.
    if any(character in text for character in INNER_LINE_BREAKS):  # most files have none: no line is scanned
        issues += inner_line_break_issues(lines)
    return text, issues


# UTF-16 without a byte order mark is told by its NUL bytes in the first 4 KB: text in a Latin
# script has one as the high byte of almost every character (all but 3 of 397 in a listing with
# an em dash and "中文"), so more than half its high bytes are NUL, and under a tenth of its low
# bytes (only characters such as U+3000 and U+4E00 have one). A NUL-damaged UTF-8 file has a few
# NULs, or runs of them, which fill high and low bytes alike.
UTF16_SAMPLE_BYTES = 4096


def wide_encoding(data: bytes) -> tuple[str, str] | None:
    """The UTF-16 or UTF-32 codec a file is saved in and how that shows, or None (UTF-8, or
    bytes damaged as UTF-8). Without its byte order mark, UTF-16 was read as UTF-8 with its NULs
    dropped: an em dash became a control character, and "中文" two other characters."""
    if data.startswith(UTF32_BOMS):
        return "utf-32", "it starts with its byte order mark"
    if data.startswith(UTF16_BOMS):
        return "utf-16", "it starts with its byte order mark"
    sample = data[:UTF16_SAMPLE_BYTES]
    for codec, high_bytes, low_bytes in (("utf-16-le", sample[1::2], sample[::2]),
                                         ("utf-16-be", sample[::2], sample[1::2])):
        if high_bytes.count(0) > len(high_bytes) / 2 and low_bytes.count(0) < len(low_bytes) / 10:
            return codec, "it has no byte order mark, but NUL bytes where UTF-16 text has them"
    return None


def as_utf8(data: bytes, codec: str) -> tuple[bytes, bool]:
    """A UTF-16 or UTF-32 file (wide_encoding) as UTF-8 bytes, and whether any of it was damaged
    (cut off mid-character, say): such bytes become U+FFFD."""
    try:
        return data.decode(codec).encode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode(codec, errors="replace").encode("utf-8"), True


def with_newline_line_ends(data: bytes) -> bytes:
    """`data` with "\\r\\n" line ends as "\\n", and those of an old Mac file ("\\r" alone) too.

    Old Mac is a file whose lone "\\r" outnumber its "\\n", and whose first line break is a lone
    "\\r" (a few "\\n" lines may have been added at its end), or whose one "\\n" line comes before
    lone "\\r" only (a header line a Windows tool added, ending in "\\r\\n": read as one line, 3
    papers with their decisions became one). Elsewhere a lone "\\r" is part of its line, so that
    line numbers are those `wc -l`, `sed -n Np` and editors show: one inside an abstract split the
    record and moved every later line. Counting alone took a file of 5 "\\n" lines whose abstract
    held 8 lone "\\r" for old Mac, and its abstract became 6 papers; so did taking a lone "\\r" as
    the last line break for a sign of it, where that abstract was the file's last line.
    """
    data = data.replace(b"\r\n", b"\n")
    first_return, first_newline = data.find(b"\r"), data.find(b"\n")
    starts_as_old_mac = 0 <= first_return and (first_newline < 0 or first_return < first_newline)
    # A "\n" that ends the file ends its last line, not one inside it (`cat mac.txt; echo`).
    after_one_header_line = (0 <= first_return and data.count(b"\n", 0, first_return) <= OLD_MAC_HEADER_LINES
                             and data.find(b"\n", first_return, len(data) - 1) < 0)
    if (starts_as_old_mac or after_one_header_line) and data.count(b"\r") > data.count(b"\n"):
        data = data.replace(b"\r", b"\n")
    return data


OLD_MAC_HEADER_LINES = 1  # "\n" lines before an old Mac file's lines: one a tool added; 4 are a "\n" file


def joined_lines(lines: list[str]) -> str:
    """The lines as one text, each without trailing blanks and ending with "\n", so that a line
    emptied by repair (a lone NUL) still counts as one."""
    return "".join(line.rstrip(" \t\r") + "\n" for line in lines)


def without_byte_order_marks(lines: list[str]) -> tuple[list[str], list[ParseIssue]]:
    """Lines less a byte order mark at their start, each named: two files joined by `cat`, the
    second saved with one, kept it invisibly at the start of a title (the file's own first one is
    dropped by decode_source)."""
    issues = []
    for number, line in enumerate(lines, start=1):
        if line.startswith("\ufeff"):
            lines[number - 1] = line.lstrip("\ufeff")
            issues.append(ParseIssue(number, "byte_order_mark", "a byte order mark at the start of the line, as a "
                                     "file's first line has (two files joined?): dropped"))
    return lines, issues


# Characters an editor or browser may show as a line break, or Python's str.splitlines() takes
# for one (a form feed, vertical tab and the file, group and record separators: a user's script
# split a title in two), which `wc -l` and `sed -n Np` (and so this package's line numbers) do not
# count as one.
INNER_LINE_BREAKS = {"\r": "carriage return", "\u2028": "line separator (U+2028)",
                     "\u2029": "paragraph separator (U+2029)", "\x85": "next line (U+0085)",
                     "\x0b": "vertical tab (U+000B)", "\x0c": "form feed (U+000C)",
                     "\x1c": "file separator (U+001C)", "\x1d": "group separator (U+001D)",
                     "\x1e": "record separator (U+001E)"}


def inner_line_break_issues(lines: list[str]) -> list[ParseIssue]:
    """Each line holding an INNER_LINE_BREAKS character, named: it is read as one line, where a
    reader sees two (a title, its abstract and its decision joined by lone carriage returns
    read as one abstract, with no issue)."""
    issues = []
    for number, line in enumerate(lines, start=1):
        found = [name for character, name in INNER_LINE_BREAKS.items() if character in line.rstrip(" \t\r")]
        if found:
            issues.append(ParseIssue(number, "line_break_in_line", f"a {' and a '.join(found)} inside the line, "
                                     "which an editor or a script may take for a line break: read as one line, as sed and wc count it"))
    return issues


def _decode_whole(data: bytes) -> list[str] | None:
    """The lines of a clean file (valid UTF-8, no NUL), or None when it needs repair."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def _decode_line_by_line(data: bytes) -> tuple[list[str], list[ParseIssue]]:
    issues, lines = [], []
    parts = data.split(b"\n")
    utf8_seen = False  # a line before held UTF-8's non-ASCII characters: the file is UTF-8
    for number, raw in enumerate(parts, start=1):
        if b"\x00" in raw:
            issues.append(ParseIssue(number, "nul_byte", "NUL byte(s) removed from the line"))
            raw = raw.replace(b"\x00", b"")
        try:
            lines.append(raw.decode("utf-8"))
            utf8_seen = utf8_seen or not raw.isascii()
        except UnicodeDecodeError as error:
            if (number == len(parts) and (utf8_seen or not raw[:error.start].isascii())
                    and (line := _cut_inside_a_character(raw, error)) is not None):
                issues.append(ParseIssue(number, "invalid_utf8", f"the file ends inside a character at column "
                                         f"{error.start + 1}, as a file cut off ends: its first bytes replaced by U+FFFD"))
                lines.append(line)
                continue
            line, read_as = _decode_not_utf8(raw)
            issues.append(ParseIssue(number, "invalid_utf8", f"bytes that are not UTF-8 at column {error.start + 1}: {read_as}"))
            lines.append(line)
    return lines, issues


def _cut_inside_a_character(raw: bytes, error: UnicodeDecodeError) -> str | None:
    """A file's last line, with no line break after it, that is UTF-8 but for a character cut
    off at its end, with U+FFFD for what is left of that character; None for other damage. Read
    as Windows-1252, the first byte of a cut "中" was "ä", of a cut "é" "Ã" (found by review).
    Asked only of a file that shows it is UTF-8 before that line's end: a Windows-1252 file's
    last "é" is such a first byte too (review of the first rule)."""
    if error.reason != "unexpected end of data" or error.end != len(raw):
        return None
    try:
        return raw[:error.start].decode("utf-8") + "\ufffd"
    except UnicodeDecodeError:
        return None


# Two non-ASCII bytes side by side: a UTF-8 character (a line holding one is UTF-8 with damage),
# or bytes no text in Windows-1252 is likely to hold ("\xff\xfe" inside an abstract).
NON_ASCII_PAIR = re.compile(rb"[\x80-\xff]{2}")


def _decode_not_utf8(raw: bytes) -> tuple[str, str]:
    """A line that is not UTF-8, and how it was read. Where each of its non-ASCII bytes stands
    alone, it was saved as Windows-1252, as Windows and older pages save text: its "\\x95 3
    authors" and "\\xb7" are "• 3 authors" and "·" (read as U+FFFD, each was a paper), its
    "caf\\xe9" is "café". Otherwise its bad bytes are U+FFFD."""
    if NON_ASCII_PAIR.search(raw) is None:
        try:
            return raw.decode("cp1252"), "the line read as Windows-1252 (each such byte alone, as a Windows save writes é or •)"
        except UnicodeDecodeError:  # 5 bytes that Windows-1252 leaves undefined
            pass
    return raw.decode("utf-8", errors="replace"), "replaced by U+FFFD"


def ends_mid_line(data: bytes) -> bool:
    """Whether a file's bytes end inside a line, with no line break after its last one (UTF-16's
    too): a file cut off as it was saved or copied, or one whose last line an editor left open."""
    return not data.rstrip(b"\x00").endswith((b"\n", b"\r")) and bool(data.strip(b"\x00"))


CUT_ABSTRACT_MIN_WORDS = 6  # fewer may be another paper's abstract cut as short: two "We show" would be one paper


def cut_off_abstract(line: str) -> bool:
    """Whether a file's last line, where the file ends inside it (ends_mid_line), is, right after
    a title alone, that title's abstract cut off, however few its words (from
    CUT_ABSTRACT_MIN_WORDS): unless it is in Title Case (check_tail then reports the cut). "We
    show that dense attention matches sparse attention on long" was a paper titled so. The
    readers leave out a line that reads as a decision."""
    return word_count(line, CUT_ABSTRACT_MIN_WORDS) >= CUT_ABSTRACT_MIN_WORDS and not in_title_case(line)


def text_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def looks_like_abstract(line: str) -> bool:
    """Prose rather than a title: long, or a sentence ending in a full stop.

    Length alone does not decide (short abstracts and long titles exist), so a mid-length line
    counts as an abstract only when it ends like a sentence. Titles never end with a full stop.
    """
    words = word_count(line, 40)  # counting stops at 41: enough to decide
    return words >= 40 or (words >= 12 and line.rstrip().endswith(FULL_STOPS))


FULL_STOPS = (".", "。", "．")  # "。" and "．" end a Chinese or Japanese sentence
# A venue's name as a listing writes it beside a year and a tier ("ICLR", "NeurIPS", "CoRL"): a
# word of two capitals or more. Each letter is read once: with backtracking over where its second
# capital is, a title of 16,000 letters after "(Oral, " took 1.4 s (found by review).
VENUE = r"[A-Z][a-z]*+[A-Z][A-Za-z]*+"
# A venue's year written short: "ICLR'24", "ICLR’24" (the curly apostrophe most sites print),
# "ICLR '24". Only the straight one against the venue was read (the others stayed in titles).
SHORT_YEAR = r" ?['’]\d\d"
WIDE_SENTENCE_ENDS = ("。", "．", "！", "？", "」", "』", "）")
# Han, kana and CJK punctuation: Chinese and Japanese put no space between words, so a whole
# abstract was one word, never an abstract, and a title alone a one-word label line.
CJK_CHARACTER = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_CHARACTERS_A_WORD = 2  # a Chinese word is one to three characters, most often two


def word_count(line: str, limit: int) -> int:
    """A line's words, up to `limit` + 1: split at spaces, and Chinese and Japanese characters
    counted CJK_CHARACTERS_A_WORD to a word."""
    words = len(line.split(maxsplit=limit))
    if words <= limit and not line.isascii():
        characters = len(CJK_CHARACTER.findall(line))
        if characters * 2 > len(line) - line.count(" "):  # mostly Chinese or Japanese: "七言绝句" in English is a word
            words += characters // CJK_CHARACTERS_A_WORD
    return min(words, limit + 1)


TITLE_MAX_WORDS = 25  # the longest title in the bundled sources has 15 words
TITLE_CASE_SHARE = 0.75  # of a line's words of three letters or more, capitalised: a title, not a sentence


# A capital after a letter: an acronym or a name (BERT, RoBERTa, XLNet, GPT-3), capitalised in
# a sentence as in a title, so it says nothing of which a line is; "Zero-Shot" still counts.
NAME_CAPITALS = re.compile(r"[^\W\d_][A-Z]")


# Words a title keeps in lower case, as a sentence does: left out of the count either way (a
# title naming FIM-Tasks had only 8 of 11 longer words capitalised once names were left out).
TITLE_SMALL_WORDS = frozenset("and but for from into nor onto over per than the upon via with yet".split())


def in_title_case(line: str) -> bool:
    """Most longer words capitalised, as titles are ("Attention Is Not Explanation."), where a
    sentence capitalises its first word and names ("Code is available online."). Acronyms and
    names, and the small words a title keeps in lower case, are left out of the count: "We
    evaluate BERT, RoBERTa, XLNet, ALBERT, ELECTRA and DeBERTa on GLUE, SuperGLUE, SQuAD and
    RACE." is a sentence."""
    opening = line.split(maxsplit=2)[:2]
    if len(opening) == 2 and opening[0] in ("We", "Our") and opening[1][:1].islower():
        return False  # "We evaluate Llama, Qwen, Mistral, Gemma and Phi on MMLU.", where "We Are ..." may be a title
    words = [word for word in line.split() if len(word) >= 3 and word[0].isalpha() and not NAME_CAPITALS.search(word)
             and word.lower() not in TITLE_SMALL_WORDS]
    return len(words) >= 2 and sum(word[0].isupper() for word in words) >= TITLE_CASE_SHARE * len(words)


def reads_as_title(line: str) -> bool:
    """A line in Title Case, no longer than a title: a title even when it ends in a full stop, as
    citation lists print titles ("Why Do Deep Residual Networks Generalize Better than Deep
    Feedforward Networks? A Neural Tangent Kernel Perspective."), never an abstract: such a line
    was read as an untitled paper's abstract, or as the abstract of the title before it."""
    # The length first: it rules out an abstract for nothing, where in_title_case makes a list of
    # its 200 words (reading the corpus took a quarter longer). 25 words of 20 letters fit.
    return (len(line) <= 25 * 20 and len(line.split(maxsplit=TITLE_MAX_WORDS)) <= TITLE_MAX_WORDS
            and in_title_case(line))


ABSTRACT_LABELS = ("abstract", "abstract:")  # as some sites print it, on a line of its own


# "Abstract:" opening the abstract's own line, as an OpenReview page prints it.
# "Abstract:", and as other pages print it: "Abstract—We ..." (IEEE's dash), "Abstract – ...",
# "Abstract. We ...", "Abstract：" (review: each was kept as the abstract's first word). Not a word
# joined to it: "Abstract-level reasoning ...", "Abstracts of ...".
ABSTRACT_LABEL_IN_LINE = re.compile(r"\s*abstract(?:\s*[:：]|\s*[—–]|\s+-|\.(?=\s))\s*(?=\S)", re.IGNORECASE)


def without_abstract_label(line: str) -> str:
    """An abstract without the "Abstract:" label its line opens with: the label is the page's, as
    is an "Abstract" line of its own (a label); kept, it was the first word of every abstract."""
    label = ABSTRACT_LABEL_IN_LINE.match(line)
    return line[label.end():] if label else line


def is_abstract_label(line: str, following: str | None) -> bool:
    """A line "Abstract" (or "Abstract:") with an abstract after it: a label, not a title ("Paper
    Alpha", "Abstract", its abstract made a paper titled "Abstract" and left the real title
    reported as missing its abstract)."""
    return (len(line) < 20 and "bstract" in line.casefold() and plain_line(line).casefold() in ABSTRACT_LABELS
            and abstract_follows(following))


def report_title_ending_like_a_sentence(number: int, line: str, reading: Reading) -> None:
    """A line read as a title only because it is in Title Case, though it ends like a sentence:
    a cited title ("... A Neural Tangent Kernel Perspective."), or a short abstract naming many
    datasets or models ("Evaluated on English, German, ... Common Crawl and Books."). The form
    cannot tell them apart, so the reading is named."""
    if looks_like_abstract(line) and reads_as_title(line):
        reading.issues.append(ParseIssue(
            number, "title_or_abstract",
            f"{quoted(line.strip())} ends like a sentence but is in Title Case: read as a title (were it a short "
            "abstract, it belongs to the record before it or is one of its own)"))


def continues_title(line: str) -> bool:
    """Is this line, right after a title, that title's abstract?

    Yes when it reads as prose, and also when it is longer than any title: that is an abstract
    cut short (for example by a file that ends mid-sentence), not the next paper's title.
    """
    return looks_like_abstract(line) or len(line.split(maxsplit=TITLE_MAX_WORDS)) > TITLE_MAX_WORDS


# A sentence's end inside a line, after a word in lower case: "… composing skills. We discover …".
# An abstract cut before its full stop, of 16 words or more with one inside, was the title of the
# abstract after it, and its own title had none (review). Read so only right under a title, with
# no abstract after it (review_listing): as any line's reading (continues_title), it made titles
# quoting a sentence ("Do language models know …? Evidence from …") abstracts, and the line above
# them titles (review of the first rule).
SENTENCE_INSIDE = re.compile(r"(?<![\w.])[a-z]{2,}[.!?] [A-Z][a-z]")
SENTENCES_INSIDE_MIN_WORDS = 16


def has_sentences_inside(line: str) -> bool:
    return (len(line) >= 4 * SENTENCES_INSIDE_MIN_WORDS and (". " in line or "? " in line or "! " in line)
            and word_count(line, SENTENCES_INSIDE_MIN_WORDS) >= SENTENCES_INSIDE_MIN_WORDS
            and SENTENCE_INSIDE.search(line) is not None)


# Words no title ends with, and a line that opens with one of them (lower case) goes on a title:
# "... A Survey of" / "Methods, Benchmarks and Open Problems", "... Q-Value Divergence" / "in
# Offline Reinforcement Learning". A line opening with another lower-case word may be a title of
# its own ("mixup: Beyond Empirical Risk Minimization", "word2vec Explained").
JOINING_WORDS = frozenset(
    "a an and as at by for from in into of on or over the through to towards under using via vs versus with without".split())
CAPITALISED_JOINING_WORDS = frozenset("From With Into Through Towards Without Using Via Versus".split())
JOINING_ENDS = (":", ",", "-", "–", "—")  # not "+" or "&": "Neural Decompilation to C++" ends a title


def continues_wrapped_title(title: str, line: str) -> bool:
    """Whether `line`, on the line right after a title alone and with an abstract after it, is the
    rest of that title, wrapped: the title ends with a word or mark that joins (JOINING_WORDS,
    JOINING_ENDS), or the line opens with such a word in lower case. Each half was a paper."""
    last_word = title.rsplit(maxsplit=1)[-1] if title.strip() else ""
    first_word = line.split(maxsplit=1)[0] if line.strip() else ""
    if not first_word or continues_title(line):
        return False
    # In lower case, or one of the longer ones a title capitalises ("... Visual Models From"):
    # "... Vitamin A", "Learning Where to Look At" and "Game Over" end their titles.
    return (title.rstrip().endswith(JOINING_ENDS) or last_word in JOINING_WORDS or last_word in CAPITALISED_JOINING_WORDS
            or first_word in JOINING_WORDS)


WRAPPED_TITLE_OTHERWISE = "were it a title of its own, the paper before has no abstract"


def report_wrapped_title(number: int, record: Record, line: str, reading: Reading,
                         otherwise: str = WRAPPED_TITLE_OTHERWISE) -> None:
    """Join a title's second line (continues_wrapped_title) to it, and say so: the form cannot
    tell it from a second title whose paper has no abstract (`otherwise`, the other reading)."""
    reading.issues.append(ParseIssue(number, "wrapped_title", f"{quoted(line.strip())} read as the rest of the title "
                                     f"on the line before, wrapped ({otherwise})"))
    record.title = f"{record.title} {line.strip()}"
    record.last_line = number


def abstract_follows(following: str | None) -> bool:
    """Whether the next line of content reads as an abstract: then the line before it is a title,
    whatever else it looks like (a decision word, a date, a page header)."""
    return following is not None and continues_title(following)


SENTENCE_END = (".", "!", "?", ")", "]", '"', "'", "”", "’", *WIDE_SENTENCE_ENDS)


def check_tail(reading: Reading) -> None:
    """A file cut off inside its last abstract: the record is kept, the cut is reported."""
    if not reading.records:
        return
    last = reading.records[-1]
    ends_in_abstract = last.abstract is not None and not any(
        [last.decision, last.authors_count, last.organization, last.date_text]
    )
    # Only where nothing but blank lines follows it: "Accepted" after it (unknown_decision) was
    # reported as a file that "ends mid-sentence".
    ends_the_file = all(reading.other_lines.get(n) == "blank" for n in range(last.last_line + 1, reading.line_count + 1))
    if ends_in_abstract and ends_the_file and not last.abstract.rstrip().endswith(SENTENCE_END):
        reading.issues.append(
            ParseIssue(last.last_line, "truncated_record", "file ends mid-sentence: the last abstract may be cut off")
        )


# What a listing prints where a paper has no abstract. Read as a title, two papers' placeholders
# were one paper titled "No abstract available", and each real title a paper without abstract;
# "Abstract coming soon." and "Abstract coming soon..." were abstracts near enough to make two
# papers one, "TBD" a paper of its own (found by review).
PLACEHOLDER_SAYS = (r"(?:not (?:yet )?(?:available|provided|given)|unavailable|n/?a|n\.a|none|tbd|tba|pending|forthcoming"
                    r"|coming soon|to be (?:added|announced|released|provided|posted|determined)(?: (?:later|soon))?"
                    r"|(?:added|available|released|provided|posted) (?:later|soon)|[-\u2013\u2014]+)")
PLACEHOLDER_ABSTRACT = re.compile(
    r"[(\[]?(?:no abstract(?: (?:is )?(?:yet )?(?:available|provided|given))?(?: yet)?"
    rf"|(?:the )?abstract(?: is| will be)?(?: ?[:\-\u2013\u2014] ?| ){PLACEHOLDER_SAYS}"
    r"|n/a|n\.a|tbd|tba|coming soon|to be (?:announced|added|determined))[)\]]?[.!\u2026]*", re.IGNORECASE)


def is_placeholder_abstract(line: str) -> bool:
    return len(line) < 60 and PLACEHOLDER_ABSTRACT.fullmatch(plain_line(line)) is not None


def report_placeholder_abstract(number: int, line: str, record: Record, reading: Reading) -> None:
    """A placeholder where a title's abstract goes: the title's line, reported, never a paper."""
    record.last_line = number
    reading.issues.append(ParseIssue(number, "placeholder_abstract", f"{quoted(line.strip())} where the abstract goes: "
                                     "a placeholder, not a paper's title (this paper has no abstract)"))


def add_to_abstract(record: Record, number: int, line: str, reading: Reading, code: str, message: str) -> None:
    """A line read as more of the record's abstract, after the line break the file gave it; reported
    (`code`, `message`), since it may instead be a record of its own."""
    record.abstract += "\n" + line
    record.last_line = number
    reading.issues.append(ParseIssue(number, code, message))


def finish_record(record: Record, reading: Reading, why: str | None = None) -> None:
    """`why`: the missing_abstract issue's message, where the reader knows more than that."""
    if record.abstract is None:
        reading.issues.append(
            ParseIssue(record.line, "missing_abstract", why or "title with no abstract after it")
        )
    reading.records.append(record)


SHORT_LINE_CHARS = 1_000  # metadata lines are under 30 characters; an abstract line is 800-2,000


def plain_line(line: str) -> str:
    """A short line as a person reads it: any Unicode space, separator or control character
    (U+3000, form feed, U+2028...) is a plain space, invisible format characters (zero-width
    space, direction marks) are dropped, and runs of spaces are one. Used to recognise metadata
    lines (dates, upvotes, authors, decisions, "·"); what a record keeps is the line as written.
    A long line is prose, returned as it is, so that the cost stays off abstracts."""
    line = line.strip()
    if len(line) > SHORT_LINE_CHARS:
        return line
    if line.isprintable():
        return printable_single_spaced(line)
    return single_spaced("".join(_as_read(character) for character in line))


def first_word_and_rest(line: str) -> tuple[str, str]:
    """A line's first word and the rest, as written, cut where plain_line's form of the line has
    its first space. Words are the runs between characters read as spaces (WRITTEN_WORD), and
    the first is the first with a visible character in it: a word of invisible characters alone
    is nothing to plain_line. The rest runs from the next word to the last, where one of them
    has a visible character. Every other
    character stays as written, a no-break space, a double space, a zero-width joiner or
    non-joiner (which Persian and Indic names are written with), a direction mark at either
    end; only recognising the line reads its plain form."""
    stripped = line.strip()
    if len(stripped) > SHORT_LINE_CHARS:  # plain_line leaves such a line as it is
        word, _, rest = stripped.partition(" ")
        return word, rest.strip()
    words = list(WRITTEN_WORD.finditer(stripped))
    first = next((index for index, word in enumerate(words) if any(map(_as_read, word.group()))), None)
    if first is None:
        return "", ""
    rest = words[first + 1:]
    if not any(any(map(_as_read, word.group())) for word in rest):  # invisible alone: plain_line has no rest
        return words[first].group(), ""
    return words[first].group(), stripped[rest[0].start():rest[-1].end()]


# A run of characters plain_line reads as no space (_as_read): all but whitespace and controls.
WRITTEN_WORD = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")


def single_spaced(text: str) -> str:
    """`" ".join(text.split())`: runs of whitespace as one space, none at either end; without
    splitting a text that is so already, as most lines are. U+0020 is the only character both
    printable and whitespace to str.split (checked over every code point), so a printable text
    with no double space and none at its ends is its own result. Checked first, a Hugging Face
    page's lines took 5 ms against 10-14 split and joined; 2,000 abstracts 14 ms against 26."""
    return printable_single_spaced(text) if text.isprintable() else " ".join(text.split())


def printable_single_spaced(text: str) -> str:
    """single_spaced of a text its caller found printable (str.isprintable), not checked again: the
    second check was a third of squashing an abstract (103,749 abstracts: 0.99 s, without 0.66 s)
    and a quarter of a short line's plain_line, about 4 % of reading a corpus's files."""
    if "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def split_blank_lines(numbered_lines) -> tuple[list[tuple[int, str]], list[int]]:
    """The (number, line) pairs a person sees text on, and the numbers of the blank lines: spaces
    only, or invisible characters (a zero-width space alone was a title of its own, which took
    the next title's abstract and decision). One pass: a visible first character settles it."""
    content, blank = [], []
    for number, line in numbered_lines:
        stripped = line.strip()
        if stripped and (stripped[0].isprintable() or plain_line(stripped)):
            content.append((number, line))
        else:
            blank.append(number)
    return content, blank


def is_blank(line: str) -> bool:
    return not split_blank_lines([(0, line)])[0]


def words_as_read(text: str) -> list[str]:
    """A text's words as a person reads them, at any length (plain_line leaves a long line as it is)."""
    return (text if text.isprintable() else "".join(_as_read(character) for character in text)).split()


def _as_read(character: str) -> str:
    if character.isprintable():
        return character
    category = unicodedata.category(character)
    if category == "Cf":
        return ""
    return " " if category in ("Cc", "Zs", "Zl", "Zp") else character


# A terminal's escape codes, whose letters are no text: a colour ("\x1b[31m"), a character set
# ("\x1b(B", in what `tput sgr0` writes), a window title or link ("\x1b]8;;URL\x1b\\"), any other.
TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()*+-./][ -~]|[ -~])")


def has_text(line: str) -> bool:
    """Whether a line has a letter or digit outside a terminal's escape codes."""
    return has_letter_or_digit(_without_escapes(line))


def has_symbol(line: str) -> bool:
    """Whether a line has a symbol (∇, ∞, 🤗) outside a terminal's escape codes, not only punctuation."""
    return any(unicodedata.category(character).startswith("S") for character in _without_escapes(line))


def is_separator_line(line: str, following: str | None) -> bool:
    """A line with no letter or digit that is no title: punctuation ("***", "---"), a rule of
    symbols ("=====", "🔥🔥🔥", "-=-=-="), or a symbol with no abstract after it. A symbol over its
    abstract ("∇", "🤗") is a title."""
    if line[:1].isalnum() or has_text(line):  # most lines open with a letter
        return False
    if not has_symbol(line) or not abstract_follows(following):
        return True
    shown = "".join(character for character in _without_escapes(line) if not character.isspace()
                    and unicodedata.category(character) not in ("Mn", "Me", "Cf") and not SKIN_TONES <= character <= "\U0001f3ff")
    return len(shown) >= RULE_CHARACTERS and any(
        len(shown) >= 2 * size and shown == (shown[:size] * (len(shown) // size + 1))[:len(shown)]
        for size in range(1, RULE_UNIT_CHARACTERS + 1))


# A rule: its one symbol or a short run of them again and again ("=====", "🔥🔥🔥", "-=-=-=",
# "<><><>"), each with any variation selector, joiner or skin tone it is drawn with ("❤️❤️❤️",
# "👍🏻👍🏻👍🏻": review). Three characters at least.
RULE_CHARACTERS = 3
RULE_UNIT_CHARACTERS = 3
SKIN_TONES = "\U0001f3fb"  # the first of the five, to U+1F3FF


def _without_escapes(line: str) -> str:
    return TERMINAL_ESCAPE.sub("", line) if "\x1b" in line else line


def has_letter_or_digit(text: str) -> bool:
    return LETTER_OR_DIGIT.search(text) is not None


LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # what str.isalnum() takes; one C search, where a loop over each line cost 1 µs


# Link and button text a site prints beside each paper, copied with its listing or page
# (stray_line): as titles they took a paper's decision, or an entry's authors and date. A bare
# link is never a title either.
LINK_WORDS = (r"(?:download|view|open) pdf|pdf|(?:show|hide) (?:details|abstract|bibtex|reviews?)|show (?:more|less)"
              r"|read more|bibtex|code|github|arxiv|project page|website|homepage|demo|slides|video|openreview|forum"
              r"|abs|supp|supplementary(?: material)?|bib|edit|citeproc")  # PMLR's "[abs]", "[edit]", CVF's "[supp]"
# A bibliography's links side by side with no brackets: the ACL Anthology's "pdf bib abs" under
# each title, and PMLR's "[bib][citeproc]", were papers of those titles (reviews).
BIBLIOGRAPHY_LINK_WORDS = r"(?:pdf|bib|abs|bibtex|supp|arxiv|code|software|video|dataset|data|poster|slides|note)"
BIBLIOGRAPHY_LINKS = rf"(?i:pdf|bib|abs)(?: {BIBLIOGRAPHY_LINK_WORDS})+"  # opens with pdf, bib or abs: "Code Bib Abs" may be a title
LINK_LINE = re.compile(f"(?:{BIBLIOGRAPHY_LINKS}|{LINK_WORDS}" + r"|(?:https?://|www\.)\S+)", re.IGNORECASE)
# A site's links in brackets on one line: "[PDF] [Code] [Slides]", "(pdf) (video)", "[PDF] [Poster]"
# (a poster's link among them, where alone "[Poster]" is a badge), "[ Abstract ] [ OpenReview ]"
# (a conference's virtual site) (reviews).
LINKS_IN_BRACKETS = re.compile(rf"(?:[\[(] ?(?:{LINK_WORDS}|poster|abstract|paper) ?[\])] ?){{2,}}", re.IGNORECASE)


def is_never_a_title(line: str) -> bool:
    """A link line (is_link_line) that no paper is titled: all but one word alone ("Video", "Code",
    "GitHub" may be titles). "Download PDF" over an abstract was that abstract's title (review)."""
    return is_link_line(line) and not line.strip().isalpha()


def is_link_line(line: str) -> bool:
    """Whether the line as read is LINK_LINE, in brackets or not ("[PDF]", "(code)"), or several
    such links in brackets ("[PDF] [Code]"). Most lines are refused by their first word, before
    plain_line reads all of them."""
    if len(line) > LINK_WORDS_CHARACTERS and "://" not in line[:LINK_START_CHARACTERS] and (
            "www." not in line[:LINK_START_CHARACTERS]) and not (
            len(line) <= LINKS_IN_BRACKETS_CHARACTERS and (line[:1] in "[(" or (line[:1].isspace() and line.lstrip()[:1] in "[("))):
        return False
    if len(line) > LINK_LINE_CHARACTERS:
        return False
    if LINK_LINE_START.match(line) is not None:
        return LINK_LINE.fullmatch(plain_line(line)) is not None
    if line.lstrip()[:1] not in BRACKETS:
        return False
    plain = plain_line(line)
    return LINK_LINE.fullmatch(without_brackets(plain)) is not None or LINKS_IN_BRACKETS.fullmatch(plain.rstrip()) is not None


# Brackets a line may be wrapped in whole, as a site prints a badge or a link: "[Oral]",
# "(Poster)", "【Reject】", "[PDF]" (decisions.unwrapped, is_link_line).
BRACKETS = {"[": "]", "(": ")", "{": "}", "<": ">", "［": "］", "（": "）", "【": "】", "〖": "〗", "〔": "〕",
            "「": "」", "『": "』", "⟨": "⟩", "«": "»"}


def without_brackets(text: str) -> str:
    """`text` without one pair of brackets around it all: "[Oral]" -> "Oral". A line that only
    opens with one ("[Re] Reproducing ...") or closes another ("(Almost) Everything (Oral)") is
    left as it is."""
    opening, closing = text[:1], BRACKETS.get(text[:1])
    if closing is None or len(text) < 3 or text[-1] != closing:
        return text
    depth = 0
    for character in text[:-1]:
        depth += (character == opening) - (character == closing)
        if depth == 0:
            return text  # the first bracket closes before the end
    return text[1:-1].strip()


LINK_LINE_CHARACTERS = 2000  # a link, however long; a longer line is no link alone
LINK_WORDS_CHARACTERS = 40  # "Hide reviews" and the like, odd spaces around them too; a link may be longer
LINKS_IN_BRACKETS_CHARACTERS = 160  # "[ Abstract ] [ Project Page ] [ OpenReview ]" and longer rows (review)
LINK_START_CHARACTERS = 16  # where a link's "https://" or "www." begins, after spaces
LINK_LINE_START = re.compile(r"\s*" + LINK_LINE.pattern, re.IGNORECASE)  # matched as the line starts: no copy of it


def report_repeated_records(reading: Reading) -> None:
    """Each record the same as one earlier in its file (its title, abstract, decision, authors,
    organisation, date and upvotes), named: a listing or page pasted into its file twice gave
    every paper two listings of one file, with no issue (review). Both stay listings of their
    paper. Looked up by all but the abstract first, whose text is hashed only where the rest
    agrees: hashing every abstract took 5.6 µs a record; comparing it with each earlier one of the
    same length made 20,000 untitled records of one length take 12 s (review)."""
    earlier: dict[tuple, Record | dict[str | None, Record]] = {}
    for record in reading.records:
        key = (record.title, len(record.abstract or ""), record.decision, record.authors_count, record.organization,
               record.date_text, record.upvotes)
        alike = earlier.setdefault(key, record)
        if alike is record:
            continue
        if isinstance(alike, Record):
            alike = earlier[key] = {alike.abstract: alike}
        first = alike.setdefault(record.abstract, record)
        if first is not record:
            reading.issues.append(ParseIssue(record.line, "repeated_record", f"the same record as the one at line "
                                             f"{first.line} of this file, every field alike (the listing pasted into it "
                                             "twice?): read as a second listing of that paper"))
