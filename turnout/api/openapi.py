"""The OpenAPI 3.1 description of /api/v2/: the schema of every body and answer, and the
builders of the operations that the route table (routes.py) puts on each path.

Tests validate real responses against these schemas and fuzz the API from this document,
so it is the contract, kept beside the code it describes.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from turnout.api import dates, odata
from turnout.core.dangerous import KINDS
from turnout.events.models import Status
from turnout.mobilization.models import AVAILABILITY, LANGUAGES, SKILLS
from turnout.organizing.models import Industry, Request, Stage

JSON = "application/hal+json"
DANGEROUS_KINDS = [kind.code for kind in KINDS]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


LINK = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
LINKS = {
    "type": "object",
    "properties": {"self": ref("Link")},
    "additionalProperties": {"anyOf": [ref("Link"), {"type": "array"}]},
}
DATE = {"type": ["string", "null"], "format": "date-time"}
STRING_LIST = {"type": "array", "items": {"type": "string"}}
INDUSTRIES = list(Industry.values)
STAGES = list(Stage.values)
REQUEST_STATUSES = list(Request.Status.values)
EVENT_STATUSES = list(Status.values)
COMMON = {
    "identifiers": {**STRING_LIST, "minItems": 1, "description": "action_network:<uuid> first"},
    "origin_system": {"type": "string"},
    "created_date": DATE,
    "modified_date": DATE,
    "_links": ref("Links"),
}
EMAIL = {
    "type": "object",
    "properties": {"primary": {"type": "boolean"}, "address": {"type": "string"},
                   "status": {"type": "string", "enum": ["subscribed", "unsubscribed", "bouncing"]}},
    "required": ["address"],
}
PHONE = {
    "type": "object",
    "properties": {"primary": {"type": "boolean"}, "number": {"type": "string"},
                   "number_type": {"type": "string"}, "status": {"type": "string"}},
    "required": ["number"],
}
ADDRESS = {
    "type": "object",
    "properties": {
        "primary": {"type": "boolean"},
        "address_lines": STRING_LIST,
        "locality": {"type": "string"},
        "region": {"type": "string"},
        "postal_code": {"type": "string"},
        "country": {"type": "string"},
        "language": {"type": "string"},
        "location": {"type": "object", "properties": {"latitude": {"type": "number"},
                                                      "longitude": {"type": "number"},
                                                      "accuracy": {"type": "string"}}},
    },
}
SCALAR = {"type": ["string", "number", "boolean", "null"]}
# On the answer to a write that left fields out: Turnout does not keep data that would endanger a
# worker if the database were seized (immigration status, identity numbers, country of birth).
REFUSED = {"turnout:refused_fields": ref("RefusedFields")}

SCHEMAS: dict[str, Any] = {
    "Link": LINK,
    "Links": LINKS,
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    "Notice": {"type": "object", "properties": {"notice": {"type": "string"}}, "required": ["notice"]},
    "RefusedFields": {
        "type": "array", "minItems": 1,
        "description": "Turnout: the fields of the request that were not stored, because Turnout keeps nothing that "
                       "would endanger a worker if its database were seized (immigration status, citizenship, "
                       "Social Security and other identity numbers, country of birth). The rest of the request "
                       "was applied. Present only when a field was left out.",
        "items": {"type": "object", "required": ["name", "kind", "reason"], "properties": {
            "name": {"type": "string", "description": "The field's name as sent (a custom field, an answer)"},
            "kind": {"type": "string", "enum": list(DANGEROUS_KINDS),
                     "description": "What the field would have held, for programs"},
            "reason": {"type": "string", "description": "Why, for people, in the language the request asks for "
                                                         "(Accept-Language: English or Spanish)"}}},
    },
    "Person": {
        "type": "object",
        "properties": {
            **COMMON,
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "languages_spoken": STRING_LIST,
            "email_addresses": {"type": "array", "items": EMAIL},
            "phone_numbers": {"type": "array", "items": PHONE},
            "postal_addresses": {"type": "array", "items": ADDRESS},
            "custom_fields": {"type": "object", "additionalProperties": SCALAR},
            **REFUSED,
            "memberships": {
                "type": "array", "description": "Turnout: the person's standing in each group the token's user sees",
                "items": {"type": "object", "required": ["group", "group_name", "status"], "properties": {
                    "group": {"type": "string"}, "group_name": {"type": "string"},
                    "status": {"enum": ["member", "supporter", "non_member", "prospect", "former"]}}}},
        },
        "required": ["identifiers", "created_date", "modified_date", "email_addresses", "phone_numbers",
                     "postal_addresses", "custom_fields", "_links"],
    },
    "Tag": {"type": "object", "properties": {**COMMON, "name": {"type": "string"}},
            "required": ["identifiers", "name", "_links"]},
    "Tagging": {"type": "object", "properties": {**COMMON, "item_type": {"type": "string"}},
                "required": ["identifiers", "item_type", "_links"]},
    "List": {"type": "object", "properties": {**COMMON, "name": {"type": "string"}, "title": {"type": "string"},
                                              "description": {"type": "string"}},
             "required": ["identifiers", "name", "_links"]},
    "Item": {"type": "object", "properties": {**COMMON, "item_type": {"type": "string"}},
             "required": ["identifiers", "item_type", "_links"]},
    "EntryPoint": {"type": "object", "properties": {"motd": {"type": "string"}, "max_pagesize": {"type": "integer"},
                                                    "_links": ref("Links")}, "required": ["_links"]},
    "Metadata": {"type": "object", "properties": {"name": {"type": "string"}, "_links": ref("Links")},
                 "required": ["_links"]},
    "CustomFields": {
        "type": "object",
        "properties": {"action_network:custom_fields": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "notes": {"type": "string"}},
            "required": ["name"]}}, "_links": ref("Links")},
        "required": ["action_network:custom_fields"],
    },
    "Empty": {"type": "object", "description": "Turnout keeps no records of this kind."},
    "Message": {
        "type": "object",
        "properties": {
            **COMMON,
            "type": {"type": "string", "enum": ["email", "sms"]},
            "subject": {"type": "string"},
            "body": {"type": "string"},
            "turnout:body_es": {"type": "string"},
            "from": {"type": "string"},
            "reply_to": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "scheduled", "sending", "sent", "cancelled"]},
            "targets": {"type": "array", "items": ref("Link")},
            "total_targeted": {"type": "integer"},
            "sent_start_date": DATE,
            "scheduled_start_date": DATE,
            "turnout:ignore_quiet_hours": {"type": "boolean"},
            "statistics": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
        "required": ["identifiers", "type", "status", "targets", "statistics", "_links"],
    },
    "Event": {
        "type": "object",
        "properties": {
            **COMMON,
            "title": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "instructions": {"type": "string"}, "browser_url": {"type": "string"},
            "featured_image_url": {"type": "string"},
            "start_date": DATE, "end_date": DATE,
            "turnout:timezone": {"type": "string", "description": "The event's IANA time zone"},
            "status": {"type": "string", "enum": ["confirmed", "tentative", "cancelled"]},
            "turnout:status": {"type": "string", "enum": ["draft", "scheduled", "standby", "cancelled", "completed"]},
            "turnout:standby_condition": {"type": "string"},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "capacity": {"type": "integer", "minimum": 0},
            "guests_can_invite_others": {"type": "boolean"},
            "reminders": {"type": "array", "items": {"type": "object", "properties": {
                "method": {"type": "string"}, "minutes": {"type": "integer"}}}},
            "total_accepted": {"type": "integer", "minimum": 0},
            "location": {"type": "object", "properties": {
                "venue": {"type": "string"}, "address_lines": STRING_LIST, "locality": {"type": "string"},
                "region": {"type": "string"}, "postal_code": {"type": "string"}, "country": {"type": "string"},
                "location": {"type": "object", "properties": {
                    "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
                    "accuracy": {"type": ["string", "null"]}}}}},
        },
        "required": ["identifiers", "title", "start_date", "turnout:timezone", "status", "total_accepted",
                     "location", "_links"],
    },
    "Attendance": {
        "type": "object",
        "properties": {
            **COMMON,
            "status": {"type": "string", "enum": ["accepted", "declined", "tentative", "needs action"]},
            "turnout:checked_in_date": DATE,
            "action_network:person_id": {"type": "string"}, "action_network:event_id": {"type": "string"},
            "action_network:referrer_data": {"type": "object"}, **REFUSED,
        },
        "required": ["identifiers", "status", "action_network:person_id", "action_network:event_id", "_links"],
    },
    "EventCampaign": {
        "type": "object",
        "properties": {
            **COMMON,
            "title": {"type": "string"}, "description": {"type": "string"}, "host_pitch": {"type": "string"},
            "host_instructions": {"type": "string"}, "browser_url": {"type": "string"},
            "host_url": {"type": "string"}, "total_events": {"type": "integer"}, "total_rsvps": {"type": "integer"},
            "turnout:local_date": {"type": ["string", "null"]}, "turnout:local_start_time": {"type": ["string", "null"]},
            "turnout:status": {"type": "string"},
        },
        "required": ["identifiers", "title", "total_events", "total_rsvps", "_links"],
    },
    "Form": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "description": {"type": "string"}, "call_to_action": {"type": "string"},
        "browser_url": {"type": "string"}, "total_submissions": {"type": "integer", "minimum": 0},
        "turnout:is_open": {"type": "boolean"}},
        "required": ["identifiers", "title", "browser_url", "total_submissions", "_links"]},
    "Submission": {"type": "object", "properties": {
        **COMMON, "action_network:person_id": {"type": "string"}, "action_network:form_id": {"type": "string"},
        "action_network:referrer_data": {"type": "object"},
        "turnout:answers": {"type": "object", "additionalProperties": {"type": "string"}}, **REFUSED},
        "required": ["identifiers", "action_network:person_id", "action_network:form_id", "_links"]},
    "Petition": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "petition_text": {"type": "string"},
        "target": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "browser_url": {"type": "string"}, "total_signatures": {"type": "integer", "minimum": 0},
        "turnout:goal": {"type": ["integer", "null"]}, "turnout:is_open": {"type": "boolean"}},
        "required": ["identifiers", "title", "petition_text", "total_signatures", "_links"]},
    "Signature": {"type": "object", "properties": {
        **COMMON, "comments": {"type": "string"}, "action_network:person_id": {"type": "string"},
        "action_network:petition_id": {"type": "string"}, "action_network:referrer_data": {"type": "object"},
        **REFUSED},
        "required": ["identifiers", "action_network:person_id", "action_network:petition_id", "_links"]},
    "Network": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "description": {"type": "string"}, "group": {"type": "string"},
        "total_members": {"type": "integer", "minimum": 0}, "browser_url": {"type": "string"}},
        "required": ["identifiers", "name", "total_members", "_links"]},
    "Member": {"type": "object", "properties": {
        "identifiers": STRING_LIST, "given_name": {"type": "string"}, "family_name": {"type": "string"},
        "postal_code": {"type": "string"}, "travel_miles": {"type": "integer"},
        "availability": STRING_LIST, "skills": STRING_LIST, "languages": STRING_LIST, "joined_date": DATE,
        "_links": ref("Links"), **REFUSED}, "required": ["identifiers", "travel_miles", "_links"]},
    "Activation": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "body": {"type": "string"}, "body_es": {"type": "string"},
        "followup": {"type": "string"}, "followup_es": {"type": "string"},
        "channels": {"type": "string", "enum": ["sms", "email", "both"]},
        "status": {"type": "string", "enum": ["draft", "sent"]}, "sent_date": DATE,
        "postal_code": {"type": "string"}, "miles": {"type": ["integer", "null"]}, "availability": STRING_LIST,
        "skills": STRING_LIST, "languages": STRING_LIST, "tag": {"type": "string"}, "drill": {"type": "boolean"},
        "sample_size": {"type": ["integer", "null"]}, "ignore_quiet_hours": {"type": "boolean"},
        "override_reason": {"type": "string"},
        "statistics": {"type": "object", "properties": {
            "asked": {"type": "integer", "description": "People the text or email went out to"},
            "chosen": {"type": "integer", "description": "People the audience chose, reached or not"},
            "yes": {"type": "integer"}, "no": {"type": "integer"},
            "no_answer": {"type": "integer", "description": "Asked, and no answer yet"},
            "sent": {"type": "integer"}, "delivered": {"type": "integer"},
            "by_distance": {"type": "array", "items": {"type": "object"}}}}},
        "required": ["identifiers", "title", "body", "status", "_links"]},
    "ActivationResponse": {"type": "object", "properties": {
        "identifiers": STRING_LIST, "answer": {"type": "string", "enum": ["yes", "no"]}, "answered_date": DATE,
        "given_name": {"type": "string"}, "_links": ref("Links")}, "required": ["answer", "_links"]},
    "Plan": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "condition": {"type": "string"},
        "status": {"type": "string", "enum": ["armed", "approval", "triggered"]},
        "requires_two_people": {"type": "boolean"}, "triggered_date": DATE, "outcome": {"type": "object"},
        "if_triggered_now": {"type": "object", "properties": {"events": {"type": "integer"},
                                                              "texted": {"type": "integer"},
                                                              "emailed": {"type": "integer"}}},
        "result": {"type": "string", "enum": ["triggered", "awaiting approval", "already triggered"]}},
        "required": ["identifiers", "name", "status", "_links"]},
    "Workplace": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "employer": {"type": "string"}, "address": {"type": "string"},
        "postal_code": {"type": "string"}, "locality": {"type": "string"}, "region": {"type": "string"},
        "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
        "industry": {"type": "string", "enum": INDUSTRIES}, "unit_description": {"type": "string"},
        "group": {"type": "string"}}, "required": ["identifiers", "name", "employer", "postal_code", "_links"]},
    "OrganizingCampaign": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "group": {"type": "string"}, "employer": {"type": ["string", "null"]},
        "union_name": {"type": "string"}, "card_valid_days": {"type": "integer"},
        "supermajority": {"type": "integer"}, "browser_url": {"type": "string", "description": "The card page"},
        "statistics": {"type": "object", "properties": {
            "shops": {"type": "integer"}, "workers": {"type": "integer"}, "cards": {"type": "integer"},
            "percent_carded": {"type": "integer"}, "expired_cards": {"type": "integer"},
            "assessed_1_2": {"type": "integer"}, "committee": {"type": "integer"}, "uncovered": {"type": "integer"},
            "elections_won": {"type": "integer"}, "elections_lost": {"type": "integer"},
            "by_stage": {"type": "object", "additionalProperties": {"type": "integer"}}}},
        "units": {"type": "array", "items": {"type": "object", "properties": {
            "workplace": {"type": "string"}, "name": {"type": "string"}, "stage": {"type": "string", "enum": STAGES},
            "attempt": {"type": "integer"}, "workers": {"type": "integer"}, "cards": {"type": "integer"},
            "percent_carded": {"type": "integer"}, "unit": {"type": "string"}}}}},
        "required": ["identifiers", "name", "_links"]},
    "OrganizingWorker": {"type": "object", "properties": {
        **COMMON, "given_name": {"type": "string"}, "family_name": {"type": "string"},
        "workplace": {"type": "string"}, "department": {"type": "string"}, "shift": {"type": "string"},
        "job_title": {"type": "string"}, "in_unit": {"type": "boolean"},
        "support": {"type": ["integer", "null"], "minimum": 1, "maximum": 5}, "assessed_date": DATE,
        "committee": {"type": "boolean"}, "card_signed_date": DATE},
        "required": ["identifiers", "in_unit", "_links"]},
    "ThresholdLine": {"type": "object", "description": "One line a unit (or a campaign) is measured against",
                      "properties": {
        "line": {"type": "string", "description": "30%, majority, or the campaign's supermajority (e.g. 70%)"},
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "needed": {"type": "integer", "minimum": 0, "description": "Valid cards the line needs"},
        "cards": {"type": "integer", "minimum": 0, "description": "Valid cards now"},
        "reached": {"type": "boolean"},
        "to_go": {"type": "integer", "minimum": 0, "description": "Cards still needed; 0 once reached"},
        "units_reached": {"type": "integer", "minimum": 0, "description": "For a campaign: its units at the line"}},
        "required": ["line", "percent", "needed", "cards", "reached", "to_go"]},
    "Thresholds": {"type": "object", "properties": {
        "eligible": {"type": "integer", "minimum": 0}, "cards": {"type": "integer", "minimum": 0},
        "expired": {"type": "integer", "minimum": 0}, "percent_carded": {"type": "integer", "minimum": 0},
        "supermajority": {"type": "integer"}, "lines": {"type": "array", "items": ref("ThresholdLine")},
        "units": {"type": "array", "items": {"type": "object", "properties": {
            "unit": {"type": "string"}, "name": {"type": "string"}, "stage": {"type": "string", "enum": STAGES},
            "eligible": {"type": "integer"}, "cards": {"type": "integer"}, "expired": {"type": "integer"},
            "percent_carded": {"type": "integer"}, "lines": {"type": "array", "items": ref("ThresholdLine")}},
            "required": ["unit", "name", "lines"]}},
        "_links": ref("Links")}, "required": ["eligible", "cards", "lines", "units", "_links"]},
    "OrganizingUnit": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "stage": {"type": "string", "enum": STAGES},
        "attempt": {"type": "integer"}, "eligible": {"type": "integer", "minimum": 0},
        "cards": {"type": "integer", "minimum": 0}, "expired": {"type": "integer", "minimum": 0},
        "percent_carded": {"type": "integer", "minimum": 0}, "supermajority": {"type": "integer"},
        "lines": {"type": "array", "items": ref("ThresholdLine")}},
        "required": ["identifiers", "name", "stage", "lines", "_links"]},
    "Volunteer": {"type": ["object", "null"], "properties": {
        "identifiers": STRING_LIST, "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["organizer", "mentor", "both"]},
        "reasons": STRING_LIST, "caseload": {"type": "integer"}, "capacity": {"type": "integer"},
        "full": {"type": "boolean", "description": "At capacity: offered last; assigning needs over_capacity"}}},
    "TextingCampaign": {
        "type": "object",
        "properties": {
            **COMMON,
            "title": {"type": "string"}, "script": {"type": "string"}, "turnout:script_es": {"type": "string"},
            "turnout:channel": {"type": "string", "enum": ["sms", "phone", "door"],
                                "description": "sms: volunteers text; phone: a phone bank, volunteers call; door: "
                                               "door knocking, canvassers walk turfs"},
            "turnout:calling_hours": {"type": "object", "description": "A phone bank's hours in each contact's zone "
                                                                      "(from 10 until 20 unless set)",
                                      "properties": {"from": {"type": "integer", "minimum": 0, "maximum": 23},
                                                     "until": {"type": "integer", "minimum": 1, "maximum": 24}}},
            "turnout:bridged": {"type": "boolean", "description": "A phone bank's calls connected through Twilio"},
            "status": {"type": "string", "enum": ["draft", "live", "paused", "finished"]},
            "targets": {"type": "array", "items": ref("Link")},
            "reassign_after_minutes": {"type": "integer", "minimum": 5},
            "turnout:senders": STRING_LIST,
            "turnout:event": {"type": ["object", "null"], "properties": {"href": {"type": "string"}}},
            "launched_date": DATE,
            "statistics": {"type": "object", "additionalProperties": {"type": "integer"}},
            "questions": {"type": "array", "items": {"type": "object", "properties": {
                "question": {"type": "string"}, "answers": {"type": "array", "items": {"type": "object", "properties": {
                    "answer": {"type": "string"}, "tag": {"type": "string"}, "total": {"type": "integer", "minimum": 0}},
                    "required": ["answer", "tag", "total"]}}}, "required": ["question", "answers"]}},
        },
        "required": ["identifiers", "title", "script", "status", "targets", "statistics", "questions", "_links"],
    },
    "Turf": {
        "type": "object",
        "properties": {
            **COMMON, "name": {"type": "string"},
            "doors": {"type": "integer", "minimum": 0, "description": "Households in the turf"},
            "knocked": {"type": "integer", "minimum": 0, "description": "Households with a result"},
            "reached": {"type": "integer", "minimum": 0, "description": "People with the result talked"},
            "canvassers": STRING_LIST,
            "area": {"type": "array", "description": "The polygon drawn on the map, [[lat, lng], …]; empty for a "
                                                     "turf cut by count", "items": {"type": "array"}},
            "revision": {"type": "integer", "minimum": 1, "description": "Goes up when the turf is given to "
                                                                        "someone else"},
        },
        "required": ["identifiers", "name", "doors", "knocked", "canvassers", "_links"],
    },
    "TextingConversation": {
        "type": "object",
        "properties": {
            "identifiers": STRING_LIST, "origin_system": {"type": "string"},
            "status": {"type": "string", "enum": ["waiting", "assigned", "sent", "replied", "answered", "opted_out"]},
            "texter": {"type": "string", "description": "The volunteer holding it (their name), or empty"},
            "sent_date": DATE, "replied_date": DATE, "flagged": {"type": "boolean"},
            "turnout:calls": {"type": "integer", "minimum": 0, "description": "A phone bank's calls to the contact"},
            "result": {"type": ["object", "null"], "description": (
                "How the conversation ended, as on the person's record: Turnout's key (talked, not_home, "
                "left_message, wrong_number, refused, moved, deceased, do_not_contact) or the group's own"),
                "properties": {"key": {"type": "string"}, "label": {"type": "string"}}},
            "survey_responses": {"type": "array", "items": {"type": "object", "properties": {
                "question": {"type": "string"}, "answer": {"type": "string"}, "tag": {"type": "string"},
                "recorded_date": DATE}, "required": ["question", "answer"]}},
            "_links": ref("Links"),
        },
        "required": ["identifiers", "status", "survey_responses", "_links"],
    },
    "OrganizingRequest": {"type": "object", "properties": {
        **COMMON, "given_name": {"type": "string"}, "family_name": {"type": "string"}, "group": {"type": "string"},
        "employer": {"type": "string"}, "workplace_address": {"type": "string"}, "postal_code": {"type": "string"},
        "industry": {"type": "string", "enum": INDUSTRIES}, "size": {"type": "string"},
        "reach_by": {"type": "string"}, "best_time": {"type": "string"}, "language": {"type": "string"},
        "status": {"type": "string", "enum": REQUEST_STATUSES}, "status_changed_date": DATE,
        "closed_reason": {"type": "string"}, "organizer": ref("Volunteer"), "mentor": ref("Volunteer"),
        "assigned_date": DATE, "has_story": {"type": "boolean"},
        "story": {"type": "string", "description": "What the worker told us: to organizers of the request's group, "
                                                   "on one request only; each reading is audited"},
        "suggested_organizers": {"type": "array", "items": ref("Volunteer")},
        "suggested_mentors": {"type": "array", "items": ref("Volunteer")}},
        "required": ["identifiers", "employer", "status", "has_story", "_links"]},
    "Assessment": {"type": "object", "properties": {
        "identifiers": STRING_LIST, "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "assessed_date": DATE, "assessor": {"type": "string"},
        "has_notes": {"type": "boolean", "description": "Notes are read in the console only, where reading is "
                                                        "audited"}, "_links": ref("Links")},
        "required": ["score", "_links"]},
    "Card": {"type": "object", "properties": {
        **COMMON, "kind": {"type": "string", "enum": ["electronic", "paper"]}, "signed_name": {"type": "string"},
        "signed_date": DATE, "expired": {"type": "boolean"}, "employer": {"type": "string"},
        "job_title": {"type": "string"}, "workplace": {"type": "string"}, "text": {"type": "string"},
        "has_scan": {"type": "boolean"},
        "signed_local_date": {"type": "string", "format": "date",
                              "description": "The day it was signed on the signer's own clock (their zone)"},
        "time_zone": {"type": "string"},
        "waiting_for_review": {"type": "boolean", "description": "Signed online by someone the roster does not "
                                                                 "hold by email or phone: counts once an organizer "
                                                                 "confirms it in the console"},
        "counts": {"type": "boolean"}}, "required": ["identifiers", "kind", "signed_date", "_links"]},
}


# Inputs --------------------------------------------------------------------------------------
#
# Every JSON body is checked against its operation's schema before a handler reads it (see
# body_problem), so what this document calls invalid is refused with a 400 that names the
# field. A handler's own checks are left for what a schema cannot say: whether a referenced
# record exists and the token may use it, whether a ZIP code or phone number is real, whether
# a date is in the future. Form-encoded and query-string bodies (a compatibility path for
# clients that claim JSON and send neither) are read by the handlers alone.

# inputs.text trims this white space; "not blank" is a character other than these. ASCII only,
# so that the document, Python and every client's regex engine agree on what it means.
SPACE = " \t\n\r\f\v"
NOT_BLANK = r"[^ \t\n\r\f\v]"
EMAIL_PATTERN = (r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                 r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
EMAIL_STATUSES = ["subscribed", "unsubscribed", "spam complaint", "previous spam complaint", "bouncing",
                  "previous bounce"]
PHONE_STATUSES = ["subscribed", "unsubscribed", "bouncing", "previous bounce"]
COUNTRY_PATTERN = (r"^[ \t\n\r\f\v]*(?:[A-Za-z]{2}|[Uu][Ss][Aa]|[Uu][Nn][Ii][Tt][Ee][Dd] [Ss][Tt][Aa][Tt][Ee][Ss]"
                   r"(?: [Oo][Ff] [Aa][Mm][Ee][Rr][Ii][Cc][Aa])?)[ \t\n\r\f\v]*$")
LOCAL_TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$"
ZIP_PATTERN = r"^[0-9]{5}(?:-[0-9]{4})?$"
# people.services.tag_name turns control and other unprintable characters into spaces, so a tag
# name needs one character that is surely printable: a letter, digit or sign of the common scripts.
TAG_NAME_PATTERN = (r"[!-~\u00a1-\u00ac\u00ae-\u024f\u0391-\u03a1\u03a3-\u03c9\u0400-\u04ff\u05d0-\u05ea"
                    r"\u0621-\u063a\u0641-\u064a\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fa5\uac00-\ud7a3]")
EMPTY = {"enum": ["", None]}


def text(max_length: int | None = None, *, blank: bool = True, **extra: Any) -> dict[str, Any]:
    """A text field: null and "" clear it, unless `blank` is False (then a non-blank string)."""
    schema: dict[str, Any] = {"type": ["string", "null"] if blank else "string"}
    if max_length:
        schema["maxLength"] = max_length
    if not blank:
        schema["pattern"] = NOT_BLANK
    return {**schema, **extra}


def one_or_list(item: dict[str, Any]) -> dict[str, Any]:
    """Clients send a list, one value standing for a list of one, or null for none."""
    return {"anyOf": [{"type": "array", "items": item}, item, {"type": "null"}]}


def requires(*alternatives: list[str]) -> dict[str, Any]:
    return {"anyOf": [{"required": names} for names in alternatives]}


def when_true(flag: str, then: dict[str, Any]) -> dict[str, Any]:
    """`then` applies when the boolean `flag` is sent as true."""
    return {"if": {"required": [flag], "properties": {flag: {"const": True}}}, "then": then}


def creating(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    """The body that makes a new record: the change body, with what a new record needs."""
    return {"allOf": [ref(name), *rules]}


CHANGES = "Fields left out are left as they are."
EMAIL_GIVEN = {"anyOf": [ref("EmailAddressText"),
                         {"type": "object", "required": ["address"], "properties": {"address": ref("EmailAddressText")}}]}
PHONE_GIVEN = {"anyOf": [ref("PhoneNumberText"),
                         {"type": "object", "required": ["number"], "properties": {"number": ref("PhoneNumberText")}}]}
# The signup helper needs an email address or a phone number to match and reach a person by.
WITH_CONTACT = {"x-error": "A person needs an email address or a phone number.", "anyOf": [
    {"required": ["email_addresses"],
     "properties": {"email_addresses": {"anyOf": [{"type": "array", "contains": EMAIL_GIVEN}, EMAIL_GIVEN]}}},
    {"required": ["phone_numbers"],
     "properties": {"phone_numbers": {"anyOf": [{"type": "array", "contains": PHONE_GIVEN}, PHONE_GIVEN]}}},
]}
NOT_KEPT = ("Names that would collect what Turnout does not keep (immigration status, citizenship, Social Security "
            "and other identity numbers, country of birth) are left out, the rest applied; the answer's "
            "turnout:refused_fields names them.")
PERSON_FIELDS = {
    "given_name": text(100),
    "family_name": text(100),
    "membership_status": {"enum": ["member", "supporter", "non_member", "prospect", "former", None],
                          "description": "Turnout: the membership a sign-up gives someone new to the token's "
                                         "group (left out: supporter). Ignored when changing a person."},
    "languages_spoken": one_or_list(text(16, blank=False)),
    "email_addresses": one_or_list({"anyOf": [ref("EmailAddressText"), {
        "type": "object",
        "properties": {"address": {"anyOf": [ref("EmailAddressText"), EMPTY]}, "primary": {"type": "boolean"},
                       "status": {"enum": [*EMAIL_STATUSES, "", None],
                                  "description": "Left out: a new person is subscribed, a known one unchanged"}}}]}),
    "phone_numbers": one_or_list({"anyOf": [ref("PhoneNumberText"), {
        "type": "object",
        "properties": {"number": {"anyOf": [ref("PhoneNumberText"), EMPTY]}, "primary": {"type": "boolean"},
                       "number_type": text(description="mobile, home, work or landline; others are ignored"),
                       "status": {"enum": [*PHONE_STATUSES, "", None],
                                  "description": "Texts need subscribed, given explicitly"}}}]}),
    "postal_addresses": one_or_list({
        "type": "object",
        "description": "The one marked primary, else the first, is kept",
        "properties": {
            "primary": {"type": ["boolean", "null"]},
            "address_lines": one_or_list(text(200)),
            "locality": text(100), "region": text(50),
            "postal_code": {"anyOf": [ref("ZipCode"), EMPTY]},
            "country": {"anyOf": [{"type": "string", "pattern": COUNTRY_PATTERN}, EMPTY],
                        "description": "Two letters, such as US"},
            "language": text(),
            "location": {"type": "object", "properties": {"latitude": {"type": "number"},
                                                          "longitude": {"type": "number"},
                                                          "accuracy": {"type": "string"}}},
        },
    }),
    "custom_fields": {"anyOf": [{"type": "object", "propertyNames": {"maxLength": 100, "pattern": NOT_BLANK},
                                 "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 2000},
                                                                    {"type": ["number", "boolean", "null"]}]}},
                                EMPTY],
                      "description": NOT_KEPT},
}
TAG_NAMES = one_or_list(text(100))
# A worker's place on their workplace's map, by name: a name new to the workplace joins its map.
PLACEMENT = {"department": text(100, description="Empty or null: none"), "shift": text(100),
             "job_title": text(100), "in_unit": {"type": "boolean", "description": "Counted in the unit"}}
SIGNUP = {"person": {"allOf": [ref("PersonInput"), WITH_CONTACT]}, "add_tags": TAG_NAMES, "remove_tags": TAG_NAMES}
# A person a body points at, for the record helpers: a link (its last path segment is the id,
# whatever the host), an id, an email address; or `person`, signed up by the signup helper's rules.
REFERENCE = {
    "_links": {"type": "object", "properties": {"osdi:person": ref("PersonLink")}},
    "action_network:person_id": ref("PersonId"), "person_id": ref("PersonId"), "identifier": ref("PersonId"),
    "email_address": ref("PersonEmail"), "email": ref("PersonEmail"),
}
REFERENCED = [{"required": ["_links"], "properties": {"_links": {"required": ["osdi:person"]}}},
              *({"required": [name]} for name in REFERENCE if name != "_links")]
NO_PERSON = "You must specify a valid person id"  # as Action Network words it; clients look for it


def helper(description: str, **fields: Any) -> dict[str, Any]:
    """A record helper's body: a person reference or a `person` to sign up, and `fields`."""
    return {"type": "object", "description": description, "properties": {**REFERENCE, **SIGNUP, **fields},
            "anyOf": [*REFERENCED, {"required": ["person"]}], "x-error": NO_PERSON}


