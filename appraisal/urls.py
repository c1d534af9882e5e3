from django.urls import include, path

from .views import cycles, grading, meetings, papers, participation, results, voting

app_name = "appraisal"
urlpatterns = [
    path("", cycles.cycle_list, name="cycle_list"),
    path("cycles/open/", cycles.cycle_open, name="cycle_open"),
    path("cycles/<int:pk>/", cycles.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/edit/", cycles.cycle_edit, name="cycle_edit"),
    path("cycles/<int:pk>/move/", cycles.cycle_move, name="cycle_move"),
    path("cycles/<int:pk>/void/", cycles.cycle_void, name="cycle_void"),
    path(
        "cycles/<int:pk>/self-assessment/",
        participation.my_self_assessment,
        name="my_self_assessment",
    ),
    path(
        "cycles/<int:pk>/self-assessments/",
        participation.self_assessment_list,
        name="self_assessment_list",
    ),
    path(
        "self-assessments/<int:pk>/",
        participation.self_assessment_detail,
        name="self_assessment_detail",
    ),
    path("cycles/<int:pk>/talks/", participation.talk_list, name="talk_list"),
    path("cycles/<int:pk>/peer-reviews/", participation.peer_reviews, name="peer_reviews"),
    path("cycles/<int:pk>/ballot/", voting.ballot, name="ballot"),
    path("cycles/<int:pk>/ballot/paper/", voting.paper_ballots, name="paper_ballots"),
    path("cycles/<int:pk>/tally/", voting.tally, name="tally"),
    path("cycles/<int:pk>/rating/", grading.rating, name="rating"),
    path("cycles/<int:pk>/rating/decide/", grading.rating_decide, name="rating_decide"),
    path("cycles/<int:pk>/publicity/", results.publicity, name="publicity"),
    path("objections/<int:pk>/answer/", results.objection_answer, name="objection_answer"),
    path("cycles/<int:pk>/prepare/", papers.prepare, name="prepare"),
    path("cycles/<int:pk>/packet/", papers.packet, name="packet"),
    path("cycles/<int:pk>/results.xlsx", papers.export_results, name="export_results"),
    path("records/<int:pk>/", results.record_detail, name="record_detail"),
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/void/", meetings.meeting_void, name="meeting_void"),
    path("rectifications/<int:pk>/done/", meetings.rectification_done, name="rectification_done"),
    path("commendations/", include("appraisal.commendations.urls")),
]
