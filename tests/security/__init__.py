"""The security suite: attack corpus, data access, database enforcement (issue #7)."""