INPUTS: dict[str, Any] = {
    "EmailAddressText": {"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN,
                         "description": "An email address"},
    "PhoneNumberText": text(40, blank=False, description="A phone number as people write it: ten digits for the "
                            "US and Canada, otherwise + and the country code. Numbers that cannot exist are "
                            "refused."),
    "ZipCode": {"type": "string", "pattern": ZIP_PATTERN,
                "description": "A US ZIP code; one Turnout's ZIP data does not know is refused"},
    "SenderNumber": {"type": "string", "maxLength": 40, "description": (
        "One of the organization's sender numbers (TURNOUT_SMS_SENDERS), as configured; another is refused")},
    "TimeZone": {"type": "string", "enum": sorted(available_timezones()),
                 "description": "an IANA time zone name such as America/Chicago"},
    "PersonId": {"type": "string", "description": "A person's uuid, with or without action_network:, who is "
                                                  "among the people the token may change"},
    "PersonEmail": {"type": "string", "description": "The email address of a person the token may change"},
    "PersonLink": {"type": "object", "required": ["href"], "properties": {"href": {
        "type": "string", "description": "A person's URL; the last path segment is the id, whatever the host"}}},
    "TargetLink": {"type": "object", "required": ["href"], "properties": {"href": {
        "type": "string", "description": "The URL of a tag, list, event (its attendees), network (its members) or "
                                   "organizing campaign (its roster) the token's user may message"}}},
    "EventLink": {"type": ["object", "null"], "required": ["href"], "properties": {"href": {"type": "string"}},
                  "description": "The event a texting campaign's texts invite to ({event_link}, {share_link}): the "
                                 "URL of one the token's user organizes; null for none"},
    "RecordId": {"type": "string", "description": "The uuid of a record the token may use, with or without "
                                                  "action_network:"},
    "PersonInput": {"type": "object", "description": CHANGES, "properties": PERSON_FIELDS},
    "PersonChange": {"type": "object", "description": f"{CHANGES} The fields may also come inside `person`.",
                     "properties": {**PERSON_FIELDS, "person": ref("PersonInput")}},
    "PersonSignup": {"type": "object", "required": ["person"], "properties": SIGNUP},
    "TagInput": {"type": "object", "required": ["name"], "properties": {"name": {
        "type": "string", "maxLength": 100, "pattern": TAG_NAME_PATTERN,
        "description": "Control characters and runs of white space become one space"}}},
    "TaggingInput": {"type": "object", "description": "The person: by link, id or email address",
                     "properties": REFERENCE, "anyOf": REFERENCED, "x-error": NO_PERSON},
    "TextingCampaignInput": {
        "type": "object", "description": CHANGES,
        "properties": {
            "title": text(200, blank=False),
            "turnout:channel": {"type": "string", "enum": ["sms", "phone", "door"], "description": (
                "sms (the default): a texting campaign; phone: a phone bank, whose script callers read; door: door "
                "knocking, whose script canvassers read (turfs are cut in the console). Fixed once launched")},
            "turnout:bridged": {"type": "boolean", "description": (
                "A phone bank's calls connected through Twilio Voice (Turnout rings the caller, then the member; "
                "neither sees the other's number); false: callers dial from their own phones")},
            "script": text(1600, blank=False, description="The first text: name the group and say how to opt out "
                                                          "(Reply STOP); merge fields {first_name}, "
                                                          "{texter_first_name}, and with turnout:event "
                                                          "{event_link} and {share_link}"),
            "turnout:script_es": text(1600),
            "targets": {"type": "array", "minItems": 1, "items": ref("TargetLink"),
                        "description": "Tags, lists, events (their attendees), networks (their members) or organizing "
                                       "campaigns (their rosters); the campaign texts each consenting number on "
                                       "any of them once"},
            "turnout:event": ref("EventLink"),
            "reassign_after_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
            "turnout:senders": {"type": "array", "items": ref("SenderNumber"), "description": (
                "The organization's sender numbers the campaign texts from (TURNOUT_SMS_SENDERS); a new campaign "
                "without it texts from all of them")},
        },
    },
    "MessageInput": {
        "type": "object", "description": CHANGES,
        "properties": {
            "type": {"type": "string", "enum": ["email", "sms"], "description": "A new message is an email unless "
                                                                             "this says sms"},
            "subject": text(200, blank=False, description="Every email needs one"),
            "body": text(5000, blank=False), "turnout:body_es": text(5000),
            "targets": {"type": "array", "minItems": 1, "items": ref("TargetLink"),
                        "description": "Tags or lists; the message goes to people on any of them"},
            "turnout:ignore_quiet_hours": {"type": "boolean"},
            "turnout:override_reason": text(300, blank=False, description="Why quiet hours are overridden; "
                                                                           "kept in the audit log"),
        },
        "allOf": [{"if": {"required": ["type"], "properties": {"type": {"const": "email"}}},
                   "then": {"required": ["subject"], "x-error": "An email needs a subject."}},
                  when_true("turnout:ignore_quiet_hours", {
                      "required": ["turnout:override_reason"],
                      "x-error": "Overriding quiet hours needs turnout:override_reason, kept in the audit log."})],
    },
    "Schedule": {"type": "object", "required": ["scheduled_start_date"], "properties": {"scheduled_start_date": {
        "type": "string", "pattern": dates.WHEN_PATTERN,
        "description": f"A moment in the future, in the years {dates.FIRST_YEAR} to {dates.LAST_YEAR}: a date "
                       "(midnight UTC) or a date and time (UTC unless it has an offset)"}}},
    "EventInput": {
        "type": "object", "description": CHANGES,
        "properties": {
            "title": text(200, blank=False), "name": text(200, blank=False, description="The title, if title "
                                                                                           "is left out"),
            "description": text(20000),
            "start_date": {"type": "string", "pattern": dates.DATETIME_PATTERN,
                           "description": "With an offset or Z: that instant. Without: the wall-clock time at the "
                                          f"event's location. Years {dates.FIRST_YEAR} to {dates.LAST_YEAR}."},
            "end_date": {"anyOf": [{"type": "string", "pattern": dates.DATETIME_PATTERN}, EMPTY],
                         "description": "As start_date, and after it; null or empty for none"},
            "turnout:timezone": {**ref("TimeZone"), "description": "For an event with no postal_code"},
            "capacity": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000,
                         "description": "0 or null: no limit"},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "status": {"type": "string", "enum": ["confirmed", "tentative", "cancelled"],
                       "description": "cancelled cancels and tells everyone going or waiting; the others change "
                                      "nothing (see turnout:status)"},
            "turnout:status": {"type": "string", "enum": EVENT_STATUSES},
            "turnout:standby_condition": text(300),
            "join_url": text(500, description="For an event with no postal_code"),
            "location": {"type": "object", "properties": {
                "venue": text(200), "address_lines": {"type": "array", "items": text(200)},
                "locality": text(100), "region": text(50),
                "postal_code": {"anyOf": [ref("ZipCode"), EMPTY], "description": "Empty: a virtual event"}}},
        },
    },
    "AttendanceInput": helper("The person (see TaggingInput), or `person` to sign up by the signup helper's "
                              "rules", status={"type": "string", "enum": ["accepted", "declined", "tentative",
                                                                          "needs action"]}),
    "AttendanceChange": {"type": "object", "properties": {
        "status": {"type": ["string", "null"], "enum": ["accepted", "declined", "tentative", "needs action", None]}}},
    "EventCampaignInput": {
        "type": "object", "description": CHANGES,
        "properties": {
            "title": text(200, blank=False), "description": text(20000),
            "turnout:local_date": {"type": "string", "pattern": dates.DATE_PATTERN,
                                   "description": "The date at every site, e.g. 2026-11-04"},
            "turnout:local_start_time": {"type": "string", "pattern": LOCAL_TIME_PATTERN,
                                         "description": "Local wall-clock time at every site, e.g. 17:00"},
            "turnout:status": {"type": "string", "enum": ["draft", "scheduled", "standby"]},
            "turnout:standby_condition": text(300),
        },
    },
    "FormInput": {"type": "object", "description": CHANGES,
                  "properties": {"title": text(200, blank=False), "description": text(20000)}},
    "SubmissionInput": helper("The person (see TaggingInput), or `person` to sign up by the signup helper's rules",
                              **{"turnout:answers": {"type": ["object", "null"],
                                                     "additionalProperties": {"type": "string"},
                                                     "description": NOT_KEPT},
                                 "action_network:referrer_data": ref("ReferrerData")}),
    "ReferrerData": {"type": ["object", "null"], "properties": {
        "referrer": text(16, description="The share code of whoever brought the person (the ref= of their link): "
                                         "they are credited, as on the public page"),
        "source": text(), "website": text()}},
    "PetitionInput": {"type": "object", "description": CHANGES, "properties": {
        "title": text(200, blank=False), "petition_text": text(20000),
        "target": {"type": "array", "items": {"type": "object", "properties": {"name": text(200)}}}}},
    "SignatureInput": helper("The person (see TaggingInput), or `person` to sign up by the signup helper's rules",
                             comments=text(2000), **{"action_network:referrer_data": ref("ReferrerData")}),
    "NetworkInput": {"type": "object", "description": CHANGES, "properties": {
        "name": text(200, blank=False), "description": text(5000, description="Markdown, shown on the join page")}},
    "OrganizingWorkerInput": {"type": "object", "description": CHANGES, "properties": PLACEMENT},
    "NewOrganizingWorker": {
        "type": "object", "description": "The person: a reference to someone the token may change (see "
                                         "TaggingInput), or `person`, added to the campaign's group as the unit's "
                                         "page adds a coworker (no consent is recorded for them)",
        "properties": {**REFERENCE, **PLACEMENT, "workplace_id": ref("RosterWorkplaceId"), "person": {
            "type": "object", "required": ["given_name"], "properties": {
                "given_name": text(100, blank=False), "family_name": text(100),
                "email_addresses": one_or_list({"anyOf": [ref("EmailAddressText"), {
                    "type": "object", "properties": {"address": {"anyOf": [ref("EmailAddressText"), EMPTY]}}}]}),
                "phone_numbers": one_or_list({"anyOf": [ref("PhoneNumberText"), {
                    "type": "object", "properties": {"number": {"anyOf": [ref("PhoneNumberText"), EMPTY]}}}]})}}},
        "anyOf": [*REFERENCED, {"required": ["person"]}], "x-error": NO_PERSON},
    "RosterWorkplaceId": {"type": "string", "description": "The uuid of one of the campaign's workplaces: the "
                                                           "roster the worker joins (needed when it has several)"},
    "OrganizingRequestInput": {
        "type": "object", "description": CHANGES,
        "properties": {
            "status": {"type": "string", "enum": REQUEST_STATUSES},
            "closed_reason": text(200, description="Why the request is closed: needed to close it"),
            "organizer_id": {"anyOf": [ref("VolunteerId"), {"type": "null"}],
                             "description": "The volunteer organizer (told by email); null for nobody"},
            "mentor_id": {"anyOf": [ref("VolunteerId"), {"type": "null"}],
                          "description": "The mentor (told by email); null for nobody"},
            "over_capacity": {"type": "boolean", "default": False,
                              "description": "Assign a volunteer already carrying their capacity (refused "
                                             "without it)"}},
        "allOf": [{"if": {"required": ["status"], "properties": {"status": {"const": "closed"}}},
                   "then": {"required": ["closed_reason"], "properties": {"closed_reason": text(200, blank=False)},
                            "x-error": "Say why the request is closed: closed_reason."}}]},
    "VolunteerId": {"type": "string", "description": "The uuid of a volunteer of the request's group (or a group "
                                                     "above it), as its suggestions list them"},
    "MemberInput": helper("A person (see TaggingInput, or `person` to sign up) and what the network needs to know",
                          travel_miles={"type": "integer", "minimum": 1, "maximum": 500, "default": 10},
                          availability={"type": "array", "items": {"enum": [k for k, _ in AVAILABILITY]}},
                          skills={"type": "array", "items": {"enum": [k for k, _ in SKILLS]}},
                          languages={"type": "array", "items": {"enum": [k for k, _ in LANGUAGES]}}),
    "ActivationInput": {
        "type": "object", "required": ["network_id", "title", "body"],
        "properties": {
            "network_id": ref("RecordId"), "title": text(200, blank=False), "body": text(1600, blank=False),
            "body_es": text(1600), "channels": {"type": "string", "enum": ["sms", "email", "both"], "default": "sms"},
            "followup": text(1600), "followup_es": text(1600),
            "event_id": ref("RecordId"),
            "postal_code": {"anyOf": [ref("ZipCode"), {"const": ""}]},
            "miles": {"type": ["integer", "null"], "minimum": 1, "maximum": 3000,
                      "description": "From postal_code, which it needs"},
            "availability": {"type": "array", "items": {"enum": [k for k, _ in AVAILABILITY]}},
            "skills": {"type": "array", "items": {"enum": [k for k, _ in SKILLS]}},
            "languages": {"type": "array", "items": {"enum": [k for k, _ in LANGUAGES]}},
            "tag": text(100), "drill": {"type": "boolean", "description": "A drill goes to sample_size people"},
            "sample_size": {"type": ["integer", "null"], "minimum": 1, "maximum": 100_000_000},
            "ignore_quiet_hours": {"type": "boolean"},
            "override_reason": text(300, blank=False, description="Why quiet hours are overridden"),
        },
        "allOf": [
            {"if": {"required": ["miles"], "properties": {"miles": {"type": "integer"}}},
             "then": {"required": ["postal_code"], "properties": {"postal_code": ref("ZipCode")},
                      "x-error": "Give postal_code to choose people by distance."}},
            when_true("drill", {"required": ["sample_size"], "properties": {"sample_size": {"type": "integer"}},
                                "x-error": "A drill goes to a sample: give sample_size."}),
            when_true("ignore_quiet_hours", {"required": ["override_reason"],
                                             "x-error": "Say why this cannot wait for quiet hours to end: "
                                                        "override_reason."}),
        ],
    },
    "WorkplaceInput": {"type": "object", "description": CHANGES, "properties": {
        "name": text(200, blank=False), "employer": text(200, blank=False), "address": text(300),
        "postal_code": ref("ZipCode"), "industry": {"type": "string", "enum": INDUSTRIES},
        "unit_description": text(2000)}},
    "OrganizingCampaignInput": {"type": "object", "required": ["name"], "properties": {
        "name": text(200, blank=False), "union_name": text(200, description="The token's group's name if left out"),
        "card_text": text(5000), "card_text_es": text(5000),
        "card_valid_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        "supermajority": {"type": "integer", "minimum": 51, "maximum": 100},
        "workplace_ids": {"type": "array", "uniqueItems": True, "items": ref("WorkplaceId")}}},
    "WorkplaceId": {"type": "string", "description": "The uuid of a workplace the token's user may use, in no other "
                                                     "campaign of another group"},
    "AssessmentInput": {"type": "object", "required": ["worker_id", "score"], "properties": {
        "worker_id": ref("RecordId"), "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "notes": text(4000)}},
    "CardInput": {"type": "object", "description": "A paper card; e-signed cards come from the card page only",
                  "required": ["worker_id", "signed_date"],
                  "properties": {"worker_id": ref("RecordId"), "signed_date": {
                      "type": "string", "pattern": dates.DATE_PATTERN,
                      "description": "The date on the card: from 1935 (the National Labor Relations Act), not in "
                                     "the future"}}},
    "CardConfirmInput": {"type": "object", "description": "How a card waiting for review is matched: send {} to "
                                                          "add its signer to the roster as a new coworker",
                         "properties": {"worker_id": {**ref("RecordId"), "description": (
                             "The roster worker who signed it: one of the card's own workplace (the card's "
                             "turnout:candidate link names the one its signed name matches)")}}},
}
PLACED = {"anyOf": [{"required": ["turnout:timezone"]},
                    {"required": ["location"], "properties": {"location": {
                        "required": ["postal_code"], "properties": {"postal_code": ref("ZipCode")}}}}],
          "x-error": "Give the event a location with a postal_code, or turnout:timezone."}
TITLED = requires(["title"], ["name"]) | {"x-error": "An event needs a title."}
INPUTS.update({
    "NewMessage": creating("MessageInput", {"required": ["body"], "x-error": "A message needs a body."},
                           {"if": {"required": ["type"], "properties": {"type": {"const": "sms"}}},
                            "else": {"required": ["subject"], "x-error": "An email needs a subject."}}),
    "NewEvent": creating("EventInput", {"required": ["start_date"], "x-error": "An event needs a start_date."},
                         TITLED, PLACED),
    "NewSite": creating("EventInput", TITLED, PLACED),
    "NewEventCampaign": creating("EventCampaignInput", {"required": ["title"]}),
    "NewForm": creating("FormInput", {"required": ["title"]}),
    "NewPetition": creating("PetitionInput", {"required": ["title"]}),
    "NewWorkplace": creating("WorkplaceInput", {"required": ["name", "employer", "postal_code"]}),
    "NewNetwork": creating("NetworkInput", {"required": ["name"]}),
    "NewTextingCampaign": creating("TextingCampaignInput", {"required": ["title", "script"],
                                                            "x-error": "A texting campaign needs a title and a script."}),
})
SCHEMAS.update(INPUTS)

# What a pattern means, for error messages (the patterns themselves are for machines).
PATTERN_WORDS = {
    NOT_BLANK: "must not be blank",
    TAG_NAME_PATTERN: "needs a letter, digit or sign",
    EMAIL_PATTERN: "must be an email address such as ana@example.org",
    COUNTRY_PATTERN: "must be a two-letter country code such as US",
    LOCAL_TIME_PATTERN: "must be a time such as 17:00",
    ZIP_PATTERN: "must be a US ZIP code such as 98101",
    **{kind.regex.pattern: f"must be {kind.example}, in the years {dates.FIRST_YEAR} to {dates.LAST_YEAR}"
       for kind in dates.Kind},
}
TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "object": "an object", "array": "a list", "null": "null"}


