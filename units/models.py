"""The qualification library: a unit is data loaded from fixtures, not code.

Every model has a natural key so the fixture in fixtures/ can be loaded
again and again: loaddata finds the existing row by its natural key and
updates it in place instead of adding a second copy.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce


class NaturalKeyManager(models.Manager):
    """Finds a row by the fields of its natural key, so fixtures can name rows instead of numbering them."""

    def __init__(self, *fields: str) -> None:
        super().__init__()
        self.key_fields = fields

    def get_by_natural_key(self, *values: object) -> models.Model:
        return self.get(**dict(zip(self.key_fields, values, strict=True)))


class AwardingBody(models.Model):
    class CriterionStyle(models.TextChoices):
        # OCR prints "1.1"; City & Guilds workbooks print "220.1.1".
        PLAIN = "plain", "Outcome.criterion (1.1)"
        UNIT_PREFIXED = "unit_prefixed", "Unit.outcome.criterion (220.1.1)"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    criterion_style = models.CharField(max_length=20, choices=CriterionStyle.choices, default=CriterionStyle.PLAIN)

    objects = NaturalKeyManager("code")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "awarding bodies"

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def uses_workbook_wording(self) -> bool:
        """Whether its learners read the workbook's wording ("you must: listen patiently ...") rather than the
        specification's ("The learner can: Listen patiently ...").

        The workbook wording in the library is the one printed beside 220.1.1-style numbers, so the body that
        numbers criteria that way is the body whose workbook it is. Every page and the PDF record ask this, through
        Criterion.wording and LearningOutcome.wording, so the two wordings are never mixed.
        """
        return self.criterion_style == self.CriterionStyle.UNIT_PREFIXED

    def sign_off_label(self, kind: str, default: str) -> str:
        """The name of a box on the unit sign-off, as the workbook prints it for its learners (the specification
        prints no sign-off block, so the application's own name stands for the others)."""
        return WORKBOOK_SIGN_OFF.get(kind, default) if self.uses_workbook_wording else default


# The workbook's unit sign-off block, by the kind of signature that fills each box.
WORKBOOK_SIGN_OFF = {
    "learner": "Signature of candidate",
    "assessor": "Signature of assessor",
    "assessor_countersign": "Countersignature of assessor",
    "iv": "Signature of IV (if sampled)",
    "iv_countersign": "Countersignature of IV",
    "ev": "Signature of EV (if sampled)",
}


def _workbook(unit_code: UnitCode | None) -> bool:
    return bool(unit_code and unit_code.awarding_body.uses_workbook_wording)


# The workbook's own question beside its example, for the learner to answer in their own words: the prompt of a
# reflective account.
WORKBOOK_PROMPTS = {"RA": "What have you done in your workplace that is similar?"}


class AssessmentMethod(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # The workbook's printed key lists O, Q, PE, WT and PD; RA and RPL are centre practice.
    in_workbook_key = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    objects = NaturalKeyManager("code")

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def prompt(self) -> str:
        """The question the learner answers in writing by this method, where the workbook asks one."""
        return WORKBOOK_PROMPTS.get(self.code, "")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


def versioned_slug(family: str, version: int) -> str:
    """Version 1 keeps the family's slug, so its pages and fixtures keep their names; later versions add "-vN"."""
    return family if version == 1 else f"{family}-v{version}"


class Versioned(models.Model):
    """A library item with versions: a changed specification of one in use is its next version, and what uses it
    keeps its own. The slug names one version (its page, its natural key); `family` is the slug every version
    shares, and stays empty on a first version loaded from a fixture, whose own slug is then the family."""

    slug = models.SlugField(max_length=100, unique=True)
    family = models.SlugField(
        max_length=100, null=True, blank=True, help_text="The slug all versions share (version 1's)."
    )
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=255)

    objects = NaturalKeyManager("slug")

    class Meta:
        abstract = True
        ordering = ["title", "version"]
        constraints = [
            models.UniqueConstraint(Coalesce("family", "slug"), "version", name="%(class)s_family_version_unique"),
        ]

    def __str__(self) -> str:
        return self.title if self.version == 1 else f"{self.title} (version {self.version})"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def family_slug(self) -> str:
        return self.family or self.slug


class Unit(Versioned):
    level = models.PositiveSmallIntegerField()
    credit_value = models.PositiveSmallIntegerField()
    guided_learning_hours = models.PositiveSmallIntegerField()
    purpose = models.TextField("unit purpose and aim")
    summary = models.TextField(blank=True, help_text="The workbook's one-paragraph summary of the unit.")
    assessment_statement = models.TextField()
    evidence_guidance = models.TextField("guidance on assessment and evidence requirements", blank=True)
    nos_mapping = models.TextField("National Occupational Standards mapping", blank=True)
    additional_information = models.TextField(blank=True)
    simulation_allowed_for_performance = models.BooleanField(default=False)
    methods = models.ManyToManyField(AssessmentMethod, related_name="units")
    # Whose words the unit's own text is: a unit numbered by two bodies prints one body's specification, and its
    # pages say so rather than show one body's text to the other's learners as if it were theirs.
    text_awarding_body = models.ForeignKey(
        AwardingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The awarding body whose specification the purpose and aim, the knowledge, understanding and "
        "skills, the assessment statement, evidence guidance, NOS mapping and additional information are taken "
        "from; empty when not stated.",
    )
    # The sign-off block's fixed wording.
    validity_statement = models.TextField()
    learner_declaration = models.TextField()
    assessor_statement = models.TextField()
    sign_off_awarding_body = models.ForeignKey(
        AwardingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The awarding body whose paperwork prints the sign-off block's wording (the validity statement, "
        "the candidate's declaration and the assessor's statement); empty when not stated. Another body's learners "
        "sign to the same words where their own paperwork prints none.",
    )

    def sign_off_borrowed_note(self, awarding_body: AwardingBody | None) -> str:
        """What a learner of `awarding_body` is told beside the sign-off wording when it is another body's (their
        own paperwork gives none: OCR's specification prints no sign-off block); empty when it is their body's own
        or whose it is is not stated."""
        if awarding_body is None or self.sign_off_awarding_body_id in (None, awarding_body.pk):
            return ""
        owner = self.sign_off_awarding_body
        return (
            f"{awarding_body.name} gives no wording of its own for the unit sign-off, so these are "
            f"{possessive(owner.name)} words."
        )


def possessive(name: str) -> str:
    """ "OCR's", "City & Guilds'": a body's name as the owner of its words."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


class UnitCode(models.Model):
    """The number a unit carries under one awarding body (OCR "C4", City & Guilds "220")."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="codes")
    awarding_body = models.ForeignKey(AwardingBody, on_delete=models.PROTECT, related_name="unit_codes")
    code = models.CharField(max_length=20)
    cross_reference_units = models.JSONField(
        default=list,
        blank=True,
        help_text="Other units, by this awarding body's numbers, that the workbook says evidence could also count "
        "towards, in its order.",
    )
    assessment_note = models.TextField(
        blank=True,
        help_text="The awarding body's own note on how the unit is assessed, shown to its learners (the workbook's "
        "'Assessed evidence' paragraph).",
    )
    # The workbook's sign-off block gives the IV and the EV no sentence of their own: they sign in boxes under the
    # statement heading the block. Empty where the awarding body's paperwork gives nothing (the OCR
    # specification prints no sign-off block), and the application's own statement stands.
    iv_statement = models.TextField(
        "internal verifier's statement",
        blank=True,
        help_text="What the internal verifier signs to on this awarding body's sign-off, in its own words; empty "
        "when its paperwork gives none.",
    )
    ev_statement = models.TextField(
        "external verifier's statement",
        blank=True,
        help_text="What the external verifier signs to on this awarding body's sign-off, in its own words; empty "
        "when its paperwork gives none.",
    )

    # Every version of a unit carries the same number, so a number alone no longer names one row: the unit's slug
    # is part of the key. The import keeps each number to one unit's versions (units.library.importing).
    objects = NaturalKeyManager("awarding_body__code", "code", "unit__slug")

    class Meta:
        ordering = ["awarding_body__name"]
        constraints = [
            models.UniqueConstraint(fields=["awarding_body", "unit"], name="unitcode_one_per_body"),
        ]

    def __str__(self) -> str:
        return f"{self.awarding_body.code} {self.code}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.awarding_body.code, self.code, self.unit.slug)

    @classmethod
    def newest_versions(cls) -> models.QuerySet[UnitCode]:
        """Each awarding body's number once, on the newest version of its unit: what a new registration starts on.

        Every version of a unit carries its numbers, so (awarding body, number) names several rows once a
        specification has changed; older versions stay for the registrations that began on them.
        """
        newer = cls.objects.filter(
            awarding_body=models.OuterRef("awarding_body"),
            code=models.OuterRef("code"),
            unit__version__gt=models.OuterRef("unit__version"),
        )
        return cls.objects.exclude(models.Exists(newer))

    natural_key.dependencies = ["units.awardingbody", "units.unit"]  # type: ignore[attr-defined]


class LearningOutcome(models.Model):
    class Kind(models.TextChoices):
        PERFORMANCE = "performance", "What you must do"
        KNOWLEDGE = "knowledge", "What you must know"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="outcomes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    element_title = models.CharField(
        max_length=255,
        blank=True,
        help_text="The workbook's element heading, e.g. 'To deal with difficult customers, you must:'.",
    )
    guidance_intro = models.CharField(max_length=255, blank=True)
    guidance = models.JSONField(default=list, help_text="Knowledge, understanding and skills bullets, in order.")

    objects = NaturalKeyManager("unit__slug", "number")

    class Meta:
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="outcome_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def natural_key(self) -> tuple[str, int]:
        return (*self.unit.natural_key(), self.number)

    natural_key.dependencies = ["units.unit"]  # type: ignore[attr-defined]

    @property
    def is_performance(self) -> bool:
        return self.kind == self.Kind.PERFORMANCE

    def label(self, unit_code: UnitCode | None = None) -> str:
        """The number as the awarding body prints it: "1" for OCR, "220.1" for City & Guilds."""
        if unit_code and unit_code.awarding_body.criterion_style == AwardingBody.CriterionStyle.UNIT_PREFIXED:
            return f"{unit_code.code}.{self.number}"
        return str(self.number)

    def wording(self, unit_code: UnitCode | None = None) -> str:
        """The learning outcome, or the workbook's element heading for a body whose learners use the workbook."""
        if _workbook(unit_code) and self.element_title:
            return self.element_title
        return self.title


