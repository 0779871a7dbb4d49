"""Every area of the business, imported once, so that what they register with the layers below them
is in place wherever the portal runs (the application, the worker, the command line, the tests):
their message kinds and letters (notifications), what follows a nomination's status change (an
ended offer), and what a new edition copies from the last (its labs)."""

from ish_portal.accounts import messages as accounts_messages  # noqa: F401
from ish_portal.hosts import messages as hosts_messages  # noqa: F401  (tells hosts of their students)
from ish_portal.interviews import messages as interviews_messages  # noqa: F401
from ish_portal.labs import service as labs_service  # noqa: F401  (copies labs into a new edition)
from ish_portal.mailings import messages as mailings_messages  # noqa: F401
from ish_portal.nominations import messages as nominations_messages  # noqa: F401
from ish_portal.placement import messages as placement_messages  # noqa: F401
from ish_portal.panel import messages as panel_messages  # noqa: F401
from ish_portal.panel import service as panel_service  # noqa: F401  (copies the rubric into a new edition)
from ish_portal.placement import offers as placement_offers  # noqa: F401  (follows withdrawals)
from ish_portal.retention import messages as retention_messages  # noqa: F401
from ish_portal.retention import service as retention_service  # noqa: F401  (copies retention periods into a new edition)
