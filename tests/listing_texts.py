"""Small hand-written listing texts shared by the reader and source tests."""

ABSTRACT_A = (
    "We study how lenders decide on applicants they once rejected. Reject inference methods try "
    "to recover the outcomes of those applicants, and we show that the usual methods are biased "
    "when the rejection rule depends on features that the model cannot see at all."
)
ABSTRACT_B = (
    "Diffusion models generate images by reversing a noising process. We propose a sampler that "
    "needs ten times fewer steps and keeps the same sample quality on every benchmark we tried, "
    "including ImageNet at two resolutions and three text-to-image datasets."
)
ABSTRACT_C = (
    "Peer review at large venues rejects many papers before review. We collect desk rejection "
    "letters from three conferences and study which reasons are given, how often they are "
    "consistent with the call for papers, and what happens to the papers afterwards."
)
SHORT_ABSTRACT = "We show that acceptance is all a paper needs, in thirteen short words."
# Spaces, line breaks, controls and invisible characters a pasted text may hold between its words.
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\x0c", "\x1c", "\x85", "\u00a0", "\u2028", "\u3000", "\u200b", "\ufeff"]


def review_text(*lines):
    return "\n".join(lines) + "\n"


HF_HEADER = [
    "new",
    "",
    "Get trending papers in your email inbox!",
    "",
    "Subscribe",
    "",
    "Daily Papers",
    "",
    "byAK and the research community",
    "",
    "Nov 12",
    "",
]


def hf_page(*entries):
    lines = list(HF_HEADER)
    for entry in entries:
        lines.extend(entry)
        lines.append("")
    return "\n".join(lines)


HOMONYM = "Scaling Laws for Neural Language Models"
# Two papers share a title, and a third record gives that title alone: which paper it is cannot
# be told, so it stays a paper of its own with an ambiguous_title issue.
AMBIGUOUS_TITLE_LISTING = review_text(HOMONYM, ABSTRACT_B, HOMONYM, ABSTRACT_C, HOMONYM.lower(), "Accept (Poster)")
AMBIGUOUS_TITLE_LINE = AMBIGUOUS_TITLE_LISTING.split("\n").index(HOMONYM.lower()) + 1
