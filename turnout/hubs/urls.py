from django.urls import path

from turnout.hubs import views

app_name = "hubs"
urlpatterns = [
    path("new/", views.new, name="hub_new"),
    path("<uuid:public_id>/", views.detail, name="hub"),
]
