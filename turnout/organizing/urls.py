from django.urls import path

from turnout.organizing import views

app_name = "organizing"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("workplaces/", views.workplaces, name="workplaces"),
    path("workplaces/<uuid:public_id>/", views.workplace_detail, name="workplace"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<uuid:public_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<uuid:public_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:public_id>/review/", views.campaign_review, name="review"),
    path("campaigns/<uuid:public_id>/lock/", views.campaign_lock, name="campaign_lock"),
    path("campaigns/<uuid:public_id>/workers/", views.campaign_workers, name="campaign_workers"),
    path("units/<uuid:public_id>/", views.unit_detail, name="unit"),
    path("units/<uuid:public_id>/threshold/", views.unit_threshold, name="unit_threshold"),
    path("units/<uuid:public_id>/import/", views.unit_import, name="unit_import"),
    path("units/<uuid:public_id>/roster.csv", views.unit_export, name="unit_export"),
    path("workers/<uuid:public_id>/", views.worker_detail, name="worker"),
    path("cards/<uuid:public_id>/card.pdf", views.card_download, {"what": "pdf"}, name="card_pdf"),
    path("cards/<uuid:public_id>/scan", views.card_download, {"what": "scan"}, name="card_scan"),
]
