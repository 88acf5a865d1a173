"""What the synthetic images say: real words, numbers, prices, plates, dates.

Text recognizers learn (and are judged) on the strings people actually
photograph, so the generator draws from a real English word list (SCOWL, see
``words.txt``), a vocabulary of sign and shop words, and formatted tokens
(prices, licence plates, dates, times, phone numbers) instead of random letters.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

SIGN_WORDS: tuple[str, ...] = tuple(
    """
    open closed exit entrance push pull stop parking hotel motel bar cafe coffee
    pizza bakery pharmacy hospital police taxi bus station platform gate lobby
    office bank atm market grocery deli liquor wine beer food restaurant kitchen
    diner bistro grill burger sushi noodle tacos books music cinema theatre
    garage service repair tires fuel gas diesel car wash laundry salon barber
    beauty spa fitness gym pool beach park zoo museum gallery library school
    college church chapel temple city hall street avenue road lane drive way
    north south east west left right ahead slow yield caution danger warning
    private keep out no entry one way toilet restroom men women elevator stairs
    fire alarm emergency first aid sale discount offer free new fresh hot cold
    welcome thank you please sorry daily today tonight night late menu specials
    breakfast lunch dinner drinks snacks tickets information arrivals departures
    terminal flight train metro subway tram ferry pier harbour airport check
    reception rooms vacancy suite floor level basement roof terrace garden
    flowers florist jewelry fashion shoes shop store outlet mall center centre
    pets vet dentist doctor clinic lab optician cash only card accepted wifi
    delivery takeaway order here pickup counter queue wait line closed sunday
    monday tuesday wednesday thursday friday saturday hours
    """.split()
)


@functools.lru_cache(maxsize=1)
def dictionary_words() -> tuple[str, ...]:
    """The packaged English word list (comment lines skipped)."""
    text = resources.files("did_ocr.data.synth").joinpath("words.txt").read_text(encoding="utf-8")
    return tuple(w for w in text.split("\n") if w and not w.startswith("#"))


def _case(word: str, rng: np.random.Generator) -> str:
    style = rng.choice(3, p=[0.5, 0.35, 0.15])
    return word.upper() if style == 0 else word.capitalize() if style == 1 else word


def word(rng: np.random.Generator) -> str:
    """A real word: a sign/shop word or a dictionary word, in upper, title or lower case."""
    pool = SIGN_WORDS if rng.random() < 0.5 else dictionary_words()
    return _case(str(pool[rng.integers(len(pool))]), rng)


def price(rng: np.random.Generator) -> str:
    amount = rng.choice([rng.integers(1, 20), rng.integers(1, 200), rng.integers(1, 2000)])
    cents = rng.integers(0, 100) if rng.random() < 0.7 else None
    value = f"{amount}.{cents:02d}" if cents is not None else f"{amount}"
    return str(rng.choice([f"${value}", f"{value}", f"£{value}"], p=[0.6, 0.3, 0.1]))


def plate(rng: np.random.Generator) -> str:
    """A licence-plate-like string in one of a few common formats."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    digits = "0123456789"

    def pick(alphabet: str, n: int) -> str:
        return "".join(alphabet[i] for i in rng.integers(len(alphabet), size=n))

    formats = [
        lambda: f"{pick(letters, 2)}{pick(digits, 2)} {pick(letters, 3)}",
        lambda: f"{pick(digits, 1)}{pick(letters, 3)} {pick(digits, 3)}",
        lambda: f"{pick(letters, 3)} {pick(digits, 4)}",
        lambda: f"{pick(letters, 2)} {pick(digits, 3)} {pick(letters, 2)}",
    ]
    return formats[rng.integers(len(formats))]()


def date(rng: np.random.Generator) -> str:
    y, m, d = rng.integers(1990, 2031), rng.integers(1, 13), rng.integers(1, 29)
    return str(rng.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{y % 100:02d}"]))


def number(rng: np.random.Generator) -> str:
    kind = rng.integers(4)
    if kind == 0:
        return str(rng.integers(1, 1000))
    if kind == 1:
        return f"{rng.integers(1, 13)}:{rng.choice([0, 15, 30, 45]):02d}"
    if kind == 2:
        return f"{rng.integers(200, 999)}-{rng.integers(0, 10000):04d}"
    return f"No {rng.integers(1, 100)}"


def token(rng: np.random.Generator) -> str:
    """One printed item: mostly words, sometimes a number, price or date."""
    kind = rng.choice(4, p=[0.7, 0.12, 0.12, 0.06])
    return [word, number, price, date][kind](rng)


def line(rng: np.random.Generator, max_tokens: int = 3) -> str:
    """A line of 1..max_tokens tokens."""
    n = int(rng.integers(1, max_tokens + 1))
    return " ".join(token(rng) for _ in range(n))
