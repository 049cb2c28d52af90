"""Statistical results said as answers: what differs, how sure we are, with the test kept as detail.

A sales manager reads "Top clients are larger: median 5 010 employees vs 252 for other clients;
clearly a real difference", not "Kruskal-Wallis p = 0.0105". The strength words follow the p-value
and, when given, the size of the effect: a tiny difference is never called clear, however many
rows make it "significant".
"""

from __future__ import annotations

from dataclasses import dataclass

from core.formats import Locale, check_locale, is_missing, number

# p below CLEAR: "clearly"; below PROBABLE: "probably"; otherwise "no evidence".
CLEAR = 0.01
PROBABLE = 0.05
# An effect smaller than this (relative difference between the groups compared) is not called
# clear even when its p-value is tiny: with thousands of rows, trivial differences test significant.
SMALL_EFFECT = 0.10

STRENGTH_WORDS: dict[str, dict[str, str]] = {
    "clearly": {"fr": "clairement une vraie différence", "en": "clearly a real difference"},
    "probably": {"fr": "probablement une vraie différence", "en": "probably a real difference"},
    "no evidence": {"fr": "rien ne montre une vraie différence",
                    "en": "no evidence of a real difference"},
    "unknown": {"fr": "trop peu de données pour conclure", "en": "too little data to tell"},
}


@dataclass(frozen=True)
class Answer:
    """A finding as a sentence, its strength word, and the statistical detail behind it."""

    sentence: str
    strength: str
    detail: str


def strength(p_value: float | None, effect: float | None = None) -> str:
    """`clearly`, `probably`, `no evidence` (or `unknown` without a p-value).

    Args:
        p_value: the test's p-value.
        effect: the size of the difference as a relative change (0.25 = 25 %); a clear p-value
            with an effect under `SMALL_EFFECT` reads `probably`.
    """
    if is_missing(p_value):
        return "unknown"
    if p_value < CLEAR:
        return "probably" if effect is not None and abs(effect) < SMALL_EFFECT else "clearly"
    if p_value < PROBABLE:
        return "probably"
    return "no evidence"


def p_value_text(p_value: float | None, locale: Locale) -> str:
    """`p = 0,011` / `p = 0.011`; `p < 0,001` when smaller."""
    if is_missing(p_value):
        return "p = –"
    if p_value < 0.001:
        return f"p < {number(0.001, locale, 3)}"
    return f"p = {number(p_value, locale, 3)}"


def answer(statement: str, p_value: float | None, test: str, locale: Locale,
           effect: float | None = None) -> Answer:
    """`statement` followed by how sure we are: "Top clients are larger…; clearly a real difference".

    Args:
        statement: the finding in business words, with its numbers.
        p_value: the p-value of the test behind it.
        test: the test's name (kept for the detail line).
        locale: `fr` or `en`.
        effect: relative size of the difference (see `strength`).
    """
    word = strength(p_value, effect)
    words = STRENGTH_WORDS[word][check_locale(locale)]
    semicolon = "\u202f;" if locale == "fr" else ";"  # French puts a narrow no-break space before `;`
    return Answer(f"{statement}{semicolon} {words}.", word, f"{test}, {p_value_text(p_value, locale)}")
