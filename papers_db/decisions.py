"""Review decisions: which lines are decisions, and what a decision label means."""

from __future__ import annotations

import re

from .readers.text import BRACKETS, plain_line, without_brackets

# OpenReview's venue line: a venue of KNOWN_VENUES, a year, then only words of VENUE_LINE_WORDS:
# "ICLR 2023 notable top 5%", "NeurIPS 2023 Datasets and Benchmarks Poster", "ICLR 2024 Conference
# Withdrawn Submission" (a decision where DECIDING_VENUE_WORDS has one), "Submitted to ICLR 2024".
# Each was a title, without its abstract, where a decision goes, and its paper had no decision.
# Any word with two capitals and any number ("GPT 2024", "ImageNet 2012") made a title or a
# heading another paper's decision (found by review).
VENUE_LINE = r"(?P<line_venue>[^\W\d_][\w&+-]*) (?P<line_year>(?:19|20)\d\d)(?P<line_words>(?: [\w%&+-]+){0,8})"
KNOWN_VENUES = frozenset("""iclr neurips nips icml colm corl uai aistats collas automl mlsys midl chil log l4dc colt alt
    acl emnlp naacl eacl coling cvpr iccv eccv wacv bmvc aaai ijcai kdd www sigir recsys icra iros rss miccai
    interspeech icassp""".split())
VENUE_LINE_WORDS = frozenset("""conference main track datasets and benchmarks oral spotlight poster talk presentation
    notable top 5% 25% notable-top-5% notable-top-25% accept accepted withdrawn desk rejected blind submission""".split())
SUBMISSION_VENUE = re.compile(r"(?P<submitted>submitted to )?" + VENUE_LINE, re.IGNORECASE)

# Matched against a line as read (plain_line: single spaces, trimmed). Each part is one
# character class followed by a literal, so a failing match takes time linear in the line
# (the earlier pattern, `\s*` around a class that also held spaces, took 68 s on "Accept ("
# and 6,000 spaces). The outcome comes from the group that matched, not from case-folding the
# label, whose length can change ("İ" folds to two characters).
DASHES = "-‐‒–—−"  # hyphen-minus, hyphen, figure dash, en and em dashes, minus sign


# Who rejected or withdrew, as OpenReview writes it for EMNLP and others: "Withdrawn by Authors",
# "Desk Rejected by PCs", "Withdrawn (by authors)", "Rejected (Program Chairs)". Each but the
# first was an unknown decision, its paper's decision lost (review).
# "Withdrawn: by authors" and "Withdrawn (by Author Request)" too; and a withdrawal's or desk
# rejection's reason in brackets, "Desk Rejected (Formatting)" (review of the first rule).
WHO = "authors?|pcs|program chairs|program committee|area chairs?|senior area chairs?|acs?|sacs?|editors?"
# In square brackets too, or after a colon or any dash: "Withdrawn [by authors]", "Withdrawn - by
# authors", "Withdrawn – by authors", "Withdrawn: Authors" (reviews of the second and third rules).
BY_WHOM = (rf" ?(?::|[{DASHES}]+)? ?by (?:the )?(?:{WHO})(?: request)?| ?[(\[](?:by )?(?:the )?(?:{WHO})(?: request)?[)\]]"
           rf"| ?(?::|[{DASHES}]+) ?(?:the )?(?:{WHO})")
