"""The site's URLs plus the floor view, for bench.settings."""

from django.urls import path

from branchsite import bench_views
from branchsite.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/floor/", bench_views.floor, name="bench_floor"),
    *site_urlpatterns,
]
