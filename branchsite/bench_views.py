"""The benchmark's reference page ("the floor"): the cheapest authenticated Django view.

It costs what every page costs before doing its own work: the middleware stack, the session
and user lookups (two queries), and a response. bench/ compares every page's requests per
second with it. Routed only when settings.BRANCHSITE_BENCH_ENDPOINTS is on (bench.settings
turns it on; production leaves it off).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
@login_required
def floor(request):
    return HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain; charset=utf-8")
