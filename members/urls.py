from django.urls import include, path

from . import views

app_name = "members"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("roster/", views.roster, name="roster"),
    path("tree/", views.tree, name="tree"),
    path("cases/", include("members.protection.urls")),
]
