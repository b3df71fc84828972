from django.urls import path

from turnout.messaging import views

app_name = "hooks"
urlpatterns = [
    path("sms/http/inbound", views.http_inbound, name="http_inbound"),
    path("sms/http/status", views.http_status, name="http_status"),
    path("sms/twilio/inbound", views.twilio_inbound, name="twilio_inbound"),
    path("sms/twilio/status", views.twilio_status, name="twilio_status"),
]