# In brackets only: after a colon, "Withdrawn: A Memoir" may be a title (review of the third rule).
WHY = r" ?\([^()]{1,40}\)| ?\[[^\[\]]{1,40}\]"
DECISION_LINE = re.compile(
    r"^(?:(?P<accept>accept)(?: ?\((?P<parenthesised>[\w%+ -]*)\)| ?:(?P<after_colon>[\w%+ -]*))?"
    rf"|(?P<reject>reject(?:ed)?(?:{BY_WHOM})?)|(?P<withdrawn>withdrawn(?: submission)?(?:{BY_WHOM}|{WHY})?)"
    rf"|(?P<desk_reject>desk[ -]+reject(?:ed)?(?:{BY_WHOM}|{WHY})?)"
    # A conference site's badge: "Poster", "Spotlight Poster", "NeurIPS 2024 Oral" (a venue word
    # and its year may come first). Each was a paper titled so, and its paper lost the decision.
    r"|(?P<badge>(?:(?P<venue>[^\W\d_][\w&+-]* (?:(?P<year>'?\d\d|\d{4}) )?)(?=oral|spotlight|poster))??"
    r"(?:oral|spotlight|poster)(?: (?:poster|presentation|talk))?)"
    # OpenReview's venue line (VENUE_LINE).
    r"|(?P<venue_line>" + VENUE_LINE + "))$",
    re.IGNORECASE,
)
DECISION_WORD = re.compile(r"accept|reject|decision|withdrawn|desk", re.IGNORECASE)  # no venue's name opens so
BADGE_TIERS = ("oral", "spotlight", "poster")  # a badge's tier is the first of these it names: "Spotlight Poster"
OUTCOMES = ("accept", "reject", "withdrawn", "desk_reject")
ACCEPT_TIERS = {
    "oral": "oral",
    "talk": "oral",
    "notable-top-5%": "oral",
    "spotlight": "spotlight",
    "notable-top-25%": "spotlight",
    "poster": "poster",
    # As a site's badge writes them ("Oral Presentation" is a badge of the oral tier already).
    "oral presentation": "oral",
    "spotlight presentation": "spotlight",
    "poster presentation": "poster",
    "spotlight poster": "spotlight",  # as a badge says it ("Spotlight Poster"); in brackets it was no tier (review)
}


# A badge's venue and year with the tier first, as some sites print it: "Oral, ICLR 2024",
# "(Spotlight, NeurIPS 2023)"; read as "ICLR 2024 Oral". The year is needed, as in a title's
# brackets ("Poster, Presentation" is no badge). Each was a paper titled so, and the paper above
# it lost its decision. TIER_FIRST: the only lines with a comma that may be decisions, a
# decision's label before them or not ("Decision: Oral, ICLR 2024": review).
TIER_BEFORE_VENUE = re.compile(r"^(?P<tier>(?:oral|spotlight|poster)(?: (?:poster|presentation|talk))?) ?[,，] ?"
                               r"(?P<venue>[^\W\d_][\w&+-]* (?:'\d\d|(?:19|20)\d\d))$", re.IGNORECASE)
DECISION_LABEL_WORDS = "(?:(?:final|paper) )?decision"  # "Decision", OpenReview's "Final Decision", "Paper Decision"
TIER_FIRST = re.compile(rf"\W*(?:{DECISION_LABEL_WORDS}\W*)?(?:oral|spotlight|poster)\b", re.IGNORECASE)
# A venue's year written short with the apostrophe against the venue or curly ("ICLR'24 Oral",
# "ICLR’24 Oral", "ICLR ’24"), read as "ICLR '24 Oral". Each was a paper titled so.
SHORT_YEAR_APOSTROPHE = re.compile(r"(?<=[^\W\d_]) ?['’](?=\d\d\b)")


# Other ways a listing writes a decision line, read as the forms DECISION_LINE knows: a
# "Decision:" or "Decision -" label, full stops at its end, "Accepted" for "Accept", "Accept -
# Poster" for "Accept (Poster)", full-width brackets. A listing labelling every decision so lost
# each one.
# "Final Decision:" and "Paper Decision:" as OpenReview's forum pages print them (each was an
# unknown decision, the paper's lost: review).
DECISION_LABEL = re.compile(f"^{DECISION_LABEL_WORDS} ?(?::|：|[{DASHES}]+) ?", re.IGNORECASE)  # a full-width colon too
# The label alone, its decision on the next line ("Decision:", then "Accept (Oral)"): as a title,
# it took the decision, and its paper had none (review).
DECISION_LABEL_ALONE = re.compile(f"{DECISION_LABEL_WORDS} ?[:：]?", re.IGNORECASE)
ACCEPTED = re.compile(r"^accepted\b", re.IGNORECASE)
# "Accept - Poster", "accepted—poster", "Accept -- Poster": (accept, the spaces around the dash, tier).
# The tier opens with no dash: a class holding `-` after `[-]+` made a failing line of dashes
# quadratic ("Accept" and 16,000 dashes: 0.73 s; found by review).
ACCEPT_DASH = re.compile(f"^(accept)( ?)[{DASHES}]+( ?)([\\w%+][\\w%+ -]*)$", re.IGNORECASE)
# A track, then the tier in brackets: "Accept-Main (Oral)", "Accept: Findings (Poster)" (ACL's
# venues on OpenReview), read as "Accept (Oral)", the track in the label as written. Each was an
# unknown decision (review).
ACCEPT_WRITTEN = ("Accept", "accept", "ACCEPT")  # looked for first: most lines read are no decision
TRACK_SEPARATORS = frozenset(DASHES + ":")  # right after "Accept", or after a space: "Accept (Poster)" is not read again
SPACED_SEPARATORS = frozenset(" " + separator for separator in TRACK_SEPARATORS)
ACCEPT_TRACK_TIER = re.compile(f"^(accept) ?(?:[{DASHES}]+|:) ?([^\\W\\d_]+)(?: track)? ?(?:\\(([\\w%+ -]+)\\)|\\[([\\w%+ -]+)\\]"
                               f"|[{DASHES}]+ ?([\\w%+][\\w%+ ]*))$", re.IGNORECASE)  # "Accept-Main [Oral]", "Accept - Main - Oral"
