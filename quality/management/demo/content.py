"""What the demo is made of: its people, with what each can try, and the evidence its learners add."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from people.models import Qualification, Role

DEMO_PASSWORD = "demo-portfolio-2026"
CENTRE = ("Northgate Training (demo)", "99001")
PLAN_TITLE = "Demo sampling plan"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    label: str  # the role as printed in the list of sign-ins
    tries: str  # what they can try, printed beside their sign-in


ASSESSOR = Person(
    "assessor@demo.example",
    "Asha Assessor",
    "Assessor",
    "review Lena's E2 and Sam's E4, then sign Sam's unit; countersign Quinn's decision on Cara's unit; "
    "mark the IV's action point done",
)
QUALIFYING = Person(
    "qualifying-assessor@demo.example",
    "Quinn Qualifying",
    "Assessor, qualifying",
    "a still-qualifying assessor: Cara's unit, which Quinn signed, waits for a qualified assessor's countersignature",
)
IV = Person(
    "iv@demo.example",
    "Ivan Verifier",
    "Internal verifier",
    "sample, release or refer Sid's unit; sign Sian's unit (reported on in the sampling plan); "
    "read the plan's coverage",
)
ADMIN = Person(
    "admin@demo.example",
    "Ada Admin",
    "Centre admin",
    "people and registrations; export Carl's complete unit; the audit trail; the EV visit and sampling policy",
)
EV = Person(
    "ev@demo.example",
    "Eve External",
    "EV, allocated",
    "read the centre's registrations and audit trail; sample a unit and record findings",
)
VISITING_EV = Person(
    "visiting-ev@demo.example",
    "Vera Visiting",
    "EV on a visit",
    "on a two-week visit: record findings on Victor's unit and sign it, which completes it",
)
STAFF = [
    (ASSESSOR, Role.ASSESSOR, Qualification.QUALIFIED),
    (QUALIFYING, Role.ASSESSOR, Qualification.QUALIFYING),
    (IV, Role.IV, Qualification.QUALIFIED),
    (ADMIN, Role.ADMIN, ""),
]
WITNESS = ("Wendy Witness", "witness@demo.example")

# One learner per state of the unit, each named after it.
IN_PROGRESS = Person(
    "learner@demo.example",
    "Lena Learner",
    "Learner, in progress",
    "add evidence; read the feedback on E1; E2 waits for the assessor, E3 for its witness; read the assessor's "
    "observation E4 (acknowledged) and questioning E5",
)
SUBMITTED = Person(
    "submitted@demo.example",
    "Sam Submitted",
    "Learner, submitted",
    "submitted with the declaration; the assessor still has E4 to review before signing",
)
ASSESSOR_SIGNED = Person(
    "signed@demo.example",
    "Sid Signed",
    "Learner, assessed",
    "signed by the assessor: the evidence is locked and the record carries a code to verify",
)
COUNTERSIGN = Person(
    "countersign@demo.example",
    "Cara Countersign",
    "Learner, countersign due",
    "signed by Quinn, a qualifying assessor: waits for Asha's countersignature",
)
IV_SAMPLED = Person(
    "sampled@demo.example",
    "Sian Sampled",
    "Learner, IV sampled",
    "in the IV's sampling plan, with the IV's report agreeing: waits for the IV's signature",
)
EV_VISIT = Person(
    "visit@demo.example",
    "Victor Visited",
    "Learner, EV visit",
    "signed by the IV and in the EV visit's sample: waits for the visiting EV's signature",
)
COMPLETE = Person(
    "complete@demo.example",
    "Carl Complete",
    "Learner, complete",
    "complete: download the signed record (PDF) and check its code at /verify/",
)
REFERRED = Person(
    "referred@demo.example",
    "Rita Referred",
    "Learner, referred back",
    "referred back by the assessor: read why, change the sent-back E2 and submit again",
)
LEARNERS = [IN_PROGRESS, SUBMITTED, ASSESSOR_SIGNED, COUNTERSIGN, IV_SAMPLED, EV_VISIT, COMPLETE, REFERRED]


@dataclass(frozen=True)
class Item:
    title: str
    method: str
    criteria: tuple[str, ...]
    range_items: tuple[str, ...]
    days_ago: int
    description: str
    image: bool = False
    # Which customer and occasion the item comes from (references, not personal data): the sufficiency ledger
    # counts them per criterion. A reflective account of what the learner knows comes from no one customer.
    customer_ref: str = ""
    occasion_ref: str = ""


OUTCOME_1 = tuple(f"1.{n}" for n in range(1, 8))
OUTCOME_2 = tuple(f"2.{n}" for n in range(1, 11))
OUTCOME_3 = tuple(f"3.{n}" for n in range(1, 11))

# Four items from four occasions that between them cover every criterion and range item: a whole unit.
WHOLE_UNIT = [
    Item(
        "Angry caller about a late parcel",
        "O",
        OUTCOME_1,
        ("a",),
        26,
        "My assessor watched me take a call from a customer whose parcel was a week late. I noticed the signs "
        "that he was getting angry, put myself in his place and kept within what I am allowed to offer.",
        customer_ref="Customer A (late parcel)",
        occasion_ref="Phone shift 1",
    ),
    Item(
        "Queue at the till on a busy Saturday",
        "O",
        OUTCOME_2,
        ("b",),
        20,
        "A customer at the back of a long queue complained loudly. I listened, asked what she needed, said how "
        "we would put it right, called a colleague to open a second till and told my manager afterwards.",
        customer_ref="Customer B (queue)",
        occasion_ref="Saturday till shift",
    ),
    Item(
        "What I know about difficult customers",
        "RA",
        OUTCOME_3,
        (),
        14,
        "My account of the kinds of difficult behaviour I meet, why customers behave that way, empathy, "
        "assertive and aggressive behaviour, our limits, and when and whom to ask for help.",
    ),
    Item(
        "Card machine down on a quiet afternoon",
        "PD",
        ("2.1", "2.4", "2.7", "2.9"),
        ("c", "d"),
        7,
        "The card machine failed while the shop was quiet. The photo is my entry in the incident log: what the "
        "customer needed, who I asked for help and what I told my manager.",
        image=True,
        customer_ref="Customer C (card machine)",
        occasion_ref="Weekday afternoon shift",
    ),
]

# The in-progress learner's unit: one item accepted, one waiting for the assessor, one waiting for the witness.
WITNESS_STATEMENT = (
    "I saw Lena deal with a customer who shouted about a refund. She stayed calm, listened, explained our "
    "policy clearly and agreed a way forward that the customer accepted."
)
IN_PROGRESS_ITEMS = [
    WHOLE_UNIT[0],
    Item(
        "Queue at the till on a busy Saturday",
        "O",
        ("2.1", "2.2", "2.3", "2.8"),
        ("b",),
        12,
        "A customer at the back of a long queue complained loudly; I listened and asked what she needed.",
        customer_ref="Customer D (queue)",
        occasion_ref="Saturday till shift",
    ),
    Item(
        "Refund dispute at the service desk",
        "WT",
        ("2.1", "2.4", "2.5", "2.6"),
        ("d",),
        5,
        "My supervisor saw me handle a customer who was refused a refund because the receipt was missing.",
        customer_ref="Customer E (refund)",
        occasion_ref="Service desk shift",
    ),
]


# The assessor's own records on the in-progress learner's unit, numbered after her items (E4 and E5): an
# observation, with its times, a note per criterion and range item, feedback and Lena's acknowledgement (given with
# her password on the assessor's tablet), and questioning with two question and answer pairs.
@dataclass(frozen=True)
class Observed:
    title: str
    days_ago: int
    place: str
    start: str  # HH:MM, Europe/London
    end: str
    description: str
    feedback: str
    notes: tuple[tuple[str, str], ...]  # (criterion number or "range x", what the assessor saw)


OBSERVATION = Observed(
    "Observed: a complaint about a missing delivery",
    4,
    "Service desk, Northgate store",
    "10:05",
    "10:40",
    "A customer came to the desk upset that a sofa had not arrived on the day promised. Lena listened, checked "
    "the order with him and agreed what would happen next.",
    "Well handled: you let him finish before you answered, and you summarised the next steps clearly. Next time, "
    "tell him when he will hear from us as well as what will happen.",
    (
        ("2.1", "Let the customer explain the whole problem without interrupting, nodding to show she was listening."),
        ("2.3", "Repeated the order details and the missed date back to him, and asked if she had it right."),
        ("2.8", "Summarised the redelivery and the call from the warehouse, and why it would happen that way."),
        ("range c", "A quiet mid-morning at the desk, with no queue behind the customer."),
    ),
)
QUESTIONING_TITLE = "Questions on why customers become difficult"
QUESTIONING_DAYS_AGO = 2
QUESTIONS = (
    (
        "Why might something about our own service make a customer difficult to deal with?",
        "When a delivery slot is missed and nobody rings them, they have taken time off for nothing, so they "
        "arrive angry before they have said a word.",
        ("3.2",),
    ),
    (
        "Who can you ask for help with a difficult customer, and when would you ask?",
        "My supervisor, or the duty manager if she is not in. I ask when they want something I am not allowed to "
        "give, like a refund over the limit, or when they start to threaten anyone.",
        ("3.5",),
    ),
)
FEEDBACK_ON_E1 = "Well handled: you kept calm and stayed within the refund limits. This covers all of outcome 1."
SENT_BACK = "This does not show you agreeing a way forward (2.6): add what you and the customer agreed."
REFERRAL = "E2 was sent back: it does not yet show 2.6. Add what you agreed with the customer, then submit again."
IV_FEEDBACK = "Sound decisions on sufficient, authentic evidence, recorded clearly."
IV_ACTION = "Date and sign each observation record on the day it is made."
EV_NOTE = "Demo visit: the EV may open the sampled unit for two weeks."


def incident_log_png() -> bytes:
    """A small picture of a handwritten-looking log entry, so the demo has a real image file to show."""
    image = Image.new("RGB", (480, 280), "#fdfbf3")
    draw = ImageDraw.Draw(image)
    lines = [
        "INCIDENT LOG - shop floor",
        "Card machine down, 14:10",
        "Customer needed to pay for a gift;",
        "asked supervisor for the spare machine,",
        "explained the delay, took payment 14:25.",
        "Told the manager at close.",
    ]
    for n, line in enumerate(lines):
        draw.text((24, 24 + n * 38), line, fill="#1d2b53")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
