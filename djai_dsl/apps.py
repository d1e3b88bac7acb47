from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DjaiConfig(AppConfig):
    name = "djai_dsl"
    label = "djai_dsl"
    verbose_name = "djai data assistant"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from djai_dsl import checks  # noqa: F401  (registers system checks)

        # Each installed app may describe its models in a ``djai.py`` module, like admin.py.
        autodiscover_modules("djai")
