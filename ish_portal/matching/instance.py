"""Reading a matching instance: the JSON-shaped dict is checked and its ids turned into indices.

Every problem is collected with the place where it occurs (`students[3].preferences[1]: ...`),
so an organiser can fix a whole file in one pass; nothing is matched until the instance is clean.
The solvers then work on lists indexed by integers, which keeps their inner loops free of
dictionary look-ups by string.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from .errors import InstanceError

DEFAULT_SEED = 0

_MISSING = object()

_INSTANCE_REQUIRED = ("students", "labs")
_INSTANCE_OPTIONAL = ("seed", "priority", "pins")
_STUDENT_REQUIRED = ("id", "organisation", "age", "languages", "preferences")
_LAB_REQUIRED = ("id", "capacity")
_LAB_OPTIONAL = ("organisation_cap", "min_age", "languages", "ranking")


@dataclass(frozen=True, eq=False)
class Instance:
    """A checked instance; students and labs are numbered in the order they were given."""

    student_ids: list[str]
    organisations: list[str]
    student_organisation: list[int]  # index into organisations
    student_age: list[int]
    student_languages: list[frozenset[str]]
    preferences: list[list[int]]  # lab indices, best first
    closed_labs: list[frozenset[int]]  # labs whose age or language rule the student fails
    lab_ids: list[str]
    capacity: list[int]
    organisation_cap: list[int | None]  # None: no cap
    min_age: list[int | None]
    lab_languages: list[frozenset[str]]  # empty: no language requirement
    lab_ranking: list[list[int]]  # the lab's own order of students, ahead of everyone else
    review_order: list[int]  # every student: the priority list, then the lottery
    review_position: list[int]  # inverse of review_order
    pins: dict[int, int]  # student -> lab
    seed: int

    def acceptable_positions(self, student: int) -> list[int]:
        """Positions in the student's preferences of the labs they may take."""
        closed = self.closed_labs[student]
        return [
            position for position, lab in enumerate(self.preferences[student]) if lab not in closed
        ]

    def unmet_requirements(self, student: int, lab: int) -> list[str]:
        """The eligibility rules of `lab` that `student` fails: "min_age", "language"."""
        unmet = []
        min_age = self.min_age[lab]
        if min_age is not None and self.student_age[student] < min_age:
            unmet.append("min_age")
        required = self.lab_languages[lab]
        if required and required.isdisjoint(self.student_languages[student]):
            unmet.append("language")
        return unmet


def read_instance(raw: object, seed: int | None = None) -> Instance:
    """Check `raw` and return it as an Instance; `seed`, when given, overrides the instance's.

    Raises InstanceError listing every problem found.
    """
    return _Reader().read(raw, seed)


