"""The one exception raised for an instance that cannot be matched as given."""


class InstanceError(ValueError):
    """A bad instance; `problems` holds one line per problem, each naming where it is."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
