from django.apps import AppConfig


class ChinookConfig(AppConfig):
    name = "demo.chinook"
    label = "chinook"
    verbose_name = "Chinook music store"
    default_auto_field = "django.db.models.BigAutoField"
