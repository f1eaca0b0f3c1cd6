from django.urls import path

from units import views

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("<slug:slug>/", views.unit_detail, name="unit_detail"),
]
