from django.urls import include, path

from . import views

app_name = "appraisal"
urlpatterns = [
    path("", views.cycle_list, name="cycle_list"),
    path("cycles/open/", views.cycle_open, name="cycle_open"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path("cycles/<int:pk>/move/", views.cycle_move, name="cycle_move"),
    path("cycles/<int:pk>/self-assessment/", views.my_self_assessment, name="my_self_assessment"),
    path(
        "cycles/<int:pk>/self-assessments/",
        views.self_assessment_list,
        name="self_assessment_list",
    ),
    path(
        "self-assessments/<int:pk>/",
        views.self_assessment_detail,
        name="self_assessment_detail",
    ),
    path("cycles/<int:pk>/talks/", views.talk_list, name="talk_list"),
    path("cycles/<int:pk>/peer-reviews/", views.peer_reviews, name="peer_reviews"),
    path("cycles/<int:pk>/ballot/", views.ballot, name="ballot"),
    path("cycles/<int:pk>/ballot/paper/", views.paper_ballots, name="paper_ballots"),
    path("cycles/<int:pk>/tally/", views.tally, name="tally"),
    path("cycles/<int:pk>/rating/", views.rating, name="rating"),
    path("cycles/<int:pk>/rating/decide/", views.rating_decide, name="rating_decide"),
    path("cycles/<int:pk>/publicity/", views.publicity, name="publicity"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    path("cycles/<int:pk>/prepare/", views.prepare, name="prepare"),
    path("cycles/<int:pk>/packet/", views.packet, name="packet"),
    path("cycles/<int:pk>/results.xlsx", views.export_results, name="export_results"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("rectifications/<int:pk>/done/", views.rectification_done, name="rectification_done"),
    path("commendations/", include("appraisal.commendations.urls")),
]
