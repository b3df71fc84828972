from django.urls import path

from turnout.events import console

app_name = "events"
urlpatterns = [
    path("", console.event_list, name="list"),
    path("new/", console.event_new, name="new"),
    path("campaigns/new/", console.campaign_new, name="campaign_new"),
    path("campaigns/<uuid:public_id>/", console.campaign_detail, name="campaign"),
    path("<uuid:public_id>/", console.event_detail, name="detail"),
    path("<uuid:public_id>/edit/", console.event_edit, name="edit"),
    path("<uuid:public_id>/cancel/", console.event_cancel, name="cancel"),
    path("<uuid:public_id>/rsvps/<uuid:rsvp_id>/seat/", console.give_seat, name="give_seat"),
]
