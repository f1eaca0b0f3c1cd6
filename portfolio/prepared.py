"""A row read by its primary key on every signed-in request, its SQL built by the ORM once per process.

Used for the session, the signed-in user and the portfolio with its people.

Building the SQL of a query with several joined tables (`Portfolio.objects.with_people()`) costs more CPU than
running it (0.5 of the 0.7 ms on SQLite): the ORM's compiler does it once here, and each request runs that SQL with
its own key and turns the row into the same objects the ORM would (the fields' converters, then the instance and
each joined one, `None` for a missing optional person), in the same query the ORM would have run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

# A key no row has, to find where the ORM put the key among the query's parameters.
_SENTINEL = -7_919_000_000_001


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    key_index: int
    start: int
    end: int
    init_list: list[str]
    converters: dict[int, tuple[list, Any]]
    populators: list


class PreparedGet(Generic[M]):
    """`PreparedGet(lambda: Portfolio.objects.with_people()).get(pk)`: the object, or None when there is none."""

    def __init__(self, queryset: Callable[[], QuerySet[M]]) -> None:
        self.queryset = queryset
        self._plans: dict[tuple[str, str], _Plan] = {}

    def _plan(self, alias: str) -> _Plan:
        connection = connections[alias]
        key = (alias, connection.vendor)
        if key not in self._plans:
            queryset = self.queryset()
            # As the key's field prepares it: a number for an id, text for a session key.
            sentinel = queryset.model._meta.pk.get_prep_value(_SENTINEL)
            compiler = queryset.filter(pk=sentinel).query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            assert list(params).count(sentinel) == 1, "the key must be the query's only parameter of its value"
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            self._plans[key] = _Plan(
                sql=sql,
                params=tuple(params),
                key_index=list(params).index(sentinel),
                start=start,
                end=end,
                init_list=[column[0].target.attname for column in select[start:end]],
                converters=compiler.get_converters([column[0] for column in select]),
                populators=get_related_populators(klass_info, select, alias),
            )
        return self._plans[key]

    def get(self, pk: int) -> M | None:
        model = self.queryset().model
        alias = router.db_for_read(model)
        connection = connections[alias]
        plan = self._plan(alias)
        params = list(plan.params)
        params[plan.key_index] = model._meta.pk.get_db_prep_value(pk, connection)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        row = list(rows[0])
        for position, (functions, expression) in plan.converters.items():
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
        instance = model.from_db(alias, plan.init_list, row[plan.start : plan.end])
        for populator in plan.populators:
            populator.populate(row, instance)
        return instance
