"""A learner's portfolio (their registration on one unit at one centre), its evidence, the assessor's
judgements and the sign-off chain."""

from assessments.models.evidence import (
    Author,
    Decision,
    Evidence,
    EvidenceFile,
    EvidenceSetting,
    FileKind,
    WitnessRequest,
    WitnessStatus,
    evidence_file_name,
    evidence_thumbnail_name,
)
from assessments.models.judgements import AssessmentPlan, ClaimJudgement, Feedback, PlanAction, Verdict
from assessments.models.observations import (
    ACKNOWLEDGED,
    Acknowledgement,
    Discussion,
    Observation,
    ObservationNote,
    QuestionAnswer,
)
from assessments.models.portfolio import (
    LOCKED_STATUSES,
    TRANSITIONS,
    Portfolio,
    PortfolioQuerySet,
    PortfolioStatus,
    RegistrationTally,
)
from assessments.models.qualifications import QualificationRegistration
from assessments.models.records import (
    RecordCode,
    RecordRender,
    RecordStamp,
    format_record_code,
    normalise_record_code,
)
from assessments.models.signoff import Referral, Signature, SignatureKind
from assessments.models.sufficiency import SufficiencyThresholds

__all__ = [
    "ACKNOWLEDGED",
    "Acknowledgement",
    "Discussion",
    "Observation",
    "ObservationNote",
    "QuestionAnswer",
    "LOCKED_STATUSES",
    "TRANSITIONS",
    "AssessmentPlan",
    "Author",
    "ClaimJudgement",
    "Decision",
    "Evidence",
    "EvidenceFile",
    "EvidenceSetting",
    "Feedback",
    "FileKind",
    "PlanAction",
    "Portfolio",
    "RecordCode",
    "RecordRender",
    "RecordStamp",
    "PortfolioQuerySet",
    "PortfolioStatus",
    "QualificationRegistration",
    "Referral",
    "RegistrationTally",
    "Signature",
    "SufficiencyThresholds",
    "SignatureKind",
    "Verdict",
    "WitnessRequest",
    "WitnessStatus",
    "evidence_file_name",
    "format_record_code",
    "normalise_record_code",
    "evidence_thumbnail_name",
]
