"""Enrichment: what a title or abstract says beyond its text (pure functions, used by the build)."""

from __future__ import annotations

import json
import re
import unicodedata

SHORT_NAME = re.compile(r"^([^\s:]{2,30})\s?:\s+\S")


def short_name(title: str | None) -> str | None:
    """The method or system name of a title of the form `Name: subtitle` (QuEST, HoME, SAMRS,
    Back2Future), or None. A name is one token with two capitals or a digit among letters, so an
    ordinary first word ("Cramming: ...") is not taken for one."""
    match = SHORT_NAME.match(title or "")
    if not match:
        return None
    name = match.group(1)
    capitals = sum(character.isupper() for character in name)
    mixed_digits = any(c.isdigit() for c in name) and any(c.isalpha() for c in name)
    return name if capitals >= 2 or mixed_digits else None


CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co")
CODE_LINK = re.compile(r"(?:https?://)?(?:www\.)?(github\.com|gitlab\.com|huggingface\.co)/[\w.~%+/-]*[\w/]", re.IGNORECASE)


def code_links(abstract: str | None) -> list[tuple[str, str]]:
    """(url, host) of each GitHub, GitLab or Hugging Face link in an abstract, in order, once each."""
    lowered = (abstract or "").lower()
    # The regex is slow to fail (its optional scheme is retried at every position), so it only
    # runs on the few abstracts that name a host at all.
    if not any(host in lowered for host in CODE_HOSTS):
        return []
    links = []
    for match in CODE_LINK.finditer(abstract):
        url = match.group(0)
        url = url if url.lower().startswith("http") else "https://" + url
        link = (url, match.group(1).lower())
        if link not in links:
            links.append(link)
    return links


LATEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω", "Omega": "Ω", "infty": "∞", "times": "×", "cdot": "·", "sim": "~",
    "approx": "≈", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥", "pm": "±", "to": "→",
    "rightarrow": "→", "in": "∈", "ell": "ℓ", "log": "log", "exp": "exp", "sqrt": "√",
    "left": "", "right": "",  # \left( and \right) only size their bracket
}
LATEX_WRAPPER = re.compile(r"\\(?!sqrt\b|[dt]?frac\b)[A-Za-z]+\s*\{([^{}]*)\}")  # \emph{x}, \mathcal{O} -> x
# {\em finite sample}: a font switch inside the group it applies to ("em finite sample" before).
LATEX_SWITCH = re.compile(r"\{\\(?:em|it|bf|sl|rm|tt|sc|sf|bfseries|itshape|ttfamily|scshape)\s+([^{}]*)\}")
# \tilde{O} is soft-O: Õ, not O. A mark over one character becomes its combining mark.
LATEX_MATH_ACCENT = re.compile(r"\\(tilde|widetilde|hat|widehat|bar|overline|dot|vec)\s*\{([^{}]*)\}")
COMBINING_MARKS = {"tilde": "\u0303", "widetilde": "\u0303", "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304",
                   "overline": "\u0305", "dot": "\u0307", "vec": "\u20d7"}
# Markup with no backslash left: Hugging Face's copies of arXiv abstracts lost theirs, and kept
# "n^{-2}-order" and "x_{t+1}" (8 bundled papers).
LATEX_GROUP = re.compile(r"[\^_]\s*\{")
# Markup whose meaning is more than its text: \sqrt{\epsilon} lost its root ("(ε, ε)-approximate"),
# k^{2/3} its grouping ("k^2/3"), \frac{a}{b} its bar ("ab"). A group of more than one token keeps
# parentheses: k^(2/3), √(2n), (a+b)/2; a fraction with more after it is one: (1/2)n.
LATEX_ROOT = re.compile(r"\\sqrt\s*\{([^{}]*)\}")
LATEX_ARGUMENT = r"(?:\{([^{}]*)\}|(\\[A-Za-z]+|[^\s{}\\]))"  # {group}, or one character or command: \frac12
LATEX_FRACTION = re.compile(rf"\\[dt]?frac\s*{LATEX_ARGUMENT}\s*{LATEX_ARGUMENT}(?=(\s*[\w\\(√^_])?)")
LATEX_SCRIPT = re.compile(r"([\^_])\s*\{([^{}]*)\}")  # x^{2/3}, x_{i=1}
# What needs no parentheses: one letter, a number, a command (\epsilon), one sign, a root of one.
LATEX_TOKEN = re.compile(r"√*(?:\\[A-Za-z]+|[A-Za-z]|\d+(?:\.\d+)?)|\S")
# A text accent (H\"older, na\"{\i}ve, Fr\'echet, \c{c}, \v{s}) is its letter with the accent's
# combining mark: "Hölder", not "Holder" (5 bundled abstracts). L\{o}wner lost its mark in the copy:
# "Lowner". A mark goes on a letter only ("\~3x", "n\^2" are no accents), and \. \= only with
# braces (C:\Users\.cache is a path): found by review.
LATEX_ACCENT = re.compile(r"\\\{(\w)\}|\\(['`^\"~])\{?([^\W\d_]|\\[ij](?![A-Za-z]))\}?"
                          r"|\\([uvHckr.=])\{(\\?[^\W\d_])\}")