def _where(error: ValidationError) -> str:
    where = ""
    for part in error.absolute_path:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def _describe(error: ValidationError) -> str:
    """One sentence a client's developer can act on, naming the field."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x-error" in schema:
        return str(schema["x-error"])
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _describe(best_match(error.context))
    where = _where(error) or "The body"
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "a field"
        return f"{missing} is required" + (f" in {where}." if where != "The body" else ".")
    shown = f"; “{error.instance[:60]}” is not" if isinstance(error.instance, str) and error.instance.strip() else ""
    if error.validator == "pattern":
        words = PATTERN_WORDS.get(str(error.validator_value), "be in the form the API document gives")
        return f"{where} {words}{shown if error.validator_value != NOT_BLANK else ''}."
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"{where} must be {' or '.join(TYPE_WORDS.get(str(t), str(t)) for t in wanted)}."
    if error.validator in ("enum", "const"):
        allowed = [v for v in (error.validator_value if error.validator == "enum" else [error.validator_value])
                   if v not in ("", None)]
        if len(allowed) > 12:
            return f"{where} must be {schema.get('description', 'one of the values the API document lists')}{shown}."
        return f"{where} must be one of: {', '.join(str(v) for v in allowed)}{shown}."
    if error.validator == "maxLength":
        return f"{where} is longer than {error.validator_value} characters."
    if error.validator == "minimum":
        return f"{where} must be at least {error.validator_value}."
    if error.validator == "maximum":
        return f"{where} must be at most {error.validator_value}."
    if error.validator == "minItems":
        return f"{where} needs at least {error.validator_value} item{'s' if error.validator_value != 1 else ''}."
    if error.validator == "uniqueItems":
        return f"{where} names the same item twice."
    if error.validator == "propertyNames":
        return f"The names in {where} must be 1 to 100 characters, not blank."
    return f"{where}: {error.message[:200]}"


def _body_schema(name: str) -> dict[str, Any]:
    return {**ref(name), "components": {"schemas": SCHEMAS}}


@cache
def _body_validator(name: str) -> Draft202012Validator:
    """The validator that says what is wrong with a body, in the words `_describe` turns into the answer."""
    return Draft202012Validator(_body_schema(name))


@cache
def _body_checker(name: str) -> jsonschema_rs.Validator:
    """A compiled validator that only says whether a body fits: every write is checked, and
    jsonschema's walk through the document's references took about 8% of the server's time for a
    record helper's request. A body it refuses goes to `_body_validator` for the reasons; formats are
    annotations in both, as the document's 2020-12 dialect has them."""
    return jsonschema_rs.Draft202012Validator(_body_schema(name), validate_formats=False)


