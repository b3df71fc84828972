from django.urls import path

from turnout.messaging import console

app_name = "messaging"
urlpatterns = [
    path("", console.message_list, name="list"),
    path("new/", console.compose, name="compose"),
    path("inbox/", console.inbox, name="inbox"),
    path("inbox/<uuid:public_id>/", console.thread, name="thread"),
    path("<uuid:public_id>/", console.detail, name="detail"),
    path("<uuid:public_id>/send/", console.send_now, name="send"),
    path("<uuid:public_id>/schedule/", console.schedule, name="schedule"),
    path("<uuid:public_id>/cancel/", console.cancel, name="cancel"),
    path("<uuid:public_id>/test/", console.test_send, name="test"),
]