class Criterion(models.Model):
    outcome = models.ForeignKey(LearningOutcome, on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(help_text="The specification's wording.")
    workbook_text = models.TextField(blank=True, help_text="The workbook's wording, addressed to the learner.")

    objects = NaturalKeyManager("outcome__unit__slug", "outcome__number", "number")

    class Meta:
        ordering = ["outcome__unit", "outcome__number", "number"]
        verbose_name_plural = "criteria"
        constraints = [models.UniqueConstraint(fields=["outcome", "number"], name="criterion_number_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def natural_key(self) -> tuple[str, int, int]:
        return (*self.outcome.natural_key(), self.number)

    natural_key.dependencies = ["units.learningoutcome"]  # type: ignore[attr-defined]

    @property
    def code(self) -> str:
        """The specification's number, e.g. "2.10"."""
        return f"{self.outcome.number}.{self.number}"

    def label(self, unit_code: UnitCode | None = None) -> str:
        """The number as the awarding body prints it: "1.1" for OCR, "220.1.1" for City & Guilds."""
        if unit_code and unit_code.awarding_body.criterion_style == AwardingBody.CriterionStyle.UNIT_PREFIXED:
            return f"{unit_code.code}.{self.code}"
        return self.code

    def wording(self, unit_code: UnitCode | None = None) -> str:
        """The criterion as the learner's awarding body words it: the workbook's "you" form for City & Guilds,
        the specification's for OCR (and wherever no workbook wording was loaded)."""
        if _workbook(unit_code) and self.workbook_text:
            return self.workbook_text
        return self.text


class RangeItem(models.Model):
    """One situation of "what you must cover": every one must be evidenced."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="range_items")
    letter = models.CharField(max_length=2)
    text = models.CharField(max_length=255)

    objects = NaturalKeyManager("unit__slug", "letter")

    class Meta:
        ordering = ["unit", "letter"]
        constraints = [models.UniqueConstraint(fields=["unit", "letter"], name="range_letter_unique")]

    def __str__(self) -> str:
        return f"{self.letter} {self.text}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.unit.natural_key(), self.letter)

    natural_key.dependencies = ["units.unit"]  # type: ignore[attr-defined]

    def wording(self, unit_code: UnitCode | None = None) -> str:
        """The same in the specification and the workbook; here so a claim of either kind is worded one way."""
        return self.text


class EvidenceRequirement(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="evidence_requirements")
    # Empty: the requirement applies whichever awarding body the learner is registered through. Each body words its
    # own (OCR names its handbook and assessors), and a learner is shown only theirs.
    awarding_body = models.ForeignKey(
        AwardingBody, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence_requirements"
    )
    # Orders the unit's requirements and names one in the fixture; the page numbers each body's list from 1.
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    # The requirement whose list is the range ("You must provide evidence ... a, b, c, d").
    introduces_range = models.BooleanField(default=False)

    objects = NaturalKeyManager("unit__slug", "number")

    class Meta:
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="requirement_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:60]}"

    def natural_key(self) -> tuple[str, int]:
        return (*self.unit.natural_key(), self.number)

    natural_key.dependencies = ["units.unit", "units.awardingbody"]  # type: ignore[attr-defined]

    @classmethod
    def for_body(cls, unit: Unit, unit_code: UnitCode | None) -> models.QuerySet[EvidenceRequirement]:
        """The requirements a learner registered through `unit_code`'s awarding body is shown: that body's own
        and those for every body."""
        body = models.Q(awarding_body__isnull=True)
        if unit_code is not None:
            body |= models.Q(awarding_body_id=unit_code.awarding_body_id)
        return cls.objects.filter(body, unit=unit).order_by("number")


class Qualification(Versioned):
    """A qualification as its awarding body publishes it: its units in groups and the rules for combining them.

    What the specification does not state stays empty (None, or "" for text) and is shown as "not stated in the
    specification"; nothing is filled in by guesswork.
    """

    level = models.PositiveSmallIntegerField(null=True, blank=True)
    awarding_body = models.ForeignKey(AwardingBody, on_delete=models.PROTECT, related_name="qualifications")
    number = models.CharField(
        "awarding body's qualification number", max_length=40, blank=True, help_text="Empty: not stated."
    )
    total_minimum_credits = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not stated.")


class QualificationGroup(models.Model):
    """One rule of combination: a group of units, mandatory or optional, with the minimum to be achieved from it."""

    class Kind(models.TextChoices):
        MANDATORY = "mandatory", "Mandatory"
        OPTIONAL = "optional", "Optional"

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField(help_text="The group's place in the qualification, from 1.")
    title = models.CharField(max_length=255, blank=True, help_text="Empty: not stated.")
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True, help_text="Empty: not stated.")
    minimum_credits = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not stated.")
    minimum_units = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not stated.")

    objects = NaturalKeyManager("qualification__slug", "number")

    class Meta:
        ordering = ["qualification", "number"]
        constraints = [models.UniqueConstraint(fields=["qualification", "number"], name="qualification_group_unique")]

    def __str__(self) -> str:
        return f"{self.qualification}: group {self.number}"

    def natural_key(self) -> tuple[str, int]:
        return (*self.qualification.natural_key(), self.number)

    natural_key.dependencies = ["units.qualification"]  # type: ignore[attr-defined]


class QualificationUnit(models.Model):
    """A unit in a group, by its number under the qualification's awarding body.

    The number, not a row, is what the qualification lists: the unit may not be loaded yet, and when it is, its
    newest version is the one a new registration starts on (`loaded_unit`).
    """

    group = models.ForeignKey(QualificationGroup, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=255, blank=True, help_text="Empty: not stated.")
    credit_value = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not stated.")

    objects = NaturalKeyManager("group__qualification__slug", "group__number", "number")

    class Meta:
        ordering = ["group", "position"]
        constraints = [models.UniqueConstraint(fields=["group", "number"], name="qualification_unit_unique")]

    def __str__(self) -> str:
        return f"{self.group.qualification.awarding_body.code} {self.number}"

    def natural_key(self) -> tuple[str, int, str]:
        return (*self.group.natural_key(), self.number)

    natural_key.dependencies = ["units.qualificationgroup"]  # type: ignore[attr-defined]

    def loaded_unit(self) -> Unit | None:
        """The newest loaded version of the unit with this number under the qualification's awarding body."""
        return (
            Unit.objects.filter(
                codes__awarding_body_id=self.group.qualification.awarding_body_id, codes__code=self.number
            )
            .order_by("-version")
            .first()
        )


class AssessorGuidance(models.Model):
    """A centre's guidance to its assessors (a marking point, or a common mistake to look out for), shown beside the
    criteria it names while they review evidence.

    It is not the awarding body's text, so it is kept out of the unit and its file. It names criteria by their
    numbers ("2.4") in a unit family, so every version of the unit shows it; no criteria means the whole unit.
    """

    class Kind(models.TextChoices):
        MARKING_POINT = "marking_point", "Marking point"
        COMMON_MISTAKE = "common_mistake", "Common mistake"

    unit_family = models.SlugField(max_length=100, help_text="The slug every version of the unit shares.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(help_text="Its place among the unit's guidance of its kind.")
    criteria = models.JSONField(default=list, blank=True, help_text='Criteria by number, ["2.1", "2.4"].')
    text = models.TextField(help_text="Word for word from the source.")
    source = models.CharField(max_length=255, help_text="The document and heading it is taken from.")

    objects = NaturalKeyManager("unit_family", "kind", "position")

    class Meta:
        ordering = ["unit_family", "kind", "position"]
        verbose_name_plural = "assessor guidance"
        constraints = [
            models.UniqueConstraint(fields=["unit_family", "kind", "position"], name="assessor_guidance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def natural_key(self) -> tuple[str, str, int]:
        return (self.unit_family, self.kind, self.position)