ACCENT_MARKS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
                "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a"}
# Quotes and apostrophes escaped as in JSON, not accents: \"AI\" and model\'s (an English ending
# after a letter). A \" before a letter opens a quote only where the next \" closes one; inside a
# word (H\"older) or before a brace it is an umlaut: M\"{u}ller\'s \"AI\" and dass \"uber (found by review).
ESCAPED_QUOTE = re.compile(r'\\"')
ACCENTED_BY_COMMAND = re.compile(r"\\[ij](?![A-Za-z])|\{\\?[A-Za-z]\}")  # \"\i, \"{\i}, \"{o}: umlauts
ESCAPED_APOSTROPHE = re.compile(r"(?<=[A-Za-z])\\'(?=(?:s|t|d|m|ll|re|ve)\b)")
# Letters of their own: in braces as BibTeX writes them (Bj{\o}rn is Bjørn), bare where a space or
# a command ends them (Bj\o rn, \l\'od\'z), and \AA (Ångström) bare. Bare before anything else, \O
# and \L are as often macros in math ($\O(n)$, $\L$-smooth).
LETTER_COMMANDS = "o|O|ss|ae|AE|oe|OE|aa|AA|l|L"
LATEX_LETTER = re.compile(rf"\{{\\({LETTER_COMMANDS})\}}"
                          rf"|\\({LETTER_COMMANDS})(?:\{{\}}|(?<!AA) (?=[^\W\d_])|(?=\\['`^\"~=. ]|\\[uvHckr]\{{))"
                          r"|\\(AA)(?![A-Za-z])")  # Ga\l\k{a}zka, Micha\l\ Nowak
LATEX_LETTERS = {"o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å",
                 "l": "ł", "L": "Ł"}
LATEX_ESCAPE = re.compile(r"\\([%$&_#{}|])")  # \% -> %, \| -> |
LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
# A command that lost its backslash, right before or after a brace: "min{n_1,n_2}",
# "mathcal{O}(mathcal{C_Phi/m}" and "y_i{h}right)" (3 bundled abstracts) lost their word breaks
# with the braces ("minn_1,n_2"), so search found neither word. Only a command's name is kept
# apart: braces inside a word ("10{,}000", "Bj{\o}rn", "Ma{M}ba") are dropped as before.
LOST_COMMAND_NAMES = frozenset(LATEX_SYMBOLS) | frozenset(COMBINING_MARKS) | frozenset(
    "mathcal mathbb mathbf mathrm mathit mathsf mathtt mathfrak mathscr mathds boldsymbol bm operatorname text "
    "textbf textit emph min max sum prod int lim sup inf arg argmin argmax det frac dfrac tfrac binom".split())
