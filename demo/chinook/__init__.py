"""The Chinook demo app: the public Chinook music-store database as Django models."""
