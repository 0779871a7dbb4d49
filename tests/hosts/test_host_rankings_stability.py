"""The engine stays stable with the hosts' rankings: on the portal's own runs (the input it
built from the database, rankings the hosts saved through their door), the verifier finds no
blocking pair and no broken rule, whatever the hosts' orders."""

import random

from ish_portal.matching.verify import verify
from ish_portal.placement import runs
from ish_portal.hosts import service
from tests.placement.conftest import approved


def test_host_rankings_every_portal_run_is_stable_under_the_hosts_orders(db, make, world):
    labs = [world.embl, world.mpia, make.lab(db, world.edition, institute="HITS", group_name="Astroinformatics",
                                              capacity=2, organisation_cap=None)]
    hosts = [world.embl_host, world.mpia_host, make.host(db, labs[2])]
    chooser = random.Random(15)
    students = [world.ada, world.ben, world.cem]
    for index in range(9):
        students.append(approved(db, make, world.edition, world.orgs[index % 3],
                                 chooser.sample(labs, chooser.randint(1, 3)), score=chooser.randint(0, 100),
                                 given_name=f"Student{index}"))
    for attempt in range(5):
        for lab, host in zip(labs, hosts):
            shown = [c.nomination_id for c in service.candidates(db, service.hosted_lab(db, host, lab.id)[0])]
            picked = chooser.sample(shown, chooser.randint(0, len(shown)))
            service.save_ranking(db, host, lab.id, {nid: rank for rank, nid in enumerate(picked, start=1)})
        run = runs.create_run(db, world.organiser, world.edition.id, "stable", seed=attempt)
        assert any("ranking" in lab for lab in run.instance["labs"]) or attempt == 0
        again = verify(run.instance, run.result["assignments"], seed=run.seed)
        assert again == {"blocking_pairs": [], "violations": []}
        assert run.result["verification"]["blocking_pairs"] == []