# From a word's start only: tried at every letter, a 40,000-letter word took 5.9 s to search.
NAME_BEFORE_A_BRACE = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?=\{)")
NAME_AFTER_A_BRACE = re.compile(r"(?<=\})[A-Za-z]+")  # apart from the one before: "x}min{a,b}" has both
# {times}: a symbol's command that lost its backslash inside its own braces ("R^3 {times} S^2",
# bundled 002); it becomes the symbol, as \times does.
SYMBOL_NAMES = "|".join(name for name, symbol in LATEX_SYMBOLS.items() if symbol)
LOST_SYMBOL = re.compile(rf"\{{({SYMBOL_NAMES})\}}")
# What shows an abstract with no other markup lost its backslashes: a symbol in braces beside a
# script ("R^3 {times} S^2"), a command that is no word of English or code before a brace
# ("mathcal{O}"), a thousands separator ("10{,}000"). Not "{in}", "{min}-{max}" or "int{1, 2}":
# placeholders and code, whose braces mean what they say.
# Bounded runs, none of "_": "[\^_]\w+" backtracked over 100,000 "_" for 84 s.
LOST_SYMBOL_IN_MATH = re.compile(
    rf"[\^_][A-Za-z0-9]{{1,8}} ?\{{(?:{SYMBOL_NAMES})\}}|\{{(?:{SYMBOL_NAMES})\}} ?[A-Za-z0-9]{{1,8}}[\^_]")
LOST_MATH_COMMAND = re.compile(r"(?<![A-Za-z])(?:math(?:cal|bb|bf|rm|it|sf|tt|frak|scr|ds)|boldsymbol|operatorname|textbf"
                               r"|textit|emph|[dt]?frac|sqrt|arg(?:min|max)|widetilde|widehat|overline|tilde)\{")
THOUSANDS_SEPARATOR = re.compile(r"\d\{,\}\d")  # 10{,}000
LATEX_NESTING_MAX = 8  # wrappers unwrapped inside one another: the bundled abstracts nest 2 deep; each level costs a pass


def record_enrichment(title: str | None, abstract: str | None) -> tuple[str | None, str | None, str | None]:
    """What a record's text gives beyond itself: its plain abstract (or None), its short name (or
    None), and its code links as a JSON array of [url, host] (or None)."""
    links = code_links(abstract)
    return plain_abstract(abstract), short_name(title), json.dumps(links) if links else None


def _grouped(text: str) -> str:
    """A LaTeX group's text as plain text keeps it: in parentheses unless it is one token or
    already in them (x^{(t)} is x^(t), not x^((t))); an empty group is nothing."""
    text = text.strip()
    if not text or LATEX_TOKEN.fullmatch(text) or _in_parentheses(text.lstrip("√")):
        return text
    return f"({text})"


def _in_parentheses(text: str) -> bool:
    """Whether the text is one parenthesised group: "(a+b)", not "(a)(b)"."""
    if not text.startswith("(") or not text.endswith(")"):
        return False
    depth = 0
    for place, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0:
            return place == len(text) - 1
    return False


def _fraction(match: re.Match) -> str:
    numerator, denominator = (_grouped(match.group(1) if match.group(1) is not None else match.group(2)),
                              _grouped(match.group(3) if match.group(3) is not None else match.group(4)))
    fraction = f"{numerator}/{denominator}"
    # (1/2)n, not 1/2n; e^(1/2), not e^1/2
    scripted = match.start() > 0 and match.string[match.start() - 1] in "^_"
    return f"({fraction})" if match.group(5) or scripted else fraction


def _marked(match: re.Match) -> str:
    """\\tilde{O} as Õ: one character takes the combining mark; more keep their text alone."""
    text = match.group(2).strip()
    return unicodedata.normalize("NFC", text + COMBINING_MARKS[match.group(1)]) if len(text) == 1 else text


def _escaped_quotes_as_quotes(text: str) -> str:
    """Each \\" that is a quote, not an umlaut, as a plain quote (ESCAPED_QUOTE): one that closes
    (no letter, brace or command after it), and one at a word's start that opens what the next
    \\" outside a word closes (\\"Schr\\"odinger bridge\\", \\"\\emph{lottery ticket}\\")."""
    if '\\"' not in text:
        return text
    places = [match.start() for match in ESCAPED_QUOTE.finditer(text)]
    after = [text[place + 2:place + 3] for place in places]
    before = [text[place - 1:place] for place in places]
    # A closing one follows text (an opening one before "2-hop" or "$k$" follows a space).
    closes = [not character.isalpha() and character not in ("{", "\\") and before[number] not in ("", " ", "(", "[")
              for number, character in enumerate(after)]
    inside_a_word = [before[number].isalpha() and not closes[number] for number in range(len(places))]
    quotes = set()
    for number, place in enumerate(places):
        if closes[number]:
            quotes.add(place)
        elif not before[number].isalpha() and not ACCENTED_BY_COMMAND.match(text, place + 2):
            # The next \" outside a word closes it; one opening another first (\"Ozt\"urk et al., \"2-hop\")
            # shows this one an umlaut.
            following = next((later for later in range(number + 1, len(places)) if not inside_a_word[later]), None)
            if following is not None and closes[following]:
                quotes.add(place)
    pieces, last = [], 0
    for place in places:
        pieces += [text[last:place], '"' if place in quotes else '\\"']
        last = place + 2
    return "".join(pieces) + text[last:]


