"""On SQLite, name and email searches read off a full-text trigram index (portfolio/text_search.py), as PostgreSQL's
read off its trigram indexes (0003): SQLite has no index for `LIKE '%text%'`, and a search for one learner compared
the text with every person there is. Nothing on PostgreSQL."""

from django.db import migrations

from portfolio.text_search import search_table_create


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_membership_centre_role_sqlite"),
    ]

    operations = [
        search_table_create(table="people_user", search="people_user_search", columns=("full_name", "email")),
    ]
