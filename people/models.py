"""People, centres and the roles people hold at them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in by email ignores case: "Sam@Example.org" is the same person as "sam@example.org".
        return self.get(email__iexact=username)

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalise_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


def normalise_email(email: str) -> str:
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    # Django admin is for superusers only; centre staff never get is_staff.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Whether what waits for them is also emailed; the dashboard shows it either way.
    email_notifications = models.BooleanField("email me when something needs my action", default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        # People listed in name order a page at a time (the cohort page's learners at a centre of 100,000) are read
        # off this index rather than sorted. Searches by name or email use trigram indexes on PostgreSQL (0003).
        indexes = [models.Index(fields=["full_name", "email"], name="user_name_order")]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Centre(models.Model):
    name = models.CharField(max_length=200)
    number = models.CharField("centre number", max_length=20, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    ASSESSOR = "assessor", "Assessor"
    IV = "iv", "Internal verifier"
    ADMIN = "admin", "Centre admin"
    EV = "ev", "External verifier"

    @property
    def with_article(self) -> str:
        """ "an assessor", "a learner": for sentences."""
        name = self.label.lower()
        return ("an " if name[0] in "aeiou" else "a ") + name


CENTRE_ROLES = [Role.LEARNER, Role.ASSESSOR, Role.IV, Role.ADMIN]
# Roles whose decisions need a countersignature while the holder is still qualifying.
QUALIFIABLE_ROLES = {Role.ASSESSOR, Role.IV}


class Qualification(models.TextChoices):
    QUALIFIED = "qualified", "Qualified"
    QUALIFYING = "qualifying", "Still qualifying"


class Membership(models.Model):
    """A role a person holds at a centre. One person may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in CENTRE_ROLES])
    qualification = models.CharField(max_length=20, choices=Qualification.choices, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["centre__name", "role"]
        indexes = [
            # The tallies' recount (people.tallies) counts a centre's people by role from this index alone.
            models.Index(fields=["centre", "is_active", "role"], name="membership_centre_counts"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "centre", "role"], name="membership_unique_role"),
            # Only assessors and IVs are qualified or qualifying, and they must be one or the other.
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=[Role.ASSESSOR, Role.IV], qualification__in=Qualification.values)
                    | (~models.Q(role__in=[Role.ASSESSOR, Role.IV]) & models.Q(qualification=""))
                ),
                name="membership_qualification_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.centre}"

    @property
    def is_qualifying(self) -> bool:
        return self.qualification == Qualification.QUALIFYING


class MembershipTally(models.Model):
    """How many active memberships a centre has in a role, kept by the database as memberships are written (triggers,
    migration people 0006), so the admin's dashboard reads a row rather than counting a centre's people. Repaired by
    people.tallies if rows were ever written past the triggers."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="membership_tallies")
    role = models.CharField(max_length=20)
    active = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "role"], name="membership_tally_unique")]

    def __str__(self) -> str:
        return f"{self.centre}: {self.active} active {self.role}"


class ExternalVerifier(models.Model):
    """An EV works for an awarding body and is allocated centres to verify."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ev_roles")
    awarding_body = models.ForeignKey("units.AwardingBody", on_delete=models.PROTECT, related_name="external_verifiers")
    centres = models.ManyToManyField(Centre, through="EVAllocation", related_name="external_verifiers")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "awarding_body"], name="ev_unique_per_body")]

    def __str__(self) -> str:
        return f"{self.user} – EV for {self.awarding_body}"


class EVAllocation(models.Model):
    external_verifier = models.ForeignKey(ExternalVerifier, on_delete=models.CASCADE, related_name="allocations")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="ev_allocations")
    allocated_on = models.DateField(default=timezone.localdate)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["external_verifier", "centre"], name="ev_allocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.external_verifier} → {self.centre}"