FULL_STOPS = ".。．…"  # full-width too, and an ellipsis
# Every character str.isspace() takes (all below U+3001), for one rstrip: a loop over a line's
# end in Python took 9 ms for 100,000 dots, and most lines read are tested.
FULL_STOPS_AND_SPACES = FULL_STOPS + "".join(chr(code) for code in range(0x3001) if chr(code).isspace())


def without_full_stops(text: str) -> str:
    """`text` without the full stops and spaces at its end: "Reject..", "Accept (Oral) .", "Reject。"."""
    return text.rstrip(FULL_STOPS_AND_SPACES)


CLOSING_BRACKETS = frozenset(BRACKETS.values())


# A decision in brackets, as some listings print the badge: "[Oral]", "(Poster)", "[Accept (Poster)]",
# "［Reject］", "【Spotlight】", full stops inside them or not ("[Oral.]"). Each was a paper of that
# title, and the paper before it had no decision.
def unwrapped(text: str) -> str:
    """`text` without full stops at its end, brackets around it all (text.BRACKETS) and full stops
    inside them: "[Oral.]" and "[Oral]." -> "Oral"."""
    bare = without_full_stops(text)
    return without_full_stops(without_brackets(bare)) if bare[:1] in BRACKETS else bare


def as_written_usually(label: str) -> str:
    """A decision line as read (plain_line) in the form DECISION_LINE knows, where the listing
    wrote it otherwise (DECISION_LABEL, brackets and the forms after them); any other line as read."""
    plain = plain_line(label)
    usual = unwrapped(DECISION_LABEL.sub("", unwrapped(plain)))
    usual = usual.replace("（", "(").replace("）", ")").replace("：", ":").replace("％", "%")
    usual = ACCEPTED.sub(lambda word: word[0][:6], usual)
    if "'" in usual or "’" in usual:  # searching every line made reading 20% slower
        usual = SHORT_YEAR_APOSTROPHE.sub(" '", usual)
    if ("," in usual or "，" in usual) and (venue_after := TIER_BEFORE_VENUE.match(usual)) is not None:
        usual = f"{venue_after['venue']} {venue_after['tier']}"
    dashed = ACCEPT_DASH.match(usual)
    if dashed is not None and (_only_tier_words(dashed[4].casefold()) or (len(usual) <= 40 and is_track_word(dashed[4]))):
        # Only a tier's words after the dash: "Accept - A Simple Method", "Accept-Reject Sampling for
        # Oral Cancer Detection" and "Accept – Oral History of Deep Learning" are titles. Or one
        # word of a track: EMNLP's "Accept-Main" and "Accept-Findings" lost their text (review).
        usual = f"{dashed[1]} ({dashed[4]})"
    elif (usual[:1] in "Aa" and usual.startswith(ACCEPT_WRITTEN)
          and (usual[6:7] in TRACK_SEPARATORS or usual[6:8] in SPACED_SEPARATORS)
          and (track_tier := ACCEPT_TRACK_TIER.match(usual)) is not None and is_track_word(track_tier[2])
          and _only_tier_words((tier := track_tier[3] or track_tier[4] or track_tier[5]).casefold())):
        usual = f"{track_tier[1]} ({tier})"
    return usual