def _accented(match: re.Match) -> str:
    if match.group(1):
        return match.group(1)
    mark, letter = match.group(2, 3) if match.group(2) else match.group(4, 5)
    return unicodedata.normalize("NFC", letter.lstrip("\\") + ACCENT_MARKS[mark])  # \i is i


def _script(match: re.Match) -> str:
    grouped = _grouped(match.group(2))
    return match.group(1) + grouped if grouped else ""  # x^{} is x


def _names_kept_apart(text: str) -> str:
    """`name{` and `}name` with a space between the brace and a command's name."""
    text = NAME_BEFORE_A_BRACE.sub(lambda m: m.group(0) + " " if m.group(0) in LOST_COMMAND_NAMES else m.group(0), text)
    return NAME_AFTER_A_BRACE.sub(lambda m: " " + m.group(0) if m.group(0) in LOST_COMMAND_NAMES else m.group(0), text)


def _has_lost_markup(abstract: str) -> bool:
    """Whether an abstract with no backslash or dollar has markup that lost its backslashes: a
    grouped script (n^{-2}), a math command before a brace (mathcal{O}), a symbol in braces
    beside a script (R^3 {times} S^2), a thousands separator (10{,}000). Abstracts with only
    these were left as they were, braces and all (2 bundled abstracts)."""
    return bool(LATEX_GROUP.search(abstract) or LOST_MATH_COMMAND.search(abstract)
                or LOST_SYMBOL_IN_MATH.search(abstract) or THOUSANDS_SEPARATOR.search(abstract))


def plain_abstract(abstract: str | None) -> str | None:
    r"""The abstract without LaTeX markup ($F$, \emph{...}, L\{o}wner), or None when it has none.

    Commands that only wrap text are dropped, common symbols become their character, and other
    commands lose their backslash; the raw abstract is kept unchanged beside it."""
    # `in` first: most abstracts have no markup, and finding a character is cheaper than a regular expression.
    if not abstract or not ("\\" in abstract or "$" in abstract or ("{" in abstract and _has_lost_markup(abstract))):
        return None
    text = _escaped_quotes_as_quotes(ESCAPED_APOSTROPHE.sub("'", abstract))
    text = LATEX_LETTER.sub(lambda m: LATEX_LETTERS[m.group(1) or m.group(2) or m.group(3)], text)  # first: \l\'od\'z
    text = LATEX_ACCENT.sub(_accented, text)
    text = LATEX_ESCAPE.sub(lambda m: "\x00" + m.group(1), text)  # keep escaped $ and braces literal
    for _ in range(LATEX_NESTING_MAX):  # nested wrappers, innermost first
        text, roots = LATEX_ROOT.subn(lambda m: "√" + _grouped(m.group(1)), text)
        text, fractions = LATEX_FRACTION.subn(_fraction, text)
        text, scripts = LATEX_SCRIPT.subn(_script, text)
        text, marked = LATEX_MATH_ACCENT.subn(_marked, text)
        text, switched = LATEX_SWITCH.subn(r"\1", text)
        text, unwrapped = LATEX_WRAPPER.subn(r"\1", text)
        if not (roots or fractions or scripts or marked or switched or unwrapped):
            break
    text = LATEX_COMMAND.sub(lambda m: LATEX_SYMBOLS.get(m.group(1), m.group(1)), text)
    text = _names_kept_apart(text)  # first: "hat{theta}" is "hat θ", not "hatθ"
    text = LOST_SYMBOL.sub(lambda m: LATEX_SYMBOLS[m.group(1)], text)
    text = re.sub(r"[${}]", "", text).replace("\x00", "")
    text = " ".join(text.split())
    return text if text != abstract else None
