"""Did-you-mean: the candidates closest to what was written, ranked by the words they
share (each word forgiving a typo or an inflection: ``order``/``orders``) and by edit
distance. Edit distance alone misses a phrase whose parameters hold long values
(``Dora order 1 desk lamp`` against ``<customer> orders <count> <product>``).

``<name>`` in a candidate is a parameter: it matches any value, so it neither counts
for nor against it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

CUTOFF = 0.5  # below this a candidate is no help
SPREAD = 0.2  # and one this far below the best only distracts
_TOKEN = re.compile(r"<[^>]*>|[^\W_]+")
_MINOR = {"a", "an", "the", "is", "are", "be", "i", "to", "of", "and", "or", "it"}
_ENDINGS = ("ing", "es", "ed", "s")


def closest(
    wanted: str, candidates: Iterable[str], n: int = 3, cutoff: float = CUTOFF
) -> list[str]:
    """Up to ``n`` candidates nearest ``wanted``, best first."""
    scored = sorted(
        ((score(wanted, c), c) for c in dict.fromkeys(candidates)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    if not scored or scored[0][0] < cutoff:
        return []
    best = scored[0][0]
    return [c for s, c in scored[:n] if s >= max(cutoff, best - SPREAD)]


def score(wanted: str, candidate: str) -> float:
    """0 (nothing alike) to 1 (the same): the mean of the share of the candidate's
    words found in ``wanted`` (minor words weigh less) and their edit similarity."""
    words = [w for w in _words(wanted) if not w.startswith("<")]
    literal = [w for w in _words(candidate) if not w.startswith("<")]
    total = sum(_weight(w) for w in literal)
    found = sum(_weight(w) for w in literal if any(_alike(w, x) for x in words))
    share = found / total if total else 0.0
    ratio = difflib.SequenceMatcher(None, wanted.lower(), candidate.lower()).ratio()
    return (share + ratio) / 2


def _words(text: str) -> list[str]:
    return [w for w in _TOKEN.findall(text.lower()) if len(w) > 1 or w.isdigit()]


def _weight(word: str) -> float:
    return 0.3 if word in _MINOR else 1.0


def _alike(a: str, b: str) -> bool:
    if a == b or _stem(a) == _stem(b):
        return True
    return min(len(a), len(b)) >= 4 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word
