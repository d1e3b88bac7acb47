"""Test helpers for host projects (registered as the ``djai`` pytest plugin)."""

from djai_dsl.testing.helpers import assert_dsl_matches_queryset, compile_dsl, plan_snapshot

__all__ = ["assert_dsl_matches_queryset", "compile_dsl", "plan_snapshot"]
