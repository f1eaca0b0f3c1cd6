"""Finding people by name or email: the centre's people list, the registrations list's learner and assessor
searches, and the cohort page's learners."""

from __future__ import annotations

from django.db.models import Q

from portfolio.text_search import TextSearch

# Its SQLite index is migration 0008; PostgreSQL's are trigram indexes of exactly these `icontains` (0003).
PEOPLE = TextSearch(table="people_user_search", fields=("full_name", "email"))


def name_or_email(text: str) -> Q:
    """People whose name or email contains the text, whatever the case: read off an index on both databases
    (portfolio/text_search.py), not compared with every person."""
    return PEOPLE.matches(text)
