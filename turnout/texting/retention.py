"""What texting keeps only as long as it is needed: once a campaign has finished, its
conversations' texts, flag reasons and coaching notes, and its texters' emails, go after the
operator's period (`turnout.site.retention`). The conversations stay, with their status, survey
answers and result, for the campaign's figures and the people's records."""

from __future__ import annotations

from datetime import datetime

from turnout.core.retention import BATCH, delete_in_batches
from turnout.texting.models import Conversation, ConversationText, Texter, TextingCampaign


def prune_finished(*, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Remove the texts of campaigns finished before `before`, and clear their flag reasons,
    coaching notes and texters' emails; how many texts."""
    done = TextingCampaign.objects.filter(status=TextingCampaign.Status.FINISHED, updated_at__lt=before)
    removed = delete_in_batches(ConversationText.objects.filter(conversation__campaign__in=done), batch=batch,
                                dry_run=dry_run)
    if not dry_run:
        Conversation.objects.filter(campaign__in=done).exclude(flag_reason="", note="").update(flag_reason="", note="")
        Texter.objects.filter(campaign__in=done).exclude(email="").update(email="")
    return removed
