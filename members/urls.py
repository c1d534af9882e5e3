from django.urls import include, path

from . import views
from .channels import views as channel_views

app_name = "members"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/<int:pk>/open/", views.inbox_open, name="inbox_open"),
    path("roster/", views.roster, name="roster"),
    path("roster/export/", views.roster_export, name="roster_export"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path(
        "roster/import/template.xlsx",
        views.roster_import_template,
        name="roster_import_template",
    ),
    path("add/", views.member_add, name="member_add"),
    path("<int:pk>/", views.member_detail, name="member_detail"),
    path("<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("tree/", views.tree, name="tree"),
    path("tree/<int:pk>/", views.tree_children, name="tree_children"),
    path("cases/", include("members.protection.urls")),
    path("branches/<int:pk>/channels/", channel_views.channel_settings, name="channel_settings"),
    path("branches/<int:pk>/deliveries/", channel_views.delivery_log, name="delivery_log"),
]
