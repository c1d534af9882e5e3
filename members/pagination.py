"""A paginator whose count is bounded, for lists that grow with the organization.

Django's Paginator counts every matching row on every page view (and the pagination bar shows
"Page n of N"). `BoundedPaginator` counts at most `lookahead` pages past the one asked for
(`SELECT COUNT(*) FROM (... LIMIT k)`), so a page costs the same with 300 rows or 300 000;
when there are more, the bar says "Page n of N+" and the next pages stay reachable one window
at a time. The bar links only the previous and the next page, so a short look ahead (four
pages) is all it needs: each page further was as many more rows read on every view. Used by
the protection-case list and the commendation list (appraisal imports it: members must not
import appraisal).
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .params import MAX_PAGE


class BoundedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, lookahead=4, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.lookahead = lookahead
        self.asked = 1
        self.capped = False

    def get_page(self, number):
        self._ask(number)
        return super().get_page(number)

    def _ask(self, number):
        try:
            self.asked = max(1, int(number))
        except (TypeError, ValueError, OverflowError):
            self.asked = 1
        # A page past any list's end must not become a LIMIT no database can take.
        self.asked = min(self.asked, MAX_PAGE)

    def get_page_of_ids(self, number):
        """get_page of the ids of the queryset (the page's object_list: its ids, in order),
        counted and cut from one query: the ids of the rows the bounded count would count
        (at most the limit + 1), whose number is that count. For a list whose rows are then
        read by id: a count and a slice of ids were two queries, each planned and compiled.
        The list may also be a function of n giving the first n ids."""
        self._ask(number)
        limit = (self.asked + self.lookahead) * self.per_page
        source = self.object_list
        if callable(source):
            ids = source(limit + 1)
        else:
            ids = source.values_list("pk", flat=True)[: limit + 1]
        self.object_list = list(ids)
        return self.get_page(number)

    @cached_property
    def count(self):
        limit = (self.asked + self.lookahead) * self.per_page
        object_list = self.object_list
        if isinstance(object_list, list | tuple):
            n = len(object_list)
        else:
            n = object_list[: limit + 1].count()
        self.capped = n > limit
        return min(n, limit)


class NextPage:
    """One page of a list read with a single query (per_page + 1 rows: whether a next page
    exists, and no count): for child lists on organizer pages, whose length grows with the
    tree. Renders with templates/_pagination_next.html ("Previous · Page n · Next").
    `queryset` may also be a function of (start, stop) returning those rows (a compiled
    queryset's, which cannot be sliced)."""

    def __init__(self, queryset, number, per_page):
        try:
            self.number = max(1, int(number))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * per_page
        stop = start + per_page + 1
        rows = list(queryset(start, stop) if callable(queryset) else queryset[start:stop])
        self._more = len(rows) > per_page
        self.object_list = rows[:per_page]

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_next(self):
        return self._more

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self.has_next() or self.has_previous()

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1
