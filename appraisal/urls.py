from django.urls import include, path

app_name = "appraisal"
urlpatterns = [
    path("commendations/", include("appraisal.commendations.urls")),
]
