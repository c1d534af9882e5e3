from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import MemberPasswordResetForm

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_record, name="my_record"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=MemberPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("members/", include("members.urls")),
    path("education/", include("education.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("admin/", admin.site.urls),
]

# A query parameter that cannot mean anything (members.params) is told in words, as a 400.
handler400 = "branchsite.views.bad_request"
