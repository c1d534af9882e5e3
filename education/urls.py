from django.urls import path

from . import views

app_name = "education"
urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/log/", views.session_log, name="session_log_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/expected/", views.session_expected, name="session_expected"),
    path("sessions/<int:pk>/log/", views.session_log, name="session_log"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/mark/", views.session_mark, name="session_mark"),
    path("sessions/<int:pk>/close/", views.session_close, name="session_close"),
    path("sessions/<int:pk>/event.ics", views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/materials/", views.material_add, name="material_add"),
    path("sessions/<int:pk>/checkin-screen/", views.checkin_screen, name="checkin_screen"),
    path("sessions/<int:pk>/checkin-qr/", views.checkin_qr, name="checkin_qr"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("materials/<int:pk>/delete/", views.material_delete, name="material_delete"),
    path("checkin/<int:pk>/", views.checkin_confirm, name="checkin_confirm"),
    path("checkin/<int:pk>/<str:code>/", views.checkin_scan, name="checkin_scan"),
    path("makeups/", views.makeup_list, name="makeup_list"),
    path("makeups/new/", views.makeup_create, name="makeup_create"),
    path("makeups/review/", views.makeup_review_list, name="makeup_review_list"),
    path("makeups/<int:pk>/review/", views.makeup_review, name="makeup_review"),
    path("makeups/<int:pk>/evidence/", views.makeup_evidence, name="makeup_evidence"),
    path("hours/", views.hours_branch, name="hours_branch"),
    path("hours/export.xlsx", views.hours_branch_export, name="hours_branch_export"),
    path("hours/rollup/", views.hours_rollup, name="hours_rollup"),
    path("hours/rollup/export.xlsx", views.hours_rollup_export, name="hours_rollup_export"),
    path("hours/members/<int:pk>/", views.hours_member, name="hours_member"),
    path(
        "hours/members/<int:pk>/export.xlsx", views.hours_member_export, name="hours_member_export"
    ),
    path("compliance/", views.compliance_branch, name="compliance"),
    path("compliance/rollup/", views.compliance_rollup, name="compliance_rollup"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("settings/<int:pk>/", views.org_settings, name="settings"),
]
