"""The helpers the migrations that guard signed records were written with, now in portfolio/db_triggers.py so the
other apps' migrations can use them too; named here still for those migrations. The name starts with an underscore
so the migration loader does not take this module for a migration."""

from portfolio.db_triggers import triggers_create, triggers_set_aside

__all__ = ["triggers_create", "triggers_set_aside"]
