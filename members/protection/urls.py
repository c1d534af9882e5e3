"""Protection cases: included under the "members" namespace at /members/cases/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_open, name="case_open"),
    path("<uuid:ref>/", views.case_detail, name="case_detail"),
    path("<uuid:ref>/evidence/", views.case_evidence_add, name="case_evidence_add"),
    path("<uuid:ref>/status/", views.case_transition, name="case_transition"),
    path("<uuid:ref>/void/", views.case_void, name="case_void"),
    path("<uuid:ref>/actions/", views.case_action_add, name="case_action_add"),
    path("<uuid:ref>/assign/", views.case_assign, name="case_assign"),
    path("<uuid:ref>/clarifications/", views.case_clarification_add, name="case_clarification_add"),
    path("evidence/<uuid:ref>/", views.case_evidence, name="case_evidence"),
    path("actions/<int:pk>/done/", views.case_follow_up_done, name="case_follow_up_done"),
    path("assignments/<int:pk>/end/", views.case_unassign, name="case_unassign"),
    path(
        "clarifications/<int:pk>/consent/",
        views.case_clarification_consent,
        name="case_clarification_consent",
    ),
]
