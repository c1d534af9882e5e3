"""Rendered pages kept until the data behind them changes (issue 6: flat cost as data grows).

A page view that reads one branch's records (or the whole tree) renders through
`render_cached`: the page's blocks (title, content, scripts, …) are rendered once and kept in
the cache under a key made of everything the output depends on —

- the request: path, query string, htmx or not;
- the reader: user, language, the CSRF secret of their session (forms embed its token);
- the day (pages count "this year", "overdue", "behind pace" from the local date);
- the data: the scope generation (members, positions, organizations, accounts:
  members/permissions.py), the content version of each branch the page reads, or of the
  whole tree, and the version of everything.

Writes bump the versions: `content_changed(area, organization_ids=…, member_ids=…)` after a
write names the branches it concerns (signals in branchsite/signals.py do this for every saved
or deleted row of the record apps; services call it after bulk writes, which send no
signals). A write that cannot be tied to
one branch bumps everything. A kept page is therefore never older than the data it shows; the
timeout only bounds memory, and a page whose output changes with the clock (a session that is
"upcoming" until it ends) says until when it is valid (`CACHE_VALID_UNTIL` in its context).

A kept page still gets a fresh header (user menu, unread count, messages, CSRF token) from
base.html: only the page's own blocks are kept, compressed (a few kB each).
"""

import hashlib
import json
import zlib

from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from members.caching import quietly, read_stamps, stamp, stamp_now
from members.permissions import SCOPE_GENERATION_KEY

PAGE_TIMEOUT = 30 * 60
EVERYTHING = "branchsite:content:all"  # bumped by writes that concern no single branch
# Per area of records (the app that holds them), so that a check-in does not throw away
# appraisal pages: pages over the whole tree read TREE, a branch's pages read BRANCH.
AREAS = ("education", "appraisal", "commendations", "protection")
TREE = "branchsite:content:{area}:tree"
BRANCH = "branchsite:content:{area}:branch:{path}"
CACHED_PAGE_TEMPLATE = "_cached_page.html"
BLOCKS = ("title", "head", "body_class", "content", "scripts", "footer")
# A view's context may set this to an aware datetime after which the page must be rebuilt.
CACHE_VALID_UNTIL = "cache_valid_until"


def branch_key(area, branch_path):
    return BRANCH.format(area=area, path=branch_path)


def tree_key(area):
    return TREE.format(area=area)


def bump(area, *, branch_paths=(), everything=False):
    """Mark pages out of date: this area's pages of these branches (by path), or every page.
    Now, and again when the transaction commits (a page rebuilt in between read old rows)."""
    keys = [EVERYTHING] if everything else [tree_key(area)]
    keys += [branch_key(area, p) for p in set(branch_paths) if p]
    stamp(keys)


def everything_changed():
    """After writes no signal reported (bulk loads, rebuilt summaries): every kept page and
    every kept scope is out of date."""
    from members.permissions import scope_cache_bump

    bump(None, everything=True)
    scope_cache_bump()


def everything_changed_now():
    """everything_changed outside any transaction (no database needed): for tests and the
    benchmark."""
    stamp_now([EVERYTHING, SCOPE_GENERATION_KEY])


def branch_paths_of_organizations(org_ids):
    """The branch paths behind these organizations; None when one is above branch level
    (its change may show on every branch below it)."""
    from members.models import Organization, OrganizationKind

    paths = set()
    for kind, path in Organization.objects.filter(pk__in=set(org_ids)).values_list("kind", "path"):
        if kind == OrganizationKind.BRANCH:
            paths.add(path)
        elif kind == OrganizationKind.GROUP:
            paths.add(path[: -Organization.steplen])
        else:
            return None
    return paths


