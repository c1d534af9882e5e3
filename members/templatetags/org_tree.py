"""Rows of organization lists, written in Python for speed: {% tree_rows children %} (the
organization tree's nodes) and {% child_count_rows organizations %} (the table of the
organizations below an organizer on home).

An organizer's tree shows up to 20 children of each organization it starts from and a page
of a node's children up to 50, and as template loops a node cost some 150 µs (an include, two
reverses, a lazy kind label, three translations with a name or a count, intcomma). Here the
kind labels, the translations' texts, the URLs and the number format are made once per list,
and each row is one html_rows row. Escaping is format_html's and blocktranslate's, as the
templates' was.
"""

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from members.models import OrganizationKind
from members.row_html import (
    blocktranslated,
    html_format,
    html_rows,
    intcomma_per_row,
    translated_labels,
    url_per_row,
)

register = template.Library()

# A node with children has a button that loads them below it (htmx), and their place.
_TOGGLE = """
    <button type="button" class="btn btn-sm btn-light border px-0 py-0 tree-toggle flex-shrink-0"
            hx-get="{children_url}" hx-target="#children-{pk}" hx-trigger="click once"
            data-bs-toggle="collapse" data-bs-target="#children-{pk}" aria-expanded="false" aria-controls="children-{pk}">
      <span class="tree-caret" aria-hidden="true">▸</span><span class="visually-hidden">{show_below}</span>
    </button>
    """  # noqa: E501
_CHILDREN = (
    '<div class="collapse ms-4 mt-2" id="children-{pk}">'
    '<div class="small text-muted">{loading}</div></div>'
)
_NO_TOGGLE = mark_safe('<span class="tree-toggle flex-shrink-0" aria-hidden="true"></span>')

_NODE = """<li class="list-group-item py-2">
  <div class="d-flex align-items-center gap-2">
    {toggle}
    <div class="flex-grow-1 min-w-0">
      <a class="fw-semibold text-decoration-none text-break" href="{children_url}">{name}</a>
      <div class="small text-muted">{kind} · {members}</div>
    </div>
    <a class="btn btn-sm btn-outline-secondary flex-shrink-0" href="{roster_url}?{scope}={pk}" aria-label="{roster_of}">{roster}</a>
  </div>
  {children}
</li>

"""  # noqa: E501


@register.simple_tag
def tree_rows(nodes):
    """The <li> of each organization in a tree list (with n_members, as
    roster_selectors.tree_children and organizer_overview give them), each followed by a
    blank line as the template loop wrote them."""
    kinds = translated_labels(OrganizationKind)
    intcomma = intcomma_per_row()
    children_url = url_per_row("members:tree_children")
    roster_url = reverse("members:roster")
    roster, loading = gettext("Roster"), gettext("Loading…")
    show_below = gettext("Show the organizations below %(name)s")
    roster_of = gettext("Roster of %(name)s")

    def row(node):
        pk, name, n = node.pk, node.name, node.n_members
        url = children_url(pk)
        if node.numchild:
            below = blocktranslated(show_below, name=name)
            toggle = html_format(_TOGGLE, children_url=url, pk=pk, show_below=below)
            children = html_format(_CHILDREN, pk=pk, loading=loading)
        else:
            toggle, children = _NO_TOGGLE, ""
        return {
            "toggle": toggle,
            "children_url": url,
            "name": name,
            "kind": kinds.get(node.kind, node.kind),
            # as blocktranslate with total=n|intcomma count n=n
            "members": blocktranslated(
                ngettext("%(total)s member", "%(total)s members", n), total=intcomma(n)
            ),
            "roster_url": roster_url,
            "scope": "branch" if node.is_branch else "org",
            "pk": pk,
            "roster_of": blocktranslated(roster_of, name=name),
            "roster": roster,
            "children": children,
        }

    return html_rows(_NODE, map(row, nodes))


_COUNT_ROW = (
    '<tr><td><a href="{roster_url}?org={pk}">{name}</a></td><td>{kind}</td>'
    '<td class="text-end">{members}</td></tr>'
)


@register.simple_tag
def child_count_rows(organizations):
    """The <tr> of each organization (with n_members) in the table of the organizations below
    an organizer: name (to its roster), kind, member count."""
    kinds = translated_labels(OrganizationKind)
    intcomma = intcomma_per_row()
    roster_url = reverse("members:roster")
    return html_rows(
        _COUNT_ROW,
        (
            {
                "roster_url": roster_url,
                "pk": c.pk,
                "name": c.name,
                "kind": kinds.get(c.kind, c.kind),
                "members": intcomma(c.n_members),
            }
            for c in organizations
        ),
    )
