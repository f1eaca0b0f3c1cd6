from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:notification_id>/dismiss/", views.notification_dismiss, name="notification_dismiss"),
]
