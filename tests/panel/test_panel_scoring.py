"""The panel's combined score (ish_portal/panel/scoring.py): weighted means on 0-100, the spread,
and standardisation that makes a strict and a lenient reviewer count alike."""

import pytest

from ish_portal.panel.scoring import Criterion, DoneReview, combine, review_value

MOTIVATION, ENGLISH = Criterion(1, 5, 2.0), Criterion(2, 10, 1.0)


def test_scoring_review_value_is_the_weighted_share_of_the_scale():
    # 4/5 weighs twice as much as 5/10: (2 * 0.8 + 1 * 0.5) / 3 = 0.7
    assert review_value(DoneReview(1, 1, {1: 4, 2: 5}), [MOTIVATION, ENGLISH]) == pytest.approx(0.7)


def test_scoring_combined_is_the_mean_of_the_reviews_with_their_spread():
    reviews = [DoneReview(1, 1, {1: 5, 2: 10}), DoneReview(1, 2, {1: 1, 2: 1})]
    result = combine(reviews, [MOTIVATION, ENGLISH])[1]
    low = (2 * 0.2 + 0.1) / 3 * 100
    assert result.score == pytest.approx((100 + low) / 2)
    assert result.reviews == 2 and result.spread == pytest.approx(100 - low)
    assert result.disagreement


def test_scoring_standardising_counts_a_strict_and_a_lenient_reviewer_alike():
    """The strict reviewer gives A 2 and B 1, the lenient one gives C 5 and D 4: raw, C and D lead;
    standardised, each reviewer's better nomination scores the same."""
    rubric = [Criterion(1, 5, 1.0)]
    reviews = [DoneReview(1, 10, {1: 2}), DoneReview(2, 10, {1: 1}), DoneReview(3, 20, {1: 5}), DoneReview(4, 20, {1: 4})]
    raw = combine(reviews, rubric)
    assert raw[3].score > raw[1].score
    standardised = combine(reviews, rubric, standardise=True)
    assert standardised[1].score == pytest.approx(standardised[3].score)
    assert standardised[2].score == pytest.approx(standardised[4].score)
    assert standardised[1].score > standardised[2].score
    assert all(0 <= c.score <= 100 for c in standardised.values())


def test_scoring_nominations_without_reviews_have_no_score():
    assert combine([], [MOTIVATION]) == {}
    assert combine([DoneReview(1, 1, {})], [MOTIVATION]) == {}