# Names the handlers also read from a form or query string, for the person signup helper's flat form.
FORM_ALIASES = {"email_address", "email", "phone_number", "phone"}


@cache
def _field_names(name: str) -> frozenset[str]:
    """Every property name a body schema mentions, at any depth: a form body is flat."""
    names: set[str] = set(FORM_ALIASES)
    seen: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            target = schema.get("$ref", "")
            if target.startswith("#/components/schemas/") and target not in seen:
                seen.add(target)
                walk(SCHEMAS[target.rsplit("/", 1)[-1]])
            names.update(schema.get("properties", {}))
            for value in schema.values():
                walk(value)
        elif isinstance(schema, list):
            for value in schema:
                walk(value)

    walk(ref(name))
    return frozenset(names)


def body_problem(name: str, body: dict[str, Any], *, json: bool, missing: bool) -> str | None:
    """Why a write's body does not fit its operation's schema `name` (see the route table), or None.
    A JSON body is checked against the schema; a form or query-string body (read by the handlers
    alone) must at least name one of its fields, or it is taken for broken JSON; `missing` when
    nothing was sent."""
    if missing:
        return "This request needs a JSON body; the API document lists its fields."
    if not json:
        if body and not set(body) & _field_names(name):
            return "The request body is not valid JSON, nor a form naming any field of this request."
        return None
    try:
        fits = _body_checker(name).is_valid(body)
    except Exception:  # whatever the compiled check cannot read, jsonschema judges
        fits = False
    if fits:
        return None
    errors = list(_body_validator(name).iter_errors(body))
    if not errors:  # the two read a pattern's `$` apart before a final newline: jsonschema decides
        return None
    # A value that is wrong is named first; then a rule across fields (those have words of their own).
    ruled = [error for error in errors if isinstance(error.schema, dict) and "x-error" in error.schema]
    return _describe(best_match([error for error in errors if error not in ruled] or ruled))


