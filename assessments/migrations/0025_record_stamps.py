"""Record stamps: a version for each portfolio that the database moves on every write to what its draft record shows,
and row 0, moved on every write to the rows every record shares (portfolio/db_triggers.py, stamp_triggers). The
draft cache keys on them (assessments/records/stamps.py) rather than reading the whole record on every download.

Each covered table maps the rows written to the portfolios whose draft shows them: an evidence item counts in its
own portfolio and in every portfolio it is cross-referenced into, so anything hung on an item (its claims, files,
judgements, an assessor's record and that record's notes and pairs) moves all of them. A portfolio's own row moves
its stamp too, and those of the portfolios its items are cross-referenced into, which print its unit's number. The
shared rows move row 0: they change seldom, and working out every portfolio of a unit would lock thousands of rows.
A person's row moves it only when the name changes: the rest (last login above all) is written all day.

Frozen here on purpose: a table added to the record later gets its triggers in a migration of its own, and the test
(assessments/tests/test_record_stamps.py) fails until it has them."""

from django.db import migrations, models

from portfolio.db_triggers import stamp_triggers

STAMP, KEY = "assessments_recordstamp", "portfolio_id"
CROSS = "assessments_evidence_cross_references"


def _of_evidence(column: str) -> str:
    """The portfolios of the items whose ids are in `column`: each item's own and those it is cross-referenced into."""
    return (
        f"SELECT e.portfolio_id FROM {{rows}} AS r JOIN assessments_evidence AS e ON e.id = r.{column} "
        f"UNION SELECT x.portfolio_id FROM {{rows}} AS r JOIN {CROSS} AS x ON x.evidence_id = r.{column}"
    )


def _through(table: str, column: str) -> str:
    """The portfolios of the items reached through `table` (observation notes to their observation, say)."""
    return (
        f"SELECT e.portfolio_id FROM {{rows}} AS r JOIN {table} AS t ON t.id = r.{column} "
        f"JOIN assessments_evidence AS e ON e.id = t.evidence_id "
        f"UNION SELECT x.portfolio_id FROM {{rows}} AS r JOIN {table} AS t ON t.id = r.{column} "
        f"JOIN {CROSS} AS x ON x.evidence_id = t.evidence_id"
    )


SHARED = "SELECT 0 FROM {rows} AS r"

# table: (the portfolios its rows show in, the columns that takes, events, columns watched on update)
COVERED = {
    "assessments_portfolio": (
        f"SELECT r.id FROM {{rows}} AS r UNION SELECT x.portfolio_id FROM {{rows}} AS r "
        f"JOIN assessments_evidence AS e ON e.portfolio_id = r.id JOIN {CROSS} AS x ON x.evidence_id = e.id",
        ["id"],
        ("update",),
        (),
    ),
    "assessments_evidence": (
        f"SELECT r.portfolio_id FROM {{rows}} AS r "
        f"UNION SELECT x.portfolio_id FROM {{rows}} AS r JOIN {CROSS} AS x ON x.evidence_id = r.id",
        ["id", "portfolio_id"],
        None,
        (),
    ),
    CROSS: (
        "SELECT r.portfolio_id FROM {rows} AS r "
        "UNION SELECT e.portfolio_id FROM {rows} AS r JOIN assessments_evidence AS e ON e.id = r.evidence_id",
        ["evidence_id", "portfolio_id"],
        None,
        (),
    ),
    **{
        table: (_of_evidence("evidence_id"), ["evidence_id"], None, ())
        for table in (
            "assessments_evidence_criteria",
            "assessments_evidence_range_items",
            "assessments_evidencefile",
            "assessments_claimjudgement",
            "assessments_observation",
            "assessments_questionanswer",
            "assessments_discussion",
        )
    },
    "assessments_observationnote": (
        _through("assessments_observation", "observation_id"),
        ["observation_id"],
        None,
        (),
    ),
    "assessments_questionanswer_criteria": (
        _through("assessments_questionanswer", "questionanswer_id"),
        ["questionanswer_id"],
        None,
        (),
    ),
    "assessments_signature": ("SELECT r.portfolio_id FROM {rows} AS r", ["portfolio_id"], None, ()),
    **{
        table: (SHARED, ["id"], None, ())
        for table in (
            "units_unit",
            "units_unitcode",
            "units_learningoutcome",
            "units_criterion",
            "units_rangeitem",
            "units_assessmentmethod",
            "units_awardingbody",
            "people_centre",
        )
    },
    "people_user": (SHARED, ["id"], ("update",), ("full_name",)),
}

TRIGGERS = [
    stamp_triggers(
        table=table,
        stamp=STAMP,
        key=KEY,
        keys=keys,
        columns=columns,
        events=events or ("insert", "update", "delete"),
        watched=watched,
    )
    for table, (keys, columns, events, watched) in COVERED.items()
]


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0024_portfolio_learner_number_search_sqlite"),
        ("people", "0007_membership_centre_role_sqlite"),
        ("units", "0008_unit_text_and_sign_off_bodies"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordStamp",
            fields=[
                ("portfolio_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        *(triggers.operation() for triggers in TRIGGERS),
    ]
