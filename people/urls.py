from django.contrib.auth import views as auth_views
from django.urls import path

from people.forms import PasswordResetForm
from people.views import account, auth, centre

urlpatterns = [
    path("accounts/login/", auth.sign_in, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("role/", auth.role_switch, name="role_switch"),
    path("account/notifications/", account.notification_settings, name="notification_settings"),
    path("centre/people/", centre.people_list, name="centre_people"),
    path("centre/people/add/", centre.person_add, name="centre_person_add"),
    path("centre/people/<int:user_id>/", centre.person_detail, name="centre_person"),
    path("centre/people/<int:user_id>/deactivate/", centre.person_deactivate, name="centre_person_deactivate"),
    path("centre/people/<int:user_id>/reactivate/", centre.person_reactivate, name="centre_person_reactivate"),
    path(
        "centre/roles/<int:membership_id>/qualification/",
        centre.membership_qualification,
        name="centre_membership_qualification",
    ),
]
