"""Every area's message kinds and letters, registered in the notifications catalogue. The
application, the worker and the command line import this once, so the catalogue is complete
wherever a message may be rendered or sent."""

from ish_portal.accounts import messages as accounts_messages  # noqa: F401
from ish_portal.nominations import messages as nominations_messages  # noqa: F401
from ish_portal.placement import messages as placement_messages  # noqa: F401
from ish_portal.placement import offers as placement_offers  # noqa: F401  (follows withdrawals)
