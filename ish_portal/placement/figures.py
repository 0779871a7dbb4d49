"""The figures of a matching run, read from what the run kept (its input and result): the ranks
the students obtained, the share placed at their first choice, the mean rank, each lab's fill and
organisations, and for each unplaced student the rule that kept them out of each lab they chose.
For the whole edition (organisers), or for one lab (its hosts): then only the students who chose
the lab count, the lab's own fill and organisations are shown, and the unplaced are named by
their first name only, with the lab's own reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ish_portal.labs.models import Lab
from ish_portal.placement.models import MatchRun
from ish_portal.placement.runs import _labs_by_id, _names, lab_id_of, lab_key, nomination_id_of, reason_words
from ish_portal.text.i18n import gettext as _


@dataclass
class Unplaced:
    name: str
    rules: list[tuple[str, str]]  # (lab, why not) for each lab the student chose, in their order


@dataclass
class Figures:
    run: MatchRun
    students: int
    placed: int
    ranks: list[tuple[str, int]]          # ("1", 4), ("2", 1), ... then unplaced
    first_choice_share: float | None      # of the students counted, placed at their first choice
    mean_rank: float | None               # over those placed at a lab they chose
    fill: list[tuple[str, int, int]]      # (lab, filled, seats)
    organisations: list[tuple[str, int]]  # (lab, organisations among its students)
    unplaced: list[Unplaced] = field(default_factory=list)
    rule_counts: list[tuple[str, int]] = field(default_factory=list)  # (first choice's rule, students)


def latest_run(session: Session, edition_id: int) -> MatchRun | None:
    """The run a host's figures show: the published one, else the newest."""
    return session.exec(select(MatchRun).where(MatchRun.edition_id == edition_id)
                        .order_by(MatchRun.published_at.is_(None), MatchRun.created_at.desc(), MatchRun.id.desc())
                        ).first()


def run_figures(session: Session, run: MatchRun, lab: Lab | None = None) -> Figures:
    """The figures of the run, for the edition or, given a lab, for that lab's side."""
    result, instance = run.result, run.instance
    explanations = result["explanations"]
    lab_entries = {entry["id"]: entry for entry in instance["labs"]}
    labs = _labs_by_id(session, run.edition_id)
    only = lab_key(lab.id) if lab is not None else None
    students = [s for s in instance["students"] if only is None or only in s["preferences"]]
    organisation_of = {s["id"]: s["organisation"] for s in instance["students"]}

    def label(key: str) -> str:
        found = labs.get(lab_id_of(key))
        return found.label if found else key

    if only is None:
        placed_ranks = [explanations[s["id"]]["rank"] for s in students if explanations[s["id"]]["lab"] is not None]
    else:  # for a lab: where its own students had put it among their choices
        placed_ranks = [s["preferences"].index(only) + 1 for s in students if explanations[s["id"]]["lab"] == only]
    counts = Counter(rank for rank in placed_ranks)
    ranks = [(str(rank), counts[rank]) for rank in sorted(r for r in counts if r is not None)]
    if counts.get(None):
        ranks.append((_("not ranked (pinned)"), counts[None]))
    unplaced_ids = [s["id"] for s in students if explanations[s["id"]]["lab"] is None]
    ranks.append((_("unplaced"), len(unplaced_ids)))
    ranked = [rank for rank in placed_ranks if rank is not None]
    # Of the students counted (for a lab: of its own students), those at their first choice.
    counted = len(students) if only is None else len(placed_ranks)
    first_choice_share = ranked.count(1) / counted if counted else None
    holders: dict[str, list[str]] = {}
    for student, key in result["assignments"].items():
        if key is not None:
            holders.setdefault(key, []).append(student)
    shown_labs = [only] if only is not None else list(result["stats"]["labs"])
    fill = [(label(key), result["stats"]["labs"].get(key, {}).get("filled", 0),
             result["stats"]["labs"].get(key, {}).get("capacity", 0)) for key in shown_labs]
    organisations = [(label(key), len({organisation_of[s] for s in holders.get(key, [])})) for key in shown_labs]

    nominations = _names(session, [nomination_id_of(key) for key in unplaced_ids])
    unplaced, rules = [], Counter()
    for key in unplaced_ids:
        nomination = nominations.get(nomination_id_of(key))
        name = (nomination.given_name if only is not None else nomination.display_name) if nomination else key
        choices = [(label(choice["lab"]), reason_words(choice["reasons"], lab_entries.get(choice["lab"])))
                   for choice in explanations[key].get("higher_choices", [])
                   if only is None or choice["lab"] == only]
        unplaced.append(Unplaced(name, choices))
        rules[choices[0][1] if choices else _("chose no lab")] += 1
    placed = len(placed_ranks)
    return Figures(run=run, students=len(students), placed=placed, ranks=ranks,
                   first_choice_share=first_choice_share, mean_rank=(sum(ranked) / len(ranked)) if ranked else None, fill=fill,
                   organisations=organisations, unplaced=unplaced, rule_counts=sorted(rules.items()))