def content_changed(area, *, organization_ids=(), member_ids=()):
    """After a write to this area's records concerning these organizations and members:
    the pages of their branches (every page when one is above branch level)."""
    from members.models import Member

    org_ids = set(organization_ids)
    if member_ids:
        org_ids |= set(
            Member.objects.filter(pk__in=set(member_ids)).values_list("branch_id", flat=True)
        )
    paths = branch_paths_of_organizations(org_ids) if org_ids else None
    if paths is None:
        bump(area, everything=True)
    else:
        bump(area, branch_paths=paths)


def _versions(areas, branch_paths):
    """The version stamps the page depends on, in one round trip; None when one is missing
    (evicted or never set: it is set now, and this request neither reads nor keeps a page)."""
    keys = [SCOPE_GENERATION_KEY, EVERYTHING]
    for area in areas:
        if branch_paths is None:
            keys.append(tree_key(area))
        else:
            keys += [branch_key(area, p) for p in sorted(branch_paths)]
    return read_stamps(keys)[0]


def _page_key(request, template_name, versions):
    parts = [
        template_name,
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        str(request.user.pk),
        translation.get_language() or "",
        request.META.get("CSRF_COOKIE", ""),
        timezone.localdate().isoformat(),
        *map(str, versions),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"branchsite:page:{digest}"


def _pack(blocks):
    return zlib.compress(json.dumps(blocks).encode(), 1)


def _unpack(data):
    return json.loads(zlib.decompress(data))


def _marker(name):
    # Private-use characters: never in our templates' output, removed before it is sent.
    return f"\ue000{name}\ue001"


MARKERS = {name: _marker(name) for name in BLOCKS}


def _split_blocks(html):
    """(the page without markers, {block: its html}) from a page rendered with MARKERS; the
    blocks are None unless every block was fenced once (the template extends base.html)."""
    blocks = {}
    whole = True
    for name, mark in MARKERS.items():
        parts = html.split(mark)
        whole = whole and len(parts) == 3
        blocks[name] = parts[1] if len(parts) == 3 else ""
        html = "".join(parts)
    return html, blocks if whole else None


def _kept_blocks(request, template_name, areas, branch_paths):
    """(the key to keep this page under, its kept blocks or None); (None, None) when the
    request may not be served or kept from the cache. Raises when the cache fails."""
    # Forms in a kept page carry a token for the reader's CSRF secret: without one yet (a
    # first request), the page is built and not kept.
    if request.method != "GET" or not request.META.get("CSRF_COOKIE"):
        return None, None
    versions = _versions(areas, branch_paths)
    if versions is None:
        return None, None
    key = _page_key(request, template_name, versions)
    kept = cache.get(key)
    return key, (_unpack(kept) if kept is not None else None)


def render_cached(request, template_name, build_context, *, areas, branch_paths=None, status=None):
    """render(request, template_name, build_context()), kept until its data changes.

    areas: the AREAS whose records the page shows (members and organizations always count);
    branch_paths: the branches it shows them for, or None for a page over the whole tree.
    build_context is called only when the page is not kept.
    """
    kept_key, kept = quietly(
        lambda: _kept_blocks(request, template_name, areas, branch_paths), (None, None)
    )
    if kept is not None:
        blocks = {name: mark_safe(html) for name, html in kept.items()}  # noqa: S308 - rendered by us
        return render(request, CACHED_PAGE_TEMPLATE, {"page_blocks": blocks}, status=status)
    context = build_context()
    if kept_key is None:
        return render(request, template_name, context, status=status)
    # One render, as usual, with each block's output fenced by markers: the page is sent
    # without them, and what they fence is kept.
    response = render(
        request, template_name, {**context, "page_cache_markers": MARKERS}, status=status
    )
    html, blocks = _split_blocks(response.content.decode(response.charset))
    response.content = html
    if blocks is None:  # not a page of base.html (a partial): nothing to keep
        return response
    timeout = PAGE_TIMEOUT
    valid_until = context.get(CACHE_VALID_UNTIL)
    if valid_until is not None:
        timeout = min(timeout, int((valid_until - timezone.now()).total_seconds()))
    if timeout > 0:
        quietly(lambda: cache.set(kept_key, _pack(blocks), timeout))
    return response
