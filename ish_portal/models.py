"""Every table of the portal, imported in one place so that SQLModel.metadata is complete
(Alembic's env.py and the tests read it from here)."""

from ish_portal.accounts.models import AccessToken, PanelConflict, PanelMember, SignInThrottle, User  # noqa: F401
from ish_portal.audit.models import AuditEvent  # noqa: F401
from ish_portal.labs.models import Lab, LabHost, LabRanking  # noqa: F401
from ish_portal.interviews.models import InterviewBooking, InterviewerSetting, InterviewSetting, InterviewSlot  # noqa: F401
from ish_portal.mailings.models import Mailing  # noqa: F401
from ish_portal.nominations.models import (  # noqa: F401
    Document,
    DocumentBlob,
    Interview,
    LabPreference,
    Nomination,
)
from ish_portal.notifications.models import (  # noqa: F401
    DeliveryAttempt,
    MessageTemplate,
    OutboxAttachment,
    OutboxMessage,
)
from ish_portal.placement.models import MatchRun, Offer, Pin  # noqa: F401
from ish_portal.panel.models import PanelScore, Review, ReviewScore, ReviewSettings, RubricCriterion  # noqa: F401
from ish_portal.programme.models import Edition, Organisation, PlaceTransfer, Quota  # noqa: F401
from ish_portal.retention.models import RetentionPeriod, RetentionRun  # noqa: F401
