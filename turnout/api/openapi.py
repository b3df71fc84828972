"""The OpenAPI 3.1 description of /api/v2/: every path, parameter, body and answer.

Tests validate real responses against these schemas and fuzz the API from this document,
so it is the contract, kept beside the code it describes.
"""

from __future__ import annotations

from typing import Any

from turnout.mobilization.models import AVAILABILITY, LANGUAGES, SKILLS
from turnout.organizing.models import Industry, Stage

JSON = "application/hal+json"


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

SCHEMAS: dict[str, Any] = {
    "Link": LINK,
    "Links": LINKS,
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    "Notice": {"type": "object", "properties": {"notice": {"type": "string"}}, "required": ["notice"]},
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
        },
        "required": ["identifiers", "created_date", "modified_date", "email_addresses", "phone_numbers",
                     "postal_addresses", "custom_fields", "_links"],
    },
    "PersonInput": {
        "type": "object",
        "properties": {
            "given_name": {"type": "string", "maxLength": 100},
            "family_name": {"type": "string", "maxLength": 100},
            "languages_spoken": STRING_LIST,
            "email_addresses": {"type": "array", "items": {
                "type": "object", "properties": {"address": {"type": "string", "format": "email"},
                                                 "primary": {"type": "boolean"},
                                                 "status": {"type": "string",
                                                            "enum": ["subscribed", "unsubscribed"]}}}},
            "phone_numbers": {"type": "array", "items": {
                "type": "object", "properties": {"number": {"type": "string"}, "primary": {"type": "boolean"},
                                                 "number_type": {"type": "string"},
                                                 "status": {"type": "string",
                                                            "enum": ["subscribed", "unsubscribed"]}}}},
            "postal_addresses": {"type": "array", "items": ADDRESS},
            "custom_fields": {"type": "object", "additionalProperties": SCALAR},
        },
    },
    "PersonSignup": {
        "type": "object",
        "properties": {"person": ref("PersonInput"), "add_tags": STRING_LIST, "remove_tags": STRING_LIST},
        "required": ["person"],
    },
    "Tag": {"type": "object", "properties": {**COMMON, "name": {"type": "string"}},
            "required": ["identifiers", "name", "_links"]},
    "TagInput": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
                 "required": ["name"]},
    "Tagging": {"type": "object", "properties": {**COMMON, "item_type": {"type": "string"}},
                "required": ["identifiers", "item_type", "_links"]},
    "TaggingInput": {
        "type": "object",
        "description": "The person by link (the last path segment of the href is the id), id or email.",
        "properties": {
            "_links": {"type": "object", "properties": {"osdi:person": ref("Link")}},
            "action_network:person_id": {"type": "string"},
            "email_address": {"type": "string"},
        },
    },
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
    "MessageInput": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["email", "sms"]},
            "subject": {"type": "string", "maxLength": 200},
            "body": {"type": "string", "maxLength": 5000},
            "turnout:body_es": {"type": "string", "maxLength": 5000},
            "targets": {"type": "array", "items": ref("Link"),
                        "description": "hrefs of tags or lists; the message goes to people on any of them"},
            "turnout:ignore_quiet_hours": {"type": "boolean"},
            "turnout:override_reason": {"type": "string", "maxLength": 300},
        },
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
    "EventInput": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 200}, "description": {"type": "string", "maxLength": 20000},
            "start_date": {"type": "string", "description": "With an offset or Z: that instant. Without: the "
                                                           "wall-clock time at the event's location."},
            "end_date": {"type": "string"},
            "turnout:timezone": {"type": "string", "description": "For an event with no postal code"},
            "capacity": {"type": "integer", "minimum": 0}, "visibility": {"type": "string"},
            "turnout:status": {"type": "string", "enum": ["draft", "scheduled", "standby", "cancelled", "completed"]},
            "turnout:standby_condition": {"type": "string", "maxLength": 300},
            "join_url": {"type": "string", "maxLength": 500},
            "location": {"type": "object", "properties": {
                "venue": {"type": "string"}, "address_lines": STRING_LIST, "locality": {"type": "string"},
                "region": {"type": "string"}, "postal_code": {"type": "string"}}},
        },
    },
    "Attendance": {
        "type": "object",
        "properties": {
            **COMMON,
            "status": {"type": "string", "enum": ["accepted", "declined", "tentative", "needs action"]},
            "turnout:checked_in_date": DATE,
            "action_network:person_id": {"type": "string"}, "action_network:event_id": {"type": "string"},
            "action_network:referrer_data": {"type": "object"},
        },
        "required": ["identifiers", "status", "action_network:person_id", "action_network:event_id", "_links"],
    },
    "AttendanceInput": {
        "type": "object",
        "description": "The person by link, id or email, or a person to sign up (the signup helper's rules).",
        "properties": {
            "person": ref("PersonInput"),
            "_links": {"type": "object", "properties": {"osdi:person": ref("Link")}},
            "action_network:person_id": {"type": "string"}, "email_address": {"type": "string"},
            "status": {"type": "string", "enum": ["accepted", "declined", "tentative"]},
        },
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
    "EventCampaignInput": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 200}, "description": {"type": "string"},
            "turnout:local_date": {"type": "string", "description": "The date at every site, e.g. 2026-11-04"},
            "turnout:local_start_time": {"type": "string", "description": "Local wall-clock time at every site, "
                                                                         "e.g. 17:00"},
            "turnout:status": {"type": "string", "enum": ["draft", "scheduled", "standby"]},
            "turnout:standby_condition": {"type": "string", "maxLength": 300},
        },
    },
    "Form": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "description": {"type": "string"}, "call_to_action": {"type": "string"},
        "browser_url": {"type": "string"}, "total_submissions": {"type": "integer", "minimum": 0},
        "turnout:is_open": {"type": "boolean"}},
        "required": ["identifiers", "title", "browser_url", "total_submissions", "_links"]},
    "FormInput": {"type": "object", "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200}, "description": {"type": "string"}}},
    "Submission": {"type": "object", "properties": {
        **COMMON, "action_network:person_id": {"type": "string"}, "action_network:form_id": {"type": "string"},
        "action_network:referrer_data": {"type": "object"},
        "turnout:answers": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["identifiers", "action_network:person_id", "action_network:form_id", "_links"]},
    "SubmissionInput": {
        "type": "object",
        "description": "The person by link, id or email, or a person to sign up (the signup helper's rules).",
        "properties": {
            "person": ref("PersonInput"), "_links": {"type": "object", "properties": {"osdi:person": ref("Link")}},
            "action_network:person_id": {"type": "string"}, "email_address": {"type": "string"},
            "turnout:answers": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "Petition": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "petition_text": {"type": "string"},
        "target": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "browser_url": {"type": "string"}, "total_signatures": {"type": "integer", "minimum": 0},
        "turnout:goal": {"type": ["integer", "null"]}, "turnout:is_open": {"type": "boolean"}},
        "required": ["identifiers", "title", "petition_text", "total_signatures", "_links"]},
    "PetitionInput": {"type": "object", "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200}, "petition_text": {"type": "string"},
        "target": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 200}}}}}},
    "Signature": {"type": "object", "properties": {
        **COMMON, "comments": {"type": "string"}, "action_network:person_id": {"type": "string"},
        "action_network:petition_id": {"type": "string"}, "action_network:referrer_data": {"type": "object"}},
        "required": ["identifiers", "action_network:person_id", "action_network:petition_id", "_links"]},
    "SignatureInput": {
        "type": "object",
        "description": "The person by link, id or email, or a person to sign up (the signup helper's rules).",
        "properties": {
            "person": ref("PersonInput"), "_links": {"type": "object", "properties": {"osdi:person": ref("Link")}},
            "action_network:person_id": {"type": "string"}, "email_address": {"type": "string"},
            "comments": {"type": "string", "maxLength": 2000}}},
    "Network": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "description": {"type": "string"}, "group": {"type": "string"},
        "total_members": {"type": "integer", "minimum": 0}, "browser_url": {"type": "string"}},
        "required": ["identifiers", "name", "total_members", "_links"]},
    "Member": {"type": "object", "properties": {
        "identifiers": STRING_LIST, "given_name": {"type": "string"}, "family_name": {"type": "string"},
        "postal_code": {"type": "string"}, "travel_miles": {"type": "integer"},
        "availability": STRING_LIST, "skills": STRING_LIST, "languages": STRING_LIST, "joined_date": DATE,
        "_links": ref("Links")}, "required": ["identifiers", "travel_miles", "_links"]},
    "MemberInput": {"type": "object", "description": "A person (reference as for attendances, or `person` to "
                                                     "sign up) and what the network needs to know",
                    "properties": {"person": {"type": "object"}, "person_id": {"type": "string"},
                                   "travel_miles": {"type": "integer", "minimum": 1, "maximum": 500},
                                   "availability": {"type": "array", "items": {"enum": [k for k, _ in AVAILABILITY]}},
                                   "skills": {"type": "array", "items": {"enum": [k for k, _ in SKILLS]}},
                                   "languages": {"type": "array", "items": {"enum": [k for k, _ in LANGUAGES]}}}},
    "Activation": {"type": "object", "properties": {
        **COMMON, "title": {"type": "string"}, "body": {"type": "string"}, "body_es": {"type": "string"},
        "channels": {"type": "string", "enum": ["sms", "email", "both"]},
        "status": {"type": "string", "enum": ["draft", "sent"]}, "sent_date": DATE,
        "postal_code": {"type": "string"}, "miles": {"type": ["integer", "null"]}, "availability": STRING_LIST,
        "skills": STRING_LIST, "languages": STRING_LIST, "tag": {"type": "string"}, "drill": {"type": "boolean"},
        "sample_size": {"type": ["integer", "null"]}, "ignore_quiet_hours": {"type": "boolean"},
        "override_reason": {"type": "string"},
        "statistics": {"type": "object", "properties": {
            "asked": {"type": "integer"}, "yes": {"type": "integer"}, "no": {"type": "integer"},
            "no_answer": {"type": "integer"}, "sent": {"type": "integer"}, "delivered": {"type": "integer"},
            "by_distance": {"type": "array", "items": {"type": "object"}}}}},
        "required": ["identifiers", "title", "body", "status", "_links"]},
    "ActivationInput": {"type": "object", "properties": {
        "network_id": {"type": "string"}, "title": {"type": "string", "maxLength": 200},
        "body": {"type": "string", "maxLength": 1600}, "body_es": {"type": "string", "maxLength": 1600},
        "channels": {"type": "string", "enum": ["sms", "email", "both"]}, "event_id": {"type": "string"},
        "postal_code": {"type": "string"}, "miles": {"type": "integer", "minimum": 1},
        "availability": {"type": "array", "items": {"enum": [k for k, _ in AVAILABILITY]}},
        "skills": {"type": "array", "items": {"enum": [k for k, _ in SKILLS]}},
        "languages": {"type": "array", "items": {"enum": [k for k, _ in LANGUAGES]}},
        "tag": {"type": "string"}, "drill": {"type": "boolean"}, "sample_size": {"type": "integer", "minimum": 1},
        "ignore_quiet_hours": {"type": "boolean"}, "override_reason": {"type": "string"}},
        "required": ["network_id", "title", "body"]},
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
    "Schedule": {"type": "object", "properties": {"scheduled_start_date": {"type": "string", "format": "date-time"}},
                 "required": ["scheduled_start_date"]},
    "Workplace": {"type": "object", "properties": {
        **COMMON, "name": {"type": "string"}, "employer": {"type": "string"}, "address": {"type": "string"},
        "postal_code": {"type": "string"}, "locality": {"type": "string"}, "region": {"type": "string"},
        "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
        "industry": {"type": "string", "enum": INDUSTRIES}, "unit_description": {"type": "string"},
        "group": {"type": "string"}}, "required": ["identifiers", "name", "employer", "postal_code", "_links"]},
    "WorkplaceInput": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 200}, "employer": {"type": "string", "maxLength": 200},
        "address": {"type": "string", "maxLength": 300}, "postal_code": {"type": "string", "maxLength": 10},
        "industry": {"type": "string", "enum": INDUSTRIES}, "unit_description": {"type": "string"}},
        "required": ["name", "employer", "postal_code"]},
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
            "percent_carded": {"type": "integer"}}}}},
        "required": ["identifiers", "name", "_links"]},
    "OrganizingCampaignInput": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 200}, "union_name": {"type": "string", "maxLength": 200},
        "card_text": {"type": "string"}, "card_text_es": {"type": "string"},
        "card_valid_days": {"type": "integer", "minimum": 1, "maximum": 3650},
        "supermajority": {"type": "integer", "minimum": 51, "maximum": 100},
        "workplace_ids": {"type": "array", "items": {"type": "string"}}}, "required": ["name"]},
    "OrganizingWorker": {"type": "object", "properties": {
        **COMMON, "given_name": {"type": "string"}, "family_name": {"type": "string"},
        "workplace": {"type": "string"}, "department": {"type": "string"}, "shift": {"type": "string"},
        "job_title": {"type": "string"}, "in_unit": {"type": "boolean"},
        "support": {"type": ["integer", "null"], "minimum": 1, "maximum": 5}, "assessed_date": DATE,
        "committee": {"type": "boolean"}, "card_signed_date": DATE},
        "required": ["identifiers", "in_unit", "_links"]},
    "Assessment": {"type": "object", "properties": {
        "identifiers": STRING_LIST, "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "assessed_date": DATE, "assessor": {"type": "string"},
        "has_notes": {"type": "boolean", "description": "Notes are read in the console only, where reading is "
                                                        "audited"}, "_links": ref("Links")},
        "required": ["score", "_links"]},
    "AssessmentInput": {"type": "object", "properties": {
        "worker_id": {"type": "string"}, "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "notes": {"type": "string", "maxLength": 4000}}, "required": ["worker_id", "score"]},
    "Card": {"type": "object", "properties": {
        **COMMON, "kind": {"type": "string", "enum": ["electronic", "paper"]}, "signed_name": {"type": "string"},
        "signed_date": DATE, "expired": {"type": "boolean"}, "employer": {"type": "string"},
        "job_title": {"type": "string"}, "workplace": {"type": "string"}, "text": {"type": "string"},
        "has_scan": {"type": "boolean"}}, "required": ["identifiers", "kind", "signed_date", "_links"]},
    "CardInput": {"type": "object", "description": "A paper card; e-signed cards come from the card page only",
                  "properties": {"worker_id": {"type": "string"}, "signed_date": {"type": "string",
                                                                                  "format": "date"}},
                  "required": ["worker_id", "signed_date"]},
}


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
    "409": "Another request changed the same person at the same moment; send it again.",
    "429": "Too many requests for this token; see Retry-After.",
}


def answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref(schema)}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: answer(ERRORS[code], "Error") for code in codes}


def _id(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "description": f"The {what}'s uuid, with or without the action_network: prefix",
            "schema": {"type": "string"}}


PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
     "description": "1-based page"},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 25}},
    {"name": "filter", "in": "query", "schema": {"type": "string"},
     "description": "OData: eq ne gt ge lt le, and, or, parentheses, quoted values"},
]


def _get(summary: str, schema: str, params: list[dict[str, Any]] | None = None, paged: bool = False,
         found: bool = False) -> dict[str, Any]:
    codes = ["400", "401", "403", "429"] + (["404"] if found else [])
    return {"summary": summary, "parameters": (params or []) + (PAGING if paged else []),
            "responses": {"200": answer(summary, schema), **_errors(*codes)}}


def _write(summary: str, body: str, schema: str, params: list[dict[str, Any]] | None = None,
           created: bool = True, found: bool = False) -> dict[str, Any]:
    responses = {"200": answer(summary, schema)}
    if created:
        responses["201"] = answer(summary + " (created)", schema)
    codes = ["400", "401", "403", "409", "429"] + (["404"] if found else [])
    return {"summary": summary, "parameters": params or [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref(body)}}},
            "responses": {**responses, **_errors(*codes)}}


