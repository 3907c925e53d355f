"""C5: the card networks' monitoring of each merchant's disputes (SPEC §3), per month.

`figures` (the counts, and `assess`: the policy's thresholds applied, a pure function) and
`alerts` (raising and clearing them once, the notices' outbox). Callers use the names
below as `monitoring.<name>`.
"""

from redress.monitoring.alerts import (
    AlertChange,
    AlertView,
    evaluate,
    mark_noticed,
    open_alerts,
    pending_notices,
    timeline,
)
from redress.monitoring.figures import (
    PROGRAMME_NAMES,
    PROGRAMMES,
    Counts,
    DisputeOutcomes,
    MerchantMetrics,
    MonitoringInput,
    MonitoringResult,
    NetworkCounts,
    ProgrammeStatus,
    assess,
    dispute_outcomes,
    figures,
    known_merchant,
    month_bounds,
    parse_month,
    previous_month,
)
from redress.monitoring.months import month_of

__all__ = [
    "PROGRAMMES",
    "PROGRAMME_NAMES",
    "AlertChange",
    "AlertView",
    "Counts",
    "DisputeOutcomes",
    "MerchantMetrics",
    "MonitoringInput",
    "MonitoringResult",
    "NetworkCounts",
    "ProgrammeStatus",
    "assess",
    "dispute_outcomes",
    "evaluate",
    "figures",
    "known_merchant",
    "mark_noticed",
    "month_bounds",
    "month_of",
    "open_alerts",
    "parse_month",
    "pending_notices",
    "previous_month",
    "timeline",
]
