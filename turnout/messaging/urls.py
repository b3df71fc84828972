from django.urls import path

from turnout.messaging import console

app_name = "messaging"
urlpatterns = [
    path("", console.message_list, name="list"),
    path("new/", console.compose, name="compose"),
    path("inbox/", console.inbox, name="inbox"),
    path("opt-outs/", console.opt_out_lists, name="opt_outs"),
    path("opt-outs/download.csv", console.opt_out_download, name="opt_outs_download"),
    path("opt-outs/<uuid:public_id>/undo/", console.opt_out_list_undo, name="opt_outs_undo"),
    path("inbox/<uuid:public_id>/", console.thread, name="thread"),
    path("<uuid:public_id>/", console.detail, name="detail"),
    path("<uuid:public_id>/send/", console.send_now, name="send"),
    path("<uuid:public_id>/schedule/", console.schedule, name="schedule"),
    path("<uuid:public_id>/cancel/", console.cancel, name="cancel"),
    path("<uuid:public_id>/test/", console.test_send, name="test"),
]
