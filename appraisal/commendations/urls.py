"""Commendations: included under the "appraisal" namespace at /appraisal/commendations/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.commendation_list, name="commendation_list"),
    path("export.xlsx", views.commendation_export, name="commendation_export"),
    path("propose/", views.commendation_propose, name="commendation_propose"),
    path("<int:pk>/", views.commendation_detail, name="commendation_detail"),
    path("<int:pk>/approve/", views.commendation_approve, name="commendation_approve"),
    path("<int:pk>/reject/", views.commendation_reject, name="commendation_reject"),
    path("<int:pk>/publish/", views.commendation_publish, name="commendation_publish"),
    path("<int:pk>/void/", views.commendation_void, name="commendation_void"),
    path("<int:pk>/documents/", views.commendation_document_add, name="commendation_document_add"),
    path("documents/<int:pk>/", views.commendation_document, name="commendation_document"),
    path("organizations/<int:pk>/", views.commendation_org, name="commendation_org"),
]
