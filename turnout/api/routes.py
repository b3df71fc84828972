"""The route table of /api/v2/: each path once, with its handlers and what the OpenAPI document
says of each operation. Both the URL patterns (urls.py) and the document's `paths` are built from
it, so a route cannot be served undocumented, nor documented and not served."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, re_path

from turnout.api import actions, events, messages, mobilization, openapi, organizing, texting, views
from turnout.api.hal import Handler, Operation, empty_collection, endpoint
from turnout.api.openapi import act, read, remove, write

# What each path parameter names, for its description.
RECORDS = {
    "person_id": "person", "tag_id": "tag", "tagging_id": "tagging", "list_id": "list", "item_id": "item",
    "message_id": "message", "event_id": "event", "attendance_id": "attendance", "campaign_id": "event campaign",
    "form_id": "form", "submission_id": "submission", "petition_id": "petition", "signature_id": "signature",
    "network_id": "network", "activation_id": "activation", "plan_id": "plan", "workplace_id": "workplace",
    "organizing_campaign_id": "organizing campaign", "worker_id": "worker", "unit_id": "unit",
    "assessment_id": "assessment", "card_id": "card", "request_id": "organizing request",
    "texting_campaign_id": "texting campaign", "conversation_id": "texting conversation",
}
PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """One path: its handlers by method, each with its OpenAPI operation (see openapi.read, write…)."""

    path: str  # as the document writes it: "/people/{person_id}"
    name: str
    operations: dict[str, tuple[Handler, dict[str, Any]]] = field(default_factory=dict)

    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.path)

    def regex(self) -> str:
        """The URL regex: each parameter one path segment; a trailing slash or not (clients differ)."""
        pattern = PARAMETER.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", self.path.strip("/"))
        return rf"^{pattern}/?$" if pattern else r"^$"

    def url(self) -> URLPattern:
        view = endpoint({method: Operation(handler, openapi.body_schema(doc))
                         for method, (handler, doc) in self.operations.items()})
        return re_path(self.regex(), view, name=self.name)

    def document(self) -> dict[str, Any]:
        """The path's operations, each with the path's parameters and (when it names a record) a 404."""
        parameters = [openapi.path_parameter(name, RECORDS[name]) for name in self.parameters()]
        out = {}
        for method, (_handler, doc) in self.operations.items():
            operation = {**doc, "parameters": parameters + doc["parameters"]}
            if parameters:
                operation["responses"] = {**doc["responses"], **openapi.errors("404")}
            out[method] = operation
        return out


def route(path: str, name: str, **operations: tuple[Handler, dict[str, Any]]) -> Route:
    return Route(path=path, name=name, operations=operations)


def _routes() -> list[Route]:
    return [
        route("/", "entry", get=(views.entry_point, read("Entry point: links to every collection", "EntryPoint"))),
        # People, tags and lists.
        route("/people", "people",
              get=(views.people_list, read("People the token can see", "PeoplePage", paged=True)),
              post=(views.person_signup, write("Person signup helper: match by email then phone, add or update",
                                               "PersonSignup", "Person"))),
        route("/people/{person_id}", "person",
              get=(views.person_detail, read("One person", "Person")),
              put=(views.person_update, write("Change a person", "PersonChange", "Person", created=False))),
        route("/people/{person_id}/taggings", "person_taggings",
              get=(views.person_taggings, read("A person's taggings", "TaggingsPage", paged=True))),
        route("/people/{person_id}/attendances", "person_attendances",
              get=(events.person_attendances, read("A person's attendances at events the token can see",
                                                   "AttendancesPage", paged=True))),
        route("/people/{person_id}/signatures", "person_signatures",
              get=(actions.person_signatures, read("A person's petition signatures", "SignaturesPage", paged=True))),
        route("/people/{person_id}/submissions", "person_submissions",
              get=(actions.person_submissions, read("A person's form submissions", "SubmissionsPage", paged=True))),
        *[route(f"/people/{{person_id}}/{name}", f"person_{name}",
                get=(views.person_empty(f"osdi:{name}"),
                     read(f"A person's {name.replace('_', ' ')}", f"{name}Page", paged=True)))
          for name in openapi.PERSON_EMPTY],
        route("/tags", "tags",
              get=(views.tags_list, read("Tags of the groups the token can see", "TagsPage", paged=True)),
              post=(views.tag_create, write("Add a tag to the token's group (or return its tag with that name)",
                                            "TagInput", "Tag"))),
        route("/tags/{tag_id}", "tag", get=(views.tag_detail, read("One tag", "Tag"))),
        route("/tags/{tag_id}/taggings", "taggings",
              get=(views.taggings_list, read("Taggings of a tag on people the token can see", "TaggingsPage",
                                             paged=True)),
              post=(views.tagging_create, write("Tag a person (once per person)", "TaggingInput", "Tagging"))),
        route("/tags/{tag_id}/taggings/{tagging_id}", "tagging",
              get=(views.tagging_detail, read("One tagging", "Tagging")),
              delete=(views.tagging_delete, remove("Remove a tagging"))),
        route("/lists", "lists", get=(views.lists_list, read("Saved lists", "ListsPage", paged=True))),
        route("/lists/{list_id}", "list", get=(views.list_detail, read("One list", "List"))),
        route("/lists/{list_id}/items", "items",
              get=(views.items_list, read("People on a list", "ItemsPage", paged=True))),
        route("/lists/{list_id}/items/{item_id}", "item", get=(views.item_detail, read("One list item", "Item"))),
        # Messages.
        route("/messages", "messages",
              get=(messages.messages_list, read("Messages (texts and emails)", "MessagesPage", paged=True)),
              post=(messages.message_create, write("Write a message (a draft until sent or scheduled)", "NewMessage",
                                                   "Message"))),
        route("/messages/{message_id}", "message",
              get=(messages.message_detail, read("One message, with its statistics", "Message")),
              put=(messages.message_update, write("Change a draft", "MessageInput", "Message", created=False))),
        route("/messages/{message_id}/send", "message_send",
              post=(messages.message_send, act("Start sending to the targets now", "Message", "Sending"))),
        route("/messages/{message_id}/schedule", "message_schedule",
              post=(messages.message_schedule, write("Send at scheduled_start_date (body or query string)",
                                                     "Schedule", "Message", created=False))),
        # Events.
        route("/events", "events",
              get=(events.events_list, read("Events of the groups the token can see", "EventsPage", paged=True)),
              post=(events.event_create, write("Add an event", "NewEvent", "Event"))),
        route("/events/{event_id}", "event",
              get=(events.event_detail, read("One event", "Event")),
              put=(events.event_update, write("Change an event (people going are told of a new time or place)",
                                              "EventInput", "Event", created=False))),
        route("/events/{event_id}/attendances", "attendances",
              get=(events.attendances_list, read("Attendances (RSVPs)", "AttendancesPage", paged=True)),
              post=(events.attendance_create, write("Record attendance helper: one per person per event",
                                                    "AttendanceInput", "Attendance"))),
        route("/events/{event_id}/attendances/{attendance_id}", "attendance",
              get=(events.attendance_detail, read("One attendance", "Attendance")),
              put=(events.attendance_update, write("Change an attendance's status", "AttendanceChange", "Attendance",
                                                   created=False))),
        route("/event_campaigns", "event_campaigns",
              get=(events.campaigns_list, read("Distributed actions", "EventCampaignsPage", paged=True)),
              post=(events.campaign_create, write("Add a distributed action", "NewEventCampaign", "EventCampaign"))),
        route("/event_campaigns/{campaign_id}", "event_campaign",
              get=(events.campaign_detail, read("One distributed action", "EventCampaign")),
              put=(events.campaign_update, write("Change a distributed action", "EventCampaignInput",
                                                 "EventCampaign", created=False))),
        route("/event_campaigns/{campaign_id}/events", "event_campaign_events",
              get=(events.campaign_events, read("The campaign's sites", "EventsPage", paged=True)),
              post=(events.campaign_event_create, write("Add a site: at the campaign's local time in the site's own "
                                                        "zone unless start_date is given", "NewSite", "Event"))),
        # Forms and petitions.
        route("/forms", "forms",
              get=(actions.forms_list, read("Forms of the groups the token can see", "FormsPage", paged=True)),
              post=(actions.form_create, write("Add a form", "NewForm", "Form"))),
        route("/forms/{form_id}", "form",
              get=(actions.form_detail, read("One form", "Form")),
              put=(actions.form_update, write("Change a form", "FormInput", "Form", created=False))),
        route("/forms/{form_id}/submissions", "submissions",
              get=(actions.submissions_list, read("The form's submissions", "SubmissionsPage", paged=True)),
              post=(actions.submission_create, write(
                  "Record submission helper: as the form's page takes one (closed forms refuse, its tags, its "
                  "autoresponse, credit to the referrer); the same person again within minutes changes their "
                  "submission", "SubmissionInput", "Submission"))),
        route("/forms/{form_id}/submissions/{submission_id}", "submission",
              get=(actions.submission_detail, read("One submission", "Submission"))),
        route("/petitions", "petitions",
              get=(actions.petitions_list, read("Petitions of the groups the token can see", "PetitionsPage",
                                                paged=True)),
              post=(actions.petition_create, write("Add a petition", "NewPetition", "Petition"))),
        route("/petitions/{petition_id}", "petition",
              get=(actions.petition_detail, read("One petition", "Petition")),
              put=(actions.petition_update, write("Change a petition", "PetitionInput", "Petition", created=False))),
        route("/petitions/{petition_id}/signatures", "signatures",
              get=(actions.signatures_list, read("The petition's signatures", "SignaturesPage", paged=True)),
              post=(actions.signature_create, write(
                  "Record signature helper: one per person per petition, as the petition's page takes it (a "
                  "closed petition refuses)", "SignatureInput", "Signature"))),
        route("/petitions/{petition_id}/signatures/{signature_id}", "signature",
              get=(actions.signature_detail, read("One signature", "Signature"))),
        # Rapid mobilization.
        route("/networks", "networks",
              get=(mobilization.networks_list, read("Rapid mobilization networks", "NetworksPage", paged=True)),
              post=(mobilization.network_create, write("Start a network in the token's group", "NewNetwork",
                                                       "Network"))),
        route("/networks/{network_id}", "network",
              get=(mobilization.network_detail, read("One network", "Network")),
              put=(mobilization.network_update, write("Change a network's name or description", "NetworkInput",
                                                      "Network", created=False))),
        route("/networks/{network_id}/members", "network_members",
              get=(mobilization.members_list, read("The network's members", "MembersPage", paged=True)),
              post=(mobilization.member_add, write("Add a person to the network (or update what it knows of them)",
                                                   "MemberInput", "Member"))),
        route("/activations", "activations",
              get=(mobilization.activations_list, read("Activations of the networks the token can see",
                                                       "ActivationsPage", paged=True)),
              post=(mobilization.activation_create, write("Write an activation (a draft until sent)",
                                                          "ActivationInput", "Activation"))),
        route("/activations/{activation_id}", "activation",
              get=(mobilization.activation_detail, read("One activation, with its statistics", "Activation"))),
        route("/activations/{activation_id}/send", "activation_send",
              post=(mobilization.activation_send, act("Send the activation to its audience now", "Activation",
                                                      "Sent"))),
        route("/activations/{activation_id}/responses", "activation_responses",
              get=(mobilization.responses_list, read("Yes and no answers", "ActivationResponsesPage", paged=True))),
        route("/plans", "plans", get=(mobilization.plans_list, read("Standby plans", "PlansPage", paged=True))),
        route("/plans/{plan_id}", "plan",
              get=(mobilization.plan_detail, read("One standby plan, with what its trigger would do now", "Plan"))),
        route("/plans/{plan_id}/trigger", "plan_trigger",
              post=(mobilization.plan_trigger, act("Pull the trigger (admins); again does nothing more; a "
                                                   "two-person plan waits for a second admin", "Plan",
                                                   "The plan after the pull"))),
        # Peer-to-peer texting.
        route("/texting_campaigns", "texting_campaigns",
              get=(texting.campaigns_list, read("Texting campaigns the token can see", "TextingCampaignsPage",
                                                paged=True)),
              post=(texting.campaign_create, write("Write a texting campaign (a draft until launched)",
                                                   "NewTextingCampaign", "TextingCampaign"))),
        route("/texting_campaigns/{texting_campaign_id}", "texting_campaign",
              get=(texting.campaign_detail, read("One texting campaign, with its figures and survey results",
                                                 "TextingCampaign")),
              put=(texting.campaign_update, write("Change a campaign (its script and targets only while a draft)",
                                                  "TextingCampaignInput", "TextingCampaign", created=False))),
        route("/texting_campaigns/{texting_campaign_id}/launch", "texting_campaign_launch",
              post=(texting.campaign_launch, act("Launch: each consenting number of the targets waits for a "
                                                 "texter", "TextingCampaign", "The launched campaign"))),
        route("/texting_campaigns/{texting_campaign_id}/conversations", "texting_conversations",
              get=(texting.conversations_list, read("The campaign's conversations with their survey answers",
                                                    "TextingConversationsPage", paged=True))),
        route("/texting_campaigns/{texting_campaign_id}/turfs", "texting_turfs",
              get=(texting.turfs_list, read("A door-knocking campaign's turfs with their progress and canvassers",
                                            "TurfsPage", paged=True))),
        route("/texting_campaigns/{texting_campaign_id}/conversations/{conversation_id}", "texting_conversation",
              get=(texting.conversation_detail, read("One conversation with its survey answers",
                                                     "TextingConversation"))),
        # Organizing.
        route("/workplaces", "workplaces",
              get=(organizing.workplaces_list, read("Workplaces the token can see", "WorkplacesPage", paged=True)),
              post=(organizing.workplace_create, write("Add a workplace (placed on the map by its ZIP code)",
                                                       "NewWorkplace", "Workplace"))),
        route("/workplaces/{workplace_id}", "workplace",
              get=(organizing.workplace_detail, read("One workplace", "Workplace")),
              put=(organizing.workplace_update, write("Change a workplace", "WorkplaceInput", "Workplace",
                                                      created=False))),
        route("/organizing_campaigns", "organizing_campaigns",
              get=(organizing.campaigns_list, read("Organizing campaigns the token's user runs (a locked one: admins "
                                                   "only)", "OrganizingCampaignsPage", paged=True)),
              post=(organizing.campaign_create, write("Start an organizing campaign", "OrganizingCampaignInput",
                                                      "OrganizingCampaign"))),
        route("/organizing_campaigns/{organizing_campaign_id}", "organizing_campaign",
              get=(organizing.campaign_detail, read("One campaign with its roll-up and each unit's cards",
                                                    "OrganizingCampaign"))),
        route("/organizing_campaigns/{organizing_campaign_id}/thresholds", "organizing_campaign_thresholds",
              get=(organizing.campaign_thresholds, read("The campaign's threshold lines, and each unit's: cards "
                                                        "needed, reached or how many to go", "Thresholds"))),
        route("/organizing_campaigns/{organizing_campaign_id}/workers", "organizing_campaign_workers",
              get=(organizing.workers_list, read("The campaign's rosters", "OrganizingWorkersPage", paged=True)),
              post=(organizing.worker_add, write("Put a person on a unit's roster (a person the token may change, "
                                                 "or one to add to the campaign's group); again: changes their "
                                                 "placement", "NewOrganizingWorker", "OrganizingWorker"))),
        route("/organizing_workers/{worker_id}", "organizing_worker",
              get=(organizing.worker_detail, read("One worker on a roster", "OrganizingWorker")),
              put=(organizing.worker_update, write("Change a worker's placement (department, shift, job, in the "
                                                   "unit)", "OrganizingWorkerInput", "OrganizingWorker",
                                                   created=False)),
              delete=(organizing.worker_remove, remove("Take a worker off the roster (a worker who signed a card "
                                                       "stays: mark them out of the unit instead)", conflict=True))),
        route("/organizing_units/{unit_id}", "organizing_unit",
              get=(organizing.unit_detail, read("One unit (a workplace in a campaign): its stage and threshold "
                                                "lines", "OrganizingUnit"))),
        route("/organizing_requests", "organizing_requests",
              get=(organizing.requests_list, read("Requests to organize a workplace, for triage (the story: on one "
                                                  "request, for organizers)", "OrganizingRequestsPage", paged=True))),
        route("/organizing_requests/{request_id}", "organizing_request",
              get=(organizing.request_detail, read("One request; organizers read the worker's story (each "
                                                   "reading is audited)", "OrganizingRequest")),
              put=(organizing.request_update, write("Triage a request: match volunteers (they are told by email), "
                                                    "set its status", "OrganizingRequestInput", "OrganizingRequest",
                                                    created=False))),
        route("/assessments", "assessments",
              get=(organizing.assessments_list, read("Support assessments (1 leader … 5 opposed)", "AssessmentsPage",
                                                     paged=True)),
              post=(organizing.assessment_create, write("Assess a worker", "AssessmentInput", "Assessment"))),
        route("/assessments/{assessment_id}", "assessment",
              get=(organizing.assessment_detail, read("One assessment", "Assessment"))),
        route("/cards", "cards",
              get=(organizing.cards_list, read("Union authorization cards", "CardsPage", paged=True)),
              post=(organizing.card_create, write("Record a paper card (a worker who has a card gets it updated: 200)",
                                                 "CardInput", "Card"))),
        route("/cards/{card_id}", "card",
              get=(organizing.card_detail, read("One card, with the exact text signed", "Card")),
              delete=(organizing.card_discard, remove("Discard a card waiting for review, as the console's review "
                                                      "queue does (a matched card is evidence and is kept: 409)",
                                                      conflict=True))),
        route("/cards/{card_id}/confirm", "card_confirm",
              post=(organizing.card_confirm, write("Confirm a card waiting for review: as the roster worker "
                                                   "worker_id names, or with none its signer added to the roster "
                                                   "as a new coworker; it counts from now (already matched: 409)",
                                                   "CardConfirmInput", "Card", created=False))),
        # About the API.
        route("/metadata", "metadata", get=(views.metadata, read("About this API", "Metadata"))),
        route("/metadata/custom_fields", "custom_fields",
              get=(views.custom_fields, read("Custom field names in use", "CustomFields"))),
        *[route(f"/{name}", name, get=(empty_collection(f"osdi:{name}"),
                                       read(f"{name.replace('_', ' ').capitalize()} (Turnout keeps none)",
                                            f"{name}Page", paged=True)))
          for name in openapi.EMPTY_COLLECTIONS],
    ]


ROUTES = _routes()


@cache
def paths() -> dict[str, Any]:
    """The OpenAPI document's `paths`, from the table."""
    return {route.path: route.document() for route in ROUTES}


def document(base: str) -> dict[str, Any]:
    return openapi.document(base, paths())


def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(request.build_absolute_uri("/api/v2/")), json_dumps_params={"indent": 1})


def docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html", {"spec": document(request.build_absolute_uri("/api/v2/"))})


# The document and its page describe the API rather than being part of it: they are served beside
# the table's routes, without a token.
DESCRIBING = [re_path(r"^openapi.json/?$", openapi_json, name="openapi"), re_path(r"^docs/?$", docs, name="docs")]


def urlpatterns() -> list[URLPattern]:
    return [*(route.url() for route in ROUTES), *DESCRIBING]


def view(name: str) -> Any:
    """The view of one route of the table, by name (for a path served elsewhere as well)."""
    return next(route for route in ROUTES if route.name == name).url().callback
