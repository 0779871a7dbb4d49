"""Who reviews what: a pure function (no database, no web) from the nominations, the reviewers,
the assignments already made and the number of reviews each nomination needs to the assignments
to add.

The rules: assignments already made are kept; a reviewer is never given a nomination of an
organisation they are in conflict with (declared, or their own); each nomination gets as many
reviewers as it needs, as far as there are reviewers free of conflict; and the load is balanced:
no reviewer has more than one assignment more than another, unless the conflicts (or assignments
already made) leave no way to even it out by moving one of the new assignments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    id: int
    organisation_id: int


@dataclass(frozen=True)
class Reviewer:
    id: int
    # The organisations whose nominations this reviewer must never see: declared conflicts and
    # their own organisation.
    conflicts: frozenset[int] = field(default_factory=frozenset)

    def may_review(self, candidate: Candidate) -> bool:
        return candidate.organisation_id not in self.conflicts


Pair = tuple[int, int]  # (nomination id, reviewer id)


def assign(candidates: Iterable[Candidate], reviewers: Iterable[Reviewer], existing: Iterable[Pair],
           needed: int) -> list[Pair]:
    """The new (nomination, reviewer) pairs, sorted. Deterministic: the same input gives the same
    answer."""
    candidates = sorted(set(candidates), key=lambda c: c.id)
    reviewers = sorted(set(reviewers), key=lambda r: r.id)
    by_id = {r.id: r for r in reviewers}
    taken = {pair for pair in existing if pair[1] in by_id}
    load = {r.id: 0 for r in reviewers}
    on = {c.id: set() for c in candidates}
    for nomination_id, reviewer_id in taken:
        load[reviewer_id] += 1
        on.setdefault(nomination_id, set()).add(reviewer_id)
    eligible = {c.id: [r for r in reviewers if r.may_review(c)] for c in candidates}
    new: set[Pair] = set()
    # The most constrained nominations first, so those with few possible reviewers get them.
    for candidate in sorted(candidates, key=lambda c: (len(eligible[c.id]), c.id)):
        missing = needed - len(on[candidate.id])
        if missing <= 0:
            continue
        free = sorted((r for r in eligible[candidate.id] if r.id not in on[candidate.id]),
                      key=lambda r: (load[r.id], r.id))
        for reviewer in free[:missing]:
            new.add((candidate.id, reviewer.id))
            on[candidate.id].add(reviewer.id)
            load[reviewer.id] += 1
    _even_out(candidates, by_id, new, on, load)
    return sorted(new)


def _even_out(candidates: list[Candidate], reviewers: dict[int, Reviewer], new: set[Pair],
              on: dict[int, set[int]], load: dict[int, int]) -> None:
    """Moves new assignments from the busiest reviewers to the least busy ones while that helps.
    Each move lowers the sum of squared loads, so it ends."""
    organisation = {c.id: c.organisation_id for c in candidates}
    moved = True
    while moved:
        moved = False
        for nomination_id, busy in sorted(new, key=lambda pair: (-load[pair[1]], pair)):
            target = min((r for r in reviewers.values()
                          if load[r.id] <= load[busy] - 2 and r.id not in on[nomination_id]
                          and organisation[nomination_id] not in r.conflicts),
                         key=lambda r: (load[r.id], r.id), default=None)
            if target is None:
                continue
            new.discard((nomination_id, busy))
            new.add((nomination_id, target.id))
            on[nomination_id].discard(busy)
            on[nomination_id].add(target.id)
            load[busy] -= 1
            load[target.id] += 1
            moved = True
            break
