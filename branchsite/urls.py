from django.contrib import admin
from django.urls import include, path

from members.channels import views as channel_views

from . import second_factor_views, views

# The admin's own login page counts and refuses like ours.
admin.site.login = views.login_throttled(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("home/work/", views.home_work, name="home_work"),
    path("me/", views.my_record, name="my_record"),
    path("me/channels/", channel_views.my_channels, name="my_channels"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on their own; answer it from the static file.
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/two-step/",
        second_factor_views.second_factor_setup,
        name="second_factor_setup",
    ),
    path(
        "accounts/two-step/verify/",
        second_factor_views.second_factor_verify,
        name="second_factor_verify",
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
