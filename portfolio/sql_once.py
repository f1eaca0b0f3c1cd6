"""Queries whose SQL the ORM builds once per process, run on each request with that request's values.

On the unit page and the evidence list, building and compiling a query (joins, subqueries, ordering) costs the
request more CPU than SQLite takes to run it. `SqlOnce` has the ORM build the query once per database with a
sentinel for each value that changes (a portfolio's id, a unit's id), finds where the sentinels went among the
query's parameters, and from then on runs that same SQL with the real values, turning the rows into what the ORM
would have returned: tuples in the query's column order for a `values_list()` query, model instances (with those
joined by `select_related`) otherwise, each value through the fields' own converters.

The values must be ids: whole numbers, or text for a text key (a session's), which the ORM writes as the number's
digits. A value the ORM would write differently (None becomes IS NULL, an empty list no query at all) cannot stand
in a query built for one. `PreparedGet` is the one-row case: a row by its primary key, on every signed-in request
(the session, the portfolio with its people; the user comes with their roles, people/roles.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators

M = TypeVar("M", bound=Model)

# Values no row has, to find where the ORM put each value among the query's parameters.
_SENTINEL = -7_919_000_000_101


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    places: dict[str, list[int]]
    width: int
    converters: dict[int, tuple[list, Any]]
    # For model instances: where the main model's columns are, their attribute names, the joined models.
    start: int = 0
    end: int = 0
    init_list: tuple[str, ...] = ()
    populators: tuple = ()
    annotations: tuple[tuple[str, int], ...] = ()


class SqlOnce:
    """`SqlOnce(lambda unit: Criterion.objects.filter(outcome__unit_id=unit), "unit").objects(unit=3)`."""

    def __init__(self, queryset: Callable[..., QuerySet], *names: str) -> None:
        self.queryset = queryset
        self.names = names
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._model = None

    def _alias(self):
        if self._model is None:
            self._model = self.queryset(**dict.fromkeys(self.names, _SENTINEL)).model
        return self._model, router.db_for_read(self._model)

    def _plan(self, alias: str) -> _Plan:
        key = (alias, connections[alias].vendor)
        if key in self._plans:
            return self._plans[key]
        sentinels = {name: _SENTINEL - n for n, name in enumerate(self.names)}
        queryset = self.queryset(**sentinels)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        # A text key's field writes the sentinel as its digits.
        places = {name: [i for i, p in enumerate(params) if p in (v, str(v))] for name, v in sentinels.items()}
        assert all(places.values()), "every value must be among the query's parameters"
        select = compiler.select
        width = compiler.col_count
        model_columns: dict[str, Any] = {}
        if queryset._iterable_class is not ValuesListIterable:
            klass_info = compiler.klass_info
            fields = klass_info["select_fields"]
            model_columns = {
                "start": fields[0],
                "end": fields[-1] + 1,
                "init_list": tuple(column[0].target.attname for column in select[fields[0] : fields[-1] + 1]),
                "populators": tuple(get_related_populators(klass_info, select, alias)),
                "annotations": tuple(compiler.annotation_col_map.items()),
            }
        plan = _Plan(
            sql=sql,
            params=tuple(params),
            places=places,
            width=width,
            converters=compiler.get_converters([column[0] for column in select[:width]]),
            **model_columns,
        )
        self._plans[key] = plan
        return plan

    def _rows(self, alias: str, plan: _Plan, values: dict[str, int]) -> list[list]:
        connection = connections[alias]
        params = list(plan.params)
        for name, value in values.items():
            for i in plan.places[name]:
                params[i] = value
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            converted = []
            for row in rows:
                row = list(row)
                for position, (functions, expression) in plan.converters.items():
                    for convert in functions:
                        row[position] = convert(row[position], expression, connection)
                converted.append(row)
            return converted
        return rows

    def rows(self, **values: int) -> list[tuple]:
        """A values_list() query's rows, as tuples in the order it names its columns (the order Django selects them
        in)."""
        _, alias = self._alias()
        plan = self._plan(alias)
        rows = self._rows(alias, plan, values)
        return [tuple(row[: plan.width]) for row in rows]

    def objects(self, **values: int) -> list:
        """A model query's instances, with their select_related objects and annotations."""
        model, alias = self._alias()
        plan = self._plan(alias)
        out = []
        for row in self._rows(alias, plan, values):
            instance = model.from_db(alias, plan.init_list, row[plan.start : plan.end])
            for populator in plan.populators:
                populator.populate(row, instance)
            for name, position in plan.annotations:
                setattr(instance, name, row[position])
            out.append(instance)
        return out


class PreparedGet(Generic[M]):
    """`PreparedGet(lambda: Portfolio.objects.with_people()).get(pk)`: the object, or None when there is none."""

    def __init__(self, queryset: Callable[[], QuerySet[M]]) -> None:
        self._query = SqlOnce(lambda pk: queryset().filter(pk=pk), "pk")

    def get(self, pk: int | str) -> M | None:
        found = self._query.objects(pk=pk)
        return found[0] if found else None
