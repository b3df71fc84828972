from django.urls import include, path
from django.views.i18n import set_language

from turnout.actions import public as actions_public
from turnout.core import views as core_views
from turnout.events import host as events_host
from turnout.events import public as events_public
from turnout.hubs import public as hubs_public
from turnout.messaging import hooks
from turnout.messaging import views as messaging_views
from turnout.mobilization import public as mobilization_public
from turnout.organizing import public as organizing_public
from turnout.sharing import public as sharing_public
from turnout.site import demo_phone
from turnout.site import views as site_views
from turnout.texting import public as texting_public

site_patterns = [
    path("", site_views.dashboard, name="dashboard"),
    # The Actions page lists what several apps publish (actions, mobilization, hubs).
    path("actions/", site_views.actions, name="actions"),
    # Only in the demo and in development (settings.DEMO_PHONE); a 404 elsewhere.
    path("demo/phone/", demo_phone.phone, name="demo_phone"),
]

urlpatterns = [
    path("", include((site_patterns, "site"))),
    path("health", core_views.health, name="health"),
    # Providers' delivery reports and replies: hundreds a second after a mass text.
    path("hooks/", include("turnout.messaging.hook_urls")),
    # Public pages, no account needed: first, as a crowd sends them hundreds of requests a second.
    path("e/<uuid:public_id>/", events_public.event_page, name="public_event"),
    path("e/<uuid:public_id>/embed/", sharing_public.embeddable(events_public.event_page), name="embed_event"),
    path("e/<uuid:public_id>/calendar.ics", events_public.event_ics, name="public_event_ics"),
    path("r/<str:key>/", events_public.rsvp_page, name="public_rsvp"),
    path("r/<str:key>/cancel/", events_public.cancel_rsvp, name="public_rsvp_cancel"),
    path("r/<str:key>/calendar.ics", events_public.rsvp_ics, name="public_rsvp_ics"),
    path("find/", events_public.find, name="find_events"),
    path("c/<uuid:public_id>/", events_public.campaign_page, name="public_campaign"),
    path("n/<uuid:public_id>/", mobilization_public.join, name="public_network"),
    path("p/<uuid:public_id>/", mobilization_public.pledge_page, name="public_pledge"),
    path("p/<uuid:public_id>/embed/", sharing_public.embeddable(mobilization_public.pledge_page), name="embed_pledge"),
    path("f/<uuid:public_id>/", actions_public.form_page, name="public_form"),
    path("f/<uuid:public_id>/embed/", sharing_public.embeddable(actions_public.form_page), name="embed_form"),
    path("s/<uuid:public_id>/", actions_public.petition_page, name="public_petition"),
    path("s/<uuid:public_id>/embed/", sharing_public.embeddable(actions_public.petition_page),
         name="embed_petition"),
    path("w/<uuid:public_id>/", actions_public.working_group_page, name="public_working_group"),
    path("w/<uuid:public_id>/embed/", sharing_public.embeddable(actions_public.working_group_page),
         name="embed_working_group"),
    path("res/<uuid:public_id>/", actions_public.resolution_page, name="public_resolution"),
    path("res/<uuid:public_id>/document", actions_public.resolution_document, name="public_resolution_document"),
    path("endorsements/<uuid:public_id>/document", actions_public.endorsement_document,
         name="public_endorsement_document"),
    path("hub/<slug:slug>/", hubs_public.page, name="public_hub"),
    path("hub/<slug:slug>/files/<int:item_id>/", hubs_public.file, name="public_hub_file"),
    path("organize/<slug:slug>/", organizing_public.intake, name="public_intake"),
    path("card/<uuid:public_id>/", organizing_public.card, name="public_card"),
    path("card/copy/<str:token>/", organizing_public.card_copy, name="public_card_copy"),
    path("card/copy/<str:token>/card.pdf", organizing_public.card_copy, {"pdf": True}, name="public_card_copy_pdf"),
    path("qr.svg", sharing_public.qr_svg, name="qr_svg"),
    path("qr/", sharing_public.qr_print, name="qr_print"),
    # Host tools: the secret in the link is the host's credential.
    path("host/<str:key>/", events_host.roster, name="event_host"),
    path("host/<str:key>/sync/", events_host.sync, name="event_host_sync"),
    path("host/<str:key>/sw.js", events_host.service_worker, name="event_host_sw"),
    path("host/<str:key>/text/", events_host.text_attendees, name="event_host_text"),
    # Volunteer texters: the secret in the link is the texter's credential (or the invitation's).
    path("t/join/<str:key>/", texting_public.join, name="texter_join"),
    path("t/<str:key>/", texting_public.inbox, name="texter_inbox"),
    path("t/<str:key>/changed/", texting_public.replies_changed, name="texter_changed"),
    path("t/<str:key>/take/", texting_public.take, name="texter_take"),
    path("t/<str:key>/c/<int:conversation_id>/send/", texting_public.send, name="texter_send"),
    path("t/<str:key>/c/<int:conversation_id>/reply/", texting_public.reply, name="texter_reply"),
    path("t/<str:key>/c/<int:conversation_id>/opt-out/", texting_public.opt_out, name="texter_opt_out"),
    path("t/<str:key>/c/<int:conversation_id>/result/", texting_public.result, name="texter_result"),
    path("t/<str:key>/c/<int:conversation_id>/answer/", texting_public.answer, name="texter_answer"),
    path("t/<str:key>/c/<int:conversation_id>/flag/", texting_public.flag, name="texter_flag"),
    path("t/<str:key>/c/<int:conversation_id>/call/", texting_public.call_result, name="caller_result"),
    path("t/<str:key>/c/<int:conversation_id>/give-back/", texting_public.give_back, name="caller_give_back"),
    path("t/<str:key>/c/<int:conversation_id>/bridge/", texting_public.bridge, name="caller_bridge"),
    path("t/<str:key>/turfs/<str:turf_id>.json", texting_public.turf, name="canvass_turf"),
    path("t/<str:key>/sync/", texting_public.sync, name="canvass_sync"),
    path("t/<str:key>/sw.js", texting_public.service_worker, name="canvass_sw"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("turnout.accounts.urls")),
    path("people/", include("turnout.people.urls")),
    path("api/v2/", include("turnout.api.urls")),
    path("api/", include("turnout.api.console_urls")),
    # Email providers' reports, refused unless they carry TURNOUT_ANYMAIL_WEBHOOK_SECRET.
    path("hooks/email/", include((hooks.email_report_patterns(), "anymail"))),
    path("messages/", include("turnout.messaging.urls")),
    path("u/<str:token>/", messaging_views.unsubscribe, name="unsubscribe"),
    path("events/", include("turnout.events.urls")),
    path("mobilize/", include("turnout.mobilization.urls")),
    path("actions/hubs/", include("turnout.hubs.urls")),
    path("actions/", include("turnout.actions.urls")),
    path("organizing/", include("turnout.organizing.urls")),
    path("texting/", include("turnout.texting.urls")),
]
