"""Write a deterministic synthetic corpus of N papers in both source formats, for benchmarks.

    python benchmarks/generate_corpus.py 100000 benchmarks/corpus-100k

Sizes follow the real sources: titles of 40-150 characters, abstracts of 800-1,800 characters of
English-like text over a Zipf-distributed vocabulary. About 30% of papers are in review listings
(5,000 records a file, a third with a decision line, 2% without a title), the rest on Hugging Face
pages (2,000 entries a page, with author counts or an organisation line, dates with and without a
year, upvotes; 3% without an author/date block). 12% of the Hugging Face papers appear on a second
page and 3% on a third. The same seed always writes the same bytes. Nothing here is committed:
the corpus folders are ignored by git.

Then some papers are listed again the ways real sources differ, in review listings of their own
(`relisted_*.txt`): RELISTED_SHARE of all papers each with a revised abstract (a sentence added,
same title), a re-cased or re-punctuated title (same abstract), the title alone (with a decision,
no abstract) and a new title over a near-identical abstract (one word changed); and
HOMONYM_SHARE more are distinct papers that take an existing paper's title. The truth, which
paper each record is, goes to `<folder>.truth.tsv` beside the folder (file, record position in
the file, paper number), so the benchmark can score how the build merged them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
from pathlib import Path

REVIEW_RECORDS_PER_FILE = 5_000
HF_ENTRIES_PER_PAGE = 2_000
VOCABULARY_SIZE = 30_000
DECISIONS = ["Accept (Poster)"] * 6 + ["Accept (Spotlight)", "Accept (Oral)", "Accept: poster",
             "Accept: notable-top-25%", "Accept: notable-top-5%", "Accept (Talk)", "Reject",
             "Withdrawn Submission", "Desk Rejected"]
ORGANIZATIONS = [("adobe", "Adobe"), ("google", "Google"), ("meta-llama", "Meta Llama"),
                 ("nvidia", "NVIDIA"), ("allenai", "Ai2")]
HF_HEADER = ["new", "", "Get trending papers in your email inbox!", "", "Subscribe", "", "Daily Papers",
             "", "byAK and the research community", ""]
RELISTED_SHARE = 0.01  # of all papers, for each of the four ways of listing a paper again
HOMONYM_SHARE = 0.005  # distinct papers with another paper's title
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def vocabulary(rng: random.Random) -> list[str]:
    """Pronounceable words, most frequent first; a few real ones so searches read naturally."""
    real = ("the of and to in a is we that for on with as by this are model learning data method "
            "results network training show propose neural performance task image language graph "
            "diffusion transformer reinforcement policy").split()
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["tion", "ment", "ing", "al", "er"]
    words, seen = list(real), set(real)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.words = vocabulary(rng)
        # Zipf: the word of rank r is drawn with weight 1 / r.
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1)))

    def draw(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def title(self) -> str:
        target = self.rng.randint(40, 150)
        words = []
        while len(" ".join(words)) < target:
            words.append(self.draw(1)[0].capitalize())
        title = " ".join(words)[:150].rstrip()
        return title if len(title) >= 40 else title + " Revisited Again"

    def abstract(self) -> str:
        target = self.rng.randint(800, 1800)
        sentences, length = [], 0
        while length < target:
            words = self.draw(self.rng.randint(12, 30))
            sentence = " ".join(words).capitalize() + "."
            sentences.append(sentence)
            length += len(sentence) + 1
        return " ".join(sentences)


def review_listing(papers: list[tuple[str, str | None]], rng: random.Random) -> str:
    lines = ["model"]  # the bare label line the real 000 file starts with
    for title, abstract in papers:
        if abstract is None:  # the title alone: a listing that showed the decision only
            lines += [title, rng.choice(DECISIONS)]
            continue
        if rng.random() >= 0.02:
            lines.append(title)
        lines.append(abstract)
        if rng.random() < 1 / 3:
            lines.append(rng.choice(DECISIONS))
    return "\n".join(lines)


def hf_page(papers: list[tuple[str, str]], saved_on: dt.date, rng: random.Random) -> str:
    lines = list(HF_HEADER) + [f"{MONTHS[saved_on.month - 1]} {saved_on.day}", ""]
    for title, abstract in papers:
        lines += [title, "", abstract, ""]
        if rng.random() < 0.03:
            continue  # an entry without an author/date block
        if rng.random() < 0.02:
            handle, name = rng.choice(ORGANIZATIONS)
            lines.append(f"{handle} {name}")
        else:
            lines.append(f"  • {rng.randint(1, 30)} authors")
        lines.append("·")
        published = saved_on - dt.timedelta(days=rng.randint(0, 1500))
        date = f"{MONTHS[published.month - 1]} {published.day}"
        if published.year != saved_on.year:
            date += f", {published.year}"
        if rng.random() < 0.4:
            date += f" {rng.randint(1, 300)}"
        lines += [date, ""]
    return "\n".join(lines).rstrip("\n")


def truth_file(folder: Path) -> Path:
    """Where the truth of a corpus folder is written: beside it, so the build does not read it."""
    return folder.with_name(folder.name + ".truth.tsv")


def write_corpus(count: int, folder: Path, seed: int = 2025) -> None:
    rng = random.Random(seed)
    text = TextMaker(rng)
    folder.mkdir(parents=True, exist_ok=True)
    papers = [(text.title(), text.abstract()) for _ in range(count)]
    review_count = int(count * 0.3)
    manifest = ["# Synthetic corpus written by benchmarks/generate_corpus.py", ""]
    truth = ["file\tposition\tpaper"]

    def write_review_files(prefix: str, numbers: list[int], texts: list[tuple[str, str | None]]) -> None:
        for number, start in enumerate(range(0, len(numbers), REVIEW_RECORDS_PER_FILE)):
            name = f"{prefix}_{number:04d}.txt"
            (folder / name).write_text(review_listing(texts[start:start + REVIEW_RECORDS_PER_FILE], rng), encoding="utf-8")
            manifest.extend(["[[source]]", f'file = "{name}"', 'format = "review_listing"', ""])
            truth.extend(f"{name}\t{place}\t{paper}"
                         for place, paper in enumerate(numbers[start:start + REVIEW_RECORDS_PER_FILE], start=1))

    write_review_files("review", list(range(review_count)), papers[:review_count])

    listed = list(range(review_count, count))
    hf_numbers = list(listed)
    listed += rng.sample(hf_numbers, int(len(hf_numbers) * 0.12))  # on a second page
    listed += rng.sample(hf_numbers, int(len(hf_numbers) * 0.03))  # and a third
    rng.shuffle(listed)
    first_day = dt.date(2025, 1, 6)
    for number, start in enumerate(range(0, len(listed), HF_ENTRIES_PER_PAGE)):
        saved_on = first_day + dt.timedelta(days=number % 320)
        name = f"hf_{number:04d}.txt"
        page = listed[start:start + HF_ENTRIES_PER_PAGE]
        (folder / name).write_text(hf_page([papers[paper] for paper in page], saved_on, rng), encoding="utf-8")
        manifest += ["[[source]]", f'file = "{name}"', 'format = "hf_daily_papers"',
                     f'snapshot_date = "{saved_on.isoformat()}"', ""]
        truth.extend(f"{name}\t{place}\t{paper}" for place, paper in enumerate(page, start=1))

    # Listed again, from Hugging Face papers (which always show their title); a new random
    # generator, so the files above are the same bytes as before these were added.
    again = random.Random(seed + 1)
    numbers, texts = relisted(papers, hf_numbers, again, TextMaker(again))
    order = list(range(len(numbers)))
    again.shuffle(order)
    write_review_files("relisted", [numbers[i] for i in order], [texts[i] for i in order])
    (folder / "manifest.toml").write_text("\n".join(manifest), encoding="utf-8")
    truth_file(folder).write_text("\n".join(truth) + "\n", encoding="utf-8")


def relisted(papers: list[tuple[str, str]], candidates: list[int], rng: random.Random,
             text: TextMaker) -> tuple[list[int], list[tuple[str, str | None]]]:
    """(paper number, (title, abstract)) of each record that lists a paper again, and of new
    papers that take another's title (numbered after the last paper)."""
    share = int(len(papers) * RELISTED_SHARE)
    homonyms = int(len(papers) * HOMONYM_SHARE)
    chosen = rng.sample(candidates, 4 * share + homonyms)  # distinct: one change per paper
    numbers, texts = [], []
    for way, paper in enumerate(chosen[:4 * share]):
        title, abstract = papers[paper]
        if way % 4 == 0:  # revised: a sentence added
            texts.append((title, abstract + " " + text.abstract().split(". ")[0] + "."))
        elif way % 4 == 1:  # re-cased, or re-punctuated
            texts.append((title.lower() if way % 8 == 1 else title.replace(" ", ": ", 1), abstract))
        elif way % 4 == 2:  # the title alone
            texts.append((title, None))
        else:  # retitled, the abstract with one word changed
            words = abstract.split(" ")
            words[len(words) // 2] = "changed"
            texts.append((text.title(), " ".join(words)))
        numbers.append(paper)
    for offset, paper in enumerate(chosen[4 * share:]):
        numbers.append(len(papers) + offset)
        texts.append((papers[paper][0], text.abstract()))
    return numbers, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("papers", type=int, help="number of distinct papers, e.g. 100000")
    parser.add_argument("folder", type=Path, help="folder to write the source files and manifest into")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    write_corpus(args.papers, args.folder, args.seed)


if __name__ == "__main__":
    main()