def paths() -> dict[str, Any]:
    person_id, tag_id = _id("person_id", "person"), _id("tag_id", "tag")
    out: dict[str, Any] = {
        "/": {"get": _get("Entry point: links to every collection", "EntryPoint")},
        "/people": {
            "get": _get("People the token can see", "PeoplePage", paged=True),
            "post": _write("Person signup helper: match by email then phone, add or update", "PersonSignup",
                           "Person"),
        },
        "/people/{person_id}": {
            "get": _get("One person", "Person", [person_id], found=True),
            "put": _write("Change a person", "PersonInput", "Person", [person_id], created=False, found=True),
        },
        "/people/{person_id}/taggings": {
            "get": _get("A person's taggings", "TaggingsPage", [person_id], paged=True, found=True)},
        "/tags": {"get": _get("Tags", "TagsPage", paged=True),
                  "post": _write("Add a tag (or return the one with that name)", "TagInput", "Tag")},
        "/tags/{tag_id}": {"get": _get("One tag", "Tag", [tag_id], found=True)},
        "/tags/{tag_id}/taggings": {
            "get": _get("Taggings of a tag on people the token can see", "TaggingsPage", [tag_id], paged=True,
                        found=True),
            "post": _write("Tag a person (once per person)", "TaggingInput", "Tagging", [tag_id], found=True),
        },
        "/tags/{tag_id}/taggings/{tagging_id}": {
            "get": _get("One tagging", "Tagging", [tag_id, _id("tagging_id", "tagging")], found=True),
            "delete": {"summary": "Remove a tagging", "parameters": [tag_id, _id("tagging_id", "tagging")],
                       "responses": {"200": answer("Removed", "Notice"),
                                     **_errors("400", "401", "403", "404", "429")}},
        },
        "/lists": {"get": _get("Saved lists", "ListsPage", paged=True)},
        "/lists/{list_id}": {"get": _get("One list", "List", [_id("list_id", "list")], found=True)},
        "/lists/{list_id}/items": {
            "get": _get("People on a list", "ItemsPage", [_id("list_id", "list")], paged=True, found=True)},
        "/lists/{list_id}/items/{item_id}": {
            "get": _get("One list item", "Item", [_id("list_id", "list"), _id("item_id", "item")], found=True)},
        "/messages": {"get": _get("Messages (texts and emails)", "MessagesPage", paged=True),
                      "post": _write("Write a message (a draft until sent or scheduled)", "MessageInput", "Message")},
        "/messages/{message_id}": {
            "get": _get("One message, with its statistics", "Message", [_id("message_id", "message")], found=True),
            "put": _write("Change a draft", "MessageInput", "Message", [_id("message_id", "message")], created=False,
                          found=True)},
        "/messages/{message_id}/send": {"post": {
            "summary": "Start sending to the targets now", "parameters": [_id("message_id", "message")],
            "responses": {"200": answer("Sending", "Message"), **_errors("400", "401", "403", "404", "429")}}},
        "/messages/{message_id}/schedule": {
            "post": _write("Send at scheduled_start_date (body or query string)", "Schedule", "Message",
                           [_id("message_id", "message")], created=False, found=True)},
        "/people/{person_id}/attendances": {
            "get": _get("A person's attendances at events the token can see", "AttendancesPage", [person_id],
                        paged=True, found=True)},
        "/events": {"get": _get("Events of the groups the token can see", "EventsPage", paged=True),
                    "post": _write("Add an event", "EventInput", "Event")},
        "/events/{event_id}": {
            "get": _get("One event", "Event", [_id("event_id", "event")], found=True),
            "put": _write("Change an event (people going are told of a new time or place)", "EventInput", "Event",
                          [_id("event_id", "event")], created=False, found=True)},
        "/events/{event_id}/attendances": {
            "get": _get("Attendances (RSVPs)", "AttendancesPage", [_id("event_id", "event")], paged=True, found=True),
            "post": _write("Record attendance helper: one per person per event", "AttendanceInput", "Attendance",
                           [_id("event_id", "event")], found=True)},
        "/events/{event_id}/attendances/{attendance_id}": {
            "get": _get("One attendance", "Attendance", [_id("event_id", "event"),
                                                         _id("attendance_id", "attendance")], found=True),
            "put": _write("Change an attendance's status", "AttendanceInput", "Attendance",
                          [_id("event_id", "event"), _id("attendance_id", "attendance")], created=False,
                          found=True)},
        "/event_campaigns": {
            "get": _get("Distributed actions", "EventCampaignsPage", paged=True),
            "post": _write("Add a distributed action", "EventCampaignInput", "EventCampaign")},
        "/event_campaigns/{campaign_id}": {
            "get": _get("One distributed action", "EventCampaign", [_id("campaign_id", "event campaign")],
                        found=True),
            "put": _write("Change a distributed action", "EventCampaignInput", "EventCampaign",
                          [_id("campaign_id", "event campaign")], created=False, found=True)},
        "/event_campaigns/{campaign_id}/events": {
            "get": _get("The campaign's sites", "EventsPage", [_id("campaign_id", "event campaign")], paged=True,
                        found=True),
            "post": _write("Add a site: at the campaign's local time in the site's own zone unless start_date is "
                           "given", "EventInput", "Event", [_id("campaign_id", "event campaign")], found=True)},
        "/forms": {"get": _get("Forms of the groups the token can see", "FormsPage", paged=True),
                   "post": _write("Add a form", "FormInput", "Form")},
        "/forms/{form_id}": {
            "get": _get("One form", "Form", [_id("form_id", "form")], found=True),
            "put": _write("Change a form", "FormInput", "Form", [_id("form_id", "form")], created=False, found=True)},
        "/forms/{form_id}/submissions": {
            "get": _get("The form's submissions", "SubmissionsPage", [_id("form_id", "form")], paged=True,
                        found=True),
            "post": _write("Record submission helper: one per person per form", "SubmissionInput", "Submission",
                           [_id("form_id", "form")], found=True)},
        "/forms/{form_id}/submissions/{submission_id}": {
            "get": _get("One submission", "Submission", [_id("form_id", "form"), _id("submission_id", "submission")],
                        found=True)},
        "/petitions": {"get": _get("Petitions of the groups the token can see", "PetitionsPage", paged=True),
                       "post": _write("Add a petition", "PetitionInput", "Petition")},
        "/petitions/{petition_id}": {
            "get": _get("One petition", "Petition", [_id("petition_id", "petition")], found=True),
            "put": _write("Change a petition", "PetitionInput", "Petition", [_id("petition_id", "petition")],
                          created=False, found=True)},
        "/petitions/{petition_id}/signatures": {
            "get": _get("The petition's signatures", "SignaturesPage", [_id("petition_id", "petition")], paged=True,
                        found=True),
            "post": _write("Record signature helper: one per person per petition", "SignatureInput", "Signature",
                           [_id("petition_id", "petition")], found=True)},
        "/petitions/{petition_id}/signatures/{signature_id}": {
            "get": _get("One signature", "Signature", [_id("petition_id", "petition"),
                                                       _id("signature_id", "signature")], found=True)},
        "/people/{person_id}/submissions": {
            "get": _get("A person's form submissions", "SubmissionsPage", [person_id], paged=True, found=True)},
        "/people/{person_id}/signatures": {
            "get": _get("A person's petition signatures", "SignaturesPage", [person_id], paged=True, found=True)},
        "/networks": {"get": _get("Rapid mobilization networks", "NetworksPage", paged=True)},
        "/networks/{network_id}": {"get": _get("One network", "Network", [_id("network_id", "network")], found=True)},
        "/networks/{network_id}/members": {
            "get": _get("The network's members", "MembersPage", [_id("network_id", "network")], paged=True,
                        found=True),
            "post": _write("Add a person to the network (or update what it knows of them)", "MemberInput", "Member",
                           [_id("network_id", "network")], found=True)},
        "/activations": {
            "get": _get("Activations of the networks the token can see", "ActivationsPage", paged=True),
            "post": _write("Write an activation (a draft until sent)", "ActivationInput", "Activation")},
        "/activations/{activation_id}": {
            "get": _get("One activation, with its statistics", "Activation", [_id("activation_id", "activation")],
                        found=True)},
        "/activations/{activation_id}/send": {"post": {
            "summary": "Send the activation to its audience now", "parameters": [_id("activation_id", "activation")],
            "responses": {"200": answer("Sent", "Activation"), **_errors("400", "401", "403", "404", "429")}}},
        "/activations/{activation_id}/responses": {
            "get": _get("Yes and no answers", "ActivationResponsesPage", [_id("activation_id", "activation")],
                        paged=True, found=True)},
        "/plans": {"get": _get("Standby plans", "PlansPage", paged=True)},
        "/plans/{plan_id}": {"get": _get("One standby plan, with what its trigger would do now", "Plan",
                                         [_id("plan_id", "plan")], found=True)},
        "/plans/{plan_id}/trigger": {"post": {
            "summary": "Pull the trigger (admins); again does nothing more; a two-person plan waits for a second admin",
            "parameters": [_id("plan_id", "plan")],
            "responses": {"200": answer("The plan after the pull", "Plan"),
                          **_errors("400", "401", "403", "404", "409", "429")}}},
        "/workplaces": {"get": _get("Workplaces the token can see", "WorkplacesPage", paged=True),
                        "post": _write("Add a workplace (placed on the map by its ZIP code)", "WorkplaceInput",
                                       "Workplace")},
        "/workplaces/{workplace_id}": {
            "get": _get("One workplace", "Workplace", [_id("workplace_id", "workplace")], found=True),
            "put": _write("Change a workplace", "WorkplaceInput", "Workplace", [_id("workplace_id", "workplace")],
                          created=False, found=True)},
        "/organizing_campaigns": {
            "get": _get("Organizing campaigns the token's user runs (a locked one: admins only)",
                        "OrganizingCampaignsPage", paged=True),
            "post": _write("Start an organizing campaign", "OrganizingCampaignInput", "OrganizingCampaign")},
        "/organizing_campaigns/{organizing_campaign_id}": {
            "get": _get("One campaign with its roll-up and each unit's cards", "OrganizingCampaign",
                        [_id("organizing_campaign_id", "organizing campaign")], found=True)},
        "/organizing_campaigns/{organizing_campaign_id}/workers": {
            "get": _get("The campaign's rosters", "OrganizingWorkersPage", [_id("organizing_campaign_id", "organizing campaign")],
                        paged=True, found=True)},
        "/organizing_workers/{worker_id}": {
            "get": _get("One worker on a roster", "OrganizingWorker", [_id("worker_id", "worker")], found=True)},
        "/assessments": {"get": _get("Support assessments (1 leader … 5 opposed)", "AssessmentsPage", paged=True),
                         "post": _write("Assess a worker", "AssessmentInput", "Assessment")},
        "/assessments/{assessment_id}": {
            "get": _get("One assessment", "Assessment", [_id("assessment_id", "assessment")], found=True)},
        "/cards": {"get": _get("Union authorization cards", "CardsPage", paged=True),
                   "post": _write("Record a paper card", "CardInput", "Card")},
        "/cards/{card_id}": {"get": _get("One card, with the exact text signed", "Card", [_id("card_id", "card")],
                                         found=True)},
        "/metadata": {"get": _get("About this API", "Metadata")},
        "/metadata/custom_fields": {"get": _get("Custom field names in use", "CustomFields")},
    }
    for name in PERSON_EMPTY:
        out[f"/people/{{person_id}}/{name}"] = {
            "get": _get(f"A person's {name.replace('_', ' ')}", f"{name}Page", [person_id], paged=True, found=True)}
    for name in EMPTY_COLLECTIONS:
        out[f"/{name}"] = {"get": _get(f"{name.replace('_', ' ').capitalize()} (Turnout keeps none)",
                                       f"{name}Page", paged=True)}
    return out


def document(base: str) -> dict[str, Any]:
    """The whole OpenAPI document, with the server set to this request's base URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Turnout API (Action Network v2 / OSDI compatible)",
            "version": "2",
            "description": "Clients built for Action Network's v2 API work by changing only the base URL. "
                           "Send the token in the OSDI-API-Token header.",
        },
        "servers": [{"url": base.rstrip("/")}],
        "security": [{"token": []}],
        "paths": paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "OSDI-API-Token"}},
        },
    }
