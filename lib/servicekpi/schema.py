"""The data contracts: the canonical columns of each input and their types."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One canonical column of an input.

    kind is one of ``text``, ``timestamp``, ``bool``, ``int``, ``number``;
    ``low``/``high`` bound numbers (inclusive); ``survey`` marks answers that
    are often missing (their blanks are counted, not refused); ``key`` a
    column whose value is each row's own (the rows repeating one are found as
    the column is typed: :attr:`~servicekpi.contracts.Checked.repeats`).
    """

    name: str
    kind: str
    required: bool = False
    low: float | None = None
    high: float | None = None
    survey: bool = False
    meaning: str = ""
    key: bool = False

    def expected(self) -> str:
        """Human wording of what a valid cell looks like."""
        kinds = {
            "text": "text",
            "timestamp": "a timestamp (ISO 8601 such as 2024-03-05T14:30:00, or 2024-03-05 14:30)",
            "bool": "true/false, yes/no or 1/0",
            "int": "a whole number",
            "number": "a number",
        }
        text = kinds[self.kind]
        if self.low is not None and self.high is not None:
            text += f" from {self.low:g} to {self.high:g}"
        elif self.low is not None:
            text += f" >= {self.low:g}"
        return text


TICKET_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("ticket_id", "text", required=True, meaning="unique id", key=True),
    Column("team", "text", required=True, meaning="department or team"),
    Column("created_at", "timestamp", required=True, meaning="when the customer made contact"),
    Column("first_response_at", "timestamp", meaning="first agent reply; empty if none yet"),
    Column("resolved_at", "timestamp", meaning="empty if unresolved"),
    Column("channel", "text", meaning="phone, email, chat, web, social, self_service, ..."),
    Column("category", "text", meaning="issue category"),
    Column("priority", "text"),
    Column("sla_due_at", "timestamp", meaning="resolution promised by"),
    Column("sla_met", "bool", meaning="given directly by some systems instead of sla_due_at"),
    Column("contacts", "int", low=1, meaning="customer contacts needed to resolve"),
    Column("reopened", "bool"),
    Column("is_complaint", "bool"),
    Column("abandoned", "bool", meaning="contact abandoned before an agent answered; "
           "empty: the contact had no queue (abandonment is n/a for it, not 0). With a "
           "channel column, only channels where some contact was abandoned are counted"),
    Column("handle_minutes", "number", low=0, meaning="agent handle time"),
    Column("csat", "int", low=1, high=5, survey=True, meaning="survey answer 1-5"),
    Column("satisfied", "bool", survey=True,
           meaning="a yes/no satisfaction rating (Good/Bad, thumbs up/down)"),
    Column("nps", "int", low=0, high=10, survey=True, meaning="survey answer 0-10"),
    Column("ces", "int", low=1, high=7, survey=True, meaning="survey answer 1-7"),
    Column("customer_id", "text"),
]}

#: Text columns stored as pandas categoricals (few distinct values, fast groupby).
CATEGORICAL = ("team", "channel", "category", "priority")

KPI_TABLE_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("team", "text", required=True),
    Column("period", "text", required=True),
    Column("kpi", "text", required=True),
    Column("value", "number", required=True),
    Column("n", "int", low=0),
    Column("sd", "number", low=0),
]}

BENCHMARK_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("kpi", "text", required=True),
    Column("benchmark", "text", required=True,
           meaning="industry_median, top_quartile, best_in_class, ..."),
    Column("value", "number", required=True),
    Column("source", "text", required=True),
    Column("published", "timestamp", required=True,
           meaning="when the figures were published (older files: as_of)"),
]}

TARGET_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("team", "text", required=True),
    Column("kpi", "text", required=True),
    Column("baseline", "number", required=True),
    Column("baseline_period", "text", required=True,
           meaning="the last period of the baseline"),
    Column("baseline_periods", "int", low=1,
           meaning="periods the baseline averages, ending at baseline_period (default 1)"),
    Column("baseline_without", "text",
           meaning="periods of that window the baseline leaves out, '; '-separated (no "
                   "value, or too many tickets still open): written by init"),
    Column("target", "number", required=True),
    Column("deadline", "text", required=True, meaning="period by which the target is due"),
    Column("milestones", "text", meaning="'2025Q1=0.80; 2025Q2=0.82': period=value pairs"),
    Column("weight", "number", low=0),
    Column("owner", "text"),
]}
