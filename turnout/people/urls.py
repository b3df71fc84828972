from django.urls import path

from turnout.people import views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("new/", views.person_new, name="new"),
    path("export.csv", views.export_csv, name="export"),
    path("lists/save/", views.save_list, name="save_list"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/columns/", views.import_columns, name="import_columns"),
    path("imports/<uuid:public_id>/errors.csv", views.import_errors, name="import_errors"),
    path("<uuid:public_id>/", views.person_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.person_edit, name="edit"),
    path("<uuid:public_id>/contact/<str:kind>/", views.person_contact, name="contact"),
    path("<uuid:public_id>/consent/", views.person_consent, name="consent"),
    path("<uuid:public_id>/tags/", views.person_tags, name="tags"),
    path("<uuid:public_id>/membership/", views.person_membership, name="membership"),
    path("<uuid:public_id>/merge/", views.person_merge, name="merge"),
    path("<uuid:public_id>/erase/", views.person_erase, name="erase"),
]
