"""Review decisions: which lines are decisions, and what a decision label means."""

from __future__ import annotations

import re

DECISION_LINE = re.compile(
    r"^(?:accept(?:\s*\(\s*[\w%+ -]+\s*\)|\s*:\s*[\w%+ -]+)?"
    r"|reject(?:ed)?|withdrawn(?:\s+submission)?|desk[\s-]+reject(?:ed)?)$",
    re.IGNORECASE,
)
ACCEPT_TIERS = {
    "oral": "oral",
    "talk": "oral",
    "notable-top-5%": "oral",
    "spotlight": "spotlight",
    "notable-top-25%": "spotlight",
    "poster": "poster",
}


def normalise_decision(label: str) -> tuple[str, str | None] | None:
    """Map a raw decision label to (outcome, tier); None when the label is not a decision."""
    text = " ".join(label.split()).casefold()
    if not DECISION_LINE.match(text):
        return None
    if text.startswith("accept"):
        detail = text[len("accept") :].strip(" :()")
        return "accept", ACCEPT_TIERS.get(detail)
    if text.startswith("reject"):
        return "reject", None
    if text.startswith("withdrawn"):
        return "withdrawn", None
    return "desk_reject", None


def is_unknown_accept_tier(label: str) -> bool:
    """An acceptance that names a tier we do not know, such as "Accept (Workshop)"."""
    return normalise_decision(label) == ("accept", None) and " ".join(label.split()).casefold() != "accept"

OUTCOME_PRECEDENCE = ("accept", "reject", "desk_reject", "withdrawn")
TIER_PRECEDENCE = ("oral", "spotlight", "poster", None)


def decision_precedence(outcome: str, tier: str | None) -> int:
    """Which decision says most about a paper (lower first): accepted before rejected, then by tier."""
    return OUTCOME_PRECEDENCE.index(outcome) * 10 + TIER_PRECEDENCE.index(tier)
