from django.urls import path

from turnout.actions import views

app_name = "actions"
urlpatterns = [
    path("forms/new/", views.form_new, name="form_new"),
    path("forms/<uuid:public_id>/", views.form_detail, name="form"),
    path("forms/<uuid:public_id>/export.csv", views.form_export, name="form_export"),
    path("petitions/new/", views.petition_new, name="petition_new"),
    path("petitions/<uuid:public_id>/", views.petition_detail, name="petition"),
    path("resolutions/new/", views.resolution_new, name="resolution_new"),
    path("resolutions/<uuid:public_id>/", views.resolution_detail, name="resolution"),
    path("endorsements/<uuid:public_id>/review/", views.endorsement_review, name="endorsement_review"),
    path("endorsements/<uuid:public_id>/document", views.endorsement_document, name="endorsement_document"),
    path("working-groups/new/", views.working_group_new, name="working_group_new"),
    path("working-groups/<uuid:public_id>/", views.working_group_detail, name="working_group"),
]