def collection_schema(key: str, item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "total_pages": {"type": "integer", "minimum": 0},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 25},
            "page": {"type": "integer", "minimum": 1},
            "total_records": {"type": "integer", "minimum": 0},
            "_links": ref("Links"),
            "_embedded": {"type": "object", "properties": {key: {"type": "array", "items": ref(item)}},
                          "required": [key]},
        },
        "required": ["total_pages", "per_page", "page", "total_records", "_links", "_embedded"],
    }


COLLECTIONS = {
    "People": ("osdi:people", "Person"), "Tags": ("osdi:tags", "Tag"), "Taggings": ("osdi:taggings", "Tagging"),
    "Lists": ("osdi:lists", "List"), "Items": ("osdi:items", "Item"), "Messages": ("osdi:messages", "Message"),
    "Events": ("osdi:events", "Event"), "Attendances": ("osdi:attendances", "Attendance"),
    "EventCampaigns": ("action_network:event_campaigns", "EventCampaign"),
    "Forms": ("osdi:forms", "Form"), "Submissions": ("osdi:submissions", "Submission"),
    "Petitions": ("osdi:petitions", "Petition"), "Signatures": ("osdi:signatures", "Signature"),
    "Networks": ("turnout:networks", "Network"), "Members": ("turnout:members", "Member"),
    "Activations": ("turnout:activations", "Activation"),
    "ActivationResponses": ("turnout:responses", "ActivationResponse"), "Plans": ("turnout:plans", "Plan"),
    "Workplaces": ("turnout:workplaces", "Workplace"),
    "OrganizingCampaigns": ("turnout:organizing_campaigns", "OrganizingCampaign"),
    "OrganizingWorkers": ("turnout:workers", "OrganizingWorker"), "Assessments": ("turnout:assessments", "Assessment"),
    "Cards": ("turnout:cards", "Card"),
    "OrganizingRequests": ("turnout:organizing_requests", "OrganizingRequest"),
    "TextingCampaigns": ("turnout:texting_campaigns", "TextingCampaign"),
    "TextingConversations": ("turnout:conversations", "TextingConversation"),
    "Turfs": ("turnout:turfs", "Turf"),
}
EMPTY_COLLECTIONS = ["donations", "fundraising_pages", "advocacy_campaigns", "outreaches", "campaigns",
                     "queries", "wrappers"]
