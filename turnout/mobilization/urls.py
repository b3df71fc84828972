from django.urls import path

from turnout.mobilization import views

app_name = "mobilization"
urlpatterns = [
    path("", views.home, name="home"),
    path("captain/", views.captain, name="captain"),
    path("networks/new/", views.network_new, name="network_new"),
    path("networks/<uuid:public_id>/", views.network_detail, name="network"),
    path("networks/<uuid:public_id>/add/", views.network_add, name="network_add"),
    path("networks/<uuid:public_id>/captain/", views.network_captain, name="network_captain"),
    path("networks/<uuid:public_id>/activate/", views.activation_new, name="activation_new"),
    path("activations/<uuid:public_id>/", views.activation_detail, name="activation"),
    path("activations/<uuid:public_id>/edit/", views.activation_edit, name="activation_edit"),
    path("activations/<uuid:public_id>/send/", views.activation_send, name="activation_send"),
    path("activations/<uuid:public_id>/update/", views.activation_update, name="activation_update"),
    path("pledges/new/", views.pledge_new, name="pledge_new"),
    path("pledges/<uuid:public_id>/", views.pledge_detail, name="pledge"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<uuid:public_id>/", views.plan_detail, name="plan"),
    path("plans/<uuid:public_id>/trigger/", views.plan_trigger, name="plan_trigger"),
    path("plans/<uuid:public_id>/drill/", views.plan_drill, name="plan_drill"),
]
