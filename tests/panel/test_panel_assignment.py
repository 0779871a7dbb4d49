"""The assignment of reviewers (ish_portal/panel/assignment.py), by its properties: assignments
already made stay, nobody reviews an organisation they are in conflict with, every nomination gets
the reviewers it needs as far as conflict-free reviewers exist, and the load is even (no reviewer
more than one above another) unless no single move of a new assignment could even it out."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from ish_portal.panel.assignment import Candidate, Reviewer, assign
from tests.conftest import examples

ORGANISATIONS = range(1, 6)


@st.composite
def problems(draw, conflicts: bool = True, existing: bool = True):
    candidates = [Candidate(i, draw(st.sampled_from(ORGANISATIONS))) for i in range(1, draw(st.integers(0, 40)) + 1)]
    reviewers = [Reviewer(100 + i, frozenset(draw(st.sets(st.sampled_from(ORGANISATIONS), max_size=3)))
                          if conflicts else frozenset())
                 for i in range(draw(st.integers(1, 8)))]
    made = []
    if existing and candidates:
        for reviewer in reviewers:
            for candidate in draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True)):
                if reviewer.may_review(candidate):
                    made.append((candidate.id, reviewer.id))
    return candidates, reviewers, made, draw(st.integers(1, 4))


def loads(reviewers, pairs):
    counted = Counter(reviewer_id for _, reviewer_id in pairs)
    return {r.id: counted[r.id] for r in reviewers}


@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_assignment_never_gives_a_conflict_and_keeps_what_was_made(problem):
    candidates, reviewers, made, needed = problem
    new = assign(candidates, reviewers, made, needed)
    by_id = {r.id: r for r in reviewers}
    organisation = {c.id: c.organisation_id for c in candidates}
    assert not set(new) & set(made)
    assert len(new) == len(set(new))
    for nomination_id, reviewer_id in new:
        assert organisation[nomination_id] not in by_id[reviewer_id].conflicts


@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_assignment_gives_each_nomination_the_reviewers_it_needs_when_there_are_enough(problem):
    candidates, reviewers, made, needed = problem
    pairs = set(made) | set(assign(candidates, reviewers, made, needed))
    for candidate in candidates:
        eligible = [r for r in reviewers if r.may_review(candidate)]
        have = {reviewer_id for nomination_id, reviewer_id in pairs if nomination_id == candidate.id}
        already = {reviewer_id for nomination_id, reviewer_id in made if nomination_id == candidate.id}
        assert len(have) == max(len(already), min(needed, len(eligible)))


@settings(max_examples=examples(300), deadline=None)
@given(problems(conflicts=False, existing=False))
def test_assignment_without_conflicts_is_balanced_within_one(problem):
    candidates, reviewers, made, needed = problem
    load = loads(reviewers, assign(candidates, reviewers, made, needed))
    assert max(load.values()) - min(load.values()) <= 1


@settings(max_examples=examples(300), deadline=None)
@given(problems())
def test_assignment_is_uneven_only_where_no_move_of_a_new_assignment_helps(problem):
    """With conflicts and earlier assignments, an uneven load is allowed only when no new
    assignment of a busiest reviewer could go to a reviewer two or more below them."""
    candidates, reviewers, made, needed = problem
    new = assign(candidates, reviewers, made, needed)
    load = loads(reviewers, set(made) | set(new))
    organisation = {c.id: c.organisation_id for c in candidates}
    on = {}
    for nomination_id, reviewer_id in set(made) | set(new):
        on.setdefault(nomination_id, set()).add(reviewer_id)
    for nomination_id, busy in new:
        for other in reviewers:
            if load[other.id] <= load[busy] - 2:
                assert other.id in on[nomination_id] or organisation[nomination_id] in other.conflicts


def test_assignment_is_the_same_for_the_same_input():
    candidates = [Candidate(i, i % 3) for i in range(1, 30)]
    reviewers = [Reviewer(i, frozenset({i % 3})) for i in range(5)]
    assert assign(candidates, reviewers, [], 2) == assign(list(reversed(candidates)), reviewers, [], 2)


def test_assignment_own_organisation_counts_as_a_conflict():
    kumamoto, bautzen = 1, 2
    colleague = Reviewer(1, frozenset({kumamoto}))
    other = Reviewer(2)
    new = assign([Candidate(10, kumamoto), Candidate(11, bautzen)], [colleague, other], [], 2)
    assert (10, 1) not in new and (10, 2) in new and {(11, 1), (11, 2)} <= set(new)