def is_track_word(word: str) -> bool:
    """One word of three letters or more, no decision's: the track an acceptance names ("Main", "Findings")."""
    return len(word) >= 3 and word.isalpha() and DECISION_WORD.match(word) is None


def is_written_otherwise(label: str) -> bool:
    """A decision written in another form than the usual (as_written_usually): "Decision: Reject",
    "Reject.", "Accepted (Poster)". Where a decision goes it is one; with an abstract after it,
    it may as well be that abstract's title."""
    return is_decision(label) and as_written_usually(label) != plain_line(label)


WITHDRAWN_OR_DESK = ("Withdrawn", "withdrawn", "WITHDRAWN", "Desk", "desk", "DESK")


def gives_a_reason(label: str) -> bool:
    """A withdrawal or desk rejection, whose reason may hold a comma or a full stop. Its first letter
    first: a slice cased, or startswith of six, for each of 80,000 lines was 5% of reading."""
    return label[:1] in "WwDd" and label.startswith(WITHDRAWN_OR_DESK)


def _decision_match(label: str) -> re.Match | None:
    # A withdrawal's or desk rejection's reason may hold a comma or a full stop ("Desk Rejected
    # (Anonymity, Page Limit)": review); no other decision line does.
    if ("," in label or "，" in label) and not gives_a_reason(label) and TIER_FIRST.match(label) is None:
        return None
    bare = without_full_stops(label)
    if bare[-1:] in CLOSING_BRACKETS:  # "[Oral.]": unwrapped only then, as an abstract almost never ends so
        bare = unwrapped(bare.strip())
    if "." in bare and not gives_a_reason(label):
        # No decision line has either but full stops at its end (DECISION_LINE's classes leave
        # them out), and plain_line keeps both: most lines tested are abstracts, whose reading this skips.
        return None
    match = DECISION_LINE.match(as_written_usually(label))
    if match is not None and match["accept"] and _tier_text(match) == "":
        return None  # "Accept ()" or "Accept:" names no tier: not a decision line
    if match is not None and match["after_colon"] and GLUED_TIER.match(match["after_colon"].strip()):
        return None  # "Accept: posterVision Transformers Need Registers": the next title joined to its line
    if match is not None and match["venue"] and not match["year"] and not is_venue_name(match["venue"]):
        return None  # "Gaussian Spotlight", "Not Oral", "Workshop Poster": a title, or no acceptance
    if match is not None and match["venue"] and DECISION_WORD.match(match["venue"]):
        return None  # "Accept-Not Oral", "Accept‐Reject Oral": no venue's badge (found by review)
    if match is not None and match["venue_line"] and not _is_venue_line(match):
        return None  # "GPT 2024", "ICLR 2024 Workshop on Agents", "ICLR 2024 Conference Submission"
    return match


# A tier, and a capital right after it: the next line's title joined to a decision's line, its line
# break lost. "Accept: notable-top-5%Grokking as the Transition …" was the decision of the paper
# above, and the abstract under it an untitled paper (review). GLUED_DECISION: the same at a
# title's start, "RejectVision Transformers Need Registers" too (review_listing.report_decision_at_start).
TIERS_WRITTEN = r"(?:notable[ -]*)?(?:top[ -]*\d+ *%|oral|spotlight|poster|talk)"
# After "Accept:" and a tier, any capital or digit: no name opens so ("Accept: posterLoRA: …").
GLUED_TIER = re.compile(TIERS_WRITTEN + r"(?=(?-i:[A-Z0-9]))", re.IGNORECASE)
# After a decision alone, a word and then another in capitals, as a title in Title Case goes on:
# "RejectNet for Open-Set Recognition", "RejectBench - A Benchmark" and "RejectNet: …" are names
# (review of the first rule).
GLUED_WORDS = r"(?=(?-i:(?:[A-Z][a-z]*|[A-Z0-9]{2,}[A-Za-z0-9-]*) [A-Z0-9]))"  # "Vision Tr…", "CLIP Mo…", "3D Ga…"
GLUED_DECISION = re.compile(rf"accept(?:ed)? ?: ?{TIERS_WRITTEN}(?=(?-i:[A-Z0-9]))"
                            rf"|(?:reject(?:ed)?|withdrawn(?: submission)?|desk[ -]+reject(?:ed)?){GLUED_WORDS}",
                            re.IGNORECASE)


