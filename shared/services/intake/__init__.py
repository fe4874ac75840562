"""Webhook intake: from an SCM delivery to a recorded task and a started orchestration."""

from shared.services.intake.model import IntakeResult, Outcome, ReceiveDelivery
from shared.services.intake.service import PATCH_FLOW, IntakeService

__all__ = ["PATCH_FLOW", "IntakeResult", "IntakeService", "Outcome", "ReceiveDelivery"]
