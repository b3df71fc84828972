from django.urls import path

from turnout.texting import views

app_name = "texting"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.create, name="create"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/launch/", views.launch, name="launch"),
    path("<uuid:public_id>/pause/", views.pause, name="pause"),
    path("<uuid:public_id>/invite/", views.invite, name="invite"),
    path("<uuid:public_id>/invite/<uuid:invite_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:public_id>/reassign/", views.reassign, name="reassign"),
]