def _describe(value: object) -> str:
    """How a JSON value is named in messages: its JSON type, and the value when it is short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string '{value}'" if len(value) <= 40 else "a long string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- the whole instance -------------------------------------------------------------

    def read(self, raw: object, seed_override: int | None) -> Instance:
        if not isinstance(raw, dict):
            raise InstanceError([f"instance: expected an object, got {_describe(raw)}"])
        self.fields("instance", raw, _INSTANCE_REQUIRED, _INSTANCE_OPTIONAL)

        seed = self.optional_integer("seed", raw.get("seed"), minimum=None)
        if seed_override is not None:
            seed = seed_override
        elif seed is None:
            seed = DEFAULT_SEED

        labs = self.read_labs(raw.get("labs", _MISSING))
        students = self.read_students(raw.get("students", _MISSING), labs)
        if labs is not None and students is not None:
            for index, ranking in enumerate(labs.rankings):
                if ranking is not None:
                    labs.rankings[index] = self.references(
                        f"labs[{index}].ranking", ranking, students.index, "student"
                    )
        priority = self.read_priority(raw.get("priority"), students)
        pins = self.read_pins(raw.get("pins"), students, labs)

        if self.problems:
            raise InstanceError(self.problems)
        assert labs is not None and students is not None and priority is not None
        return _build(students, labs, priority, pins or {}, seed)

    def fields(
        self, path: str, entry: dict, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> None:
        for name in required:
            if name not in entry:
                self.problem(path, f"missing field '{name}'")
        for name in entry:
            if name not in required and name not in optional:
                self.problem(path, f"unknown field '{name}'")

    # -- scalar and list values ---------------------------------------------------------

    def string(self, path: str, value: object) -> str | None:
        if type(value) is not str:
            self.problem(path, f"expected a string, got {_describe(value)}")
            return None
        if not value:
            self.problem(path, "must not be empty")
            return None
        if not _is_unicode_text(value):
            self.problem(path, "contains a lone surrogate escape, which is not Unicode text")
            return None
        return value

    def integer(self, path: str, value: object, minimum: int | None) -> int | None:
        if type(value) is not int:
            self.problem(path, f"expected an integer, got {_describe(value)}")
            return None
        if minimum is not None and value < minimum:
            if minimum == 0:
                self.problem(path, f"must not be negative, got {value}")
            else:
                self.problem(path, f"must be at least {minimum}, got {value}")
            return None
        return value

    def optional_integer(self, path: str, value: object, minimum: int | None) -> int | None:
        return None if value is None else self.integer(path, value, minimum)

    def strings(self, path: str, value: object) -> list[str] | None:
        if not isinstance(value, list):
            self.problem(path, f"expected an array, got {_describe(value)}")
            return None
        if all(type(item) is str for item in value):
            return value
        for position, item in enumerate(value):
            if type(item) is not str:
                self.problem(f"{path}[{position}]", f"expected a string, got {_describe(item)}")
        return None

    def references(
        self, path: str, names: list[str], index: dict[str, int], kind: str
    ) -> list[int] | None:
        """Resolve ids to indices; every id must be known and appear once."""
        resolved = [index.get(name) for name in names]
        if None not in resolved and len(set(resolved)) == len(resolved):
            return resolved
        first_seen: dict[str, int] = {}
        for position, name in enumerate(names):
            if name not in index:
                self.problem(f"{path}[{position}]", f"unknown {kind} '{name}'")
            elif name in first_seen:
                self.problem(
                    f"{path}[{position}]",
                    f"duplicate {kind} '{name}' (already at {path}[{first_seen[name]}])",
                )
            else:
                first_seen[name] = position
        return None

    def unique_id(
        self,
        path: str,
        value: object,
        index: dict[str, int],
        position: int,
        collection: str,
        kind: str,
    ) -> str | None:
        """The id when it is a non-empty string, noting where it first occurs."""
        identifier = self.string(path, value)
        if identifier is None:
            return None
        if identifier in index:
            self.problem(
                path,
                f"duplicate {kind} '{identifier}' (first at {collection}[{index[identifier]}])",
            )
        else:
            index[identifier] = position
        return identifier

    # -- labs, students, priority, pins -------------------------------------------------

    def read_labs(self, raw_labs: object) -> _Labs | None:
        if raw_labs is _MISSING:
            return None
        if not isinstance(raw_labs, list):
            self.problem("labs", f"expected an array, got {_describe(raw_labs)}")
            return None
        clean = _Labs.from_clean(raw_labs)
        if clean is not None:
            return clean
        labs = _Labs()
        for position, entry in enumerate(raw_labs):
            path = f"labs[{position}]"
            labs.ids.append(None)
            labs.capacity.append(0)
            labs.organisation_cap.append(None)
            labs.min_age.append(None)
            labs.languages.append(frozenset())
            labs.rankings.append(None)
            if not isinstance(entry, dict):
                self.problem(path, f"expected an object, got {_describe(entry)}")
                continue
            self.fields(path, entry, _LAB_REQUIRED, _LAB_OPTIONAL)
            if "id" in entry:
                labs.ids[position] = self.unique_id(
                    f"{path}.id", entry["id"], labs.index, position, "labs", "lab"
                )
            if "capacity" in entry:
                labs.capacity[position] = self.integer(f"{path}.capacity", entry["capacity"], 0)
            labs.organisation_cap[position] = self.optional_integer(
                f"{path}.organisation_cap", entry.get("organisation_cap"), 1
            )
            labs.min_age[position] = self.optional_integer(
                f"{path}.min_age", entry.get("min_age"), 0
            )
            if entry.get("languages") is not None:
                languages = self.strings(f"{path}.languages", entry["languages"])
                labs.languages[position] = frozenset(languages or ())
            if entry.get("ranking") is not None:
                labs.rankings[position] = self.strings(f"{path}.ranking", entry["ranking"])
        return labs

    def read_students(self, raw_students: object, labs: _Labs | None) -> _Students | None:
        if raw_students is _MISSING:
            return None
        if not isinstance(raw_students, list):
            self.problem("students", f"expected an array, got {_describe(raw_students)}")
            return None
        if labs is not None:
            clean = _Students.from_clean(raw_students, labs.index)
            if clean is not None:
                return clean
        students = _Students()
        for position, entry in enumerate(raw_students):
            self.read_student(position, entry, students, labs)
        return students

    def read_student(
        self, position: int, entry: object, students: _Students, labs: _Labs | None
    ) -> None:
        """Check one student field by field, reporting every problem; adds a row either way.

        A field that is missing or wrong is None in the row (languages: empty), so the checks
        of pins that follow never meet a value that was not checked.
        """
        path = f"students[{position}]"
        if not isinstance(entry, dict):
            self.problem(path, f"expected an object, got {_describe(entry)}")
            students.add(None, None, None, frozenset(), None)
            return
        self.fields(path, entry, _STUDENT_REQUIRED)
        student_id = organisation = age = languages = preferences = None
        if "id" in entry:
            student_id = self.unique_id(
                f"{path}.id", entry["id"], students.index, position, "students", "student"
            )
        if "organisation" in entry:
            organisation = self.string(f"{path}.organisation", entry["organisation"])
        if "age" in entry:
            age = self.integer(f"{path}.age", entry["age"], 0)
        if "languages" in entry:
            languages = self.strings(f"{path}.languages", entry["languages"])
        if "preferences" in entry:
            names = self.strings(f"{path}.preferences", entry["preferences"])
            if names is not None and labs is not None:
                preferences = self.references(f"{path}.preferences", names, labs.index, "lab")
        students.add(student_id, organisation, age, frozenset(languages or ()), preferences)

    def read_priority(self, raw_priority: object, students: _Students | None) -> list[int] | None:
        if raw_priority is None:
            return []
        names = self.strings("priority", raw_priority)
        if names is None or students is None:
            return None
        return self.references("priority", names, students.index, "student")

    def read_pins(
        self, raw_pins: object, students: _Students | None, labs: _Labs | None
    ) -> dict[int, int] | None:
        if raw_pins is None:
            return {}
        if not isinstance(raw_pins, dict):
            self.problem("pins", f"expected an object, got {_describe(raw_pins)}")
            return None
        if students is None or labs is None:
            return None
        pins: dict[int, int] = {}
        for student_id, lab_id in raw_pins.items():
            path = f"pins['{student_id}']"
            student = students.index.get(student_id)
            if student is None:
                self.problem(path, f"unknown student '{student_id}'")
            if self.string(path, lab_id) is None:
                continue
            lab = labs.index.get(lab_id)
            if lab is None:
                self.problem(path, f"unknown lab '{lab_id}'")
            if student is None or lab is None:
                continue
            if self.pin_is_eligible(path, student, lab, students, labs):
                pins[student] = lab
        self.check_pins_fit(pins, students, labs)
        return pins

    def pin_is_eligible(
        self, path: str, student: int, lab: int, students: _Students, labs: _Labs
    ) -> bool:
        eligible = True
        student_id, lab_id = students.ids[student], labs.ids[lab]
        age, min_age = students.ages[student], labs.min_age[lab]
        if age is not None and min_age is not None and age < min_age:
            self.problem(
                path,
                f"student '{student_id}' cannot take lab '{lab_id}': "
                f"age {age} is below its minimum age {min_age}",
            )
            eligible = False
        required = labs.languages[lab]
        if required and required.isdisjoint(students.languages[student]):
            self.problem(
                path,
                f"student '{student_id}' cannot take lab '{lab_id}': "
                f"no common working language (lab: {', '.join(sorted(required))})",
            )
            eligible = False
        return eligible

    def check_pins_fit(self, pins: dict[int, int], students: _Students, labs: _Labs) -> None:
        pinned_to: dict[int, list[int]] = {}
        for student, lab in pins.items():
            pinned_to.setdefault(lab, []).append(student)
        for lab, pinned in pinned_to.items():
            capacity, cap = labs.capacity[lab], labs.organisation_cap[lab]
            if capacity is not None and len(pinned) > capacity:
                self.problem(
                    "pins",
                    f"{len(pinned)} students pinned to lab '{labs.ids[lab]}', "
                    f"which has capacity {capacity}",
                )
            if cap is None:
                continue
            per_organisation: dict[str, int] = {}
            for student in pinned:
                organisation = students.organisations[student]
                if organisation is not None:  # else the student's own problem is reported
                    per_organisation[organisation] = per_organisation.get(organisation, 0) + 1
            for organisation, count in per_organisation.items():
                if count > cap:
                    self.problem(
                        "pins",
                        f"{count} students from '{organisation}' pinned to lab "
                        f"'{labs.ids[lab]}', which has organisation_cap {cap}",
                    )


class _Labs:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ids: list = []
        self.capacity: list = []
        self.organisation_cap: list = []
        self.min_age: list = []
        self.languages: list[frozenset[str]] = []
        self.rankings: list = []

    @classmethod
    def from_clean(cls, entries: list) -> _Labs | None:
        """The labs when every one passes every check, else None; as for students, this path
        decides only *that* they are clean, and the reader's checks word any problem."""
        allowed = frozenset(_LAB_REQUIRED + _LAB_OPTIONAL)
        if _types(entries) - {dict} or not all(entry.keys() <= allowed for entry in entries):
            return None
        try:
            ids = [entry["id"] for entry in entries]
            capacity = [entry["capacity"] for entry in entries]
        except KeyError:
            return None
        caps = [entry.get("organisation_cap") for entry in entries]
        min_ages = [entry.get("min_age") for entry in entries]
        languages = [entry.get("languages") for entry in entries]
        rankings = [entry.get("ranking") for entry in entries]
        given_caps = [cap for cap in caps if cap is not None]
        given_min_ages = [age for age in min_ages if age is not None]
        given_languages = [names for names in languages if names is not None]
        given_rankings = [names for names in rankings if names is not None]
        if (
            _types(ids) - {str}
            or not all(ids)
            or not _is_unicode_text("".join(ids))
            or _types(capacity) - {int}
            or min(capacity, default=0) < 0
            or _types(given_caps) - {int}
            or min(given_caps, default=1) < 1
            or _types(given_min_ages) - {int}
            or min(given_min_ages, default=0) < 0
            or _types(given_languages) - {list}
            or _types(chain.from_iterable(given_languages)) - {str}
            or _types(given_rankings) - {list}
            or _types(chain.from_iterable(given_rankings)) - {str}
        ):
            return None
        index = dict(zip(ids, range(len(ids))))
        if len(index) != len(ids):
            return None  # a duplicate id
        labs = cls()
        labs.index = index
        labs.ids = ids
        labs.capacity = capacity
        labs.organisation_cap = caps
        labs.min_age = min_ages
        labs.languages = [frozenset(names or ()) for names in languages]
        labs.rankings = rankings
        return labs