# A venue line's words that say a decision. A venue and year alone, or with a track ("COLM 2024",
# "NeurIPS 2023 Datasets and Benchmarks Track"), may be a heading or a title as well: as a decision,
# "ICLR 2024" between the papers of a listing without decisions accepted the paper before it.
DECIDING_VENUE_WORDS = frozenset("oral spotlight poster talk notable notable-top-5% notable-top-25% accept accepted "
                                 "withdrawn desk rejected".split())


def _is_venue_line(match: re.Match) -> bool:
    """A known venue and its year, then only words of VENUE_LINE_WORDS, of which one says a decision."""
    words = _venue_words(match)
    return words is not None and bool(words & DECIDING_VENUE_WORDS) and not _is_under_review(words)


def _venue_words(match: re.Match) -> set[str] | None:
    """The words after a venue line's year, or None where it is no venue line (VENUE_LINE)."""
    words = set(match["line_words"].casefold().split())
    return words if match["line_venue"].casefold() in KNOWN_VENUES and words <= VENUE_LINE_WORDS else None


def _is_under_review(words: set[str]) -> bool:
    """A submission not withdrawn or rejected: "ICLR 2024 Conference Submission" names no decision."""
    return "submission" in words and not words & {"withdrawn", "desk", "rejected"}


def is_submission_venue(line: str) -> bool:
    """OpenReview's venue line for a paper under review, or not accepted: "Submitted to ICLR 2024",
    "ICLR 2024 Conference Submission". It names no decision."""
    if len(line) > 200:
        return False
    match = SUBMISSION_VENUE.fullmatch(plain_line(line))
    words = _venue_words(match) if match is not None else None
    return words is not None and (match["submitted"] is not None or _is_under_review(words))


def is_venue_heading(line: str) -> bool:
    """A known venue and its year, alone or with words of a venue line that name no decision: "ICLR
    2024 Conference", "COLM 2024", "NeurIPS 2023 Datasets and Benchmarks Track": a page's heading
    where no abstract follows (OpenReview's venue page, over its tabs "Accept (oral)", "Accept
    (poster)", …, was an oral paper titled "ICLR 2024 Conference": review)."""
    if len(line) > 200 or ("20" not in line and "19" not in line):  # a year: most titles have none
        return False
    match = SUBMISSION_VENUE.fullmatch(plain_line(line))
    words = _venue_words(match) if match is not None and match["submitted"] is None else None
    return words is not None and not words & DECIDING_VENUE_WORDS and not _is_under_review(words)


def is_venue_line(label: str) -> bool:
    """OpenReview's venue line that names a decision ("ICLR 2023 notable top 5%")."""
    match = _decision_match(label)
    return match is not None and match["venue_line"] is not None


def is_venue_name(word: str) -> bool:
    """A venue's short name, written with two capitals or more: NeurIPS, ICLR, CoRL."""
    return sum(character.isupper() for character in word) >= 2


# ICLR 2023's tiers as a listing may write them: "notable top 5%", "Top 5%", "top-25 %".
TOP_TIER = re.compile(r"(?:notable[ -]*)?top[ -]*(\d+) *%")


def _tier_text(match: re.Match) -> str | None:
    detail = match["parenthesised"] if match["parenthesised"] is not None else match["after_colon"]
    if detail is None:
        return None
    tier = detail.strip().casefold()
    # Each as "notable-top-5%", as ICLR 2023's decisions write it: its oral tier (25%: spotlight).
    top = TOP_TIER.fullmatch(tier)
    if top is not None:
        return f"notable-top-{top[1]}%"
    return "-".join(tier.split()) if tier.startswith("notable") else tier


# Words a decision's tier is written in, known or not ("Accept (Workshop)", "Accept (Oral
# presentation)"), which no title's "Accept (Almost) Everything" holds; and ICLR's "top 5%".
TIER_WORDS = frozenset("oral spotlight poster talk notable workshop presentation".split())


def names_a_tier(label: str) -> bool:
    """Whether a decision line names its tier in a tier's words (TIER_WORDS)."""
    match = _decision_match(label)
    return match is not None and _in_tier_words(_tier_text(match))


