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
    path("<uuid:public_id>/canned/", views.add_canned, name="add_canned"),
    path("<uuid:public_id>/questions/", views.add_question, name="add_question"),
    path("<uuid:public_id>/results/", views.add_result_code, name="add_result_code"),
    path("<uuid:public_id>/export.csv", views.export, name="export"),
    path("<uuid:public_id>/c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("<uuid:public_id>/texters/<uuid:texter_id>/", views.texter_page, name="texter"),
    path("<uuid:public_id>/texters/<uuid:texter_id>/remove/", views.remove_texter, name="remove_texter"),
    path("<uuid:public_id>/finish/", views.finish, name="finish"),
    path("<uuid:public_id>/turfs/cut/", views.cut_turfs, name="cut_turfs"),
    path("<uuid:public_id>/turfs/draw/", views.draw_turf, name="draw_turf"),
    path("<uuid:public_id>/turfs/<uuid:turf_id>/assign/", views.assign_turf, name="assign_turf"),
    path("<uuid:public_id>/turfs/<uuid:turf_id>/dissolve/", views.dissolve_turf, name="dissolve_turf"),
    path("<uuid:public_id>/turfs/flagged/", views.apply_flagged, name="apply_flagged"),
]
