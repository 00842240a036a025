"""Every model of every domain, imported once so SQLAlchemy and Alembic see the whole schema."""

from tracker.auth.models import *  # noqa: F401,F403
from tracker.budget.models import *  # noqa: F401,F403
from tracker.core.audit import AuditEntry  # noqa: F401
from tracker.evaluation.models import *  # noqa: F401,F403
from tracker.reporting.models import *  # noqa: F401,F403
from tracker.reports.models import *  # noqa: F401,F403
from tracker.scheduler.models import *  # noqa: F401,F403
from tracker.targets.models import *  # noqa: F401,F403
