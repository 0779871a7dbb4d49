"""The panel's score of a nomination, from its reviews: pure arithmetic, no database.

A review's value is the weighted mean of its criteria, each as a share of its scale (0 to 1). With
standardisation, each reviewer's values become z-scores over all their reviews of the edition (a
strict and a lenient reviewer then count alike) and are mapped back onto the scale of all reviews
(their mean and spread). A nomination's score is the mean of its reviews' values, on 0-100, the
scale Nomination.review_score and the matching use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean, pstdev

# Reviews of one nomination whose values lie this far apart (0-100) count as strong disagreement.
DISAGREEMENT = 30.0


@dataclass(frozen=True)
class Criterion:
    id: int
    scale_max: int
    weight: float


@dataclass(frozen=True)
class DoneReview:
    nomination_id: int
    reviewer_id: int
    scores: dict[int, int]  # criterion id -> score


@dataclass(frozen=True)
class Combined:
    score: float      # 0-100
    reviews: int
    spread: float     # the highest review's value minus the lowest, 0-100

    @property
    def disagreement(self) -> bool:
        return self.reviews > 1 and self.spread >= DISAGREEMENT


def review_value(review: DoneReview, criteria: list[Criterion]) -> float | None:
    """The weighted share of the scale (0-1) over the criteria the review scored."""
    parts = [(c.weight, review.scores[c.id] / c.scale_max) for c in criteria
             if c.id in review.scores and c.scale_max > 0 and c.weight > 0]
    total = sum(weight for weight, _ in parts)
    if not total:
        return None
    return sum(weight * share for weight, share in parts) / total


def combine(reviews: list[DoneReview], criteria: list[Criterion], standardise: bool = False) -> dict[int, Combined]:
    """The combined score of every nomination that has at least one review with a value."""
    values = [(r, v) for r in reviews if (v := review_value(r, criteria)) is not None]
    if standardise and values:
        everything = [v for _, v in values]
        mean, spread = fmean(everything), pstdev(everything)
        per_reviewer: dict[int, list[float]] = defaultdict(list)
        for review, value in values:
            per_reviewer[review.reviewer_id].append(value)
        moments = {rid: (fmean(vs), pstdev(vs)) for rid, vs in per_reviewer.items()}

        def mapped(review: DoneReview, value: float) -> float:
            own_mean, own_spread = moments[review.reviewer_id]
            z = (value - own_mean) / own_spread if own_spread > 0 else 0.0
            return min(1.0, max(0.0, mean + z * spread))

        values = [(r, mapped(r, v)) for r, v in values]
    by_nomination: dict[int, list[float]] = defaultdict(list)
    for review, value in values:
        by_nomination[review.nomination_id].append(value * 100)
    return {nid: Combined(fmean(vs), len(vs), max(vs) - min(vs)) for nid, vs in by_nomination.items()}