def _in_tier_words(tier: str | None) -> bool:
    return bool(TIER_WORDS & set(re.findall(r"[a-z]+", tier or ""))) or TOP_TIER.fullmatch((tier or "").strip()) is not None


def _only_tier_words(tier: str) -> bool:
    words = re.findall(r"[a-z]+", tier)
    return TOP_TIER.fullmatch(tier.strip()) is not None or (bool(words) and set(words) <= TIER_WORDS)


def is_decision(label: str) -> bool:
    return _decision_match(label) is not None


def is_decision_label_alone(line: str) -> bool:
    """A decision's label with nothing after it ("Decision:"): its decision is on the next line."""
    return (len(line) <= 40 and ("ecision" in line or "ECISION" in line)  # most lines: no reading at all
            and DECISION_LABEL_ALONE.fullmatch(plain_line(line)) is not None)


def normalise_decision(label: str) -> tuple[str, str | None] | None:
    """Map a raw decision label to (outcome, tier); None when the label is not a decision."""
    match = _decision_match(label)
    if match is None:
        return None
    if match["badge"]:  # only accepted papers are presented
        return "accept", next(word for word in re.findall(r"[a-z]+", match["badge"].casefold()) if word in BADGE_TIERS)
    if match["venue_line"]:
        return venue_line_decision(match["line_words"])
    outcome = next(name for name in OUTCOMES if match[name])
    if outcome != "accept":
        return outcome, None
    return "accept", ACCEPT_TIERS.get(_tier_text(match))


def venue_line_decision(words: str) -> tuple[str, str | None]:
    """What the words after a venue line's year say: withdrawn, desk rejected or rejected, else
    accepted (a venue lists its accepted papers), in the tier they name; "notable top 5%" and
    "notable top 25%" are ICLR 2023's oral and spotlight tiers, as "Accept: notable-top-5%" is."""
    text = words.casefold().replace("-", " ")
    words = text.split()
    if "withdrawn" in words:  # "ICLR 2024 Conference Withdrawn Submission"
        return "withdrawn", None
    if "desk" in words:
        return "desk_reject", None
    if "rejected" in words:
        return "reject", None
    if "notable top 5%" in text:
        return "accept", "oral"
    if "notable top 25%" in text:
        return "accept", "spotlight"
    return "accept", next((ACCEPT_TIERS[word] for word in words if word in ACCEPT_TIERS), None)


def is_unknown_accept_tier(label: str) -> bool:
    """An acceptance that names a tier we do not know, such as "Accept (Workshop)"."""
    match = _decision_match(label)
    tier = _tier_text(match) if match is not None and match["accept"] else None
    return bool(tier) and tier not in ACCEPT_TIERS


def is_badge(label: str) -> bool:
    """A conference site's badge ("Poster", "ICLR 2024 Oral") or OpenReview's venue line ("NeurIPS
    2023 Datasets and Benchmarks Poster"): a decision only where no abstract follows it; with
    one, a title such as "Spotlight" or "Poster Presentation" with its abstract."""
    match = _decision_match(label)
    return match is not None and (match["badge"] is not None or match["venue_line"] is not None)


def is_bare_badge(label: str) -> bool:
    """A badge without its venue ("Poster", "Spotlight Poster"): with a decision after it, a title."""
    match = _decision_match(label)
    return match is not None and match["badge"] is not None and match["venue"] is None


def is_accept_colon_in_other_words(label: str) -> bool:
    """"Accept:" followed by words that are no tier's ("Accept: Learning When to Say Yes"): a
    decision only where no abstract follows it; with one, a title opening with "Accept:"."""
    match = _decision_match(label)
    if match is None or match["after_colon"] is None:
        return False
    tier = _tier_text(match)
    return tier not in ACCEPT_TIERS and not _in_tier_words(tier)


OUTCOME_PRECEDENCE = ("accept", "reject", "desk_reject", "withdrawn")
TIER_PRECEDENCE = ("oral", "spotlight", "poster", None)


def decision_precedence(outcome: str, tier: str | None) -> int:
    """Which decision says most about a paper (lower first): accepted before rejected, then by tier."""
    return OUTCOME_PRECEDENCE.index(outcome) * 10 + TIER_PRECEDENCE.index(tier)