class _Students:
    """Students as read, one column per field, indexed by student."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ids: list = []
        self.organisations: list = []
        self.ages: list = []
        self.languages: list[frozenset[str]] = []
        self.preferences: list = []

    def add(self, student_id, organisation, age, languages, preferences) -> None:
        self.ids.append(student_id)
        self.organisations.append(organisation)
        self.ages.append(age)
        self.languages.append(languages)
        self.preferences.append(preferences)

    @classmethod
    def from_clean(cls, entries: list, lab_index: dict[str, int]) -> _Students | None:
        """The students when every one passes every check, else None.

        Tens of thousands of students are read per instance, nearly always clean. This path
        decides only *that* they are clean, one column at a time with loops that run in C;
        anything doubtful goes to the reader's field-by-field checks, which alone word the
        problems.
        """
        if _types(entries) - {dict} or set(map(len, entries)) - {len(_STUDENT_REQUIRED)}:
            return None
        try:
            # Exactly five fields, all of them found: no field is missing or unknown.
            ids = [entry["id"] for entry in entries]
            organisations = [entry["organisation"] for entry in entries]
            ages = [entry["age"] for entry in entries]
            languages = [entry["languages"] for entry in entries]
            preference_names = [entry["preferences"] for entry in entries]
        except KeyError:
            return None
        if (
            _types(ids) - {str}
            or not all(ids)
            or _types(organisations) - {str}
            or not all(organisations)
            or _types(ages) - {int}  # bool is not int here, as in the checks
            or min(ages, default=0) < 0
            or _types(languages) - {list}
            or _types(chain.from_iterable(languages)) - {str}
            or _types(preference_names) - {list}
            or not _is_unicode_text("".join(ids) + "".join(organisations))
        ):
            return None
        index = dict(zip(ids, range(len(ids))))
        if len(index) != len(ids):
            return None  # a duplicate id
        try:
            preferences = [list(map(lab_index.__getitem__, names)) for names in preference_names]
        except (KeyError, TypeError):  # an unknown lab, or an item that cannot be an id
            return None
        if sum(map(len, map(set, preferences))) != sum(map(len, preferences)):
            return None  # a lab ranked twice
        students = cls()
        students.index = index
        students.ids = ids
        students.organisations = organisations
        students.ages = ages
        # Students share a few lists of languages; one set per distinct list saves memory.
        language_sets: dict[tuple[str, ...], frozenset[str]] = {}
        students.languages = [
            language_sets.get(spoken) or language_sets.setdefault(spoken, frozenset(spoken))
            for spoken in map(tuple, languages)
        ]
        students.preferences = preferences
        return students


def _types(values: Iterable) -> set[type]:
    return set(map(type, values))


def _is_unicode_text(value: str) -> bool:
    """False for a string holding a lone surrogate, which JSON's \\u escapes can spell but
    which no UTF-8 output can carry: a result naming it could not be printed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _build(
    students: _Students, labs: _Labs, priority: list[int], pins: dict[int, int], seed: int
) -> Instance:
    # Organisations numbered in the order they first appear.
    organisation_index: dict[str, int] = dict.fromkeys(students.organisations)
    for number, name in enumerate(organisation_index):
        organisation_index[name] = number
    student_organisation = list(map(organisation_index.__getitem__, students.organisations))

    # The lottery draws an order for the students the priority list leaves out, taken in
    # the order they were given, so the same seed always yields the same review order.
    listed = set(priority)
    unlisted = [student for student in range(len(students.ids)) if student not in listed]
    random.Random(seed).shuffle(unlisted)
    review_order = priority + unlisted
    review_position = [0] * len(review_order)
    for position, student in enumerate(review_order):
        review_position[student] = position

    return Instance(
        student_ids=students.ids,
        organisations=list(organisation_index),
        student_organisation=student_organisation,
        student_age=students.ages,
        student_languages=students.languages,
        preferences=students.preferences,
        closed_labs=_closed_labs(students, labs),
        lab_ids=labs.ids,
        capacity=labs.capacity,
        organisation_cap=labs.organisation_cap,
        min_age=labs.min_age,
        lab_languages=labs.languages,
        lab_ranking=[ranking or [] for ranking in labs.rankings],
        review_order=review_order,
        review_position=review_position,
        pins=pins,
        seed=seed,
    )


def _closed_labs(students: _Students, labs: _Labs) -> list[frozenset[int]]:
    """For each student, the labs whose rules they fail (whether they ranked them or not).

    Students share a few (age, languages) profiles, and students of one profile share one set;
    each solver then tests only the labs it looks at, rather than every pair up front.
    """
    restricted = [
        lab for lab in range(len(labs.ids)) if labs.min_age[lab] is not None or labs.languages[lab]
    ]

    def closed_to(age: int, spoken: frozenset[str]) -> frozenset[int]:
        return frozenset(
            lab
            for lab in restricted
            if (labs.min_age[lab] is not None and age < labs.min_age[lab])
            or (labs.languages[lab] and labs.languages[lab].isdisjoint(spoken))
        )

    profiles = list(zip(students.ages, students.languages))
    closed_to_profile = {profile: closed_to(*profile) for profile in dict.fromkeys(profiles)}
    return list(map(closed_to_profile.__getitem__, profiles))
