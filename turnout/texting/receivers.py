"""What texting does when a person's records are merged."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from turnout.people.models import Person
from turnout.people.signals import people_merging
from turnout.texting.models import Conversation, DoorResult, MergedContact


@receiver(people_merging, dispatch_uid="turnout.texting.merge")
def move_merged_conversations(*, keep: Person, other: Person, **kwargs: Any) -> None:
    """The merged record's conversations move to the kept record, so their texts and answers stay
    on file; where both were in one campaign, the kept record's conversation stays and the other
    goes with the merged record."""
    theirs = Conversation.objects.filter(person=keep).values("campaign")
    Conversation.objects.filter(person=other).exclude(campaign__in=theirs).update(person=keep)
    # Where both were in one campaign, the merged record's door results move to the kept record's
    # conversation (a phone still syncing them finds them kept), as its later results would.
    for leaving in Conversation.objects.filter(person=other, campaign__in=theirs).select_related("campaign"):
        staying = Conversation.objects.filter(person=keep, campaign_id=leaving.campaign_id).first()
        if staying is not None:
            DoorResult.objects.filter(conversation=leaving).update(conversation=staying)
            # A phone that downloaded the leaving door syncs its results to the staying one.
            MergedContact.objects.filter(conversation=leaving).update(conversation=staying)
            if leaving.campaign.is_door:  # its id may be on a phone, downloaded before (or after) a turf
                MergedContact.objects.create(from_id=leaving.pk, conversation=staying, turf_id=leaving.turf_id)