PERSON_EMPTY = ["donations", "outreaches"]
for _name, (_key, _item) in COLLECTIONS.items():
    SCHEMAS[f"{_name}Page"] = collection_schema(_key, _item)
for _name in {*EMPTY_COLLECTIONS, *PERSON_EMPTY}:
    SCHEMAS[f"{_name}Page"] = collection_schema(f"osdi:{_name}", "Empty")

ERRORS = {
    "400": "The request is malformed: a bad filter, page number or body.",
    "401": "No API token, or one that is not valid.",
    "403": "The token's user may not do this.",
    "404": "No such record among those the token can see.",
    "409": "The record's state does not allow this now (a message or activation already sent, a contact that "
           "is someone else's), or another request changed it at the same moment.",
    "429": "Too many requests for this token; see Retry-After.",
}


def answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def errors(*codes: str) -> dict[str, Any]:
    return {code: answer(ERRORS[code], "Error") for code in codes}


def path_parameter(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "description": f"The {what}'s uuid, with or without the action_network: prefix",
            "schema": {"type": "string"}}


PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
     "description": "1-based page"},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1},
     "description": "Records per page: 25 (the default) at most; a larger number is served as 25, as Action "
                    "Network does. The answer's per_page says which."},
    {"name": "filter", "in": "query", "schema": {"type": "string"},
     "description": "OData: eq ne gt ge lt le, and, or, parentheses, quoted values, e.g. "
                    "modified_date gt '2026-03-25'. A field the collection does not filter on is ignored; a filter "
                    "that does not parse, a date that is not one (years "
                    f"{dates.FIRST_YEAR} to {dates.LAST_YEAR}), more than {odata.MAX_LENGTH} characters or more "
                    f"than {odata.MAX_DEPTH} levels of and/or is a 400 saying which."},
]

