"""Routes under /api/v2/. Every route takes an optional trailing slash (clients differ)."""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, re_path

from turnout.api import views

ID = r"(?P<{}>[^/]+)"
app_name = "api_v2"


def route(pattern: str, view: Callable[..., HttpResponse], name: str) -> URLPattern:
    return re_path(rf"^{pattern}/?$" if pattern else r"^$", view, name=name)


urlpatterns = [
    route("", views.entry, "entry"),
    route("openapi.json", views.openapi_json, "openapi"),
    route("docs", views.docs, "docs"),
    route("people", views.people, "people"),
    route(f"people/{ID.format('person_id')}", views.person, "person"),
    route(f"people/{ID.format('person_id')}/taggings", views.person_taggings_view, "person_taggings"),
    route(f"people/{ID.format('person_id')}/attendances", views.person_attendances, "person_attendances"),
    route(f"people/{ID.format('person_id')}/signatures", views.person_signatures, "person_signatures"),
    route(f"people/{ID.format('person_id')}/submissions", views.person_submissions, "person_submissions"),
    route(f"people/{ID.format('person_id')}/donations", views.person_donations, "person_donations"),
    route(f"people/{ID.format('person_id')}/outreaches", views.person_outreaches, "person_outreaches"),
    route("tags", views.tags, "tags"),
    route(f"tags/{ID.format('tag_id')}", views.tag, "tag"),
    route(f"tags/{ID.format('tag_id')}/taggings", views.taggings, "taggings"),
    route(f"tags/{ID.format('tag_id')}/taggings/{ID.format('tagging_id')}", views.tagging, "tagging"),
    route("lists", views.lists, "lists"),
    route(f"lists/{ID.format('list_id')}", views.person_list, "list"),
    route(f"lists/{ID.format('list_id')}/items", views.items, "items"),
    route(f"lists/{ID.format('list_id')}/items/{ID.format('item_id')}", views.item, "item"),
    route("messages", views.messages, "messages"),
    route(f"messages/{ID.format('message_id')}", views.message, "message"),
    route(f"messages/{ID.format('message_id')}/send", views.message_send, "message_send"),
    route(f"messages/{ID.format('message_id')}/schedule", views.message_schedule, "message_schedule"),
    route("events", views.events, "events"),
    route(f"events/{ID.format('event_id')}", views.event, "event"),
    route(f"events/{ID.format('event_id')}/attendances", views.attendances, "attendances"),
    route(f"events/{ID.format('event_id')}/attendances/{ID.format('attendance_id')}", views.attendance, "attendance"),
    route("event_campaigns", views.event_campaigns, "event_campaigns"),
    route(f"event_campaigns/{ID.format('campaign_id')}", views.event_campaign, "event_campaign"),
    route(f"event_campaigns/{ID.format('campaign_id')}/events", views.event_campaign_events, "event_campaign_events"),
    route("forms", views.forms, "forms"),
    route(f"forms/{ID.format('form_id')}", views.form, "form"),
    route(f"forms/{ID.format('form_id')}/submissions", views.submissions, "submissions"),
    route(f"forms/{ID.format('form_id')}/submissions/{ID.format('submission_id')}", views.submission, "submission"),
    route("petitions", views.petitions, "petitions"),
    route(f"petitions/{ID.format('petition_id')}", views.petition, "petition"),
    route(f"petitions/{ID.format('petition_id')}/signatures", views.signatures, "signatures"),
    route(f"petitions/{ID.format('petition_id')}/signatures/{ID.format('signature_id')}", views.signature,
          "signature"),
    route("networks", views.networks, "networks"),
    route(f"networks/{ID.format('network_id')}", views.network, "network"),
    route(f"networks/{ID.format('network_id')}/members", views.network_members, "network_members"),
    route("activations", views.activations, "activations"),
    route(f"activations/{ID.format('activation_id')}", views.activation, "activation"),
    route(f"activations/{ID.format('activation_id')}/send", views.activation_send, "activation_send"),
    route(f"activations/{ID.format('activation_id')}/responses", views.activation_responses, "activation_responses"),
    route("plans", views.plans, "plans"),
    route(f"plans/{ID.format('plan_id')}", views.plan, "plan"),
    route(f"plans/{ID.format('plan_id')}/trigger", views.plan_trigger, "plan_trigger"),
    route("workplaces", views.workplaces, "workplaces"),
    route(f"workplaces/{ID.format('workplace_id')}", views.workplace, "workplace"),
    route("organizing_campaigns", views.organizing_campaigns, "organizing_campaigns"),
    route(f"organizing_campaigns/{ID.format('organizing_campaign_id')}", views.organizing_campaign, "organizing_campaign"),
    route(f"organizing_campaigns/{ID.format('organizing_campaign_id')}/workers", views.organizing_campaign_workers,
          "organizing_campaign_workers"),
    route(f"organizing_workers/{ID.format('worker_id')}", views.organizing_worker, "organizing_worker"),
    route("assessments", views.assessments, "assessments"),
    route(f"assessments/{ID.format('assessment_id')}", views.assessment, "assessment"),
    route("cards", views.cards, "cards"),
    route(f"cards/{ID.format('card_id')}", views.card, "card"),
    route("metadata", views.metadata_view, "metadata"),
    route("metadata/custom_fields", views.custom_fields_view, "custom_fields"),
    *[route(name, view, name) for name, view in views.EMPTY.items()],
]
