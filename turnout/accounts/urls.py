from django.contrib.auth import views as auth_views
from django.urls import path

from turnout.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", views.verify, name="verify"),
    path("accounts/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("accounts/tokens/", views.create_token, name="create_token"),
    path("accounts/tokens/<uuid:public_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"), name="password_reset_complete"),
    path("accounts/invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<slug:slug>/", views.group_detail, name="group"),
    path("groups/<slug:slug>/logo.png", views.group_logo, name="group_logo"),
    path("groups/<slug:slug>/brand.css", views.group_style, name="group_style"),
    path("groups/<slug:slug>/roles/<int:role_id>/", views.change_role, name="change_role"),
    path("audit/", views.audit_log, name="audit_log"),
]