# Operations, without their path's parameters: the route table (routes.py) adds those, and the
# 404 that any path naming a record may answer.


def read(summary: str, schema: str, paged: bool = False) -> dict[str, Any]:
    """A GET answering `schema` (a page of a collection when `paged`)."""
    return {"summary": summary, "parameters": PAGING if paged else [],
            "responses": {"200": answer(summary, schema), **errors("400", "401", "403", "429")}}


def write(summary: str, body: str, schema: str, created: bool = True) -> dict[str, Any]:
    """A POST or PUT whose JSON body is checked against `body`; 201 when it may make a record."""
    responses = {"200": answer(summary, schema)}
    if created:
        responses["201"] = answer(summary + " (created)", schema)
    return {"summary": summary, "parameters": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref(body)}}},
            "responses": {**responses, **errors("400", "401", "403", "409", "429")}}


def act(summary: str, schema: str, done: str) -> dict[str, Any]:
    """A POST without a body that makes something happen (send, trigger)."""
    return {"summary": summary, "parameters": [],
            "responses": {"200": answer(done, schema), **errors("400", "401", "403", "409", "429")}}


def remove(summary: str, conflict: bool = False) -> dict[str, Any]:
    """A DELETE answering a notice; `conflict` when the record's state may refuse it (409)."""
    codes = ["400", "401", "403", "409", "429"] if conflict else ["400", "401", "403", "429"]
    return {"summary": summary, "parameters": [], "responses": {"200": answer("Removed", "Notice"), **errors(*codes)}}


def body_schema(operation: dict[str, Any]) -> str | None:
    """The name of the schema an operation's JSON body is checked against, if it takes one."""
    body = operation.get("requestBody")
    if body is None:
        return None
    return str(body["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]


def document(base: str, paths: dict[str, Any]) -> dict[str, Any]:
    """The whole OpenAPI document for `paths` (the route table's), with the server set to this
    request's base URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Turnout API (Action Network v2 / OSDI compatible)",
            "version": "2",
            "description": "Clients built for Action Network's v2 API work by changing only the base URL. "
                           "Send the token in the OSDI-API-Token header. JSON bodies are checked against the "
                           "schemas here and refused with a 400 naming the field; text may not contain NUL "
                           "characters or unpaired surrogates, and a body may nest at most 32 levels. Form-encoded "
                           "and query-string bodies are also taken, for clients that send them.",
        },
        "servers": [{"url": base.rstrip("/")}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "OSDI-API-Token"}},
        },
    }
