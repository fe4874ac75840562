"""The policy pack: `pulumi preview --policy-pack policy` (rules in platform_rules.py)."""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

sys.path.insert(0, str(Path(__file__).resolve().parent))

from platform_rules import POLICIES

PolicyPack(
    name="ai-code-agent-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
